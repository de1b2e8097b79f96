"""OCR: how accurate, how often wrong about what is text, and what it costs (measured, not assumed).

    python3 benchmarks/ocr.py           # the full set (a few minutes on 2 cores)
    python3 benchmarks/ocr.py --tiny    # seconds; what the test suite runs to keep it working

Needs the OCR engine (pip install -e '.[ocr]').  It renders pictures of text with Pillow
(tests/textpics.py: code, terminals, English and German paragraphs, quotes; two fonts each,
sizes 12-32 px, every other one in a window with a title bar), and the same pictures scaled to
75 % and saved as JPEG quality 70 (how screenshots often reach slides); and pictures that are not
text: photo-like scenes (some with a street sign), real photographs from the corpus's decks, bar
charts, flat shapes, and box-and-arrow diagrams (reported apart: borderline).  It reads each with altdeck's own OCR (describe/ocr.py) and
measures:

 1. character and word error rates of the transcription against the text drawn (NFC, whitespace
    collapsed, typographic quotes and dashes as ASCII), per category and overall;
 2. the picture-of-text rule: the share of text pictures it accepts, the share of non-text
    pictures it wrongly takes for text, and the coverage of the weakest and strongest of each;
 3. the share of text pictures whose alt text holds at least 90 % of their words;
 4. time per picture: a cold start (new process: engine import, models, first picture) and warm;
 5. time per deck: one deck of text pictures and real photos built by `altdeck` offline with OCR off,
    with OCR (nothing read yet), and again with OCR after `forget` (every reading stored), side by
    side; the no-op run with OCR installed against OCR off; the peak memory of each build;
 6. OCR's share of a vision run: the same deck described through the model stand-in with a fixed
    latency, OCR off against on (the prompt then carries the text found).

Results: benchmarks/results/ocr.json and ocr.md (ocr-tiny.* for --tiny); the table is printed.
"""
import io
import json
import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]
import measure                 # noqa: E402
from measure import checked, say  # noqa: E402
import textpics                # noqa: E402
from modelserver import ModelServer  # noqa: E402

FULL = dict(sizes=textpics.SIZES, others=None, real_photos=6, deck_text=6, deck_photos=3, latency=1.0, repeats=3,
            jpeg=True)
TINY = dict(sizes=[20], others=["photo", "photo with a sign", "diagram"], real_photos=1, deck_text=2, deck_photos=1,
            latency=0.2, repeats=1, jpeg=False)


# ---- text metrics -------------------------------------------------------------------------------

def norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    for a, b in (("“", '"'), ("”", '"'), ("„", '"'), ("«", '"'), ("»", '"'), ("‘", "'"), ("’", "'"), ("‚", "'"),
                 ("—", "-"), ("–", "-"), ("…", "..."), ("\u00a0", " ")):
        text = text.replace(a, b)
    return " ".join(text.split())


