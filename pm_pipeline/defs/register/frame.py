"""The council's report frame and risk appetite, from `council.yaml` (docs/contracts.md,
"Register files").

A committee paper carries a frame the council writes once: the committee, the portfolio
holder, the author and contact, the recommendations and the implications paragraphs. Every
key is optional, with a default a council can publish as it is. `risk_appetite` maps each
appetite level risks.csv may name to the highest score (likelihood x impact) the council
accepts at that level. Both are kept in `register_council` as JSON, so every report reads
the frame the register was built with.
"""

from __future__ import annotations

import contextlib
import json
import string
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from pm_pipeline.core.periods import Quarter, parse_period_label

# The levels most councils use (HM Treasury's Orange Book and its older scale, and the
# low/moderate/high some registers write), each with the highest score accepted at it.
DEFAULT_APPETITE: dict[str, int] = {
    "averse": 4,
    "minimal": 6,
    "low": 8,
    "cautious": 10,
    "moderate": 12,
    "open": 16,
    "high": 16,
    "eager": 20,
}
PLACEHOLDERS = ("quarter", "committee")
DEFAULT_PURPOSE = (
    "To report the council's performance in {quarter} against its corporate plan: the key "
    "performance indicators and their exceptions, the corporate plan deliverables, the "
    "strategic risks, and how far the figures can be relied on."
)
DEFAULT_RECOMMENDATIONS = (
    "That {committee} notes the council's performance in {quarter}, the exceptions and the "
    "improvement actions being taken on them.",
    "That {committee} notes the strategic risks scored beyond the council's risk appetite and "
    "the actions to bring them within it.",
    "That {committee} refers any indicator it wants examined further to Overview & Scrutiny.",
)
DEFAULT_IMPLICATIONS = (
    (
        "Financial",
        "There are no direct financial implications. Where an improvement action needs "
        "resources, they are agreed through the budget process.",
    ),
    (
        "Legal",
        "There are no direct legal implications. Monitoring performance supports the "
        "council's duty of Best Value (Local Government Act 1999, section 3).",
    ),
    (
        "Equalities",
        "There are no direct equalities implications. Services have regard to the Public "
        "Sector Equality Duty (Equality Act 2010, section 149) when they plan improvement "
        "actions.",
    ),
)
TEXT_KEYS = ("committee", "portfolio_holder", "author", "contact", "purpose", "audit_committee")
FRAME_KEYS = (*TEXT_KEYS, "meeting_dates", "recommendations", "implications")


@dataclass(frozen=True)
class ReportFrame:
    """What a committee paper says about itself; `{quarter}` and `{committee}` in the purpose
    and recommendations are filled in for each report (`for_quarter`)."""

    committee: str = "Cabinet"
    audit_committee: str = "Audit and Risk Committee"  # the governance report's readers
    portfolio_holder: str = "The Cabinet member responsible for performance"
    author: str = "The performance team"
    contact: str = ""
    purpose: str = DEFAULT_PURPOSE
    meeting_dates: tuple[tuple[str, str], ...] = ()  # (quarter key, ISO date)
    recommendations: tuple[str, ...] = DEFAULT_RECOMMENDATIONS
    implications: tuple[tuple[str, str], ...] = DEFAULT_IMPLICATIONS
    defaults: tuple[str, ...] = field(default=FRAME_KEYS)  # the keys council.yaml left out

    def for_quarter(self, quarter: Quarter) -> dict[str, Any]:
        """The frame as the report prints it for one quarter."""
        words = {"quarter": quarter.label, "committee": self.committee}
        meeting = dict(self.meeting_dates).get(quarter.key)
        return {
            "committee": self.committee,
            "audit_committee": self.audit_committee,
            "portfolio_holder": self.portfolio_holder,
            "author": self.author,
            "contact": self.contact,
            "purpose": self.purpose.format(**words),
            "meeting_date": date.fromisoformat(meeting) if meeting else None,
            "recommendations": [r.format(**words) for r in self.recommendations],
            "implications": [{"name": n, "text": t} for n, t in self.implications],
            "defaults": list(self.defaults),
        }

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: object) -> ReportFrame:
        """The frame stored in `register_council` (the defaults for a warehouse written
        before issue 27)."""
        if not isinstance(text, str) or not text:
            return cls()
        raw: dict[str, Any] = json.loads(text)
        return cls(**{k: _tuples(v) for k, v in raw.items()})


