"""The register's vocabulary and shapes: PI types, units, polarities, the columns of
indicators.csv and targets.csv, the Council and Register, and how a problem is reported."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from pm_pipeline.core.periods import DEFAULT_MONTHLY_DUE, DEFAULT_MONTHLY_RUN
from pm_pipeline.core.sheets import FileProblem, clean_text, where
from pm_pipeline.core.spreadsheets import read_table_file
from pm_pipeline.core.words import plural
from pm_pipeline.defs.register.budget import BudgetSettings
from pm_pipeline.defs.register.frame import DEFAULT_APPETITE, ReportFrame

PI_TYPES = ("kpi", "service", "contextual", "place", "management")


SCORED_TYPES = frozenset({"kpi", "service", "management"})


UNITS = ("percent", "count", "days", "gbp", "rate", "ratio", "score")


POLARITIES = ("higher_is_better", "lower_is_better", "neutral")


FREQUENCIES = ("quarterly", "annual", "monthly")


# What a PI's figure is, so a year and a year to date are worked out the right way
# (docs/contracts.md, "Register files" and "Annual outturn").
MEASURES = ("flow", "stock", "ratio", "average", "cumulative")

# A measure safe to assume from the unit; `count` and `gbp` may be a flow or a stock, so the
# register must say which.
DEFAULT_MEASURES = {
    "percent": "ratio",
    "rate": "ratio",
    "ratio": "ratio",
    "days": "average",
    "score": "average",
}

# The legacy `annual_outturn` column, still read (with a deprecation message) as a measure.
LEGACY_OUTTURN = {"sum": "flow", "latest": "stock", "mean": "average"}

ROLLING_VALUES = {"yes": True, "no": False, "": False}

TARGET_PERIODS = ("quarter", "year")  # targets.csv `period`: blank means quarter

# Which section of the service balanced scorecard a PI is shown in (blank: performance).
SCORECARD_SECTIONS = ("performance", "finance", "customers", "people")


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
    "measure",
    "rolling",
    "stable_band",
    "statistic",
    "statistic_use",
    "scorecard_section",
)

# Columns indicators.csv may carry that the register reads but no longer keeps.
LEGACY_INDICATOR_COLUMNS = ("annual_outturn",)


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


TARGET_COLUMNS = ("pi_id", "financial_year", "target", "amber_threshold", "period")


# config/people.csv (optional): who is who, by e-mail (docs/contracts.md, "Register files").
PEOPLE_COLUMNS = ("email", "name", "job_title", "service", "role", "delegate_for")
REQUIRED_PEOPLE_COLUMNS = ("email", "name", "role")
ROLES = ("owner", "manager", "delegate", "performance_team")

# config/services.csv (optional): each service's directorate and head of service, and the
# cost centres a finance system reports it by (docs/contracts.md, "Register files").
SERVICE_COLUMNS = ("service", "directorate", "head_of_service", "cost_centres")
REQUIRED_SERVICE_COLUMNS = ("service", "directorate", "head_of_service")


PI_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


DEFAULT_DECIMALS = {"count": 0}


class RegisterError(Exception):
    """The register cannot be read; `problems` names file, row and column for each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"The register has {plural(len(problems), 'problem')}:\n"
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
class MailSettings:
    """council.yaml's `mail`: who the owners' and managers' e-mails are from, where replies
    go, and where `reports/` is published for the links in them ('' where not given:
    PM_MAIL_FROM / PM_MAIL_REPLY_TO, then the defaults, and links as paths under the data
    directory)."""

    sender: str = ""
    reply_to: str = ""
    reports_url: str = ""


