"""The council and indicator register (docs/contracts.md, "Register files"): read, validate,
and explain what is wrong.

Structural problems (a missing file or column, an unknown enum value, a duplicate or unknown
PI, a number that is not a number) stop the register being built at all: they raise
`RegisterError` listing every problem with its file, row and column. Policy problems that the
register can still be built around (a target on a PI that must not have one, two targets for
one year, a KPI without a target) are returned as `RegisterProblem`s for the blocking asset
checks to report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pm_pipeline.core.mail import mail_address, sender_address
from pm_pipeline.core.periods import FinancialYear, Month, Quarter, ReturnPeriod
from pm_pipeline.core.sheets import odd_characters, shown, where
from pm_pipeline.core.values import is_gss_code, parse_number
from pm_pipeline.defs.register.budget import read_budget_settings
from pm_pipeline.defs.register.frame import read_appetite, read_frame
from pm_pipeline.defs.register.model import (
    DEFAULT_DECIMALS,
    DEFAULT_MEASURES,
    FREQUENCIES,
    INDICATOR_COLUMNS,
    LEGACY_INDICATOR_COLUMNS,
    LEGACY_OUTTURN,
    MEASURES,
    PI_ID,
    PI_TYPES,
    POLARITIES,
    REQUIRED_INDICATOR_COLUMNS,
    ROLLING_VALUES,
    SCORECARD_SECTIONS,
    UNITS,
    Council,
    MailSettings,
    Register,
    RegisterError,
    RegisterProblem,
    read_csv_records,
)
from pm_pipeline.defs.register.people import PEOPLE_FILE, read_people
from pm_pipeline.defs.register.services import SERVICES_FILE, read_services
from pm_pipeline.defs.register.statistics import statistic_problems
from pm_pipeline.defs.register.targets import kpis_without_targets, read_comparators, read_targets


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


MAIL_KEYS = {"from": "sender", "reply_to": "reply_to", "reports_url": "reports_url"}


def read_mail(raw: object, file: str) -> tuple[MailSettings, list[str]]:
    """council.yaml's `mail` (every key optional), and the problems with it, each naming the
    key and what to write."""
    if raw is None:
        return MailSettings(), []
    where = f"{file}, key mail"
    if not isinstance(raw, dict):
        return MailSettings(), [f"{where}: give {', '.join(MAIL_KEYS)} as keys, one per line"]
    problems = [
        f"{where}.{key}: not a mail setting — use {', '.join(MAIL_KEYS)}"
        for key in raw
        if key not in MAIL_KEYS
    ]
    given: dict[str, str] = {}
    for key, name in MAIL_KEYS.items():
        value = raw.get(key)
        if value is None:
            continue
        text = str(value).strip()
        try:
            if key == "reports_url":
                if not text.startswith(("https://", "http://", "file://")):
                    raise ValueError(
                        "is not a web address — give where reports/ is published, e.g. "
                        "https://intranet.council.gov.uk/performance/reports"
                    )
                given[name] = text.rstrip("/")
            else:
                given[name] = sender_address(text)
        except ValueError as exc:
            problems.append(f"{where}.{key}: '{shown(text)}' {exc}")
    return MailSettings(**given), problems


# the latest working day after a month council.yaml may choose: every month has 15 working
# days, so the day never falls in the month after (May has 19 with its two bank holidays)
MAX_WORKING_DAY = 15


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
    for key, default, what in (
        ("amber_tolerance_pct", 5.0, "a percentage from 0 to 100"),
        ("stable_band_pct", 5.0, "a percentage from 0 to 100"),
        ("stable_band_points", 1.0, "a number of percentage points from 0 to 100"),
        ("reconcile_points", 0.5, "a number of percentage points from 0 to 100"),
        ("reconcile_pct", 2.0, "a percentage from 0 to 100"),
    ):
        value = raw.get(key, default)
        try:
            numbers[key] = float(default if value is None else value)
            if not 0 <= numbers[key] < 100:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"{file}, key {key}: '{value}' must be {what}")
    days: dict[str, int] = {}
    for key, default in (
        ("monthly_due_working_day", Council.monthly_due_working_day),
        ("monthly_run_working_day", Council.monthly_run_working_day),
    ):
        value = raw.get(key, default)
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_WORKING_DAY:
            days[key] = value
        else:
            problems.append(
                f"{file}, key {key}: '{value}' must be a whole number of working days after the "
                f"month ends, from 1 to {MAX_WORKING_DAY} (default {default})"
            )
    frame, frame_problems = read_frame(raw.get("report_frame"), file)
    appetite, appetite_problems = read_appetite(raw.get("risk_appetite"), file)
    mail, mail_problems = read_mail(raw.get("mail"), file)
    finance, finance_problems = read_budget_settings(raw.get("finance"), file)
    problems += frame_problems + appetite_problems + mail_problems + finance_problems
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
        reconcile_points=numbers["reconcile_points"],
        reconcile_pct=numbers["reconcile_pct"],
        stable_band_points=numbers["stable_band_points"],
        report_frame=frame,
        risk_appetite=tuple(appetite.items()),
        mail=mail,
        finance=finance,
        monthly_due_working_day=days["monthly_due_working_day"],
        monthly_run_working_day=days["monthly_run_working_day"],
    )


def _measure(file: str, row: int, unit: str, rec: dict[str, str]) -> tuple[str | None, str]:
    """The PI's measure: the `measure` column, else the legacy `annual_outturn`, else the
    unit's safe default; and the problem to report, if any (docs/contracts.md, "Register
    files")."""
    given = rec.get("measure", "").casefold()
    legacy = rec.get("annual_outturn", "").casefold()
    if given:
        if given not in MEASURES:
            return None, (
                f"{where(file, row, 'measure')}: '{rec['measure']}' is not one of "
                f"{', '.join(MEASURES)}"
            )
        return given, ""
    if legacy:
        if legacy not in LEGACY_OUTTURN:
            return None, (
                f"{where(file, row, 'annual_outturn')}: '{rec['annual_outturn']}' is not one of "
                f"{', '.join(LEGACY_OUTTURN)} — better, replace the retired annual_outturn "
                f"column with measure ({', '.join(MEASURES)})"
            )
        return LEGACY_OUTTURN[legacy], ""
    if unit in DEFAULT_MEASURES:
        return DEFAULT_MEASURES[unit], ""
    if unit not in UNITS:
        return None, ""  # the unit's own problem is reported
    return None, (
        f"{where(file, row, 'measure')}: empty — a {unit} PI may be a total over the period "
        "or a count at a point in time, so say which: write flow (the period's total: a year "
        "is the sum of its quarters), stock (a snapshot: a year is its latest figure) or "
        "cumulative (already year to date)"
    )


