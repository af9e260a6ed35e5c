"""Write the sample council's register and returns (synthetic, deterministic).

`python -m pm_pipeline.sample.generate data/` rebuilds `data/config/`, `data/returns/` (and
`data/finance/`, the monthly budget monitoring: sample/finance.py) for
2021/22 Q1 to 2026/27 Q2 (22 quarters: enough for SPC charts of 15 points and more), and the
monthly PIs' months from April 2025 to September 2026. The same code writes councils of any
size for `bench/scale.py`.

A little over ~400 lines: the returns are drawn from one seeded random stream in a fixed
order, beside the register they are written against; moving those helpers apart gains
nothing and risks reordering the draws, which would change every sample figure.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pandas as pd
import yaml

from pm_pipeline.core.files import write_atomic
from pm_pipeline.core.periods import FinancialYear, Month, Quarter
from pm_pipeline.defs.intake.columns import RETURN_COLUMNS
from pm_pipeline.defs.register.model import INDICATOR_COLUMNS, PEOPLE_COLUMNS
from pm_pipeline.sample import catalogue as cat
from pm_pipeline.sample import finance, reference_areas, spc_story
from pm_pipeline.sample.catalogue import SamplePI
from pm_pipeline.sample.plan import write_plan_register, write_plan_updates
from pm_pipeline.sample.reference_economy import claimant_rate

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

FIRST = Quarter(2021, 1)
ANCHOR = Quarter(2023, 1)  # the catalogue's `base` is the level in this quarter
LATEST = Quarter(2026, 2)
YEARS = [FinancialYear(y) for y in range(FIRST.fy_start_year, LATEST.fy_start_year + 1)]
FIXED_TIME = datetime(2026, 10, 1)

# service -> (file name, header style); styles vary as real owners' files do
SERVICE_FILES = {
    "Housing": ("housing.xlsx", "xlsx_title"),
    "Benefits": ("benefits.csv", "csv_bom_crlf"),
    "Leisure and Communities": ("leisure_and_communities.csv", "csv_plain"),
    "Waste and Environment": ("waste_and_environment.xlsx", "xlsx_plain"),
    "Planning": ("planning.csv", "csv_shouty"),
    "Economic Development": ("economic_development.xlsx", "xlsx_plain"),
    "Revenues": ("revenues.csv", "csv_plain"),
    "Human Resources": ("human_resources.xlsx", "xlsx_title"),
    "Customer Services": ("customer_services.csv", "csv_bom_crlf"),
    "Finance": ("finance.csv", "csv_shouty"),
    "Policy and Performance": ("policy_and_performance.xlsx", "xlsx_plain"),
}
HEADER = list(RETURN_COLUMNS)
SHOUTY = [
    "PI_ID",
    " Period ",
    "Value",
    "Numerator",
    "Denominator",
    "Status",
    "Note",
    "Submitted By",
    "Submitted At",
]

# Events that make the sample tell a story (and exercise the rules) in the latest quarters.
UNAVAILABLE = {
    (Quarter(2024, 3), "PB-03"): "The winter street cleanliness survey was cancelled because "
    "of snow; the next survey is in the spring.",
    (Quarter(2025, 2), "CS-01"): "Police partnership data for September was not received in "
    "time; the figure will be restated next quarter.",
    (LATEST, "PB-03"): "The autumn street cleanliness survey moved to November after the "
    "contractor changed; the result will be reported with Q3.",
}
PROVISIONAL = {(LATEST, "ED-04")}
LATE_FILE = (LATEST, "Planning", datetime(2026, 10, 28, 16, 5))
OVERRIDES = {  # (quarter, pi) -> value: the sample's exceptions
    (LATEST, "HS-02"): 57.8,
    (Quarter(2026, 1), "HS-02"): 55.1,
    (Quarter(2025, 4), "HS-02"): 52.0,
    (LATEST, "PL-01"): 95.0,  # green against target, yet bottom quartile among peers
}
RESTATED = (LATEST, "WR-01", 49.1)  # first return omitted garden waste; corrected value stands
# Monthly PIs (issue 28) from April 2025 to the latest quarter's last month; August 2026's
# sickness figure was lost in a system move, so that quarter has 2 of 3 months.
FIRST_MONTH = Month(2025, 4)
LATEST_MONTH = LATEST.months[-1]
MONTHLY_UNAVAILABLE = {
    (Month(2026, 8), "HR-04"): "The HR system moved to a new supplier in August and the "
    "month's absence records are still being migrated; August will be restated in October.",
}


def _level(pi: SamplePI, quarter: Quarter, planned_only: bool = False) -> float:
    index = (quarter.fy_start_year - ANCHOR.fy_start_year) * 4 + quarter.q - ANCHOR.q
    return (
        pi.base
        + pi.trend * index
        + pi.season[quarter.q - 1]
        + spc_story.step(pi.pi_id, quarter, pi.base, planned_only)
    )


def _clip(pi: SamplePI, value: float) -> float:
    low = 0.0 if pi.unit in ("percent", "count", "days", "gbp", "rate") else None
    high = 100.0 if pi.unit == "percent" else None
    if pi.valid_min is not None:
        low = max(low or pi.valid_min, pi.valid_min)
    if pi.valid_max is not None:
        high = min(high or pi.valid_max, pi.valid_max)
    if low is not None:
        value = max(low, value)
    if high is not None:
        value = min(high, value)
    return round(value, pi.decimals)


def due(pi: SamplePI, quarter: Quarter) -> bool:
    """A quarterly PI every quarter, an annual one at Q4 (a monthly PI is returned by month)."""
    return pi.frequency == "quarterly" or (pi.frequency == "annual" and quarter.q == 4)


def value_for(pi: SamplePI, quarter: Quarter, rng: random.Random) -> float:
    if (quarter, pi.pi_id) in OVERRIDES:
        return OVERRIDES[(quarter, pi.pi_id)]
    value = _clip(pi, _level(pi, quarter) + rng.gauss(0, pi.noise))
    if pi.statistic == "claimant_rate":  # checked against the sample's NM_162_1 file
        published = claimant_rate(reference_areas.areas()[0], quarter.end.year, quarter.end.month)
        # The latest figure was returned provisional, before ONS revised it (the check warns).
        return round(published + (0.1 if (quarter, pi.pi_id) in PROVISIONAL else 0.0), 1)
    return value


def target_for(pi: SamplePI, year: FinancialYear) -> float | None:
    if pi.target_margin is None or pi.type not in ("kpi", "service", "management"):
        return None
    if pi.frequency == "monthly":
        return monthly_target(pi, year)
    quarters = [q for q in year.quarters if due(pi, q)]
    expected = sum(_level(pi, q, planned_only=True) for q in quarters) / len(quarters)
    factor = 1 + pi.target_margin if pi.polarity == "higher_is_better" else 1 - pi.target_margin
    return _clip(pi, expected * factor)


_NOTES_UP = ("up on last quarter", "higher than last quarter", "an increase on last quarter")
_NOTES_DOWN = ("down on last quarter", "lower than last quarter", "a fall from last quarter")
_NOTES_SAME = "the same as last quarter"
# Each service's reason for a figure that got better, got worse, or moved where neither
# direction is better (neutral PIs), so an owner's note always fits its figure's movement.
_REASONS: dict[str, dict[str, str]] = {
    "Housing": {
        "better": "casework with landlords and applicants moved cases on faster",
        "worse": "demand from private-rented evictions remains high",
        "neutral": "the figure follows demand from private-rented evictions",
    },
    "Benefits": {
        "better": "the team cleared the backlog from the new claims system",
        "worse": "a backlog built up while the new claims system bedded in",
        "neutral": "the figure follows the number of claims received",
    },
    "Leisure and Communities": {
        "better": "school holiday programmes and events drove activity",
        "worse": "fewer events ran while a sports hall was refurbished",
        "neutral": "activity followed the seasons and the events calendar",
    },
    "Waste and Environment": {
        "better": "crews settled into the new rounds",
        "worse": "crews were on new rounds for part of the quarter",
        "neutral": "the figure follows the usual seasonal pattern",
    },
    "Planning": {
        "better": "two planning officer vacancies were filled this quarter",
        "worse": "two planning officer posts were vacant for part of the quarter",
        "neutral": "the figure follows the applications received",
    },
    "Economic Development": {
        "better": "the business support programme opened a new round",
        "worse": "the business support programme was between funding rounds",
        "neutral": "the figure reflects the local economy",
    },
    "Revenues": {
        "better": "recovery work on arrears continued as planned",
        "worse": "more residents needed payment arrangements for arrears",
        "neutral": "the figure follows the billing cycle",
    },
    "Human Resources": {
        "better": "managers followed up absences, leavers and overdue training promptly",
        "worse": "seasonal illness and two long-term absences stretched teams",
        "neutral": "the figure follows the size of the workforce",
    },
    "Customer Services": {
        "better": "extra staff covered the phones and inboxes at peak times",
        "worse": "call volumes peaked around annual billing",
        "neutral": "contact followed the usual seasonal pattern",
    },
    "Finance": {
        "better": "new lettings on the commercial estate began to pay rent",
        "worse": "two commercial tenants left and a payment run was delayed",
        "neutral": "the figure follows the council's spending cycle",
    },
    "Policy and Performance": dict.fromkeys(
        ("better", "worse", "neutral"), "the figure comes from the latest published statistics"
    ),
}
DEFAULT_REASON = "the service ran as planned this quarter"


def service_file(service: str) -> tuple[str, str]:
    """The sample's named services have their own files; any other alternates CSV and XLSX."""
    if service in SERVICE_FILES:
        return SERVICE_FILES[service]
    slug = re.sub(r"[^a-z0-9]+", "_", service.lower()).strip("_")
    odd = sum(map(ord, service)) % 2
    return (f"{slug}.xlsx", "xlsx_plain") if odd else (f"{slug}.csv", "csv_plain")


