"""Regenerate the bundled example decks (run from the repo root: python3 examples/make_examples.py).

The decks are committed; this script says how they were made.  smartart.pptx is
copied from Apache POI's test data (Apache-2.0), since python-pptx cannot write SmartArt.
"""
import sys
from pathlib import Path

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
import decks  # noqa: E402


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


if __name__ == "__main__":
    decks.full_deck(HERE / "lecture-01-photosynthesis.pptx")
    results_deck(HERE / "lecture-02-course-statistics.pptx")
    decks.copy_corpus("smartart-simple.pptx", HERE / "smartart.pptx")
    print("wrote example decks to", HERE)