def legacy_column_notices(indicators: pd.DataFrame) -> list[RegisterProblem]:
    """A deprecation notice when indicators.csv still fills the retired annual_outturn column."""
    return [
        RegisterProblem(
            "register_columns_current",
            "indicators.csv",
            None,
            column,
            None,
            f"indicators.csv: the {column} column is retired and will stop being read — "
            "rename it to measure and rewrite its values: sum -> flow, latest -> stock, "
            'mean -> average (docs/contracts.md, "Register files")',
        )
        for column in indicators.attrs.get("legacy_columns", [])
    ]


def _stable_band(text: str, unit: str) -> float | str | None:
    """A PI's own direction-of-travel band (blank: the council's), or what is wrong with it."""
    what = "percentage points" if unit == "percent" else "a relative %"
    try:
        value = parse_number(text, symbols=False)
    except ValueError:
        return f"'{text}' is not a number — give the band in {what}, or leave it blank"
    if value is not None and not 0 <= value < 100:
        return f"'{text}' must be from 0 to 100 ({what}), or blank for the council's band"
    return value


def read_indicators(path: Path, council: Council) -> pd.DataFrame:
    file = path.name
    records = read_csv_records(path, REQUIRED_INDICATOR_COLUMNS)
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
        for column in ("owner", "manager"):  # where mail goes: one address each
            if item[column] or column == "owner":
                try:
                    mail_address(item[column])
                except ValueError as exc:
                    problems.append(f"{where(file, row, column)}: '{shown(item[column])}' {exc}")
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
        item["stable_band"] = _stable_band(item["stable_band"], item["unit"])
        if isinstance(item["stable_band"], str):
            problems.append(f"{where(file, row, 'stable_band')}: {item['stable_band']}")
            item["stable_band"] = None
        lo, hi = item["valid_min"], item["valid_max"]
        if lo is not None and hi is not None and lo > hi:
            problems.append(f"{where(file, row, 'valid_min')}: {lo} is above valid_max {hi}")
        item["measure"], problem = _measure(file, row, item["unit"], rec)
        # declared (not the unit's default): a declared ratio's returns must give their parts
        item["measure_declared"] = bool(rec.get("measure") or rec.get("annual_outturn"))
        if problem:
            problems.append(problem)
        rolling = item["rolling"].casefold()
        if rolling not in ROLLING_VALUES:
            problems.append(
                f"{where(file, row, 'rolling')}: '{item['rolling']}' — write yes when the figure "
                "covers the 12 months to the period's end, or leave it blank"
            )
        item["rolling"] = ROLLING_VALUES.get(rolling, False)
        item["scorecard_section"] = item["scorecard_section"].casefold() or "performance"
        if item["scorecard_section"] not in SCORECARD_SECTIONS:
            problems.append(
                f"{where(file, row, 'scorecard_section')}: '{rec['scorecard_section']}' is not "
                f"one of {', '.join(SCORECARD_SECTIONS)} — it says which section of the service "
                "scorecard shows the PI (blank: performance)"
            )
        item["statistic"] = item["statistic"].casefold()
        item["statistic_use"] = item["statistic_use"].casefold()
        for column, text in statistic_problems(
            item["statistic"], item["statistic_use"], item["unit"]
        ):
            problems.append(f"{where(file, row, column)}: {text}")
        for column in (
            "lginform_metric",
            "oflog_metric",
            "description",
            "manager",
            "statistic",
            "statistic_use",
        ):
            item[column] = item[column] or None
        out.append(item)
    if problems:
        raise RegisterError(problems)
    if not out:
        raise RegisterError([f"{file}: has no indicators"])
    frame = pd.DataFrame(out, columns=[*INDICATOR_COLUMNS, "measure_declared"])
    frame.attrs["legacy_columns"] = [
        c for c in LEGACY_INDICATOR_COLUMNS if any(rec.get(c) for _, rec in records)
    ]
    return frame


