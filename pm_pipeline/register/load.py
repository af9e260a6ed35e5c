"""The council and indicator register (DESIGN 3.1): read, validate, and explain what is wrong.

Structural problems (a missing file or column, an unknown enum value, a duplicate or unknown
PI, a number that is not a number) stop the register being built at all: they raise
`RegisterError` listing every problem with its file, row and column. Policy problems that the
register can still be built around (a target on a PI that must not have one, two targets for
one year, a KPI without a target) are returned as `RegisterProblem`s for the blocking asset
checks to report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pm_pipeline.periods import FinancialYear, Quarter
from pm_pipeline.tabular import FileProblem, clean_text, odd_characters, read_table_file, where
from pm_pipeline.values import is_gss_code, parse_number

PI_TYPES = ("kpi", "service", "contextual", "place", "management")
SCORED_TYPES = frozenset({"kpi", "service", "management"})
UNITS = ("percent", "count", "days", "gbp", "rate", "ratio", "score")
POLARITIES = ("higher_is_better", "lower_is_better", "neutral")
FREQUENCIES = ("quarterly", "annual")
OUTTURN_METHODS = ("latest", "sum", "mean")  # optional: how a year's outturn is worked out

INDICATOR_COLUMNS = (
    "pi_id",
    "title",
    "description",
    "type",
    "theme",
    "service",
    "owner",
    "manager",
    "unit",
    "polarity",
    "frequency",
    "decimals",
    "valid_min",
    "valid_max",
    "lginform_metric",
    "oflog_metric",
    "annual_outturn",
)
REQUIRED_INDICATOR_COLUMNS = (
    "pi_id",
    "title",
    "type",
    "theme",
    "service",
    "owner",
    "unit",
    "polarity",
    "frequency",
)
TARGET_COLUMNS = ("pi_id", "financial_year", "target", "amber_threshold")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PI_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
DEFAULT_DECIMALS = {"count": 0}


class RegisterError(Exception):
    """The register cannot be read; `problems` names file, row and column for each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"The register has {len(problems)} problem(s):\n"
            + "\n".join(f"- {p}" for p in problems)
        )


@dataclass(frozen=True)
class RegisterProblem:
    """A rule the register breaks but can be built around (reported by a blocking check)."""

    rule: str
    file: str
    row: int | None
    column: str | None
    pi_id: str | None
    message: str


@dataclass(frozen=True)
class Council:
    name: str
    area_code: str
    region_code: str
    themes: tuple[str, ...]
    amber_tolerance_pct: float = 5.0
    stable_band_pct: float = 5.0
    comparator_group: str = "CIPFA nearest neighbours"


@dataclass
class Register:
    council: Council
    indicators: pd.DataFrame
    targets: pd.DataFrame
    comparators: pd.DataFrame
    problems: list[RegisterProblem] = field(default_factory=list)

    def canonical_ids(self) -> dict[str, str]:
        """Case-folded id -> the register's spelling, for matching returns."""
        return {pid.casefold(): pid for pid in self.indicators["pi_id"]}


def _yaml_problem(file: str, exc: yaml.YAMLError) -> str:
    """A YAML error as the line to look at and what went wrong there."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{file}, line {mark.line + 1}" if mark is not None else file
    what = " ".join(
        str(part) for part in (getattr(exc, "context", None), getattr(exc, "problem", None)) if part
    )
    tabs = " (indent with spaces, not tabs)" if "\\t" in what or "tab" in what else ""
    return f"{where}: not valid YAML — {what or exc}{tabs}; fix that line and save the file"


def _council_text(path: Path) -> str:
    """council.yaml as text: UTF-8, or Windows-1252 when saved by an older Windows editor."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_council(path: Path) -> Council:
    file = path.name
    if not path.exists():
        raise RegisterError([f"{file}: the file is missing (expected at {path})"])
    try:
        raw = yaml.safe_load(_council_text(path)) or {}
    except yaml.YAMLError as exc:
        raise RegisterError([_yaml_problem(file, exc)]) from exc
    if not isinstance(raw, dict):
        raise RegisterError(
            [
                f"{file}: expected keys name, area_code, region_code, themes (one `key: value` "
                f"per line) but the file holds a {type(raw).__name__}"
            ]
        )
    problems = [
        f"{file}, key {key}: missing — add `{key}: ...`"
        for key in ("name", "area_code", "region_code", "themes")
        if not raw.get(key)
    ]
    for key in ("area_code", "region_code"):
        if raw.get(key) and not is_gss_code(str(raw[key]).strip()):
            problems.append(f"{file}, key {key}: '{raw[key]}' is not a GSS code like E07000171")
    themes = raw.get("themes") or []
    if not isinstance(themes, list) or not all(isinstance(t, str) and t.strip() for t in themes):
        problems.append(f"{file}, key themes: give an ordered list of theme names")
        themes = []
    numbers: dict[str, float] = {}
    for key, default in (("amber_tolerance_pct", 5.0), ("stable_band_pct", 5.0)):
        value = raw.get(key, default)
        try:
            numbers[key] = float(default if value is None else value)
            if not 0 <= numbers[key] < 100:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"{file}, key {key}: '{value}' must be a percentage from 0 to 100")
    if problems:
        raise RegisterError(problems)
    return Council(
        name=str(raw["name"]).strip(),
        area_code=str(raw["area_code"]).strip(),
        region_code=str(raw["region_code"]).strip(),
        themes=tuple(t.strip() for t in themes),
        amber_tolerance_pct=numbers["amber_tolerance_pct"],
        stable_band_pct=numbers["stable_band_pct"],
        comparator_group=str(raw.get("comparator_group") or "CIPFA nearest neighbours").strip(),
    )


