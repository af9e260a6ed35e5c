"""What the State of the District reads and for which places: the inputs, the places
compared (council, region, England, comparators) and one figure's comparison row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from pm_pipeline.core.periods import Half
from pm_pipeline.core.values import is_missing
from pm_pipeline.core.warehouse import read_table, where_in
from pm_pipeline.defs.benchmarks.tables import BENCHMARKS
from pm_pipeline.defs.district.figures import (
    Comparison,
    Figure,
    compare,
    format_figure,
    format_plain,
    position_text,
    series,
)
from pm_pipeline.defs.district.tables import DISTRICT_CONTEXT
from pm_pipeline.defs.intake.tables import PI_RETURNS
from pm_pipeline.defs.register.model import Register

PLACE_TYPES = ("place", "contextual")
TREND_POINTS = 8
ANNUAL_POINTS = 5
BENCHMARK_SOURCES = {
    "lginform": "LG Inform (Local Government Association)",
    "oflog": "Office for Local Government (Oflog) metrics",
}
MOVES = {
    "IMPROVING": "improved",
    "WORSENING": "worsened",
    "UP": "rose",
    "DOWN": "fell",
    "STABLE": "held steady",
}


def report_date(half: Half) -> date:
    """The day the half-year's report runs: the last day of the month after the half ends."""
    return half.quarters[-1].report_run_at.date() - timedelta(days=1)


@dataclass
class DistrictInputs:
    context: pd.DataFrame  # district_context
    returns: pd.DataFrame  # pi_returns for the quarters the report looks back over
    benchmarks: pd.DataFrame  # the long table (docs/contracts.md, "Benchmarks")


def load_inputs(conn: duckdb.DuckDBPyConnection, half: Half) -> DistrictInputs:
    keys = [q.key for q in half.quarters[-1].history(4 * ANNUAL_POINTS + 2)]
    return DistrictInputs(
        context=read_table(conn, DISTRICT_CONTEXT),
        returns=read_table(conn, PI_RETURNS, *where_in("period", keys)),
        benchmarks=read_table(conn, BENCHMARKS),
    )


@dataclass(frozen=True)
class Places:
    council: str
    council_name: str
    comparators: tuple[str, ...]
    names: dict[str, str]
    region: str
    region_name: str


def places_for(register: Register, context: pd.DataFrame, benchmarks: pd.DataFrame) -> Places:
    council = register.council
    names = dict(
        zip(register.comparators["area_code"], register.comparators["area_name"], strict=True)
    )
    names[council.area_code] = council.name
    region_name = council.region_code
    for frame in (context, benchmarks):
        found = (
            frame.loc[frame["area_code"] == council.region_code, "area_name"]
            if not frame.empty
            else None
        )
        if found is not None and len(found):
            region_name = str(found.iloc[0])
            break
    return Places(
        council.area_code,
        council.name,
        tuple(register.comparators["area_code"]),
        names,
        council.region_code,
        region_name,
    )


def compare_places(
    context: pd.DataFrame, figure: Figure, as_of: date, places: Places
) -> Comparison:
    data = series(context, figure)
    out_of = None
    if figure.ranked_out_of:
        counts = context[
            (context["dataset"] == figure.dataset) & (context["measure"] == figure.ranked_out_of)
        ]
        out_of = counts[["area_code", "period", "value"]]
    return compare(data, figure, as_of, places.council, places.comparators, places.region, out_of)


def figure_row(result: Comparison) -> dict:
    f = result.figure
    england = "—" if is_missing(result.england) else format_plain(f, result.england)
    return {
        "key": f.key,
        "label": f.label,
        "available": result.available,
        "value_text": format_figure(f, result.value, result.out_of),
        "period": result.period or "",
        "previous_text": (
            "—"
            if is_missing(result.previous_value)
            else format_figure(f, result.previous_value, result.previous_out_of)
        ),
        "previous_period": result.previous_period or "",
        "median_text": "—" if is_missing(result.median) else format_plain(f, result.median),
        "position_text": position_text(result) or "—",
        "region_text": "—" if is_missing(result.region) else format_plain(f, result.region),
        "england_text": england,
        "england_note": "by definition" if result.england_defined else "",
    }
