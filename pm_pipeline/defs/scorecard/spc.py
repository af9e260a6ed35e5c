"""Signal or noise: an XmR (individuals) chart of a PI and NHS England's "Making Data Count" rules.

A quarter-on-quarter "worsening" is often ordinary noise. An XmR chart draws the process's
natural limits (mean ± 2.66 × the mean moving range) and flags only what the rules call a
special cause, so councillors see a real change as a change and noise as noise.

The rules are those of NHS England's Making Data Count, as its reference implementation, the
NHS-R community's NHSRplotthedots, applies them (`R/ptd_spc_standard.R`,
`R/ptd_calculate_point_type.R`, `R/ptd_calculate_assurance_type.R`; docs/spc.md):
- beyond a limit: strictly above the upper or below the lower limit;
- trend: 7 points in a row each strictly higher (or each strictly lower) than the one before;
- two of three: of 3 points in a row, all on the same side of the mean, 2 or more are "close
  to a limit": beyond two-thirds of the way from the mean to a limit but NOT beyond the limit
  (`close_to_limits`); only those close points are flagged (`ptd_part_of_two_in_three`);
- shift: 7 points in a row on the same side of the mean (a point on the mean breaks it);
- when a point is part of more than one rule, the first of beyond a limit, trend, two of
  three, shift names it and gives its direction (NHSR's `case_when` order).

Where this module chooses otherwise than NHSRplotthedots, and why:
- no outlier screening: NHSR's `ptd_spc(screen_outliers = TRUE)` by default drops moving
  ranges of 3.267 × the mean moving range or more before the limits; the Making Data Count
  Excel tools, which councils' NHS partners use, do not screen, and every point counts here;
- a point at the meeting of a rising and a falling trend takes the direction of the later
  trend, as NHSR's "use right side"; where NHSR would read a tie after a trend as
  "decreasing", a point here takes the direction of the run it belongs to;
- a quarter with no figure is skipped: the chart is the figures that exist, in order, so a
  moving range spans the gap and a run carries across it (NHSR would need the row removed);
- fewer than 15 points in the latest segment: no chart, and the reason says so (NHSR draws
  "trial limits" and warns below 13);
- a rolling 12-month or year-to-date figure gets limits and "beyond a limit" only: each point
  shares most of its months with the one before, so a run is the window, not a signal
  (`read(no_runs=...)`, and the reading's `note` says so);
- the limits drawn are clipped to what the figure can be (a percentage 0-100, a count not
  below 0: `Chart.shown_limits`); the rules and the assurance use the limits as calculated,
  as NHSR does, which judges every possible figure the same way;
- a sustained shift in the latest limits (the shift rule firing over the latest point) is a
  proposed re-base (`proposed_rebase`): until the data team confirms it in
  config/spc_rebase.csv, the assurance is "none: not judged, the process changed in <quarter>"
  rather than a claim from limits the process has left. NHSR leaves re-basing to its user.

Assurance compares the current target with the latest segment's limits (strictly beyond on
the wrong side: consistently failing; on the right side: consistently passing; between them,
or on a limit: hit and miss), as `ptd_calculate_assurance_type`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from pm_pipeline.core.words import plural

LIMIT_FACTOR = 2.66  # 3 sigma for individuals: 3 / d2, d2 = 1.128 for a moving range of two
NEAR_FACTOR = 2 * LIMIT_FACTOR / 3  # two-thirds of the way to a limit (2 sigma)
SHIFT_RUN = 7
TREND_RUN = 7
MIN_POINTS = 15

BEYOND, TREND, TWO_OF_THREE, SHIFT = "beyond a limit", "trend", "two of three near a limit", "shift"
RULE_ORDER = (BEYOND, TREND, TWO_OF_THREE, SHIFT)  # NHSR's case_when order

IMPROVING = "improving special cause"
CONCERNING = "concerning special cause"
COMMON = "common cause"
HIGHER, LOWER = "special cause, higher", "special cause, lower"  # neutral polarity
PASSING = "consistently passing"
FAILING = "consistently failing"
HIT_AND_MISS = "hit and miss"
NONE = "none"
NOT_JUDGED = "not judged, the process changed in"  # "none: not judged, ... in 2024/25 Q3"
REBASE_QUESTION = ": re-base here?"


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

    @property
    def near(self) -> float:
        """How far from the mean a point is "close to a limit" (two-thirds of the way)."""
        return NEAR_FACTOR * self.mean_moving_range


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
    floor: float | None = None  # the least and most the figure can be (None: no bound)
    ceiling: float | None = None
    run_rules: bool = True  # False: limits and "beyond a limit" only (rolling, year to date)

    def shown_limits(self, seg: Segment) -> tuple[float, float]:
        """The segment's limits as drawn: clipped to what the figure can be."""
        lower = seg.lower if self.floor is None else max(seg.lower, self.floor)
        upper = seg.upper if self.ceiling is None else min(seg.upper, self.ceiling)
        return lower, upper

    @property
    def capped(self) -> bool:
        """Whether any limit drawn is clipped to what the figure can be."""
        return any(self.shown_limits(s) != (s.lower, s.upper) for s in self.segments)


