"""The State of the District for one half-year, as plain data the template lays out.

Everything is taken "as it stood" when the half-year's report runs (the end of the month
after the half closes, as the quarterly cycle does): place statistics published by then,
the council's own place-based and contextual indicators to the half's last quarter, and
LG Inform and Oflog benchmarks for periods ending by the half's end. The summary compares
that picture with the one the previous report showed six months earlier.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

import duckdb
import pandas as pd

from pm_pipeline.district.catalogue import BY_KEY, DATASET_NAMES, FIGURES, SECTIONS
from pm_pipeline.district.charts import profile_chart
from pm_pipeline.district.figures import (
    BEST,
    HIGHEST,
    QUARTILE_WORDS,
    Comparison,
    Figure,
    compare,
    format_figure,
    format_plain,
    position_text,
    rank_words,
    series,
)
from pm_pipeline.periods import FinancialYear, Half, Quarter
from pm_pipeline.register.load import Register
from pm_pipeline.reports import charts
from pm_pipeline.reports.render import is_sample
from pm_pipeline.reports.wording import DIRECTION_TEXT, format_value
from pm_pipeline.scorecard import rules
from pm_pipeline.scorecard.build import ScorecardInputs, benchmark_positions
from pm_pipeline.values import ENGLAND, is_missing
from pm_pipeline.warehouse import read_table, where_in

PLACE_TYPES = ("place", "contextual")
TREND_POINTS = 8
ANNUAL_POINTS = 5
BENCHMARK_SOURCES = {
    "lginform": "LG Inform (Local Government Association)",
    "oflog": "Office for Local Government (Oflog) metrics",
}
MOVES = {"IMPROVING": "improved", "WORSENING": "worsened", "UP": "rose", "DOWN": "fell",
         "STABLE": "held steady"}  # fmt: skip


def report_date(half: Half) -> date:
    """The day the half-year's report runs: the last day of the month after the half ends."""
    return half.quarters[-1].report_run_at.date() - timedelta(days=1)


@dataclass
class DistrictInputs:
    context: pd.DataFrame  # district_context
    returns: pd.DataFrame  # pi_returns for the quarters the report looks back over
    benchmarks: pd.DataFrame  # the DESIGN 3.3 long table


def load_inputs(conn: duckdb.DuckDBPyConnection, half: Half) -> DistrictInputs:
    keys = [q.key for q in half.quarters[-1].history(4 * ANNUAL_POINTS + 2)]
    return DistrictInputs(
        context=read_table(conn, "district_context"),
        returns=read_table(conn, "pi_returns", *where_in("period", keys)),
        benchmarks=read_table(conn, "benchmarks"),
    )


@dataclass(frozen=True)
class Places:
    council: str
    council_name: str
    comparators: tuple[str, ...]
    names: dict[str, str]
    region: str
    region_name: str


def _places(register: Register, context: pd.DataFrame, benchmarks: pd.DataFrame) -> Places:
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
    return Places(council.area_code, council.name, tuple(register.comparators["area_code"]),
                  names, council.region_code, region_name)  # fmt: skip


def _compare(context: pd.DataFrame, figure: Figure, as_of: date, places: Places) -> Comparison:
    data = series(context, figure)
    out_of = None
    if figure.ranked_out_of:
        counts = context[(context["dataset"] == figure.dataset)
                         & (context["measure"] == figure.ranked_out_of)]  # fmt: skip
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
            "—" if is_missing(result.previous_value)
            else format_figure(f, result.previous_value, result.previous_out_of)
        ),
        "previous_period": result.previous_period or "",
        "median_text": "—" if is_missing(result.median) else format_plain(f, result.median),
        "position_text": position_text(result) or "—",
        "region_text": "—" if is_missing(result.region) else format_plain(f, result.region),
        "england_text": england,
        "england_note": "by definition" if result.england_defined else "",
    }  # fmt: skip


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
        label = "File" if len(files) == 1 else "Files"
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
    labels = [c.replace("Aged ", "").replace(" years and under", " and under")
              .replace(" years and over", " and over").replace(" years", "") for c in order]  # fmt: skip
    series_list: list[tuple[str, list[float]]] = []
    for code, name in ((places.council, places.council_name), (ENGLAND, "England"),
                       (places.region, places.region_name)):  # fmt: skip
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
        f"peers-{f.key}", f"{f.label}: the district and similar councils, {result.period}",
        bars, f.unit, f.decimals, result.median,
    )  # fmt: skip


