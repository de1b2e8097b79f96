"""altdeck's benchmarks, each comparison measured side by side in one run.

    python3 benchmarks/run.py            # the full run (about 20 minutes on 2 cores)
    python3 benchmarks/run.py --tiny     # seconds; what the test suite runs to keep it working

It builds synthetic courses (benchmarks/course.py: N decks, M pictures each,
a share of them course-wide logos), starts a loopback vision-model stand-in
(tests/modelserver.py: canned answers, a fixed latency and K parallel slots,
since no model weights can be downloaded here) and measures:

 1. cold run wall time against the model-bound limit (distinct images / K) x latency
 2. no-op rerun of 1,000 decks against raw doit's no-op with 1,000 one-file tasks, output in a
    pipe (as CI and this benchmark read it) and discarded (raw doit's line per task then costs it
    nothing: the harder comparison)
 3. editing one deck of 1,000: model requests and wall time
 4. peak memory (PSS of the whole process tree) of cold builds of 100, 1,000 and 5,000 decks,
    each beside raw doit's cold run of the same decks, and for one 500-slide deck against
    python-pptx's own open+save
 5. a fresh clone (same content, new mtimes): its first no-op and the one after, against raw doit on
    the same clone (which hashes every deck on both)
 6. LibreOffice and OCR in a vision run: decks whose diagrams, ink and text-less tables are
    described from their rendered slide and whose pictures of text are read by OCR — time per
    rendered slide and per OCR'd picture and their share of the run (from each deck's costs in
    the build's log), LibreOffice starts per deck, and a rebuild of every deck (`altdeck forget`)
    that must render, read and ask nothing
 7. the accessibility rules' cost: a cold build of the real corpus decks (tests/corpus) with every
    rule on (the defaults) against the same build with every rule off (check.rules)

Results go to benchmarks/results/latest.json (and a PNG plot when matplotlib is
installed: pip install -e '.[bench]'); the table is printed.
"""
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]
import course as synth        # noqa: E402
import measure                # noqa: E402
from measure import checked, say  # noqa: E402
from runs import deck_costs   # noqa: E402
from modelserver import ModelServer  # noqa: E402

# The cold-run shapes (issue 17): name, decks, pictures a deck, share of course-wide pictures,
# latency of one request, model slots K (= max_concurrency), doit -n.
FULL_SHAPES = [("60 decks x 4 pictures", 60, 4, 0.0, 0.25, 4, 2),
               ("2 decks x 60 pictures", 2, 60, 0.0, 0.25, 4, 2),
               ("20 decks x 8 pictures, -n 4", 20, 8, 0.5, 0.5, 4, 4)]     # 84 distinct (the had 81)
TINY_SHAPES = [("4 decks x 3 pictures", 4, 3, 1 / 3, 0.05, 2, 2)]
FULL = dict(shapes=FULL_SHAPES, noop_decks=1000, repeats=5, memory_sizes=(100, 1000, 5000), big_slides=500,
            render_decks=6, rules_decks=None)
TINY = dict(shapes=TINY_SHAPES, noop_decks=12, repeats=2, memory_sizes=(4, 8), big_slides=12, render_decks=1,
            rules_decks=4)
CORPUS = HERE.parent / "tests" / "corpus"


def configure(folder, srv=None, k=4):
    """A course config: the model stand-in when given, else the offline describer."""
    if srv is None:
        text = "describer:\n  backend: offline\n"
    else:
        text = (f"describer:\n  backend: ollama\n  url: {srv.url}\n  model: llava\n"
                f"  max_concurrency: {k}\n  timeout_s: 60\n")
    (Path(folder) / "config.yaml").write_text(text)


def cold_efficiency(tmp, p) -> list:
    """1. How close a cold run comes to the model-bound limit, in each shape, with its slot timeline."""
    return [cold_run(tmp, *shape) for shape in p["shapes"]]


