"""The State of the District's figures, and how each compares with similar councils, region, England.

A `Figure` says how one number is made from the tidy `district_context` rows (a category, or
some categories as a percentage of others, or the change since the previous release).
`compare` takes the figure as it stood on a date: the latest release published by then for
this council, with the comparators', the region's and England's values for the same period.
Position among similar councils follows docs/contracts.md, "Benchmark position and quartiles"
(rank 1 = best by polarity, ties share the best rank, quartiles of the group including this
council); a figure with no better or worse is placed by size instead ("5th highest of 16").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from pm_pipeline.core.values import is_missing
from pm_pipeline.defs.scorecard.rules import benchmark_position
from pm_pipeline.render.wording import QUARTILE_WORDS, format_value, ordinal

IMD = "Index of Multiple Deprivation"
BEST, HIGHEST, MOST_DEPRIVED = "best", "highest", "most deprived"


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    dataset: str
    measure: str
    parts: tuple[str, ...] = ("Total",)  # categories added up for the figure
    whole: tuple[str, ...] | None = None  # categories added up for the denominator (a percentage)
    unit: str = "percent"
    polarity: str = "neutral"
    decimals: int = 1
    order: str = HIGHEST  # how positions are worded: best | highest | most deprived
    change: bool = False  # the percentage change since the previous release
    year_apart: bool = False  # "previous" is a year earlier (rolling annual survey periods)
    headline: bool = False  # a new release of it is news for the summary
    england_by_definition: float | None = None
    ranked_out_of: str | None = None  # the measure that says how many areas were ranked


def series(context: pd.DataFrame, figure: Figure) -> pd.DataFrame:
    """One row per area and period: area_code, area_name, period, period_end, available_from,
    value, source, source_file."""
    columns = [
        "area_code",
        "area_name",
        "period",
        "period_end",
        "available_from",
        "value",
        "source",
        "source_file",
    ]
    rows = context[(context["dataset"] == figure.dataset) & (context["measure"] == figure.measure)]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    keys = ["area_code", "period"]
    wide = rows.set_index([*keys, "category"])["value"].astype(float).unstack("category")
    wanted = set(figure.parts) | set(figure.whole or ())
    if not wanted <= set(wide.columns):
        return pd.DataFrame(columns=columns)
    value = wide[list(figure.parts)].sum(axis=1, min_count=len(figure.parts))
    if figure.whole:
        whole = wide[list(figure.whole)].sum(axis=1, min_count=len(figure.whole))
        value = value / whole * 100
    meta = rows.drop_duplicates(keys).set_index(keys)[
        ["area_name", "period_end", "available_from", "source", "source_file"]
    ]
    out = meta.join(value.rename("value")).reset_index()
    out["period_end"] = pd.to_datetime(out["period_end"]).dt.date
    out["available_from"] = pd.to_datetime(out["available_from"]).dt.date
    out = out.sort_values(["area_code", "period_end"])
    if figure.change:
        out = _changes(out, figure)
    return out[columns].reset_index(drop=True)


def _earlier(periods: pd.DataFrame, end: date, year_apart: bool) -> pd.Series | None:
    before = periods[periods["period_end"] < end]
    if year_apart:
        before = before[
            abs(pd.Series([(end - d).days for d in before["period_end"]], index=before.index) - 365)
            <= 5
        ]
    return None if before.empty else before.iloc[-1]


def _changes(out: pd.DataFrame, figure: Figure) -> pd.DataFrame:
    """Each period's percentage change since the area's previous release."""
    changed = []
    for _, periods in out.groupby("area_code", sort=False):
        for _, row in periods.iterrows():
            before = _earlier(periods, row["period_end"], figure.year_apart)
            value = None
            if before is not None and not is_missing(before["value"]) and before["value"]:
                value = (row["value"] - before["value"]) / abs(before["value"]) * 100
            changed.append({**row.to_dict(), "value": value})
    return pd.DataFrame(changed, columns=out.columns)


@dataclass
class Comparison:
    """A figure as it stood on a date, for the council and the areas it is compared with."""

    figure: Figure
    period: str | None = None
    period_end: date | None = None
    value: float | None = None
    previous_period: str | None = None
    previous_value: float | None = None
    peers: dict[str, float] = field(default_factory=dict)
    peer_names: dict[str, str] = field(default_factory=dict)
    rank: int | None = None
    count: int | None = None
    quartile: int | None = None
    median: float | None = None
    region: float | None = None
    england: float | None = None
    england_defined: bool = False  # England's value is true by definition, not published
    out_of: float | None = None  # areas ranked, for a figure that is itself a rank
    previous_out_of: float | None = None
    files: tuple[str, ...] = ()
    source: str | None = None

    @property
    def available(self) -> bool:
        return not is_missing(self.value)


def _rank(own: float, peers: Sequence[float], descending: bool) -> int:
    ahead = sum(1 for v in peers if (v > own if descending else v < own))
    return ahead + 1


def position(figure: Figure, own: float | None, peers: dict[str, float]) -> tuple:
    """(rank, count, quartile, median): by docs/contracts.md, "Benchmark position and quartiles"
    for better/worse figures, else by size."""
    values = [v for v in peers.values() if not is_missing(v)]
    if is_missing(own) or not values:
        return None, None, None, None
    if figure.order == BEST and figure.polarity != "neutral":
        found = benchmark_position(own, peers, figure.polarity)
        assert found is not None  # own and peers are present, the polarity is not neutral
        return found.rank, found.count, found.quartile, found.comparator_median
    descending = figure.order == HIGHEST or figure.polarity == "lower_is_better"
    by_size = benchmark_position(own, peers, "higher_is_better")
    assert by_size is not None  # own and peers are present
    median = by_size.comparator_median
    return _rank(own, values, descending), len(values) + 1, None, median


def compare(
    data: pd.DataFrame,
    figure: Figure,
    as_of: date,
    council: str,
    comparators: Sequence[str],
    region: str,
    out_of: pd.DataFrame | None = None,
) -> Comparison:
    """The latest release published by `as_of` with a value for the council, compared."""
    known = data[[d <= as_of for d in data["available_from"]]] if not data.empty else data
    own = (
        known[(known["area_code"] == council) & known["value"].notna()]
        if not known.empty
        else known
    )
    result = Comparison(figure=figure)
    if own.empty:
        return result
    latest = own.sort_values("period_end").iloc[-1]
    same = known[known["period"] == latest["period"]]
    values = dict(zip(same["area_code"], same["value"], strict=True))
    names = dict(zip(same["area_code"], same["area_name"], strict=True))
    peers = {c: float(values[c]) for c in comparators if c in values and not is_missing(values[c])}
    before = _earlier(own, latest["period_end"], figure.year_apart)
    rank, count, quartile, median = position(figure, float(latest["value"]), peers)
    england = next(
        (float(v) for c, v in values.items() if c.startswith("E92") and not is_missing(v)), None
    )
    ranked = _ranked(out_of, council, latest["period"])
    ranked_before = None if before is None else _ranked(out_of, council, before["period"])
    return Comparison(
        figure=figure,
        period=latest["period"],
        period_end=latest["period_end"],
        value=float(latest["value"]),
        previous_period=None if before is None else before["period"],
        previous_value=None
        if before is None or is_missing(before["value"])
        else float(before["value"]),
        peers=peers,
        peer_names={c: names[c] for c in peers},
        rank=rank,
        count=count,
        quartile=quartile,
        median=median,
        region=None if is_missing(values.get(region)) else float(values[region]),
        england=england if england is not None else figure.england_by_definition,
        england_defined=england is None and figure.england_by_definition is not None,
        out_of=ranked,
        previous_out_of=ranked_before,
        files=tuple(sorted(set(same["source_file"]) | _files(known, before))),
        source=latest["source"],
    )


def _ranked(out_of: pd.DataFrame | None, council: str, period: str) -> float | None:
    """How many areas a rank is out of, for the council in that period."""
    if out_of is None or out_of.empty:
        return None
    match = out_of[(out_of["area_code"] == council) & (out_of["period"] == period)]
    return None if match.empty else float(match["value"].iloc[0])


def _files(known: pd.DataFrame, before: pd.Series | None) -> set[str]:
    if before is None:
        return set()
    return set(known.loc[known["period"] == before["period"], "source_file"])


def format_figure(figure: Figure, value: float | None, out_of: float | None = None) -> str:
    """A figure in words: 52.3%, 106,150, +0.9%, "2nd of 16 (1 = most deprived)"."""
    if is_missing(value):
        return "no figure"
    if figure.change:
        return f"{value:+.{figure.decimals}f}%"
    if figure.unit == "rank":
        suffix = f" of {out_of:,.0f}" if not is_missing(out_of) else ""
        return f"{ordinal(round(value))}{suffix}"
    return format_value(value, figure.unit, figure.decimals)


def format_plain(figure: Figure, value: float | None) -> str:
    """A comparator median or regional value: a rank's median is just a number."""
    if figure.unit == "rank" and not is_missing(value):
        return f"{value:,.1f}".removesuffix(".0")
    return format_figure(figure, value)


def rank_words(rank: int, order: str) -> str:
    """ "3rd best", "highest" (rank 1 needs no number)."""
    return order if rank == 1 else f"{ordinal(rank)} {order}"


def position_text(result: Comparison) -> str:
    """ "3rd best of 16 (top quartile)", "5th highest of 16", "2nd most deprived of 16"."""
    if result.rank is None:
        return ""
    text = f"{rank_words(result.rank, result.figure.order)} of {result.count}"
    if result.quartile:
        text += f" ({QUARTILE_WORDS[result.quartile]})"
    return text