def _employment_trend(context: pd.DataFrame, places: Places, as_of: date) -> charts.Chart | None:
    figure = BY_KEY["employment_rate"]
    data = series(context, figure)
    own = data[(data["area_code"] == places.council) & data["value"].notna()]
    own = own[[d <= as_of for d in own["available_from"]]].tail(TREND_POINTS)
    if len(own) < 2:
        return None
    points = [(Quarter.containing(end).label, float(v), None, None)
              for end, v in zip(own["period_end"], own["value"], strict=True)]  # fmt: skip
    return charts.trend_chart(
        "trend-employment-rate",
        "Employment rate (aged 16-64), each point the 12 months to the end of that quarter",
        points, "percent", 1,
    )  # fmt: skip


def _topic_charts(key: str, results: dict[str, Comparison], context: pd.DataFrame,
                  places: Places, as_of: date) -> list[dict]:  # fmt: skip
    found = []
    if key == "population" and (chart := _age_chart(context, places)):
        found.append({"chart": chart, "caption": "Age profile at Census 2021: the district solid, "
                      "the comparison area outlined; each bar is labelled with its percentage."})  # fmt: skip
    if key == "deprivation" and (chart := _peer_chart(results["most_deprived_decile"], places)):
        found.append({"chart": chart, "caption": "Share of neighbourhoods in England's most "
                      "deprived 10%, fewest first; the district is hatched and marked \"(us)\"; "
                      "dashed line = median of similar councils."})  # fmt: skip
    if key == "employment":
        if chart := _employment_trend(context, places, as_of):
            found.append({"chart": chart, "caption": "Employment rate over the last two years "
                          "(Annual Population Survey, rolling 12-month periods)."})  # fmt: skip
        if chart := _peer_chart(results["employment_rate"], places):
            found.append({"chart": chart, "caption": "Employment rate among similar councils, "
                          "highest first; the district is hatched and marked \"(us)\"; dashed "
                          "line = median."})  # fmt: skip
    return found


def comparisons(context: pd.DataFrame, as_of: date, places: Places) -> dict[str, Comparison]:
    return {f.key: _compare(context, f, as_of, places) for f in FIGURES}


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


def sections_view(context: pd.DataFrame, results: dict[str, Comparison], places: Places,
                  register: Register, as_of: date) -> list[dict]:  # fmt: skip
    out = []
    for section in SECTIONS:
        topics = []
        for topic in section.topics:
            chosen = [results[k] for k in topic.figures]
            topics.append({
                "key": topic.key,
                "title": topic.title,
                "rows": [figure_row(r) for r in chosen],
                "any": any(r.available for r in chosen),
                "missing_hint": topic.missing_hint,
                "sources": source_lines(chosen, context),
                "charts": _topic_charts(topic.key, results, context, places, as_of),
            })  # fmt: skip
        if section.key == "place":
            topics.append(_environment_topic(register))
        out.append({"key": section.key, "title": section.title, "intro": section.intro,
                    "topics": topics})  # fmt: skip
    return out


# The council's own place-based and contextual indicators -----------------------------------


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


def _pi_row(pi: dict, half: Half, values: dict, positions: dict, bench: pd.DataFrame,
            places: Places, stable_band: float) -> dict:  # fmt: skip
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
    direction = rules.direction(value, before, pi["polarity"], decimals, stable_band)
    if annual and not new_this_half:
        change = "No new figure this half-year (annual indicator)"
        direction = "NO_COMPARISON"
    else:
        change = DIRECTION_TEXT.get(direction, (direction, ""))[0]
    position = positions.get(pi["pi_id"])
    trend = charts.trend_chart(
        f"trend-{pi['pi_id']}", f"{pi['title']}: trend",
        [(label, (get(q) or {}).get("value"), None, None) for label, q in periods],
        pi["unit"], decimals,
    )  # fmt: skip
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
        "new_this_half": new_this_half,
        "status": None if now is None else now.get("status"),
        "note": None if now is None else now.get("note"),
        "trend": trend,
        "position_text": "",
        "median_text": "",
        "region_text": "",
        "england_text": "",
        "benchmark_period": "",
    }
    if position is not None and not is_missing(position.get("rank")):
        row.update(_pi_benchmark(pi, position, bench, places))
    return row


def _pi_benchmark(pi: dict, position: dict, bench: pd.DataFrame, places: Places) -> dict:
    source = position["benchmark_source"]
    metric = pi["lginform_metric"] if source == "lginform" else pi["oflog_metric"]
    same = bench[(bench["source"] == source) & (bench["metric_id"] == metric)
                 & (bench["period_label"] == position["benchmark_period"])]  # fmt: skip
    area = dict(zip(same["area_code"], same["value"], strict=True))
    return {
        "position_text": f"{rank_words(int(position['rank']), BEST)} of "
        f"{int(position['comparator_count'])} ({QUARTILE_WORDS[int(position['quartile'])]})",
        "median_text": _fmt(pi, position["comparator_median"]),
        "region_text": _fmt(pi, area.get(places.region)),
        "england_text": _fmt(pi, area.get(ENGLAND)),
        "benchmark_period": f"{BENCHMARK_SOURCES.get(source, source)}, {position['benchmark_period']}",
    }


