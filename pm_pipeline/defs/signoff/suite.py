"""The manager_* sign-off rules as Great Expectations expectations, like the returns' suite.

As in `quality/suite.py`, pandas derives what GX cannot ask (each figure's check status from
the decisions bound to it, each decision's register manager) and GX checks the columns:
- `manager_query_open`: no figure's `check_status` is "query open";
- `manager_checked`: every figure's `check_status` is "approved" (or "query open", which is
  the blocking rule's to report);
- `checked_by_manager`: each decision's `checked_by` equals the PI's `manager` (ignored where
  the register names no manager).
Each expectation's `meta` names its rule and severity; the failing row indexes come back from
GX's COMPLETE result and `rules.evaluate` words the messages. Great Expectations is imported
only inside `failing_rows`.
"""

from __future__ import annotations

import pandas as pd

from pm_pipeline.defs.signoff.rules import APPROVED, QUERY_OPEN, SIGNOFF_RULES

MANAGER_RULES = ("manager_query_open", "manager_checked", "checked_by_manager")


def _meta(rule: str) -> dict[str, str]:
    return {"rule": rule, "severity": SIGNOFF_RULES[rule].severity}


def expectations() -> dict[str, list]:
    """The expectations on the figures table and on the decisions table."""
    import great_expectations as gx

    e = gx.expectations
    return {
        "figures": [
            e.ExpectColumnValuesToNotBeInSet(
                column="check_status", value_set=[QUERY_OPEN], meta=_meta("manager_query_open")
            ),
            e.ExpectColumnValuesToBeInSet(
                column="check_status",
                value_set=[APPROVED, QUERY_OPEN],
                meta=_meta("manager_checked"),
            ),
        ],
        "decisions": [
            e.ExpectColumnPairValuesToBeEqual(
                column_A="checked_by",
                column_B="manager",
                ignore_row_if="either_value_is_missing",
                meta=_meta("checked_by_manager"),
            )
        ],
    }


def failing_rows(figures: pd.DataFrame, decisions: pd.DataFrame) -> dict[str, list[int]]:
    """Rule -> positions of the failing rows in `figures` (check_status) or `decisions`
    (checked_by, manager: both lower-case, manager None where the register has none)."""
    from pm_pipeline.defs.quality.evaluate import gx_context, validate

    found: dict[str, list[int]] = {rule: [] for rule in MANAGER_RULES}
    tables = {
        "figures": figures[["check_status"]].reset_index(drop=True),
        "decisions": decisions[["checked_by", "manager"]].reset_index(drop=True),
    }
    source = gx_context().data_sources.add_or_update_pandas("signoffs")
    for name, specs in expectations().items():
        frame = tables[name]
        if frame.empty:
            continue
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("run")
        for result in validate(batch, frame.astype(object), "signoffs", specs).results:
            if result.success:
                continue
            rule = (result.expectation_config.meta or {})["rule"]
            found[rule] += [int(i) for i in result.result.get("unexpected_index_list") or []]
    return found
