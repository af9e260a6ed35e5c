"""The scoring rules (docs/contracts.md, "Scoring rules"), as small pure functions that every
report shares.

RAG, direction of travel, benchmark position and exceptions are defined once, here, so the
HTML, the spreadsheet, the PDF and the warehouse always agree.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pm_pipeline.core.values import is_missing, round_at
from pm_pipeline.defs.register.model import SCORED_TYPES, Council

GREEN, AMBER, RED, NO_TARGET, NO_DATA = "GREEN", "AMBER", "RED", "NO_TARGET", "NO_DATA"
IMPROVING, WORSENING, STABLE, UP, DOWN, NO_COMPARISON = (
    "IMPROVING",
    "WORSENING",
    "STABLE",
    "UP",
    "DOWN",
    "NO_COMPARISON",
)
RAG_LEVEL = {GREEN: 2, AMBER: 1, RED: 0}


def amber_threshold(
    target: float, polarity: str, tolerance_pct: float, explicit: float | None = None
) -> float:
    """The amber threshold: explicit if given, else target × (1 ∓ tolerance) by polarity."""
    if not is_missing(explicit):
        return float(explicit)
    tol = tolerance_pct / 100
    return target * (1 - tol) if polarity == "higher_is_better" else target * (1 + tol)


def rag(
    value: float | None,
    target: float | None,
    polarity: str,
    pi_type: str,
    decimals: int,
    tolerance_pct: float,
    explicit_amber: float | None = None,
) -> str:
    """RED/AMBER/GREEN against target at the PI's rounding; NO_TARGET; NO_DATA."""
    if pi_type not in SCORED_TYPES or is_missing(target) or polarity == "neutral":
        return NO_TARGET
    if is_missing(value):
        return NO_DATA
    threshold = amber_threshold(target, polarity, tolerance_pct, explicit_amber)
    v, t, a = (round_at(x, decimals) for x in (value, target, threshold))
    if polarity == "higher_is_better":
        return GREEN if v >= t else AMBER if v >= a else RED
    return GREEN if v <= t else AMBER if v <= a else RED


@dataclass(frozen=True)
class StableBand:
    """How far a figure may move and still read "Stable" (docs/contracts.md, "Direction of
    travel"): in percentage points for a percent PI (96.1% to 92.5% is a 3.6-point fall, not a
    3.7% one), a relative % for everything else."""

    size: float
    points: bool

    def describe(self) -> str:
        size = f"{self.size:g}"
        if self.points:
            return f"{size} percentage point{'' if size == '1' else 's'}"
        return f"{size}%"


def stable_band(
    unit: str, override: float | None, council_points: float, council_pct: float
) -> StableBand:
    """The band for a PI: its own `stable_band` where the register gives one, else the
    council's (`stable_band_points` for percent PIs, `stable_band_pct` for the rest)."""
    points = unit == "percent"
    if not is_missing(override):
        return StableBand(float(override), points)
    return StableBand(council_points if points else council_pct, points)


def band_of(pi: Mapping, council: Council) -> StableBand:
    """The stable band of a register row (`pi["stable_band"]` is optional: blank = council's)."""
    return stable_band(
        str(pi["unit"]),
        pi.get("stable_band"),
        council.stable_band_points,
        council.stable_band_pct,
    )


def direction(
    value: float | None,
    before: float | None,
    polarity: str,
    decimals: int,
    band: StableBand,
) -> str:
    """Direction of travel: stable while the change is within the band (points or relative)."""
    if is_missing(value) or is_missing(before):
        return NO_COMPARISON
    v, b = round_at(value, decimals), round_at(before, decimals)
    if band.points:
        change = v - b
        within = abs(change) <= band.size + 1e-9
    else:
        if b == 0:  # any move from zero is a move (docs/contracts.md, "Direction of travel")
            change = 0.0 if v == 0 else math.copysign(math.inf, v - b)
        else:
            change = (v - b) / abs(b)
        within = abs(change) <= band.size / 100 + 1e-12
    if within:
        return STABLE
    if polarity == "neutral":
        return UP if change > 0 else DOWN
    better = change > 0 if polarity == "higher_is_better" else change < 0
    return IMPROVING if better else WORSENING


