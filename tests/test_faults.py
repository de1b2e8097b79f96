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
import re
import shutil
import subprocess
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


def ran_but_not_recorded(r, built, error):
    """Exit 4: the decks in `built` were built, and one ERROR line says what could not be written."""
    assert r.returncode == 4, r.stdout + r.stderr
    assert r.built() == built
    assert r.stderr == f"ERROR: {error}\n"


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
    assert "Vorlesung \\xfcber.pptx" in index and "rename it" in index
    assert '<option value="good.pptx">good.pptx</option>' in index and "good.pptx, slide 1" in index
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
        ran_but_not_recorded(run_doit(course), {"lecture.pptx"},
                             f"{store}: is read-only (mode 444), so altdeck does not replace it; make it writable "
                             "(chmod u+w alt-text.yaml) and run altdeck again (the new texts are kept in .altdeck "
                             "until then)")
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


@pytest.mark.parametrize("field, said", [("reviewed: maybe", "has `reviewed: 'maybe'`; write true or false"),
                                         ("waive: 5", "has `waive: 5`; write a list of rule ids"),
                                         ("waive: [[a, b]]", "has `waive: [['a', 'b']]`; write a list of rule ids")])
def test_a_field_of_the_wrong_kind_is_one_line(course, field, said):
    (course / "alt-text.yaml").write_text("version: 2\nobjects:\n  " + "ab" * 32 + f":\n    text: A lion\n    {field}\n")
    with pytest.raises(altfile.AltFileError) as e:
        altfile.read(course / "alt-text.yaml")
    assert str(e.value) == f"{course / 'alt-text.yaml'}: entry abababababab… {said}"


# -- 14. long names and names that flatten alike ------------------------------------------------------

def test_decks_with_the_longest_names_build_and_get_a_report_and_review_rows(course):
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
    assert [p.name for p in (course / "build/review").glob("*.html")] == ["index.html"]   # one page, any names
    index = (course / "build/review/index.html").read_text()
    for deck in (long, nested, "x/y.pptx", "x__y.pptx"):                  # each deck is a filter of its own
        assert f'<option value="{deck}">{deck}</option>' in index
    assert "x/y.pptx, slide 1: “Slash”" in index and "x__y.pptx, slide 1: “Underscores”" in index
    assert "x/y.pptx, slide 1: “Underscores”" not in index and "x__y.pptx, slide 1: “Slash”" not in index


# -- 15. a deck truncated while it is read ------------------------------------------------------------

def test_a_deck_truncated_mid_build_says_it_changed_not_that_it_is_corrupt(course):
    picture_deck(course / "lecture.pptx", [61, 62], slides=3)
    with ModelServer(hold=True) as srv:        # the same pictures in the same place on every slide would be
        (course / "config.yaml").write_text(model_config(srv) + "decorative:\n  auto: false\n")   # logos
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


# -- 5 and 8. the end-of-run fold of alt-text.yaml: kill -9 and a person's editor racing it ------------

ATLAS = 20000          # entries in the course's alt-text.yaml: a big course, so its rewrite takes a while
PERSON = hashlib.sha256(b"the person's picture").hexdigest()


def git(cwd, *args):
    p = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.fixture
