"""The messages owners and managers get: plain text plus accessible HTML, one per person.

Each goes to an address from the register (or the performance team's, PM_ALERT_TO), never to
one typed in a file. Headers are set through `email.message.EmailMessage`, which refuses a line
break in a header, so no text from a returns file can add a header; file text only ever appears
in the bodies (a cell quoted at most 200 characters long), and the HTML body is rendered by
Jinja with autoescape on.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

from pm_pipeline.core.periods import Month, Quarter, ReturnPeriod
from pm_pipeline.render.pages import render_html


@dataclass(frozen=True)
class Letter:
    """One e-mail's content before it is a message: who, what, and a table of lines."""

    to: str
    subject: str
    heading: str
    intro: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    closing: str = ""
    source: str = ""  # where the address comes from, named when it cannot be written to

    def text(self) -> str:
        lines = [self.heading, "", self.intro, ""]
        for row in self.rows:
            lines.append(
                "- " + "; ".join(f"{c}: {v}" for c, v in zip(self.columns, row, strict=True) if v)
            )
        if self.rows:
            lines.append("")
        if self.closing:
            lines += [self.closing, ""]
        lines.append(
            "This message was sent by pm_pipeline, the council's performance data pipeline."
        )
        return "\n".join(lines)

    def message(self) -> EmailMessage:
        message = EmailMessage()
        message["To"] = self.to
        message["Subject"] = self.subject
        message.set_content(self.text())
        message.add_alternative(
            render_html("mail_message.html.j2", letter=self, generated_at=""), subtype="html"
        )
        return message


ISSUE_COLUMNS = ("PI", "File", "Row", "Value", "What is wrong and how to fix it")


def _cell(value: object) -> str:
    return "" if value is None or value != value else str(value)  # NaN is not itself


def _ids(rows: list[dict], role: str) -> str:
    """Where a recipient's address comes from: the register's rows of the ids in the letter."""
    ids = sorted({r["pi_id"] for r in rows if isinstance(r.get("pi_id"), str)})
    more = f" and {len(ids) - 3} more" if len(ids) > 3 else ""
    return f"the register's {role} of {', '.join(ids[:3])}{more}" if ids else ""


TEAM = "the performance team (PM_ALERT_TO)"


def issue_letter(
    owner: str, quarter: Quarter, issues: list[dict], update: int, team: bool = False
) -> Letter:
    """An owner's list; with `team`, the list of problems in files that return no PI in the
    register, for the performance team (no owner could be told of them)."""
    errors = sum(i["severity"] == "ERROR" for i in issues)
    warnings = len(issues) - errors
    rows = tuple(
        (
            _cell(i["pi_id"]) or "—",
            _cell(i["source_file"]) or "—",
            _cell(i["source_row"]).removesuffix(".0") or "—",
            _cell(i["value"]),
            f"[{'error' if i['severity'] == 'ERROR' else 'warning'}] {i['message']}",
        )
        for i in issues
    )
    if team:
        return Letter(
            owner,
            f"{quarter.label} returns nobody in the register owns: {errors} to fix, {warnings} "
            "to look at",
            f"{quarter.label}: problems no owner could be told about",
            f"These {errors} error(s) and {warnings} warning(s) (list update {update}) are in "
            f"files in returns/{quarter.folder}/ that return no PI in the register, so no "
            "owner could be told (an address typed in a file is never written to). Ask whoever "
            "saved each file to fix it, or add its PIs to the register.",
            ISSUE_COLUMNS,
            rows,
            source=TEAM,
        )
    return Letter(
        owner,
        f"Your {quarter.label} returns: {errors} to fix, {warnings} to look at",
        f"Your {quarter.label} returns need attention",
        f"The checks on your returns in returns/{quarter.folder}/ found {errors} error(s) and "
        f"{warnings} warning(s) (list update {update}). Errors stop the quarter's scorecard "
        "being published until they are fixed; warnings are for you to look at.",
        ISSUE_COLUMNS,
        rows,
        "Fix each error in your file and save it in the same folder, with the same name. The "
        "checks run again within a minute and you will get a new list, or an all-clear.",
        source=_ids(issues, "owner"),
    )


def all_clear_letter(owner: str, quarter: Quarter, update: int) -> Letter:
    return Letter(
        owner,
        f"Your {quarter.label} returns: all clear",
        f"Your {quarter.label} returns: nothing to fix",
        f"The problems in your returns in returns/{quarter.folder}/ are fixed: every check "
        f"passes (list update {update}). Thank you.",
    )


def owner_reminder_letter(owner: str, quarter: ReturnPeriod, rows: list[dict]) -> Letter:
    """The reminder of a quarter's returns not yet given, or a month's (monthly PIs)."""
    start, deadline = quarter.entry_window
    kind = "month" if isinstance(quarter, Month) else "quarter"
    return Letter(
        owner,
        f"Reminder: {len(rows)} {quarter.label} return(s) due by {deadline:%-d %B %Y}",
        f"Your {quarter.label} returns are due",
        f"The {kind} has ended. These returns are not yet in returns/{quarter.folder}/; "
        f"please enter them by {deadline:%A %-d %B %Y} (the data-entry window opened on "
        f"{start:%-d %B}).",
        ("PI", "Indicator", "Service"),
        tuple((r["pi_id"], r["title"], r["service"]) for r in rows),
        f"Save your file in the {kind}'s folder; the checks run within a minute.",
        source=_ids(rows, "owner"),
    )


def manager_reminder_letter(
    manager: str, quarter: Quarter, awaiting: list[dict], queries: list[dict]
) -> Letter:
    rows = tuple(
        ("awaiting your check", r["pi_id"], f"{r['source_file']} row {r['source_row']}", r["why"])
        for r in awaiting
    ) + tuple(
        ("query still open", r["pi_id"], f"{r['source_file']} row {r['source_row']}", r["why"])
        for r in queries
    )
    return Letter(
        manager,
        f"{quarter.label}: {len(awaiting)} figure(s) to check, {len(queries)} open query(ies)",
        f"{quarter.label}: your team's figures to check",
        f"It is the fourth week after {quarter.label} ended: the week managers check their "
        f"team's figures. Record each decision (approved or query) in signoff/{quarter.folder}/ "
        "with the columns pi_id, decision, checked_by, checked_at, comment.",
        ("State", "PI", "Return", "Detail"),
        rows,
        "An open query blocks the quarter's report until the owner resubmits the figure or you "
        "approve it.",
        source=_ids(awaiting + queries, "manager"),
    )