def cold_run(tmp, name, decks, pictures, shared, latency, k, jobs) -> dict:
    """One shape: wall time against (distinct images / K) x latency, and when the K slots sat idle."""
    say(f"1. cold run: {name}, K={k}, {latency} s a request")
    folder = tmp / ("cold-" + "".join(c if c.isalnum() else "-" for c in name))
    info = synth.make_course(folder, decks, pictures, shared=shared)
    with ModelServer(delay_s=latency, slots=k) as srv:
        configure(folder, srv, k)
        r = checked(measure.altdeck(folder, "-n", str(jobs)), f"cold run {name}")
        chats = [c for c in srv.chats() if "t1" in c]
    sent = [h for c in chats for h in c["image_hashes"]]
    limit = info["distinct_images"] / k * latency
    start = r["started_at"]
    spans = [(c["t0"] - start, c["t1"] - start) for c in chats]
    return {"shape": name, "decks": decks, "pictures_per_deck": info["pictures_per_deck"],
            "distinct_images": info["distinct_images"], "requests": len(sent), "distinct_sent": len(set(sent)),
            "k": k, "latency_s": latency, "jobs": jobs, "limit_s": round(limit, 3),
            "wall_s": round(r["wall_s"], 3), "efficiency": round(limit / r["wall_s"], 3),
            "first_request_s": round(min(a for a, _ in spans), 3),
            "after_last_answer_s": round(r["wall_s"] - max(b for _, b in spans), 3),
            "idle_slot_s_between": round(idle_slot_seconds(spans, k), 2),
            "timeline": occupancy(spans), "decks_timeline": deck_spans(folder, start)}


def occupancy(spans) -> list:
    """[(t, requests in flight from t on)] at each change."""
    points = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    out, level = [(0.0, 0)], 0
    for t, d in points:
        level += d
        out.append((round(t, 4), level))
    return out


def idle_slot_seconds(spans, k) -> float:
    """Slot-seconds with fewer than k requests in flight, between the first request and the last answer."""
    timeline = occupancy(spans)[1:]
    return sum(max(0, k - level) * (t2 - t1) for (t1, level), (t2, _) in zip(timeline, timeline[1:]))


def deck_spans(folder, start) -> list:
    """[(deck, started, ended)] in seconds since the command started, from the build's log."""
    from datetime import datetime
    [log] = sorted((folder / ".altdeck" / "logs").glob("*.jsonl"))[-1:]
    begun, out = {}, []
    for line in log.read_text().splitlines():
        e = json.loads(line)
        t = datetime.fromisoformat(e["ts"]).timestamp() - start
        if e["event"] == "deck_start":
            begun[e["deck"]] = t
        elif e["event"] == "deck_end" and e["deck"] in begun:
            out.append((e["deck"], round(begun.pop(e["deck"]), 3), round(t, 3)))
    return out


def renders_and_ocr(tmp, p) -> dict:
    """6. What LibreOffice and OCR cost in a vision run, and that a rebuild pays neither again."""
    from decks import add_picture, figures_deck
    from pptx import Presentation
    import textpics
    n = p["render_decks"]
    say(f"6. renders and OCR: {n} decks of 4 rendered objects and 3 pictures (2 of text), K=4, 0.25 s a request")
    folder = tmp / "renders"
    folder.mkdir()
    for d in range(n):
        deck = folder / f"figures{d:03}.pptx"
        figures_deck(deck, fill=(200, (40 * d) % 256, 60))
        prs = Presentation(deck)
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        slide.shapes.title.text = "What the terminal said"
        for i, text in enumerate([f"$ make test-{d}\nok {d} passed in 0.{d}s", f"def area_{d}(r):\n    return 3.14 * r * r"]):
            add_picture(slide, textpics.png(textpics.text_image(text, "DejaVu Sans Mono", 22)), 0.5 + 4 * i)
        add_picture(slide, textpics.png(textpics.photo(d, (640, 480))), 8.5)
        prs.save(deck)
    out = {"decks": n}
    with ModelServer(delay_s=0.25, slots=4) as srv:
        configure(folder, srv, 4)
        cold = checked(measure.altdeck(folder, "-n", "2"), "renders: cold build")
        costs = deck_costs(folder)
        requests = len(srv.chats())
        checked(measure.run([sys.executable, "-m", "doit", "forget", "-f", str(measure.REPO / "dodo.py"), "-d",
                             str(folder), "-a"]), "renders: forget")
        again = checked(measure.altdeck(folder, "-n", "2"), "renders: rebuild after forget")
        recosts = deck_costs(folder)
        out["rebuild"] = {"wall_s": round(again["wall_s"], 3), "requests": len(srv.chats()) - requests,
                          "rebuilt": len(recosts), **_sum_costs(recosts)}
    total = _sum_costs(costs)
    worker_s = cold["wall_s"] * 2          # -n 2: the decks' share of two workers' time
    out["cold"] = {"wall_s": round(cold["wall_s"], 3), "requests": requests, **total,
                   "s_per_rendered_slide": round(total["render_s"] / max(1, total["rendered_slides"]), 3),
                   "s_per_ocr_picture": round(total["ocr_s"] / max(1, total["ocr_pictures"]), 3),
                   "render_share": round(total["render_s"] / worker_s, 3),
                   "ocr_share": round(total["ocr_s"] / worker_s, 3),
                   "max_launches_per_deck": max((c.get("soffice_launches", 0) for c in costs.values()), default=0)}
    return out