@dataclass(frozen=True)
class Proposal:
    """A sustained shift over the latest points: the limits the process has left."""

    since: str  # the label of the run's first point: where the new limits would start
    points: int
    direction: int  # +1 above the mean, -1 below

    def __str__(self) -> str:
        side = "above" if self.direction > 0 else "below"
        run = f"a run of {self.points} points {side} the mean since {self.since}"
        return run + REBASE_QUESTION


@dataclass(frozen=True)
class Reading:
    """What the chart says about a PI, for the scorecard and the reports."""

    variation: str  # IMPROVING, CONCERNING, COMMON, HIGHER, LOWER, or "none: <reason>"
    assurance: str  # PASSING, FAILING, HIT_AND_MISS, or "none: <reason>"
    chart: Chart | None
    rebase_proposal: Proposal | None = None
    note: str | None = None  # why the run rules are not read (rolling, year to date)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _segment(values: Sequence[float], start: int, end: int, reason: str | None) -> Segment:
    part = values[start:end]
    ranges = [abs(b - a) for a, b in itertools.pairwise(part)]
    return Segment(start, end, _mean(part), _mean(ranges) if ranges else 0.0, reason)


def _side(value: float, mean: float) -> int:
    return (value > mean) - (value < mean)


def rule_hits(
    values: Sequence[float], seg: Segment, run_rules: bool = True
) -> dict[int, dict[str, int]]:
    """Per point index in the segment: {rule: direction} for each rule it is part of.
    Without `run_rules`, only "beyond a limit"."""
    found: dict[int, dict[str, int]] = {}

    def mark(i: int, rule: str, direction: int) -> None:
        found.setdefault(i, {})[rule] = direction

    idx = range(seg.start, seg.end)
    sides = {i: _side(values[i], seg.mean) for i in idx}
    beyond = {i for i in idx if values[i] > seg.upper or values[i] < seg.lower}
    for i in sorted(beyond):
        mark(i, BEYOND, sides[i])
    if not run_rules:
        return found

    def close_run(run: list[int], rule: str, length: int, direction: int) -> None:
        if len(run) >= length:
            for j in run:
                mark(j, rule, direction)  # a later run overwrites: NHSR's "use right side"

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
    # close to a limit: beyond two-thirds of the way, and not beyond the limit itself
    close = {i for i in idx if abs(values[i] - seg.mean) > seg.near and i not in beyond}
    for first in range(seg.start, seg.end - 2):
        window = range(first, first + 3)
        side = sides[first]
        if side == 0 or any(sides[i] != side for i in window):
            continue
        near = [i for i in window if i in close]
        if len(near) >= 2:
            for i in near:
                mark(i, TWO_OF_THREE, side)
    return found


