"""targets.csv and comparators.csv, read against the council and its indicators: every
problem named by file, row and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pm_pipeline.core.periods import FinancialYear
from pm_pipeline.core.sheets import where
from pm_pipeline.core.values import is_gss_code, parse_number
from pm_pipeline.defs.register.model import (
    SCORED_TYPES,
    TARGET_COLUMNS,
    TARGET_PERIODS,
    Council,
    RegisterError,
    RegisterProblem,
    read_csv_records,
)


def read_targets(
    path: Path, indicators: pd.DataFrame
) -> tuple[pd.DataFrame, list[RegisterProblem]]:
    """Targets, plus the policy problems (non-scored PI, two targets for one year).

    The optional `period` column says what a target is for (docs/contracts.md, "Register
    files"): `quarter` (or blank) is the target each quarter's figure is judged against,
    `year` the target for the year's outturn; a PI may have one of each for a year."""
    file = path.name
    records = read_csv_records(path, ("pi_id", "financial_year", "target"))
    kinds = dict(zip(indicators["pi_id"].str.casefold(), indicators["type"], strict=True))
    ids = dict(zip(indicators["pi_id"].str.casefold(), indicators["pi_id"], strict=True))
    polarity = dict(zip(indicators["pi_id"], indicators["polarity"], strict=True))
    problems: list[str] = []
    policy: list[RegisterProblem] = []
    first_row: dict[tuple[str, str, str], int] = {}
    out = []
    for row, rec in records:
        raw_id = rec.get("pi_id", "")
        pid = ids.get(raw_id.casefold())
        if pid is None:
            problems.append(
                f"{where(file, row, 'pi_id')}: '{raw_id}' is not in indicators.csv "
                "— add the PI to the register or remove this target"
            )
            continue
        try:
            year = FinancialYear.from_label(rec.get("financial_year", "")).label
        except ValueError as exc:
            problems.append(f"{where(file, row, 'financial_year')}: {exc}")
            continue
        period = rec.get("period", "").casefold() or "quarter"
        if period not in TARGET_PERIODS:
            problems.append(
                f"{where(file, row, 'period')}: '{rec.get('period')}' is not one of "
                f"{', '.join(TARGET_PERIODS)} — year for the target of the year's outturn, "
                "quarter (or blank) for the target of each quarter"
            )
            continue
        numbers: dict[str, float | None] = {}
        for column in ("target", "amber_threshold"):
            try:
                numbers[column] = parse_number(rec.get(column, ""), symbols=False)
            except ValueError:
                problems.append(
                    f"{where(file, row, column)}: '{rec.get(column)}' is not a number — write "
                    "a plain number such as 85 or 12.5"
                    + (" (leave it blank for the default)" if column == "amber_threshold" else "")
                )
        if len(numbers) < 2:
            continue
        target, amber = numbers["target"], numbers["amber_threshold"]
        if target is None:
            problems.append(
                f"{where(file, row, 'target')}: empty — give the target or drop the row"
            )
            continue
        if amber is not None and (
            (polarity[pid] == "higher_is_better" and amber > target)
            or (polarity[pid] == "lower_is_better" and amber < target)
        ):
            problems.append(
                f"{where(file, row, 'amber_threshold')}: {amber:g} is on the wrong side of the "
                f"target {target:g} for a {polarity[pid].replace('_', ' ')} PI"
            )
        kind = kinds[pid.casefold()]
        if kind not in SCORED_TYPES:
            policy.append(
                RegisterProblem(
                    "targets_on_scored_pis",
                    file,
                    row,
                    "target",
                    pid,
                    f"{where(file, row, 'target')}: {pid} is a {kind} PI, which has no target "
                    "and no RAG — delete this row",
                )
            )
        key = (pid, year, period)
        if key in first_row:
            policy.append(
                RegisterProblem(
                    "targets_fixed_for_year",
                    file,
                    row,
                    "financial_year",
                    pid,
                    f"{where(file, row, 'financial_year')}: {pid} already has a {year} "
                    f"{'annual ' if period == 'year' else ''}target in row {first_row[key]} — "
                    "targets are fixed for the year; keep one row",
                )
            )
            continue
        first_row[key] = row
        out.append(
            {
                "pi_id": pid,
                "financial_year": year,
                "target": target,
                "amber_threshold": amber,
                "period": period,
                "source_row": row,
            }
        )
    if problems:
        raise RegisterError(problems)
    return pd.DataFrame(out, columns=[*TARGET_COLUMNS, "source_row"]), policy


def read_comparators(path: Path, council: Council) -> pd.DataFrame:
    """CIPFA nearest neighbours (`area_code, area_name`, or the `Code, Name` CIPFA layout)."""
    file = path.name
    records = read_csv_records(
        path, ("area_code", "area_name"), aliases={"code": "area_code", "name": "area_name"}
    )
    problems = []
    seen: set[str] = set()
    out = []
    for row, rec in records:
        code = rec.get("area_code", "").upper()
        if not is_gss_code(code):
            problems.append(
                f"{where(file, row, 'area_code')}: '{code}' is not a GSS code — a letter and "
                "eight digits, like E07000171"
            )
            continue
        if code == council.area_code or code in seen:
            continue  # CIPFA lists sometimes include the council itself; it is not its own peer
        seen.add(code)
        out.append({"area_code": code, "area_name": rec.get("area_name") or code})
    if problems:
        raise RegisterError(problems)
    return pd.DataFrame(out, columns=["area_code", "area_name"])


def kpis_without_targets(
    indicators: pd.DataFrame, targets: pd.DataFrame, years: list[FinancialYear]
) -> list[RegisterProblem]:
    have = set(zip(targets["pi_id"], targets["financial_year"], strict=True))
    return [
        RegisterProblem(
            "kpi_targets_set",
            "targets.csv",
            None,
            "target",
            pid,
            f"targets.csv: KPI {pid} has no target for {year.label} — add a row "
            f"'{pid},{year.label},<target>,' (returns for {year.label} are in)",
        )
        for year in years
        for pid in indicators.loc[indicators["type"] == "kpi", "pi_id"]
        if (pid, year.label) not in have
    ]