def movement(pi: SamplePI, value: float, before: float) -> str:
    """How a figure moved for its reader: better, worse, neutral (no better direction), same."""
    if value == before:
        return "same"
    if pi.polarity == "neutral":
        return "neutral"
    rose = value > before
    return "better" if rose == (pi.polarity == "higher_is_better") else "worse"


def reason_for(pi: SamplePI, moved: str) -> str:
    reasons = _REASONS.get(pi.service)
    if reasons is None:
        return DEFAULT_REASON
    return reasons["neutral" if moved == "same" else moved]


def note_for(pi: SamplePI, value: float, before: float | None, pick: int | None) -> str:
    """The owner's note for the figure as returned: its movement since `before` and a reason
    that fits it (`pick` chooses the wording, drawn before the figure is final)."""
    if before is None or pick is None:
        return f"First return for {pi.title.lower()} in this framework; {reason_for(pi, 'same')}."
    moved = movement(pi, value, before)
    if moved == "same":
        trend = _NOTES_SAME
    else:
        trend = (_NOTES_UP if value > before else _NOTES_DOWN)[pick]
    return f"{pi.title} is {trend}: {reason_for(pi, moved)}."


def _format_value(pi: SamplePI, value: float | None, style: str) -> object:
    if value is None:
        return None
    if style.startswith("xlsx"):
        return value / 100 if pi.unit == "percent" else value
    text = (
        f"{value:,.{pi.decimals}f}" if pi.unit in ("count", "gbp") else f"{value:.{pi.decimals}f}"
    )
    if pi.unit == "percent" and style == "csv_shouty":
        return f"{text}%"
    if pi.unit == "gbp":
        return f"£{text}"
    return text


