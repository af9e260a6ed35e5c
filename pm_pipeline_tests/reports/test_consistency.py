"""One PI, one reading, in every report: on the sample's demo, each PI's value, RAG, direction,
SPC reading and the sentence that words them are printed the same in the Cabinet, service,
management and full scorecard reports (each PI's heading, its sentence, its figure and its row
in the theme tables), in the scorecard and service spreadsheets, as the warehouse holds them,
and in the State of the District for the quarter it shows; the annual report's page and
spreadsheet give the same outturns, and 2025/26's follow each PI's measure."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import duckdb
import lxml.html
import openpyxl
import pytest

from pm_pipeline.core.periods import FinancialYear, Quarter
from pm_pipeline.core.values import is_missing
from pm_pipeline.render.wording import direction_label, format_value, rag_label
from pm_pipeline_tests.reports.conftest import Demo

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.slow, pytest.mark.timeout(900)]

LATEST = Quarter(2026, 2)
YEAR = FinancialYear(2025)
QUARTERLY = ("cabinet_report", "service_report", "management_report", "kpi_scorecard")


def words(node) -> str:
    return " ".join(node.text_content().split())


def sections(page) -> dict[str, dict[str, str]]:
    """Each PI's detail section: its heading (badges), sentence and 'This quarter' figure."""
    found = {}
    for section in page.xpath("//section[@class='pi']"):
        pi_id = section.get("id").removeprefix("pi-")
        figure = section.xpath(".//dt[normalize-space()='This quarter']/following-sibling::dd[1]")
        found[pi_id] = {
            "head": words(section.xpath(".//div[@class='pi-head']")[0]),
            "story": words(section.xpath(".//p[@class='story']")[0]),
            "value": words(figure[0]).removesuffix(" (provisional)") if figure else "",
        }
    return found


def table_rows(page) -> dict[str, tuple[str, ...]]:
    """Each PI's row in the theme tables: value, target, RAG, year to date, the directions."""
    found = {}
    for row in page.xpath("//tr[th[@class='pi-id']]"):
        cells = [words(c) for c in row.xpath("./th|./td")]
        if len(cells) == 9:  # the theme tables' columns (other tables list PIs too)
            found[cells[0]] = tuple(cells[2:8])
    return found


def sheet_rows(path: Path, first: str) -> dict[str, dict[str, object]]:
    """A report spreadsheet's first sheet as PI -> {header: cell}, from the row headed `first`."""
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r and r[0] == first)
    header = rows[at]
    pi_at = header.index("PI")
    return {r[pi_at]: dict(zip(header, r, strict=True)) for r in rows[at + 1 :] if r[pi_at]}


@pytest.fixture(scope="module")
def demo(sample_demo: Demo) -> Demo:
    assert sample_demo.code == 0, sample_demo.output
    return sample_demo


@pytest.fixture(scope="module")
def scorecard(demo: Demo) -> dict[str, dict]:
    """The warehouse's scorecard rows for the latest quarter, with the register's unit."""
    with duckdb.connect(str(demo.data / "warehouse.duckdb"), read_only=True) as conn:
        frame = conn.execute(
            "SELECT s.*, i.unit, i.decimals, i.rolling, i.statistic FROM kpi_scorecard s "
            "JOIN register_indicators i USING (pi_id) WHERE s.period = ?",
            [LATEST.key],
        ).df()
    return {r["pi_id"]: r for r in frame.to_dict("records")}


@pytest.fixture(scope="module")
def quarterly(demo: Demo) -> dict[str, object]:
    folder = demo.reports / LATEST.folder
    return {name: lxml.html.parse(str(folder / f"{name}.html")) for name in QUARTERLY}


def test_every_quarterly_report_prints_each_pi_as_the_scorecard_does(quarterly, scorecard):
    full = sections(quarterly["kpi_scorecard"])
    assert set(full) == set(scorecard)  # the full scorecard has every PI
    seen = defaultdict(list)
    for name, page in quarterly.items():
        for pi_id, shown in sections(page).items():
            assert shown == full[pi_id], f"{pi_id} in {name}"
            seen[pi_id].append(name)
        for pi_id, row in table_rows(page).items():
            assert row == table_rows(quarterly["kpi_scorecard"])[pi_id], f"{pi_id} in {name}"
    assert any(len(where) > 1 for where in seen.values())  # PIs shown in more than one report
    for pi_id, row in scorecard.items():
        shown = full[pi_id]
        value = format_value(row["value"], row["unit"], int(row["decimals"]))
        assert shown["value"] == value and table_rows(quarterly["kpi_scorecard"])[pi_id][0] == (
            value
        ), pi_id
        assert rag_label(row["rag"]) in shown["head"], pi_id
        assert direction_label(row["direction_vs_previous"]) in shown["head"], pi_id


