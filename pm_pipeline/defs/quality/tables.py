"""Every data-quality problem found, with the fix its owner needs: read by the owners' lists and reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from pm_pipeline.core.warehouse import Replacement, Table, where_in

if TYPE_CHECKING:
    from pm_pipeline.defs.quality.rules import Issue

QUALITY_ISSUES = Table(
    "quality_issues",
    {
        "period": "VARCHAR",
        "rule": "VARCHAR",
        "severity": "VARCHAR",
        "pi_id": "VARCHAR",
        "owner": "VARCHAR",
        "source_file": "VARCHAR",
        "source_row": "INTEGER",
        "value": "VARCHAR",
        "message": "VARCHAR",
        "month": "VARCHAR",  # issue 28: a monthly return's month (YYYY-MM-01), else blank
    },
)

TABLES = (QUALITY_ISSUES,)


def issues_frame(issues: Iterable[Issue]) -> pd.DataFrame:
    """Issues as rows of `quality_issues`."""
    return pd.DataFrame([i.as_row() for i in issues], columns=QUALITY_ISSUES.column_names)


def step_issues(period: str, rules: Sequence[str], issues: Iterable[Issue]) -> Replacement:
    """A step's own rows of `quality_issues` for the quarter: the returns, plan updates,
    sign-off and scorecard steps each replace only their rules' rows, beside the others'."""
    where, names = where_in("rule", rules)
    return Replacement(
        QUALITY_ISSUES, issues_frame(issues), f"period = ? AND {where}", (period, *names)
    )
