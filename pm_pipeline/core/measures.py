"""A PI's year and year to date from its quarters (and a monthly PI's quarter from its months),
worked out from its measure: the one function every report and the intake's roll-up use
(docs/contracts.md, "Annual outturn", "Monthly returns").

- flow: the period's total, so a year is the sum of its quarters (all four needed; a year to
  date needs every quarter so far);
- stock: a count at a point in time, so a year is its latest figure (a year-end snapshot);
- ratio: numerator over denominator, so a year is Σnumerators / Σdenominators (x100 for a
  percentage, at the PI's own scale for a rate), as LG Inform and the statutory returns
  compute a year's rate; every quarter needs both parts;
- average: the mean of the quarters, weighted by their denominators where every quarter
  gives one;
- cumulative: already year to date, so the latest figure;
- rolling (a register flag, whatever the measure): each figure already covers 12 months, so
  the year is its latest figure.

A figure that cannot be worked out is None with a short reason, never a guess: a mean of
percentages is not the year's rate, and three quarters' total is not a year's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from pm_pipeline.core.values import is_missing
from pm_pipeline.core.words import plural

RATE_SCALES = (1, 100, 1_000, 10_000, 100_000)  # per 1, per cent, per 1,000 ...
# Measures whose year to date differs from the latest figure (a scorecard column for these).
TO_DATE_MEASURES = frozenset({"flow", "ratio", "average"})


@dataclass(frozen=True)
class Part:
    """One quarter's return: its value and, for a ratio, its numerator and denominator."""

    label: str  # "Q2", or "2025/26 Q2": how a reason names the quarter
    value: float | None
    numerator: float | None = None
    denominator: float | None = None


@dataclass(frozen=True)
class Figure:
    """A year's (or year to date's) figure, how it was worked out, or why it could not be."""

    value: float | None
    how: str  # e.g. "sum of the 4 quarters"
    reason: str = ""  # why there is no figure (blank when there is one)


def _given(x: float | None) -> bool:
    return x is not None and not is_missing(x)


def _num(x: float | None) -> float:
    """A number known to be given (the callers have checked `_given`)."""
    assert x is not None
    return float(x)


