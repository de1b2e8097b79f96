"""Regenerate the bundled example decks (run from the repo root: python3 examples/make_examples.py).

The decks are committed; this script says how they were made.  smartart.pptx is
copied from Apache POI's test data (Apache-2.0), since python-pptx cannot write SmartArt;
so is the photograph in lecture-03 (chart-picture-bg.pptx).
"""
import io
import sys
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
import decks  # noqa: E402
import textpics  # noqa: E402


def results_deck(path):
    prs = Presentation()
    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = "Enrolment over time"
    data = CategoryChartData()
    data.categories = ["2019", "2020", "2021", "2022", "2023"]
    data.add_series("Students", (120, 135, 160, 158, 190))
    chart = s.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, Inches(1), Inches(1.5), Inches(8), Inches(5), data).chart
    chart.has_title = True
    chart.chart_title.text_frame.text = "Students enrolled per year"
    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = "Where students come from"
    data = CategoryChartData()
    data.categories = ["Local", "National", "International"]
    data.add_series("Share", (0.55, 0.30, 0.15))
    s.shapes.add_chart(XL_CHART_TYPE.PIE, Inches(1), Inches(1.5), Inches(6), Inches(5), data)
    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = "Grading"
    tbl = s.shapes.add_table(4, 3, Inches(1), Inches(1.5), Inches(8), Inches(3)).table
    for r, row in enumerate([["Component", "Weight", "Due"], ["Labs", "30%", "Weekly"],
                             ["Project", "30%", "Week 10"], ["Exam", "40%", "Week 14"]]):
        for c, text in enumerate(row):
            tbl.cell(r, c).text = text
    decks.add_picture(s, decks.png(42), 8.0, descr="Screenshot 2024-03-01 at 10.15.02.png")
    prs.save(path)


def crest() -> bytes:
    """A university crest: a shield with a chevron, no text."""
    img = Image.new("RGB", (240, 240), "white")
    d = ImageDraw.Draw(img)
    d.polygon([(20, 20), (220, 20), (220, 130), (120, 225), (20, 130)], fill=(20, 50, 110))
    d.polygon([(20, 120), (120, 60), (220, 120), (220, 150), (120, 90), (20, 150)], fill=(230, 180, 40))
    return textpics.png(img)


def python_deck(path):
    """Pictures of text (code, terminal, a quote), a photo, and the crest on every slide."""
    with zipfile.ZipFile(decks.corpus_deck("chart-picture-bg.pptx")) as z:
        photo = z.read("ppt/media/image1.jpg")
    code = "def mean(xs):\n    return sum(xs) / len(xs)\n\nprint(mean([4, 8, 15]))"
    shell = "$ python3 mean.py\n9.0\n$ python3 --version\nPython 3.11.2"
    quote = "\u201cBeautiful is better than ugly.\u201d\n\u2014 The Zen of Python"
    slides = [
        ("Computing a mean", textpics.text_image(code, "DejaVu Sans Mono", 22), Inches(6)),
        ("Running it", textpics.text_image(shell, "DejaVu Sans Mono", 22, (220, 220, 220), (30, 30, 30)), Inches(6)),
        ("Why Python", textpics.text_image(quote, "DejaVu Serif Italic", 26, (40, 20, 0), (245, 238, 220)), Inches(7)),
    ]
    prs = Presentation()
    for title, img, width in slides + [("Our campus garden", None, Inches(6))]:
        s = prs.slides.add_slide(prs.slide_layouts[5])
        s.shapes.title.text = title
        blob = textpics.png(img) if img is not None else photo
        s.shapes.add_picture(io.BytesIO(blob), Inches(1.5), Inches(1.8), width)
        s.shapes.add_picture(io.BytesIO(crest()), Inches(9.1), Inches(0.15), Inches(0.7), Inches(0.7))
    prs.save(path)


if __name__ == "__main__":
    decks.full_deck(HERE / "lecture-01-photosynthesis.pptx")
    results_deck(HERE / "lecture-02-course-statistics.pptx")
    python_deck(HERE / "lecture-03-python-basics.pptx")
    decks.copy_corpus("smartart-simple.pptx", HERE / "smartart.pptx")
    print("wrote example decks to", HERE)
