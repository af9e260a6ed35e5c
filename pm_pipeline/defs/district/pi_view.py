"""The council's own place-based and contextual indicators, and the LG Inform and Oflog
benchmarks, as the State of the District shows them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import cast

import pandas as pd

from pm_pipeline.core.periods import FinancialYear, Half, Quarter
from pm_pipeline.core.values import ENGLAND, is_missing
from pm_pipeline.defs.district.catalogue import BY_KEY, SECTIONS
from pm_pipeline.defs.district.figures import (
    BEST,
    HIGHEST,
    Figure,
    compare,
    format_figure,
    rank_words,
    series,
)
from pm_pipeline.defs.district.inputs import (
    ANNUAL_POINTS,
    BENCHMARK_SOURCES,
    PLACE_TYPES,
    TREND_POINTS,
    DistrictInputs,
    Places,
    compare_places,
    figure_row,
)
from pm_pipeline.defs.register.model import Council, Register
from pm_pipeline.defs.scorecard import narrative, rules
from pm_pipeline.defs.scorecard.build import ScorecardInputs, benchmark_positions
from pm_pipeline.render import charts
from pm_pipeline.render.wording import DIRECTION_TEXT, QUARTILE_WORDS, format_value


def _latest_returns(returns: pd.DataFrame) -> dict[tuple[str, str], dict]:
    if returns.empty:
        return {}
    ordered = returns.sort_values("version") if "version" in returns else returns
    return {(r["period"], r["pi_id"]): r for r in ordered.to_dict("records")}


def _fmt(pi: dict, value: float | None) -> str:
    return format_value(value, pi["unit"], int(pi["decimals"]))


def _pi_periods(pi: dict, half: Half) -> tuple[list[tuple[str, Quarter]], bool]:
    """(label, quarter) from oldest to latest for the trend, and whether the latest is new."""
    if pi["frequency"] == "annual":
        year = half.financial_year if half.h == 2 else half.financial_year.previous
        years = [FinancialYear(year.start_year - i) for i in range(ANNUAL_POINTS)][::-1]
        return [(y.label, Quarter(y.start_year, 4)) for y in years], half.h == 2
    latest = half.quarters[-1]
    return [(q.label, q) for q in latest.history(TREND_POINTS)], True


def _pi_row(
    pi: dict,
    half: Half,
    values: dict,
    positions: dict,
    bench: pd.DataFrame,
    places: Places,
    council: Council,
) -> dict:
    periods, new_this_half = _pi_periods(pi, half)
    annual = pi["frequency"] == "annual"

    def get(q: Quarter) -> dict | None:
        return values.get((q.key, pi["pi_id"]))

    now_label, now_q = periods[-1]
    now = get(now_q)
    if annual:
        six_label, six_q = periods[-1] if half.h == 1 else periods[-2]
        year_label, year_q = periods[-2]
    else:
        six_q, year_q = now_q.previous.previous, now_q.same_quarter_last_year
        six_label, year_label = six_q.label, year_q.label
    six, year = get(six_q), get(year_q)
    value = None if now is None else now.get("value")
    before = None if six is None else six.get("value")
    decimals = int(pi["decimals"])
    direction = rules.direction(value, before, pi["polarity"], decimals, rules.band_of(pi, council))
    compared = "on the year before" if annual else "over six months"
    if annual and not new_this_half:
        change = "No new figure this half-year (annual indicator)"
        direction = "NO_COMPARISON"
    else:
        change = DIRECTION_TEXT.get(direction, (direction, ""))[0]
    story = (  # worded by the one function every report uses (scorecard/narrative.py)
        ""
        if is_missing(value)
        else f"{pi['title']} was {_fmt(pi, value)} in {now_label}; {change[:1].lower()}{change[1:]}."
        if annual and not new_this_half
        else narrative.movement(
            pi["title"],
            value,
            before,
            direction,
            (now_label, six_label),
            compared,
            lambda v: _fmt(pi, v),
        )
    )
    position = positions.get(pi["pi_id"])
    trend = charts.trend_chart(
        f"trend-{pi['pi_id']}",
        f"{pi['title']}: trend",
        [(label, (get(q) or {}).get("value"), None, None) for label, q in periods],
        pi["unit"],
        decimals,
    )
    row = {
        "pi_id": pi["pi_id"],
        "title": pi["title"],
        "type": "place-based" if pi["type"] == "place" else "contextual",
        "frequency": pi["frequency"],
        "value": value,
        "before": before,
        "latest_text": _fmt(pi, value),
        "latest_period": now_label,
        "six_text": _fmt(pi, before),
        "six_period": six_label,
        "year_text": _fmt(pi, None if year is None else year.get("value")),
        "year_period": year_label,
        "direction": direction,
        "change_text": change,
        "story": story,
        "new_this_half": new_this_half,
        "status": None if now is None else now.get("status"),
        "note": None if now is None else now.get("note"),
        "trend": trend,
        "position_text": "",
        "median_text": "",
        "region_text": "",
        "england_text": "",
        "benchmark_period": "",
        "statistic_label": None,  # set by statistic_row
    }
    if position is not None and not is_missing(position.get("rank")):
        row.update(_pi_benchmark(pi, position, bench, places))
    return row


def _pi_benchmark(pi: dict, position: dict, bench: pd.DataFrame, places: Places) -> dict:
    source = position["benchmark_source"]
    metric = pi["lginform_metric"] if source == "lginform" else pi["oflog_metric"]
    same = bench[
        (bench["source"] == source)
        & (bench["metric_id"] == metric)
        & (bench["period_label"] == position["benchmark_period"])
    ]
    area = dict(zip(same["area_code"], same["value"], strict=True))
    return {
        "position_text": f"{rank_words(int(position['rank']), BEST)} of "
        f"{int(position['comparator_count'])} ({QUARTILE_WORDS[int(position['quartile'])]})",
        "median_text": _fmt(pi, position["comparator_median"]),
        "region_text": _fmt(pi, area.get(places.region)),
        "england_text": _fmt(pi, area.get(ENGLAND)),
        "benchmark_period": f"{BENCHMARK_SOURCES.get(source, source)}, {position['benchmark_period']}",
    }


def _section_of(key: str) -> str:
    return next(
        (s.title for s in SECTIONS for t in s.topics if key in t.figures), "the sections above"
    )


def statistic_row(
    row: dict,
    pi: dict,
    context: pd.DataFrame,
    places: Places,
    dates: tuple[date, date],
    band: rules.StableBand,
) -> dict:
    """A PI that measures a statistic this report already shows (register column
    `statistic`, docs/contracts.md "Official statistics") is given the report's own figure as
    it stood by `as_of`, and six months and a year before, so the report prints one value for
    one fact; the quarterly reports show its financial-year figure."""
    figure = BY_KEY.get(str(pi.get("statistic") or ""))
    if figure is None or context.empty:
        return row
    as_of, before = dates
    now = compare_places(context, figure, as_of, places)
    if not now.available:
        return row
    six = compare_places(context, figure, before, places)
    year = compare_places(context, figure, as_of - timedelta(days=365), places)
    decimals = int(pi["decimals"])
    direction = rules.direction(now.value, six.value, pi["polarity"], decimals, band)
    if now.period == six.period:
        direction, change = rules.NO_COMPARISON, "No new release in six months"
    else:
        change = DIRECTION_TEXT.get(direction, (direction, ""))[0]
    story = narrative.movement(  # the statistic's own figures, worded as every report words a PI
        pi["title"],
        cast(float, now.value),  # available
        six.value,
        direction,
        (now.period or "", six.period or ""),
        "since the previous release",  # a yearly release's is a year before, not six months
        lambda v: format_figure(figure, v),
    )
    data = series(context, figure)
    own = data[(data["area_code"] == places.council) & data["value"].notna()]
    own = own[[d <= as_of for d in own["available_from"]]].tail(TREND_POINTS)
    trend = charts.trend_chart(
        f"trend-{pi['pi_id']}",
        f"{pi['title']}: trend",
        [(str(p), float(v), None, None) for p, v in zip(own["period"], own["value"], strict=True)],
        pi["unit"],
        decimals,
    )
    return {
        **row,
        "value": now.value,
        "before": six.value,
        "latest_text": format_figure(figure, now.value),
        "latest_period": now.period or "",
        "six_text": format_figure(figure, six.value),
        "six_period": six.period or "",
        "year_text": format_figure(figure, year.value),
        "year_period": year.period or "",
        "direction": direction,
        "change_text": change,
        "story": story,
        "new_this_half": now.period != six.period,
        "status": None,
        "note": f"Taken from {now.source}, {now.period}: the same figure as "
        f"{figure.label.lower()} under {_section_of(figure.key)} above."
        if pi.get("statistic_use") == "taken"
        else f"Checked against {now.source}: the same figure as {figure.label.lower()} under "
        f"{_section_of(figure.key)} above.",
        "trend": trend,
        "statistic_label": figure.label,
    }


def pi_view(
    inputs: DistrictInputs,
    half: Half,
    register: Register,
    places: Places,
    as_of: date | None = None,
    before_as_of: date | None = None,
) -> list[dict]:
    """The council's place-based and contextual PIs, grouped by theme in the register's order
    (those measuring a statistic the report shows carry its figure: `statistic_row`)."""
    pis = register.indicators[register.indicators["type"].isin(PLACE_TYPES)]
    if pis.empty:
        return []
    values = _latest_returns(inputs.returns)
    positions = {}
    if not inputs.benchmarks.empty:
        found = benchmark_positions(
            ScorecardInputs(
                council=register.council,
                indicators=pis,
                targets=register.targets,
                returns=inputs.returns,
                benchmarks=inputs.benchmarks,
                comparators=register.comparators,
                restatements=pd.DataFrame(),
            ),
            half.quarters[-1],
        )
        positions = {r["pi_id"]: r for r in found.to_dict("records")}
    themes = []
    order = list(register.council.themes) + sorted(set(pis["theme"]) - set(register.council.themes))
    for theme in order:
        members = pis[pis["theme"] == theme].sort_values("pi_id")
        if members.empty:
            continue
        rows = []
        for pi in members.to_dict("records"):
            row = _pi_row(
                pi,
                half,
                values,
                positions,
                inputs.benchmarks,
                places,
                register.council,
            )
            if as_of is not None and before_as_of is not None and pi.get("statistic"):
                row = statistic_row(
                    row,
                    pi,
                    inputs.context,
                    places,
                    (as_of, before_as_of),
                    rules.band_of(pi, register.council),
                )
            rows.append(row)
        themes.append({"theme": theme, "rows": rows})
    return themes


# LG Inform and Oflog benchmarks ----------------------------------------------------------------


def benchmark_view(
    benchmarks: pd.DataFrame, half: Half, places: Places, register: Register
) -> list[dict]:
    """Every benchmark metric the council has a figure for by the half's end, compared."""
    if benchmarks.empty:
        return []
    wanted = {places.council, places.region, ENGLAND, *places.comparators}
    bench = benchmarks[benchmarks["area_code"].isin(wanted)].copy()
    bench["period_end"] = pd.to_datetime(bench["period_end"]).dt.date
    linked, in_report = {}, set()
    for pi in register.indicators.itertuples():
        for source, metric in (("lginform", pi.lginform_metric), ("oflog", pi.oflog_metric)):
            if isinstance(metric, str) and metric:
                linked[(source, metric)] = pi.pi_id
        if pi.type in PLACE_TYPES:
            in_report.add(pi.pi_id)
    groups = []
    for source in sorted(set(bench["source"])):
        rows, periods = [], set[str]()
        metrics = bench[bench["source"] == source]
        for metric_id, rows_of_metric in metrics.groupby("metric_id", sort=True):
            first = rows_of_metric.iloc[0]
            unit = str(first["unit"]) if not is_missing(first["unit"]) else "rate"
            polarity = str(first["polarity"]) if not is_missing(first["polarity"]) else "neutral"
            figure = Figure(
                key=f"{source}-{metric_id}",
                label=str(first["metric_name"]),
                dataset=source,
                measure=str(metric_id),
                unit=unit,
                polarity=polarity,
                decimals=0 if unit == "count" else 1,
                order=BEST if polarity != "neutral" else HIGHEST,
            )
            data = rows_of_metric.assign(
                period=rows_of_metric["period_label"],
                available_from=rows_of_metric["period_end"],
                source=BENCHMARK_SOURCES.get(source, source),
                source_file="",
            )
            result = compare(
                data, figure, half.end, places.council, places.comparators, places.region
            )
            if not result.available:
                continue
            periods.add(cast(str, result.period))  # available: a period
            pi_id = linked.get((source, metric_id))
            rows.append({**figure_row(result), "pi_id": pi_id, "pi_in_report": pi_id in in_report})
        if rows:
            groups.append(
                {
                    "source": source,
                    "title": BENCHMARK_SOURCES.get(source, source),
                    "rows": rows,
                    "source_text": f"Source: {BENCHMARK_SOURCES.get(source, source)}; the latest "
                    f"period ending by {half.end:%-d %B %Y} for each metric "
                    f"({', '.join(sorted(periods))}).",
                }
            )
    return groups
