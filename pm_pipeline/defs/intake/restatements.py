"""Restated figures: an accepted return whose value differs from the first one accepted for it.

"First reported" is the first figure that passed every ERROR rule for that PI and quarter: a
rejected draft, or a file deleted before it was ever accepted, never becomes published history.
The record of first figures lives beside the returns archive (`archive/accepted/<quarter>/`),
not in the warehouse, because the warehouse can be rebuilt from the files and this cannot. It
only grows by whole new files (one per run that accepted a PI for the first time), so nothing
shipped or written before is ever rewritten.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pm_pipeline.core.files import write_atomic
from pm_pipeline.core.periods import ReturnPeriod
from pm_pipeline.core.values import round_at
from pm_pipeline.defs.intake.tables import RESTATEMENTS

FIRST_COLUMNS = ["pi_id", "first_reported_value", "first_version", "source_file", "accepted_at"]


def _folder(accepted_dir: Path, quarter: ReturnPeriod) -> Path:
    return accepted_dir / quarter.folder


def first_accepted(accepted_dir: Path, quarter: ReturnPeriod) -> pd.DataFrame:
    """The first accepted figure of each PI in the quarter (oldest record wins)."""
    folder = _folder(accepted_dir, quarter)
    parts = [pd.read_csv(p, dtype={"pi_id": str}) for p in sorted(folder.glob("*.csv"))]
    if not parts:
        return pd.DataFrame(columns=FIRST_COLUMNS)
    return pd.concat(parts, ignore_index=True).drop_duplicates("pi_id", keep="first")


def record_first_accepted(
    accepted_dir: Path,
    quarter: ReturnPeriod,
    accepted: pd.DataFrame,
    known: pd.DataFrame,
    now: datetime | None = None,
) -> int:
    """Record the PIs accepted for the first time in this quarter; returns how many."""
    new = accepted[~accepted["pi_id"].isin(known["pi_id"])]
    if new.empty:
        return 0
    now = (now or datetime.now(UTC)).astimezone(UTC)
    frame = pd.DataFrame(
        {
            "pi_id": new["pi_id"],
            "first_reported_value": new["value"],
            "first_version": new["version"],
            "source_file": new["source_file"],
            "accepted_at": now.isoformat(timespec="seconds"),
        }
    )
    name = f"{now:%Y%m%dT%H%M%S%fZ}.csv"
    write_atomic(_folder(accepted_dir, quarter) / name, frame.to_csv(index=False))
    return len(frame)


def restatements(
    accepted: pd.DataFrame, first: pd.DataFrame, decimals: dict[str, int], period: str
) -> pd.DataFrame:
    """Accepted returns whose value (at the PI's rounding) differs from the first accepted."""
    columns = RESTATEMENTS.column_names
    if first.empty or accepted.empty:
        return pd.DataFrame(columns=columns)
    merged = accepted.merge(first[["pi_id", "first_reported_value", "first_version"]], on="pi_id")

    def changed(row: pd.Series) -> bool:
        a, b = row["value"], row["first_reported_value"]
        if pd.isna(a) or pd.isna(b):
            return pd.isna(a) != pd.isna(b)
        places = decimals.get(row["pi_id"], 2)
        return round_at(a, places) != round_at(b, places)

    merged = merged[merged.apply(changed, axis=1)] if len(merged) else merged
    merged = merged.assign(period=period)
    return merged.reindex(columns=columns)