def test_the_spreadsheets_hold_what_the_pages_print(demo, quarterly, scorecard):
    folder = demo.reports / LATEST.folder
    full = sections(quarterly["kpi_scorecard"])
    sheet = sheet_rows(folder / "kpi_scorecard.xlsx", "PI")
    service = sheet_rows(folder / "service_report.xlsx", "Service")
    assert set(sheet) == set(scorecard)
    same = ("Value", "RAG", "Direction vs previous", "Story", "Variation (SPC)", "Assurance (SPC)")
    for pi_id, row in scorecard.items():
        cells = sheet[pi_id]
        if is_missing(row["value"]):
            assert cells["Value"] is None, pi_id
        else:
            assert cells["Value"] == pytest.approx(row["value"]), pi_id
        assert cells["RAG"] == rag_label(row["rag"]), pi_id
        assert cells["Direction vs previous"] == direction_label(row["direction_vs_previous"])
        assert cells["Story"] == full[pi_id]["story"], pi_id
        for reading in ("Variation (SPC)", "Assurance (SPC)"):  # the page's badge, its words
            label = str(cells[reading] or "").removeprefix("H ").removeprefix("L ")
            label = re.sub(r"^[PF?] ", "", label)
            if label != "No SPC reading":  # the page says why under the chart instead
                assert label in full[pi_id]["head"], (pi_id, reading, label)
        if pi_id in service:
            assert {k: service[pi_id][k] for k in same} == {k: cells[k] for k in same}, pi_id


def test_no_reading_contradicts_another_on_the_demo(quarterly, scorecard):
    full = sections(quarterly["kpi_scorecard"])
    for pi_id, shown in full.items():
        text = f"{shown['head']} {shown['story']}"
        if "held steady" in text and ("a real decline" in text or "a real improvement" in text):
            assert "But against its normal range" in text, pi_id
        if "Green" in shown["head"] and "consistently failing" in text:
            assert "but its normal range lies" in text, pi_id
        if scorecard[pi_id]["rolling"]:  # a rolling figure: no run rules, only the limits
            for run in ("for 7 or more figures running", "two of its last three", "in a row"):
                assert run not in shown["story"], (pi_id, run)


def test_the_state_of_the_district_prints_the_quarters_figures(demo, scorecard):
    page = lxml.html.parse(str(demo.reports / LATEST.half.folder / "state_of_the_district.html"))
    district = {
        s.get("id").removeprefix("pi-"): words(s) for s in page.xpath("//section[@class='pi']")
    }
    shown = [p for p in district if p in scorecard and is_missing(scorecard[p]["statistic"])]
    assert shown  # place-based and contextual PIs scored this quarter
    for pi_id in shown:
        row = scorecard[pi_id]
        value = format_value(row["value"], row["unit"], int(row["decimals"]))
        assert f"Latest ({LATEST.label}): {value}" in district[pi_id], pi_id


def test_the_annual_report_page_and_sheet_agree_and_follow_the_measure(demo):
    folder = demo.reports / YEAR.folder
    page = lxml.html.parse(str(folder / "annual_performance_report.html"))
    rows = {}
    for row in page.xpath("//tr[th[@class='pi-id']]"):
        cells = [words(c) for c in row.xpath("./th|./td")]
        rows.setdefault(cells[0], cells)  # the first table: quarters, outturn, how, target, RAG
    sheet = sheet_rows(folder / "annual_performance_report.xlsx", "PI")
    assert set(sheet) <= set(rows)
    with duckdb.connect(str(demo.data / "warehouse.duckdb"), read_only=True) as conn:
        decimals = dict(conn.execute("SELECT pi_id, decimals FROM register_indicators").fetchall())
    for pi_id, cells in sheet.items():
        shown = rows[pi_id]
        if cells["Outturn"] is not None:
            assert format_value(cells["Outturn"], cells["Unit"], decimals[pi_id]) in shown, pi_id
        assert str(cells["RAG"]) in " ".join(shown), pi_id
    with duckdb.connect(str(demo.data / "warehouse.duckdb"), read_only=True) as conn:
        parts = dict(
            conn.execute(
                "SELECT pi_id, sum(numerator) / sum(denominator) * 100 FROM pi_returns "
                "WHERE pi_id IN ('WR-01', 'PL-01') AND period IN (?, ?, ?, ?) GROUP BY pi_id",
                [q.key for q in YEAR.quarters],
            ).fetchall()
        )
        lginform = conn.execute(
            "SELECT value FROM benchmarks WHERE source = 'lginform' AND metric_id = '900001' "
            "AND area_code = (SELECT area_code FROM register_council) AND period_label = ?",
            [YEAR.label],
        ).fetchall()
    assert sheet["HS-05"]["Outturn"] == sheet["HS-05"]["Q4"]  # a stock: the year-end snapshot
    assert sheet["WR-01"]["Outturn"] == pytest.approx(round(parts["WR-01"], 1))  # tonnages
    assert sheet["PL-01"]["Outturn"] == pytest.approx(round(parts["PL-01"], 1))  # decided in time
    assert lginform and abs(sheet["WR-01"]["Outturn"] - lginform[0][0]) <= 0.5  # reconciled
