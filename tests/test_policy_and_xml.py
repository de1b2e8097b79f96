"""Judging existing alt text, and the byte-preserving attribute editor."""
import pytest
from lxml import etree

from altdeck.alttext import judge, placeholder_reason
from altdeck.ooxml.xmledit import Change, EditError, apply_changes


@pytest.mark.parametrize("text", [
    "image.png", "IMG_1234.JPG", "DSC00012.jpg", "Screenshot 2024-03-01 at 10.15.02.png", "Picture 3",
    "Content Placeholder 5", "logo", "Image", "chart", "a", "https://example.org/x.png", "C:\\Users\\me\\pic.jpg",
    "{0F9A3B2C-1D4E-4F5A-9B8C-7D6E5F4A3B2C}",
    "A close up of a leaf\n\nDescription automatically generated",
    "A picture containing text\n\nDescription automatically generated with medium confidence",
    "Ein Bild, das Text enthält.\n\nAutomatisch generierte Beschreibung",
    "Une image contenant texte\n\nDescription générée automatiquement",
    "Diagram\n\nAI-generated content may be incorrect.",
    "Diagramm\n\nKI-generierte Inhalte können fehlerhaft sein.",
    "Descripción generada automáticamente",
    "Le contenu généré par l'IA peut être incorrect.", "El contenido generado por IA puede ser incorrecto.",
    "Descrizione generata automaticamente", "Beschrijving automatisch gegenereerd",
    "Descrição gerada automaticamente", "Description generated with very high confidence",
])
def test_placeholders_count_as_missing(text):
    assert placeholder_reason(text, "Picture 7") is not None
    assert judge(text, "", "Picture 7", False, "replace_placeholder")[0] == "describe"


@pytest.mark.parametrize("text", [
    "Chloroplast under a light microscope.", "University logo", "Bar chart of enrolment, 2019–2023",
    "Marie Curie in her laboratory", "Map of Europe with the Danube highlighted",
])
def test_real_descriptions_are_kept(text):
    assert placeholder_reason(text, "Picture 7") is None
    assert judge(text, "", "Picture 7", False, "replace_placeholder") == ("keep", "good existing alt text")


def test_every_automatic_caption_holds_a_word_the_quick_look_searches_for():
    """placeholder_reason runs the caption search only on texts holding one of CAPTION_WORDS
    (it judges every stored text on each no-op run): each caption pattern must hold one, literally."""
    from altdeck import alttext
    for pattern in alttext._AUTO_CAPTIONS:
        assert any(word in pattern for word in alttext.CAPTION_WORDS), pattern


def test_shape_name_as_alt_text_is_a_placeholder_even_when_unusual():
    assert placeholder_reason("Slide Photo Left", "Slide Photo Left") == "the shape's name"


def test_policies_and_decorative_and_title_only():
    assert judge("image.png", "", "P", False, "keep")[0] == "keep"
    assert judge("A real description", "", "P", False, "replace_all")[0] == "describe"
    assert judge("anything", "", "P", True, "replace_all") == ("decorative", "marked decorative")
    decision, reason = judge("", "Leaf cross-section", "P", False, "keep")
    assert decision == "describe" and "title" in reason


SLIDE = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
         b'<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
         b'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
         b'<!-- <p:cNvPr id="99" name="in a comment"/> -->'
         b"<p:cSld><p:spTree><p:pic><p:nvPicPr><p:cNvPr id='2' name='Picture 1' descr='IMG_1.png'  title=\"x.png\"/>"
         b'</p:nvPicPr></p:pic><p:pic><p:nvPicPr><p:cNvPr id="3" name="a &gt; b">'
         b'<a:extLst><a:ext uri="{FF2B5EF4-FFF2-40B4-BE49-F238E27FC236}"><a16:creationId '
         b'xmlns:a16="http://schemas.microsoft.com/office/drawing/2014/main" id="{1}"/></a:ext></a:extLst>'
         b'</p:cNvPr></p:nvPicPr></p:pic></p:spTree></p:cSld></p:sld>')


def test_editor_changes_only_the_named_attributes_and_keeps_every_other_byte():
    out = apply_changes(SLIDE, {0: Change(descr='Leaf & "stem" <b>\nsecond line', remove_title=True)}, 2, "a")
    assert out.startswith(SLIDE[:SLIDE.index(b"<p:cNvPr id='2'")])
    assert out.endswith(SLIDE[SLIDE.index(b"</p:nvPicPr></p:pic><p:pic>"):])
    el = etree.fromstring(out).find(".//{*}cNvPr")
    assert el.get("descr") == 'Leaf & "stem" <b>\nsecond line'
    assert el.get("title") is None and el.get("name") == "Picture 1"


def test_editor_adds_descr_and_decorative_flag_keeping_other_extensions():
    out = apply_changes(SLIDE, {1: Change(descr="Stem", decorative=True)}, 2, "a")
    el = etree.fromstring(out).findall(".//{*}cNvPr")[1]
    assert el.get("descr") == "Stem"
    uris = [e.get("uri") for e in el.iter("{*}ext")]
    assert uris == ["{FF2B5EF4-FFF2-40B4-BE49-F238E27FC236}", "{C183D7F6-B498-43B3-948B-1728B52AA6E4}"]
    assert el.find(".//{http://schemas.microsoft.com/office/drawing/2017/decorative}decorative").get("val") == "1"
    out = apply_changes(SLIDE, {0: Change(decorative=True)}, 2, None)       # self-closing, no bound prefix
    el = etree.fromstring(out).find(".//{*}cNvPr")
    assert el.find("{http://schemas.openxmlformats.org/drawingml/2006/main}extLst") is not None


def test_a_deck_that_says_not_decorative_gets_its_own_flag_turned_on_not_a_second_one():
    off = SLIDE.replace(b"</a:ext></a:extLst></p:cNvPr>",
                        b"</a:ext><a:ext uri='{C183D7F6-B498-43B3-948B-1728B52AA6E4}'><adec:decorative "
                        b"xmlns:adec='http://schemas.microsoft.com/office/drawing/2017/decorative' val='0'/>"
                        b"</a:ext></a:extLst></p:cNvPr>")
    assert off != SLIDE
    out = apply_changes(off, {1: Change(decorative=True)}, 2, "a")
    flags = etree.fromstring(out).findall(".//{http://schemas.microsoft.com/office/drawing/2017/decorative}decorative")
    assert [f.get("val") for f in flags] == ["1"]
    assert out == off.replace(b"val='0'", b"val='1'")           # that byte, and nothing else


def test_editor_refuses_when_the_bytes_disagree_with_the_parser():
    with pytest.raises(EditError):
        apply_changes(SLIDE, {0: Change(descr="x")}, 3, "a")


def test_editor_drops_characters_xml_cannot_hold():
    out = apply_changes(SLIDE, {0: Change(descr="ok\x00\x07 text\ud800")}, 2, "a")
    assert etree.fromstring(out).find(".//{*}cNvPr").get("descr") == "ok text"
