"""What a manager's fourth-week reminder says of each figure, so they can decide from the
e-mail: its title, value, target and RAG (scored by the scorecard's own rules), its owner and
the owner's note, where it was returned, a link to its page in the latest published scorecard,
and a sign-off line ready to save.

The sign-off file stays the record (docs/managers.md). Each ready line approves the figure the
e-mail shows: its `checked_at` is the reminder's morning, or the moment that figure began to
stand if it came in later (`signoff_figures.current_from`), never later than the e-mail, so
the decision binds to exactly that figure (a figure changed after the e-mail needs a new line).
The line is the same on every run for the same figure, so a re-run sends nothing new.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from pm_pipeline.core.measures import Targets
from pm_pipeline.core.periods import Quarter, first_working_day_after, is_working_day
from pm_pipeline.core.sheets import shown
from pm_pipeline.core.values import is_missing
from pm_pipeline.defs.register.model import Register
from pm_pipeline.defs.scorecard import rules
from pm_pipeline.defs.signoff.read import SIGNOFF_COLUMNS
from pm_pipeline.defs.signoff.rules import APPROVED, QUERY_OPEN
from pm_pipeline.render.wording import format_value, rag_label

REMINDER_TIME = time(8)  # the managers' reminder runs at 08:00 (schedules.py)
LINE_COLUMNS = [c for c in SIGNOFF_COLUMNS if c != "period"]  # the folder names the quarter
LOOK_BACK = 4  # quarters: the latest published scorecard a figure's link goes to


def fourth_week(quarter: Quarter) -> date:
    """The managers' reminder day for a quarter: the first working day on or after the 22nd
    of the month after it ended (the fourth week of the data-entry month)."""
    day = quarter.end + timedelta(days=22)
    return day if is_working_day(day) else first_working_day_after(day)


@dataclass(frozen=True)
class Published:
    """The scorecard a reminder's links go to: the quarter's own once published, else the
    latest before it (`quarter` None: none yet)."""

    quarter: Quarter | None
    base: str  # council.yaml's mail.reports_url, or 'reports' (a path under the data dir)

    def link(self, pi_id: str) -> str:
        if self.quarter is None:
            return ""
        return f"{self.base}/{self.quarter.folder}/kpi_scorecard.html#pi-{quote(pi_id)}"


def published(reports_dir: Path, quarter: Quarter, reports_url: str) -> Published:
    found = quarter
    for _ in range(LOOK_BACK + 1):
        if (reports_dir / found.folder / "kpi_scorecard.html").is_file():
            return Published(found, reports_url or "reports")
        found = found.previous
    return Published(None, reports_url or "reports")


def _ceil_second(moment: datetime) -> datetime:
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def ready_checked_at(quarter: Quarter, standing_from: datetime | None, now: datetime) -> str:
    """The `checked_at` of a ready line: the reminder's morning, or when the figure shown
    began to stand if later (to the second, where it has seconds); never after `now` (a
    `checked_at` in the future is refused)."""
    moment = datetime.combine(fourth_week(quarter), REMINDER_TIME)
    if standing_from is not None:
        moment = max(moment, _ceil_second(standing_from))
    moment = min(moment, now.replace(microsecond=0))
    return f"{moment:%d/%m/%Y %H:%M}" + (f":{moment:%S}" if moment.second else "")


@dataclass(frozen=True)
class Figure:
    """One figure as the manager's e-mail shows it."""

    pi_id: str
    title: str
    value: str  # in its unit, '(provisional)' where it is
    target: str
    rag: str
    owner: str  # by name and job title
    note: str
    returned: str  # file and row
    why: str  # 'not checked', 'changed since approved', 'queried by …: …'
    link: str
    ready: tuple[str, ...]  # the sign-off line that approves it (none for an open query)


def _text(value: object) -> str:
    return "" if is_missing(value) else str(value)


def sign_off_lines(lines: list[tuple[str, ...]]) -> str:
    """The header and lines of a sign-off CSV, as the reader reads them."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LINE_COLUMNS)
    writer.writerows(lines)
    return buffer.getvalue()


def manager_figures(
    checks: pd.DataFrame,
    returns: pd.DataFrame,
    timeline: pd.DataFrame,
    register: Register,
    quarter: Quarter,
    scorecard: Published,
    now: datetime,
) -> dict[str, tuple[list[Figure], list[Figure]]]:
    """Per manager (by address, to write to): the figures awaiting their check and their
    queries still open, each as the e-mail shows it."""
    pis = register.indicators.set_index("pi_id")
    figures = {r["pi_id"]: r for r in returns.to_dict("records")}
    standing = {
        r["pi_id"]: r["current_from"]
        for r in timeline.sort_values("first_seen_at").to_dict("records")
    }
    targets = Targets(register.targets)
    names = register.names
    out: dict[str, tuple[list[Figure], list[Figure]]] = {}
    for row in checks.to_dict("records"):
        manager, status = row["manager"], row["check_status"]
        if not isinstance(manager, str) or not manager or status == APPROVED:
            continue
        pid = row["pi_id"]
        pi, figure = pis.loc[pid].to_dict(), figures.get(pid, {})
        decimals = int(pi["decimals"])
        value = None if is_missing(figure.get("value")) else float(figure["value"])
        target = targets.quarter({**pi, "pi_id": pid}, quarter.financial_year.label)
        rag = rules.rag(
            value,
            target.value,
            pi["polarity"],
            pi["type"],
            decimals,
            register.council.amber_tolerance_pct,
            target.amber,
        )
        since = standing.get(pid)
        if is_missing(since):
            since = figure.get("submitted_at")
        checked_at = ready_checked_at(
            quarter, None if is_missing(since) else pd.Timestamp(since).to_pydatetime(), now
        )
        queried = status == QUERY_OPEN
        why = status
        if queried:
            why = f"queried by {names.named(row['checked_by'])}" + (
                f": {shown(row['comment'])}" if _text(row["comment"]) else ""
            )
        provisional = " (provisional)" if figure.get("status") == "provisional" else ""
        entry = Figure(
            pi_id=pid,
            title=pi["title"],
            value=format_value(value, pi["unit"], decimals) + provisional,
            target="No target"
            if is_missing(target.value)
            else format_value(target.value, pi["unit"], decimals),
            rag=rag_label(rag),
            owner=names.named(pi["owner"]),
            note=shown(_text(figure.get("note"))),
            returned=f"{row['source_file']} row {row['source_row']}",
            why=why,
            link=scorecard.link(pid),
            ready=() if queried else (pid, "approved", manager, checked_at, ""),
        )
        awaiting, queries = out.setdefault(manager, ([], []))
        (queries if queried else awaiting).append(entry)
    return out