def _sum_costs(costs) -> dict:
    keys = ("rendered_slides", "render_s", "soffice_launches", "ocr_pictures", "ocr_s")
    return {k: round(sum(c.get(k, 0) for c in costs.values()), 3) for k in keys}


def alternate(a, b, repeats):
    """Median wall times of two commands run alternately (same machine state for both)."""
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(checked(a(), "baseline")["wall_s"])
        tb.append(checked(b(), "altdeck")["wall_s"])
    return statistics.median(ta), statistics.median(tb)


def noop_edit_clone(tmp, p) -> dict:
    """2, 3, 5 on one course of noop_decks decks (each a logo and a picture of its own)."""
    folder = tmp / "noop"
    n = p["noop_decks"]
    say(f"2, 3, 5. no-op, edit and fresh clone on {n} decks")
    synth.make_course(folder, n, 2, shared=0.5)
    out = {}
    with ModelServer() as srv:
        configure(folder, srv)
        build = checked(measure.altdeck(folder, "-n", "2"), "first build")
        out["first_build"] = {"decks": n, "wall_s": round(build["wall_s"], 3), "peak_mb": round(build["peak_mb"], 1),
                              "requests": len(srv.chats())}
        checked(measure.raw_doit(folder), "raw doit build")
        raw, alt = alternate(lambda: measure.raw_doit(folder), lambda: measure.altdeck(folder), p["repeats"])
        out["noop"] = {"decks": n, "raw_doit_s": round(raw, 3), "altdeck_s": round(alt, 3),
                       "ratio": round(alt / raw, 2)}
        raw, alt = alternate(lambda: measure.raw_doit(folder, discard_output=True),
                             lambda: measure.altdeck(folder, discard_output=True), p["repeats"])
        out["noop_quiet"] = {"decks": n, "raw_doit_s": round(raw, 3), "altdeck_s": round(alt, 3),
                             "ratio": round(alt / raw, 2)}

        before = len(srv.chats())
        deck = folder / f"deck{n // 2:05}.pptx"
        _replace_image(deck, synth.png(9_000_000))                   # one new picture in one deck
        edit = checked(measure.altdeck(folder), "edit rebuild")
        sent = srv.chats()[before:]
        out["edit_one"] = {"decks": n, "wall_s": round(edit["wall_s"], 3), "requests": len(sent),
                           "new_images": 1, "rebuilt": edit["stdout"].count("\nbuilt  ") + edit["stdout"].startswith("built  ")}

        # A fresh clone: new mtimes, same bytes, DB kept. Its first run hashes every deck (raw doit
        # too); raw doit hashes them again on every later run, altdeck records the new stats.
        times = {"raw": [], "alt": [], "raw_next": [], "alt_next": []}
        for i in range(p["repeats"]):
            clone = tmp / f"clone{i}"
            synth.copy_course(folder, clone)
            for key, cmd in (("raw", measure.raw_doit), ("alt", measure.altdeck),
                             ("raw_next", measure.raw_doit), ("alt_next", measure.altdeck)):
                times[key].append(checked(cmd(clone), f"{key} on a fresh clone")["wall_s"])
            shutil.rmtree(clone)
        med = {k: statistics.median(v) for k, v in times.items()}
        out["fresh_clone"] = {"decks": n, "raw_doit_s": round(med["raw"], 3), "altdeck_s": round(med["alt"], 3),
                              "ratio": round(med["alt"] / med["raw"], 2),
                              "next_raw_doit_s": round(med["raw_next"], 3), "next_altdeck_s": round(med["alt_next"], 3),
                              "next_ratio": round(med["alt_next"] / med["raw_next"], 2),
                              "requests": len(srv.chats()) - before - len(sent)}
    return out


