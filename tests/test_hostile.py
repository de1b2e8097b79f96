"""Broken and hostile files in a course folder: each fails with one line naming it and saying
why (and what to do); the good decks beside them still build; nothing is written for a failure."""
import io
import os
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from altdeck.errors import DeckError
from altdeck.describe.images import ImageRejected, open_image
from altdeck.ooxml.package import Limits, Package

from decks import add_picture, cnvprs, full_deck, png
from hostile import (SLIDESHOW_TYPE, TEMPLATE_TYPE, encrypted_deck, legacy_ppt, retyped_deck, rewrite_zip,
                      zip_bomb)
from runs import (REPO, TRY_ALL, alt_only_diff, course, digests, leftovers, outputs, pdf_pages, run_doit, soffice_to_pdf,
                  visible_slides)

# deck -> words its one-line reason must contain
EXPECTED_FAILURES = {
    "encrypted.pptx": ["password-protected", "remove the password"],
    "legacy.pptx": ["legacy binary .ppt", "save as .pptx"],
    "old-word.pptx": ["old binary Office file"],
    "empty.pptx": ["empty file"],
    "truncated.pptx": ["corrupt or truncated zip"],
    "corrupt-member.pptx": ["/ppt/slides/slide1.xml is corrupt"],
    "notes.pptx": ["not a PowerPoint file", "not a zip package"],
    "handout.pptx": ["not a PowerPoint file", "a PDF file"],
    "download.pptx": ["not a PowerPoint file", "web page"],
    "word.pptx": ["not a PowerPoint presentation", "Word document"],
    "plain.zip.pptx": ["not a PowerPoint file", "[Content_Types].xml"],
    "folder.pptx": ["is a folder", "exclude it"],
    "outside-link.pptx": ["symlink", "outside the course folder"],
    "broken-link.pptx": ["does not exist"],
    "missing-slide.pptx": ["missing part /ppt/slides/slide2.xml"],
    "missing-relationship.pptx": ["slide list names relationship", "does not exist"],
    "missing-rels-part.pptx": ["missing part /ppt/_rels/presentation.xml.rels"],
    "missing-package-rels.pptx": ["missing part /_rels/.rels"],
    "doctype.pptx": ["/ppt/slides/slide1.xml has a DOCTYPE"],
    "bad-xml.pptx": ["/ppt/slides/slide2.xml is not well-formed XML"],
    "zip-bomb.pptx": ["unpacks to 1,073,741,824 bytes", "zip bomb"],
    "ratio-bomb.pptx": ["compressed", ":1 (limit 200:1)", "zip bomb"],
    "many-members.pptx": ["zip members (limit 10000)", "zip bomb"],
}
EXPECTED_BUILT = {"good.pptx", "sub/good-too.pptx", "template.potx", "show.ppsx", "inside-link.pptx",
                  "picture-bomb.pptx", "missing-layout.pptx", "missing-image.pptx"}


def _slide_rels(path, n):
    with zipfile.ZipFile(path) as z:
        return z.read(f"ppt/slides/_rels/slide{n}.xml.rels").decode()


