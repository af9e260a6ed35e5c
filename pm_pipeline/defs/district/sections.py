"""The place sections of the State of the District: each topic's figures, charts and
sources, as plain data for the template."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import cast

import pandas as pd

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.values import ENGLAND
from pm_pipeline.core.words import plural
from pm_pipeline.defs.district.catalogue import BY_KEY, FIGURES, SECTIONS
from pm_pipeline.defs.district.charts import profile_chart
from pm_pipeline.defs.district.figures import Comparison, series
from pm_pipeline.defs.district.inputs import (
    PLACE_TYPES,
    TREND_POINTS,
    Places,
    compare_places,
    figure_row,
)
from pm_pipeline.defs.register.model import Register
from pm_pipeline.render import charts


def _dataset_words(dataset: str) -> str:
    return f"table {dataset}" if dataset.startswith("TS") else dataset


def source_lines(results: Sequence[Comparison], context: pd.DataFrame) -> list[str]:
    """One line per source used: publisher, table, periods and the files they came from."""
    grouped: dict[tuple[str | None, str], tuple[list[str], set[str]]] = {}
    for r in results:
        if not r.available:
            continue
        periods, files = grouped.setdefault((r.source, r.figure.dataset), ([], set()))
        for period in (r.period, r.previous_period):
            if period and period not in periods:
                periods.append(period)
        files.update(r.files)
    lines = []
    for (source, dataset), (periods, files) in grouped.items():
        when = [f"Census Day, 21 March {p}" if dataset.startswith("TS") else p for p in periods]
        label = plural(len(files), "File", number=False)
        line = (
            f"{source}, {_dataset_words(dataset)}: {', '.join(when)}. "
            f"{label}: {', '.join(sorted(files))}."
        )
        if any("sample" in f.casefold() for f in files):
            line += " Sample file: synthetic values, not real statistics."
        lines.append(line)
    return lines


def _age_chart(context: pd.DataFrame, places: Places) -> charts.Chart | None:
    rows = context[(context["dataset"] == "TS007A") & (context["category"] != "Total")]
    if rows.empty or places.council not in set(rows["area_code"]):
        return None
    order = list(dict.fromkeys(rows["category"]))
    labels = [
        c.replace("Aged ", "")
        .replace(" years and under", " and under")
        .replace(" years and over", " and over")
        .replace(" years", "")
        for c in order
    ]
    series_list: list[tuple[str, list[float]]] = []
    for code, name in (
        (places.council, places.council_name),
        (ENGLAND, "England"),
        (places.region, places.region_name),
    ):
        area = rows[rows["area_code"] == code].set_index("category")["value"]
        if area.empty or len(series_list) == 2:
            continue
        series_list.append((name, [float(area.get(c, 0)) / float(area.sum()) * 100 for c in order]))
    return profile_chart(
        "age-profile",
        "Residents by age, per cent of all residents, Census 2021",
        labels,
        series_list,
    )


def _peer_chart(result: Comparison, places: Places) -> charts.Chart | None:
    if not result.peers or not result.available:
        return None
    f = result.figure
    bars = [
        (places.names.get(c, result.peer_names.get(c, c)), v, False)
        for c, v in result.peers.items()
    ]
    bars.append((places.council_name, cast(float, result.value), True))  # available: a value
    bars.sort(key=lambda b: b[1], reverse=f.polarity != "lower_is_better")
    return charts.peer_chart(
        f"peers-{f.key}",
        f"{f.label}: the district and similar councils, {result.period}",
        bars,
        f.unit,
        f.decimals,
        result.median,
    )


def _employment_trend(context: pd.DataFrame, places: Places, as_of: date) -> charts.Chart | None:
    figure = BY_KEY["employment_rate"]
    data = series(context, figure)
    own = data[(data["area_code"] == places.council) & data["value"].notna()]
    own = own[[d <= as_of for d in own["available_from"]]].tail(TREND_POINTS)
    if len(own) < 2:
        return None
    points = [
        (Quarter.containing(end).label, float(v), None, None)
        for end, v in zip(own["period_end"], own["value"], strict=True)
    ]
    return charts.trend_chart(
        "trend-employment-rate",
        "Employment rate (aged 16-64), each point the 12 months to the end of that quarter",
        points,
        "percent",
        1,
    )


def _topic_charts(
    key: str, results: dict[str, Comparison], context: pd.DataFrame, places: Places, as_of: date
) -> list[dict]:
    found = []
    if key == "population" and (chart := _age_chart(context, places)):
        found.append(
            {
                "chart": chart,
                "caption": "Age profile at Census 2021: the district solid, "
                "the comparison area outlined; each bar is labelled with its percentage.",
            }
        )
    if key == "deprivation" and (chart := _peer_chart(results["most_deprived_decile"], places)):
        found.append(
            {
                "chart": chart,
                "caption": "Share of neighbourhoods in England's most "
                'deprived 10%, fewest first; the district is hatched and marked "(us)"; '
                "dashed line = median of similar councils.",
            }
        )
    if key == "employment":
        if chart := _employment_trend(context, places, as_of):
            found.append(
                {
                    "chart": chart,
                    "caption": "Employment rate over the last two years "
                    "(Annual Population Survey, rolling 12-month periods).",
                }
            )
        if chart := _peer_chart(results["employment_rate"], places):
            found.append(
                {
                    "chart": chart,
                    "caption": "Employment rate among similar councils, "
                    'highest first; the district is hatched and marked "(us)"; dashed '
                    "line = median.",
                }
            )
    return found


def comparisons(context: pd.DataFrame, as_of: date, places: Places) -> dict[str, Comparison]:
    return {f.key: compare_places(context, f, as_of, places) for f in FIGURES}


def _environment_topic(register: Register) -> dict:
    themes = {t.casefold(): t for t in register.council.themes}
    place_theme = themes.get("place")
    pis = register.indicators[register.indicators["type"].isin(PLACE_TYPES)]
    if place_theme:
        pis = pis[pis["theme"] == place_theme]
    return {
        "key": "environment",
        "title": "Environment and community safety",
        "pis": [{"pi_id": r.pi_id, "title": r.title} for r in pis.itertuples()],
    }


def sections_view(
    context: pd.DataFrame,
    results: dict[str, Comparison],
    places: Places,
    register: Register,
    as_of: date,
) -> list[dict]:
    out = []
    for section in SECTIONS:
        topics = []
        for topic in section.topics:
            chosen = [results[k] for k in topic.figures]
            topics.append(
                {
                    "key": topic.key,
                    "title": topic.title,
                    "rows": [figure_row(r) for r in chosen],
                    "any": any(r.available for r in chosen),
                    "missing_hint": topic.missing_hint,
                    "sources": source_lines(chosen, context),
                    "charts": _topic_charts(topic.key, results, context, places, as_of),
                }
            )
        if section.key == "place":
            topics.append(_environment_topic(register))
        out.append(
            {"key": section.key, "title": section.title, "intro": section.intro, "topics": topics}
        )
    return out
