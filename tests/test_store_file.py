"""The committed alt-text file and its journal: precedence, human edits, crash recovery, reuse across decks.

Doit-level behaviour runs real `doit` subprocesses with the offline describer
and pre-seeded entries; model reuse across decks uses build_deck directly
with a counting in-test describer (a real model backend is issue 3's).
"""
import json
import subprocess

import pytest
# doit's run command binds the sys.stdout of its first import as its default output: not first
# imported inside a test whose captured stream is closed after it
from doit.cmd_base import ModuleTaskLoader
from doit.doit_cmd import DoitMain
from pptx import Presentation

from altdeck import config
from altdeck.store import altfile
from altdeck.store.altfile import Entry
from altdeck.build import build_deck
from altdeck.store.reports import file_sha256
from altdeck.store.journal import Store
from decks import add_picture, cnvprs, png
from runs import CountingDescriber, events, logs, run_doit
OFFLINE_SIG = json.dumps({"offline": {"source": "offline"}}, sort_keys=True)


def doit(course, *args, check=True):
    r = run_doit(course, *args, timeout=300)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def make_deck(path, seeds, title="Lecture"):
    """One slide per picture seed (picture without alt text), titled `title N`."""
    prs = Presentation()
    ids = []
    for i, seed in enumerate(seeds, 1):
        s = prs.slides.add_slide(prs.slide_layouts[5])
        s.shapes.title.text = f"{title} {i}"
        ids.append(add_picture(s, png(seed)).shape_id)
    prs.save(path)
    return ids


def sha(seed):
    import hashlib
    return hashlib.sha256(png(seed)).hexdigest()


def course(tmp_path, backend="offline"):
    (tmp_path / "config.yaml").write_text(f"describer:\n  backend: {backend}\n")
    return tmp_path


def descr(deck, slide=1):
    """{shape id: descr} of the built copy's slide."""
    return {k: v.get("descr") for k, v in cnvprs(deck, slide).items()}


def model_entry(text, source="ollama:llava", sig='{"vision": {"model": "llava"}}'):
    return Entry(text, source, altfile.signature_digest(sig))


# --- the file itself -----------------------------------------------------------------------------

def test_file_round_trips_sorted_and_one_field_a_line(tmp_path):
    path = tmp_path / "alt-text.yaml"
    entries = {"bb" * 32: model_entry("A bar chart: sales rise"), "aa" * 32: Entry("ACME logo", "human", reviewed=True)}
    altfile.write(path, entries)
    text = path.read_text()
    assert text.index("aa" * 32) < text.index("bb" * 32)
    assert "    text: ACME logo\n    source: human\n    reviewed: true\n" in text
    back = altfile.read(path)
    assert back["bb" * 32].source == "ollama:llava" and not back["bb" * 32].protected
    assert back["aa" * 32].protected


def test_editing_machine_text_in_the_file_makes_it_human(tmp_path):
    path = tmp_path / "alt-text.yaml"
    altfile.write(path, {"cc" * 32: model_entry("A dog on grass")})
    path.write_text(path.read_text().replace("A dog on grass", "A golden retriever on a lawn"))
    e = altfile.read(path)["cc" * 32]
    assert (e.text, e.source) == ("A golden retriever on a lawn", "human")
    assert e.usable_for(json.dumps({"vision": {"model": "another"}}))   # no model may replace it


def test_bad_file_is_one_line_error(tmp_path):
    path = tmp_path / "alt-text.yaml"
    path.write_text("images:\n  abc: {text: ''}\n")
    with pytest.raises(altfile.AltFileError, match=r"alt-text.yaml: entry abc… needs a non-empty `text:`"):
        altfile.read(path)


# --- journal and precedence ----------------------------------------------------------------------

def test_journal_rows_left_by_a_killed_run_are_folded_by_the_next_run(tmp_path):
    c = course(tmp_path)
    s = Store(c / ".altdeck/alt-text.sqlite", c / "alt-text.yaml")
    s.put("dd" * 32, model_entry("A red square"))
    s._db.close()                         # like kill -9: no fold at the end
    assert "dd" * 32 not in altfile.read(c / "alt-text.yaml")
    doit(c)                               # a run, even with no deck to build, folds what it finds
    assert altfile.read(c / "alt-text.yaml")["dd" * 32].text == "A red square"


