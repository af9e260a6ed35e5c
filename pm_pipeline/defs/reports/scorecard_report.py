"""The quarterly KPI scorecard report: summary, exceptions, balanced scorecard, key.

`scorecard_view` gathers what the page needs from the warehouse into plain dicts; the
template only lays them out. The same view feeds the HTML, the PDF and the spreadsheet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import pandas as pd

from pm_pipeline.core.measures import Targets
from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.sheets import FileProblem, clean_text
from pm_pipeline.core.spreadsheets import read_table_file
from pm_pipeline.core.values import is_missing
from pm_pipeline.core.warehouse import read_table, where_in
from pm_pipeline.core.words import plural
from pm_pipeline.defs.benchmarks.tables import BENCHMARKS
from pm_pipeline.defs.intake.tables import PI_RETURNS, RESTATEMENTS
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES
from pm_pipeline.defs.register.model import Register
from pm_pipeline.defs.reports.plan_sections import STATUS_TEXT, plan_sheets, plan_view
from pm_pipeline.defs.reports.signoff_view import signoff_view
from pm_pipeline.defs.reports.spc_view import add_spc
from pm_pipeline.defs.scorecard import narrative
from pm_pipeline.defs.scorecard.build import benchmark_areas_sql
from pm_pipeline.defs.scorecard.rules import EXCEPTION_TEXT
from pm_pipeline.defs.scorecard.tables import KPI_EXCEPTIONS, KPI_SCORECARD
from pm_pipeline.render import charts, wording
from pm_pipeline.render.pages import is_sample, publish, sample_label
from pm_pipeline.render.spreadsheet import Sheet
from pm_pipeline.render.wording import (
    DIRECTION_MEANING,
    DIRECTION_TEXT,
    RAG_TEXT,
    direction_label,
    format_value,
    rag_label,
)

CHART_QUARTERS = 8
CHART_HISTORY = CHART_QUARTERS * 2  # quarters of returns the charts read
RAG_ORDER = ["RED", "AMBER", "GREEN", "NO_DATA", "NO_TARGET"]
DIRECTION_ORDER = ["IMPROVING", "STABLE", "WORSENING", "UP", "DOWN", "NO_COMPARISON"]


def read_commentary(folder: Path, quarter: Quarter, known: set[str]) -> tuple[dict, list[str]]:
    """The performance team's own sentences (`commentary/<quarter>.csv`), and any problems."""
    path = folder / f"{quarter.folder}.csv"
    if not path.exists():
        return {}, []
    try:
        sheets = read_table_file(path, path.name, {"pi_id"})
    except FileProblem as exc:
        return {}, [exc.message]
    if not sheets or sheets[0].column("commentary") is None:
        return {}, [f"{path.name} needs the columns pi_id, commentary, author"]
    found, problems = {}, []
    ids = {k.casefold(): k for k in known}
    for row, record in sheets[0].records():
        pid = ids.get(clean_text(record.get("pi_id")).casefold())
        text = clean_text(record.get("commentary"))
        if pid is None:
            problems.append(f"{path.name} row {row}: '{record.get('pi_id')}' is not a PI")
        elif text:
            found[pid] = {"text": text, "author": clean_text(record.get("author")) or None}
    return found, problems


def _history(conn: duckdb.DuckDBPyConnection, quarter: Quarter) -> pd.DataFrame:
    keys = [q.key for q in quarter.history(CHART_HISTORY)]
    return read_table(conn, PI_RETURNS, *where_in("period", keys))


def _trend_points(
    pi: dict, quarter: Quarter, values: dict, targets: Targets, register: Register
) -> list[charts.TrendPoint]:
    """The PI's last CHART_QUARTERS figures (annual PIs: years), oldest first, each as
    (label, value, rating, target): what its trend chart draws."""
    from pm_pipeline.defs.scorecard.rules import rag

    annual = pi["frequency"] == "annual"
    periods: list[Quarter] = []
    q = quarter
    while len(periods) < CHART_QUARTERS:
        periods.append(q)
        q = q.same_quarter_last_year if annual else q.previous
        if annual and len(periods) >= 5:
            break
    points: list[charts.TrendPoint] = []
    for q in reversed(periods):
        value = values.get((q.key, pi["pi_id"]))
        goal = targets.quarter(pi, q.financial_year.label)
        target, amber = goal.value, goal.amber
        rating = rag(
            value,
            target,
            pi["polarity"],
            pi["type"],
            int(pi["decimals"]),
            register.council.amber_tolerance_pct,
            amber,
        )
        label = q.financial_year.label if annual else q.label
        points.append((label, value, rating, target))
    return points


