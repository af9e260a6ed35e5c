"""The sample's signal-versus-noise stories: real changes planted in the synthetic history.

So that the demo shows every SPC reading (docs/contracts.md, "SPC: variation and assurance";
docs/spc.md): a real step change that was re-based, a real shift, a point beyond a limit; the
other PIs keep the catalogue's trend-plus-noise. Quarters are taken from the generator's own
list, so moving the history's start moves nothing here.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pm_pipeline.core.files import write_atomic
from pm_pipeline.core.periods import Quarter

# pi_id -> (from quarter, a step and then a change per quarter, as shares of the base level)
STEPS: dict[str, tuple[Quarter, float, float]] = {
    "WR-03": (Quarter(2022, 2), -0.30, 0.0),  # new collection contractor: re-based below
    # turnover climbing for seven quarters: a rolling 12-month figure, so no trend rule; its
    # latest figures are beyond the upper limit instead (docs/spc.md, "Rolling 12-month ...")
    "HR-02": (Quarter(2024, 4), 0.0, 0.1),
    "PL-03": (Quarter(2024, 1), -0.25, 0.0),  # new pre-application advice: re-based below
}
REBASE = (
    (
        "WR-03",
        Quarter(2022, 2),
        "New collection contractor from July 2022 with redesigned rounds; the old limits no "
        "longer describe the service.",
    ),
    (
        "PL-03",
        Quarter(2024, 1),
        "Pre-application advice became mandatory for major schemes from April 2024.",
    ),
)


def step(pi_id: str, quarter: Quarter, base: float, planned_only: bool = False) -> float:
    """The planted change in a PI's level in `quarter` (0 before its step, or without one);
    `planned_only`: the step alone, as targets set for the year would foresee it."""
    planted = STEPS.get(pi_id)
    if planted is None or quarter < planted[0]:
        return 0.0
    start, jump, per_quarter = planted
    quarters = 1
    while start < quarter:
        start, quarters = start.next, quarters + 1
    return (jump + (0.0 if planned_only else per_quarter * quarters)) * base


def write_rebase(root: Path) -> None:
    """config/spc_rebase.csv: where the sample's PIs' limits start afresh, and why."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["pi_id", "from_quarter", "reason"])
    writer.writerows([pi_id, quarter.label, reason] for pi_id, quarter, reason in REBASE)
    write_atomic(root / "config" / "spc_rebase.csv", buffer.getvalue())
