"""The sample council's benchmark files: synthetic, deterministic, clearly labelled as sample.

`python -m pm_pipeline.sample.benchmarks data/` writes, under `data/benchmarks/`:

- `lginform/metric_9000NN.json`: an LG Inform cache file per sample metric, in exactly the
  shape the client writes (cache.py), for the sample council, its 15 comparators, the East
  Midlands and England, periods fin_2019_20 to fin_2025_26. The metric ids are synthetic (the
  real LG Inform ids cannot be looked up offline) and every label ends "(sample values)".
- `oflog/oflog_<code>_sample.csv`: Oflog metric files in the Oflog prototype layout for WM1,
  WM2, PL1, PL2 and FN1, financial years 2016-17 to 2023-24 (Oflog closed in December 2024).

The council's own figures are its sample returns' outturns, worked out by measure as every
report works them out (`core.measures.combine`: WR-01's year is the year's tonnes
recycled over tonnes collected), so its own LG Inform values reconcile with its returns; before
the returns start they follow the catalogue's trend, extended back in time; comparators are placed around it so the latest year tells a story: bottom
quartile for major planning decisions (PL-01), near the top for recycling (WR-01), mid-table
elsewhere. Where both sources publish a year, they agree.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pm_pipeline.core.files import write_atomic
from pm_pipeline.core.measures import Part, combine
from pm_pipeline.core.periods import FinancialYear
from pm_pipeline.core.values import ENGLAND
from pm_pipeline.defs.benchmarks.cache import CachedMetric, write_cache
from pm_pipeline.defs.benchmarks.lginform_answers import (
    data_table_record,
    data_table_request,
    period_from_identifier,
)
from pm_pipeline.sample import catalogue as cat
from pm_pipeline.sample.generate import FIRST, sample_returns

SAMPLE_NOTE = (
    "SAMPLE VALUES: synthetic figures written by pm_pipeline.sample.benchmarks for the "
    "fictional Sample District Council and real East Midlands areas; not LG Inform data."
)
SAMPLE_HOST = "sample.invalid"  # a reserved name: these files were never fetched
FETCHED_AT = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
REGION_NAME = "East Midlands"
LGINFORM_YEARS = tuple(range(2019, 2026))  # fin_2019_20 .. fin_2025_26
OFLOG_YEARS = tuple(range(2016, 2024))  # 2016-17 .. 2023-24
HIGH, LOW = "High value is good", "Low value is good"


@dataclass(frozen=True)
class SampleMetric:
    pi_id: str
    lginform: str
    oflog: str | None
    label: str
    oflog_label: str | None
    polarity: str  # LG Inform's wording
    spread: float  # how far apart councils typically sit
    decimals: int
    better_peers: int  # comparators ahead of the council in the latest year (its rank - 1)
    high: float | None = None  # upper bound (100 for percentages)


METRICS = (
    SampleMetric(
        "WR-01",
        "900001",
        "WM1",
        "Percentage of household waste sent for reuse, recycling and composting",
        "Household waste recycling rate",
        HIGH,
        4.0,
        1,
        1,
        100,
    ),
    SampleMetric(
        "WR-02",
        "900002",
        "WM2",
        "Residual household waste per household (kg)",
        "Residual household waste per household (kg)",
        LOW,
        45.0,
        1,
        7,
    ),
    SampleMetric(
        "EN-01", "900003", None, "Fly-tipping incidents per 1,000 population", None, LOW, 3.0, 1, 8
    ),
    SampleMetric(
        "PL-01",
        "900004",
        "PL1",
        "Percentage of major planning applications decided in time",
        "Major planning applications decided on time",
        HIGH,
        4.0,
        1,
        13,
        100,
    ),
    SampleMetric(
        "PL-02",
        "900005",
        "PL2",
        "Percentage of non-major planning applications decided in time",
        "Non-major planning applications decided on time",
        HIGH,
        4.0,
        1,
        7,
        100,
    ),
    SampleMetric(
        "RV-01",
        "900006",
        "FN1",
        "Percentage of council tax collected",
        "Council tax collection rate",
        HIGH,
        0.7,
        2,
        8,
        100,
    ),
    SampleMetric(
        "HR-01",
        "900007",
        None,
        "Working days lost to sickness absence per FTE",
        None,
        LOW,
        1.4,
        1,
        7,
    ),
    SampleMetric(
        "HB-01",
        "900008",
        None,
        "Average days to process new Housing Benefit claims",
        None,
        LOW,
        4.0,
        1,
        8,
    ),
)
# Figures a publisher did not give: kept null (never zero). (metric, area, financial year)
NULLS = frozenset(
    {
        ("900008", "E07000136", 2020),
        ("900003", cat.REGION_CODE, 2019),
        ("900005", "E07000171", 2022),
        ("900007", "E07000033", 2025),
        ("900007", "E07000137", 2025),
        ("PL1", "E07000033", 2017),
        ("WM2", "E07000136", 2016),
    }
)


def council_level(pi: cat.SamplePI, fy_start: int) -> float:
    """The council's yearly level: its sample returns' trend (catalogue), averaged over a year.

    Before 2023/24, where the sample returns start, the trend is halved: extended back at full
    speed it would put 2016/17 figures far below anything councils published.
    """
    quarters = (fy_start - 2023) * 4 + 1.5  # mid-year, in quarters after 2023/24 Q1
    return pi.base + pi.trend * (quarters if quarters > 0 else quarters / 2) + sum(pi.season) / 4


_RETURNED: dict[tuple[str, str], tuple[float, float | None, float | None]] = {}


def returned_outturn(pi: cat.SamplePI, fy_start: int) -> float | None:
    """The council's outturn for a year of its sample returns, by the PI's measure (None
    before the returns start, or where the year cannot be worked out)."""
    if fy_start < FIRST.fy_start_year:
        return None
    if not _RETURNED:
        _RETURNED.update(sample_returns(cat.CATALOGUE)[1])
    year = FinancialYear(fy_start)
    quarters = year.quarters if pi.frequency == "quarterly" else year.quarters[-1:]
    parts: list[Part | None] = []
    for q in quarters:
        record = _RETURNED.get((q.key, pi.pi_id))
        parts.append(None if record is None else Part(f"Q{q.q}", *record))
    return combine(pi.measure, pi.unit, parts, pi.rolling).value


def _goodness(value: float, metric: SampleMetric) -> float:
    return value if metric.polarity == HIGH else -value


def _centre(council: float, offsets: list[float], better: int, metric: SampleMetric) -> float:
    """Where to centre the comparators so exactly `better` of them beat the council."""
    ranked = sorted((_goodness(o, metric) for o in offsets), reverse=True)
    margin = 0.3 * metric.spread
    if better == 0:
        goodness = _goodness(council, metric) - ranked[0] - margin
    elif better == len(ranked):
        goodness = _goodness(council, metric) - ranked[-1] + margin
    else:
        goodness = _goodness(council, metric) - (ranked[better - 1] + ranked[better]) / 2
    return goodness if metric.polarity == HIGH else -goodness


def _clip(value: float, metric: SampleMetric) -> float:
    value = max(0.0, value)
    return round(min(value, metric.high) if metric.high is not None else value, metric.decimals)


def _separate(value: float, council: float, metric: SampleMetric) -> float:
    """A comparator's rounded value, one rounding step off the council's if it would tie."""
    rounded = _clip(value, metric)
    if rounded != council:
        return rounded
    step = 10**-metric.decimals * (1 if value >= council else -1)
    return _clip(council + step, metric)


def metric_values(metric: SampleMetric) -> dict[tuple[str, int], float]:
    """Every area's value of one metric for every sample year, keyed (area code, year)."""
    pi = next(p for p in cat.CATALOGUE if p.pi_id == metric.pi_id)
    rng = random.Random(f"pm_pipeline sample benchmarks {metric.lginform}")
    codes = [code for code, _ in cat.COMPARATORS]
    quality = {code: max(-2.0, min(2.0, rng.gauss(0, 1))) for code in codes}
    latest = max(LGINFORM_YEARS)
    values: dict[tuple[str, int], float] = {}
    for year in sorted(set(LGINFORM_YEARS) | set(OFLOG_YEARS)):
        outturn = returned_outturn(pi, year)
        council = _clip(council_level(pi, year) if outturn is None else outturn, metric)
        drift = 0 if year == latest else round(rng.gauss(0, 1.5))
        better = min(len(codes), max(0, metric.better_peers + drift))
        offsets = [metric.spread * (quality[c] + rng.gauss(0, 0.35)) for c in codes]
        centre = _centre(council, offsets, better, metric)
        peers = {
            c: _separate(centre + o, council, metric) for c, o in zip(codes, offsets, strict=True)
        }
        region = statistics.fmean(peers.values()) + rng.gauss(0, 0.15 * metric.spread)
        england = region + 0.2 * metric.spread * (1 if metric.polarity == HIGH else -1)
        values[(cat.AREA_CODE, year)] = council
        values.update({(c, year): v for c, v in peers.items()})
        values[(cat.REGION_CODE, year)] = _clip(region, metric)
        values[(ENGLAND, year)] = _clip(england, metric)
    return values