def due_pis(indicators: pd.DataFrame, quarter: Quarter) -> pd.DataFrame:
    """PIs with a figure this quarter: every quarterly PI, every monthly PI (its quarter is
    its months rolled up), and annual PIs at Q4."""
    return indicators.loc[indicators["frequency"].isin(("quarterly", "monthly")) | (quarter.q == 4)]


def returns_owed(indicators: pd.DataFrame, period: ReturnPeriod) -> pd.DataFrame:
    """PIs whose owners owe a return in the period's folder: a month's folder its monthly PIs,
    a quarter's the other due PIs; not those taken from an official statistic
    (docs/contracts.md, "Official statistics"), whose figure comes from the published source."""
    if isinstance(period, Month):
        due = indicators.loc[indicators["frequency"] == "monthly"]
    else:
        due = due_pis(indicators, period)
        due = due.loc[due["frequency"] != "monthly"]
    if "statistic_use" not in due:  # a frame built before the column existed
        return due
    return due.loc[due["statistic_use"] != "taken"]


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
    people = services = None
    if indicators is not None:
        try:
            targets, policy = read_targets(config_dir / "targets.csv", indicators)
        except RegisterError as exc:
            problems += exc.problems
        try:
            people = read_people(config_dir / PEOPLE_FILE, indicators)
        except RegisterError as exc:
            problems += exc.problems
        try:
            services = read_services(config_dir / SERVICES_FILE, indicators)
        except RegisterError as exc:
            problems += exc.problems
    if problems:
        raise RegisterError(problems)
    policy += kpis_without_targets(indicators, targets, years_in_use or [])
    policy += legacy_column_notices(indicators)
    return Register(council, indicators, targets, comparators, policy, people, services)