def _period_text(quarter: Quarter, style: str) -> str:
    if style == "csv_shouty":
        return f"Q{quarter.q} {quarter.financial_year.label}"
    if style == "csv_bom_crlf":
        return f"{quarter.financial_year.folder} Q{quarter.q}"
    return quarter.label


def _submitted(quarter: Quarter, service: str, rng: random.Random) -> datetime:
    if (quarter, service) == LATE_FILE[:2]:
        return LATE_FILE[2]
    start, _ = quarter.entry_window
    day = start + timedelta(days=rng.randint(3, 18))
    return datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.choice((0, 15, 30, 45)))


def _xlsx_bytes(book: Workbook) -> bytes:
    """The workbook's bytes with fixed timestamps, so regenerating the sample changes nothing."""
    import zipfile

    book.properties.created = book.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    book.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            fixed = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(item.filename)
            if item.filename == "docProps/core.xml":  # openpyxl stamps "modified" with now
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-10-01T00:00:00Z", content
                )
            target.writestr(fixed, content)
    return out.getvalue()


def _write_csv(path: Path, rows: list[list[object]], style: str) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n" if style == "csv_bom_crlf" else "\n")
    writer.writerow(SHOUTY if style == "csv_shouty" else HEADER)
    writer.writerows([["" if c is None else c for c in row] for row in rows])
    text = buffer.getvalue()
    write_atomic(path, ("\ufeff" + text) if style == "csv_bom_crlf" else text)