def trend_chart(
    entry: dict, width: int = charts.TREND_WIDTH, height: int = charts.TREND_HEIGHT
) -> charts.Chart:
    """An entry's trend chart (its `trend_points`), drawn `width` by `height`: the reports'
    size, or the Cabinet appendix's smaller one (reports/audience.py)."""
    return charts.trend_chart(
        f"trend-{entry['pi_id']}",
        f"{entry['title']}: trend",
        entry["trend_points"],
        entry["unit"],
        entry["decimals"],
        width,
        height,
    )


def _peers(pi: dict, row: dict, peer_series: dict, register: Register) -> charts.Chart | None:
    if is_missing(row.get("rank")):
        return None
    metric = pi["lginform_metric"] if row["benchmark_source"] == "lginform" else pi["oflog_metric"]
    same = peer_series.get((row["benchmark_source"], metric, row["benchmark_period"]))
    if same is None:
        return None
    names = dict(
        zip(register.comparators["area_code"], register.comparators["area_name"], strict=True)
    )
    names[register.council.area_code] = register.council.name
    same = same[same["area_code"].isin(names)].sort_values(
        "value", ascending=pi["polarity"] == "lower_is_better"
    )
    bars = [
        (names[r.area_code], float(r.value), r.area_code == register.council.area_code)
        for r in same.itertuples()
    ]
    return charts.peer_chart(
        f"peers-{pi['pi_id']}",
        f"{pi['title']}: {register.council.name} and similar councils, {row['benchmark_period']}",
        bars,
        pi["unit"],
        int(pi["decimals"]),
        row.get("comparator_median"),
    )


def _to_date_texts(row: dict, fmt: Callable[[object], str]) -> dict[str, str]:
    """The year-to-date figure and its target as printed (blank where the measure has none:
    a stock's, a cumulative's or a rolling PI's year to date is its latest figure)."""
    ytd, goal = row.get("year_to_date"), row.get("year_to_date_target")
    how = row.get("year_to_date_how")
    has = isinstance(how, str) and how
    return {
        "year_to_date_text": "" if not has else "—" if is_missing(ytd) else fmt(ytd),
        "year_to_date_target_text": "" if is_missing(goal) or not has else fmt(goal),
    }


def scorecard_view(
    conn: duckdb.DuckDBPyConnection,
    quarter: Quarter,
    register: Register,
    commentary_dir: Path,
    config_dir: Path | None = None,
) -> dict:
    """Everything the quarterly report shows, as plain data (SPC charts need `config_dir`,
    where the re-base points are)."""
    scorecard = read_table(conn, KPI_SCORECARD, "period = ?", [quarter.key])
    exceptions = read_table(conn, KPI_EXCEPTIONS, "period = ?", [quarter.key])
    restated = read_table(conn, RESTATEMENTS, "period = ?", [quarter.key])
    warnings = read_table(conn, QUALITY_ISSUES, "period = ? AND severity = 'WARN'", [quarter.key])
    history = _history(conn, quarter)
    signoff = signoff_view(conn, quarter, register)
    benchmarks = read_table(
        conn, BENCHMARKS, *benchmark_areas_sql(register.council, register.comparators)
    )
    peer_series = dict(
        tuple(
            benchmarks[benchmarks["value"].notna()].groupby(["source", "metric_id", "period_label"])
        )
    )
    pis = register.indicators.set_index("pi_id", drop=False)
    values = {(r.period, r.pi_id): r.value for r in history.itertuples() if not is_missing(r.value)}
    targets = Targets(register.targets)
    commentary, commentary_problems = read_commentary(commentary_dir, quarter, set(pis.index))
    first_reported = dict(zip(restated["pi_id"], restated["first_reported_value"], strict=True))
    reasons: dict[str, list[str]] = {}
    for r in exceptions.itertuples():
        reasons.setdefault(r.pi_id, []).append(EXCEPTION_TEXT.get(r.exception, r.reason))

    entries = []
    for record in scorecard.to_dict("records"):
        pi = pis.loc[record["pi_id"]].to_dict()
        row = {**record, "decimals": int(pi["decimals"]), "frequency": pi["frequency"]}
        fmt = lambda v, _pi=pi: format_value(v, _pi["unit"], int(_pi["decimals"]))  # noqa: E731
        entry = {
            **row,
            "value_text": fmt(row["value"]),
            "target_text": "" if is_missing(row["target"]) else fmt(row["target"]),
            "previous_text": fmt(row["previous_value"]),
            "last_year_text": fmt(row["last_year_value"]),
            **_to_date_texts(row, fmt),
            "compared": narrative.compared_words(pi["frequency"] == "annual"),
            "commentary": commentary.get(row["pi_id"]),
            "exceptions": reasons.get(row["pi_id"], []),
            "first_reported_text": (
                fmt(first_reported[row["pi_id"]]) if row["pi_id"] in first_reported else None
            ),
            "position_text": (
                ""
                if is_missing(row["rank"])
                else f"{int(row['rank'])} of {int(row['comparator_count'])}, "
                f"{wording.QUARTILE_WORDS[int(row['quartile'])]} ({row['benchmark_period']})"
            ),
            "median_text": ""
            if is_missing(row["comparator_median"])
            else fmt(row["comparator_median"]),
            "best_text": "" if is_missing(row["comparator_best"]) else fmt(row["comparator_best"]),
            "trend_points": _trend_points(pi, quarter, values, targets, register),
            "peers": _peers(pi, row, peer_series, register),
            "service": pi["service"],
            "owner_name": register.names.named(record["owner"]),
            "manager": pi["manager"],
            "check": signoff["checks"].get(record["pi_id"]),
        }
        entry["trend"] = trend_chart(entry)
        entries.append(entry)
    add_spc(entries, conn, quarter, register, config_dir)
    for entry in entries:  # after the SPC reading: the one sentence words it too
        entry["story"] = narrative.pi_story(entry, quarter)

    return {
        "council_name": register.council.name,
        "sample": is_sample(register.council.name),
        "comparator_group": register.council.comparator_group,
        "quarter": quarter,
        "quarter_months": f"{quarter.start:%B} to {quarter.end:%B %Y}",
        **summarise(entries, register.council.themes),
        "commentary_problems": commentary_problems,
        "quality_warnings": [
            {"rule": rule.replace("_", " "), "count": len(rows)}
            for rule, rows in warnings.groupby("rule", sort=True)
        ],
        "rag_text": RAG_TEXT,
        "direction_text": DIRECTION_TEXT,
        "direction_meaning": DIRECTION_MEANING,
        "variation_symbols": list(narrative.VARIATION_SYMBOLS.values()),
        "assurance_symbols": list(narrative.ASSURANCE_SYMBOLS.values()),
        "plan_status_text": STATUS_TEXT,
        "exception_text": EXCEPTION_TEXT,
        "tolerance": register.council.amber_tolerance_pct,
        "stable_band_text": narrative.stable_band_text(register),
        "signoff": signoff["signoff"],
        "plan": plan_view(conn, quarter, register.council, register.names),
    }


