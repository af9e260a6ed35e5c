"""Each PI's reading in plain English: one sentence per PI, used by every report.

"Recycling rose to 52.3% in Q2 from 47.5% in Q1: an improvement on last quarter. Against its
normal range it is a real improvement, not noise: it has stayed above its average for 7 or
more figures running. That is above the 50.0% target, and its normal range lies wholly above
the target: it can be relied on to keep meeting it."

The wording of a PI's movement, RAG, SPC variation and assurance lives here and only here, so
the Cabinet, service, management and scorecard reports and the State of the District say the
same thing. Each comparison is named (on last quarter, over six months, against its normal
range), and where two readings seem to disagree the sentence says why (docs/contracts.md,
"Reading a PI: one sentence, one symbol"): "held steady" beside "a real improvement", or
"Green" beside a target it will consistently fail, is never left unexplained
(pm_pipeline_tests/scorecard/test_narrative.py runs every combination).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.values import is_missing
from pm_pipeline.defs.register.model import Register
from pm_pipeline.defs.scorecard import rules, spc
from pm_pipeline.render.spc_icons import mdc_icon
from pm_pipeline.render.wording import QUARTILE_WORDS, format_value, ordinal

TYPE_WORDS = {"contextual": "contextual", "place": "place-based"}
NOT_JUDGED = f"{spc.NOT_JUDGED} "  # spc's "none: <reason>" for a shift, before its quarter


# The SPC readings' symbols: Making Data Count's icons -------------------------------------


@dataclass(frozen=True)
class SpcSymbol:
    """How an SPC reading is shown: its Making Data Count icon (NHSRplotthedots' file name),
    the letter in it, the icon's colour (render/spc_icons.py) and its words."""

    icon: str
    letter: str
    colour: str
    label: str
    meaning: str

    def svg(self) -> Markup:
        return mdc_icon(self.icon, self.letter, self.colour)


VARIATION_SYMBOLS = {
    (spc.IMPROVING, "H"): SpcSymbol(
        "improvement_high",
        "H",
        "improvement",
        "SPC: improving (special cause, high)",
        "A real change for the better, not noise: higher than its normal range allows by chance",
    ),
    (spc.IMPROVING, "L"): SpcSymbol(
        "improvement_low",
        "L",
        "improvement",
        "SPC: improving (special cause, low)",
        "A real change for the better, not noise: lower than its normal range allows by chance",
    ),
    (spc.CONCERNING, "H"): SpcSymbol(
        "concern_high",
        "H",
        "concern",
        "SPC: concerning (special cause, high)",
        "A real change for the worse, not noise: higher than its normal range allows by chance",
    ),
    (spc.CONCERNING, "L"): SpcSymbol(
        "concern_low",
        "L",
        "concern",
        "SPC: concerning (special cause, low)",
        "A real change for the worse, not noise: lower than its normal range allows by chance",
    ),
    (spc.HIGHER, "H"): SpcSymbol(
        "neutral_high",
        "H",
        "neutral",
        "SPC: special cause, high",
        "A real rise, not noise; neither direction is better",
    ),
    (spc.LOWER, "L"): SpcSymbol(
        "neutral_low",
        "L",
        "neutral",
        "SPC: special cause, low",
        "A real fall, not noise; neither direction is better",
    ),
    (spc.COMMON, ""): SpcSymbol(
        "common_cause",
        "",
        "common",
        "SPC: common cause",
        "Within its normal range: ordinary variation, no significant change",
    ),
}
ASSURANCE_SYMBOLS = {
    spc.PASSING: SpcSymbol(
        "pass",
        "P",
        "improvement",
        "Target: consistently passing",
        "The whole normal range is on the right side of the target",
    ),
    spc.FAILING: SpcSymbol(
        "fail",
        "F",
        "concern",
        "Target: consistently failing",
        "The whole normal range is on the wrong side of the target",
    ),
    spc.HIT_AND_MISS: SpcSymbol(
        "inconsistent",
        "?",
        "common",
        "Target: hit and miss",
        "The target is inside the normal range",
    ),
}


def side_of(variation: str | None, polarity: str) -> str:
    """H or L: which side of its average a special cause lies, from the reading and polarity."""
    if variation == spc.HIGHER:
        return "H"
    if variation == spc.LOWER:
        return "L"
    if variation not in (spc.IMPROVING, spc.CONCERNING):
        return ""
    higher_better = polarity == "higher_is_better"
    return "H" if (variation == spc.IMPROVING) == higher_better else "L"


def variation_symbol(variation: str | None, polarity: str) -> SpcSymbol | None:
    """The icon and words for a stored variation; None for "none: <reason>" (words only)."""
    return VARIATION_SYMBOLS.get((variation or "", side_of(variation, polarity)))


def assurance_symbol(assurance: str | None) -> SpcSymbol | None:
    return ASSURANCE_SYMBOLS.get(assurance or "")


def no_reading(value: str | None, of: str = "variation") -> str:
    """Why there is no SPC reading (`of` the variation or the assurance), as a sentence
    ("Only 9 quarters of history; SPC needs 15."); empty when there is a reading."""
    if not value or not value.startswith(f"{spc.NONE}: "):
        return ""
    text = value.removeprefix(f"{spc.NONE}: ")
    if text.startswith(NOT_JUDGED):
        what = (
            "Whether it will meet the target is not judged"
            if of == "assurance"
            else "Its SPC reading is not judged"
        )
        return (
            f"{what}: the process changed in {text.removeprefix(NOT_JUDGED)}, and until the data "
            "team confirms a re-base there, the old limits do not describe it."
        )
    return text[:1].upper() + text[1:] + "."


# Movement: the figure against the one before -------------------------------------------------


def period_words(quarter: Quarter, earlier: Quarter, annual: bool) -> tuple[str, str]:
    """How to name this period and the one compared with, as briefly as is clear."""
    if annual:
        return quarter.financial_year.label, earlier.financial_year.label
    if earlier.financial_year == quarter.financial_year:
        return f"Q{quarter.q}", f"Q{earlier.q}"
    return quarter.label, earlier.label


def movement(
    title: str,
    value: float,
    before: float | None,
    direction: str,
    when: tuple[str, str],
    compared: str,
    fmt: Callable[[float | None], str],
) -> str:
    """The figure against the one compared with, naming the comparison ("on last quarter",
    "over six months"), as one sentence."""
    now, earlier = when
    if is_missing(before) or direction == rules.NO_COMPARISON:
        return f"{title} was {fmt(value)} in {now}; there is no earlier figure to compare with."
    assert before is not None
    if direction == rules.STABLE:
        return (
            f"{title} held steady {compared} at {fmt(value)} in {now} ({fmt(before)} in {earlier})."
        )
    verb = "rose" if value > before else "fell"
    judgement = {
        rules.IMPROVING: f": an improvement {compared}",
        rules.WORSENING: f": a decline {compared}",
    }.get(direction, "")
    return f"{title} {verb} to {fmt(value)} in {now} from {fmt(before)} in {earlier}{judgement}."


def stable_band_text(register: Register) -> str:
    """The council's stable bands in words, naming any PI with its own."""
    council = register.council
    points = rules.stable_band("percent", None, council.stable_band_points, 0).describe()
    relative = rules.stable_band("count", None, 0, council.stable_band_pct).describe()
    own = register.indicators.get("stable_band")
    named = []
    if own is not None:
        for pi in register.indicators[own.notna()].to_dict("records"):
            named.append(f"{pi['pi_id']} {rules.band_of(pi, council).describe()}")
    text = f"{points} for percentages, {relative} of the earlier figure for everything else"
    return text + (f" (indicators with their own band: {', '.join(named)})" if named else "")


# Variation: the figure against its normal range (SPC) ----------------------------------------

REAL = {
    spc.IMPROVING: "a real improvement",
    spc.CONCERNING: "a real decline",
    spc.HIGHER: "a real rise",
    spc.LOWER: "a real fall",
}
AGREES = {
    spc.IMPROVING: rules.IMPROVING,
    spc.CONCERNING: rules.WORSENING,
    spc.HIGHER: rules.UP,
    spc.LOWER: rules.DOWN,
}


def why(signal_rules: Sequence[str], side: str) -> str:
    """Which of the rules found the special cause, in words ("it has stayed below its average
    for 7 or more figures running")."""
    high = side == "H"
    reasons = []
    for rule in signal_rules:
        if rule == spc.BEYOND:
            reasons.append(f"the latest figure is {'above' if high else 'below'} its normal range")
        elif rule == spc.SHIFT:
            reasons.append(
                f"it has stayed {'above' if high else 'below'} its average for "
                f"{spc.SHIFT_RUN} or more figures running"
            )
        elif rule == spc.TREND:
            reasons.append(
                f"it has {'risen' if high else 'fallen'} for {spc.TREND_RUN} or more figures "
                "in a row"
            )
        elif rule == spc.TWO_OF_THREE:
            reasons.append(
                f"two of its last three figures are close to its {'upper' if high else 'lower'} "
                "limit"
            )
    if not reasons:
        return "a special cause on its SPC chart"
    return ", ".join(reasons[:-1]) + (" and " if len(reasons) > 1 else "") + reasons[-1]


def variation_sentence(
    variation: str | None,
    direction: str,
    polarity: str,
    signal_rules: Sequence[str] = (),
) -> str:
    """The SPC reading as a sentence that says how it squares with the movement."""
    if variation in REAL:
        reason = why(signal_rules, side_of(variation, polarity))
        real = REAL[variation]
        if direction == AGREES[variation] or direction == rules.NO_COMPARISON:
            return f"Against its normal range it is {real}, not noise: {reason}."
        return f"But against its normal range it is {real}, not noise: {reason}."
    if variation == spc.COMMON:
        if direction in (rules.IMPROVING, rules.WORSENING, rules.UP, rules.DOWN):
            return (
                "But the change is within its normal range: ordinary variation, not a real change."
            )
        return "It is within its normal range: ordinary variation, no real change."
    reason = no_reading(variation)
    if reason.startswith("Its SPC reading is not judged"):
        return reason
    return f"No SPC reading: {reason[:1].lower() + reason[1:]}" if reason else ""


# Target and assurance ----------------------------------------------------------------------


def target_sentence(row: Mapping, fmt: Callable[[float | None], str], year_label: str) -> str:
    """The figure against its target, and what the normal range says about the target."""
    rag, target = row["rag"], row["target"]
    if row["type"] in TYPE_WORDS:
        return f"There is no target for this {TYPE_WORDS[row['type']]} indicator."
    if is_missing(target):
        return f"No target has been set for {year_label}."
    higher = row["polarity"] == "higher_is_better"
    right, wrong = ("above", "below") if higher else ("below", "above")
    assurance = str(row.get("assurance") or "")
    if rag == rules.GREEN:
        met = (
            f"That meets the {fmt(target)} target"
            if row["value"] == target
            else f"That is {right} the {fmt(target)} target"
        )
        if assurance == spc.FAILING:
            return (
                f"{met} this quarter, but its normal range lies {wrong} the target: expect it "
                "to miss most quarters unless the process changes."
            )
        if assurance == spc.PASSING:
            return (
                f"{met}, and its normal range lies wholly {right} the target: it can be relied "
                "on to keep meeting it."
            )
        if assurance == spc.HIT_AND_MISS:
            return (
                f"{met}, but its normal range spans the target: expect it to meet it in some "
                "quarters and miss it in others."
            )
        return f"{met}."
    if rag == rules.AMBER:
        missed = f"That is just {wrong} the {fmt(target)} target"
    elif rag == rules.RED:
        missed = f"That is {wrong} the {fmt(target)} target and off track"
    else:
        return ""
    if assurance == spc.FAILING:
        return (
            f"{missed}, and its normal range lies wholly {wrong} the target: expect it to keep "
            "missing it unless the process changes."
        )
    if assurance == spc.PASSING:
        return (
            f"{missed}, though its normal range lies wholly {right} the target: a quarter off "
            "target is unusual, so expect it to meet the target in most quarters."
        )
    if assurance == spc.HIT_AND_MISS:
        return (
            f"{missed}; its normal range spans the target: expect it to meet it in some "
            "quarters and miss it in others."
        )
    return f"{missed}."


def _benchmark(row: Mapping) -> str:
    if is_missing(row.get("rank")) or is_missing(row.get("comparator_count")):
        return ""
    quartile = QUARTILE_WORDS.get(int(row["quartile"]), "")
    return (
        f"{ordinal(int(row['rank']))} of {int(row['comparator_count'])} similar councils "
        f"({quartile}) in {row['benchmark_period']}."
    )


def compared_words(annual: bool) -> str:
    return "on last year" if annual else "on last quarter"


def pi_story(row: Mapping, quarter: Quarter) -> str:
    """The PI's reading: movement on last quarter (annual PIs: last year), the SPC reading
    against its normal range, the target with its assurance, and its position among similar
    councils. `row` is a kpi_scorecard row with the PI's `decimals` and `frequency`; an
    optional `spc_rules` names the rules behind a special cause."""

    def fmt(value: float | None) -> str:
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
    annual = row.get("frequency") == "annual"
    earlier = quarter.same_quarter_last_year if annual else quarter.previous
    direction = str(row["direction_vs_previous"])
    variation = row.get("variation")
    variation = variation if isinstance(variation, str) else None
    parts = [
        movement(
            row["title"],
            row["value"],
            row["previous_value"],
            direction,
            period_words(quarter, earlier, annual),
            compared_words(annual),
            fmt,
        ),
        variation_sentence(
            variation,
            direction,
            str(row["polarity"]),
            tuple(row.get("spc_rules") or ()),
        ),
        target_sentence(row, fmt, quarter.financial_year.label),
    ]
    assurance = row.get("assurance")
    if isinstance(assurance, str) and assurance.startswith(f"{spc.NONE}: {NOT_JUDGED}"):
        parts.append(no_reading(assurance, of="assurance"))
    if row.get("status") == "provisional":
        parts.append("The figure is provisional.")
    parts.append(_benchmark(row))
    return " ".join(p for p in parts if p)
