"""Nothing lost, nothing stale, no traceback: the data-safety faults of issue 12, tried as they were found.

Real processes, signals and files: a real model server (tests/modelserver.py) that holds, trickles or
answers placeholders; a deck saved over mid-build; kill -9 of a run at seeded random moments of its
fold; a person's editor saving alt-text.yaml while the fold writes it; file names that are not UTF-8
(os.fsencode); read-only folders and a full disk made with real mounts (skipped, saying why, where
this machine may not mount).
"""
import hashlib
import json
import os
import random
import shutil
import subprocess
import threading
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from pptx import Presentation

from altdeck import config
from altdeck.build import build_deck
from altdeck.errors import DeckError
from altdeck.files import read_yaml, YAMLFileError
from altdeck.store import altfile
from altdeck.store.altfile import Entry
from decks import add_picture, cnvprs, full_deck, png
from modelserver import ModelServer
from runs import ALTDECK, CountingDescriber, run_doit
from test_batch import DEADLINE, events, logs, start, wait_for, workers_in

OFFLINE = "describer:\n  backend: offline\n"


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def picture_deck(path, seeds, slides=1, title="Cells"):
    """`slides` slides, each with the pictures `seeds` (no alt text)."""
    prs = Presentation()
    for n in range(slides):
        s = prs.slides.add_slide(prs.slide_layouts[5])
        s.shapes.title.text = f"{title} {n + 1}"
        for i, seed in enumerate(seeds):
            add_picture(s, png(seed), 0.3 + i)
    prs.save(path)


def model_config(srv, **extra) -> str:
    d = {"backend": "ollama", "url": srv.url, "model": "llava", "timeout_s": 30, "retries": 0, **extra}
    return yaml.safe_dump({"describer": d})


def altdeck(folder, *args, timeout=300):
    p = subprocess.run([ALTDECK, *args], cwd=folder, capture_output=True, text=True, timeout=timeout)
    return p


def one_line_errors(r):
    """Every line a failing run printed on stderr is one line naming what failed: no traceback."""
    out = r.stdout + r.stderr
    assert "Traceback" not in out and "Error:" not in out.replace("ERROR:", ""), out[-3000:]
    for line in r.stderr.splitlines():
        assert line.startswith(("FAILED ", "ERROR: ")), f"not a one-line error: {line!r}"


def slides_in(deck) -> int:
    with zipfile.ZipFile(deck) as z:
        return sum(1 for n in z.namelist() if n.startswith("ppt/slides/slide") and n.endswith(".xml"))


def save_like_an_editor(path, data: bytes):
    """What PowerPoint, LibreOffice and vim do: write a new file beside it, rename it over."""
    tmp = Path(path).with_name(f".{Path(path).name}.saving")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# -- 1. a deck saved while its own build runs ---------------------------------------------------

def test_a_deck_saved_during_its_build_fails_and_is_rebuilt_never_passed_as_built(tmp_path):
    c = tmp_path / "course"
    c.mkdir()
    picture_deck(c / "lecture.pptx", [11], slides=2)
    old = (c / "lecture.pptx").read_bytes()
    picture_deck(tmp_path / "new.pptx", [11], slides=1)          # the edit: a slide removed
    with ModelServer(hold=True) as srv:
        (c / "config.yaml").write_text(model_config(srv))
        p = start(c)
        wait_for(lambda: srv.in_flight >= 1, "the deck's picture at the model")
        save_like_an_editor(c / "lecture.pptx", (tmp_path / "new.pptx").read_bytes())
        srv.release()
        out, err = p.communicate(timeout=DEADLINE)

        assert p.returncode == 1, out + err
        assert "FAILED lecture.pptx: was replaced (saved) while it was read, so this build is not of its " \
               "current version; run altdeck again" in err
        report = json.loads((c / "build/reports/lecture.pptx.json").read_text())
        assert report["deck_sha256"] == hashlib.sha256(old).hexdigest()      # the bytes that were built
        assert slides_in(c / "build/accessible/lecture.pptx") == 2
        check = altdeck(c, "check")
        assert check.returncode == 1 and "lecture.pptx: (deck) — changed since its last build; run altdeck" \
            in check.stdout

        again = run_doit(c)
        assert again.returncode == 0, again.stderr
        assert again.built() == {"lecture.pptx"}
    assert slides_in(c / "build/accessible/lecture.pptx") == 1
    assert json.loads((c / "build/reports/lecture.pptx.json").read_text())["deck_sha256"] == sha(c / "lecture.pptx")
    assert altdeck(c, "check").returncode == 0