def _read_csv_records(
    path: Path, required: tuple[str, ...], aliases: dict[str, str] | None = None
) -> list[tuple[int, dict[str, str]]]:
    file = path.name
    if not path.exists():
        raise RegisterError([f"{file}: the file is missing (expected at {path})"])
    try:
        sheets = read_table_file(path, file, {*required, *(aliases or {})})
    except FileProblem as exc:
        raise RegisterError([exc.message]) from exc
    if not sheets:
        raise RegisterError([f"{file}: no sheet has a header row naming {required[0]}"])
    sheet = sheets[0]
    if aliases:
        sheet.header = [aliases.get(h, h) for h in sheet.header]
    missing = [c for c in required if c not in sheet.header]
    if missing:
        raise RegisterError(
            [
                f"{where(file, sheet.header_row)}: missing column(s) {', '.join(missing)} "
                f"— the header row must name {', '.join(required)}"
            ]
        )
    noted = [
        f"{where(file, row, sheet.column_name(note.column))}: {note.sentence()}"
        for row, notes in sorted(sheet.notes.items())
        for note in notes
    ]
    if noted:
        raise RegisterError(noted)
    return [(row, {k: clean_text(v) for k, v in rec.items()}) for row, rec in sheet.records()]


def read_indicators(path: Path, council: Council) -> pd.DataFrame:
    file = path.name
    records = _read_csv_records(path, REQUIRED_INDICATOR_COLUMNS)
    problems: list[str] = []
    seen: dict[str, int] = {}
    out = []
    enums = {"type": PI_TYPES, "unit": UNITS, "polarity": POLARITIES, "frequency": FREQUENCIES}
    for row, rec in records:
        item: dict[str, Any] = {c: rec.get(c, "") for c in INDICATOR_COLUMNS}
        pid = item["pi_id"]
        if not pid:
            problems.append(f"{where(file, row, 'pi_id')}: empty — every PI needs an id")
            continue
        if not PI_ID.match(pid):
            odd = odd_characters(pid)
            because = f" (it contains {odd}, which looks like an ordinary character)" if odd else ""
            problems.append(
                f"{where(file, row, 'pi_id')}: '{pid}'{because} — use only letters A-Z, digits, "
                "'-', '_', '.' or '/'"
            )
        if pid.casefold() in seen:
            problems.append(
                f"{where(file, row, 'pi_id')}: '{pid}' duplicates row {seen[pid.casefold()]} "
                "— each PI appears once"
            )
        seen.setdefault(pid.casefold(), row)
        for column, allowed in enums.items():
            item[column] = item[column].casefold()
            if item[column] not in allowed:
                problems.append(
                    f"{where(file, row, column)}: '{rec.get(column, '')}' is not one of "
                    f"{', '.join(allowed)}"
                )
        if item["theme"] not in council.themes:
            problems.append(
                f"{where(file, row, 'theme')}: '{item['theme']}' is not a theme in council.yaml "
                f"({', '.join(council.themes)})"
            )
        for column in ("title", "service"):
            if not item[column]:
                problems.append(f"{where(file, row, column)}: empty — fill it in")
        for column in ("owner", "manager"):
            if (item[column] or column == "owner") and not EMAIL.match(item[column]):
                problems.append(
                    f"{where(file, row, column)}: '{item[column]}' is not an e-mail address"
                )
        try:
            item["decimals"] = (
                int(item["decimals"]) if item["decimals"] else DEFAULT_DECIMALS.get(item["unit"], 1)
            )
            if not 0 <= item["decimals"] <= 6:
                raise ValueError
        except ValueError:
            problems.append(
                f"{where(file, row, 'decimals')}: '{rec.get('decimals')}' must be a whole "
                "number from 0 to 6"
            )
        for column in ("valid_min", "valid_max"):
            try:
                item[column] = parse_number(item[column], symbols=False)
            except ValueError:
                problems.append(f"{where(file, row, column)}: '{item[column]}' is not a number")
                item[column] = None
        lo, hi = item["valid_min"], item["valid_max"]
        if lo is not None and hi is not None and lo > hi:
            problems.append(f"{where(file, row, 'valid_min')}: {lo} is above valid_max {hi}")
        item["annual_outturn"] = item["annual_outturn"].casefold() or None
        if item["annual_outturn"] not in (None, *OUTTURN_METHODS):
            problems.append(
                f"{where(file, row, 'annual_outturn')}: '{rec.get('annual_outturn')}' is not one "
                f"of {', '.join(OUTTURN_METHODS)} (or blank for the default)"
            )
        for column in ("lginform_metric", "oflog_metric", "description", "manager"):
            item[column] = item[column] or None
        out.append(item)
    if problems:
        raise RegisterError(problems)
    if not out:
        raise RegisterError([f"{file}: has no indicators"])
    return pd.DataFrame(out, columns=list(INDICATOR_COLUMNS))