def _write_xlsx(
    path: Path, rows: list[list[object]], style: str, units: list[str], title: str
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Returns"
    if style == "xlsx_title":
        sheet.append([title])
        sheet.append([])
    sheet.append(HEADER)
    for row, unit in zip(rows, units, strict=True):
        sheet.append(row)
        cell = sheet.cell(row=sheet.max_row, column=3)
        if unit == "percent" and isinstance(cell.value, float):
            cell.number_format = "0.0%"
        date_cell = sheet.cell(row=sheet.max_row, column=9)
        date_cell.number_format = "dd/mm/yyyy hh:mm"
    write_atomic(path, _xlsx_bytes(book))


def _month_level(pi: SamplePI, month: Month) -> float:
    """A monthly PI's planned level in a month (its story without noise)."""
    index = (month.year - FIRST_MONTH.year) * 12 + month.month - FIRST_MONTH.month
    return pi.base + pi.trend * index + pi.season[month.quarter.q - 1]


def monthly_target(pi: SamplePI, year: FinancialYear) -> float | None:
    """A monthly PI's quarterly target: its quarter as planned (a flow's months added up, a
    level's mean), by its margin; none before its first month."""
    if year.start_year < FIRST_MONTH.quarter.fy_start_year:
        return None
    quarters = [[_month_level(pi, m) for m in q.months] for q in year.quarters]
    per_quarter = [sum(q) if pi.measure == "flow" else sum(q) / 3 for q in quarters]
    expected = sum(per_quarter) / len(per_quarter)
    margin = pi.target_margin or 0.0
    return _clip(pi, expected * (1 + margin if pi.polarity == "higher_is_better" else 1 - margin))


def months(first: Month = FIRST_MONTH, last: Month = LATEST_MONTH) -> list[Month]:
    out = [first]
    while out[-1] < last:
        out.append(out[-1].next)
    return out


def _month_value(pi: SamplePI, month: Month, rng: random.Random) -> Record:
    """A month's figure (value, numerator, denominator), from the PI's own random stream."""
    level = _month_level(pi, month) + rng.gauss(0, pi.noise)
    if pi.measure == "cumulative":  # a share of the year's rent due, collected so far
        into_year = (month.month - 4) % 12 + 1
        return _clip(pi, level * into_year / 12), None, None
    if pi.parts:
        denominator = max(1, round(pi.parts[month.quarter.q - 1] * rng.uniform(0.93, 1.07)))
        numerator = round(_clip(pi, level) / pi.per * denominator)
        return round(pi.per * numerator / denominator, pi.decimals), numerator, denominator
    return _clip(pi, level), None, None


def write_monthly_returns(
    root: Path, pis: Sequence[SamplePI], first: Month = FIRST_MONTH, last: Month = LATEST_MONTH
) -> dict[tuple[str, str], Record]:
    """Every month's file of the monthly PIs, one per service (returns/<YYYY-MM>/), returned
    by the first working days of the month after, with the period written `July 2026` by
    some services and `2026-07` by others; the figures by (month key, pi_id)."""
    monthly = [pi for pi in pis if pi.frequency == "monthly"]
    streams = {pi.pi_id: random.Random(f"pm_pipeline sample monthly {pi.pi_id}") for pi in monthly}
    records: dict[tuple[str, str], Record] = {}
    by_service: dict[str, list[SamplePI]] = defaultdict(list)
    for pi in monthly:
        by_service[pi.service].append(pi)
    for month in months(first, last):
        for service, service_pis in by_service.items():
            rng = random.Random(f"pm_pipeline sample monthly {service} {month.key}")
            start, _ = month.entry_window
            day = start + timedelta(days=rng.randint(2, 9))
            submitted = datetime(day.year, day.month, day.day, rng.randint(8, 17), 0)
            rows = []
            for pi in service_pis:
                reason = MONTHLY_UNAVAILABLE.get((month, pi.pi_id))
                record = _month_value(pi, month, streams[pi.pi_id])  # drawn either way
                before = records.get((month.previous.key, pi.pi_id))
                figure: list[object] = ["", "", ""]
                if reason:
                    note, status = reason, "unavailable"
                else:
                    records[(month.key, pi.pi_id)] = record
                    moved = "same" if before is None else movement(pi, record[0], before[0])
                    note = f"{pi.title}: {reason_for(pi, moved)}."
                    status = "final"
                    figure = [_format_value(pi, record[0], "csv_plain"), *record[1:]]
                rows.append(
                    [
                        pi.pi_id,
                        month.label if service != "Human Resources" else month.folder,
                        *figure,
                        status,
                        note,
                        pi.owner,
                        submitted.strftime("%d/%m/%Y %H:%M"),
                    ]
                )
            name = service_file(service)[0].rsplit(".", 1)[0] + "_monthly.csv"
            _write_csv(root / "returns" / month.folder / name, rows, "csv_plain")
    return records


def write_register(
    root: Path,
    pis: Sequence[SamplePI],
    council_name: str = cat.COUNCIL_NAME,
    comparators: Sequence[tuple[str, str]] = cat.COMPARATORS,
    years: Sequence[FinancialYear] = YEARS,
) -> None:
    config = root / "config"
    write_atomic(
        config / "council.yaml",
        "# SAMPLE DATA: a fictional council; every figure under data/ is synthetic.\n"
        + yaml.safe_dump(
            {
                "name": council_name,
                "area_code": cat.AREA_CODE,
                "region_code": cat.REGION_CODE,
                "themes": list(cat.THEMES),
                "amber_tolerance_pct": 5,
                "stable_band_pct": 5,
                "stable_band_points": 1,
                "comparator_group": "CIPFA nearest neighbours (sample: East Midlands districts)",
                "reconcile_points": 0.5,  # outturn vs own LG Inform: percentage points
                "reconcile_pct": 2,  # ... and for other units, relative %
                "report_frame": {  # the Cabinet paper's frame; the rest takes the defaults
                    "committee": "Cabinet",
                    "portfolio_holder": "Portfolio Holder for Resources and Performance",
                    "author": "Policy and Performance Team",
                    "contact": cat.MAIL_BOX,
                    "meeting_dates": {"2026/27 Q1": "2026-09-16", "2026/27 Q2": "2026-11-18"},
                },
                "risk_appetite": {"averse": 4, "low": 8, "moderate": 12, "open": 16},
                "mail": {  # the owners' and managers' e-mails: From, Reply-To, report links
                    "from": f"{council_name} performance team <{cat.MAIL_BOX}>",
                    "reply_to": cat.MAIL_BOX,
                    "reports_url": f"https://intranet.{cat.DOMAIN}/performance/reports",
                },
                # the budget monitoring's settings: the net budget its services add up to;
                # the thresholds are the defaults (docs/contracts.md, "Register files")
                "finance": {"net_budget": finance.net_budgets()},
            },
            sort_keys=False,
            allow_unicode=True,
        ),
    )
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(INDICATOR_COLUMNS)
    for pi in pis:
        writer.writerow(
            [
                pi.pi_id,
                pi.title,
                pi.description or f"{pi.title} (sample indicator).",
                pi.type,
                pi.theme,
                pi.service,
                pi.owner,
                pi.manager or cat.manager(pi.service),
                pi.unit,
                pi.polarity,
                pi.frequency,
                pi.decimals,
                "" if pi.valid_min is None else pi.valid_min,
                "" if pi.valid_max is None else pi.valid_max,
                pi.lginform_metric or "",
                pi.oflog_metric or "",
                pi.measure,
                "yes" if pi.rolling else "",
                "",  # stable_band: the council's (1 point for percentages, else 5%)
                pi.statistic or "",
                pi.statistic_use or "",
                pi.scorecard_section,
            ]
        )
    write_atomic(config / "indicators.csv", buffer.getvalue())
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["pi_id", "financial_year", "target", "amber_threshold"])
    for pi in pis:
        for year in years:
            target = target_for(pi, year)
            if target is not None:
                amber = f"{target * 1.08:.{pi.decimals}f}" if pi.pi_id == "HR-01" else ""
                writer.writerow([pi.pi_id, year.label, f"{target:.{pi.decimals}f}", amber])
    write_atomic(config / "targets.csv", buffer.getvalue())
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["area_code", "area_name"])
    writer.writerows(comparators)
    write_atomic(config / "comparators.csv", buffer.getvalue())
    write_people(config)


