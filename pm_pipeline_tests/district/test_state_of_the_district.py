"""The State of the District for a small hand-made district: the figures and comparisons it states."""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pikepdf
import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.warehouse import build_resources, replace_rows
from pm_pipeline.defs.benchmarks.tables import BENCHMARKS
from pm_pipeline.defs.district.assets import district_context, state_of_the_district
from pm_pipeline.defs.intake.tables import PI_RETURNS
from pm_pipeline.defs.register.load import load_register
from pm_pipeline.defs.register.store import write_register
from pm_pipeline.render.pdf import PdfPrinter
from pm_pipeline_tests.council import Council, RunInstance, pi
from pm_pipeline_tests.pdf_pages import ink
from pm_pipeline_tests.pdf_printer import PlainPdfPrinter

from .files import TENURE_HEADER, aps_csv, census_csv, file_10, mye_workbook, tenure_values

HALF_KEY = "2026-04-01"  # 2026/27 H1: April to September 2026, run on 31 October 2026
COUNCIL, ASHFIELD, BASSETLAW, BROXTOWE = "E07000999", "E07000170", "E07000171", "E07000172"
REGION, ENGLAND = "E12000004", "E92000001"
NAMES = {
    COUNCIL: "Testshire",
    ASHFIELD: "Ashfield",
    BASSETLAW: "Bassetlaw",
    BROXTOWE: "Broxtowe",
    REGION: "East Midlands",
    ENGLAND: "England",
}


def ages(young: int, working: int, old: int) -> dict[int, int]:
    return {5: young, 40: working, 70: old}


def write_reference(ref: Path) -> None:
    census_csv(
        ref / "census2021-ts054-ltla.csv",
        TENURE_HEADER,
        [
            (COUNCIL, "Testshire", tenure_values(40_000, 26_000, 400, 6_000, 7_400, 200)),
            (ASHFIELD, "Ashfield", tenure_values(50_000, 30_000, 500, 10_000, 9_000, 500)),
            (BASSETLAW, "Bassetlaw", tenure_values(38_000, 26_600, 400, 5_000, 5_700, 300)),
            (BROXTOWE, "Broxtowe", tenure_values(45_000, 29_250, 450, 7_200, 7_900, 200)),
        ],
    )
    census_csv(
        ref / "census2021-ts054-rgn.csv",
        TENURE_HEADER,
        [
            (
                REGION,
                "East Midlands",
                tenure_values(2_000_000, 1_300_000, 20_000, 320_000, 350_000, 10_000),
            ),
        ],
    )
    census_csv(
        ref / "census2021-ts054-ctry.csv",
        TENURE_HEADER,
        [
            (
                ENGLAND,
                "England",
                tenure_values(23_400_000, 14_500_000, 240_000, 4_000_000, 4_600_000, 60_000),
            ),
        ],
    )
    for year, populations in (
        (
            2024,
            {
                COUNCIL: ages(20_000, 60_000, 20_000),
                ASHFIELD: ages(20_000, 79_000, 20_000),
                BASSETLAW: ages(15_000, 59_500, 15_000),
                BROXTOWE: ages(20_000, 70_000, 20_000),
                REGION: ages(900_000, 3_080_000, 1_000_000),
                ENGLAND: ages(10_000_000, 36_700_000, 10_000_000),
            },
        ),
        (
            2025,
            {
                COUNCIL: ages(20_000, 60_500, 20_500),
                ASHFIELD: ages(20_000, 80_000, 20_000),
                BASSETLAW: ages(15_000, 60_000, 15_000),
                BROXTOWE: ages(20_000, 70_000, 20_000),
                REGION: ages(900_000, 3_100_000, 1_000_000),
                ENGLAND: ages(10_000_000, 37_000_000, 10_000_000),
            },
        ),
    ):
        mye_workbook(
            ref / f"mye-mid-{year}.xlsx",
            year,
            [(code, NAMES[code], by_age) for code, by_age in populations.items()],
        )
    rates = {
        ("2025-06", "Jul 2024-Jun 2025"): {
            COUNCIL: 72.0,
            ASHFIELD: 74.0,
            BASSETLAW: 70.0,
            BROXTOWE: 73.0,
            REGION: 73.5,
            ENGLAND: 75.5,
        },
        ("2025-12", "Jan 2025-Dec 2025"): {
            COUNCIL: 72.5,
            ASHFIELD: 74.5,
            BASSETLAW: 70.5,
            BROXTOWE: 73.5,
            REGION: 73.8,
            ENGLAND: 75.6,
        },
        ("2026-06", "Jul 2025-Jun 2026"): {
            COUNCIL: 73.4,
            ASHFIELD: 75.0,
            BASSETLAW: 71.0,
            BROXTOWE: None,
            REGION: 74.0,
            ENGLAND: 75.7,
        },
    }
    aps_csv(
        ref / "NM_17_5.data.csv",
        [
            (when, name, code, NAMES[code], 20599, value)
            for (when, name), by_area in rates.items()
            for code, value in by_area.items()
        ],
    )
    file_10(
        ref / "File_10_IoD2019_Local_Authority_District_Summaries.xlsx",
        [
            [COUNCIL, "Testshire", 14_000.0, 85, 22.5, 80, 0.05, 60, 0.2, 70],
            [ASHFIELD, "Ashfield", 12_000.0, 45, 30.1, 40, 0.12, 30, 0.3, 35],
            [BASSETLAW, "Bassetlaw", 22_000.0, 240, 12.0, 250, 0.0, 300, 0.05, 260],
            [BROXTOWE, "Broxtowe", 18_000.0, 160, 18.0, 150, 0.02, 120, 0.1, 150],
        ],
    )


