"""The sample's reports as printed: its PDFs printed by real headless Chromium from the demo's
HTML, and read back as a reader sees them. No paragraph, table row or chart runs over a page
break and no heading is left at the foot of a page without what it heads (read from the PDF's
tags), no page is left less than a third full except the last of a section (one that ends
before a heading at the top of the next page) and the first page is more than half full,
nothing is printed smaller than 9 pt, chart labels included (read from the PDF's text
operators), and the Cabinet paper keeps to its 12 A4 pages with all a committee needs."""

from __future__ import annotations

import html as html_text
import re
import subprocess
from pathlib import Path

import pytest

from pm_pipeline.render.pdf import PdfPrinter
from pm_pipeline_tests.browser import require_browser
from pm_pipeline_tests.pdf_pages import (
    fullness,
    headings_left_alone,
    ink,
    section_tops,
    smallest_text,
    split_over_pages,
)
from pm_pipeline_tests.reports.conftest import CABINET_PAPER, Demo

pytestmark = [
    pytest.mark.xdist_group("demo"),  # one demo run per worker (reports/conftest.py)
    pytest.mark.slow,
    pytest.mark.timeout(900),
]

PRINTED = {  # the sample's PDF reports
    "kpi_scorecard": "2026-27-Q2/kpi_scorecard.html",
    "state_of_the_district": "2026-27-H1/state_of_the_district.html",
    "cabinet_report": "2026-27-Q2/cabinet_report.html",
    "governance_report": "2026-27-Q2/governance_report.html",
}
SMALLEST_PT = 9
CABINET_PAGES = 12  # the sample's Cabinet paper, on A4 (issue 27)


def _pdf_pages(pdf: Path) -> list[str]:
    """Each page's text, its whitespace made single spaces (pdftotext ends each with a form feed)."""
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return [" ".join(page.split()) for page in out.stdout.split("\f")[:-1]]


def print_pdf(html: Path, pdf: Path, css: str = "") -> Path:
    """`html` printed as its asset prints it, with any `css` added to its style sheet."""
    text = html.read_text().replace("</style>", f"{css}</style>", 1)
    pdf.write_bytes(PdfPrinter().to_pdf(text, html.parent))
    return pdf