def distance(a, b) -> int:
    """Levenshtein distance of two sequences (characters or words)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def words_held(reference: str, alt: str) -> float:
    import re
    got = re.findall(r"\w+", alt.lower())
    ref = re.findall(r"\w+", reference.lower())
    return sum(w in got for w in ref) / len(ref)


# ---- 1-3: accuracy and the rule ------------------------------------------------------------------

def jpeg(img):
    from PIL import Image
    small = img.resize((round(img.width * 0.75), round(img.height * 0.75)), Image.LANCZOS)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=70)
    return buf.getvalue()


def accuracy(p) -> dict:
    from altdeck.describe import ocr
    reader = ocr.TextReader("de")
    pictures = []
    for category, font, size, window, text, img in textpics.text_pictures():
        if size in p["sizes"]:
            pictures.append(("png", category, font, size, window, text, textpics.png(img)))
            if p["jpeg"]:
                pictures.append(("jpeg 75 %", category, font, size, window, text, jpeg(img)))
    others = [(c, textpics.png(img)) for c, img in textpics.other_pictures() if p["others"] is None or c in p["others"]]
    others += [("real photo", data) for _, data in textpics.real_photos()[:p["real_photos"]]]
    say(f"1-3. reading {len(pictures)} text pictures and {len(others)} others")
    rows, times = [], []
    for i, (variant, category, font, size, window, text, data) in enumerate(pictures):
        t = time.perf_counter()
        reading = reader.read(f"text{i}", lambda data=data: data)
        times.append(time.perf_counter() - t)
        found, _ = ocr.text_picture(reading)
        rows_read = found.lines if found else ocr.reading_order(reading.confident())
        if window:                           # the window's title row is in the picture, not in the reference
            rows_read = rows_read[1:]
        ref, hyp = norm(text), norm(" ".join(rows_read))
        alt = ocr.alt_text(found, "en", 150) if found else ""
        rows.append({"variant": variant, "category": category, "font": font, "size": size, "window": window,
                     "accepted": found is not None, "kind": found.kind if found else "",
                     "coverage": round(ocr.coverage(reading, reading.confident()), 3),
                     "char_errors": distance(ref, hyp), "chars": len(ref),
                     "word_errors": distance(ref.split(), hyp.split()), "words": len(ref.split()),
                     "alt_words_held": round(words_held(text, alt), 3), "seconds": round(times[-1], 3)})
    negatives = []
    for i, (category, data) in enumerate(others):
        t = time.perf_counter()
        reading = reader.read(f"other{i}", lambda data=data: data)
        times.append(time.perf_counter() - t)
        found, _ = ocr.text_picture(reading)
        negatives.append({"category": category, "accepted": found is not None,
                          "coverage": round(ocr.coverage(reading, reading.confident()), 3),
                          "characters": sum(len("".join(x.text.split())) for x in reading.confident()),
                          "seconds": round(times[-1], 3)})
    return {"text": rows, "other": negatives, "warm_s": times[1:]}


def summarize(acc) -> dict:
    def rates(rows):
        c, w = sum(r["chars"] for r in rows), sum(r["words"] for r in rows)
        return {"pictures": len(rows), "cer": round(sum(r["char_errors"] for r in rows) / c, 4),
                "wer": round(sum(r["word_errors"] for r in rows) / w, 4),
                "accepted": round(sum(r["accepted"] for r in rows) / len(rows), 3),
                "alt_90": round(sum(r["alt_words_held"] >= 0.9 for r in rows) / len(rows), 3)}
    out = {"by_variant": {}, "by_category": {}}
    for variant in sorted({r["variant"] for r in acc["text"]}):
        rows = [r for r in acc["text"] if r["variant"] == variant]
        out["by_variant"][variant] = rates(rows)
        for category in textpics.CATEGORIES:
            these = [r for r in rows if r["category"] == category]
            if these:
                out["by_category"][f"{category} ({variant})"] = rates(these)
    expected = {"code": "code", "terminal": "terminal", "quote": "quote", "english": "text", "german": "text"}
    accepted = [r for r in acc["text"] if r["accepted"]]
    out["kind_right"] = round(sum(r["kind"] == expected[r["category"]] for r in accepted) / max(1, len(accepted)), 3)
    non_text = [r for r in acc["other"] if r["category"] != "diagram"]
    diagrams = [r for r in acc["other"] if r["category"] == "diagram"]
    out["non_text"] = {"pictures": len(non_text), "taken_for_text": round(sum(r["accepted"] for r in non_text)
                                                                         / max(1, len(non_text)), 3),
                       "strongest_coverage": max((r["coverage"] for r in non_text), default=0),
                       "most_characters": max((r["characters"] for r in non_text), default=0)}
    out["diagrams"] = {"pictures": len(diagrams), "taken_for_text": sum(r["accepted"] for r in diagrams),
                       "coverage": [r["coverage"] for r in diagrams]}
    out["weakest_text_coverage"] = min(r["coverage"] for r in acc["text"])
    warm = acc["warm_s"]
    out["warm_s"] = {"mean": round(statistics.mean(warm), 3), "max": round(max(warm), 3)}
    return out


# ---- 4: a cold start ----------------------------------------------------------------------------

COLD = """
import sys, time
t = time.perf_counter()
from altdeck.describe import ocr
reading = ocr.TextReader("en").read("k", lambda: open(sys.argv[1], "rb").read())
print(time.perf_counter() - t, ocr.text_picture(reading)[0] is not None)
"""


def cold_start(tmp, repeats) -> dict:
    say("4. cold start: a new process reads one picture")
    img = tmp / "code.png"
    img.write_bytes(textpics.png(textpics.text_image(textpics.CODE[0], "DejaVu Sans Mono", 16)))
    runs = []
    for _ in range(repeats):
        r = measure.run([sys.executable, "-c", COLD, str(img)])
        if r["rc"] != 0:
            raise SystemExit(f"benchmark: cold start failed: {r['stderr'][-2000:]}")
        seconds, ok = r["stdout"].split()
        runs.append({"seconds": float(seconds), "wall_s": r["wall_s"], "peak_mb": r["peak_mb"], "read": ok == "True"})
    return {"seconds": round(statistics.median(x["seconds"] for x in runs), 3),
            "process_wall_s": round(statistics.median(x["wall_s"] for x in runs), 3),
            "peak_mb": round(max(x["peak_mb"] for x in runs), 1), "read": all(x["read"] for x in runs)}


# ---- 5, 6: per deck -----------------------------------------------------------------------------

def make_deck(path, n_text, n_photos):
    from pptx import Presentation
    from pptx.util import Inches
    prs = Presentation()
    pictures = [p for p in textpics.text_pictures() if p[2] == 20][:n_text]
    for i, (category, font, size, window, text, img) in enumerate(pictures):
        s = prs.slides.add_slide(prs.slide_layouts[5])
        s.shapes.title.text = f"{category} {i}"
        s.shapes.add_picture(io.BytesIO(textpics.png(img)), Inches(1), Inches(2), Inches(7))
    for i, (name, data) in enumerate(textpics.real_photos()[:n_photos]):
        s = prs.slides.add_slide(prs.slide_layouts[5])
        s.shapes.title.text = f"photo {i}"
        s.shapes.add_picture(io.BytesIO(data), Inches(1), Inches(1.5), Inches(7))
    prs.save(path)
    return len(pictures) + n_photos


def course(folder, config):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(config)
    return folder


def per_deck(tmp, p) -> dict:
    say(f"5. one deck of {p['deck_text']} text pictures and {p['deck_photos']} photos, offline: OCR off, on, stored")
    out = {}
    for name, config in (("off", "describer:\n  backend: offline\n  ocr: false\n"),
                         ("cold", "describer:\n  backend: offline\n")):
        folder = course(tmp / f"deck-{name}", config)
        pictures = make_deck(folder / "lecture.pptx", p["deck_text"], p["deck_photos"])
        out[name] = checked(measure.altdeck(folder), f"build with OCR {name}")
        if name == "cold":
            checked(measure.altdeck(folder, "forget", "build:lecture.pptx"), "forget")
            out["stored"] = checked(measure.altdeck(folder), "rebuild with readings stored")
            noop = [checked(measure.altdeck(folder), "no-op")["wall_s"] for _ in range(p["repeats"])]
            report = json.loads((folder / "build/reports/lecture.pptx.json").read_text())
            out["described"] = sum(o["source"] == "ocr" for o in report["objects"])
        else:
            noop_off = [checked(measure.altdeck(folder), "no-op")["wall_s"] for _ in range(p["repeats"])]
    deck = {k: {"wall_s": round(out[k]["wall_s"], 3), "peak_mb": round(out[k]["peak_mb"], 1)}
            for k in ("off", "cold", "stored")}
    deck.update(pictures=pictures, text_pictures=p["deck_text"], described_by_ocr=out["described"],
                ocr_s=round(out["cold"]["wall_s"] - out["off"]["wall_s"], 3),
                ocr_s_per_picture=round((out["cold"]["wall_s"] - out["off"]["wall_s"]) / pictures, 3),
                stored_over_off_s=round(out["stored"]["wall_s"] - out["off"]["wall_s"], 3),
                noop_s=round(statistics.median(noop), 3), noop_off_s=round(statistics.median(noop_off), 3))
    say(f"6. the same deck through a model stand-in ({p['latency']} s a request, 2 slots), OCR off and on")
    vision = {}
    for name, extra in (("off", "  ocr: false\n"), ("on", "")):
        with ModelServer(delay_s=p["latency"], slots=2) as srv:     # like a server with 2 slots; the default
            folder = course(tmp / f"vision-{name}", f"describer:\n  backend: ollama\n  url: {srv.url}\n"
                                                   f"  model: llava\n{extra}")       # max_concurrency 2
            make_deck(folder / "lecture.pptx", p["deck_text"], p["deck_photos"])
            r = checked(measure.altdeck(folder), f"vision build, OCR {name}")
            vision[name] = {"wall_s": round(r["wall_s"], 3), "requests": len(srv.chats()),
                            "prompts_with_text": sum("Text found in the picture" in c["prompt"] for c in srv.chats())}
    vision["latency_s"] = p["latency"]
    vision["ocr_share"] = round((vision["on"]["wall_s"] - vision["off"]["wall_s"]) / vision["on"]["wall_s"], 3)
    return {"offline": deck, "vision": vision}


# ---- report -------------------------------------------------------------------------------------

def pct(x):
    return f"{100 * x:.1f} %"


def table(res) -> str:
    s, c, d = res["summary"], res["cold_start"], res["deck"]
    off, vis = d["offline"], d["vision"]
    lines = ["| category | pictures | CER | WER | taken for text | alt text holds ≥ 90 % of the words |",
             "|---|---|---|---|---|---|"]
    for name, r in list(s["by_category"].items()) + [(f"**all ({v})**", r) for v, r in s["by_variant"].items()]:
        lines.append(f"| {name} | {r['pictures']} | {pct(r['cer'])} | {pct(r['wer'])} | {pct(r['accepted'])} | "
                     f"{pct(r['alt_90'])} |")
    nt, dg = s["non_text"], s["diagrams"]
    lines += ["", "| measure | result |", "|---|---|",
              f"| non-text pictures taken for text (photos, real and with a sign; charts; shapes) | "
              f"{pct(nt['taken_for_text'])} of {nt['pictures']} |",
              f"| diagrams taken for text | {dg['taken_for_text']} of {dg['pictures']} "
              f"(coverage {', '.join(f'{x:.2f}' for x in dg['coverage'])}) |",
              f"| coverage: weakest text picture / strongest non-text (rule: ≥ 0.25 and ≥ 20 characters) | "
              f"{s['weakest_text_coverage']:.2f} / {nt['strongest_coverage']:.2f} "
              f"(most characters in a non-text picture: {nt['most_characters']}) |",
              f"| kind right (code, terminal output, quote, text) | {pct(s['kind_right'])} |",
              f"| time per picture, warm: mean / max | {s['warm_s']['mean']:.2f} s / {s['warm_s']['max']:.2f} s |",
              f"| cold start (new process, engine, first picture) | {c['seconds']:.2f} s, peak {c['peak_mb']:.0f} MB |",
              f"| deck of {off['pictures']} pictures ({off['text_pictures']} of text), offline: OCR off / on / "
              f"readings stored | {off['off']['wall_s']:.2f} s / {off['cold']['wall_s']:.2f} s / "
              f"{off['stored']['wall_s']:.2f} s |",
              f"| OCR per deck, per picture | {off['ocr_s']:.2f} s, {off['ocr_s_per_picture']:.2f} s |",
              f"| peak memory of that build: OCR off / on | {off['off']['peak_mb']:.0f} MB / "
              f"{off['cold']['peak_mb']:.0f} MB |",
              f"| no-op run: OCR installed / off | {off['noop_s']:.3f} s / {off['noop_off_s']:.3f} s |",
              f"| vision run ({vis['latency_s']} s a request, 2 slots): OCR off / on | {vis['off']['wall_s']:.2f} s / "
              f"{vis['on']['wall_s']:.2f} s ({pct(vis['ocr_share'])} of the run; "
              f"{vis['on']['prompts_with_text']} prompts carry found text) |"]
    return "\n".join(lines)


def main(argv=None):
    tiny, out_dir = measure.options(__doc__, "a few pictures, seconds", argv)
    from altdeck.describe import ocr
    if ocr.installed_engine() is None:
        raise SystemExit("benchmark: no OCR engine installed; pip install -e '.[ocr]'")
    p = TINY if tiny else FULL
    started = time.time()
    res = {"size": "tiny" if tiny else "full", "date": time.strftime("%Y-%m-%d %H:%M"),
           "engine": ocr.signature()}
    acc = accuracy(p)
    res["summary"], res["pictures"] = summarize(acc), {"text": acc["text"], "other": acc["other"]}
    with tempfile.TemporaryDirectory(prefix="altdeck-ocr-bench-") as tmp:
        res["cold_start"] = cold_start(Path(tmp), p["repeats"])
        res["deck"] = per_deck(Path(tmp), p)
    res["seconds"] = round(time.time() - started, 1)
    name = "ocr-tiny" if tiny else "ocr"
    (out_dir / f"{name}.json").write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n")
    text = table(res)
    (out_dir / f"{name}.md").write_text(text + "\n")
    print(text)
    print(f"\nresults: {out_dir / (name + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