def pi_view(inputs: DistrictInputs, half: Half, register: Register, places: Places) -> list[dict]:
    """The council's place-based and contextual PIs, grouped by theme in the register's order."""
    pis = register.indicators[register.indicators["type"].isin(PLACE_TYPES)]
    if pis.empty:
        return []
    values = _latest_returns(inputs.returns)
    positions = {}
    if not inputs.benchmarks.empty:
        found = benchmark_positions(
            ScorecardInputs(
                council=register.council, indicators=pis, targets=register.targets,
                returns=inputs.returns, benchmarks=inputs.benchmarks,
                comparators=register.comparators, restatements=pd.DataFrame(),
            ),
            half.quarters[-1],
        )  # fmt: skip
        positions = {r["pi_id"]: r for r in found.to_dict("records")}
    themes = []
    order = list(register.council.themes) + sorted(set(pis["theme"]) - set(register.council.themes))
    for theme in order:
        members = pis[pis["theme"] == theme].sort_values("pi_id")
        if members.empty:
            continue
        rows = [
            _pi_row(pi, half, values, positions, inputs.benchmarks, places,
                    register.council.stable_band_pct)
            for pi in members.to_dict("records")
        ]  # fmt: skip
        themes.append({"theme": theme, "rows": rows})
    return themes


# LG Inform and Oflog benchmarks ----------------------------------------------------------------


def benchmark_view(benchmarks: pd.DataFrame, half: Half, places: Places,
                   register: Register) -> list[dict]:  # fmt: skip
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
                key=f"{source}-{metric_id}", label=str(first["metric_name"]), dataset=source,
                measure=str(metric_id), unit=unit, polarity=polarity,
                decimals=0 if unit == "count" else 1,
                order=BEST if polarity != "neutral" else HIGHEST,
            )  # fmt: skip
            data = rows_of_metric.assign(
                period=rows_of_metric["period_label"], available_from=rows_of_metric["period_end"],
                source=BENCHMARK_SOURCES.get(source, source), source_file="",
            )  # fmt: skip
            result = compare(data, figure, half.end, places.council, places.comparators,
                             places.region)  # fmt: skip
            if not result.available:
                continue
            periods.add(cast(str, result.period))  # available: a period
            pi_id = linked.get((source, metric_id))
            rows.append({**figure_row(result), "pi_id": pi_id, "pi_in_report": pi_id in in_report})
        if rows:
            groups.append({
                "source": source,
                "title": BENCHMARK_SOURCES.get(source, source),
                "rows": rows,
                "source_text": f"Source: {BENCHMARK_SOURCES.get(source, source)}; the latest "
                f"period ending by {half.end:%-d %B %Y} for each metric "
                f"({', '.join(sorted(periods))}).",
            })  # fmt: skip
    return groups


# The six-month summary --------------------------------------------------------------------------


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _change_sentence(now: Comparison) -> str:
    """ "Employment rate (aged 16-64) rose from 72.4% (...) to 73.5% (...). That is the 14th best
    of 16 similar councils (bottom quartile; median 75.9%). England: 76.3%."."""
    f = now.figure
    old = format_figure(f, now.previous_value, now.previous_out_of)
    new = format_figure(f, now.value, now.out_of)
    if f.change or is_missing(now.previous_value):
        text = f"{f.label} was {new} in {now.period}."
    elif round(cast(float, now.value), f.decimals) == round(now.previous_value, f.decimals):
        text = f"{f.label} was unchanged at {new} ({now.period})."
    else:
        verb = "rose" if cast(float, now.value) > now.previous_value else "fell"
        text = f"{f.label} {verb} from {old} ({now.previous_period}) to {new} ({now.period})."
    if now.rank is not None:
        notes = [QUARTILE_WORDS[now.quartile]] if now.quartile else []
        if not is_missing(now.median):
            notes.append(f"median {format_plain(f, now.median)}")
        text += f" That is the {rank_words(now.rank, f.order)} of {now.count} similar councils"
        text += f" ({'; '.join(notes)})." if notes else "."
    if not is_missing(now.england):
        text += f" England: {format_plain(f, now.england)}."
    return text