def test_when_doit_recorded_a_deck_saved_after_its_build_the_deck_is_still_rebuilt(tmp_path):
    """The race's other end: the save lands after the build checked the deck, before doit recorded
    its file_dep.  doit then holds the new file's state; the task's values hold what was built."""
    from doit.dependency import Dependency, MD5Checker, SqliteDB
    c = tmp_path
    c.joinpath("config.yaml").write_text(OFFLINE)
    full_deck(c / "lecture.pptx")
    assert run_doit(c).returncode == 0
    full_deck(c / "lecture.pptx", title="Respiration")             # saved after the build ...
    deps = Dependency(SqliteDB, str(c / ".doit.db"), checker_cls=MD5Checker)
    assert deps.backend.get("build:lecture.pptx", "lecture.pptx")      # the task's record, values and all
    state = deps.checker.get_state(str(c / "lecture.pptx"), None)
    deps.backend.set("build:lecture.pptx", "lecture.pptx", state)     # ... and recorded by doit as built
    deps.close()

    r = run_doit(c)

    assert r.returncode == 0, r.stderr
    assert r.built() == {"lecture.pptx"}
    assert json.loads((c / "build/reports/lecture.pptx.json").read_text())["deck_sha256"] == sha(c / "lecture.pptx")


# -- 2. a file name that is not UTF-8 -------------------------------------------------------------

def test_a_deck_whose_name_is_not_utf8_fails_with_one_line_and_the_others_build(course):
    bad = os.fsdecode(b"Vorlesung \xfcber.pptx")
    full_deck(course / bad)
    full_deck(course / "good.pptx")
    before = sha(course / bad)

    r = run_doit(course)

    assert r.returncode == 1
    assert r.built() == {"good.pptx"}
    assert {d: why.split("  [")[0] for d, why in r.failed().items()} == {"Vorlesung \\xfcber.pptx": "its file name is not valid UTF-8 (made on a system with "
                          "another encoding, e.g. a zip or a network share); rename it, e.g. convmv -f latin1 "
                          "-t utf-8 --notest"}
    assert sha(course / bad) == before
    assert not list((course / "build/accessible").glob("Vorlesung*"))
    check = altdeck(course, "check")
    assert check.returncode == 1 and "Vorlesung \\xfcber.pptx: (deck) — its file name is not valid UTF-8" \
        in check.stdout, check.stdout + check.stderr
    review = altdeck(course, "review")
    assert review.returncode == 0, review.stderr
    index = (course / "build/review/index.html").read_text()
    assert "Vorlesung \\xfcber.pptx" in index and "rename it" in index and "good.pptx.html" in index
    os.rename(course / bad, course / "Vorlesung-über.pptx")              # renamed as told: it builds
    assert run_doit(course).built() == {"Vorlesung-über.pptx"}


# -- 3. output folders that meet the sources -------------------------------------------------------

@pytest.mark.parametrize("key, value", [("output_dir", "."), ("output_dir", "./"), ("output_dir", ".."),
                                        ("output_dir", "ROOT"), ("report_dir", "."), ("state_dir", "..")])