def summarise(entries: list[dict], theme_names: Sequence[str]) -> dict:
    """The counts, biggest moves, exceptions and themes of a set of PI entries: the whole
    scorecard's, or one audience's share of it (reports/audience.py)."""
    scored = [e for e in entries if e["rag"] not in ("NO_TARGET",)]
    rag_counts = Counter(e["rag"] for e in entries)
    direction_counts = Counter(e["direction_vs_previous"] for e in entries)
    moves = []
    for e in entries:
        if e["direction_vs_previous"] in ("IMPROVING", "WORSENING") and e["previous_value"]:
            change = (e["value"] - e["previous_value"]) / abs(e["previous_value"])
            moves.append((abs(change), e))
    moves.sort(key=lambda m: -m[0])
    themes = []
    for theme in theme_names:
        members = [e for e in entries if e["theme"] == theme]
        members.sort(
            key=lambda e: (
                not e["exceptions"],
                ["kpi", "service", "management", "contextual", "place"].index(e["type"]),
                e["pi_id"],
            )
        )
        themes.append(
            {"name": theme, "entries": members, "counts": Counter(e["rag"] for e in members)}
        )
    return {
        "entries": entries,
        "themes": themes,
        "rag_rows": [(r, rag_counts.get(r, 0)) for r in RAG_ORDER],
        "direction_rows": [
            (d, direction_counts.get(d, 0)) for d in DIRECTION_ORDER if direction_counts.get(d)
        ],
        "scored_count": len(scored),
        "improvements": [e for _, e in moves if e["direction_vs_previous"] == "IMPROVING"][:3],
        "declines": [e for _, e in moves if e["direction_vs_previous"] == "WORSENING"][:3],
        "exception_entries": [e for e in entries if e["exceptions"]],
        "restated_entries": [e for e in entries if e["first_reported_text"]],
    }