def xmr(
    points: Sequence[Point],
    rebase_at: dict[int, str] | None = None,
    run_rules: bool = True,
    bounds: tuple[float | None, float | None] = (None, None),
) -> Chart:
    """The XmR chart of `points` (oldest first), with new limits from each index in `rebase_at`
    (index -> reason). Every index starts a segment of at least one point. `bounds`: the least
    and most the figure can be, for the limits as drawn."""
    values = [p.value for p in points]
    starts = sorted(i for i in (rebase_at or {}) if 0 < i < len(points))
    bounds_at = [0, *starts, len(points)]
    segments = tuple(
        _segment(values, a, b, (rebase_at or {}).get(a) if a else None)
        for a, b in itertools.pairwise(bounds_at)
        if b > a
    )
    signals: dict[int, Signal] = {}
    for seg in segments:
        for i, rules in rule_hits(values, seg, run_rules).items():
            ordered = tuple(r for r in RULE_ORDER if r in rules)
            signals[i] = Signal(ordered, rules[ordered[0]])
    return Chart(tuple(points), segments, signals, bounds[0], bounds[1], run_rules)


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


def proposed_rebase(chart: Chart) -> Proposal | None:
    """A re-base to put to the data team: the latest point ends a shift (7 or more points in a
    row on one side of the latest segment's mean). None without run rules or without a shift."""
    if not chart.run_rules or not chart.points:
        return None
    seg = chart.segments[-1]
    last = len(chart.points) - 1
    side = _side(chart.points[last].value, seg.mean)
    if side == 0:
        return None
    first = last
    while first > seg.start and _side(chart.points[first - 1].value, seg.mean) == side:
        first -= 1
    count = last - first + 1
    if count < SHIFT_RUN:
        return None
    return Proposal(chart.points[first].label, count, side)


def not_judged(proposal: Proposal) -> str:
    """The assurance while a proposed re-base waits for the data team."""
    return f"{NONE}: {NOT_JUDGED} {proposal.since}"


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
    where = f" since its limits were re-based in {since}" if since else " of history"
    return f"{NONE}: only {plural(count, unit)}{where}; SPC needs {MIN_POINTS}"


def read(
    history: Sequence[tuple[str, float | None]],
    polarity: str,
    target: float | None,
    rebase: dict[str, str] | None = None,
    annual: bool = False,
    no_runs: str | None = None,
    bounds: tuple[float | None, float | None] = (None, None),
) -> Reading:
    """Read a PI's history (label, value or None, oldest first, ending with this period).

    `rebase` maps a period label to the reason its limits start afresh there. `no_runs`: why
    the run rules do not apply (a rolling or year-to-date figure), or None when they do.
    `bounds`: the least and most the figure can be (the limits are drawn within them). The
    latest value must exist for a reading of "now"; without it there is nothing to judge."""
    if not history or history[-1][1] is None:
        return Reading(f"{NONE}: no figure this period", f"{NONE}: no figure this period", None)
    points = [Point(label, value) for label, value in history if value is not None]
    rebase = rebase or {}
    at = {i: rebase[p.label] for i, p in enumerate(points) if p.label in rebase and i > 0}
    chart = xmr(points, at, run_rules=no_runs is None, bounds=bounds)
    latest = chart.segments[-1]
    count = latest.end - latest.start
    if count < MIN_POINTS:
        since = points[latest.start].label if latest.reason else None
        reason = too_few(count, since, annual)
        return Reading(reason, reason, None)
    proposal = proposed_rebase(chart)
    assurance = assurance_of(chart, polarity, target)
    if proposal and not assurance.startswith(f"{NONE}: "):  # no target: nothing was claimed
        assurance = not_judged(proposal)
    return Reading(variation_of(chart, polarity), assurance, chart, proposal, no_runs)