def _replace_image(deck: Path, data: bytes):
    """Swap the deck's last picture (its own, not the logo) for new bytes."""
    with zipfile.ZipFile(deck) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    media = sorted(i.filename for i, _ in members if i.filename.startswith("ppt/media/"))
    with zipfile.ZipFile(deck, "w", zipfile.ZIP_DEFLATED) as z:
        for info, blob in members:
            z.writestr(info, data if info.filename == media[-1] else blob)


def memory(tmp, p) -> dict:
    """4. Peak memory of a cold build for each course size, beside raw doit's cold run of the same
    decks with the same runner (-n 2 in threads); and one big deck against python-pptx.

    doit keeps every task of a run in memory, so no tool whose decks are doit tasks can be flatter
    than doit itself; what altdeck adds on top of it is what must not grow with the decks.
    """
    rows = []
    for n in p["memory_sizes"]:
        say(f"4. peak memory of a cold build of {n} decks, and of raw doit on them")
        folder = tmp / f"mem{n}"
        synth.make_course(folder, n, 2, shared=0.5)
        raw = checked(measure.raw_doit(folder, "-n", "2", "-P", "thread"), f"raw doit on {n} decks")
        with ModelServer() as srv:
            configure(folder, srv)
            r = checked(measure.altdeck(folder, "-n", "2"), f"cold build of {n} decks")
        rows.append({"decks": n, "peak_mb": round(r["peak_mb"], 1), "doit_process_mb": round(r["main_peak_mb"], 1),
                     "wall_s": round(r["wall_s"], 2), "raw_doit_mb": round(raw["peak_mb"], 1),
                     "over_doit_mb": round(r["peak_mb"] - raw["peak_mb"], 1)})
        shutil.rmtree(folder)
    first, last = rows[0], rows[-1]
    per_k = 1000 / (last["decks"] - first["decks"])
    growth = {"altdeck_mb_per_1000": round((last["peak_mb"] - first["peak_mb"]) * per_k, 1),
              "raw_doit_mb_per_1000": round((last["raw_doit_mb"] - first["raw_doit_mb"]) * per_k, 1)}
    say(f"4. peak memory for one {p['big_slides']}-slide deck, and python-pptx's open+save")
    big = tmp / "big"
    big.mkdir()
    synth.template(big / "lecture.pptx", p["big_slides"], slides=p["big_slides"])
    configure(big)
    alt = checked(measure.altdeck(big), "big deck")
    code = ("import sys; from pptx import Presentation; "
            "Presentation(sys.argv[1]).save(sys.argv[2])")
    ppt = checked(measure.run([sys.executable, "-c", code, str(big / "lecture.pptx"), str(tmp / "saved.pptx")]),
                  "python-pptx open+save")
    return {"courses": rows, "growth": growth, "big_deck": {"slides": p["big_slides"], "altdeck_mb": round(alt["peak_mb"], 1),
                                          "python_pptx_mb": round(ppt["peak_mb"], 1),
                                          "ratio": round(alt["peak_mb"] / ppt["peak_mb"], 2)}}


def rules_cost(tmp, p) -> dict:
    """7. What the rules add to a build: the corpus decks built cold with every rule off, then on, alternately."""
    from altdeck.vocab import Rule
    decks = sorted(d for d in CORPUS.glob("*/*.ppt[xm]") if "clusterfuzz" not in d.name)[:p["rules_decks"]]
    say(f"7. the rules' cost: cold builds of {len(decks)} corpus decks, every rule off and the defaults")
    off = "check:\n  rules:\n" + "".join(f"    {r.value}: off\n" for r in Rule)
    times = {"off": [], "on": []}
    for i in range(p["repeats"]):
        for name, rules in (("off", off), ("on", "")):
            folder = tmp / f"rules-{name}-{i}"
            folder.mkdir()
            for d in decks:
                shutil.copyfile(d, folder / d.name)
            (folder / "config.yaml").write_text("describer:\n  backend: offline\n" + rules)
            times[name].append(checked(measure.altdeck(folder, "-n", "2"), f"build with rules {name}")["wall_s"])
            shutil.rmtree(folder)
    off_s, on_s = statistics.median(times["off"]), statistics.median(times["on"])
    return {"decks": len(decks), "rules_off_s": round(off_s, 3), "rules_on_s": round(on_s, 3),
            "ratio": round(on_s / off_s, 2)}