def test_an_output_folder_that_is_or_holds_the_course_is_refused_before_anything_is_written(tmp_path, key, value):
    c = tmp_path / "course"
    c.mkdir()
    full_deck(c / "lecture.pptx")
    (c / "course").mkdir()
    full_deck(c / "course" / "lecture.pptx")              # what `..` would write over
    value = str(c) if value == "ROOT" else value
    c.joinpath("config.yaml").write_text(OFFLINE + f"{key}: {json.dumps(value)}\n")
    before = {p: sha(p) for p in c.rglob("*.pptx")}

    r = run_doit(c)

    assert r.returncode == 3
    assert r.stderr.startswith(f"ERROR: {c / 'config.yaml'}: {key} '{value}' is ")
    assert len(r.stderr.splitlines()) == 1 and "source decks; use a folder inside it, e.g. " in r.stderr
    assert {p: sha(p) for p in c.rglob("*.pptx")} == before
    assert sorted(p.name for p in c.iterdir()) == [".doit.db", "config.yaml", "course", "lecture.pptx"]


def test_the_writer_refuses_to_replace_a_deck_whatever_the_config_says(course):
    full_deck(course / "lecture.pptx")
    full_deck(course / "other.pptx")
    before = {p.name: sha(p) for p in course.glob("*.pptx")}
    cfg = config.load(course)
    cfg["output_dir"] = "."                                   # past the config check
    with pytest.raises(DeckError) as e:
        build_deck(cfg, "lecture.pptx", CountingDescriber())
    assert str(e.value) == (f"lecture.pptx: would be written over the deck {course}/./lecture.pptx; set output_dir "
                            "and report_dir in config.yaml to folders of their own")
    cfg["output_dir"], cfg["report_dir"] = "build", "."
    (course / "lecture.pptx.json").mkdir()                   # not a deck: the report's place; still no deck touched
    cfg["decks"] = ["**/*.pptx", "**/*.json"]
    with pytest.raises(DeckError):
        build_deck(cfg, "lecture.pptx", CountingDescriber())
    assert {p.name: sha(p) for p in course.glob("*.pptx")} == before


# -- 4. the same key twice in alt-text.yaml (a bad merge) ---------------------------------------------

def test_a_key_twice_in_alt_text_yaml_is_one_line_naming_both_lines_and_the_file_is_kept(course):
    picture_deck(course / "lecture.pptx", [21])
    key = hashlib.sha256(png(21)).hexdigest()
    text = ("version: 2\nobjects:\n"
            f"  {key}:\n    text: The crest of the university, a lion on a shield\n    source: human\n"
            "    reviewed: true\n"
            f"  {key}:\n    text: A logo\n    source: ollama:llava\n    reviewed: false\n")
    (course / "alt-text.yaml").write_text(text)

    r = run_doit(course)

    assert r.returncode != 0
    one_line_errors(r)
    assert f"{course / 'alt-text.yaml'}: line 7 has the key '{key}' twice (lines 3 and 7); keep one" in r.stderr
    assert (course / "alt-text.yaml").read_text() == text         # the person's text is still there


# -- 6. YAML alias bombs -----------------------------------------------------------------------------

BOMB = "".join([f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)])


