"""The SPC part of a report's per-PI view: variation and assurance in words and symbols, and
the XmR chart, read through the same `pi_reading` the scorecard used (so they agree).

`add_spc` adds to each scorecard entry: `variation` / `assurance` (as stored), their text and
symbol (`variation_text`, `variation_symbol`, `assurance_text`, `assurance_symbol`), the
reason when there is no chart or no assurance (`spc_reason`), the proposed re-base
(`spc_rebase_proposal`, as stored; `spc_rebase_run` without its question, and
`spc_rebase_since`, the quarter it would start from), whether a limit is
drawn capped at what the figure can be (`spc_capped`), why the run rules are not read (`spc_note`, a rolling or
year-to-date figure) and the chart (`xmr`, or None).
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
from pm_pipeline.defs.scorecard.spc_series import (
    SPC_QUARTERS,
    pi_reading,
    read_rebase,
    rebase_by_pi,
)
from pm_pipeline.render.xmr_chart import xmr_chart

# reading -> (symbol, short label, meaning); symbols match the chart's marks
VARIATION_TEXT = {
    spc.IMPROVING: ("◆", "Improving (special cause)", "A real change for the better, not noise"),
    spc.CONCERNING: ("■", "Concerning (special cause)", "A real change for the worse, not noise"),
    spc.COMMON: ("○", "No significant change", "Within its normal range: ordinary variation"),
    spc.HIGHER: ("▲", "Special cause (higher)", "A real rise; neither direction is better"),
    spc.LOWER: ("▼", "Special cause (lower)", "A real fall; neither direction is better"),
}
ASSURANCE_TEXT = {
    spc.PASSING: ("P", "Consistently passing", "The whole normal range is on the right side"),
    spc.FAILING: ("F", "Consistently failing", "The target is outside the normal range"),
    spc.HIT_AND_MISS: ("?", "Hit and miss", "The target is inside the normal range"),
}
NO_READING = ("–", "No SPC reading", "")


def variation_words(value: str | None) -> tuple[str, str, str]:
    return VARIATION_TEXT.get(value or "", NO_READING)


def assurance_words(value: str | None) -> tuple[str, str, str]:
    """A "not judged" assurance (a proposed re-base waits) says so, not "no SPC reading"."""
    not_judged = f"{spc.NONE}: {spc.NOT_JUDGED} "
    if value and value.startswith(not_judged):
        since = value.removeprefix(not_judged)
        return (
            "–",
            f"Not judged (the process changed in {since})",
            "Its latest figures have left the limits; new limits wait for the data team",
        )
    return ASSURANCE_TEXT.get(value or "", NO_READING)


def _kind(signal: spc.Signal | None, polarity: str) -> str | None:
    if signal is None:
        return None
    if polarity == "neutral":
        return "special"
    better = signal.direction > 0 if polarity == "higher_is_better" else signal.direction < 0
    return "improving" if better else "concerning"


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
        v_sym, v_label, v_meaning = variation_words(variation)
        a_sym, a_label, a_meaning = assurance_words(assurance)
        chart = reading.chart if reading else None
        stored_p = e.get("spc_rebase_proposal")
        if isinstance(stored_p, str) or isinstance(stored_a, str):  # the row's, even if none
            proposal = stored_p if isinstance(stored_p, str) else None
        else:
            proposal = str(reading.rebase_proposal) if reading and reading.rebase_proposal else None
        run = _run_of(proposal) if proposal else None
        e.update(
            variation=variation,
            assurance=assurance,
            variation_symbol=v_sym,
            variation_text=v_label,
            variation_meaning=v_meaning,
            assurance_symbol=a_sym,
            assurance_text=a_label,
            assurance_meaning=a_meaning,
            spc_reason=_reason(variation, assurance),
            spc_rebase_proposal=proposal,
            spc_rebase_run=run,
            spc_rebase_since=run.rpartition(" since ")[2] if run else None,
            spc_capped=bool(chart and chart.capped),
            spc_note=reading.note if reading and chart else None,
            xmr=_chart(e, pi, chart, target, reading.note if reading else None) if chart else None,
        )


def _run_of(proposal: str) -> str:
    """The proposal (`spc.Proposal` as stored) without its question: "a run of 9 points ..."."""
    return proposal.removesuffix(spc.REBASE_QUESTION)


def _reason(variation: str | None, assurance: str | None) -> str:
    """Why there is no reading, as a sentence ("Only 9 quarters of history; SPC needs 15.")."""
    for value in (variation, assurance):
        if value and value.startswith(f"{spc.NONE}: "):
            text = value.removeprefix(f"{spc.NONE}: ")
            return text[:1].upper() + text[1:] + "."
    return ""


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