def rate_scale(unit: str, parts: Sequence[Part]) -> float:
    """What a ratio's numerator / denominator is multiplied by: 100 for a percentage, 1 for a
    plain ratio, and for a rate (per 1,000, per 100,000 ...) the scale its returns use."""
    if unit == "percent":
        return 100.0
    if unit != "rate":
        return 1.0
    seen = sorted(
        _num(p.value) * _num(p.denominator) / _num(p.numerator)
        for p in parts
        if _given(p.value) and _given(p.numerator) and _given(p.denominator) and p.numerator
    )
    if not seen:
        return 1.0
    typical = math.log10(max(seen[len(seen) // 2], 1e-12))
    return float(min(RATE_SCALES, key=lambda s: abs(typical - math.log10(s))))


def combine(
    measure: str | None,
    unit: str,
    parts: Sequence[Part | None],
    rolling: bool = False,
    period: str = "quarter",
) -> Figure:
    """The figure for the quarters in `parts` (oldest first; None where nothing was returned):
    the whole year, or the year to date. An annual PI passes its one return. A monthly PI's
    quarter is its months combined the same way (`period="month"` words the reasons so)."""
    if not parts:
        return Figure(None, "", f"no {period}s")
    latest = parts[-1]
    given = [p for p in parts if p is not None and _given(p.value)]
    labels = ", ".join(p.label for p in parts if p is not None and not _given(p.value))
    complete = len(given) == len(parts)
    n = len(parts)
    if rolling or measure in ("stock", "cumulative") or n == 1:
        how = (
            "the latest figure (each covers the 12 months to its end)"
            if rolling
            else "the latest figure (already year to date)"
            if measure == "cumulative"
            else "the latest figure"
            if n > 1
            else "the figure returned"
        )
        if latest is None or not _given(latest.value):
            name = latest.label if latest is not None else f"the latest {period}"
            return Figure(None, how, f"no figure for {name}")
        return Figure(_num(latest.value), how)
    if measure == "flow":
        how = f"sum of the {plural(n, period)}"
        if not complete:
            return Figure(
                None, how, f"no figure for {labels or 'a ' + period}: a total needs every {period}"
            )
        return Figure(sum(_num(p.value) for p in given), how)
    has_parts = any(p is not None and _given(p.numerator) and _given(p.denominator) for p in parts)
    if measure == "ratio" and has_parts:
        return _ratio(
            unit, parts, f"Σnumerators / Σdenominators of the {plural(n, period)}", period
        )
    # an average; or a ratio none of whose returns gives its parts (a council whose returns
    # carry none): the mean of the quarters, labelled as such, not the year's true rate
    if measure in ("average", "ratio"):
        why = "" if measure == "average" else " (the returns give no numerators and denominators)"
        if not complete:
            return Figure(
                None,
                f"mean of the {plural(n, period)}{why}",
                f"no figure for {labels or 'a ' + period}: the mean needs every {period}",
            )
        if all(_given(p.denominator) and _num(p.denominator) > 0 for p in given):
            total = sum(_num(p.denominator) for p in given)
            value = sum(_num(p.value) * _num(p.denominator) for p in given) / total
            how = f"mean of the {plural(n, period)} weighted by their denominators"
            return Figure(value, how)
        how = f"mean of the {plural(n, period)}{why}"
        return Figure(sum(_num(p.value) for p in given) / n, how)
    return Figure(None, "", f"the register gives no measure (unit {unit}): say flow or stock")


def _ratio(unit: str, parts: Sequence[Part | None], how: str, period: str) -> Figure:
    lacking = [
        p.label if p is not None else f"a {period}"
        for p in parts
        if p is None or not (_given(p.numerator) and _given(p.denominator))
    ]
    if lacking:
        return Figure(
            None,
            how,
            f"{', '.join(lacking)} gave no numerator and denominator: a ratio's year is "
            "Σnumerators / Σdenominators",
        )
    given = [p for p in parts if p is not None]
    den = sum(_num(p.denominator) for p in given)
    if not den:
        return Figure(None, how, "the denominators add up to 0")
    num = sum(_num(p.numerator) for p in given)
    return Figure(num / den * rate_scale(unit, given), how)


def parts_for(
    returns: Mapping[tuple[str, str], object],
    pi_id: str,
    quarters: Sequence,
    label_year: bool = False,
) -> list[Part | None]:
    """The `Part`s of `pi_id` for `quarters` from returns keyed (period key, pi_id); a row is
    anything with value, numerator and denominator attributes (a pi_returns row)."""
    out: list[Part | None] = []
    for q in quarters:
        row = returns.get((q.key, pi_id))
        label = q.label if label_year else f"Q{q.q}"
        if row is None:
            out.append(Part(label, None))
            continue
        out.append(
            Part(
                label,
                _number(getattr(row, "value", None)),
                _number(getattr(row, "numerator", None)),
                _number(getattr(row, "denominator", None)),
            )
        )
    return out


def _number(x: object) -> float | None:
    return None if x is None or is_missing(x) else float(x)  # type: ignore[arg-type]


def quarters_of(pi: Mapping[str, object], quarters: Sequence) -> list:
    """The quarters a PI reports in, of `quarters`: all for a quarterly PI, Q4 for an annual."""
    return list(quarters) if pi.get("frequency") != "annual" else [q for q in quarters if q.q == 4]


@dataclass(frozen=True)
class Target:
    value: float | None
    amber: float | None
    how: str = ""  # "the annual target", "4 x the quarterly target" ...


class Targets:
    """A PI's targets for a quarter, a year and a year to date, like with like.

    targets.csv may give a `quarter` target (each quarter's figure; blank `period` means this),
    a `year` target (the year's outturn), or both (docs/contracts.md, "Register files"). Only a
    flow's total grows with the quarters it covers: its year is judged against the annual
    target, else n x the quarterly one; every other measure's year is judged against the
    annual target, else the quarterly one, as its figure is a level, not a total.
    """

    def __init__(self, targets: pd.DataFrame):
        self._rows: dict[tuple[str, str, str], tuple[float | None, float | None]] = {}
        for r in targets.to_dict("records"):
            period = r.get("period")
            period = period if isinstance(period, str) and period else "quarter"
            self._rows[(r["pi_id"], r["financial_year"], period)] = (
                _number(r["target"]),
                _number(r.get("amber_threshold")),
            )

    def quarter(self, pi: Mapping[str, object], year: str) -> Target:
        """The target a quarter's figure is judged against."""
        pid = str(pi["pi_id"])
        if (pid, year, "quarter") in self._rows:
            return Target(*self._rows[(pid, year, "quarter")], "the quarterly target")
        if (pid, year, "year") not in self._rows:
            return Target(None, None)
        value, amber = self._rows[(pid, year, "year")]
        if _flow(pi) and pi.get("frequency") != "annual":
            return Target(
                _times(value, 0.25), _times(amber, 0.25), "a quarter of the annual target"
            )
        return Target(value, amber, "the annual target")

    def to_date(self, pi: Mapping[str, object], year: str, quarters: int = 4) -> Target:
        """The target for the year (quarters=4) or the year to date (its quarters so far)."""
        pid = str(pi["pi_id"])
        flow = _flow(pi) and pi.get("frequency") != "annual"
        if (pid, year, "year") in self._rows:
            value, amber = self._rows[(pid, year, "year")]
            if flow and quarters < 4:
                share = quarters / 4
                return Target(
                    _times(value, share), _times(amber, share), f"{quarters}/4 of the annual target"
                )
            return Target(value, amber, "the annual target")
        if (pid, year, "quarter") not in self._rows:
            return Target(None, None)
        value, amber = self._rows[(pid, year, "quarter")]
        if flow:
            return Target(
                _times(value, quarters),
                _times(amber, quarters),
                f"{quarters} x the quarterly target",
            )
        return Target(value, amber, "the quarterly target")


def is_rolling(pi: Mapping[str, object]) -> bool:
    """The register's `rolling` flag (blank, or a warehouse from before it, is False)."""
    flag = pi.get("rolling")
    return flag is not None and not is_missing(flag) and bool(flag)


def _flow(pi: Mapping[str, object]) -> bool:
    return pi.get("measure") == "flow" and not is_rolling(pi)


def _times(x: float | None, k: float) -> float | None:
    return None if x is None else x * k
