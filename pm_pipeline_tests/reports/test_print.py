"""The sample's reports as printed: its PDFs (all but the Cabinet report, whose page budget is
tested in test_accessibility.py) printed by real headless Chromium from the demo's HTML, and
read back as a reader sees them. No paragraph, table row or chart runs over a page break and
no heading is left at the foot of a page without what it heads (read from the PDF's tags), no
page is left less than a third full except the last of a section (one that ends before a
heading at the top of the next page), and nothing is printed smaller than 9 pt, chart labels
included (read from the PDF's text operators)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pm_pipeline.render.pdf import PdfPrinter
from pm_pipeline_tests.browser import require_browser
from pm_pipeline_tests.pdf_pages import (
    fullness,
    headings_left_alone,
    section_tops,
    smallest_text,
    split_over_pages,
)
from pm_pipeline_tests.reports.conftest import Demo

pytestmark = [
    pytest.mark.xdist_group("demo"),  # one demo run per worker (reports/conftest.py)
    pytest.mark.slow,
    pytest.mark.timeout(900),
]

PRINTED = {  # the sample's PDF reports but the Cabinet's
    "kpi_scorecard": "2026-27-Q2/kpi_scorecard.html",
    "state_of_the_district": "2026-27-H1/state_of_the_district.html",
}
SMALLEST_PT = 9


@pytest.fixture(scope="module")
def printed(sample_demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each report's PDF, printed from the demo's HTML as its asset prints it."""
    require_browser()
    assert sample_demo.code == 0, sample_demo.output
    out = tmp_path_factory.mktemp("printed")
    found = {}
    for name, relative in PRINTED.items():
        html = sample_demo.reports / relative
        pdf = out / f"{name}.pdf"
        pdf.write_bytes(PdfPrinter().to_pdf(html.read_text(), html.parent))
        found[name] = pdf
    return found


def test_no_page_is_left_under_a_third_full_but_the_last_of_a_section(printed):
    for name, pdf in printed.items():
        shares = fullness(pdf)
        tops = section_tops(pdf)  # a page before one of these ends a section
        assert len(shares) > 1 and len(tops) > 5, name
        sparse = [
            (n, round(share, 2))
            for n, share in enumerate(shares, start=1)
            if share < 1 / 3 and n < len(shares) and n + 1 not in tops
        ]
        assert sparse == [], f"{name}: pages under a third full mid-section"


def test_no_paragraph_row_or_chart_is_split_and_no_heading_left_at_a_page_foot(printed):
    for name, pdf in printed.items():
        assert split_over_pages(pdf) == [], name  # (tag, the pages it runs over)
        assert headings_left_alone(pdf) == [], name  # (heading, the page it ends)


def test_nothing_prints_smaller_than_9pt_chart_labels_included(printed):
    for name, pdf in printed.items():
        sizes = smallest_text(pdf)
        small = [(n, round(size, 2)) for n, size in enumerate(sizes, start=1) if size < 8.99]
        assert small == [], f"{name}: pages with text under {SMALLEST_PT}pt"