def test_an_alias_bomb_in_config_yaml_is_refused_with_one_line_at_once(course):
    (course / "config.yaml").write_text("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + BOMB)
    assert len((course / "config.yaml").read_bytes()) < 1000
    full_deck(course / "lecture.pptx")

    r = run_doit(course, timeout=60)

    assert r.returncode == 3
    assert r.stderr == (f"ERROR: {course / 'config.yaml'}: line 1 has a value anchored (&) and used again through "
                        "an alias (*); altdeck accepts no YAML anchors or aliases: write the values out; fix it\n")


def test_an_alias_bomb_in_alt_text_yaml_is_refused_with_one_line_by_every_command(course):
    full_deck(course / "lecture.pptx")
    bomb = ("version: 2\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + BOMB +
            "objects:\n  " + "ab" * 32 + ":\n    text: A lion\n    waive: *l9\n")
    (course / "alt-text.yaml").write_text(bomb)
    assert len(bomb) < 2600
    for args in ([], ["check"], ["review"], ["alt", "--key", "ababab", "--reviewed"]):
        r = altdeck(course, *args, timeout=60)
        assert r.returncode != 0
        assert "Traceback" not in r.stdout + r.stderr and "MemoryError" not in r.stdout + r.stderr
        assert "alt-text.yaml: line 2 has a value anchored (&) and used again through an alias (*)" \
            in r.stdout + r.stderr
    assert (course / "alt-text.yaml").read_text() == bomb


def test_yaml_merge_keys_and_duplicate_config_keys_are_refused(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("base: &b {a: 1}\nother:\n  <<: *b\n")
    with pytest.raises(YAMLFileError, match="line 3 uses a YAML merge key"):
        read_yaml(f)
    f.write_text("describer:\n  model: llava\ndescriber:\n  model: qwen\n")
    with pytest.raises(YAMLFileError, match=r"line 3 has the key 'describer' twice \(lines 1 and 3\); keep one"):
        read_yaml(f)
    f.write_text("a: [1, 2]\nb: {c: 'd'}\n")
    assert read_yaml(f) == {"a": [1, 2], "b": {"c": "d"}}


def test_a_value_in_a_config_error_is_bounded(course):
    (course / "config.yaml").write_text("exclude: " + json.dumps([[["x" * 100] * 50] * 50] * 50) + "\n")
    r = run_doit(course, timeout=60)
    assert r.returncode == 3 and len(r.stderr) < 400 and "'exclude' must be a list of globs, got [[[" in r.stderr


# -- 7. a model answering placeholders --------------------------------------------------------------

PLACEHOLDERS = ["IMG_1234.JPG", "Picture 3", "image", "https://example.com/figure.png",
                "C:\\Users\\lecturer\\Desktop\\chart.png", "A leaf on a table\n\nDescription automatically generated",
                "The image shows", "yes"]


def test_placeholder_answers_leave_the_picture_pending_with_the_reason(course):
    picture_deck(course / "lecture.pptx", list(range(31, 31 + len(PLACEHOLDERS))))
    with ModelServer() as srv:                      # each distinct picture gets the next placeholder
        srv.answer = lambda rec: PLACEHOLDERS[srv.images[rec["image_hashes"][0]] - 1]
        (course / "config.yaml").write_text(model_config(srv))
        r = run_doit(course)
        assert r.returncode == 0, r.stderr
        assert len(srv.chats()) == len(PLACEHOLDERS)
    report = json.loads((course / "build/reports/lecture.pptx.json").read_text())
    pictures = [o for o in report["objects"] if o["kind"] == "picture"]
    assert [o["decision"] for o in pictures] == ["pending"] * len(PLACEHOLDERS)
    reasons = sorted(o["reason"].split(" (")[1].split(")")[0] for o in pictures)
    assert reasons == sorted(["a file name", "a default shape name", "a default shape name", "a file name",
                              "a file name", "PowerPoint's automatic caption",
                              "the start of a sentence that describes nothing", "not a description"])
    assert all(o["reason"].startswith("the model answered a placeholder (") for o in pictures)
    written = [e.get("descr") for e in cnvprs(course / "build/accessible/lecture.pptx").values()]
    assert not any(w and (w in PLACEHOLDERS or "Description automatically" in w or w.lower() == "yes")
                   for w in written)
    assert not (course / "alt-text.yaml").exists() or not altfile.read(course / "alt-text.yaml")
    check = altdeck(course, "check")
    assert check.returncode == 1 and check.stdout.count("no alt text: the model answered a placeholder") \
        == len(PLACEHOLDERS)


# -- 9. a model server that trickles ---------------------------------------------------------------

def test_a_trickling_model_server_is_stopped_by_the_request_timeout_not_the_deck_timeout(course):
    picture_deck(course / "lecture.pptx", [41])
    with ModelServer(trickle_s=0.1) as srv:
        (course / "config.yaml").write_text(model_config(srv, timeout_s=1) + "batch:\n  deck_timeout_s: 20\n")
        r = run_doit(course)
    assert r.returncode == 1
    [reason] = r.failed().values()
    assert reason.startswith(f"{srv.url}/api/chat: no complete answer within describer.timeout_s=1s"), reason
    assert "deck_timeout_s" not in reason


def test_a_trickling_server_probed_at_the_start_stops_the_build_with_one_line(course):
    picture_deck(course / "lecture.pptx", [42])
    with ModelServer(trickle_s=0.1, trickle_all=True) as srv:
        (course / "config.yaml").write_text(model_config(srv, timeout_s=1))
        r = run_doit(course, timeout=60)
    assert r.returncode == 3
    assert r.stderr == (f"ERROR: {srv.url}/api/tags sent no complete answer within describer.timeout_s=1s\n")


# -- 12. a read-only or symlinked alt-text.yaml -----------------------------------------------------

def test_a_read_only_alt_text_file_is_left_alone_and_its_texts_wait_for_it(course):
    picture_deck(course / "lecture.pptx", [51])
    store = course / "alt-text.yaml"
    altfile.write(store, {"ab" * 32: Entry("Our crest", "human", reviewed=True)})
    store.chmod(0o444)
    before = store.read_bytes()
    with ModelServer() as srv:
        (course / "config.yaml").write_text(model_config(srv))
        r = run_doit(course)
        assert r.returncode == 4, r.stdout + r.stderr
        assert r.built() == {"lecture.pptx"}
        assert r.stderr == (f"ERROR: {store}: is read-only (mode 444), so altdeck does not replace it; make it "
                            "writable (chmod u+w alt-text.yaml) and run altdeck again (new texts wait in the state "
                            "folder until then) (the new texts are kept in .altdeck until then)\n")
        assert store.read_bytes() == before and oct(store.stat().st_mode & 0o777) == "0o444"
        store.chmod(0o664)
        again = run_doit(course)
        assert again.returncode == 0, again.stderr
        assert len(srv.chats()) == 1                          # the answer waited; nothing asked twice
    entries = altfile.read(store)
    assert entries["ab" * 32].text == "Our crest" and entries[hashlib.sha256(png(51)).hexdigest()].text \
        == "Canned description 1."
    assert oct(store.stat().st_mode & 0o777) == "0o664"


def test_a_symlinked_alt_text_file_is_written_through_its_link(course, tmp_path):
    picture_deck(course / "lecture.pptx", [52])
    shared = tmp_path / "shared"
    shared.mkdir()
    altfile.write(shared / "alt.yaml", {"ab" * 32: Entry("Our crest", "human", reviewed=True)})
    (course / "alt-text.yaml").symlink_to(shared / "alt.yaml")
    with ModelServer() as srv:
        (course / "config.yaml").write_text(model_config(srv))
        r = run_doit(course)
    assert r.returncode == 0, r.stderr
    assert (course / "alt-text.yaml").is_symlink() and os.readlink(course / "alt-text.yaml") == str(shared / "alt.yaml")
    assert set(altfile.read(shared / "alt.yaml")) == {"ab" * 32, hashlib.sha256(png(52)).hexdigest()}
    assert not [p for p in shared.iterdir() if p.name != "alt.yaml"]


# -- 13. an alt-text.yaml that is a folder, a huge text, a quoted "yes" --------------------------------

def test_an_alt_text_file_that_is_a_folder_is_one_line_for_every_command(course):
    full_deck(course / "lecture.pptx")
    (course / "alt-text.yaml").mkdir()
    for args in ([], ["check"], ["review"], ["alt", "--key", "ababab", "--text", "A lion"]):
        r = altdeck(course, *args)
        assert r.returncode != 0, args
        assert "Traceback" not in r.stdout + r.stderr and "IsADirectoryError" not in r.stdout + r.stderr
        assert f"{course / 'alt-text.yaml'}: is a folder; altdeck keeps alt text in a file of that name" \
            in r.stdout + r.stderr, (args, r.stdout + r.stderr)


def test_a_ten_megabyte_text_is_one_line_naming_the_entry(course):
    picture_deck(course / "lecture.pptx", [53])
    key = hashlib.sha256(png(53)).hexdigest()
    altfile.write(course / "alt-text.yaml", {key: Entry("A lion. " * (10 * 2**20 // 8), "human", reviewed=True)})

    r = run_doit(course)

    assert r.returncode != 0
    one_line_errors(r)
    assert f"the text of entry {key[:12]}… is 10,485,760 characters long (limit 10,000)" in r.stderr
    assert "Buffer size limit" not in r.stderr


@pytest.mark.parametrize("written, reviewed", [('"yes"', True), ("'true'", True), ("Yes", True), ('"no"', False)])
def test_reviewed_written_as_a_word_means_what_it_says(course, written, reviewed):
    key = "ab" * 32
    (course / "alt-text.yaml").write_text(f"version: 2\nobjects:\n  {key}:\n    text: A lion\n"
                                          f"    source: ollama:llava\n    reviewed: {written}\n")
    assert altfile.read(course / "alt-text.yaml")[key].reviewed is reviewed


def test_reviewed_that_is_not_yes_or_no_is_one_line(course):
    (course / "alt-text.yaml").write_text("version: 2\nobjects:\n  " + "ab" * 32 + ":\n    text: A lion\n"
                                          "    reviewed: maybe\n")
    with pytest.raises(altfile.AltFileError, match=r"entry abababababab… has `reviewed: 'maybe'`; write true or false"):
        altfile.read(course / "alt-text.yaml")


# -- 14. long names and names that flatten alike ------------------------------------------------------

def test_decks_with_the_longest_names_build_and_get_a_report_and_a_page(course):
    long = "L" * 250 + ".pptx"                          # 255 bytes: the longest name a file can have
    nested = "/".join(["chapter-" + "x" * 40] * 6) + "/lecture.pptx"
    full_deck(course / long)
    (course / os.path.dirname(nested)).mkdir(parents=True)
    full_deck(course / nested)
    (course / "x").mkdir()
    full_deck(course / "x" / "y.pptx", title="Slash")
    full_deck(course / "x__y.pptx", title="Underscores")

    r = run_doit(course)

    assert r.returncode == 0, r.stderr
    assert r.built() == {long, nested, "x/y.pptx", "x__y.pptx"}
    assert (course / "build/accessible" / long).is_file()
    assert altdeck(course, "check").returncode == 1                # pending pictures, but every deck checked
    review = altdeck(course, "review")
    assert review.returncode == 0, review.stderr
    pages = [p for p in (course / "build/review").glob("*.html") if p.name != "index.html"]
    assert len(pages) == 4 and all(len(p.name.encode()) <= 255 for p in pages)
    titles = {p.read_text().split("<h1>")[1].split("</h1>")[0] for p in pages}
    assert titles == {long, nested, "x/y.pptx", "x__y.pptx"}
    slash = next(p for p in pages if "<h1>x/y.pptx</h1>" in p.read_text())
    assert "Slash" in slash.read_text() and "Underscores" not in slash.read_text()


# -- 15. a deck truncated while it is read ------------------------------------------------------------

def test_a_deck_truncated_mid_build_says_it_changed_not_that_it_is_corrupt(course):
    picture_deck(course / "lecture.pptx", [61, 62], slides=3)
    with ModelServer(hold=True) as srv:
        (course / "config.yaml").write_text(model_config(srv))
        p = start(course)
        wait_for(lambda: srv.in_flight >= 1, "the deck's pictures at the model")
        with open(course / "lecture.pptx", "r+b") as f:          # a copy tool rewriting it in place
            f.truncate(os.path.getsize(course / "lecture.pptx") // 3)
        srv.release()
        out, err = p.communicate(timeout=DEADLINE)
    assert p.returncode == 1
    assert err.startswith("FAILED lecture.pptx: was written to while it was read, so this build is not of its "
                          "current version; run altdeck again when it is saved"), err
    assert "corrupt" not in err