def better_peers(metric: SampleMetric, values: dict[tuple[str, int], float], year: int) -> int:
    """How many comparators beat the council in `year` (ties do not count against it)."""
    own = _goodness(values[(cat.AREA_CODE, year)], metric)
    return sum(1 for c, _ in cat.COMPARATORS if _goodness(values[(c, year)], metric) > own)


def areas() -> list[tuple[str, str]]:
    return [
        (cat.AREA_CODE, cat.COUNCIL_NAME),
        *cat.COMPARATORS,
        (cat.REGION_CODE, REGION_NAME),
        (ENGLAND, "England"),
    ]


def lginform_cache(metric: SampleMetric, values: dict[tuple[str, int], float]) -> CachedMetric:
    """The cache file the client would have written had LG Inform served these figures."""
    info = {
        "identifier": metric.lginform,
        "label": f"{metric.label} (sample values)",
        "shortLabel": metric.label,
        "polarity": metric.polarity,
        "outputPrecision": metric.decimals,
        "discontinued": False,
    }
    periods = {
        p.identifier: p
        for p in (period_from_identifier(f"fin_{y}_{(y + 1) % 100:02d}") for y in LGINFORM_YEARS)
        if p is not None
    }
    records = [
        data_table_record(
            info,
            code,
            name,
            period,
            None
            if (metric.lginform, code, period.start.year) in NULLS
            else values[(code, period.start.year)],
        )
        for code, name in areas()
        for period in periods.values()
    ]
    return CachedMetric(
        metric_id=metric.lginform,
        fetched_at=FETCHED_AT,
        base_url_host=SAMPLE_HOST,
        request=data_table_request(metric.lginform, [c for c, _ in areas()], "latest:10"),
        metric=info,
        periods=periods,
        records=records,
        note=SAMPLE_NOTE,
    )


