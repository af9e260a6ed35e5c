"""The sample council's corporate plan: deliverables, improvement actions, risks and their
quarterly updates (SAMPLE DATA: synthetic, deterministic).

Written beside the PI returns by `sample.generate`, for whichever quarters it generates (the
history's first quarter may move), so `config/actions.csv`, `config/risks.csv` and each
quarter's `corporate_plan_updates.csv` and `risk_updates.csv` always agree. The story: most
deliverables land on time, three slip (one finishes late, two are carried over into the next
plan year), and the improvement actions answer the weakest PIs — except planning appeals
(PL-03), left without one on purpose so `red_kpi_has_action` has something to say in the demo.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from pm_pipeline.core.files import write_atomic
from pm_pipeline.core.periods import Quarter
from pm_pipeline.sample import catalogue as cat

ACTION_HEADER = [
    "action_id",
    "title",
    "kind",
    "theme",
    "service",
    "owner",
    "manager",
    "start_date",
    "due_date",
    "linked_pis",
    "linked_risks",
]
RISK_HEADER = [
    "risk_id",
    "title",
    "theme",
    "owner",
    "likelihood",
    "impact",
    "appetite",
    "controls",
    "target_likelihood",
    "target_impact",
    "review_date",
    "due_action",
]
ACTION_UPDATE_HEADER = [
    "action_id",
    "status",
    "percent_complete",
    "note",
    "revised_due_date",
    "submitted_by",
    "submitted_at",
]
RISK_UPDATE_HEADER = ["risk_id", "likelihood", "impact", "note", "submitted_by", "submitted_at"]


@dataclass(frozen=True)
class SampleAction:
    action_id: str
    title: str
    kind: str
    theme: str
    service: str
    start: date
    due: date
    linked_pis: tuple[str, ...] = ()
    linked_risks: tuple[str, ...] = ()
    slip_days: int = 0  # finishes this long after its due date (0: on time)


# id | title | kind | theme | service | start | due | linked PIs | linked risks | days late
ACTION_TABLE = """
CP-01|Open the refurbished Riverside leisure centre|deliverable|People|Leisure and Communities|2023-04-01|2024-09-30|||0
CP-02|Adopt the homelessness and rough sleeping strategy|deliverable|People|Housing|2024-04-01|2025-03-31||CR-01|0
CP-03|Deliver 300 affordable homes with registered providers|deliverable|People|Housing|2023-04-01|2026-03-31|HS-04|CR-01|365
CP-04|Roll out food waste collections to every household|deliverable|Place|Waste and Environment|2024-10-01|2026-03-31|WR-01|CR-04|183
CP-05|Adopt the new Local Plan|deliverable|Place|Planning|2023-04-01|2026-06-30||CR-05|456
CP-06|Complete the town centre public realm scheme|deliverable|Place|Policy and Performance|2024-04-01|2025-12-31|||0
CP-07|Launch the business growth grants programme|deliverable|Prosperity|Economic Development|2023-07-01|2024-06-30|||0
CP-08|Open the enterprise hub at the old market hall|deliverable|Prosperity|Economic Development|2025-04-01|2026-12-31||CR-06|0
CP-09|Deliver the skills and apprenticeships pledge|deliverable|Prosperity|Policy and Performance|2024-04-01|2025-09-30|||0
CP-10|Move council tax and benefits online (customer portal)|deliverable|Fit-for-purpose organisation|Customer Services|2023-10-01|2025-06-30|CU-02|CR-07|0
CP-11|Agree a balanced medium-term financial strategy|deliverable|Fit-for-purpose organisation|Finance|2025-04-01|2026-03-31||CR-02|0
CP-12|Deliver the workforce and wellbeing plan|deliverable|Fit-for-purpose organisation|Human Resources|2024-04-01|2027-03-31|HR-01|CR-08|0
IA-01|Cut nights in temporary accommodation: more prevention officers|improvement|People|Housing|2025-10-01|2027-03-31|HS-02;HS-01|CR-01|0
IA-02|Recover Housing Benefit processing times|improvement|People|Benefits|2025-10-01|2027-03-31|HB-01;HB-02|CR-02|0
IA-03|Lift recycling: contamination campaign and new bins|improvement|Place|Waste and Environment|2025-10-01|2027-03-31|WR-01;WR-03|CR-04|0
IA-04|Clear the planning backlog with agency officers|improvement|Place|Planning|2025-10-01|2026-12-31|PL-02|CR-05|0
IA-05|Speed up disabled facilities grants with a framework contractor|improvement|People|Housing|2026-04-01|2027-03-31|HE-01|CR-03|0
IA-06|Answer calls faster: call-back service and peak staffing|improvement|Fit-for-purpose organisation|Customer Services|2026-01-01|2026-12-31|CU-02||0
IA-07|Keep our people: exit interviews, flexible working and a pay review|improvement|Fit-for-purpose organisation|Human Resources|2026-04-01|2027-03-31|HR-02|CR-08|0
"""


def _action(line: str) -> SampleAction:
    aid, title, kind, theme, service, start, due, pis, risks, late = line.split("|")
    return SampleAction(
        aid,
        title,
        kind,
        theme,
        service,
        date.fromisoformat(start),
        date.fromisoformat(due),
        tuple(p for p in pis.split(";") if p),
        tuple(r for r in risks.split(";") if r),
        int(late),
    )


ACTIONS = tuple(_action(line) for line in ACTION_TABLE.strip().splitlines())

# risk_id | title | theme | service (its owner) | likelihood | impact | appetite | controls |
# target likelihood | target impact | next review | due action. CR-07 (cyber) has no open
# action on purpose, so `risk_over_appetite_has_action` warns in the demo once its score
# passes its averse appetite; CR-03's review (June 2026) is overdue by 2026/27 Q2.
RISK_TABLE = """
CR-01|Demand for temporary accommodation outstrips supply|People|Housing|4|4|low|Prevention team; temporary accommodation framework with two providers; weekly demand monitoring|2|4|2026-12-31|IA-01
CR-02|Funding gap in the medium-term financial strategy|Fit-for-purpose organisation|Finance|3|5|low|Medium-term financial strategy refreshed each year; savings programme tracked monthly by CMT; reserves policy|1|5|2027-01-31|CP-11
CR-03|Contractor capacity for housing adaptations|People|Housing|3|3|moderate|Framework contractor for adaptations; quarterly capacity review with the home improvement agency|2|3|2026-06-30|IA-05
CR-04|Recycling market prices and contamination|Place|Waste and Environment|3|3|moderate|Contamination campaign; price clauses in the materials contract|2|3|2026-12-31|IA-03
CR-05|Planning appeals and Local Plan examination|Place|Planning|3|4|low|Agency planning officers; legal review of appeal-prone decisions; Local Plan programme board|2|4|2026-12-31|CP-05
CR-06|Business failures in the town centre|Prosperity|Economic Development|2|3|moderate|Business growth grants; town centre partnership; business rates relief|2|3|2027-03-31|CP-08
CR-07|Cyber attack on council systems|Fit-for-purpose organisation|Customer Services|3|5|averse|Firewalls and endpoint protection; phishing training for all staff; offline backups tested each quarter|1|4|2026-10-31|
CR-08|Recruitment and retention in hard-to-fill posts|Fit-for-purpose organisation|Human Resources|4|3|moderate|Market supplements for hard-to-fill posts; apprenticeships; exit interviews|3|3|2027-03-31|IA-07
"""
RISKS = [line.split("|") for line in RISK_TABLE.strip().splitlines()]

NOTES = {
    "not_started": "Not started yet: the project board approves the plan next quarter.",
    "on_track": "Milestones for the quarter met; the project is on budget.",
    "at_risk": "Behind the plan: contractor capacity is tight, recovery plan agreed with the "
    "project board.",
    "off_track": "Past its original due date; the board agreed a revised date and extra resources.",
    "complete": "Completed and signed off by the project board.",
}


RISK_NOTES = {
    1: "Reviewed at the risk group: likelihood up this quarter; controls being strengthened.",
    0: "Reviewed at the risk group: controls working, no change in the scores.",
    -1: "Reviewed at the risk group: likelihood down this quarter as controls took effect.",
}


def _owners() -> dict[str, str]:
    return {pi.service: pi.owner for pi in cat.CATALOGUE}


def write_plan_register(root: Path) -> None:
    """config/actions.csv and config/risks.csv."""
    owners = _owners()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ACTION_HEADER)
    for a in ACTIONS:
        writer.writerow(
            [
                a.action_id,
                a.title,
                a.kind,
                a.theme,
                a.service,
                owners[a.service],
                cat.manager(a.service),
                a.start.isoformat(),
                a.due.isoformat(),
                ";".join(a.linked_pis),
                ";".join(a.linked_risks),
            ]
        )
    write_atomic(root / "config" / "actions.csv", buffer.getvalue())
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(RISK_HEADER)
    for rid, title, theme, service, *scores in RISKS:
        writer.writerow([rid, title, theme, owners[service], *scores])
    write_atomic(root / "config" / "risks.csv", buffer.getvalue())


def action_state(a: SampleAction, quarter: Quarter) -> tuple[str, int, date | None] | None:
    """(status, % complete, revised due date) at the quarter's end; None before it starts
    or after the quarter it was reported complete."""
    end = quarter.end
    finish = a.due + timedelta(days=a.slip_days)
    if end < a.start or quarter.start > finish:
        return None
    if end >= finish:
        return "complete", 100, finish if a.slip_days else None
    span = (finish - a.start).days or 1
    done = min(95, max(5, 5 * round(20 * (end - a.start).days / span)))
    if not a.slip_days:
        return ("not_started", 0, None) if done <= 5 else ("on_track", done, None)
    planned = min(95, 5 * round(20 * (end - a.start).days / ((a.due - a.start).days or 1)))
    if end > a.due:
        return "off_track", min(done, 90), finish
    return ("at_risk" if planned - done >= 15 else "on_track"), done, None


def _submitted(quarter: Quarter, rng: random.Random) -> str:
    start = quarter.entry_window[0]
    when = datetime.combine(start, datetime.min.time()) + timedelta(
        days=rng.randint(1, 12), hours=rng.randint(9, 16)
    )
    return when.strftime("%d/%m/%Y %H:%M")


def write_plan_updates(root: Path, quarters: Sequence[Quarter], seed: int = 15) -> None:
    """Each quarter's action and risk update files (only quarters with something to say)."""
    rng = random.Random(seed)
    owners = _owners()
    scores = {r[0]: [int(r[4]), int(r[5])] for r in RISKS}
    for quarter in quarters:
        folder = root / "returns" / quarter.folder
        rows = []
        for a in ACTIONS:
            state = action_state(a, quarter)
            if state is None:
                continue
            status, percent, revised = state
            revised_text = revised.strftime("%d/%m/%Y") if revised else ""
            note = NOTES[status]
            rows.append(
                [
                    a.action_id,
                    status,
                    f"{percent}%",
                    note,
                    revised_text,
                    owners[a.service],
                    _submitted(quarter, rng),
                ]
            )
        if rows:
            _write(folder / "corporate_plan_updates.csv", ACTION_UPDATE_HEADER, rows)
        risk_rows = []
        for rid, _title, _theme, service, *_ in RISKS:
            score = scores[rid]
            drift = rng.choice((-1, 0, 0, 0, 1))
            score[0] = min(5, max(1, score[0] + drift))
            risk_rows.append(
                [
                    rid,
                    score[0],
                    score[1],
                    RISK_NOTES[drift],
                    owners[service],
                    _submitted(quarter, rng),
                ]
            )
        _write(folder / "risk_updates.csv", RISK_UPDATE_HEADER, risk_rows)


def _write(path: Path, header: list[str], rows: Sequence[Sequence[object]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue())