@dataclass(frozen=True)
class Position:
    rank: int
    count: int
    quartile: int
    comparator_median: float | None
    comparator_best: float | None


def benchmark_position(
    own_value: float | None,
    comparator_values: Mapping[str, float | None],
    polarity: str,
) -> Position | None:
    """Rank among comparators plus this council (1 = best, ties share the best rank).

    `comparator_values` excludes this council; missing values are left out of the group.
    Median and best are of the comparators alone. No position for neutral PIs or no value.
    """
    peers = [float(v) for v in comparator_values.values() if not is_missing(v)]
    if is_missing(own_value) or polarity == "neutral" or not peers:
        return None
    own = float(own_value)
    if polarity == "higher_is_better":
        better = sum(1 for v in peers if v > own)
        best = max(peers)
    else:
        better = sum(1 for v in peers if v < own)
        best = min(peers)
    count = len(peers) + 1
    rank = better + 1
    return Position(
        rank=rank,
        count=count,
        quartile=math.ceil(4 * rank / count),
        comparator_median=statistics.median(peers),
        comparator_best=best,
    )


@dataclass(frozen=True)
class QuarterScore:
    """One PI in one quarter, as the exception rules need it (oldest first in a history)."""

    rag: str
    direction_vs_previous: str
    quartile: int | None
    value: float | None
    target: float | None
    polarity: str
    tolerance_pct: float


EXCEPTION_RED = "RED"
EXCEPTION_FALL = "FELL_TWO_LEVELS"
EXCEPTION_WORSENING_RUN = "WORSENING_TWO_QUARTERS"
EXCEPTION_GREEN_BOTTOM = "GREEN_BOTTOM_QUARTILE"
EXCEPTION_SOFT_TARGET = "SOFT_TARGET"
EXCEPTION_TEXT = {
    EXCEPTION_RED: "Red against target",
    EXCEPTION_FALL: "Fell two RAG levels since last quarter",
    EXCEPTION_WORSENING_RUN: "Worsening for two quarters running",
    EXCEPTION_GREEN_BOTTOM: "Green against target but in the bottom quartile of comparators",
    EXCEPTION_SOFT_TARGET: "Target met by a wide margin every quarter this year: challenge it",
}
SOFT_TARGET_MARGIN = 2  # × the amber tolerance


def beats_by_wide_margin(score: QuarterScore) -> bool:
    if (
        score.rag != GREEN
        or is_missing(score.value)
        or is_missing(score.target)
        or not score.target
    ):
        return False
    margin = (score.value - score.target) / abs(score.target)
    if score.polarity == "lower_is_better":
        margin = -margin
    return margin > SOFT_TARGET_MARGIN * score.tolerance_pct / 100


def exceptions(history: Sequence[QuarterScore], year_so_far: Sequence[QuarterScore]) -> list[str]:
    """Why this PI is an exception this quarter (docs/contracts.md, "Exceptions"); empty when
    it is not.

    `history` ends with this quarter (previous quarters before it); `year_so_far` holds this
    financial year's quarters up to and including this one.
    """
    if not history:
        return []
    now = history[-1]
    found = []
    if now.rag == RED:
        found.append(EXCEPTION_RED)
    if len(history) >= 2:
        before = history[-2]
        fell = RAG_LEVEL.get(before.rag, -9) - RAG_LEVEL.get(now.rag, 9)
        if before.rag in RAG_LEVEL and now.rag in RAG_LEVEL and fell >= 2:
            found.append(EXCEPTION_FALL)
        if now.direction_vs_previous == WORSENING and before.direction_vs_previous == WORSENING:
            found.append(EXCEPTION_WORSENING_RUN)
    if now.rag == GREEN and now.quartile == 4:
        found.append(EXCEPTION_GREEN_BOTTOM)
    if len(year_so_far) >= 2 and all(beats_by_wide_margin(s) for s in year_so_far):
        found.append(EXCEPTION_SOFT_TARGET)
    return found