def _tuples(value: Any) -> Any:
    """JSON's lists back as the frame's tuples (of tuples)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _placeholders_ok(text: str) -> str | None:
    """What is wrong with the `{...}` in a text, if anything."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        return f"{exc} — write a brace as {{{{ or }}}}"
    unknown = [n for n in names if n not in PLACEHOLDERS]
    if unknown:
        return (
            f"{{{unknown[0]}}} is not a placeholder — use {{quarter}} or {{committee}}, or "
            "write the words out"
        )
    return None


def read_frame(raw: object, file: str) -> tuple[ReportFrame, list[str]]:
    """`report_frame` from council.yaml, and the problems with it (each naming the key)."""
    if raw is None:
        return ReportFrame(), []
    where = f"{file}, key report_frame"
    if not isinstance(raw, dict):
        return ReportFrame(), [
            f"{where}: give the frame as keys ({', '.join(FRAME_KEYS)}), one per line"
        ]
    problems = [
        f"{where}.{key}: not a key of the frame — use {', '.join(FRAME_KEYS)}"
        for key in raw
        if key not in FRAME_KEYS
    ]
    given: dict[str, Any] = {}
    for key in TEXT_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, str | int | float) or not str(value).strip():
            problems.append(f"{where}.{key}: give one line of text, or leave the key out")
            continue
        given[key] = str(value).strip()
        wrong = _placeholders_ok(given[key]) if key == "purpose" else None
        if wrong:
            problems.append(f"{where}.{key}: {wrong}")
    recommendations = raw.get("recommendations")
    if recommendations is not None:
        if not isinstance(recommendations, list) or not all(
            isinstance(r, str) and r.strip() for r in recommendations
        ):
            problems.append(
                f"{where}.recommendations: give a list, one recommendation per `- ` line"
            )
        else:
            given["recommendations"] = tuple(r.strip() for r in recommendations)
            for n, text in enumerate(given["recommendations"], start=1):
                wrong = _placeholders_ok(text)
                if wrong:
                    problems.append(f"{where}.recommendations, item {n}: {wrong}")
    implications = raw.get("implications")
    if implications is not None:
        if not isinstance(implications, dict) or not all(
            isinstance(v, str) and v.strip() for v in implications.values()
        ):
            problems.append(
                f"{where}.implications: give each kind of implication as `name: text` "
                "(financial, legal, equalities ...), each with its paragraph"
            )
        else:
            written = {str(k).strip().capitalize(): v.strip() for k, v in implications.items()}
            others = [(n, t) for n, t in DEFAULT_IMPLICATIONS if n not in written]
            given["implications"] = (*written.items(), *others)
    meetings = raw.get("meeting_dates")
    if meetings is not None:
        dates, wrong_dates = _meeting_dates(meetings, f"{where}.meeting_dates")
        given["meeting_dates"] = dates
        problems += wrong_dates
    defaults = tuple(k for k in FRAME_KEYS if k not in given)
    return ReportFrame(**given, defaults=defaults), problems


def _meeting_dates(raw: object, where: str) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    if not isinstance(raw, dict):
        return (), [f"{where}: give one `2026/27 Q2: 2026-11-19` line per quarter"]
    dates: list[tuple[str, str]] = []
    problems: list[str] = []
    for label, day in raw.items():
        try:
            quarter = parse_period_label(str(label))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if isinstance(day, str):
            with contextlib.suppress(ValueError):  # reported below as not a date
                day = date.fromisoformat(day.strip())
        if not isinstance(day, date):
            problems.append(f"{where}, {label}: '{day}' is not a date — write it as 2026-11-19")
            continue
        dates.append((quarter.key, day.isoformat()))
    return tuple(sorted(dates)), problems


def read_appetite(raw: object, file: str) -> tuple[dict[str, int], list[str]]:
    """`risk_appetite`: level -> the highest score accepted (1-25); the defaults when absent.
    A council that writes its own levels replaces the defaults."""
    if raw is None:
        return dict(DEFAULT_APPETITE), []
    where = f"{file}, key risk_appetite"
    if not isinstance(raw, dict) or not raw:
        return dict(DEFAULT_APPETITE), [
            f"{where}: give each level with the highest score it accepts, one `level: score` "
            "per line (e.g. `averse: 4`)"
        ]
    levels, problems = {}, []
    for level, limit in raw.items():
        name = str(level).strip().casefold()
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 25:
            problems.append(
                f"{where}.{level}: '{limit}' must be a whole number from 1 to 25 (the highest "
                "likelihood x impact score accepted at this level)"
            )
            continue
        levels[name] = limit
    return levels, problems


def appetite_from_json(text: object) -> dict[str, int]:
    """The appetite levels stored in `register_council` (the defaults before issue 27)."""
    if not isinstance(text, str) or not text:
        return dict(DEFAULT_APPETITE)
    return {str(k): int(v) for k, v in json.loads(text).items()}