def hostile_folder(root: Path, elsewhere: Path):
    """The good, the broken and the hostile, side by side."""
    good = root / "good.pptx"
    full_deck(good)
    (root / "sub").mkdir()
    full_deck(root / "sub" / "good-too.pptx", title="Respiration")
    retyped_deck(root / "template.potx", TEMPLATE_TYPE)
    retyped_deck(root / "show.ppsx", SLIDESHOW_TYPE)
    os.symlink(good, root / "inside-link.pptx")
    full_deck(elsewhere / "private.pptx")
    os.symlink(elsewhere / "private.pptx", root / "outside-link.pptx")
    os.symlink(elsewhere / "gone.pptx", root / "broken-link.pptx")
    (root / "folder.pptx").mkdir()
    (root / "folder.pptx" / "readme.txt").write_text("a folder named like a deck")

    encrypted_deck(root / "encrypted.pptx")
    legacy_ppt(root / "legacy.pptx")
    from hostile import ole_file
    ole_file(root / "old-word.pptx", ["WordDocument", "1Table"])
    (root / "empty.pptx").write_bytes(b"")
    data = good.read_bytes()
    (root / "truncated.pptx").write_bytes(data[: len(data) * 3 // 5])
    (root / "notes.pptx").write_text("lecture notes, not a deck\n")
    (root / "handout.pptx").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    (root / "download.pptx").write_text("<!DOCTYPE html><html><body>403 Forbidden</body></html>")

    # a member whose compressed bytes are damaged: the zip directory is fine, reading it fails
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("ppt/slides/slide1.xml")
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    damaged = bytearray(data)
    for i in range(start + 20, start + 60):
        damaged[i] ^= 0x5A
    (root / "corrupt-member.pptx").write_bytes(bytes(damaged))

    word = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    rewrite_zip(good, root / "word.pptx", content_types=lambda d: re.sub(
        rb'(PartName="/ppt/presentation.xml" ContentType=")[^"]+', rb"\g<1>" + word.encode(), d))
    rewrite_zip(good, root / "plain.zip.pptx", drop=["[Content_Types].xml"])
    rewrite_zip(good, root / "missing-slide.pptx", drop=["ppt/slides/slide2.xml"])
    with zipfile.ZipFile(good) as z:
        prs_rels = z.read("ppt/_rels/presentation.xml.rels").decode()
    rewrite_zip(good, root / "missing-relationship.pptx", replace={
        "ppt/_rels/presentation.xml.rels": re.sub(r'<Relationship [^>]*slides/slide2.xml"/>', "", prs_rels).encode()})
    rewrite_zip(good, root / "missing-rels-part.pptx", drop=["ppt/_rels/presentation.xml.rels"])
    rewrite_zip(good, root / "missing-package-rels.pptx", drop=["_rels/.rels"])
    rewrite_zip(good, root / "missing-layout.pptx", drop=["ppt/slideLayouts/slideLayout6.xml"])
    image = re.search(r'Target="\.\./media/(image\d+\.png)"', _slide_rels(good, 1)).group(1)
    rewrite_zip(good, root / "missing-image.pptx", drop=[f"ppt/media/{image}"])
    with zipfile.ZipFile(good) as z:
        slide1, slide2 = z.read("ppt/slides/slide1.xml"), z.read("ppt/slides/slide2.xml")
    doctype = slide1.replace(b"?>", b'?>\n<!DOCTYPE p:sld [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)
    rewrite_zip(good, root / "doctype.pptx", replace={"ppt/slides/slide1.xml": doctype})
    rewrite_zip(good, root / "bad-xml.pptx", replace={"ppt/slides/slide2.xml": slide2[: len(slide2) // 2]})

    zip_bomb(root / "zip-bomb.pptx")
    zip_bomb(root / "ratio-bomb.pptx", member_bytes=100 * 2**20)
    with zipfile.ZipFile(good) as z, zipfile.ZipFile(root / "many-members.pptx", "w") as out:
        for info in z.infolist():
            out.writestr(info.filename, z.read(info))
        for i in range(10_001):
            out.writestr(f"junk/{i}", b"")

    # a picture that decodes to 100 megapixels: the deck builds, nothing decodes the picture
    from pptx import Presentation
    prs = Presentation()
    buf = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buf, "PNG")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)   # python-pptx reads its size
        add_picture(prs.slides.add_slide(prs.slide_layouts[6]), buf.getvalue())
    prs.save(root / "picture-bomb.pptx")


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    root = course(tmp_path_factory.mktemp("course"), TRY_ALL)
    hostile_folder(root, tmp_path_factory.mktemp("elsewhere"))
    before = digests(root)
    run = run_doit(root)
    return root, before, run


def test_each_broken_file_fails_with_one_line_naming_it_and_why(hostile_run):
    root, _, run = hostile_run
    assert "Traceback" not in run.stdout + run.stderr
    failed = run.failed()          # also asserts every stderr line is one FAILED line, one per deck
    assert set(failed) == set(EXPECTED_FAILURES), run.stderr
    for deck, words in EXPECTED_FAILURES.items():
        for w in words:
            assert w in failed[deck], f"{deck}: {failed[deck]!r} lacks {w!r}"
    # doit says 1 (task failed) or 2 (the group task "build" has unmet dependencies); 3 would be a bad dodo
    assert run.returncode == 1


def test_good_decks_beside_broken_ones_still_build(hostile_run):
    root, _, run = hostile_run
    assert run.built() == EXPECTED_BUILT
    out = root / "build" / "accessible"
    for rel in EXPECTED_BUILT:
        src = root / rel
        assert alt_only_diff(src, out / rel) == [], rel
    # alt text really written: the chart on slide 3 of each full deck got a description
    for rel in ("good.pptx", "sub/good-too.pptx", "template.potx", "show.ppsx", "inside-link.pptx"):
        descr = [c.get("descr") for c in cnvprs(out / rel, 3).values() if c.get("descr")]
        assert any(d.startswith("Column chart") or "chart" in d.lower() for d in descr), (rel, descr)


def test_nothing_written_for_a_failed_deck_and_sources_untouched(hostile_run):
    root, before, run = hostile_run
    written = {str(p.relative_to(root / "build" / "accessible")) for p in outputs(root)}
    assert written == EXPECTED_BUILT
    reports = {str(p.relative_to(root / "build" / "reports"))[:-5] for p in (root / "build" / "reports").rglob("*.json")}
    assert reports == EXPECTED_BUILT
    assert leftovers(root) == []
    after = digests(root)
    run_state = ("build/", ".altdeck/", ".doit.db")           # outputs and run state, git-ignored
    assert {k: v for k, v in after.items() if not k.startswith(run_state)} == before


def test_templates_and_slide_shows_keep_their_type(hostile_run):
    root, _, _ = hostile_run
    for rel, ctype in (("template.potx", TEMPLATE_TYPE), ("show.ppsx", SLIDESHOW_TYPE)):
        with zipfile.ZipFile(root / "build" / "accessible" / rel) as z:
            types = z.read("[Content_Types].xml").decode()
        assert f'PartName="/ppt/presentation.xml" ContentType="{ctype}"' in types


def test_missing_image_is_reported_not_described(hostile_run):
    import json
    root, _, _ = hostile_run
    report = json.loads((root / "build" / "reports" / "missing-image.pptx.json").read_text())
    broken = [o for o in report["objects"] if "missing-image" in o["flags"]]
    assert len(broken) == 1 and broken[0]["decision"] == "pending"
    assert "image is missing from the deck" in broken[0]["reason"]


def test_a_failed_deck_fails_again_next_run_and_good_ones_stay_done(hostile_run, tmp_path):
    root, _, first = hostile_run
    again = run_doit(root)
    assert again.built() == set()                      # nothing rebuilt
    assert set(again.failed()) == set(first.failed())  # every broken deck still says why


# ---- in-process: the limits and their messages -------------------------------------------------

def test_zip_bomb_is_rejected_from_the_directory_alone(tmp_path):
    """1 GiB of zeros in a 1 MB deck: refused before any member is read (timing: benchmarks/)."""
    bomb = zip_bomb(tmp_path / "bomb.pptx")
    assert bomb.stat().st_size < 2 * 2**20
    with pytest.raises(DeckError) as e:
        Package(bomb, name="bomb.pptx")
    assert str(e.value).startswith("bomb.pptx: member ppt/media/image1.png unpacks to 1,073,741,824 bytes")


def test_total_size_and_xml_size_limits(tmp_path):
    deck = tmp_path / "deck.pptx"
    full_deck(deck)
    with pytest.raises(DeckError, match="unpacks to .* bytes \\(limit 1,000\\); refusing a possible zip bomb"):
        Package(deck, Limits(max_total_bytes=1000))
    with pytest.raises(DeckError, match=r"part /\[Content_Types\].xml is [\d,]+ bytes of XML \(limit 2,000\); "
                                        "refusing a possible XML bomb"):
        Package(deck, Limits(max_xml_bytes=2000))


def test_duplicate_member_names_are_refused(tmp_path):
    deck = tmp_path / "deck.pptx"
    full_deck(deck)
    dup = tmp_path / "dup.pptx"
    with zipfile.ZipFile(deck) as z, zipfile.ZipFile(dup, "w") as out:
        for info in z.infolist():
            out.writestr(info.filename, z.read(info))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # zipfile warns about the duplicate name
            out.writestr("ppt/slides/slide1.xml", b"<evil/>")
    with pytest.raises(DeckError, match="has the zip member ppt/slides/slide1.xml twice"):
        Package(dup)


def test_encrypted_deck_found_when_the_directory_is_at_the_end(tmp_path):
    """PowerPoint often writes the OLE directory after the payload: the whole file is scanned."""
    deck = encrypted_deck(tmp_path / "enc.pptx")
    data = deck.read_bytes()
    # move the stream names past the first 8 MiB, as a big encrypted deck would have them
    padded = data[:512] + b"\0" * (8 * 2**20) + data[512:]
    deck.write_bytes(padded)
    with pytest.raises(DeckError, match="password-protected"):
        Package(deck)


# ---- Pillow decompression bombs -----------------------------------------------------------------

def _png(size, mode="1"):
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, "PNG")
    return buf.getvalue()


def test_decompression_bomb_in_warning_range_is_an_error():
    """100 Mpx: above MAX_IMAGE_PIXELS (Pillow only warns) but below twice it (Pillow raises)."""
    data = _png((10_000, 10_000))
    assert len(data) < 50_000
    with pytest.raises(ImageRejected, match="decompression bomb"):
        open_image(data)

    # once altdeck decoded a picture, the warning is an error process-wide (pytest resets filters per
    # test, so check that in a fresh interpreter): plain Image.open raises instead of warning
    code = ("import io, sys; from altdeck.describe import images; from PIL import Image\n"
            "small = io.BytesIO(); Image.new('RGB', (2, 2)).save(small, 'PNG'); images.open_image(small.getvalue())\n"
            "try: Image.open(io.BytesIO(sys.stdin.buffer.read()))\n"
            "except Image.DecompressionBombWarning: print('raised')")
    p = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, cwd=REPO)
    assert p.stdout.strip() == b"raised", p.stderr


def test_decompression_bomb_in_error_range_and_own_limit():
    with pytest.raises(ImageRejected, match="decompression bomb"):
        open_image(_png((20_000, 10_000)))
    with pytest.raises(ImageRejected, match=r"image is 64x48 pixels \(limit 1,000\)"):
        open_image(png(1), max_pixels=1000)


def test_open_image_rejects_garbage_and_truncation_and_opens_good_images():
    img = open_image(png(3))
    assert img.size == (64, 48) and img.getpixel((0, 0)) == (3 * 53 % 256, 3 * 97 % 256, 3 * 31 % 256)
    with pytest.raises(ImageRejected, match="not an image format"):
        open_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    big = _png((400, 300), "RGB")
    with pytest.raises(ImageRejected, match="corrupt image"):
        open_image(big[: len(big) // 2])


def test_outputs_of_hostile_folder_open_in_libreoffice(hostile_run, tmp_path):
    """Templates, slide shows and decks with a missing layout or image still open after the build."""
    root, _, _ = hostile_run
    decks = [root / "build" / "accessible" / rel for rel in
             ("template.potx", "show.ppsx", "missing-image.pptx", "picture-bomb.pptx")]
    for deck, pdf in soffice_to_pdf(decks, tmp_path / "pdf").items():
        assert pdf is not None, f"LibreOffice wrote no PDF for {deck.name}"
        assert pdf_pages(pdf) == visible_slides(deck) > 0, deck.name


def test_deck_names_and_messages_reach_the_terminal_without_escape_sequences(tmp_path):
    """A deck's file name (and the messages quoting it) is untrusted: an escape sequence in it would
    recolour or clear the terminal, or retitle its window. Every line shows it escaped."""
    c = course(tmp_path / "c")
    full_deck(c / "ok\x1b]0;owned\x07.pptx")
    (c / "bad\x1b[2J\x1b[31m.pptx").write_bytes(b"PK\x03\x04 not a deck")
    r = run_doit(c, "-v", "2")
    assert r.returncode == 1
    for stream in (r.stdout, r.stderr):
        assert "\x1b" not in stream and "\x07" not in stream
    assert "built  ok\\x1b]0;owned\\x07.pptx" in r.stdout
    assert "FAILED bad\\x1b[2J\\x1b[31m.pptx: " in r.stderr