def write_people(config: Path) -> Path:
    """config/people.csv: the sample's people (synthetic names), labelled as such above the
    header (the reader takes a title row above the header)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["SAMPLE DATA: fictional people of a fictional council (synthetic names)"])
    writer.writerow(PEOPLE_COLUMNS)
    for user, name, job_title, service, role, delegate_for in cat.PEOPLE:
        boss = f"{delegate_for}@{cat.DOMAIN}" if delegate_for else ""
        writer.writerow([f"{user}@{cat.DOMAIN}", name, job_title, service, role, boss])
    return write_atomic(config / "people.csv", buffer.getvalue())


def quarters(first: Quarter = FIRST, last: Quarter = LATEST) -> list[Quarter]:
    out = [first]
    while out[-1] < last:
        out.append(out[-1].next)
    return out


Record = tuple[float, float | None, float | None]  # value, numerator, denominator


def _parts(pi: SamplePI, quarter: Quarter, value: float) -> tuple[float, float, float]:
    """A ratio PI's numerator and denominator from its own random stream (the shared stream,
    and so every other sample figure, is untouched), and the value they give."""
    assert pi.parts is not None
    rng = random.Random(f"pm_pipeline sample parts {pi.pi_id} {quarter.key}")
    denominator = max(1, round(pi.parts[quarter.q - 1] * rng.uniform(0.96, 1.04)))
    numerator = round(value / pi.per * denominator)
    return round(pi.per * numerator / denominator, pi.decimals), numerator, denominator


def sample_returns(
    pis: Sequence[SamplePI], first: Quarter = FIRST, last: Quarter = LATEST, seed: int = 2023
) -> tuple[list[tuple[Quarter, str, list[list[object]], list[str]]], dict[tuple[str, str], Record]]:
    """Every quarter's file rows (quarter, service, rows, units) and the figures returned, by
    (quarter key, pi_id): value, numerator, denominator. Written by `write_returns`; read by
    the sample benchmarks, so the council's own LG Inform values are its returns' outturns."""
    rng = random.Random(seed)
    records: dict[tuple[str, str], Record] = {}
    files = []
    by_service: dict[str, list[SamplePI]] = defaultdict(list)
    for pi in pis:
        by_service[pi.service].append(pi)
    for quarter in quarters(first, last):
        for service, service_pis in by_service.items():
            _, style = service_file(service)
            submitted = _submitted(quarter, service, rng)
            rows, units = [], []
            for pi in service_pis:
                if not due(pi, quarter):
                    continue
                reason = UNAVAILABLE.get((quarter, pi.pi_id))
                # a PI added since the sample's story was written draws from its own stream
                draw = (
                    random.Random(f"pm_pipeline sample {pi.pi_id} {quarter.key}")
                    if pi.own_stream
                    else rng
                )
                value = None if reason else value_for(pi, quarter, draw)
                before_q = (
                    quarter.previous
                    if pi.frequency == "quarterly"
                    else quarter.same_quarter_last_year
                )
                before = records.get((before_q.key, pi.pi_id), (None,))[0]
                # The wording is drawn here, where the sample's random stream always drew it;
                # the note is written once the figure is final (after its numerator).
                pick = draw.choice((0, 1, 2)) if not reason and before is not None else None
                numerator: float | None = None
                denominator: float | None = None
                if pi.numerator_of and value is not None:
                    denominator = max(1, round(pi.numerator_of * draw.uniform(0.85, 1.15)))
                    numerator = round(value / 100 * denominator)
                    value = round(100 * numerator / denominator, pi.decimals)
                elif pi.parts and value is not None:
                    value, numerator, denominator = _parts(pi, quarter, value)
                note = reason or note_for(pi, cast(float, value), before, pick)  # else a value
                if (quarter, pi.pi_id) in PROVISIONAL:
                    note += " Provisional: the ONS revision is due in November."
                if value is not None:
                    records[(quarter.key, pi.pi_id)] = (value, numerator, denominator)
                status = (
                    "unavailable"
                    if reason
                    else "provisional"
                    if (quarter, pi.pi_id) in PROVISIONAL
                    else "final"
                )
                when = (
                    submitted
                    if style.startswith("xlsx")
                    else (
                        submitted.strftime("%d/%m/%Y %H:%M")
                        if style != "csv_plain"
                        else submitted.strftime("%Y-%m-%dT%H:%M")
                    )
                )
                row = [
                    pi.pi_id if style != "csv_shouty" else pi.pi_id.lower(),
                    _period_text(quarter, style),
                    _format_value(pi, value, style),
                    numerator,
                    denominator,
                    status if status != "final" or draw.random() < 0.5 else "",
                    note,
                    pi.owner,
                    when,
                ]
                if pi.statistic_use == "taken":  # its figure comes from the reference files
                    continue
                rows.append(row)
                units.append(pi.unit)
            if rows:
                files.append((quarter, service, rows, units))
    return files, records


def write_returns(
    root: Path,
    pis: Sequence[SamplePI],
    first: Quarter = FIRST,
    last: Quarter = LATEST,
    seed: int = 2023,
) -> dict[tuple[str, str], float]:
    """Write every quarter's files; returns the values written, by (quarter key, pi_id)."""
    files, records = sample_returns(pis, first, last, seed)
    for quarter, service, rows, units in files:
        name, style = service_file(service)
        path = root / "returns" / quarter.folder / name
        if style.startswith("xlsx"):
            title = f"{cat.COUNCIL_NAME} — {service} PI return, {quarter.label} (SAMPLE DATA)"
            _write_xlsx(path, rows, style, units, title)
        else:
            _write_csv(path, rows, style)
    return {key: record[0] for key, record in records.items()}