def write_register_and_returns(root: Path) -> None:
    Council(
        root,
        indicators=[
            pi("HS-01", "Homelessness prevented", "kpi", unit="count", decimals=0),
            pi(
                "HS-05",
                "Households on the housing register",
                "contextual",
                unit="count",
                polarity="neutral",
                decimals=0,
            ),
            pi(
                "PB-01",
                "Recorded crime per 1,000 population",
                "place",
                unit="rate",
                polarity="lower_is_better",
                theme="Place",
                lginform="9001",
            ),
            pi(
                "PB-02",
                "Households in fuel poverty",
                "place",
                polarity="lower_is_better",
                frequency="annual",
                theme="Place",
            ),
            pi(
                "ED-03",
                "Town centre vacant units",
                "place",
                polarity="lower_is_better",
                theme="Prosperity",
            ),
        ],
        targets=[("HS-01", "2026/27", 100, "")],
        themes=("People", "Place", "Prosperity"),
    ).write()
    values = {
        "HS-05": {Quarter(2025, 2): 1_900, Quarter(2025, 4): 2_000, Quarter(2026, 2): 2_050},
        "PB-01": {
            Quarter(2025, 2): 20.0,
            Quarter(2025, 3): 19.0,
            Quarter(2025, 4): 18.0,
            Quarter(2026, 1): 18.5,
            Quarter(2026, 2): 16.2,
        },
        "PB-02": {Quarter(2024, 4): 13.0, Quarter(2025, 4): 12.0},
        "ED-03": {Quarter(2025, 2): 9.0, Quarter(2025, 4): 10.0, Quarter(2026, 2): 12.0},
        "HS-01": {Quarter(2026, 2): 120},
    }
    rows = [
        {
            "period": q.key,
            "pi_id": pid,
            "value": v,
            "status": "final",
            "version": 1,
            "note": "Crime fell after the town-centre patrols <b>began</b>."
            if pid == "PB-01"
            else "Figure from the service's system.",
        }
        for pid, by_quarter in values.items()
        for q, v in by_quarter.items()
    ]
    benchmark = [
        {
            "source": "lginform",
            "metric_id": "9001",
            "metric_name": "Crime rate (test)",
            "area_code": code,
            "area_name": name,
            "period_label": "2025/26",
            "period_start": date(2025, 4, 1),
            "period_end": date(2026, 3, 31),
            "value": value,
            "unit": "rate",
            "polarity": "lower_is_better",
        }
        for code, name, value in (
            (COUNCIL, "Testshire", 19.0),
            (ASHFIELD, "Ashfield", 21.0),
            (BASSETLAW, "Bassetlaw", 17.0),
            (BROXTOWE, "Broxtowe", 25.0),
            (REGION, "East Midlands", 20.0),
            (ENGLAND, "England", 22.0),
        )
    ]
    with duckdb.connect(str(root / "warehouse.duckdb")) as conn:
        write_register(conn, load_register(root / "config"))
        replace_rows(conn, PI_RETURNS, pd.DataFrame(rows))
        replace_rows(conn, BENCHMARKS, pd.DataFrame(benchmark))