OFLOG_HEADER = [
    "Financial year",
    "Local authority code",
    "Local authority name",
    "Grouping",
    "Entity_Name",
    "Region",
    "Measure",
    "Code",
    "Value",
    "MEDIAN",
    "MADs_from_median",
    "rank_order",
]


def _format(value: float | None, decimals: int) -> str:
    return "" if value is None else f"{value:.{decimals}f}"


def oflog_csv(metric: SampleMetric, values: dict[tuple[str, int], float], header: list[str]) -> str:
    """One metric's Oflog file in the prototype layout (councils ranked, region and England)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    measure = f"{metric.oflog_label} (sample values)"
    councils = [(cat.AREA_CODE, cat.COUNCIL_NAME), *cat.COMPARATORS]
    for year in OFLOG_YEARS:
        label = FinancialYear(year).folder  # 2016-17
        shown = {
            code: None if (metric.oflog, code, year) in NULLS else values[(code, year)]
            for code, _ in areas()
        }
        present = [v for c, _ in councils if (v := shown[c]) is not None]
        median = statistics.median(present)
        mad = statistics.median(abs(v - median) for v in present) or 1.0
        order = sorted(present, key=lambda v: _goodness(v, metric), reverse=True)
        for code, name in areas():
            value = shown[code]
            council = code not in (cat.REGION_CODE, ENGLAND)
            grouping, entity, region = (
                ("LA_Raw", "Non-metropolitan Districts", REGION_NAME)
                if council
                else ("Region", "Regions", REGION_NAME)
                if code == cat.REGION_CODE
                else ("Country", "England", "")
            )
            ranked = council and value is not None
            writer.writerow(
                [
                    label,
                    code,
                    name,
                    grouping,
                    entity,
                    region,
                    measure,
                    metric.oflog,
                    _format(value, metric.decimals),
                    _format(median, metric.decimals),
                    f"{(value - median) / mad:.2f}" if ranked and value is not None else "",
                    order.index(value) + 1 if ranked and value is not None else "",
                ]
            )
    return out.getvalue()


def write_sample(data_dir: Path) -> list[Path]:
    """Write every sample benchmark file under `data_dir/benchmarks/`; return their paths."""
    written = []
    for metric in METRICS:
        values = metric_values(metric)
        found = better_peers(metric, values, max(LGINFORM_YEARS))
        if found != metric.better_peers:
            raise AssertionError(
                f"sample {metric.pi_id}: {found} comparators ahead, wanted {metric.better_peers}"
            )
        written.append(
            write_cache(data_dir / "benchmarks" / "lginform", lginform_cache(metric, values))
        )
        if metric.oflog:
            # One file keeps the publishers' habit of spaces and line breaks in headers.
            header = (
                [
                    "Financial year ",
                    "Local authority\ncode",
                    *OFLOG_HEADER[2:8],
                    "Value ",
                    *OFLOG_HEADER[9:],
                ]
                if metric.oflog == "WM2"
                else OFLOG_HEADER
            )
            path = data_dir / "benchmarks" / "oflog" / f"oflog_{metric.oflog}_sample.csv"
            written.append(write_atomic(path, oflog_csv(metric, values, header)))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the sample benchmark files.")
    parser.add_argument("data_dir", type=Path, help="the data directory (e.g. data/)")
    args = parser.parse_args(argv)
    for path in write_sample(args.data_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
