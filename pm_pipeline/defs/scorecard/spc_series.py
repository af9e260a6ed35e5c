"""A PI's SPC reading from the warehouse's returns, and the re-base points in config.

`config/spc_rebase.csv` (`pi_id, from_quarter, reason`) re-bases a PI's limits from a quarter
when its process genuinely changed (a new contract, a new definition); without the file no PI
is re-based. The scorecard and the reports both read a PI through `pi_reading`, so the chart a
councillor sees and the `variation` in the warehouse always agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from pm_pipeline.core.periods import Quarter, parse_period_label
from pm_pipeline.core.sheets import FileProblem, clean_text
from pm_pipeline.core.spreadsheets import read_table_file
from pm_pipeline.defs.scorecard import spc

SPC_QUARTERS = 24  # six years: enough for 15 points and a re-base, short of a stale regime
REBASE_FILE = "spc_rebase.csv"
REBASE_COLUMNS = ["pi_id", "from_quarter", "reason"]


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
    return spc.read(history, str(pi["polarity"]), target, breaks, annual=annual)