def atlas_course(tmp_path):
    """A git repository prepared by `altdeck init`, with a big committed alt-text.yaml."""
    c = tmp_path / "course"
    assert altdeck(tmp_path, "init", str(c)).returncode == 0
    entries = {hashlib.sha256(f"atlas {i}".encode()).hexdigest():
               Entry(f"Labelled diagram number {i} of the course atlas, with arrows and captions", "human",
                     reviewed=True) for i in range(ATLAS)}
    entries[PERSON] = Entry("A lecturer at a whiteboard", "human", reviewed=True)
    altfile.write(c / "alt-text.yaml", entries)
    git(c, "init", "-q")
    git(c, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    git(c, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "course")
    return c


def new_deck(c, n):
    """A deck with a picture no run has seen, committed: the next run asks the model and folds its answer."""
    picture_deck(c / f"week{n:02d}.pptx", [500 + n])
    git(c, "add", f"week{n:02d}.pptx")
    git(c, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", f"week {n}")
    return hashlib.sha256(png(500 + n)).hexdigest()


def fold_temp_files(c) -> list:
    """alt-text.yaml's temp files, wherever altdeck puts them (the course folder, the state folder)."""
    out = []
    for folder in (c, c / ".altdeck"):
        try:
            out += [folder / n for n in os.listdir(folder) if n.startswith(".~altdeck.") and n.endswith("alt-text.yaml")]
        except FileNotFoundError:
            pass
    return out


def batch_ended(c) -> bool:
    runs = logs(c) if (c / ".altdeck" / "logs").exists() else []
    return bool(runs and events(runs[-1], "batch_end"))


def wait_for_the_fold(c, p, how, rng):
    """Return at a moment of the run's end-of-run fold: as its temp file appears, or at a seeded random
    moment after the run's last log record."""
    end = time.monotonic() + DEADLINE
    if how == "temp file":
        while not fold_temp_files(c):
            assert p.poll() is None and time.monotonic() < end, "the run ended before its fold wrote"
        return
    while not batch_ended(c):
        assert time.monotonic() < end
        time.sleep(0.002)
    time.sleep(rng.uniform(0, 0.8))


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_9_during_the_fold_leaves_no_temp_file_in_git_status_and_loses_nothing(atlas_course, seed):
    c, rng = atlas_course, random.Random(seed)
    with ModelServer() as srv:
        (c / "config.yaml").write_text(model_config(srv))
        git(c, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "model")
        for n in range(5):
            new_deck(c, 10 * seed + n)
            p = start(c)
            wait_for_the_fold(c, p, "temp file" if n < 2 else "random", rng)
            p.kill()                                                   # kill -9 of the run
            p.communicate(timeout=DEADLINE)
            wait_for(lambda: not workers_in(c), "the orphaned worker to exit")
            status = git(c, "status", "--porcelain", "--untracked-files=all")
            assert status in ("", " M alt-text.yaml\n"), status        # no temp file, nothing else
            entries = altfile.read(c / "alt-text.yaml")                  # whole, old or new
            assert entries[PERSON].text == "A lecturer at a whiteboard" and len(entries) >= ATLAS + 1
        r = run_doit(c)
        assert r.returncode == 0, r.stderr
    leftovers = [p for p in c.rglob("*") if p.name.startswith(".~altdeck")]
    assert leftovers == []
    entries = altfile.read(c / "alt-text.yaml")
    assert all(hashlib.sha256(png(500 + 10 * seed + n)).hexdigest() in entries for n in range(5))
    assert entries[PERSON].text == "A lecturer at a whiteboard" and len(entries) == ATLAS + 1 + 5


@pytest.mark.parametrize("seed", [3])
def test_a_person_saving_alt_text_yaml_during_the_fold_loses_nothing(atlas_course, seed):
    c, rng = atlas_course, random.Random(seed)
    with ModelServer() as srv:
        (c / "config.yaml").write_text(model_config(srv))
        for n in range(7):
            how = "temp file" if n < 3 else "random"
            answer = new_deck(c, n)
            p = start(c)
            wait_for_the_fold(c, p, how, rng)
            text = (c / "alt-text.yaml").read_text()                    # the person's editor: read, change, save
            mine = f"A lecturer at a whiteboard, edit {n}"
            edited = re.sub(rf"(  {PERSON}:\n    text: )[^\n]*", lambda m: m.group(1) + mine, text)
            save_like_an_editor(c / "alt-text.yaml", edited.encode())
            out, err = p.communicate(timeout=DEADLINE)
            assert p.returncode == 0, out + err
            entries = altfile.read(c / "alt-text.yaml")
            assert entries[PERSON].text == mine and entries[PERSON].source == "human", (n, how)
            if how == "temp file":                  # saved before the fold replaced the file: both kept
                assert entries[answer].text.startswith("Canned description"), n
    assert fold_temp_files(c) == []


# -- 10 and 11. read-only folders and a full disk (real mounts) -------------------------------------

def _mount(*args):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("making a read-only folder or a full disk needs `mount` as root (CAP_SYS_ADMIN); "
                    "a permission bit cannot do it for root, who writes anyway")
    p = subprocess.run(["mount", *map(str, args)], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"this machine does not let the tests mount ({p.stderr.strip()})")


@contextmanager
def read_only(path):
    """`path` (a folder or a file) read-only for everyone, root too: a read-only bind mount over it."""
    _mount("--bind", path, path)
    try:
        _mount("-o", "remount,ro,bind", path)
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


@contextmanager
def small_disk(path, size="4m"):
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", path)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def fill(folder):
    """Fill the file system holding `folder`; -> the filler file (remove it to free the space)."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as f:     # unbuffered: a write the disk half took leaves nothing
        try:                                       # for close() to flush (and fail on) again
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass
    return filler


def test_a_read_only_course_folder_is_one_line_for_every_command(course):
    full_deck(course / "lecture.pptx")
    with read_only(course):
        for args in ([], ["check"], ["list"], ["review"]):
            r = altdeck(course, *args)
            assert r.returncode == 3, (args, r.stdout + r.stderr)
            assert r.stderr == (f"ERROR: {course / '.doit.db'}: doit's record of built decks cannot be opened "
                                "(unable to open database file); altdeck needs a writable course folder: make it "
                                "writable (or free space)\n"), args


def test_a_read_only_state_folder_stops_the_run_before_any_deck_with_one_line(course):
    full_deck(course / "lecture.pptx")
    assert run_doit(course).returncode == 0
    full_deck(course / "lecture.pptx", title="Respiration")
    with read_only(course / ".altdeck"):
        r = run_doit(course)
    assert r.returncode == 3
    assert r.stderr.startswith(f"ERROR: {course / '.altdeck' / 'logs'}/") and r.stderr.endswith(
        ".jsonl: cannot be written (Read-only file system); altdeck keeps its run state there: make it writable "
        "(or free space), or set state_dir in config.yaml\n") and len(r.stderr.splitlines()) == 1


def test_a_read_only_doit_database_builds_the_decks_and_says_it_could_not_record_them(course):
    full_deck(course / "a.pptx")
    full_deck(course / "b.pptx")
    assert run_doit(course).returncode == 0
    full_deck(course / "a.pptx", title="Respiration")
    with read_only(course / ".doit.db"):
        ran_but_not_recorded(run_doit(course), {"a.pptx"},
                             f"{course / '.doit.db'}: doit's record of built decks cannot be written (attempt to "
                             "write a readonly database); free space or make it writable; decks built since the "
                             "last record are built again next run")
    again = run_doit(course)
    assert again.returncode == 0 and again.built() == {"a.pptx"}             # not recorded: built again
    assert run_doit(course).built() == set()


@pytest.mark.parametrize("folder", ["build/accessible", "build/reports"])
def test_a_read_only_output_folder_fails_each_deck_with_one_line(course, folder):
    full_deck(course / "a.pptx")
    full_deck(course / "b.pptx")
    assert run_doit(course).returncode == 0
    before = {p.name: sha(p) for p in (course / folder).iterdir()}
    for name in ("a.pptx", "b.pptx"):
        full_deck(course / name, title="Respiration")
    with read_only(course / folder):
        r = run_doit(course)
    assert r.returncode == 1
    one_line_errors(r)
    failed = {d: why.split("  [")[0] for d, why in r.failed().items()}
    written = {"build/accessible": "{}", "build/reports": "{}.json"}[folder]
    assert failed == {n: f"cannot write {course / folder / written.format(n)} (Read-only file system); free space "
                         "or make the folder writable, then run altdeck again" for n in ("a.pptx", "b.pptx")}
    assert {p.name: sha(p) for p in (course / folder).iterdir()} == before
    assert run_doit(course).built() == {"a.pptx", "b.pptx"}


def test_a_full_disk_is_one_line_per_file_and_the_next_run_builds_everything(tmp_path):
    c = tmp_path / "course"
    with small_disk(c):
        c.joinpath("config.yaml").write_text(OFFLINE)
        for name in ("a.pptx", "b.pptx"):
            full_deck(c / name)
        assert run_doit(c).returncode == 0
        for name in ("a.pptx", "b.pptx"):
            full_deck(c / name, title="Respiration")
        sources = {n: sha(c / n) for n in ("a.pptx", "b.pptx")}
        filler = fill(c)
        r = run_doit(c)
        assert r.returncode in (1, 3, 4), r.stdout + r.stderr
        one_line_errors(r)
        assert "No space left on device" in r.stderr or "database or disk is full" in r.stderr
        assert {n: sha(c / n) for n in ("a.pptx", "b.pptx")} == sources
        filler.unlink()
        again = run_doit(c)
        assert again.returncode == 0, again.stdout + again.stderr
        assert again.built() == {"a.pptx", "b.pptx"}
        assert [p for p in c.rglob("*") if p.name.startswith(".~altdeck")] == []


def test_a_full_state_folder_after_the_decks_built_is_exit_4_and_one_line(tmp_path):
    """The decks are built; the run's log, its list of failed decks and the fold cannot be written."""
    c = tmp_path / "course"
    c.mkdir()
    picture_deck(c / "lecture.pptx", [71])
    with ModelServer(hold=True) as srv, small_disk(c / ".altdeck", size="1m"):
        (c / "config.yaml").write_text(model_config(srv))
        p = start(c)
        wait_for(lambda: srv.in_flight >= 1, "the picture at the model")
        filler = fill(c / ".altdeck")                  # the disk fills while the deck is described
        srv.release()
        out, err = p.communicate(timeout=DEADLINE)
        assert p.returncode in (1, 4), out + err
        assert "Traceback" not in out + err
        for line in err.splitlines():
            assert line.startswith(("FAILED ", "ERROR: ")) and str(c) in line, line
        filler.unlink()
        again = run_doit(c)
        assert again.returncode == 0, again.stdout + again.stderr
    assert altfile.read(c / "alt-text.yaml")[hashlib.sha256(png(71)).hexdigest()].text.startswith("Canned")


def test_a_temp_file_of_a_killed_unreaped_writer_is_swept(tmp_path):
    """A writer killed while its parent has not reaped it yet is a zombie: it exists for kill(pid, 0)
    but writes nothing more. Its temp file goes; a live writer's stays (kill -9 left them behind)."""
    from altdeck.files import TEMP_PREFIX, process_alive, sweep_temp_files
    zombie = subprocess.Popen(["sleep", "60"])
    live = subprocess.Popen(["sleep", "60"])
    try:
        zombie.kill()
        deadline = time.monotonic() + 10
        while process_alive(zombie.pid) and time.monotonic() < deadline:
            time.sleep(0.01)                         # not waited for: a zombie until reaped below
        assert os.path.exists(f"/proc/{zombie.pid}") and not process_alive(zombie.pid)
        assert process_alive(live.pid)
        for pid in (zombie.pid, live.pid):
            (tmp_path / f"{TEMP_PREFIX}{pid}.deck.pptx").write_bytes(b"partial")
        sweep_temp_files(tmp_path)
        assert sorted(p.name for p in tmp_path.iterdir()) == [f"{TEMP_PREFIX}{live.pid}.deck.pptx"]
    finally:
        for p in (zombie, live):
            p.kill()
            p.wait()