def release_sentences(now: dict[str, Comparison], before: dict[str, Comparison]) -> list[str]:
    """What was published since the last report, and what was not."""
    new: dict[str, str | None] = {}
    unchanged: list[str] = []
    for key, result in now.items():
        if not result.available:
            continue
        name = DATASET_NAMES.get(result.figure.dataset, result.figure.dataset)
        if result.period != before[key].period:
            new.setdefault(name, result.period)
        elif name not in unchanged:
            unchanged.append(name)
    unchanged = [n for n in unchanged if n not in new]
    out = []
    if new:
        out.append("New figures since the last report: "
                   + "; ".join(f"{name} for {period}" for name, period in new.items()) + ".")  # fmt: skip
    else:
        out.append("No new place statistics have been published since the last report.")
    if unchanged:
        out.append(f"Unchanged since the last report: {_join(unchanged)}.")
    return out


def pi_summary(themes: list[dict]) -> list[str]:
    rows = [r for t in themes for r in t["rows"]]
    if not rows:
        return []
    moved = [r for r in rows if r["new_this_half"] and r["direction"] in MOVES]
    counts = {
        word: sum(1 for r in moved if MOVES[r["direction"]] == word) for word in MOVES.values()
    }
    parts = [f"{n} {word}" for word, n in counts.items() if n]
    n_all = len(rows)
    kind = "place-based and contextual indicator" + ("s" if n_all != 1 else "")
    if not moved:
        return [
            f"None of the council's {n_all} {kind} can be compared with six months earlier yet."
        ]
    out = [f"Of the council's {n_all} {kind}, {len(moved)} can be compared with six months "
           f"earlier: {_join(parts)}."]  # fmt: skip

    def size(r: dict) -> float:
        return abs(r["value"] - r["before"]) / abs(r["before"]) if r["before"] else math.inf

    for direction, words in (
        ("IMPROVING", "largest improvement"),
        ("WORSENING", "largest decline"),
    ):
        found = sorted((r for r in moved if r["direction"] == direction), key=size, reverse=True)
        if found:
            r = found[0]
            out.append(f"The {words}: {r['title']}, from {r['six_text']} ({r['six_period']}) to "
                       f"{r['latest_text']} ({r['latest_period']}).")  # fmt: skip
    return out


def summary_sentences(
    now: dict[str, Comparison], before: dict[str, Comparison], themes: list[dict]
) -> list[str]:
    """The plain-English "what has changed in six months", generated from the figures."""
    out = release_sentences(now, before)
    for key, result in now.items():
        if result.figure.headline and result.available and result.period != before[key].period:
            out.append(_change_sentence(result))
    out += pi_summary(themes)
    return out


def _periods_words(periods: Sequence[str]) -> str:
    if len(periods) <= 4:
        return ", ".join(periods)
    return f"{periods[0]} to {periods[-1]} ({len(periods)} periods)"


def sources_view(context: pd.DataFrame) -> list[dict]:
    """One entry per source: its tables, periods, first release date and files."""
    if context.empty:
        return []
    out = []
    for source, rows in context.groupby("source", sort=True):
        periods = rows.drop_duplicates("period").sort_values("period_end")["period"]
        out.append({
            "source": source,
            "datasets": ", ".join(sorted(set(rows["dataset"]))),
            "periods": _periods_words(list(periods)),
            "available": min(pd.to_datetime(rows["available_from"])).date(),
            "files": [{"file": f, "sample": "sample" in f.casefold()}
                      for f in sorted(set(rows["source_file"]))],
        })  # fmt: skip
    return out


def build_view(inputs: DistrictInputs, half: Half, register: Register) -> dict:
    """Everything the State of the District shows for `half`, as plain data."""
    places = _places(register, inputs.context, inputs.benchmarks)
    as_of, before_as_of = report_date(half), report_date(half.previous)
    now = comparisons(inputs.context, as_of, places)
    before = comparisons(inputs.context, before_as_of, places)
    themes = pi_view(inputs, half, register, places)
    sources = sources_view(inputs.context)
    return {
        "council_name": register.council.name,
        "sample": is_sample(register.council.name),
        "sample_files": any(f["sample"] for s in sources for f in s["files"]),
        "half": half,
        "period_words": f"{half.start:%B %Y} to {half.end:%B %Y}",
        "as_of": as_of,
        "previous_as_of": before_as_of,
        "comparator_group": register.council.comparator_group,
        "comparator_count": len(places.comparators),
        "region_name": places.region_name,
        "summary": summary_sentences(now, before, themes),
        "sections": sections_view(inputs.context, now, places, register, as_of),
        "pi_themes": themes,
        "benchmark_groups": benchmark_view(inputs.benchmarks, half, places, register),
        "sources": sources,
        "has_context": not inputs.context.empty,
        "stable_band": register.council.stable_band_pct,
    }  # fmt: skip