@pytest.fixture(scope="module")
def printed(sample_demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each report's PDF, printed from the demo's HTML as its asset prints it."""
    require_browser()
    assert sample_demo.code == 0, sample_demo.output
    out = tmp_path_factory.mktemp("printed")
    return {
        name: print_pdf(sample_demo.reports / relative, out / f"{name}.pdf")
        for name, relative in PRINTED.items()
    }


def test_no_page_is_left_under_a_third_full_but_the_last_of_a_section(printed):
    for name, pdf in printed.items():
        shares = fullness(pdf)
        tops = section_tops(pdf)  # a page before one of these ends a section
        assert len(shares) > 1 and tops, name  # its headings are bookmarked
        sparse = [
            (n, round(share, 2))
            for n, share in enumerate(shares, start=1)
            if share < 1 / 3 and n < len(shares) and n + 1 not in tops
        ]
        assert sparse == [], f"{name}: pages under a third full mid-section"
        assert shares[0] > 0.5, f"{name}: its first page is half empty"
        last = re.sub(r"Produced by pm_pipeline on .*?\.|Page \d+ of \d+", "", _pdf_pages(pdf)[-1])
        assert last.strip(), f"{name}: its last page holds only when it was produced"


def test_no_paragraph_row_or_chart_is_split_and_no_heading_left_at_a_page_foot(printed):
    for name, pdf in printed.items():
        assert split_over_pages(pdf) == [], name  # (tag, the pages it runs over)
        assert headings_left_alone(pdf) == [], name  # (heading, the page it ends)


def test_nothing_prints_smaller_than_9pt_chart_labels_included(printed):
    for name, pdf in printed.items():
        sizes = smallest_text(pdf)
        small = [(n, round(size, 2)) for n, size in enumerate(sizes, start=1) if size < 8.99]
        assert small == [], f"{name}: pages with text under {SMALLEST_PT}pt"


@pytest.mark.parametrize("taller_mm", [20, 40])
def test_a_committee_paper_fills_its_first_page_whatever_falls_at_its_foot(
    sample_demo, tmp_path, taller_mm
):
    """The governance report's cover made taller (as a council's own longer frame would be)
    puts its risk section, an introduction tied to a table kept whole, at the first page's
    foot: the paper still starts on the first page, not after a page with only the masthead."""
    require_browser()
    html = sample_demo.reports / PRINTED["governance_report"]
    taller = f"@media print {{ .about {{ padding-bottom: {taller_mm}mm; }} }}"
    pdf = print_pdf(html, tmp_path / "governance_report.pdf", taller)
    assert fullness(pdf)[0] > 0.5


def test_the_sample_cabinet_pdf_fits_in_twelve_a4_pages_and_is_tagged(printed):
    pdf = printed["cabinet_report"]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    fields = dict(line.split(":", 1) for line in info.stdout.splitlines() if ":" in line)
    assert 1 <= int(fields["Pages"]) <= CABINET_PAGES, fields["Pages"]
    assert fields["Tagged"].strip() == "yes"
    assert "(A4)" in fields["Page size"]  # pdfinfo names the paper size
    assert all(ink(pdf, n) > 0.001 for n in range(1, int(fields["Pages"]) + 1))


def test_the_cabinet_pdf_is_the_whole_paper_with_each_panel_whole(printed, sample_demo):
    pages = _pdf_pages(printed["cabinet_report"])
    whole = " ".join(pages)
    assert [p for p in CABINET_PAPER if p not in whole] == []
    assert "CR-07" in whole and "Beyond appetite" in whole
    summary = [n for n, page in enumerate(pages) if "Indicators by RAG rating" in page]
    assert len(summary) == 1, summary
    one_page = pages[summary[0]]  # the one-page summary: every panel whole on one page
    for part in (
        "Indicators by RAG rating",
        "Indicators by direction of travel",
        "Biggest changes",
        "Most improved",
        "Biggest declines",
        "Corporate plan:",
    ):
        assert part in one_page, part
    html = (sample_demo.reports / PRINTED["cabinet_report"]).read_text()
    shown = re.findall(r'<h4 id="pi-[^"]+-h">([^<]+)</h4>', html_text.unescape(html))
    assert shown and [h for h in shown if " ".join(h.split()) not in whole] == []  # Appendix A
    assert whole.count("Owner's note:") == html.count('<p class="owner-note">')
    exceptions = re.findall(r'<h3 id="exception-([^"]+)-h"><a [^>]+>([^<]+)</a>', html)
    assert exceptions
    found = [
        next(n for n, page in enumerate(pages) if heading in page) for _, heading in exceptions
    ]
    for n in set(found):  # each exception's SPC chart (its legend) on the page of its heading
        charts = pages[n].count("H/L: special cause high/low")
        assert charts == found.count(n), (n, pages[n][:300])


def test_a_pis_chart_among_similar_councils_is_printed_on_its_pages_first_page(
    printed, sample_demo
):
    """In the full scorecard a PI starts a page; its chart among similar councils sits beside
    its words, so it is not pushed onto a page of its own."""
    pages = _pdf_pages(printed["kpi_scorecard"])
    html = (sample_demo.reports / PRINTED["kpi_scorecard"]).read_text()
    titles = dict(
        re.findall(r'<h4 id="pi-([^"]+)-h">[^ <]+ ([^<]+)</h4>', html_text.unescape(html))
    )
    compared = re.findall(r"<figcaption>(\S+) among similar councils, best at the top", html)
    assert compared
    for pi_id in compared:
        heading = " ".join(f"{pi_id} {titles[pi_id]}".split())
        starts = next(n for n, page in enumerate(pages) if page.startswith(heading))
        chart = next(n for n, page in enumerate(pages) if f"{pi_id} among similar" in page)
        assert chart == starts, (pi_id, starts + 1, chart + 1)
