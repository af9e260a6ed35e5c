"""Restated figures: a return whose value differs from the one first submitted for it."""

from __future__ import annotations

import pandas as pd

from pm_pipeline.intake.archive import quarter_sources, versions
from pm_pipeline.intake.read import read_return_bytes
from pm_pipeline.periods import Quarter
from pm_pipeline.scorecard.rules import round_at
from pm_pipeline.warehouse import TABLES


def first_reported(
    archive_dir, quarter: Quarter, current: dict[str, str], canonical_ids: dict[str, str]
) -> pd.DataFrame:
    """For each PI, the value in the earliest archived version that held it for this quarter.

    `current` maps each source file still in the folder to its current content hash; only
    versions that came before the current one are read.
    """
    found: dict[str, tuple[int, float | None]] = {}
    for source_file in quarter_sources(archive_dir, quarter.folder):
        for version in versions(archive_dir, source_file):
            if version.sha256 == current.get(source_file):
                break
            read = read_return_bytes(version.path.read_bytes(), source_file, canonical_ids)
            for row in read.rows:
                if row["stated_period"] != quarter.key or row["pi_id"] in found:
                    continue
                found[row["pi_id"]] = (version.version, row["value"])
    return pd.DataFrame(
        [
            {"pi_id": k, "first_version": v, "first_reported_value": x}
            for k, (v, x) in found.items()
        ],
        columns=["pi_id", "first_version", "first_reported_value"],
    )


def restatements(
    accepted: pd.DataFrame, first: pd.DataFrame, decimals: dict[str, int], period: str
) -> pd.DataFrame:
    """Accepted returns whose value (at the PI's rounding) differs from the first reported."""
    columns = list(TABLES["restatements"])
    if first.empty or accepted.empty:
        return pd.DataFrame(columns=columns)
    merged = accepted.merge(first, on="pi_id")

    def changed(row: pd.Series) -> bool:
        a, b = row["value"], row["first_reported_value"]
        if pd.isna(a) or pd.isna(b):
            return pd.isna(a) != pd.isna(b)
        places = decimals.get(row["pi_id"], 2)
        return round_at(a, places) != round_at(b, places)

    merged = merged[merged.apply(changed, axis=1)] if len(merged) else merged
    merged = merged.assign(period=period)
    return merged.reindex(columns=columns)