def write_restated_original(root: Path) -> Path:
    """The sample's restatement: the first Waste return for the latest quarter, kept in the
    archive as version 1, with the figure that was later corrected."""
    import hashlib

    from pm_pipeline.defs.intake.archive import archive
    from pm_pipeline.defs.intake.restatements import record_first_accepted

    quarter, pi_id, first_value = RESTATED
    name = SERVICE_FILES["Waste and Environment"][0]
    current = root / "returns" / quarter.folder / name
    from openpyxl import load_workbook

    book = load_workbook(current)
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == pi_id:
            row[2].value = first_value / 100
            row[3].value = round(first_value / 100 * row[4].value)  # garden waste left out
            row[6].value = (
                "Recycling is down on last quarter: crews were on new rounds for part of the "
                "quarter."
            )
            row[8].value = datetime(2026, 10, 9, 11, 20)
    data = _xlsx_bytes(book)
    sha = hashlib.sha256(data).hexdigest()
    archive_dir = root / "archive" / "returns"
    for old in (archive_dir / quarter.folder / name).glob("v*"):
        old.unlink()
    seen = datetime(2026, 10, 9, 11, 20).astimezone()
    version = archive(archive_dir, f"{quarter.folder}/{name}", data, sha, seen)
    accepted_dir = root / "archive" / "accepted"
    for old in (accepted_dir / quarter.folder).glob("*.csv"):
        old.unlink()
    first = pd.DataFrame(
        [{"pi_id": pi_id, "value": first_value, "version": 1, "source_file": version.source_file}]
    )
    record_first_accepted(accepted_dir, quarter, first, first.iloc[:0], seen)
    return version.path


def restate_current(root: Path) -> None:
    """Give the current (corrected) Waste return a note that says it was corrected."""
    from openpyxl import load_workbook

    quarter, pi_id, _ = RESTATED
    path = root / "returns" / quarter.folder / SERVICE_FILES["Waste and Environment"][0]
    book = load_workbook(path)
    for row in book.active.iter_rows(min_row=2):
        if row[0].value == pi_id:
            row[6].value = (
                "Corrected on 20/10/2026: the first return left out garden-waste tonnages. "
                "Recycling rose as garden waste collections peaked."
            )
    write_atomic(path, _xlsx_bytes(book))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_dir", type=Path)
    args = parser.parse_args(argv)
    root: Path = args.data_dir
    write_register(root, cat.CATALOGUE)
    write_returns(root, cat.CATALOGUE)
    write_monthly_returns(root, cat.CATALOGUE)
    spc_story.write_rebase(root)
    write_plan_register(root)
    write_plan_updates(root, quarters())
    restate_current(root)
    from pm_pipeline.sample.signoffs import write_signoffs

    write_signoffs(root, cat.CATALOGUE, quarters())
    finance.write_finance(root)
    print(f"sample council written to {root} ({write_restated_original(root)})")


if __name__ == "__main__":
    main()