def table(res) -> str:
    n, m = res["noop_edit_clone"], res["memory"]
    big = m["big_deck"]
    rows = []
    for e in res["efficiency"]:
        rows.append((f"cold run, {e['shape']}", f"{e['wall_s']:.1f} s", f"{e['limit_s']:.1f} s "
                     f"({e['distinct_images']} images / K={e['k']} x {e['latency_s']} s)",
                     f"efficiency {e['efficiency']:.2f}", "≥ 0.95", e["efficiency"] >= 0.95))
    sent = sum(e["requests"] for e in res["efficiency"])
    distinct = sum(e["distinct_images"] for e in res["efficiency"])
    rows += [
        ("same image sent twice", f"{sent} requests", f"{distinct} distinct images",
         f"{sent - distinct} repeats", "0", sent == distinct),
        (f"no-op rerun, {n['noop']['decks']} decks", f"{n['noop']['altdeck_s']:.3f} s",
         f"raw doit {n['noop']['raw_doit_s']:.3f} s", f"ratio {n['noop']['ratio']:.2f}", "≤ 1.2",
         n["noop"]["ratio"] <= 1.2),
        (f"no-op rerun, {n['noop_quiet']['decks']} decks, output discarded",
         f"{n['noop_quiet']['altdeck_s']:.3f} s", f"raw doit {n['noop_quiet']['raw_doit_s']:.3f} s",
         f"ratio {n['noop_quiet']['ratio']:.2f}", "≤ 1.2", n["noop_quiet"]["ratio"] <= 1.2),
        (f"edit one deck of {n['edit_one']['decks']}", f"{n['edit_one']['wall_s']:.2f} s",
         f"{n['edit_one']['new_images']} new image", f"{n['edit_one']['requests']} requests", "= new images",
         n["edit_one"]["requests"] == n["edit_one"]["new_images"]),
        (f"fresh clone, first no-op, {n['fresh_clone']['decks']} decks", f"{n['fresh_clone']['altdeck_s']:.3f} s",
         f"raw doit {n['fresh_clone']['raw_doit_s']:.3f} s", f"ratio {n['fresh_clone']['ratio']:.2f}",
         "0 requests", n["fresh_clone"]["requests"] == 0),
        (f"fresh clone, the no-op after it, {n['fresh_clone']['decks']} decks",
         f"{n['fresh_clone']['next_altdeck_s']:.3f} s", f"raw doit {n['fresh_clone']['next_raw_doit_s']:.3f} s "
         "(hashes every deck again)", f"ratio {n['fresh_clone']['next_ratio']:.2f}", "≤ 1.2",
         n["fresh_clone"]["next_ratio"] <= 1.2),
    ]
    for r in m["courses"]:
        rows.append((f"peak memory, cold build of {r['decks']} decks",
                     f"{r['peak_mb']:.0f} MB (doit's process {r['doit_process_mb']:.0f} MB)",
                     f"raw doit {r['raw_doit_mb']:.0f} MB", f"{r['over_doit_mb']:+.0f} MB over doit",
                     "≤ 250 MB", r["peak_mb"] <= 250))
    g = m["growth"]
    rows.append(("memory growth per 1,000 decks", f"{g['altdeck_mb_per_1000']:.1f} MB",
                 f"raw doit {g['raw_doit_mb_per_1000']:.1f} MB", "flat beyond doit's own task table",
                 "≤ doit + 1 MB", g["altdeck_mb_per_1000"] <= g["raw_doit_mb_per_1000"] + 1))
    rows.append((f"peak memory, one {big['slides']}-slide deck", f"{big['altdeck_mb']:.0f} MB",
                 f"python-pptx open+save {big['python_pptx_mb']:.0f} MB", f"ratio {big['ratio']:.2f}", "", True))
    ro = res.get("renders_ocr")
    if ro:
        c, again = ro["cold"], ro["rebuild"]
        rows += [
            (f"renders in a vision run, {ro['decks']} decks", f"{c['rendered_slides']:.0f} slides in "
             f"{c['render_s']:.1f} s: {c['s_per_rendered_slide']:.2f} s a slide",
             f"{c['render_share']:.0%} of the workers' time (run {c['wall_s']:.1f} s)",
             f"{c['soffice_launches']:.0f} LibreOffice starts, at most {c['max_launches_per_deck']} a deck",
             "1 a deck", c["max_launches_per_deck"] <= 1),
            (f"OCR in a vision run, {ro['decks']} decks", f"{c['ocr_pictures']:.0f} pictures in {c['ocr_s']:.1f} s: "
             f"{c['s_per_ocr_picture']:.2f} s a picture", f"{c['ocr_share']:.0%} of the workers' time", "", "", True),
            ("rebuild of those decks after `forget`", f"{again['wall_s']:.2f} s",
             f"{again['rebuilt']} decks rebuilt", f"{again['rendered_slides']:.0f} renders, "
             f"{again['soffice_launches']:.0f} LibreOffice starts, {again['ocr_pictures']:.0f} OCR reads, "
             f"{again['requests']} requests", "all 0",
             again["rendered_slides"] == again["soffice_launches"] == again["ocr_pictures"] == again["requests"] == 0),
        ]
    r = res["rules"]
    rows.append((f"accessibility rules, cold build of {r['decks']} corpus decks", f"{r['rules_on_s']:.2f} s",
                 f"every rule off {r['rules_off_s']:.2f} s", f"ratio {r['ratio']:.2f}", "≤ 1.25", r["ratio"] <= 1.25))
    head = ("measure", "altdeck", "baseline / limit", "result", "target", "ok")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row[:5]) + f" | {'yes' if row[5] else 'NO'} |" for row in rows]
    return "\n".join(lines)