def test_a_run_folds_answers_into_the_file_once_at_its_end_not_after_every_deck(tmp_path):
    import time
    from modelserver import ModelServer
    from runs import doit_cmd
    with ModelServer(delay_s=0.4) as srv:
        c = course(tmp_path)
        (c / "config.yaml").write_text(f"describer:\n  backend: ollama\n  url: {srv.url}\n  model: llava\n")
        for i in range(4):
            make_deck(c / f"d{i}.pptx", [300 + i])
        p = subprocess.Popen(doit_cmd(c), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        reports = c / "build" / "reports"
        deadline = time.monotonic() + 120
        while len(list(reports.glob("*.json"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert p.poll() is None, "the run ended before two decks were built"
        assert not (c / "alt-text.yaml").exists()             # answers wait in the journal ...
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    entries = altfile.read(c / "alt-text.yaml")               # ... and join the file when the run ends
    assert {h: entries[h].seen for h in map(sha, range(300, 304))} == {sha(300 + i): f"d{i}.pptx:1"
                                                                       for i in range(4)}


def test_machine_text_never_replaces_human_text(tmp_path):
    path = tmp_path / "alt-text.yaml"
    altfile.write(path, {"ee" * 32: Entry("Campus map, main entrance marked", "human")})
    s = Store(tmp_path / ".altdeck/alt-text.sqlite", path)
    s.put("ee" * 32, model_entry("A map"))
    s.close()
    e = altfile.read(path)["ee" * 32]
    assert (e.text, e.source) == ("Campus map, main entrance marked", "human")


def test_fold_merges_in_sqlite_with_the_file_precedence_and_writes_what_a_fresh_reader_sees(tmp_path):
    path = tmp_path / "alt-text.yaml"
    old = model_entry("An old answer")
    altfile.write(path, {"a1" * 32: old, "c3" * 32: Entry("A reviewed answer", "ollama:llava", old.signature, True),
                         "e5" * 32: Entry("Known logo", "human", seen="intro.pptx:2")})
    s = Store(tmp_path / ".altdeck/alt-text.sqlite", path)
    s.put("a1" * 32, model_entry("A newer answer"))                 # newer machine text wins over machine text
    s.put("b2" * 32, model_entry("A machine guess"))
    s.put("c3" * 32, Entry("A person's correction", "human"))        # a person's text wins over reviewed text
    s.put("d4" * 32, model_entry("A new picture"))
    s.note_seen({"d4" * 32: "week2.pptx:7", "e5" * 32: "week9.pptx:1"})
    # meanwhile a person writes their own text for b2 into the file, before the run folds
    path.write_text(path.read_text().replace("objects:\n", "objects:\n  " + "b2" * 32 + ":\n    text: Their text\n"))
    s.close()
    got = {h: (e.text, e.source, e.seen) for h, e in altfile.read(path).items()}
    assert got == {"a1" * 32: ("A newer answer", "ollama:llava", ""),
                   "b2" * 32: ("Their text", "human", ""),
                   "c3" * 32: ("A person's correction", "human", ""),
                   "d4" * 32: ("A new picture", "ollama:llava", "week2.pptx:7"),
                   "e5" * 32: ("Known logo", "human", "intro.pptx:2")}          # a first sighting stays
    # the store's copy is the file, without reading it back: a fresh store parsing the file agrees
    kept = Store(tmp_path / ".altdeck/alt-text.sqlite", path)
    fresh = Store(tmp_path / "other.sqlite", path)
    assert kept.committed_entries() == fresh.committed_entries() and len(fresh.committed_entries()) == 5
    before = path.stat().st_mtime_ns
    kept.note_seen({"d4" * 32: "elsewhere.pptx:1"})                  # nothing new for the file
    kept.close()
    fresh.close()
    assert path.stat().st_mtime_ns == before and "elsewhere" not in path.read_text()


def test_up_to_date_checks_read_two_columns_of_the_current_copy_and_judge_the_rest_in_full(tmp_path, monkeypatch):
    """A no-op run compares each deck's texts with the store's copy of the file (journal.current_texts:
    read-only, no lock, no Entry objects); only the copy of the file as it is now counts, and anything
    that differs is judged by _disagrees on the full entry, as before."""
    from altdeck.store import freshness, journal
    c = course(tmp_path)
    cfg = config.load(c)
    logo, photo, deco = "a1" * 32, "b2" * 32, "c3" * 32
    altfile.write(c / "alt-text.yaml", {logo: Entry("Crest", "human"), photo: model_entry("A photo"),
                                        deco: Entry("", "auto", decorative=True, reason="repeated logo")})
    assert journal.current_texts(cfg) is None                  # no copy yet
    Store.for_course(cfg).close(fold=False)
    assert journal.current_texts(cfg) == {logo: ("Crest", False), photo: ("A photo", False), deco: ("", True)}

    view = freshness.StoreView(cfg)
    full = []
    entries = freshness.StoreView.entries
    monkeypatch.setattr(freshness.StoreView, "entries", lambda self: full.append(1) or entries(self))
    assert view.agrees({logo: "Crest"}, OFFLINE_SIG, "") is True
    assert view.agrees({deco: freshness.DECORATIVE, "d4" * 32: "Pending"}, OFFLINE_SIG, "") is True
    assert not full                                            # agreed from the two columns alone
    assert view.agrees({logo: "Old crest"}, OFFLINE_SIG, "") is False        # a person's new text
    assert view.agrees({"d4" * 32: freshness.DECORATIVE}, OFFLINE_SIG, "") is False   # decision deleted
    assert full

    store = c / "alt-text.yaml"                                # a person saves the file: the copy is old
    store.write_text(store.read_text().replace("Crest", "Crest of Leeds"))
    assert journal.current_texts(cfg) is None
    assert freshness.StoreView(cfg).agrees({logo: "Crest"}, OFFLINE_SIG, "") is False   # the Store reads it


def test_a_run_that_built_nothing_folds_only_when_the_journal_holds_answers(tmp_path, monkeypatch):
    """The end-of-run fold opens the store under its lock; a no-op run skips it when the journal is
    empty, and still folds answers an earlier fold could not write (a person had broken the file).
    Nor does a pending picture (no entry in the file) make the up-to-date check open the store."""
    from altdeck import tasks
    c = course(tmp_path)
    make_deck(c / "a.pptx", [60])
    doit(c)
    opened = []
    init = Store.__init__
    monkeypatch.setattr(Store, "__init__", lambda self, *a, **k: opened.append(1) or init(self, *a, **k))
    monkeypatch.chdir(c)
    dodo = {name: getattr(tasks, name) for name in tasks.__all__}
    assert DoitMain(ModuleTaskLoader(dodo)).run([]) == 0
    assert opened == []                                          # nothing built, nothing to fold

    cfg = config.load(c)
    s = Store.for_course(cfg)                                    # an answer a failed fold left behind
    s.put("f6" * 32, model_entry("A late answer"))
    s.close(fold=False)
    assert not (c / "alt-text.yaml").exists()                   # (the offline build stored nothing)
    assert DoitMain(ModuleTaskLoader(dodo)).run([]) == 0
    assert altfile.read(c / "alt-text.yaml")["f6" * 32].text == "A late answer"


def test_after_a_clone_one_run_hashes_each_deck_and_the_next_runs_hash_none(tmp_path, monkeypatch):
    """A clone (or a touch) gives every deck a new mtime over the same bytes. doit never refreshes
    an up-to-date task's state, so every later no-op run hashed every deck again (doit's md5 and
    altdeck's sha256); the first run after the clone now records the new stats."""
    import hashlib as hashlib_module
    import os
    from doit import dependency
    from altdeck import tasks
    from altdeck.store import reports
    c = course(tmp_path)
    for i, name in enumerate(("a", "b", "c")):
        make_deck(c / f"{name}.pptx", [70 + i])
    doit(c)
    for name in "abc":                                  # "cloned": same bytes, new mtimes
        p = c / f"{name}.pptx"
        os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 5_000_000_000))
    hashed = {"md5": 0, "sha256": 0}
    md5, sha = dependency.get_file_md5, reports.file_sha256
    monkeypatch.setattr(dependency, "get_file_md5", lambda p: hashed.__setitem__("md5", hashed["md5"] + 1) or md5(p))
    monkeypatch.setattr(reports, "file_sha256", lambda p: hashed.__setitem__("sha256", hashed["sha256"] + 1) or sha(p))
    monkeypatch.chdir(c)
    dodo = {name: getattr(tasks, name) for name in tasks.__all__}

    def no_op():
        hashed.update(md5=0, sha256=0)
        assert DoitMain(ModuleTaskLoader(dodo)).run([]) == 0
        end = events(logs(c)[-1], "batch_end")[0]
        assert (end["built"], end["up_to_date"]) == (0, 3), end
        return dict(hashed)
    assert no_op() == {"md5": 3, "sha256": 3}            # the clone's first run checks each deck's bytes
    assert no_op() == {"md5": 0, "sha256": 0}            # and records them: the next runs trust the stat
    assert no_op() == {"md5": 0, "sha256": 0}

    deck = c / "b.pptx"                                  # a change of the same size is still seen: here
    data = bytearray(deck.read_bytes())                  # the first zip entry's local-header time
    data[10] ^= 0x01
    deck.write_bytes(bytes(data))
    r = doit(c)
    assert [x.split()[1] for x in r.stdout.splitlines() if x.startswith("built")] == ["b.pptx"]
    assert hashlib_module.sha256(deck.read_bytes()).hexdigest() == \
        json.loads((c / "build/reports/b.pptx.json").read_text())["deck_sha256"]


def test_the_same_file_under_a_new_stamp_is_not_parsed_again_and_a_changed_one_always_is(tmp_path, monkeypatch):
    """A fresh clone gives alt-text.yaml a new inode and mtime over the same bytes: the store's copy
    was parsed again on the clone's first run (86 ms of its 1,000 entries). Its digest tells the same
    bytes now; any other bytes, including the file a fold wrote and then an older version restored,
    are parsed."""
    import os
    import shutil
    path = tmp_path / "alt-text.yaml"
    a, b = "a1" * 32, "b2" * 32
    altfile.write(path, {a: Entry("Crest", "human")})
    Store(tmp_path / ".altdeck/alt-text.sqlite", path).close(fold=False)
    parsed = []
    read_all = altfile.read_all
    monkeypatch.setattr(altfile, "read_all", lambda p: parsed.append(1) or read_all(p))

    def store_texts():
        s = Store(tmp_path / ".altdeck/alt-text.sqlite", path)
        try:
            return {k: e.text for k, e in s.committed_entries().items()}
        finally:
            s.close(fold=False)
    original = path.read_bytes()
    shutil.copyfile(path, tmp_path / "copy")
    os.replace(tmp_path / "copy", path)                   # "cloned": new inode, new mtime, same bytes
    assert store_texts() == {a: "Crest"} and parsed == []

    assert original == path.read_bytes()
    path.write_text(path.read_text().replace("Crest", "Crest of Leeds"))      # other bytes: parsed
    assert store_texts() == {a: "Crest of Leeds"} and len(parsed) == 1
    leeds = path.read_bytes()

    s = Store(tmp_path / ".altdeck/alt-text.sqlite", path)                   # a fold writes the file
    s.put(b, model_entry("A photo"))
    s.close()
    assert set(store_texts()) == {a, b} and len(parsed) == 1
    path.write_bytes(leeds)                               # the version before the fold, restored (git checkout):
    assert store_texts() == {a: "Crest of Leeds"} and len(parsed) == 2       # not the bytes the copy holds


def test_five_decks_sharing_a_logo_send_it_to_the_model_once(tmp_path):
    cfg = config.load(course(tmp_path))
    for i in range(5):
        make_deck(tmp_path / f"d{i}.pptx", [99, 10 + i])
    counting = CountingDescriber(lambda s, n: "ACME logo" if s.image_bytes() == png(99) else "A coloured block")
    for i in range(5):
        store = Store.for_course(cfg)
        build_deck(cfg, f"d{i}.pptx", counting, store)
        store.close()
    assert counting.images.count(png(99)) == 1
    assert len(counting.seen) == 6                      # the logo once, each deck's own picture once
    for i in range(5):
        assert "ACME logo" in descr(tmp_path / f"build/accessible/d{i}.pptx").values()
    assert altfile.read(tmp_path / "alt-text.yaml")[sha(99)].source == "test-model"


# --- real doit runs ------------------------------------------------------------------------------

def test_human_edit_rebuilds_only_the_decks_showing_that_image(tmp_path):
    c = course(tmp_path)
    ids_a = make_deck(c / "a.pptx", [50, 51])
    make_deck(c / "b.pptx", [52, 50])
    make_deck(c / "c.pptx", [53])
    r = doit(c)
    assert r.stdout.count("built ") == 3
    reports = {d: c / f"build/reports/{d}.pptx.json" for d in "abc"}
    before = {d: p.stat().st_mtime_ns for d, p in reports.items()}
    assert doit(c).stdout.count("built ") == 0          # nothing changed: nothing runs

    r = doit(c, "alt", "--hash", sha(50)[:10], "--text", "University crest")
    assert "University crest" in r.stdout
    r = doit(c)
    assert sorted(line.split()[1] for line in r.stdout.splitlines() if line.startswith("built")) == ["a.pptx", "b.pptx"]
    assert reports["c"].stat().st_mtime_ns == before["c"]
    assert descr(c / "build/accessible/a.pptx")[str(ids_a[0])] == "University crest"
    assert "University crest" in descr(c / "build/accessible/b.pptx", 2).values()
    report_a = json.loads(reports["a"].read_text())
    crest = next(o for o in report_a["objects"] if o["image"] == sha(50))
    assert (crest["decision"], crest["source"]) == ("described", "human")

    # a person edits the file directly: same result, only a and b
    store = c / "alt-text.yaml"
    store.write_text(store.read_text().replace("University crest", "Crest of the University of Leeds"))
    r = doit(c)
    assert sorted(line.split()[1] for line in r.stdout.splitlines() if line.startswith("built")) == ["a.pptx", "b.pptx"]
    assert descr(c / "build/accessible/a.pptx")[str(ids_a[0])] == "Crest of the University of Leeds"
    assert doit(c).stdout.count("built ") == 0
    assert altfile.read(store)[sha(50)].seen == "a.pptx:1"


def test_offline_run_keeps_and_uses_model_text(tmp_path):
    c = course(tmp_path)
    make_deck(c / "a.pptx", [60])
    altfile.write(c / "alt-text.yaml", {sha(60): model_entry("Bar chart of enrolment by year")})
    doit(c)
    assert "Bar chart of enrolment by year" in descr(c / "build/accessible/a.pptx").values()
    e = altfile.read(c / "alt-text.yaml")[sha(60)]
    assert (e.text, e.source, e.reviewed) == ("Bar chart of enrolment by year", "ollama:llava", False)


def test_check_lists_gaps_and_passes_once_filled(tmp_path):
    c = course(tmp_path)
    make_deck(c / "a.pptx", [70, 71])
    make_deck(c / "b.pptx", [71])
    r = doit(c, "check", check=False)
    assert r.returncode != 0
    assert "a.pptx: (deck) — not built yet (no report); run altdeck" in r.stdout
    doit(c)
    r = doit(c, "check", check=False)
    assert r.returncode != 0
    gaps = [line for line in r.stdout.splitlines() if " — " in line]
    assert len(gaps) == 3
    assert gaps[0].startswith("a.pptx:1: Picture 2 — error alt-missing: picture has no alt text:")
    assert gaps[2].startswith("b.pptx:1: Picture 2 — error alt-missing: picture has no alt text:")
    assert "FAILED check: 3 error(s) in 2 of 2 deck(s)" in r.stderr

    doit(c, "alt", "--hash", sha(70)[:8], "--text", "Lab bench with burettes")
    r = doit(c, "check", check=False)          # stored but not built yet: the deck needs a rebuild
    assert "a.pptx:1: Picture 2 — its text changed in alt-text.yaml; run altdeck" in r.stdout
    altfile.write(c / "alt-text.yaml", {**altfile.read(c / "alt-text.yaml"), sha(71): model_entry("A pipette")})
    doit(c)
    r = doit(c, "check")
    assert "check: all 2 deck(s) pass (alt text on every object, no errors)" in r.stdout

    r = doit(c, "check", "--strict", check=False)
    assert r.returncode != 0
    assert f"b.pptx:1: Picture 2 — text by ollama:llava not reviewed (altdeck alt --key {sha(71)[:12]} --reviewed)" \
        in r.stdout
    doit(c, "alt", "--hash", sha(71)[:12], "--reviewed")
    assert doit(c).stdout.count("built ") == 0   # reviewing changes no text: nothing rebuilds
    doit(c, "check", "--strict")
    (c / "config.yaml").write_text("describer:\n  backend: offline\ncheck:\n  strict: true\n")
    doit(c, "check")

    with open(c / "b.pptx", "ab") as f:          # a deck changed since its build is a gap, not silently passed
        f.write(b"\0")
    r = doit(c, "check", check=False)
    assert "b.pptx: (deck) — changed since its last build; run altdeck" in r.stdout


def test_check_refuses_what_a_clean_clone_would_not_reproduce(tmp_path):
    """Model text the alt-text file lacks, or reports built with another existing_alt: a fresh clone
    built offline would differ, so the check says to run altdeck instead of passing."""
    from modelserver import ModelServer
    with ModelServer() as srv:
        c = tmp_path / "course"
        c.mkdir()
        (c / "config.yaml").write_text(f"describer:\n  backend: ollama\n  url: {srv.url}\n  model: llava\n")
        make_deck(c / "a.pptx", [75])
        doit(c)
    doit(c, "check")
    (c / "alt-text.yaml").unlink()                # as if the build had been stopped before saving its answers
    r = doit(c, "check", check=False)
    assert r.returncode == 1 and r.stdout.startswith(
        "a.pptx:1: Picture 2 — its text by ollama:llava is not in alt-text.yaml (a build was stopped before "
        "saving it); run altdeck")
    (c / "config.yaml").write_text("describer:\n  backend: offline\nexisting_alt: replace_all\n")
    r = doit(c, "check", check=False)
    assert "a.pptx: (deck) — built with existing_alt: replace_placeholder, config.yaml now says replace_all; " \
        "run altdeck" in r.stdout


def test_report_records_the_deck_hash(tmp_path):
    c = course(tmp_path)
    make_deck(c / "a.pptx", [80])
    doit(c)
    assert json.loads((c / "build/reports/a.pptx.json").read_text())["deck_sha256"] == file_sha256(c / "a.pptx")


# --- with a model server (tests/modelserver.py: a real HTTP server with canned answers) ---------

def test_with_a_model_five_decks_sharing_a_logo_send_it_once_and_a_human_edit_sends_nothing(tmp_path):
    from modelserver import ModelServer
    with ModelServer() as srv:
        c = tmp_path / "course"
        c.mkdir()
        (c / "config.yaml").write_text(f"describer:\n  backend: ollama\n  url: {srv.url}\n  model: llava\n"
                                       "  timeout_s: 10\n")
        for i in range(5):
            make_deck(c / f"d{i}.pptx", [99, 200 + i])          # the logo, and a picture of its own
        first = doit(c, "-n", "2")
        assert len(first.built()) == 5
        sent = [h for r in srv.chats() for h in r["image_hashes"]]
        assert len(sent) == len(set(sent)) == 6                  # the logo once, each deck's picture once
        logo_text = descr(c / "build/accessible/d0.pptx")
        assert all(descr(c / f"build/accessible/d{i}.pptx", 1) == logo_text for i in range(5))

        requests = len(srv.chats())
        doit(c, "alt", "--hash", sha(200)[:12], "--text", "Map of the campus with the library marked")
        again = doit(c)
        assert again.built() == {"d0.pptx"}                      # only the deck showing that image
        assert len(srv.chats()) == requests                      # and no model request
        assert "Map of the campus with the library marked" in descr(c / "build/accessible/d0.pptx", 2).values()


@pytest.mark.parametrize("text", ["Yes", "no", "A chart: sales", "Map #2", "deck.pptx:3", "null", "- dash",
                                  "'quoted'", "Café au lait", "12:30", "True", "ends with colon:", "On",
                                  "3 apples", "Hello\nworld", "It's a dog's life", "Bar chart, 3 series."])
def test_texts_that_look_like_yaml_survive_the_file(tmp_path, text):
    path = tmp_path / "alt-text.yaml"
    altfile.write(path, {"ab" * 32: model_entry(text)})
    back = altfile.read(path)["ab" * 32]
    assert (back.text, back.source) == (text, "ollama:llava")     # and the check still matches


def test_a_version_1_file_is_read_and_written_back_as_version_2(tmp_path):
    path = tmp_path / "alt-text.yaml"
    path.write_text("version: 1\nimages:\n  " + "ab" * 32 + ":\n    text: ACME logo\n    source: human\n")
    [(key, e)] = altfile.read(path).items()
    assert (key, e.text, e.source, e.decorative) == ("ab" * 32, "ACME logo", "human", False)
    altfile.write(path, altfile.read(path))
    text = path.read_text()
    assert "version: 2\nobjects:\n" in text and "images:" not in text
    assert altfile.read(path) == {"ab" * 32: e}


def test_decorative_entries_reasons_and_waivers_round_trip_and_a_hand_edit_makes_them_human(tmp_path):
    path = tmp_path / "alt-text.yaml"
    auto = Entry("", "auto", altfile.signature_digest('{"auto": 1}'), decorative=True,
                 reason="the same picture on 9 of 12 slides")
    waived = Entry("Bar chart of sales", "human", waive=("alt-long", "alt-redundant"))
    altfile.write(path, {"cd" * 32: auto, "chart-0123abcd": waived})
    back = altfile.read(path)
    assert back == {"cd" * 32: auto, "chart-0123abcd": waived}
    assert "    decorative: true\n    reason: the same picture on 9 of 12 slides\n" in path.read_text()
    assert "waive: [alt-long, alt-redundant]" in path.read_text()
    # a person turns the automatic decision off by hand: the entry is theirs (never undone by altdeck)
    path.write_text(path.read_text().replace("    decorative: true\n", "    text: Our university's logo\n", 1))
    mine = altfile.read(path)["cd" * 32]
    assert (mine.text, mine.source, mine.decorative) == ("Our university's logo", "human", False)
    path.write_text("version: 2\nobjects:\n  x-1:\n    source: human\n")
    with pytest.raises(altfile.AltFileError, match=r"needs a non-empty `text:` \(or `decorative: true`\)"):
        altfile.read(path)


def test_answers_a_killed_altdeck_0_1_left_in_its_journal_are_taken_over(tmp_path):
    import sqlite3
    c = course(tmp_path)
    (c / ".altdeck").mkdir()
    old = sqlite3.connect(c / ".altdeck" / "images.sqlite")
    old.execute("create table journal (hash text primary key, text text not null, source text not null, "
                "signature text not null, reviewed integer not null default 0, seen text not null default '', "
                "updated real not null)")
    old.execute("insert into journal values (?, 'A red square', 'ollama:llava', 'abc', 0, '', 0)", ("ee" * 32,))
    old.commit()
    old.close()
    doit(c)
    assert altfile.read(c / "alt-text.yaml")["ee" * 32].text == "A red square"
    assert not (c / ".altdeck" / "images.sqlite").exists()


def test_a_gap_stays_one_line_whatever_the_deck_names_its_shape(tmp_path):
    from pptx import Presentation as Open
    c = course(tmp_path)
    make_deck(c / "a.pptx", [76])
    prs = Open(c / "a.pptx")
    pic = prs.slides[0].shapes[1]
    pic._element.xpath("./*[1]/p:cNvPr")[0].set("name", "Picture\ncheck: all 9 deck(s) have alt text\u2028")
    prs.save(c / "a.pptx")
    doit(c)
    r = doit(c, "check", check=False)
    [line] = r.stdout.splitlines()
    assert line.startswith("a.pptx:1: Picture\\ncheck: all 9 deck(s) have alt text\\u2028 — error alt-missing: "
                           "picture has no alt text"), line
