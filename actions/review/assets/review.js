/* altdeck review: filters, search, sort and the preview dialog (static export and app alike);
   in the app also editing, the decisions, waiving findings and the rebuild.  Texts from the
   server are set with textContent, or come as HTML the server escaped; nothing from a deck or a
   model is evaluated. */
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const app = body.dataset.mode === 'app';
  const maxChars = Number(body.dataset.maxChars || 150);
  const tokenMeta = document.querySelector('meta[name="altdeck-token"]');
  const token = tokenMeta ? tokenMeta.content : '';
  const list = $('rows');
  const rows = () => Array.from(list.children);
  const filters = { status: $('f-status'), deck: $('f-deck'), source: $('f-source'), q: $('f-q'), sort: $('f-sort') };
  const URGENCY = ['pending', 'stale', 'unreviewed', 'human', 'reviewed', 'decorative', 'kept', 'offline'];

  function say(text, bad) {
    const m = $('message');
    m.textContent = text;
    m.classList.toggle('bad', !!bad);
  }

  // -- the address keeps the filter state ------------------------------------------------------
  function readAddress() {
    const params = new URLSearchParams(location.search);
    for (const [name, el] of Object.entries(filters)) {
      const v = params.get(name);
      if (v === null) continue;
      if (el.tagName === 'SELECT' && !Array.from(el.options).some((o) => o.value === v)) continue;
      el.value = v;
    }
  }

  function writeAddress() {
    const params = new URLSearchParams(location.search);
    for (const [name, el] of Object.entries(filters)) {
      if (el.value && !(name === 'sort' && el.value === 'place')) params.set(name, el.value);
      else params.delete(name);
    }
    const q = params.toString();
    try {
      history.replaceState(null, '', q ? '?' + q : location.pathname);
    } catch (e) { /* an address the browser will not rewrite (some file: setups): filters still work */ }
  }

  // -- filter, search, sort --------------------------------------------------------------------
  function matches(li) {
    const d = li.dataset;
    if (filters.status.value && d.status !== filters.status.value) return false;
    if (filters.deck.value && !d.decks.split('\n').includes(filters.deck.value)) return false;
    if (filters.source.value && d.source !== filters.source.value) return false;
    // each word of the query starts a word of the row (its text, decks, slide titles, shape names),
    // or, from 6 characters on, starts its key
    const hay = ' ' + d.search;
    return queryWords().every((w) => hay.includes(' ' + w) || (w.length >= 6 && d.key.startsWith(w)));
  }

  function queryWords() {
    return filters.q.value.toLocaleLowerCase().split(/[^\p{L}\p{N}_]+/u).filter(Boolean);
  }

  function applyFilters() {
    let shown = 0;
    const all = rows();
    for (const li of all) {
      li.hidden = !matches(li);
      if (!li.hidden) shown += 1;
    }
    $('shown').textContent = `${shown} of ${all.length} objects shown`;
    writeAddress();
  }

  function sortRows() {
    const by = filters.sort.value || 'place';
    const order = (li) => Number(li.dataset.order);
    const cmp = {
      place: (a, b) => order(a) - order(b),
      status: (a, b) => URGENCY.indexOf(a.dataset.status) - URGENCY.indexOf(b.dataset.status) || order(a) - order(b),
      places: (a, b) => Number(b.dataset.places) - Number(a.dataset.places) || order(a) - order(b),
      key: (a, b) => (a.dataset.key || '~').localeCompare(b.dataset.key || '~') || order(a) - order(b),
    }[by] || ((a, b) => order(a) - order(b));
    const sorted = rows().sort(cmp);
    if (sorted.every((li, i) => list.children[i] === li)) return;
    const frag = document.createDocumentFragment();
    sorted.forEach((li) => frag.appendChild(li));
    list.appendChild(frag);
  }

  let searchTimer = null;
  for (const el of [filters.status, filters.deck, filters.source]) el.addEventListener('change', applyFilters);
  filters.sort.addEventListener('change', () => { sortRows(); applyFilters(); });
  filters.q.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(applyFilters, 120);
  });

  // -- pictures that cannot be shown --------------------------------------------------------------
  document.addEventListener('error', (ev) => {
    const img = ev.target;
    if (!(img instanceof HTMLImageElement) || !img.closest('button.thumb')) return;
    const p = document.createElement('p');
    p.className = 'noimg';
    p.textContent = img.dataset.why || 'no preview';
    img.closest('button.thumb').replaceWith(p);
  }, true);

  // -- the preview dialog: focus moves in, stays in, and returns to the button that opened it ------
  const dialog = $('preview');
  let opener = null;
  function focusables() {
    return Array.from(dialog.querySelectorAll('button, [href], textarea, input, select, [tabindex]:not([tabindex="-1"])'))
      .filter((el) => !el.disabled && !el.hidden && el.getClientRects().length);
  }
  function openPreview(button) {
    const li = button.closest('li.row');
    opener = button;
    const img = $('preview-img');
    const text = app ? li.querySelector('textarea')?.value : li.querySelector('.text')?.textContent;
    $('preview-title').textContent = li.querySelector('h2').textContent;
    $('preview-text').textContent = text ? `Alt text: ${text}` : 'No alt text yet.';
    img.alt = text ? `Full size: ${text}` : 'Full-size picture (no alt text yet)';
    img.src = button.dataset.full || button.querySelector('img').src;
    const figure = $('preview-slide');
    const slide = $('preview-slide-img');
    figure.hidden = true;
    slide.removeAttribute('src');
    if (button.dataset.slide) {
      slide.alt = `${button.dataset.slideLabel}, the whole slide as rendered`;
      slide.src = button.dataset.slide;
    }
    dialog.showModal();
    $('preview-close').focus();
  }
  dialog.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Tab') return;
    const f = focusables();
    if (!f.length) return;
    const first = f[0];
    const last = f[f.length - 1];
    if (ev.shiftKey && document.activeElement === first) { ev.preventDefault(); last.focus(); }
    else if (!ev.shiftKey && document.activeElement === last) { ev.preventDefault(); first.focus(); }
  });
  $('preview-slide-img').addEventListener('load', () => { $('preview-slide').hidden = false; });
  dialog.addEventListener('close', () => {
    $('preview-img').removeAttribute('src');
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  });
  dialog.addEventListener('click', (ev) => { if (ev.target === dialog) dialog.close(); });   // the backdrop
  $('preview-close').addEventListener('click', () => dialog.close());

  list.addEventListener('click', (ev) => {
    const thumb = ev.target.closest('button.thumb');
    if (thumb) { openPreview(thumb); return; }
    const act = ev.target.closest('button[data-act]');
    if (act && app) decide(act);
  });

  // -- the app: decisions --------------------------------------------------------------------------
  async function call(method, path, payload) {
    const opts = { method, headers: { 'X-Altdeck-Token': token }, credentials: 'same-origin', cache: 'no-store' };
    if (payload !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(payload);
    }
    try {
      const r = await fetch(path, opts);
      const data = await r.json().catch(() => ({ ok: false, message: `the app answered ${r.status}` }));
      return data;
    } catch (e) {
      return { ok: false, message: 'the review app does not answer (was it stopped?); start it again with altdeck review --serve' };
    }
  }

  function counter(li) {
    const ta = li.querySelector('textarea');
    const c = li.querySelector('.counter');
    if (!ta || !c) return;
    const n = ta.value.trim().replace(/\s+/g, ' ').length;
    c.textContent = `${n} of ${maxChars} characters` + (n > maxChars ? ' (over the limit)' : '');
    c.classList.toggle('over', n > maxChars);
  }

  const lintTimers = new Map();
  function lint(li) {
    clearTimeout(lintTimers.get(li));
    lintTimers.set(li, setTimeout(async () => {
      const ta = li.querySelector('textarea');
      const q = new URLSearchParams({ uid: li.dataset.uid, text: ta.value });
      const data = await call('GET', `api/lint?${q}`);
      if (!data.ok || ta.value !== data.text) return;
      const ul = li.querySelector('.warnings');
      ul.replaceChildren(...data.warnings.map((w) => Object.assign(document.createElement('li'), { textContent: w })));
    }, 250));
  }

  list.addEventListener('input', (ev) => {
    if (!(ev.target instanceof HTMLTextAreaElement)) return;
    const li = ev.target.closest('li.row');
    counter(li);
    lint(li);
  });
  list.addEventListener('keydown', (ev) => {           // Ctrl+Enter in a text field saves it
    if (ev.target instanceof HTMLTextAreaElement && ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      decide(ev.target.closest('li.row').querySelector('button[data-act="save"]'));
    }
  });

  function rowMessage(li, text, bad) {
    const m = li.querySelector('.msg');
    if (m) { m.textContent = text; m.classList.toggle('bad', !!bad); }
  }

  async function decide(button) {
    const li = button.closest('li.row');
    const act = button.dataset.act;
    const payload = { uid: li.dataset.uid, base: li.dataset.base };
    if (act === 'save') {
      payload.text = li.querySelector('textarea').value;
      if (!payload.text.trim()) {
        rowMessage(li, 'The text is empty: write one, or use Mark decorative.', true);
        say('Not saved: the text is empty.', true);
        return;
      }
    }
    const data = await call('POST', `api/${act}`, payload);
    refresh(data, act === 'save' && !data.ok ? new Set([li.dataset.uid]) : new Set());
    rowMessage(li, data.message || '', !data.ok);
    say(data.message || '', !data.ok);
  }

  // -- the app: waiving a finding (a row's, or a deck's) -------------------------------------------
  async function waive(button) {
    const id = button.dataset.waive;
    const item = $(id);
    const li = button.closest('li.row');
    const field = $(`wr-${id}`);
    let next = item.nextElementSibling;                 // where the focus goes once the finding is gone
    while (next && !next.querySelector('button[data-waive]')) next = next.nextElementSibling;
    const nextId = next ? next.id : null;
    const deck = button.closest('details[data-deck]')?.dataset.deck;
    const data = await call('POST', 'api/waive', { finding: id, reason: field ? field.value : '' });
    refresh(data, new Set());
    if (li) rowMessage(li, data.message || '', !data.ok);
    say(data.message || '', !data.ok);
    if (!data.ok || $(id)) return;
    const target = (nextId && $(nextId)?.querySelector('button[data-waive]'))
      || (deck && Array.from(document.querySelectorAll('#deck-findings details[data-deck]'))
        .find((d) => d.dataset.deck === deck)?.querySelector('summary'))
      || (li && li.querySelector('.facts summary'))
      || $('findings-h') || list;
    target.focus();
  }

  if (app) {
    document.addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-waive]');
      if (b) waive(b);
    });
    document.addEventListener('keydown', (ev) => {      // Enter in a reason field waives its finding
      if (ev.key === 'Enter' && ev.target.classList?.contains('waive-reason')) {
        ev.preventDefault();
        ev.target.closest('.waive').querySelector('button[data-waive]').click();
      }
    });
    $('accept-all').addEventListener('click', async () => {
      const chosen = {};
      for (const li of rows()) {
        const b = li.querySelector('button[data-act="accept"]');
        if (!li.hidden && b && !b.hidden) chosen[li.dataset.uid] = li.dataset.base;
      }
      if (!Object.keys(chosen).length) {
        say('No object shown has a model\'s text to accept.', true);
        return;
      }
      const data = await call('POST', 'api/accept-all', { rows: chosen });
      refresh(data, new Set());
      say(data.message || '', !data.ok);
    });
  }

  // -- updating rows from the server's HTML, keeping focus and unsaved typing --------------------------
  function fromHTML(html) {
    const t = document.createElement('template');
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }

  // reasons typed for waivers not given yet survive the server's new HTML
  const reasonsIn = (el) => new Map(Array.from(el.querySelectorAll('input.waive-reason')).map((i) => [i.id, i.value]));
  function restoreReasons(el, kept) {
    for (const i of el.querySelectorAll('input.waive-reason')) if (kept.has(i.id)) i.value = kept.get(i.id);
  }

  function updateRow(li, fresh, keepText) {
    for (const k of ['status', 'source', 'decks', 'search', 'places', 'base', 'key']) li.dataset[k] = fresh.dataset[k];
    li.className = fresh.className;
    const facts = li.querySelector('.facts');
    const newFacts = fresh.querySelector('.facts');
    const wasOpen = facts.querySelector('details')?.open;
    const hadFocus = facts.contains(document.activeElement);
    if (wasOpen) newFacts.querySelector('details')?.setAttribute('open', '');
    restoreReasons(newFacts, reasonsIn(facts));
    facts.replaceWith(newFacts);
    if (hadFocus) newFacts.querySelector('summary')?.focus();
    const ta = li.querySelector('textarea');
    const newTa = fresh.querySelector('textarea');
    if (ta && newTa) {
      const dirty = ta.value !== ta.dataset.saved;
      ta.dataset.saved = newTa.dataset.saved;
      if (!keepText && !dirty) ta.value = newTa.value;
      else if (!keepText && dirty && ta.value.trim().replace(/\s+/g, ' ') === newTa.value) ta.value = newTa.value;
      li.querySelector('.warnings').replaceWith(fresh.querySelector('.warnings'));
      counter(li);
      for (const b of li.querySelectorAll('button[data-act]')) {
        const nb = fresh.querySelector(`button[data-act="${b.dataset.act}"]`);
        b.hidden = !nb || nb.hidden;
        if (nb && nb.dataset.model !== undefined) b.dataset.model = nb.dataset.model;
      }
    }
  }

  function refresh(data, keepText) {
    if (data.rows) {
      let unknown = 0;
      for (const [uid, html] of Object.entries(data.rows)) {
        const li = $(`r-${uid}`);
        if (li) updateRow(li, fromHTML(html), keepText.has(uid));
        else unknown += 1;
      }
      if (unknown) say(`${unknown} new object(s) appeared since this page was loaded: reload the page to see them.`);
    }
    if (data.totals !== undefined) $('totals-body').innerHTML = data.totals;
    if (data.scores !== undefined) $('scores').innerHTML = data.scores;
    if (data.deck_findings !== undefined) {             // keeping open the decks that were open
      const open = new Set(Array.from($('deck-findings').querySelectorAll('details[open]')).map((d) => d.dataset.deck));
      const typed = reasonsIn($('deck-findings'));
      $('deck-findings').innerHTML = data.deck_findings;
      restoreReasons($('deck-findings'), typed);
      for (const d of $('deck-findings').querySelectorAll('details[data-deck]')) if (open.has(d.dataset.deck)) d.open = true;
    }
    if (data.status_options) {
      data.status_options.forEach(([value, label]) => {
        const o = Array.from(filters.status.options).find((x) => x.value === value);
        if (o) o.textContent = label;
      });
    }
    if (data.sources) {
      const keep = filters.source.value;
      const opts = [['', 'All sources'], ...data.sources.map((s) => [s, s])];
      filters.source.replaceChildren(...opts.map(([v, l]) => Object.assign(document.createElement('option'), { value: v, textContent: l })));
      filters.source.value = opts.some(([v]) => v === keep) ? keep : '';
    }
    const shown = rows().filter((li) => !li.hidden).length;
    $('shown').textContent = `${shown} of ${rows().length} objects shown`;
  }

  // -- the rebuild ----------------------------------------------------------------------------------
  let build = { id: null, seen: 0 };
  let polling = false;
  async function pollBuild(announce) {       // announce: say how it ended and refresh the rows
    if (polling) return;
    polling = true;
    const start = $('build-start');
    const log = $('build-log');
    try {
      for (;;) {
        const data = await call('GET', `api/build?from=${build.seen}`);
        if (!data.ok) { say(data.message, true); break; }
        if (data.id !== build.id) {          // another build than the one shown: start its log afresh
          build = { id: data.id, seen: 0 };
          log.textContent = '';
          continue;
        }
        if (data.lines.length) {
          log.textContent += data.lines.join('\n') + '\n';
          log.scrollTop = log.scrollHeight;
          build.seen += data.lines.length;
        }
        start.setAttribute('aria-disabled', data.running ? 'true' : 'false');
        if (data.running) announce = true;
        if (!data.running) {
          if (announce && data.exit !== null && data.exit !== undefined) {
            refresh(await call('GET', 'api/rows'), new Set());
            say(data.exit === 0 ? 'Rebuild finished: every deck is built.'
              : `Rebuild ended with exit code ${data.exit}: see the build progress.`, data.exit !== 0);
          }
          break;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      polling = false;
    }
  }

  if (app) {
    $('build-start').addEventListener('click', async (ev) => {
      if (ev.currentTarget.getAttribute('aria-disabled') === 'true') {
        say('A rebuild is already running.', true);
        return;
      }
      const data = await call('POST', 'api/build', {});
      say(data.message || '', !data.ok);
      if (data.ok) pollBuild(true);
    });
  }

  // -- start --------------------------------------------------------------------------------------------
  readAddress();
  sortRows();
  applyFilters();
  if (app) pollBuild(false);
  body.dataset.ready = '1';
  performance.mark('altdeck-ready');                  // benchmarks/review_app.py: the page is usable
})();
