"""The messages owners and managers get: plain text plus accessible HTML, one per person.

Headers are set through `email.message.EmailMessage`, which refuses a line break in a header,
so no text from a returns file can add a header; file text only ever appears in the bodies,
and the HTML body is rendered by Jinja with autoescape on.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

from pm_pipeline.core.periods import Quarter
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


def issue_letter(owner: str, quarter: Quarter, issues: list[dict], update: int) -> Letter:
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
    )


def all_clear_letter(owner: str, quarter: Quarter, update: int) -> Letter:
    return Letter(
        owner,
        f"Your {quarter.label} returns: all clear",
        f"Your {quarter.label} returns: nothing to fix",
        f"The problems in your returns in returns/{quarter.folder}/ are fixed: every check "
        f"passes (list update {update}). Thank you.",
    )


def owner_reminder_letter(owner: str, quarter: Quarter, rows: list[dict]) -> Letter:
    start, deadline = quarter.entry_window
    return Letter(
        owner,
        f"Reminder: {len(rows)} {quarter.label} return(s) due by {deadline:%-d %B %Y}",
        f"Your {quarter.label} returns are due",
        f"The quarter has ended. These returns are not yet in returns/{quarter.folder}/; "
        f"please enter them by {deadline:%A %-d %B %Y} (the data-entry window opened on "
        f"{start:%-d %B}).",
        ("PI", "Indicator", "Service"),
        tuple((r["pi_id"], r["title"], r["service"]) for r in rows),
        "Save your file in the quarter's folder; the checks run within a minute.",
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
    )