class People:
    """How every report, list, sheet and e-mail names a person: by people.csv's name and job
    title ("Amira Khan, Housing options officer"). people.csv is optional, so an address it
    does not list is shown as the address; e-mail addresses are otherwise only where mail is
    sent."""

    def __init__(self, people: pd.DataFrame):
        self._known: dict[str, tuple[str, str]] = {}
        for person in people.to_dict("records"):
            email, name, title = person.get("email"), person.get("name"), person.get("job_title")
            if isinstance(email, str) and isinstance(name, str) and name.strip():
                title = title.strip() if isinstance(title, str) else ""
                self._known[email.strip().casefold()] = (name.strip(), title)

    def _found(self, address: object) -> tuple[str, str] | None:
        if not isinstance(address, str):
            return None
        return self._known.get(address.strip().casefold())

    def named(self, address: object) -> str:
        """'Name, Job title' (the name alone where people.csv gives no title); the address
        itself where people.csv does not list it; '' for nobody (a blank or missing cell)."""
        found = self._found(address)
        if found is None:
            return address if isinstance(address, str) else ""
        name, title = found
        return f"{name}, {title}" if title else name

    def name(self, address: object) -> str:
        """The name alone, to greet them by ("Dear Amira Khan"); the address where people.csv
        does not list it."""
        found = self._found(address)
        if found is None:
            return address if isinstance(address, str) else ""
        return found[0]


@dataclass(frozen=True)
class Council:
    name: str
    area_code: str
    region_code: str
    themes: tuple[str, ...]
    amber_tolerance_pct: float = 5.0
    stable_band_pct: float = 5.0  # direction-of-travel band for every unit but percent
    comparator_group: str = "CIPFA nearest neighbours"
    # How far the council's own outturn may sit from its own LG Inform value before the
    # outturn_matches_lginform check warns: percentage points for percent PIs, else relative %.
    reconcile_points: float = 0.5
    reconcile_pct: float = 2.0
    stable_band_points: float = 1.0  # the band for percent PIs, in percentage points
    # issue 27: the committee paper's frame, and each risk appetite level's highest score
    report_frame: ReportFrame = field(default_factory=ReportFrame)
    risk_appetite: tuple[tuple[str, int], ...] = tuple(DEFAULT_APPETITE.items())
    mail: MailSettings = field(default_factory=MailSettings)  # issue 27: e-mails' From etc.
    # issue 28: how the monthly budget monitoring is judged
    finance: BudgetSettings = field(default_factory=BudgetSettings)
    # issue 28: monthly returns are due by this working day after the month, and the monthly
    # job runs on that one
    monthly_due_working_day: int = DEFAULT_MONTHLY_DUE
    monthly_run_working_day: int = DEFAULT_MONTHLY_RUN


@dataclass
class Register:
    council: Council
    indicators: pd.DataFrame
    targets: pd.DataFrame
    comparators: pd.DataFrame
    problems: list[RegisterProblem] = field(default_factory=list)
    people: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PEOPLE_COLUMNS))
    services: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SERVICE_COLUMNS))

    @cached_property
    def names(self) -> People:
        """people.csv's names, as every output shows a person (`People.named`)."""
        return People(self.people)

    def canonical_ids(self) -> dict[str, str]:
        """Case-folded id -> the register's spelling, for matching returns."""
        return {pid.casefold(): pid for pid in self.indicators["pi_id"]}

    def deciders(self) -> dict[str, dict[str, str]]:
        """PI id -> {e-mail: 'manager' | 'delegate'}: who may approve or query its figure
        (the register's manager, and whoever people.csv names as their delegate)."""
        delegates: dict[str, list[str]] = {}
        for person in self.people.to_dict("records"):
            manager = person["delegate_for"]
            if person["role"] == "delegate" and isinstance(manager, str) and manager:
                delegates.setdefault(manager, []).append(person["email"])
        out: dict[str, dict[str, str]] = {}
        for pid, manager in zip(self.indicators["pi_id"], self.indicators["manager"], strict=True):
            if not isinstance(manager, str) or not manager:
                out[pid] = {}
                continue
            manager = manager.casefold()
            out[pid] = {email: "delegate" for email in delegates.get(manager, [])}
            out[pid][manager] = "manager"
        return out


def read_csv_records(
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
