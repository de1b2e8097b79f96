"""Fuzzing: broken variants of real decks (truncated, bytes flipped, members removed, XML corrupted,
relationships pointed elsewhere) either build, differing from their source only in alt text, or fail
with a one-line DeckError naming the deck.  Any other exception is a bug in altdeck."""
import io
import random
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from altdeck import config
from altdeck.describe.base import make_describer
from altdeck.build import build_deck
from altdeck.errors import DeckError
from decks import corpus_deck, full_deck
from runs import TRY_ALL, alt_only_diff, course, run_doit

SEEDS = ["bar-chart.pptx", "smartart-simple.pptx", "table-with-theme.pptx", "sample_pptx_grouping_issues.pptx",
         "features__steps__test_files__shp-groupshape.pptx", "features__steps__test_files__ph-populated-placeholders.pptx"]


def _members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def _zip(members) -> bytes:
    """Members zipped with fixed timestamps, so the same mutation gives the same bytes every run."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _fixed_time(data: bytes) -> bytes:
    """A zip (and the zips inside it: chart workbooks) with the build time taken out, so the
    derandomized examples are the same bytes on every run."""
    out = []
    for name, member in _members(data):
        if member[:2] == b"PK":
            member = _fixed_time(member)
        elif name.endswith("core.xml"):
            member = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", member)
        out.append((name, member))
    return _zip(out)


def _seed_decks() -> list:
    buf = io.BytesIO()
    full_deck(buf)
    decks = [_fixed_time(buf.getvalue())]
    for name in SEEDS:
        decks.append(corpus_deck(name).read_bytes())
    return decks


SEED_BYTES = _seed_decks()


def _xml_members(members):
    return [i for i, (n, _) in enumerate(members) if n.endswith((".xml", ".rels"))]


XML_EDITS = [
    lambda x, r: x[: r.randrange(len(x) + 1)],                                     # truncated XML
    lambda x, r: x.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaa">]>', 1),      # DOCTYPE
    lambda x, r: re.sub(rb'r:(embed|id|link|dm|lo)="[^"]*"', b'r:\\1="rId999"', x),  # dangling relationships
    lambda x, r: re.sub(rb'Target="[^"]*"', b'Target="../../../../etc/passwd"', x, count=r.randint(1, 3)),
    lambda x, r: re.sub(rb'Target="[^"]*"', b'Target="http://example.invalid/x.png" TargetMode="External"', x,
                        count=r.randint(1, 3)),
    lambda x, r: re.sub(rb'\sid="\d+"', b' id="1"', x),                             # duplicate shape ids
    lambda x, r: re.sub(rb'\s(descr|name)="[^"]*"', b' \\1="&#1;\xff\xfe"', x, count=2),   # bad chars / bytes
    lambda x, r: re.sub(rb"<p:cNvPr\b", b"<p:cNvPr><!-- x --><p:cNvPr", x, count=1),   # mangled structure
    lambda x, r: re.sub(rb"<(/?)p:pic\b", b"<\\1p:grpSp", x),                        # wrong element kinds
    lambda x, r: re.sub(rb"<mc:Choice[^>]*>", b"<mc:Choice Requires=\"zz\">", x),
    lambda x, r: x.replace(b"http://schemas.openxmlformats.org/presentationml/2006/main", b"urn:other", 1),
    lambda x, r: x + b"<trailing/>",
]


def mutate(data: bytes, kind: int, r: random.Random) -> bytes:
    if kind == 0:                                        # truncated file
        return data[: r.randrange(len(data))]
    if kind == 1:                                        # flipped bytes anywhere
        b = bytearray(data)
        for _ in range(r.randint(1, 8)):
            b[r.randrange(len(b))] ^= 1 << r.randrange(8)
        return bytes(b)
    members = _members(data)
    if kind == 2:                                        # members removed
        for _ in range(r.randint(1, 3)):
            members.pop(r.randrange(len(members)))
        return _zip(members)
    # corrupted XML in one or two parts (slides, rels, content types, presentation...)
    for _ in range(r.randint(1, 2)):
        i = r.choice(_xml_members(members))
        name, xml = members[i]
        members[i] = (name, r.choice(XML_EDITS)(xml, r))
    return _zip(members)


def check_build(root: Path, cfg, describer, data: bytes):
    rel = "fuzz.pptx"
    (root / rel).write_bytes(data)
    out = root / "build" / "accessible" / rel
    if out.exists():
        out.unlink()
    try:
        build_deck(cfg, rel, describer)
    except DeckError as e:
        msg = str(e)
        assert "\n" not in msg and msg.startswith(f"{rel}: ") and len(msg) < 600, msg
        assert not out.exists()
        return "failed"
    assert alt_only_diff(root / rel, out) == []
    return "built"


@pytest.fixture(scope="module")
def fuzz_course():
    root = course(Path(tempfile.mkdtemp(prefix="altdeck-fuzz-")), TRY_ALL)
    cfg = config.load(root)
    yield root, cfg, make_describer(cfg, "offline")
    shutil.rmtree(root, ignore_errors=True)


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, len(SEED_BYTES) - 1), kind=st.integers(0, 3), salt=st.integers(0, 2**32))
def test_mutated_decks_build_or_fail_with_one_line(fuzz_course, seed, kind, salt):
    root, cfg, describer = fuzz_course
    check_build(root, cfg, describer, mutate(SEED_BYTES[seed], kind, random.Random(salt)))


def test_a_folder_of_mutated_decks_through_doit(tmp_path):
    """The same through a real doit run: no traceback, one line per failed deck, the rest built."""
    root = course(tmp_path / "course", TRY_ALL)
    r = random.Random(6)
    names = []
    for n in range(30):
        name = f"deck{n:02d}.pptx"
        (root / name).write_bytes(mutate(r.choice(SEED_BYTES), n % 4, r))
        names.append(name)
    run = run_doit(root)
    assert "Traceback" not in run.stdout + run.stderr
    failed, built = run.failed(), run.built()
    assert set(failed) | built == set(names) and not set(failed) & built
    assert failed and built                  # the mix really has both
    for name in built:
        assert alt_only_diff(root / name, root / "build" / "accessible" / name) == [], name