def read_targets(
    path: Path, indicators: pd.DataFrame
) -> tuple[pd.DataFrame, list[RegisterProblem]]:
    """Targets, plus the policy problems (non-scored PI, two targets for one year)."""
    file = path.name
    records = _read_csv_records(path, ("pi_id", "financial_year", "target"))
    kinds = dict(zip(indicators["pi_id"].str.casefold(), indicators["type"], strict=True))
    ids = dict(zip(indicators["pi_id"].str.casefold(), indicators["pi_id"], strict=True))
    polarity = dict(zip(indicators["pi_id"], indicators["polarity"], strict=True))
    problems: list[str] = []
    policy: list[RegisterProblem] = []
    first_row: dict[tuple[str, str], int] = {}
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
        key = (pid, year)
        if key in first_row:
            policy.append(
                RegisterProblem(
                    "targets_fixed_for_year",
                    file,
                    row,
                    "financial_year",
                    pid,
                    f"{where(file, row, 'financial_year')}: {pid} already has a {year} target "
                    f"in row {first_row[key]} — targets are fixed for the year; keep one row",
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
                "source_row": row,
            }
        )
    if problems:
        raise RegisterError(problems)
    return pd.DataFrame(out, columns=[*TARGET_COLUMNS, "source_row"]), policy


def read_comparators(path: Path, council: Council) -> pd.DataFrame:
    """CIPFA nearest neighbours (`area_code, area_name`, or the `Code, Name` CIPFA layout)."""
    file = path.name
    records = _read_csv_records(
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


def due_pis(indicators: pd.DataFrame, quarter: Quarter) -> pd.DataFrame:
    """PIs that owe a return this quarter: every quarterly PI, and annual PIs at Q4."""
    return indicators.loc[(indicators["frequency"] == "quarterly") | (quarter.q == 4)]


def load_register(config_dir: Path, years_in_use: list[FinancialYear] | None = None) -> Register:
    """Read and validate the whole register; raise RegisterError naming every problem."""
    council = read_council(config_dir / "council.yaml")
    problems: list[str] = []
    indicators = targets = comparators = None
    policy: list[RegisterProblem] = []
    try:
        indicators = read_indicators(config_dir / "indicators.csv", council)
    except RegisterError as exc:
        problems += exc.problems
    try:
        comparators = read_comparators(config_dir / "comparators.csv", council)
    except RegisterError as exc:
        problems += exc.problems
    if indicators is not None:
        try:
            targets, policy = read_targets(config_dir / "targets.csv", indicators)
        except RegisterError as exc:
            problems += exc.problems
    if problems:
        raise RegisterError(problems)
    policy += kpis_without_targets(indicators, targets, years_in_use or [])
    return Register(council, indicators, targets, comparators, policy)
