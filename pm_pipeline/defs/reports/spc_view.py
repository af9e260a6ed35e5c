"""The SPC part of a report's per-PI view: variation and assurance in words and symbols, and
the XmR chart, read through the same `pi_reading` the scorecard used (so they agree).

`add_spc` adds to each scorecard entry: `variation` / `assurance` (as stored), their words and
Making Data Count icons from scorecard/narrative.py (`variation_text`, `variation_icon`,
`variation_letter`, `variation_meaning`, and the same for assurance: no icon and the words
"No SPC reading" when there is none), the rules behind a special cause (`spc_rules`), the
reason when there is no chart (`spc_reason`), the proposed re-base (`spc_rebase_proposal`, as
stored; `spc_rebase_run` without its question, and `spc_rebase_since`, the quarter it would
start from), whether a limit is drawn capped at what the figure can be (`spc_capped`), why the
run rules are not read (`spc_note`: a rolling or year-to-date figure) and the chart (`xmr`, or
None).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.values import is_missing
from pm_pipeline.core.warehouse import read_table
from pm_pipeline.defs.intake.tables import PI_RETURNS
from pm_pipeline.defs.register.model import Register
from pm_pipeline.defs.scorecard import spc
from pm_pipeline.defs.scorecard.narrative import (
    NOT_JUDGED,
    SpcSymbol,
    assurance_symbol,
    no_reading,
    variation_symbol,
)
from pm_pipeline.defs.scorecard.spc_series import (
    SPC_QUARTERS,
    pi_reading,
    read_rebase,
    rebase_by_pi,
)
from pm_pipeline.render.xmr_chart import xmr_chart

NO_READING = "No SPC reading"


def _kind(signal: spc.Signal | None, polarity: str) -> str | None:
    """The point's Making Data Count icon name (render/xmr_chart.py draws it); None: common."""
    if signal is None:
        return None
    side = "high" if signal.direction > 0 else "low"
    if polarity == "neutral":
        return f"neutral_{side}"
    better = signal.direction > 0 if polarity == "higher_is_better" else signal.direction < 0
    return f"{'improvement' if better else 'concern'}_{side}"


def add_spc(
    entries: list[dict],
    conn: duckdb.DuckDBPyConnection,
    quarter: Quarter,
    register: Register,
    config_dir: Path | None,
) -> None:
    """Give each entry its SPC fields (see the module's docstring), in place."""
    keys = [q.key for q in quarter.history(SPC_QUARTERS)]
    marks = ", ".join("?" for _ in keys)
    returns = read_table(conn, PI_RETURNS, f"period IN ({marks})", keys)
    values = {
        (r.period, r.pi_id): None if is_missing(r.value) else float(r.value)
        for r in returns.itertuples()
    }
    pis = register.indicators.set_index("pi_id", drop=False)
    known = set(pis.index)
    rebase = rebase_by_pi(read_rebase(config_dir, known)) if config_dir is not None else None
    for e in entries:
        pi = pis.loc[e["pi_id"]].to_dict()
        target = None if is_missing(e.get("target")) else float(e["target"])
        reading = pi_reading(pi, quarter, values, target, rebase) if rebase is not None else None
        stored_v, stored_a = e.get("variation"), e.get("assurance")  # None before the column
        variation = (
            stored_v if isinstance(stored_v, str) else reading.variation if reading else None
        )
        assurance = (
            stored_a if isinstance(stored_a, str) else reading.assurance if reading else None
        )
        chart = reading.chart if reading else None
        latest = chart.signals.get(len(chart.points) - 1) if chart else None
        stored_p = e.get("spc_rebase_proposal")
        if isinstance(stored_p, str) or isinstance(stored_a, str):  # the row's, even if none
            proposal = stored_p if isinstance(stored_p, str) else None
        else:
            proposal = str(reading.rebase_proposal) if reading and reading.rebase_proposal else None
        run = proposal.removesuffix(spc.REBASE_QUESTION) if proposal else None
        e.update(
            variation=variation,
            assurance=assurance,
            **reading_fields(variation, assurance, str(pi["polarity"])),
            spc_rules=latest.rules if latest else (),
            spc_rebase_proposal=proposal,
            spc_rebase_run=run,
            spc_rebase_since=run.rpartition(" since ")[2] if run else None,
            spc_capped=bool(chart and chart.capped),
            spc_note=reading.note if reading and chart else None,
            xmr=_chart(e, pi, chart, target, reading.note if reading else None) if chart else None,
        )


def reading_fields(variation: str | None, assurance: str | None, polarity: str) -> dict:
    """A stored reading's words and icons (`variation_text`, `_icon`, `_letter`, `_meaning`,
    the same for assurance) and why there is none (`spc_reason`), as the templates show them:
    for the quarterly reports' entries and the monthly service scorecard's."""
    return {
        **_fields("variation", variation_symbol(variation, polarity)),
        **{**_fields("assurance", assurance_symbol(assurance)), **_not_judged(assurance)},
        "spc_reason": no_reading(variation) or no_reading(assurance, of="assurance"),
    }


def _not_judged(assurance: str | None) -> dict:
    """A "not judged" assurance (a proposed re-base waits) is a badge in words, with no icon:
    it is neither pass, fail nor hit and miss."""
    prefix = f"{spc.NONE}: {NOT_JUDGED}"
    if not assurance or not assurance.startswith(prefix):
        return {}
    since = assurance.removeprefix(prefix)
    return {
        "assurance_text": f"Target: not judged (the process changed in {since})",
        "assurance_meaning": "Its latest figures have left the limits; new limits wait for the "
        "data team",
    }


def _fields(kind: str, symbol: SpcSymbol | None) -> dict:
    """`<kind>_icon` (inline SVG or ""), `_letter`, `_text` and `_meaning` for the templates."""
    if symbol is None:
        return {
            f"{kind}_icon": "",
            f"{kind}_letter": "",
            f"{kind}_text": NO_READING,
            f"{kind}_meaning": "",
        }
    return {
        f"{kind}_icon": symbol.svg(),
        f"{kind}_letter": symbol.letter,
        f"{kind}_text": symbol.label,
        f"{kind}_meaning": symbol.meaning,
    }


def _chart(e: dict, pi: dict, chart: spc.Chart, target: float | None, note: str | None):
    points = [
        (p.label, p.value, _kind(chart.signals.get(i), str(pi["polarity"])))
        for i, p in enumerate(chart.points)
    ]
    segments = [(s.start, s.end, s.mean, s.lower, s.upper, s.reason) for s in chart.segments]
    return xmr_chart(
        f"xmr-{e['pi_id']}",
        f"{e['pi_id']} {e['title']}: signal or noise",
        points,
        segments,
        target,
        str(pi["unit"]),
        int(pi["decimals"]),
        bounds=(chart.floor, chart.ceiling),
        note=note,
    )