def build(
    root: Path, reference: bool = True, printer: PdfPrinter | None = None
) -> tuple[dg.ExecuteInProcessResult, Path]:
    """The report for HALF_KEY, its PDF printed by `printer` (Chromium unless given)."""
    write_register_and_returns(root)
    if reference:
        write_reference(root / "reference")
    resources = {**build_resources(root), "pdf_printer": printer or PdfPrinter()}
    instance = RunInstance.get()
    assert dg.materialize([district_context], resources=resources, instance=instance).success
    result = dg.materialize(
        [state_of_the_district], resources=resources, instance=instance, partition_key=HALF_KEY
    )
    return result, root / "reports" / "2026-27-H1"


class _Reader(HTMLParser):
    """Headings, tables (caption and cell texts), summary items and SVGs of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.summary: list[str] = []
        self.svgs: list[dict] = []
        self.th_without_scope = 0
        self._text: list[str] | None = None
        self._caption = ""
        self._rows: list[list[str]] = []
        self._in_summary = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "br" and self._text is not None:
            self._text.append(" ")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "ul" and attrs.get("class") == "summary-list":
            self._in_summary = True
        if tag in ("caption", "td", "th", "li"):
            self._text = []
        if tag == "th" and "scope" not in attrs:
            self.th_without_scope += 1
        if tag == "table":
            self._caption, self._rows = "", []
        if tag == "tr":
            self._rows.append([])
        if tag == "svg":
            self.svgs.append({"role": attrs.get("role"), "title": False, "desc": False})
        if tag in ("title", "desc") and self.svgs:
            self.svgs[-1][tag] = True

    def handle_endtag(self, tag: str) -> None:
        text = " ".join("".join(self._text or []).split())
        if tag == "caption":
            self._caption = text
        elif tag in ("td", "th") and self._rows:
            self._rows[-1].append(text)
        elif tag == "li" and self._in_summary:
            self.summary.append(text)
        elif tag == "ul":
            self._in_summary = False
        elif tag == "table":
            self.tables[self._caption] = [r for r in self._rows if r]
        if tag in ("caption", "td", "th", "li"):
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def read_page(path: Path) -> tuple[str, _Reader]:
    page = path.read_text(encoding="utf-8")
    reader = _Reader()
    reader.feed(page)
    return page, reader


def row(reader: _Reader, caption: str, label: str) -> list[str]:
    return next(r for r in reader.tables[caption] if r[0] == label)


def test_report_states_the_district_figures_and_comparisons(data_dir: Path) -> None:
    result, folder = build(data_dir)
    assert result.success
    page, reader = read_page(folder / "state_of_the_district.html")

    assert reader.summary == [
        "New figures since the last report: ONS mid-year population estimates for mid-2025; the "
        "Annual Population Survey employment rate for Jul 2025-Jun 2026.",
        "Unchanged since the last report: Census 2021 and the English Indices of Deprivation.",
        "Population rose from 100,000 (mid-2024) to 101,000 (mid-2025). That is the 3rd highest of "
        "4 similar councils (median 110,000). England: 57,000,000.",
        "Population change over the year was +1.0% in mid-2025. That is the highest of 4 similar "
        "councils (median +0.6%). England: +0.5%.",
        "Employment rate (aged 16-64) rose from 72.0% (Jul 2024-Jun 2025) to 73.4% (Jul 2025-Jun "
        "2026). That is the 2nd best of 3 similar councils (third quartile; median 73.0%). England: "
        "75.7%.",
        "Of the council's 4 place-based and contextual indicators, 3 can be compared with six "
        "months earlier: 1 improved, 1 worsened and 1 held steady.",
        "The largest improvement: Recorded crime per 1,000 population, from 18.0 (2025/26 Q4) to "
        "16.2 (2026/27 Q2).",
        "The largest decline: Town centre vacant units, from 10.0% (2025/26 Q4) to 12.0% (2026/27 "
        "Q2).",
    ]

    population = (
        "Population and age: the district compared with similar councils, East Midlands and England"
    )
    assert row(reader, population, "Population") == [
        "Population",
        "101,000 mid-2025",
        "100,000 mid-2024",
        "110,000",
        "3rd highest of 4",
        "5,000,000",
        "57,000,000",
    ]
    assert row(reader, population, "Aged 65 and over")[1] == "20.3% mid-2025"
    assert row(reader, population, "Female residents") == [
        "Female residents",
        "No figure published for the district yet",
    ]
    housing = "Housing: the district compared with similar councils, East Midlands and England"
    assert row(reader, housing, "Households owning their home") == [
        "Households owning their home",
        "65.0% 2021",
        "—",
        "65.0%",
        "2nd highest of 4",
        "65.0%",
        "62.0%",
    ]
    deprivation = (
        "Deprivation: the district compared with similar councils, East Midlands and England"
    )
    assert row(
        reader, deprivation, "Neighbourhoods (LSOAs) among the most deprived 10% in England"
    ) == [
        "Neighbourhoods (LSOAs) among the most deprived 10% in England",
        "5.0% IoD2019",
        "—",
        "2.0%",
        "2nd most deprived of 4",
        "—",
        "10.0% by definition",
    ]
    assert row(reader, deprivation, "Rank of average deprivation score (1 = most deprived)")[
        1:5
    ] == [
        "80th of 317 IoD2019",
        "—",
        "150",
        "2nd most deprived of 4",
    ]
    employment = (
        "Employment: the district compared with similar councils, East Midlands and England"
    )
    assert row(reader, employment, "Employment rate (aged 16-64)") == [
        "Employment rate (aged 16-64)",
        "73.4% Jul 2025-Jun 2026",
        "72.0% Jul 2024-Jun 2025",
        "73.0%",
        "2nd best of 3 (third quartile)",
        "74.0%",
        "75.7%",
    ]
    assert (
        "No figures yet: add Nomis NM_142_1 (UK Business Counts) to the reference folder"
        in " ".join(page.split())
    )
    assert (
        "Source: ONS Annual Population Survey (Nomis), NM_17_5: Jul 2025-Jun 2026, Jul "
        "2024-Jun 2025. File: NM_17_5.data.csv."
    ) in " ".join(page.split())

    place = "Place: place-based and contextual indicators, 2026/27 H1"
    assert row(reader, place, "PB-01") == [
        "PB-01",
        "Recorded crime per 1,000 population place-based, quarterly",
        "16.2 2026/27 Q2",
        "18.0 2025/26 Q4",
        "20.0 2025/26 Q2",
        "⇧ Improving",
        "2nd best of 4 (second quartile)",
    ]
    assert row(reader, place, "PB-02")[2:6] == [
        "12.0% 2025/26",
        "12.0% 2025/26",
        "13.0% 2024/25",
        "No new figure this half-year (annual indicator)",
    ]
    people = "People: place-based and contextual indicators, 2026/27 H1"
    assert row(reader, people, "HS-05")[5] == "⇨ Stable"
    assert "HS-01" not in page  # a KPI: it belongs to the quarterly scorecard
    # each indicator's sentence comes from the one function and names its comparison
    assert (
        "Town centre vacant units rose to 12.0% in 2026/27 Q2 from 10.0% in 2025/26 Q4: a "
        "decline over six months."
    ) in " ".join(page.split())
    assert (
        "Households in fuel poverty was 12.0% in 2025/26; no new figure this half-year (annual "
        "indicator)."
    ) in " ".join(page.split())
    assert "Crime fell after the town-centre patrols &lt;b&gt;began&lt;/b&gt;." in page
    text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert (
        "Among similar councils: 2nd best of 4 (second quartile); median 21.0; East Midlands "
        "20.0; England 22.0."
    ) in text
    lginform = "LG Inform (Local Government Association): the council compared with similar councils, East Midlands and England"
    assert row(reader, lginform, "Crime rate (test) (PB-01)") == [
        "Crime rate (test) (PB-01)",
        "19.0 2025/26",
        "—",
        "21.0",
        "2nd best of 4 (second quartile)",
        "20.0",
        "22.0",
    ]

    # Accessible structure: one h1, no skipped heading levels, real tables, described charts.
    assert reader.headings.count(1) == 1 and reader.headings[0] == 1
    assert all(b <= a + 1 for a, b in zip(reader.headings, reader.headings[1:], strict=False))
    assert page.count("<table") == page.count("<caption>") == len(reader.tables)
    assert reader.th_without_scope == 0
    assert reader.svgs and all(
        s == {"role": "img", "title": True, "desc": True} for s in reader.svgs
    )
    assert 'lang="en-GB"' in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert set(re.findall(r'href="#([^"]+)"', page)) <= set(ids)

    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["html"].value == str(folder / "state_of_the_district.html")
    assert metadata["pdf"].value == str(folder / "state_of_the_district.pdf")
    assert (
        "Population rose from 100,000 (mid-2024) to 101,000 (mid-2025)."
        in metadata["summary"].value
    )

    pdf = folder / "state_of_the_district.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftoppm") is None:
        pytest.skip(
            "pdftoppm (Debian package poppler-utils) is not installed: PDF pages not rendered"
        )
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(pdf), str(folder / "page")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    pages = sorted(folder.glob("page-*.png"))
    assert len(pages) >= 3
    assert all(p.read_bytes().startswith(b"\x89PNG") and p.stat().st_size > 1000 for p in pages)
    assert all(ink(pdf, n) > 0.001 for n in range(1, len(pages) + 1))  # no page blank


def test_report_without_reference_files_says_what_to_add(data_dir: Path) -> None:
    # this test reads the HTML only: its PDF needs no browser
    result, folder = build(data_dir, reference=False, printer=PlainPdfPrinter())
    assert result.success
    with pikepdf.open(folder / "state_of_the_district.pdf") as pdf, pdf.open_metadata() as meta:
        assert len(pdf.pages) == 1 and "PlainPdfPrinter" in meta["dc:description"]
    page, reader = read_page(folder / "state_of_the_district.html")
    assert reader.summary[0] == "No new place statistics have been published since the last report."
    text = " ".join(page.split())
    assert (
        "No figures yet: add the English Indices of Deprivation (File 7 and File 10) to the "
        "reference folder and run district_context."
    ) in text
    assert "No reference files have been loaded" in text
    assert "Synthetic figures." not in text


def test_changed_layout_fails_district_context_naming_the_file(data_dir: Path) -> None:
    write_register_and_returns(data_dir)
    header = [h.replace("Private rented", "Privately rented") for h in TENURE_HEADER]
    census_csv(
        data_dir / "reference" / "census2021-ts054-ltla.csv",
        header,
        [(COUNCIL, "Testshire", tenure_values(10, 6, 1, 1, 1, 1))],
    )
    result = dg.materialize(
        [district_context],
        resources=build_resources(data_dir),
        instance=RunInstance.get(),
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    description = failure.event_specific_data.error.message
    assert (
        "census2021-ts054-ltla.csv, header row 1: the column 'Tenure of household: Private "
        "rented' (Census 2021 TS054) is missing" in description
    )
