"""The sample council's managers' sign-offs (synthetic): one file per manager per quarter.

Generated from the returns already written (read back with the product's own reader, so each
decision is dated after the figure it approves), for whatever quarters the sample has. Most
figures are approved in the fourth week; in the quarter before the latest one a manager queried
a figure, the owner resubmitted it, and the manager approved the new one; in the latest quarter
two figures are still unchecked, so `manager_checked` warns in the demo, and one is approved by
the housing manager's delegate (config/people.csv), in a file of her own.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from pm_pipeline.core.files import write_atomic
from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.values import is_missing
from pm_pipeline.defs.intake.read import read_quarter
from pm_pipeline.sample import catalogue as cat
from pm_pipeline.sample.catalogue import SamplePI

HEADER = ["pi_id", "decision", "checked_by", "checked_at", "comment"]
QUERIED = "HS-01"  # queried, resubmitted, then approved (the quarter before the latest)
UNCHECKED = ("ED-04", "PL-02")  # the latest quarter's figures the managers have not reached
DELEGATED = "HS-03"  # the latest quarter's figure approved by its manager's delegate


def _delegate() -> str:
    user = next(p[0] for p in cat.PEOPLE if p[4] == "delegate")
    return f"{user}@{cat.DOMAIN}"


def _fourth_week(quarter: Quarter) -> datetime:
    day = quarter.end + timedelta(days=22)
    return datetime(day.year, day.month, day.day, 10, 0)


def write_signoffs(root: Path, pis: Sequence[SamplePI], quarters: Sequence[Quarter]) -> int:
    """signoff/<quarter>/<manager>.csv for each quarter; returns the rows written."""
    managers = {pi.pi_id: pi.manager or cat.manager(pi.service) for pi in pis}
    ids = {pi.pi_id.casefold(): pi.pi_id for pi in pis}
    shutil.rmtree(root / "signoff", ignore_errors=True)
    latest, written = quarters[-1], 0
    for quarter in quarters:
        read, _ = read_quarter(root / "returns", quarter, ids)
        rows: dict[str, list[list[str]]] = {}
        for ret in read.candidates.sort_values("pi_id").itertuples():
            if quarter == latest and ret.pi_id in UNCHECKED:
                continue
            manager = managers[ret.pi_id]
            if quarter == latest and ret.pi_id == DELEGATED:
                manager = _delegate()
            submitted = (
                _fourth_week(quarter) - timedelta(days=7)
                if is_missing(ret.submitted_at)
                else ret.submitted_at
            )
            when = max(_fourth_week(quarter), submitted + timedelta(hours=2))
            mine = rows.setdefault(manager, [])
            if quarter == latest.previous and ret.pi_id == QUERIED:
                queried = submitted - timedelta(days=2)
                mine.append(
                    [
                        ret.pi_id,
                        "query",
                        manager,
                        f"{queried:%d/%m/%Y %H:%M}",
                        "The first figure counted cases closed after the quarter ended — "
                        "please correct and resubmit.",
                    ]
                )
                comment = "Resubmitted figure checked against the case list."
            else:
                comment = ""
            mine.append([ret.pi_id, "approved", manager, f"{when:%d/%m/%Y %H:%M}", comment])
        for manager, lines in rows.items():
            buffer = io.StringIO(newline="")
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(HEADER)
            writer.writerows(lines)
            name = manager.split("@")[0].replace(".", "_") + ".csv"
            write_atomic(root / "signoff" / quarter.folder / name, buffer.getvalue())
            written += len(lines)
    return written
