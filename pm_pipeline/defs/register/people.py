"""config/people.csv (optional): the council's people by e-mail, with their names and roles,
and the delegates who may decide a figure for its manager (docs/contracts.md, "Register
files"). Read against the indicators, so a delegate is named for a manager the register has;
every problem names file, row and column and what to write, and stops the register as
indicators.csv's problems do."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pm_pipeline.core.mail import mail_address
from pm_pipeline.core.sheets import shown, where
from pm_pipeline.defs.register.model import (
    PEOPLE_COLUMNS,
    REQUIRED_PEOPLE_COLUMNS,
    ROLES,
    RegisterError,
    read_csv_records,
)

PEOPLE_FILE = "people.csv"


def read_people(path: Path, indicators: pd.DataFrame) -> pd.DataFrame:
    """Everyone people.csv lists (e-mails lower-case); an empty table when there is no file."""
    if not path.exists():
        return pd.DataFrame(columns=PEOPLE_COLUMNS)
    file = path.name
    managers = {m.casefold() for m in indicators["manager"].dropna() if m}
    problems: list[str] = []
    seen: dict[str, int] = {}
    out = []
    for row, rec in read_csv_records(path, REQUIRED_PEOPLE_COLUMNS):
        person = {c: rec.get(c, "") for c in PEOPLE_COLUMNS}
        email = person["email"].casefold()
        try:
            mail_address(email)
        except ValueError as exc:
            problems.append(
                f"{where(file, row, 'email')}: '{shown(person['email'])}' {exc} — write the "
                "person's work e-mail, as in indicators.csv"
            )
        if email in seen:
            problems.append(
                f"{where(file, row, 'email')}: '{person['email']}' duplicates row {seen[email]} "
                "— each person appears once"
            )
        seen.setdefault(email, row)
        if not person["name"]:
            problems.append(f"{where(file, row, 'name')}: empty — write the person's name")
        role = person["role"].casefold().replace(" ", "_")
        if role not in ROLES:
            problems.append(
                f"{where(file, row, 'role')}: '{person['role']}' is not one of {', '.join(ROLES)}"
            )
        delegate_for = person["delegate_for"].casefold()
        if role == "delegate" and delegate_for not in managers:
            problems.append(
                f"{where(file, row, 'delegate_for')}: "
                + (
                    f"'{person['delegate_for']}' is not the manager of any PI in indicators.csv"
                    if delegate_for
                    else "empty"
                )
                + " — write the e-mail of the manager (indicators.csv, column manager) this "
                "delegate may decide for"
            )
        elif role in ROLES and role != "delegate" and delegate_for:
            problems.append(
                f"{where(file, row, 'delegate_for')}: only a delegate decides for a manager — "
                "leave it blank, or make the role delegate"
            )
        out.append(
            {
                **person,
                "email": email,
                "role": role,
                "delegate_for": delegate_for or None,
                "job_title": person["job_title"] or None,
                "service": person["service"] or None,
            }
        )
    if problems:
        raise RegisterError(problems)
    return pd.DataFrame(out, columns=PEOPLE_COLUMNS)
