"""The story of each PI in plain English, generated from its scorecard row.

"Recycling rose to 52.3% in Q2 from 47.5% in Q1, above the 50.0% target. 4th of 16 similar
councils (top quartile) in 2025/26." The rules for wording live here and only here.
"""

from __future__ import annotations

from collections.abc import Mapping

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.values import is_missing
from pm_pipeline.defs.scorecard import spc
from pm_pipeline.render.wording import QUARTILE_WORDS, format_value, ordinal

TYPE_WORDS = {"contextual": "contextual", "place": "place-based"}
# the SPC reading (kpi_scorecard.variation) as a sentence; "none: ..." says nothing here
VARIATION_WORDS = {
    spc.COMMON: "Within its normal range — no real change.",
    spc.IMPROVING: "A real improvement, not noise (a special cause on its SPC chart).",
    spc.CONCERNING: "A real decline, not noise (a special cause on its SPC chart).",
    spc.HIGHER: "A real rise, not noise (a special cause on its SPC chart).",
    spc.LOWER: "A real fall, not noise (a special cause on its SPC chart).",
}


def period_words(quarter: Quarter, earlier: Quarter, annual: bool) -> tuple[str, str]:
    """How to name this period and the one compared with, as briefly as is clear."""
    if annual:
        return quarter.financial_year.label, earlier.financial_year.label
    if earlier.financial_year == quarter.financial_year:
        return f"Q{quarter.q}", f"Q{earlier.q}"
    return quarter.label, earlier.label


def _movement(row: Mapping, quarter: Quarter, fmt) -> str:
    annual = row.get("frequency") == "annual"
    earlier = quarter.same_quarter_last_year if annual else quarter.previous
    now_words, before_words = period_words(quarter, earlier, annual)
    value, before = row["value"], row["previous_value"]
    title = row["title"]
    if is_missing(before):
        return (
            f"{title} was {fmt(value)} in {now_words}; there is no earlier figure to compare with"
        )
    direction = row["direction_vs_previous"]
    if direction == "STABLE":
        return (
            f"{title} held steady at {fmt(value)} in {now_words} ({fmt(before)} in {before_words})"
        )
    verb = "rose" if value > before else "fell" if value < before else "stayed"
    judgement = {"IMPROVING": " — an improvement", "WORSENING": " — a decline"}.get(direction, "")
    return f"{title} {verb} to {fmt(value)} in {now_words} from {fmt(before)} in {before_words}{judgement}"


def _target(row: Mapping, fmt, year_label: str) -> str:
    rag, target = row["rag"], row["target"]
    if row["type"] in TYPE_WORDS:
        return f"There is no target for this {TYPE_WORDS[row['type']]} indicator."
    if is_missing(target):
        return f"No target has been set for {year_label}."
    higher = row["polarity"] == "higher_is_better"
    if rag == "GREEN":
        if row["value"] == target:
            return f"That meets the {fmt(target)} target."
        return f"That is {'above' if higher else 'below'} the {fmt(target)} target."
    if rag == "AMBER":
        return f"That is just {'below' if higher else 'above'} the {fmt(target)} target."
    if rag == "RED":
        return f"That is {'below' if higher else 'above'} the {fmt(target)} target and off track."
    return ""


def _benchmark(row: Mapping) -> str:
    if is_missing(row.get("rank")) or is_missing(row.get("comparator_count")):
        return ""
    quartile = QUARTILE_WORDS.get(int(row["quartile"]), "")
    return (
        f"{ordinal(int(row['rank']))} of {int(row['comparator_count'])} similar councils "
        f"({quartile}) in {row['benchmark_period']}."
    )


def pi_story(row: Mapping, quarter: Quarter) -> str:
    """One or two plain sentences: movement, target, and position among similar councils."""

    def fmt(value: float) -> str:
        return format_value(value, row["unit"], row.get("decimals"))

    if is_missing(row["value"]):
        if row["status"] == "unavailable":
            reason = (row.get("note") or "").strip().rstrip(".")
            return (
                f"No figure for {quarter.label}: {reason[:1].lower() + reason[1:]}."
                if reason
                else (f"No figure for {quarter.label}.")
            )
        return f"No return was made for {row['title']} in {quarter.label}."
    parts = [_movement(row, quarter, fmt) + ".", _target(row, fmt, quarter.financial_year.label)]
    parts.append(VARIATION_WORDS.get(str(row.get("variation")), ""))
    if row.get("status") == "provisional":
        parts.append("The figure is provisional.")
    parts.append(_benchmark(row))
    return " ".join(p for p in parts if p)
