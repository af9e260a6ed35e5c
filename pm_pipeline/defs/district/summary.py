"""What changed in six months, in sentences, and the sources the report used."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import pandas as pd

from pm_pipeline.core.values import is_missing
from pm_pipeline.core.words import plural
from pm_pipeline.defs.district.catalogue import DATASET_NAMES
from pm_pipeline.defs.district.figures import Comparison, format_figure, format_plain, rank_words
from pm_pipeline.defs.district.inputs import MOVES
from pm_pipeline.render.wording import QUARTILE_WORDS


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _change_sentence(now: Comparison) -> str:
    """ "Employment rate (aged 16-64) rose from 72.4% (...) to 73.5% (...). That is the 14th best
    of 16 similar councils (bottom quartile; median 75.9%). England: 76.3%."."""
    f = now.figure
    old = format_figure(f, now.previous_value, now.previous_out_of)
    new = format_figure(f, now.value, now.out_of)
    if f.change or is_missing(now.previous_value):
        text = f"{f.label} was {new} in {now.period}."
    elif round(cast(float, now.value), f.decimals) == round(now.previous_value, f.decimals):
        text = f"{f.label} was unchanged at {new} ({now.period})."
    else:
        verb = "rose" if cast(float, now.value) > now.previous_value else "fell"
        text = f"{f.label} {verb} from {old} ({now.previous_period}) to {new} ({now.period})."
    if now.rank is not None:
        notes = [QUARTILE_WORDS[now.quartile]] if now.quartile else []
        if not is_missing(now.median):
            notes.append(f"median {format_plain(f, now.median)}")
        text += f" That is the {rank_words(now.rank, f.order)} of {now.count} similar councils"
        text += f" ({'; '.join(notes)})." if notes else "."
    if not is_missing(now.england):
        text += f" England: {format_plain(f, now.england)}."
    return text


def release_sentences(now: dict[str, Comparison], before: dict[str, Comparison]) -> list[str]:
    """What was published since the last report, and what was not."""
    new: dict[str, str | None] = {}
    unchanged: list[str] = []
    for key, result in now.items():
        if not result.available:
            continue
        name = DATASET_NAMES.get(result.figure.dataset, result.figure.dataset)
        if result.period != before[key].period:
            new.setdefault(name, result.period)
        elif name not in unchanged:
            unchanged.append(name)
    unchanged = [n for n in unchanged if n not in new]
    out = []
    if new:
        out.append(
            "New figures since the last report: "
            + "; ".join(f"{name} for {period}" for name, period in new.items())
            + "."
        )
    else:
        out.append("No new place statistics have been published since the last report.")
    if unchanged:
        out.append(f"Unchanged since the last report: {_join(unchanged)}.")
    return out


def pi_summary(themes: list[dict]) -> list[str]:
    rows = [r for t in themes for r in t["rows"]]
    if not rows:
        return []
    moved = [r for r in rows if r["new_this_half"] and r["direction"] in MOVES]
    counts = {
        word: sum(1 for r in moved if MOVES[r["direction"]] == word) for word in MOVES.values()
    }
    parts = [f"{n} {word}" for word, n in counts.items() if n]
    n_all = len(rows)
    kind = plural(n_all, "place-based and contextual indicator", number=False)
    if not moved:
        return [
            f"None of the council's {n_all} {kind} can be compared with six months earlier yet."
        ]
    out = [
        f"Of the council's {n_all} {kind}, {len(moved)} can be compared with six months "
        f"earlier: {_join(parts)}."
    ]

    def size(r: dict) -> float:
        return abs(r["value"] - r["before"]) / abs(r["before"]) if r["before"] else math.inf

    for direction, words in (
        ("IMPROVING", "largest improvement"),
        ("WORSENING", "largest decline"),
    ):
        found = sorted((r for r in moved if r["direction"] == direction), key=size, reverse=True)
        if found:
            r = found[0]
            out.append(
                f"The {words}: {r['title']}, from {r['six_text']} ({r['six_period']}) to "
                f"{r['latest_text']} ({r['latest_period']})."
            )
    return out


def summary_sentences(
    now: dict[str, Comparison], before: dict[str, Comparison], themes: list[dict]
) -> list[str]:
    """The plain-English "what has changed in six months", generated from the figures."""
    out = release_sentences(now, before)
    for key, result in now.items():
        if result.figure.headline and result.available and result.period != before[key].period:
            out.append(_change_sentence(result))
    out += pi_summary(themes)
    return out


def _periods_words(periods: Sequence[str]) -> str:
    if len(periods) <= 4:
        return ", ".join(periods)
    return f"{periods[0]} to {periods[-1]} ({plural(len(periods), 'period')})"


def sources_view(context: pd.DataFrame) -> list[dict]:
    """One entry per source: its tables, periods, first release date and files."""
    if context.empty:
        return []
    out = []
    for source, rows in context.groupby("source", sort=True):
        periods = rows.drop_duplicates("period").sort_values("period_end")["period"]
        out.append(
            {
                "source": source,
                "datasets": ", ".join(sorted(set(rows["dataset"]))),
                "periods": _periods_words(list(periods)),
                "available": min(pd.to_datetime(rows["available_from"])).date(),
                "files": [
                    {"file": f, "sample": "sample" in f.casefold()}
                    for f in sorted(set(rows["source_file"]))
                ],
            }
        )
    return out
