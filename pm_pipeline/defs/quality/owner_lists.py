"""Each data owner's list of what to fix, and all issues as one CSV for the data team."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pm_pipeline.core.files import make_private, private_folder
from pm_pipeline.core.mail import address_file_name
from pm_pipeline.core.periods import ReturnPeriod
from pm_pipeline.defs.register.model import Register
from pm_pipeline.render.pages import is_sample, write_html
from pm_pipeline.render.spreadsheet import write_csv

UNASSIGNED = "performance-team"  # the list of problems nobody in the register owns
TEAM_LIST = "the performance team (problems nobody in the register owns)"


def write_owner_lists(
    folder: Path, quarter: ReturnPeriod, issues: pd.DataFrame, register: Register
) -> Path:
    """Write `issues.csv` and one HTML list per owner (each file named by the owner's address,
    each owner shown by name); lists of owners with nothing left go. They name owners and
    quote their notes: the folder is closed to other accounts."""
    private_folder(folder)
    named = register.names.named
    csv_path = write_csv(folder / "issues.csv", issues.assign(owner=issues["owner"].map(named)))
    written = {csv_path.name}
    owners = issues["owner"].fillna(UNASSIGNED)
    readable = issues.astype(object).where(issues.notna(), None)  # blanks, not "nan"
    for owner, rows in readable.groupby(owners, sort=True):
        sections = [
            (severity, title, rows[rows["severity"] == severity].to_dict("records"))
            for severity, title in (("ERROR", "Errors to fix"), ("WARN", "Warnings to check"))
        ]
        path = write_html(
            folder / address_file_name(owner, ".html"),  # bounded, whatever the address
            "quality_owner.html.j2",
            council_name=register.council.name,
            sample=is_sample(register.council.name),
            owner=TEAM_LIST if owner == UNASSIGNED else named(owner),
            quarter_label=quarter.label,
            quarter_folder=quarter.folder,
            errors=int((rows["severity"] == "ERROR").sum()),
            warnings=int((rows["severity"] == "WARN").sum()),
            sections=sections,
        )
        written.add(path.name)
    for stale in folder.glob("*.html"):
        if stale.name not in written:
            stale.unlink()
    make_private(folder)
    return csv_path
