"""On the sample's built cycle, the counts the reports print name what they count and agree:
the management report, the outstanding-returns list and the scorecard count the same PI
returns, plan updates and restated figures; the State of the District prints one population,
one employment rate and one claimant rate; every count agrees with its noun ("1 indicator");
the service report holds each service's indicators in that service's section; people are shown
by name, not address; and the managers' e-mail shows each figure and how to decide it."""

from __future__ import annotations

import email
import email.policy
import html as html_text
import re
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline.render.wording import format_value, rag_label
from pm_pipeline_tests.council import query
from pm_pipeline_tests.mail.smtp import body
from pm_pipeline_tests.reports.conftest import Demo

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.slow, pytest.mark.timeout(900)]

LATEST = Quarter(2026, 2)


@pytest.fixture(scope="module")
def demo(sample_demo: Demo) -> Path:
    """The demo's data directory (the demo runs once per worker: reports/conftest.py)."""
    assert sample_demo.code == 0, sample_demo.output
    return sample_demo.data


def text(path: Path) -> str:
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", path.read_text(), flags=re.S)
    return " ".join(html_text.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_management_report_and_outstanding_list_count_the_same_things(demo: Path) -> None:
    folder = demo / "reports" / LATEST.folder
    management = text(folder / "management_report.html")
    outstanding = text(folder / "outstanding_returns.html")
    received = re.search(
        r"Received: (\d+) of (\d+) PI returns, (\d+) of (\d+) action updates and (\d+) of (\d+) "
        r"risk updates due for 2026/27 Q2\.",
        management,
    )
    assert received, management
    got, pis, got_actions, actions, got_risks, risks = map(int, received.groups())
    assert (got, got_actions, got_risks) == (pis, actions, risks)  # the sample is complete
    assert (
        f"All {pis} PI returns, {actions} action updates and {risks} risk updates due for "
        "2026/27 Q2 have been received." in outstanding
    )
    # PI returns owed: the PIs the scorecard scores this quarter, less those taken from an
    # official statistic (none are due at Q2: PB-04 and PB-05 are annual), the four monthly PIs,
    # scored from their months and owed a return in each month's folder, and ME-01, WF-01 and
    # WF-02 for the service scorecard's customers and people (issue 28)
    scored = query(demo, "SELECT count(*) FROM kpi_scorecard WHERE period = ?", LATEST.key)
    monthly = query(demo, "SELECT count(*) FROM register_indicators WHERE frequency = 'monthly'")
    assert (pis, scored[0][0], monthly[0][0]) == (40, 44, 4)


def test_restated_figures_agree_with_the_scorecard(demo: Path) -> None:
    folder = demo / "reports" / LATEST.folder
    management = text(folder / "management_report.html")
    restated = query(
        demo,
        "SELECT pi_id FROM kpi_scorecard WHERE period = ? AND restated ORDER BY pi_id",
        LATEST.key,
    )
    assert restated == [("WR-01",)]
    assert "1 figure restated since first reported (WR-01; the scorecard shows both values)" in (
        management
    )
    assert re.search(r"Waste and Environment 8 8 8 1 ", management), management
    assert "Re-submitted" not in management
    scorecard = text(folder / "kpi_scorecard.html")
    assert "49.1%" in scorecard and "52.3%" in scorecard  # both values, as the report says


def test_state_of_the_district_prints_one_population_and_one_employment_rate(demo: Path) -> None:
    page = text(demo / "reports" / "2026-27-H1" / "state_of_the_district.html")
    populations = set(re.findall(r"\b1\d\d,\d\d\d mid-20\d\d\b", page))
    assert "108,243 mid-2025" in populations
    # PB-05's latest is the report's own population figure: no other figure for mid-2025.
    assert {p for p in populations if p.endswith("mid-2025")} == {"108,243 mid-2025"}
    assert "141,500" not in page
    rates = set(re.findall(r"(\d\d\.\d)% Jul 2025-Jun 2026", page))
    assert rates == {"74.6"}
    assert "79.1%" not in page
    # ED-04 is checked against the claimant rate: the report prints the published figure once,
    # and the owner's provisional 3.4% is a warning for the data team, not a second value.
    assert set(re.findall(r"(\d\.\d)% September 2026", page)) == {"3.3"}
    assert query(
        demo, "SELECT pi_id, period, value FROM quality_issues WHERE rule = 'statistic_agrees'"
    ) == [("ED-04", LATEST.key, "3.4%")]


# the nouns the reports count; "1 <noun>s" anywhere is a plural gone wrong
COUNTED = (
    "indicator", "council", "quarter", "period", "figure", "issue", "error", "warning",
    "deliverable", "return", "update", "link", "id", "day", "hour", "file", "action", "risk",
)  # fmt: skip


def test_every_count_agrees_with_its_noun(demo: Path) -> None:
    wrong = re.compile(rf"(?<![\d.,])1 (?:PI |action |risk )?(?:{'|'.join(COUNTED)})s\b")
    pages = sorted((demo / "reports").glob("**/*.html"))
    assert len(pages) > 8
    found = {p.name: wrong.findall(text(p)) for p in pages}
    assert {name: hits for name, hits in found.items() if hits} == {}
    service = text(demo / "reports" / LATEST.folder / "service_report.html")
    assert "Benefits: 1 indicator, 2026/27 Q2" in service  # HB-02 alone
    assert "Waste and Environment: 4 indicators, 2026/27 Q2" in service


class Sections(HTMLParser):
    """Each PI's section and the group section (a service) it sits in, with its heading."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[dict[str, str | None]] = []
        self.pi_group: dict[str, str | None] = {}
        self.headings: dict[str, str] = {}
        self._heading: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section":
            if found.get("class") == "pi":
                groups = [s for s in self.open if s.get("class") == "group"]
                self.pi_group[str(found["id"]).removeprefix("pi-")] = (
                    groups[-1]["aria-labelledby"] if groups else None
                )
            self.open.append(found)
        if tag == "h3" and found.get("id"):
            self._heading = found["id"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.open.pop()
        if tag == "h3":
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading:
            self.headings[self._heading] = self.headings.get(self._heading, "") + data


def test_the_service_report_holds_each_services_indicators_in_its_section(demo: Path) -> None:
    page = (demo / "reports" / LATEST.folder / "service_report.html").read_text()
    sections = Sections()
    sections.feed(page)
    services = dict(
        query(
            demo,
            "SELECT s.pi_id, r.service FROM kpi_scorecard s JOIN register_indicators r "
            "USING (pi_id) WHERE s.period = ? AND s.type = 'service'",
            LATEST.key,
        )
    )
    assert set(sections.pi_group) == set(services)  # every service indicator, in detail
    placed = {
        pid: sections.headings.get(group or "", "").strip()
        for pid, group in sections.pi_group.items()
    }
    assert placed == services  # each inside the section headed with its own service
    assert placed["HE-01"] == "Housing"  # the "HE" indicator is Housing's too
    # the exceptions name each indicator's service, as the sections are headed
    exceptions = text_of(page, 'id="exceptions"', 'id="by-service"')
    assert "HE-01 Disabled facilities grants completed (Housing)" in exceptions
    assert "(People)" not in exceptions


def text_of(page: str, start: str, end: str) -> str:
    part = page[page.index(start) : page.index(end)]
    return " ".join(html_text.unescape(re.sub(r"<[^>]+>", " ", part)).split())


ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
CONTACT = "performance@sample-district.example"  # the committee papers' contact: a mailbox


def shown_text(path: Path) -> str:
    """What a reader of a report, list or sheet sees: a page's words (not a mailto link's
    target), a spreadsheet's cells, a CSV's text."""
    if path.suffix == ".html":
        return text(path)
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        cells = (
            c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row
        )
        return " ".join(str(c) for c in cells if c is not None)
    return path.read_text(encoding="utf-8", errors="replace")


def test_people_are_shown_by_name_not_address(demo: Path) -> None:
    """Every report, list and sheet names an owner or manager as people.csv does; the only
    address on show is the contact the committee papers give to write to."""
    reports = demo / "reports"
    shown = {
        str(p.relative_to(reports)): set(ADDRESS.findall(shown_text(p))) - {CONTACT}
        for p in sorted(reports.rglob("*"))
        if p.suffix in (".html", ".csv", ".xlsx", ".txt", ".log")
    }
    assert len(shown) > 50
    assert {name: hits for name, hits in shown.items() if hits} == {}
    folder = reports / LATEST.folder
    scorecard = text(folder / "kpi_scorecard.html")
    assert "Owner Amira Khan, Housing options officer Manager's check" in scorecard
    assert (
        "Checked by Kate Morgan, Deputy Head of Housing (delegate for David Hughes, Head of "
        "Housing) on 22 October 2026 (recorded by file)." in scorecard
    )
    listed = text(folder / "quality" / "priya.shah@sample-district.example.html")
    assert listed.startswith("Data quality issues for Priya Shah, Planning performance officer")
    sheet = openpyxl.load_workbook(folder / "kpi_scorecard.xlsx", read_only=True)
    rows = list(sheet["Scorecard"].iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "PI")
    owners = {r[0]: r[header.index("Owner")] for r in rows[rows.index(header) + 1 :] if r[0]}
    assert owners["HS-01"] == "Amira Khan, Housing options officer"
    risks = list(sheet["Risks"].iter_rows(values_only=True))
    assert ("CR-01", "Amira Khan, Housing options officer") in {(r[0], r[3]) for r in risks}


def emails(demo: Path) -> dict[str, EmailMessage]:
    outbox = demo / "reports" / LATEST.folder / "outbox"
    parsed = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in outbox.glob("*.eml")
    ]
    return {str(m["To"]): m for m in parsed}  # type: ignore[misc]


def test_the_managers_email_shows_each_figure_and_how_to_decide_it(demo: Path) -> None:
    sent = emails(demo)
    # three owners' lists, three managers' reminders (Mark Evans's: the four monthly PIs' quarters)
    assert len(sent) == 6
    for message in sent.values():
        assert message["From"] == f"Sample District Council performance team <{CONTACT}>"
        assert message["Reply-To"] == CONTACT and message["Date"]
        words = message["Subject"] + body(message)
        assert "(s)" not in words and "(ies)" not in words and "list update" not in words
        greeting = re.search(r"^Dear (.+),$", body(message), re.M)
        assert greeting and "@" not in greeting[1]
    manager = sent["james.wright@sample-district.example"]
    assert manager["Subject"] == "2026/27 Q2: 1 figure to check, 0 open queries"
    said = body(manager)
    (row,) = query(
        demo,
        "SELECT s.title, s.value, s.target, s.rag, r.note FROM kpi_scorecard s JOIN pi_returns r "
        "USING (period, pi_id) WHERE s.period = ? AND s.pi_id = 'PL-02'",
        LATEST.key,
    )
    title, value, target, rag, note = row
    for line in (
        "Dear James Wright,",
        "- PL-02",
        f"  Indicator: {title}",
        f"  Figure: {format_value(value, 'percent')}",
        f"  Target: {format_value(target, 'percent')}",
        f"  RAG: {rag_label(rag)}",
        "  Owner: Priya Shah, Planning performance officer",
        f"  Owner's note: {note}",
        "  Returned in: 2026-27-Q2/planning.csv row 3",
        "  Report: https://intranet.sample-district.example/performance/reports/2026-27-Q2/"
        "kpi_scorecard.html#pi-PL-02",
        "    pi_id,decision,checked_by,checked_at,comment",
        # PL-02 came in on 28 October at 16:05, after the reminder's morning
        "    PL-02,approved,james.wright@sample-district.example,28/10/2026 16:05,",
    ):
        assert f"\n{line}\n" in said, line
    assert "change approved to query and say what is wrong in the comment" in said
    html = body(manager, "html")
    assert (
        '<a href="https://intranet.sample-district.example/performance/reports/2026-27-Q2/' in html
    )
    assert "PL-02,approved,james.wright@sample-district.example,28/10/2026 16:05," in html
