"""The sample's monthly reports (issue 28), read from the demo's one run per worker
(reports/conftest.py): the demo prints the latest month's service scorecards, one per
directorate, and the leader's update; each scorecard holds its own services with finance,
customers, people and performance; the leader's update says what changed since last month and
prints on two A4 pages at most. Their accessibility is checked with the other reports' in
test_accessibility.py."""

from __future__ import annotations

import html as html_text
import re
from pathlib import Path

import pytest

from pm_pipeline.core.periods import Month
from pm_pipeline.render.spreadsheet import FORMULA_START
from pm_pipeline_tests.reports.conftest import Demo

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.slow, pytest.mark.timeout(900)]

SEPTEMBER = Month(2026, 9)
DIRECTORATES = {
    "housing-and-communities": ["Housing", "Benefits", "Leisure and Communities"],
    "place-and-growth": ["Waste and Environment", "Planning", "Economic Development"],
    "corporate-services": [
        "Revenues",
        "Human Resources",
        "Customer Services",
        "Finance",
        "Policy and Performance",
    ],
}


@pytest.fixture(scope="module")
def folder(sample_demo: Demo) -> Path:
    assert sample_demo.code == 0, sample_demo.output
    return sample_demo.reports / SEPTEMBER.folder


def text(path: Path) -> str:
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", path.read_text(), flags=re.S)
    return " ".join(html_text.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_demo_prints_the_latest_months_scorecards_and_leaders_update(sample_demo: Demo):
    printed = set(re.findall(r"reports/2026-09/(\S+)", sample_demo.output))
    scorecards = {
        f"service_scorecard_{d}.{kind}" for d in DIRECTORATES for kind in ("html", "xlsx")
    }
    assert printed == scorecards | {"leader_update.html", "leader_update.pdf"}
    assert "5/5 Budget monitoring for April 2025 to September 2026" in sample_demo.output


def test_each_directorates_scorecard_holds_its_services_exceptions_first(folder: Path):
    for directorate, services in DIRECTORATES.items():
        html = (folder / f"service_scorecard_{directorate}.html").read_text()
        shown = re.findall(r'<h2 id="service-[^"]+">([^<]+)</h2>', html)
        assert sorted(html_text.unescape(s) for s in shown) == sorted(services), directorate
        assert (
            html.index('id="exceptions"')
            < html.index('id="at-a-glance"')
            < html.index('id="service-')
        )
    housing = text(folder / "service_scorecard_housing-and-communities.html")
    assert "Housing : Forecast over budget ■ Red — £150,000 (6.8%) over a budget of £2.21m" in (
        housing
    )
    assert "Head of service: David Hughes." in housing  # by name, from people.csv
    corporate = text(folder / "service_scorecard_corporate-services.html")
    customers = corporate[corporate.index("Customer Services: customers indicators") :]
    assert {"CU-01", "CU-04", "ME-01"} <= set(re.findall(r"\b[A-Z]{2}-\d\d\b", customers[:2000]))
    people = corporate[corporate.index("Human Resources: people indicators") :]
    assert {"HR-01", "HR-02", "WF-01", "WF-02"} <= set(
        re.findall(r"\b[A-Z]{2}-\d\d\b", people[:2500])
    )


def test_the_leaders_update_says_what_changed_since_last_month(folder: Path):
    leader = text(folder / "leader_update.html")
    changed = leader[leader.index("What changed since August 2026") : leader.index("What needs")]
    assert "Forecast over budget (Housing) ■ Red : £150,000 (6.8%) over" in changed
    assert "Variance not explained (Planning)" in changed
    assert "CR-07 Cyber attack on council systems: 20 to 25" in changed
    assert "CP-05 Adopt the new Local Plan (Planning): reported off track (was at risk)" in changed
    attention = leader[leader.index("What needs your attention") :]
    assert "The council is forecast to spend £228,800 (1.6%) over its services' budgets" in (
        attention
    )


def test_no_text_in_the_monthly_spreadsheets_can_run_as_a_formula(folder: Path):
    from openpyxl import load_workbook

    for path in folder.glob("service_scorecard_*.xlsx"):
        for sheet in load_workbook(path):
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        assert cell.data_type == "s" and not cell.value.startswith(FORMULA_START), (
                            path.name,
                            cell.coordinate,
                            cell.value,
                        )


def test_the_leaders_update_prints_on_two_a4_pages_at_most(folder: Path, tmp_path: Path):
    import pikepdf

    from pm_pipeline.render.pdf import PdfPrinter
    from pm_pipeline_tests.browser import require_browser

    require_browser()
    html = folder / "leader_update.html"
    pdf = tmp_path / "leader_update.pdf"
    pdf.write_bytes(PdfPrinter().to_pdf(html.read_text(), folder))
    with pikepdf.open(pdf) as printed:
        assert 1 <= len(printed.pages) <= 2
