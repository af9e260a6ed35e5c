"""The messages owners and managers get: plain text plus accessible HTML, one per person.

Each goes to an address from the register (or the performance team's, PM_ALERT_TO), never to
one typed in a file. Each greets its reader by name and names people by name and job title
(people.csv, `People`); counts agree with their nouns (`plural`); its From and Reply-To are
council.yaml's `mail` (PM_MAIL_FROM / PM_MAIL_REPLY_TO win, in `core.mail`). Headers are set
through `email.message.EmailMessage`, which refuses a line break in a header, so no text from a
returns file can add a header; file text only ever appears in the bodies (a cell quoted at most
200 characters long), and the HTML body is rendered by Jinja with autoescape on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from pm_pipeline.core.periods import Month, Quarter, ReturnPeriod
from pm_pipeline.core.words import plural
from pm_pipeline.defs.mail.managers import Figure, Published, fourth_week, sign_off_lines
from pm_pipeline.defs.register.model import MailSettings
from pm_pipeline.render.pages import render_html

FOOTER = "This message was sent by pm_pipeline, the council's performance data pipeline."


@dataclass(frozen=True)
class Letter:
    """One e-mail's content before it is a message: who, what, and a table of lines (in the
    plain text, each row a block: its first cell, then each other cell with its column)."""

    to: str
    subject: str
    heading: str
    intro: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    closing: str = ""
    source: str = ""  # where the address comes from, named when it cannot be written to
    greeting: str = ""  # "Dear Amira Khan,"
    to_copy: str = ""  # lines to save as they are (a manager's sign-off lines)
    link_column: str = ""  # the column of web links (linked in the HTML; nothing else is)

    def text(self) -> str:
        lines = [self.heading, ""]
        if self.greeting:
            lines += [self.greeting, ""]
        lines += [self.intro, ""]
        for first, *rest in self.rows:
            lines.append(f"- {first}")
            lines += [f"  {c}: {v}" for c, v in zip(self.columns[1:], rest, strict=True) if v]
        if self.rows:
            lines.append("")
        if self.closing:
            lines += [self.closing, ""]
        if self.to_copy:
            lines += [f"    {line}" for line in self.to_copy.splitlines()] + [""]
        lines.append(FOOTER)
        return "\n".join(lines)

    def message(self, mail: MailSettings | None = None) -> EmailMessage:
        """The message, from and replied to as council.yaml's `mail` says (where it says)."""
        message = EmailMessage()
        message["To"] = self.to
        if mail and mail.sender:
            message["From"] = mail.sender
        if mail and mail.reply_to:
            message["Reply-To"] = mail.reply_to
        message["Subject"] = self.subject
        message.set_content(self.text())
        message.add_alternative(
            render_html("mail_message.html.j2", letter=self, footer=FOOTER, generated_at=""),
            subtype="html",
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


def _found(errors: int, warnings: int) -> str:
    return f"{plural(errors, 'error')} and {plural(warnings, 'warning')}"


def issue_letter(
    owner: str, name: str, quarter: Quarter, issues: list[dict], change: str, team: bool = False
) -> Letter:
    """An owner's list (`name`: theirs, to greet them; `change`: what changed since their
    last list, in words); with `team`, the list of problems in files that return no PI in the
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
            f"These {_found(errors, warnings)} are in files in returns/{quarter.folder}/ that "
            f"return no PI in the register, so no owner could be told (an address typed in a "
            f"file is never written to). {change} Ask whoever saved each file to fix it, or add "
            "its PIs to the register.",
            ISSUE_COLUMNS,
            rows,
            source=TEAM,
            greeting="Dear performance team,",
        )
    return Letter(
        owner,
        f"Your {quarter.label} returns: {errors} to fix, {warnings} to look at",
        f"Your {quarter.label} returns need attention",
        f"The checks on your returns in returns/{quarter.folder}/ found "
        f"{_found(errors, warnings)}. {change} Errors stop the quarter's scorecard being "
        "published until they are fixed; warnings are for you to look at.",
        ISSUE_COLUMNS,
        rows,
        "Fix each error in your file and save it in the same folder, with the same name. The "
        "checks run again within a minute and you will get a new list, or an all-clear.",
        source=_ids(issues, "owner"),
        greeting=f"Dear {name},",
    )


def all_clear_letter(owner: str, name: str, quarter: Quarter, change: str) -> Letter:
    return Letter(
        owner,
        f"Your {quarter.label} returns: all clear",
        f"Your {quarter.label} returns: nothing to fix",
        f"Every check on your returns in returns/{quarter.folder}/ now passes: {change} Thank you.",
        greeting=f"Dear {name},",
    )


def owner_reminder_letter(owner: str, name: str, quarter: ReturnPeriod, rows: list[dict]) -> Letter:
    """The reminder of a quarter's returns not yet given, or a month's (monthly PIs)."""
    start, deadline = quarter.entry_window
    kind = "month" if isinstance(quarter, Month) else "quarter"
    due = plural(len(rows), f"{quarter.label} return")
    return Letter(
        owner,
        f"Reminder: {due} due by {deadline:%-d %B %Y}",
        f"Your {quarter.label} returns are due",
        f"The {kind} has ended. {plural(len(rows), 'This return is', 'These returns are', False)}"
        f" not yet in returns/{quarter.folder}/; please enter "
        f"{plural(len(rows), 'it', 'them', False)} by {deadline:%A %-d %B %Y} (the data-entry "
        f"window opened on {start:%-d %B}).",
        ("PI", "Indicator", "Service"),
        tuple((r["pi_id"], r["title"], r["service"]) for r in rows),
        f"Save your file in the {kind}'s folder; the checks run within a minute.",
        source=_ids(rows, "owner"),
        greeting=f"Dear {name},",
    )


MANAGER_COLUMNS = (
    "PI",
    "Indicator",
    "Figure",
    "Target",
    "RAG",
    "Owner",
    "Owner's note",
    "Returned in",
    "State",
    "Report",
)


def _published_words(quarter: Quarter, scorecard: Published) -> str:
    if scorecard.quarter == quarter:
        return f"Each links to its page in the {quarter.label} scorecard."
    run = quarter.report_run_at - timedelta(days=1)
    after = f"this quarter's is published after the quarterly run at the end of {run:%-d %B}"
    if scorecard.quarter is None:
        return f"No scorecard has been published yet: {after}."
    return (
        f"Each links to its page in the latest published scorecard, {scorecard.quarter.label} "
        f"(trend, benchmarks and last quarter's figure); {after}."
    )


def manager_reminder_letter(
    manager: str,
    name: str,
    quarter: Quarter,
    awaiting: list[Figure],
    queries: list[Figure],
    scorecard: Published,
) -> Letter:
    """A manager's figures to check, each with what they need to decide it, and how to record
    the decision: the sign-off lines to save, ready filled in."""
    rows = tuple(
        (
            f.pi_id,
            f.title,
            f.value,
            f.target,
            f.rag,
            f.owner,
            f.note,
            f.returned,
            f.why,
            f.link,
        )
        for f in awaiting + queries
    )
    to_check = plural(len(awaiting), "figure")
    open_queries = plural(len(queries), "open query", "open queries")
    wait = plural(len(awaiting), "is", "are", number=False)
    intro = (
        f"It is the fourth week after {quarter.label} ended, when managers check their team's "
        f"figures: {to_check} {wait} waiting for your check"
        + (f", and you have {open_queries}." if queries else ".")
        + " "
        + _published_words(quarter, scorecard)
    )
    parts = []
    if awaiting:
        parts.append(
            f"How to approve or query: save the lines below as a CSV file in signoff/"
            f"{quarter.folder}/ (any name, e.g. signoff/{quarter.folder}/decisions.csv). Each "
            "line approves one figure as shown here. To query a figure instead, change approved "
            "to query and say what is wrong in the comment (the owner sees it). checked_at is "
            f"filled in as {fourth_week(quarter):%-d %B} at 08:00, or when the figure shown "
            "came in if later: a decision is for the figure that stood at its checked_at, so a "
            "figure changed after this message needs a new line. The file is read within a "
            "minute."
        )
    if queries:
        parts.append(
            "An open query holds the quarter's report back until the owner resubmits the "
            "figure or you approve it."
        )
    return Letter(
        manager,
        f"{quarter.label}: {to_check} to check, {open_queries}",
        f"{quarter.label}: your team's figures to check",
        intro,
        MANAGER_COLUMNS,
        rows,
        " ".join(parts),
        source=_ids([{"pi_id": f.pi_id} for f in awaiting + queries], "manager"),
        greeting=f"Dear {name},",
        to_copy=sign_off_lines([f.ready for f in awaiting]) if awaiting else "",
        link_column="Report",
    )