def plot(res, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = res["memory"]["courses"]
    shapes = res["efficiency"]
    fig, axes = plt.subplots(1 + len(shapes), 1, figsize=(9, 2.6 * (1 + len(shapes))))
    a = axes[0]
    a.plot([r["decks"] for r in rows], [r["peak_mb"] for r in rows], "o-", label="altdeck")
    a.plot([r["decks"] for r in rows], [r["raw_doit_mb"] for r in rows], "s--", color="grey", label="raw doit")
    a.axhline(250, color="red", linestyle=":", label="target 250 MB")
    a.set(xscale="log", xlabel="decks", ylabel="peak MB (PSS)", title="memory against N")
    a.legend()
    for b, e in zip(axes[1:], shapes):          # slot occupancy: requests in flight over time, decks below
        t = [p[0] for p in e["timeline"]]
        b.step(t, [p[1] for p in e["timeline"]], where="post", color="tab:blue", label="requests in flight")
        b.axhline(e["k"], color="grey", linestyle=":", label=f"K = {e['k']}")
        for i, (_, t0, t1) in enumerate(e["decks_timeline"]):
            b.plot([t0, t1], [-0.3 - 0.25 * (i % 4)] * 2, color="tab:orange", linewidth=2)
        b.axvline(e["wall_s"], color="red", linestyle="--", linewidth=1)
        b.set(ylim=(-1.4, e["k"] + 0.6), xlabel="seconds", ylabel="in flight",
              title=f"{e['shape']}: efficiency {e['efficiency']:.2f} (orange: decks building)")
    axes[1].legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main(argv=None):
    tiny, out_dir = measure.options(__doc__, "tiny sizes, seconds", argv)
    p = TINY if tiny else FULL
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="altdeck-bench-") as tmp:
        tmp = Path(tmp)
        res = {"size": "tiny" if tiny else "full", "date": time.strftime("%Y-%m-%d %H:%M"),
               "machine": f"{platform.machine()}, {platform.python_version()}, "
                          f"{__import__('os').cpu_count()} cores"}
        res["efficiency"] = cold_efficiency(tmp, p)
        res["noop_edit_clone"] = noop_edit_clone(tmp, p)
        res["memory"] = memory(tmp, p)
        res["renders_ocr"] = renders_and_ocr(tmp, p)
        res["rules"] = rules_cost(tmp, p)
    res["seconds"] = round(time.time() - started, 1)
    name = "tiny" if tiny else "latest"
    (out_dir / f"{name}.json").write_text(json.dumps(res, indent=1) + "\n")
    text = table(res)
    (out_dir / f"{name}.md").write_text(text + "\n")
    plotted = plot(res, out_dir / f"{name}.png")
    print(text)
    print(f"\nresults: {out_dir / (name + '.json')}" + (f", plot: {out_dir / (name + '.png')}" if plotted else
                                                          " (no plot: pip install -e '.[bench]')"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
