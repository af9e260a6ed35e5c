"""A PI's SPC reading from the warehouse's returns, and the re-base points in config.

`config/spc_rebase.csv` (`pi_id, from_quarter, reason`) re-bases a PI's limits from a quarter
when its process genuinely changed (a new contract, a new definition); without the file no PI
is re-based. The scorecard and the reports both read a PI through `pi_reading`, so the chart a
councillor sees and the `variation` in the warehouse always agree.

From the register, `pi_reading` also takes what the figure can be (its unit and `valid_min` /
`valid_max`: the limits are drawn within them) and whether the run rules apply (not to a
`rolling` 12-month figure nor a `cumulative` year-to-date one: docs/contracts.md, "SPC:
variation and assurance").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from pm_pipeline.core.periods import Quarter, parse_period_label
from pm_pipeline.core.sheets import FileProblem, clean_text
from pm_pipeline.core.spreadsheets import read_table_file
from pm_pipeline.core.values import is_missing
from pm_pipeline.defs.scorecard import spc

SPC_QUARTERS = 24  # six years: enough for 15 points and a re-base, short of a stale regime
REBASE_FILE = "spc_rebase.csv"
REBASE_COLUMNS = ["pi_id", "from_quarter", "reason"]

ROLLING_NOTE = (
    "a rolling 12-month figure: each point shares eleven months with the last, so runs are "
    "the window, not signals; only a point beyond a limit is a special cause"
)
CUMULATIVE_NOTE = (
    "a year-to-date figure: each point adds a quarter to the ones before it in the year, so "
    "runs are the adding up, not signals; only a point beyond a limit is a special cause"
)
# the least and most a figure in each unit can be (None: no bound)
UNIT_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "percent": (0.0, 100.0),
    "count": (0.0, None),
    "gbp": (0.0, None),
    "days": (0.0, None),
}


class RebaseError(ValueError):
    """config/spc_rebase.csv cannot be used; the message names the file, row and column."""


def read_rebase(config_dir: Path, known: set[str]) -> pd.DataFrame:
    """The re-base points (`pi_id`, `from_quarter` as a period key, `reason`); none if no file."""
    path = config_dir / REBASE_FILE
    if not path.exists():
        return pd.DataFrame(columns=REBASE_COLUMNS)
    try:
        sheets = read_table_file(path, REBASE_FILE, set(REBASE_COLUMNS))
    except FileProblem as exc:
        raise RebaseError(exc.message) from exc
    if not sheets or any(sheets[0].column(c) is None for c in REBASE_COLUMNS):
        raise RebaseError(f"{REBASE_FILE}: the header row must name {', '.join(REBASE_COLUMNS)}")
    ids = {k.casefold(): k for k in known}
    rows, problems = [], []
    for row, record in sheets[0].records():
        where = f"{REBASE_FILE} row {row}"
        pid = ids.get(clean_text(record.get("pi_id")).casefold())
        reason = clean_text(record.get("reason"))
        try:
            quarter = parse_period_label(clean_text(record.get("from_quarter")))
        except ValueError as exc:
            problems.append(f"{where}, column from_quarter: {exc}")
            continue
        if pid is None:
            problems.append(
                f"{where}, column pi_id: '{record.get('pi_id')}' is not in indicators.csv"
            )
        elif not reason:
            problems.append(f"{where}, column reason: say why the process changed (readers see it)")
        else:
            rows.append({"pi_id": pid, "from_quarter": quarter.key, "reason": reason})
    if problems:
        raise RebaseError("; ".join(problems))
    return pd.DataFrame(rows, columns=REBASE_COLUMNS)


def rebase_by_pi(rebase: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """The re-base points by PI: [(from quarter key, reason)], for `pi_reading`."""
    out: dict[str, list[tuple[str, str]]] = {}
    for r in rebase.itertuples():
        out.setdefault(str(r.pi_id), []).append((str(r.from_quarter), str(r.reason)))
    return out


def _flag(value: object) -> bool:
    """A register flag read from a row that may not have the column yet (then False)."""
    if isinstance(value, str):
        return value.strip().casefold() in ("yes", "true", "1")
    return not is_missing(value) and bool(value)


def runs_off(pi: Mapping) -> str | None:
    """Why the run rules do not apply to the PI (a rolling or year-to-date figure), or None."""
    if _flag(pi.get("rolling")):
        return ROLLING_NOTE
    if pi.get("measure") == "cumulative":
        return CUMULATIVE_NOTE
    return None


def limit_bounds(pi: Mapping) -> tuple[float | None, float | None]:
    """The least and most the PI's figure can be: the register's `valid_min` / `valid_max`
    where given, else its unit's (0 for counts, money and days); a percentage never outside
    0-100 whatever the register says."""
    unit = str(pi.get("unit"))
    floor, ceiling = UNIT_BOUNDS.get(unit, (None, None))
    low, high = pi.get("valid_min"), pi.get("valid_max")
    if not is_missing(low):
        floor = max(float(low), 0.0) if unit == "percent" else float(low)
    if not is_missing(high):
        ceiling = min(float(high), 100.0) if unit == "percent" else float(high)
    return floor, ceiling


def pi_reading(
    pi: Mapping,
    quarter: Quarter,
    values: Mapping[tuple[str, str], float | None],
    target: float | None,
    rebase: Mapping[str, Sequence[tuple[str, str]]],
) -> spc.Reading:
    """The PI's reading at `quarter` from its due figures over the SPC window (oldest first).

    `values` maps (period key, pi_id) to a figure; a re-base applies from the first figure at
    or after its quarter."""
    annual = pi["frequency"] == "annual"
    due = [q for q in quarter.history(SPC_QUARTERS) if not annual or q.q == 4]
    history = [(q.label, values.get((q.key, pi["pi_id"]))) for q in due]
    breaks: dict[str, str] = {}
    for from_key, reason in rebase.get(pi["pi_id"], ()):
        present = [
            q for q in due if q.key >= from_key and values.get((q.key, pi["pi_id"])) is not None
        ]
        if present:
            breaks[present[0].label] = reason
    return spc.read(
        history,
        str(pi["polarity"]),
        target,
        breaks,
        annual=annual,
        no_runs=runs_off(pi),
        bounds=limit_bounds(pi),
    )