def summary_sentence(view: dict) -> str:
    counts = dict(view["rag_rows"])
    scored = counts["GREEN"] + counts["AMBER"] + counts["RED"]
    directions = dict(view["direction_rows"])
    parts = [
        f"Of {plural(scored, 'indicator')} measured against a target this quarter, "
        f"{counts['GREEN']} {plural(counts['GREEN'], 'is', 'are', False)} green, "
        f"{counts['AMBER']} amber and {counts['RED']} red."
    ]
    improving, worsening = directions.get("IMPROVING", 0), directions.get("WORSENING", 0)
    parts.append(
        f"Compared with last quarter, {improving} improved, {worsening} got worse and "
        f"{directions.get('STABLE', 0)} held steady."
    )
    if view["exception_entries"]:
        n = len(view["exception_entries"])
        parts.append(
            f"{plural(n, 'indicator')} {plural(n, 'needs', 'need', False)} attention first "
            "(exceptions below)."
        )
    return " ".join(parts)


def _cell(value: object) -> object:
    return None if is_missing(value) else value


def scorecard_sheet(view: dict) -> pd.DataFrame:
    rows = []
    for e in view["entries"]:
        rows.append(
            {
                "PI": e["pi_id"],
                "Title": e["title"],
                "Theme": e["theme"],
                "Type": e["type"],
                "Owner": e["owner_name"],
                "Unit": e["unit"],
                "Value": e["value"],
                "Target": e["target"],
                "RAG": rag_label(e["rag"]),
                "Previous value": e["previous_value"],
                "Direction vs previous": direction_label(e["direction_vs_previous"]),
                "Same quarter last year": e["last_year_value"],
                "Direction vs last year": direction_label(e["direction_vs_last_year"]),
                "Year to date": _cell(e.get("year_to_date")),
                "Year-to-date target": _cell(e.get("year_to_date_target")),
                "Year-to-date RAG": rag_label(e["year_to_date_rag"])
                if isinstance(e.get("year_to_date_rag"), str)
                else "",
                "Year to date worked out as": e.get("year_to_date_how") or "",
                "Benchmark source": e["benchmark_source"],
                "Benchmark period": e["benchmark_period"],
                "Comparator median": e["comparator_median"],
                "Comparator best": e["comparator_best"],
                "Rank": e["rank"],
                "Comparators (incl. us)": e["comparator_count"],
                "Quartile": e["quartile"],
                "Status": e["status"],
                "Restated": "Restated" if e["first_reported_text"] else "",
                "First reported value": e["first_reported_text"] or "",
                "Exceptions": "; ".join(e["exceptions"]),
                "Story": e["story"],
                "Owner's note": e["note"],
                "Checked by manager": (e["check"] or {}).get("checked_by", ""),
                "Checked on": (e["check"] or {}).get("checked_on", ""),
                "Manager's check": (e["check"] or {}).get("text", "Not checked by the manager."),
                "Performance team's commentary": e["commentary"]["text"] if e["commentary"] else "",
                "Variation (SPC)": f"{e['variation_letter']} {e['variation_text']}".strip(),
                "Assurance (SPC)": f"{e['assurance_letter']} {e['assurance_text']}".strip(),
                "Why no SPC reading": e["spc_reason"],
            }
        )
    return pd.DataFrame(rows)


def write_scorecard_files(folder: Path, view: dict) -> dict[str, Path]:
    """kpi_scorecard.html and .xlsx for one quarter, each written whole (the PDF is made from
    the HTML by its own asset)."""
    view = {**view, "summary": summary_sentence(view)}
    title = f"{view['council_name']} KPI scorecard {view['quarter'].label}"
    sheets = [
        Sheet(
            "Scorecard",
            scorecard_sheet(view),
            widths={"Title": 40, "Story": 60, "Owner's note": 60},
            intro=[sample_label(title, view["sample"])],
        ),
        Sheet("Key", key_sheet(view)),
    ]
    if view["plan"]["has_plan"]:
        sheets[1:1] = plan_sheets(view["plan"])
    return publish(folder, "kpi_scorecard", "kpi_scorecard.html.j2", view, title, sheets)


def key_sheet(view: dict) -> pd.DataFrame:
    """The key as a sheet: each symbol with its words and its one meaning, as in the HTML."""
    rows = [
        {"Term": f"{symbol} {label}".strip(), "Meaning": meaning}
        for label, meaning, symbol in view["rag_text"].values()
    ]
    rows += [
        {"Term": f"{symbol} {label}".strip(), "Meaning": f"Direction of travel: {meaning}"}
        for (label, symbol), meaning in zip(
            view["direction_text"].values(), view["direction_meaning"].values(), strict=True
        )
    ]
    rows += [{"Term": "Exception", "Meaning": text} for text in view["exception_text"].values()]
    rows += [
        {"Term": f"{s.letter} {s.label}".strip(), "Meaning": s.meaning}
        for s in [*view["variation_symbols"], *view["assurance_symbols"]]
    ]
    return pd.DataFrame(rows)
