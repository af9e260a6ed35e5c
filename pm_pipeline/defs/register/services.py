"""config/services.csv (optional): each service's directorate, head of service and the cost
centres a finance system reports it by (docs/contracts.md, "Register files").

It groups the services into the directorates the monthly reports roll up by, and maps a
budget-monitoring export's cost centres to services. Read against the indicators, so every
service a PI belongs to has a directorate; every problem names file, row and column and
what to write, and stops the register as indicators.csv's problems do.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pm_pipeline.core.mail import mail_address
from pm_pipeline.core.sheets import shown, where
from pm_pipeline.defs.register.model import (
    REQUIRED_SERVICE_COLUMNS,
    SERVICE_COLUMNS,
    RegisterError,
    read_csv_records,
)

SERVICES_FILE = "services.csv"
# Without services.csv every service is in one directorate of this name.
ALL_SERVICES = "All services"


def cost_centre_codes(text: str) -> list[str]:
    """`CC100; CC110` as codes (upper case: finance systems differ in how they write them)."""
    return [code.strip().upper() for code in text.split(";") if code.strip()]


def read_services(path: Path, indicators: pd.DataFrame) -> pd.DataFrame:
    """Every service services.csv lists; an empty table when there is no file."""
    if not path.exists():
        return pd.DataFrame(columns=SERVICE_COLUMNS)
    file = path.name
    problems: list[str] = []
    seen: dict[str, int] = {}
    centres: dict[str, tuple[int, str]] = {}
    out = []
    # DESIGN.md names the optional column cost_centre; either heading is read
    for row, rec in read_csv_records(
        path, REQUIRED_SERVICE_COLUMNS, aliases={"cost_centre": "cost_centres"}
    ):
        item = {c: rec.get(c, "") for c in SERVICE_COLUMNS}
        for column in ("service", "directorate"):
            if not item[column]:
                problems.append(f"{where(file, row, column)}: empty — write the {column}'s name")
        key = item["service"].casefold()
        if key and key in seen:
            problems.append(
                f"{where(file, row, 'service')}: '{item['service']}' duplicates row {seen[key]} "
                "— each service appears once"
            )
        seen.setdefault(key, row)
        head = item["head_of_service"].casefold()
        try:
            mail_address(head)
        except ValueError as exc:
            problems.append(
                f"{where(file, row, 'head_of_service')}: '{shown(item['head_of_service'])}' "
                f"{exc} — write the head of service's work e-mail (their name comes from "
                "people.csv)"
            )
        codes = cost_centre_codes(item["cost_centres"])
        for code in codes:
            if code in centres and centres[code][1] != key:
                problems.append(
                    f"{where(file, row, 'cost_centres')}: {code} is already row "
                    f"{centres[code][0]}'s cost centre — a cost centre belongs to one service"
                )
            centres.setdefault(code, (row, key))
        out.append({**item, "head_of_service": head, "cost_centres": codes})
    for service, pi_id in _pi_services(indicators).items():
        if service.casefold() not in seen:
            problems.append(
                f"{where(file)}: no row for the service '{service}' that indicators.csv gives "
                f"for {pi_id} — add a row: {service},<directorate>,<head of service e-mail>"
            )
    if problems:
        raise RegisterError(problems)
    return pd.DataFrame(out, columns=SERVICE_COLUMNS)


def _pi_services(indicators: pd.DataFrame) -> dict[str, str]:
    """Each service indicators.csv names, with the first PI it gives it for."""
    found: dict[str, str] = {}
    for pi_id, service in zip(indicators["pi_id"], indicators["service"], strict=True):
        found.setdefault(service, pi_id)
    return found


def directorates(services: pd.DataFrame, indicators: pd.DataFrame) -> dict[str, str]:
    """Service -> directorate: services.csv's, or every service in one directorate without it
    (the services of the register's PIs)."""
    if len(services):
        return dict(zip(services["service"], services["directorate"], strict=True))
    return dict.fromkeys(sorted(set(indicators["service"])), ALL_SERVICES)
