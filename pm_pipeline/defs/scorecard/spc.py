"""Signal or noise: an XmR (individuals) chart of a PI and NHS England's "Making Data Count" rules.

A quarter-on-quarter "worsening" is often ordinary noise. An XmR chart draws the process's
natural limits (mean ± 2.66 × the mean moving range) and flags only what the rules call a
special cause, so councillors see a real change as a change and noise as noise.

The rules, as NHS England's Making Data Count tools apply them (see docs/spc.md, "Reading an
SPC chart"): a point beyond a limit; a shift of 7 or more points in a row on one side of the mean;
a trend of 7 or more points in a row each higher (or each lower) than the one before; two of
three points in a row on the same side, beyond two-thirds of the way to a limit.

Choices, so that every report agrees:
- a quarter with no figure is skipped: the chart is the figures that exist, in order, so a
  moving range spans the gap and a run carries across it (a missing return says nothing about
  the process, and must not hide or invent a run);
- a point exactly on the mean belongs to neither side and breaks a shift; two equal points in
  a row break a trend (neither rising nor falling);
- limits are taken from every point of a segment (no outlier screening: the Excel tools' way);
- a re-base point starts a new segment with its own mean and limits; rules never span one;
- fewer than 15 points in the latest segment: no chart, and the reason says so;
- the PI's variation is the latest point's; when rules disagree on its direction the first of
  beyond a limit, shift, two of three, trend wins;
- assurance compares the current target with the latest segment's limits: a target beyond the
  limits on the wrong side is consistently failed, on the right side consistently passed,
  between them hit and miss.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

LIMIT_FACTOR = 2.66  # 3 sigma for individuals: 3 / d2, d2 = 1.128 for a moving range of two
NEAR_FACTOR = 2 * LIMIT_FACTOR / 3  # two-thirds of the way to a limit (2 sigma)
SHIFT_RUN = 7
TREND_RUN = 7
MIN_POINTS = 15

BEYOND, SHIFT, TWO_OF_THREE, TREND = "beyond a limit", "shift", "two of three near a limit", "trend"
RULE_ORDER = (BEYOND, SHIFT, TWO_OF_THREE, TREND)

IMPROVING = "improving special cause"
CONCERNING = "concerning special cause"
COMMON = "common cause"
HIGHER, LOWER = "special cause, higher", "special cause, lower"  # neutral polarity
PASSING = "consistently passing"
FAILING = "consistently failing"
HIT_AND_MISS = "hit and miss"
NONE = "none"


@dataclass(frozen=True)
class Point:
    label: str  # the quarter (or year) as readers know it
    value: float


@dataclass(frozen=True)
class Segment:
    """The points from `start` up to `end` (exclusive) share one mean and one pair of limits."""

    start: int
    end: int
    mean: float
    mean_moving_range: float
    reason: str | None = None  # why the limits were re-based here (None: the first segment)

    @property
    def lower(self) -> float:
        return self.mean - LIMIT_FACTOR * self.mean_moving_range

    @property
    def upper(self) -> float:
        return self.mean + LIMIT_FACTOR * self.mean_moving_range


@dataclass(frozen=True)
class Signal:
    """A point flagged as a special cause: which rules, and which way (+1 high, -1 low)."""

    rules: tuple[str, ...]
    direction: int


@dataclass(frozen=True)
class Chart:
    points: tuple[Point, ...]
    segments: tuple[Segment, ...]
    signals: dict[int, Signal] = field(default_factory=dict)  # by point index


@dataclass(frozen=True)
class Reading:
    """What the chart says about a PI, for the scorecard and the reports."""

    variation: str  # IMPROVING, CONCERNING, COMMON, HIGHER, LOWER, or "none: <reason>"
    assurance: str  # PASSING, FAILING, HIT_AND_MISS, or "none: <reason>"
    chart: Chart | None


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _segment(values: Sequence[float], start: int, end: int, reason: str | None) -> Segment:
    part = values[start:end]
    ranges = [abs(b - a) for a, b in itertools.pairwise(part)]
    return Segment(start, end, _mean(part), _mean(ranges) if ranges else 0.0, reason)


def _side(value: float, mean: float) -> int:
    return (value > mean) - (value < mean)


def rule_hits(values: Sequence[float], seg: Segment) -> dict[int, dict[str, int]]:
    """Per point index in the segment: {rule: direction} for each rule it is part of."""
    found: dict[int, dict[str, int]] = {}

    def mark(i: int, rule: str, direction: int) -> None:
        found.setdefault(i, {}).setdefault(rule, direction)

    idx = range(seg.start, seg.end)
    sides = {i: _side(values[i], seg.mean) for i in idx}
    for i in idx:
        if values[i] > seg.upper or values[i] < seg.lower:
            mark(i, BEYOND, sides[i])

    def close_run(run: list[int], rule: str, length: int, direction: int) -> None:
        if len(run) >= length:
            for j in run:
                mark(j, rule, direction)

    run: list[int] = []  # a shift: points in a row on the same side (on the mean breaks it)
    for i in idx:
        if sides[i] != 0 and run and sides[run[-1]] == sides[i]:
            run.append(i)
            continue
        close_run(run, SHIFT, SHIFT_RUN, sides[run[-1]] if run else 0)
        run = [i] if sides[i] != 0 else []
    close_run(run, SHIFT, SHIFT_RUN, sides[run[-1]] if run else 0)
    run, way = [seg.start], 0  # a trend: each point higher (or lower) than the one before
    for i in range(seg.start + 1, seg.end):
        step = _side(values[i], values[i - 1])
        if step != 0 and step == way:
            run.append(i)
            continue
        close_run(run, TREND, TREND_RUN, way)
        run, way = [i - 1, i], step  # a turn starts the next run; a tie starts none
    close_run(run, TREND, TREND_RUN, way)
    near = NEAR_FACTOR * seg.mean_moving_range
    for first in range(seg.start, seg.end - 2):
        window = range(first, first + 3)
        side = sides[first]
        if side == 0 or any(sides[i] != side for i in window):
            continue
        close = [i for i in window if abs(values[i] - seg.mean) > near]
        if len(close) >= 2:
            for i in close:
                mark(i, TWO_OF_THREE, side)
    return found


def xmr(points: Sequence[Point], rebase_at: dict[int, str] | None = None) -> Chart:
    """The XmR chart of `points` (oldest first), with new limits from each index in `rebase_at`
    (index -> reason). Every index starts a segment of at least one point."""
    values = [p.value for p in points]
    starts = sorted(i for i in (rebase_at or {}) if 0 < i < len(points))
    bounds = [0, *starts, len(points)]
    segments = tuple(
        _segment(values, a, b, (rebase_at or {}).get(a) if a else None)
        for a, b in itertools.pairwise(bounds)
        if b > a
    )
    signals: dict[int, Signal] = {}
    for seg in segments:
        for i, rules in rule_hits(values, seg).items():
            ordered = tuple(r for r in RULE_ORDER if r in rules)
            signals[i] = Signal(ordered, rules[ordered[0]])
    return Chart(tuple(points), segments, signals)


def variation_of(chart: Chart, polarity: str) -> str:
    """The latest point read by polarity: improving or concerning special cause, or common cause."""
    signal = chart.signals.get(len(chart.points) - 1)
    if signal is None:
        return COMMON
    if polarity == "higher_is_better":
        return IMPROVING if signal.direction > 0 else CONCERNING
    if polarity == "lower_is_better":
        return IMPROVING if signal.direction < 0 else CONCERNING
    return HIGHER if signal.direction > 0 else LOWER


def assurance_of(chart: Chart, polarity: str, target: float | None) -> str:
    """Can the process be relied on to meet the target? Target against the latest limits."""
    if target is None:
        return f"{NONE}: no target"
    if polarity not in ("higher_is_better", "lower_is_better"):
        return f"{NONE}: no better direction"
    seg = chart.segments[-1]
    higher = polarity == "higher_is_better"
    if target > seg.upper:
        return FAILING if higher else PASSING
    if target < seg.lower:
        return PASSING if higher else FAILING
    return HIT_AND_MISS


def too_few(count: int, since: str | None, annual: bool) -> str:
    """Why a PI has no chart, in words a reader follows."""
    unit = "year" if annual else "quarter"
    plural = unit if count == 1 else f"{unit}s"
    where = f" since its limits were re-based in {since}" if since else " of history"
    return f"{NONE}: only {count} {plural}{where}; SPC needs {MIN_POINTS}"


def read(
    history: Sequence[tuple[str, float | None]],
    polarity: str,
    target: float | None,
    rebase: dict[str, str] | None = None,
    annual: bool = False,
) -> Reading:
    """Read a PI's history (label, value or None, oldest first, ending with this period).

    `rebase` maps a period label to the reason its limits start afresh there. The latest
    value must exist for a reading of "now"; without it there is nothing to judge."""
    if not history or history[-1][1] is None:
        return Reading(f"{NONE}: no figure this period", f"{NONE}: no figure this period", None)
    points = [Point(label, value) for label, value in history if value is not None]
    rebase = rebase or {}
    at = {i: rebase[p.label] for i, p in enumerate(points) if p.label in rebase and i > 0}
    chart = xmr(points, at)
    latest = chart.segments[-1]
    count = latest.end - latest.start
    if count < MIN_POINTS:
        since = points[latest.start].label if latest.reason else None
        reason = too_few(count, since, annual)
        return Reading(reason, reason, None)
    return Reading(variation_of(chart, polarity), assurance_of(chart, polarity, target), chart)
