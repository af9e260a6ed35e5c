"""The generated story of each PI: exact sentences for each situation a reader meets."""

import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.reports.narrative import pi_story
from pm_pipeline.render.wording import format_value

Q2 = Quarter(2026, 2)


def row(**overrides: object) -> dict:
    base = {
        "title": "Recycling",
        "unit": "percent",
        "decimals": 1,
        "frequency": "quarterly",
        "type": "kpi",
        "polarity": "higher_is_better",
        "value": 52.3,
        "previous_value": 47.5,
        "direction_vs_previous": "IMPROVING",
        "target": 50.0,
        "rag": "GREEN",
        "status": "final",
        "note": None,
        "rank": None,
        "comparator_count": None,
        "quartile": None,
        "benchmark_period": None,
    }
    return {**base, **overrides}


@pytest.mark.parametrize(
    ("overrides", "story"),
    [
        (
            {},
            "Recycling rose to 52.3% in Q2 from 47.5% in Q1 — an improvement. That is above "
            "the 50.0% target.",
        ),
        (
            {
                "value": 45.0,
                "previous_value": 50.0,
                "direction_vs_previous": "WORSENING",
                "rag": "RED",
            },
            "Recycling fell to 45.0% in Q2 from 50.0% in Q1 — a decline. That is below the 50.0% "
            "target and off track.",
        ),
        (
            {
                "value": 49.0,
                "previous_value": 48.5,
                "direction_vs_previous": "STABLE",
                "rag": "AMBER",
            },
            "Recycling held steady at 49.0% in Q2 (48.5% in Q1). That is just below the 50.0% target.",
        ),
        (
            {"previous_value": None, "direction_vs_previous": "NO_COMPARISON"},
            "Recycling was 52.3% in Q2; there is no earlier figure to compare with. That is above "
            "the 50.0% target.",
        ),
        (
            {
                "type": "place",
                "target": None,
                "rag": "NO_TARGET",
                "polarity": "neutral",
                "direction_vs_previous": "UP",
            },
            "Recycling rose to 52.3% in Q2 from 47.5% in Q1. There is no target for this "
            "place-based indicator.",
        ),
        (
            {
                "value": None,
                "status": "unavailable",
                "note": "The survey moved to November; the figure comes with Q3.",
            },
            "No figure for 2026/27 Q2: the survey moved to November; the figure comes with Q3.",
        ),
        ({"value": None, "status": "missing"}, "No return was made for Recycling in 2026/27 Q2."),
        (
            {"rank": 4, "comparator_count": 16, "quartile": 1, "benchmark_period": "2025/26"},
            "Recycling rose to 52.3% in Q2 from 47.5% in Q1 — an improvement. That is above the "
            "50.0% target. 4th of 16 similar councils (top quartile) in 2025/26.",
        ),
        (
            {
                "unit": "days",
                "polarity": "lower_is_better",
                "title": "Days to process claims",
                "value": 18.5,
                "previous_value": 21.0,
                "target": 20.0,
            },
            "Days to process claims fell to 18.5 days in Q2 from 21.0 days in Q1 — an improvement. "
            "That is below the 20.0 days target.",
        ),
        (
            {"variation": "common cause"},
            "Recycling rose to 52.3% in Q2 from 47.5% in Q1 — an improvement. That is above the "
            "50.0% target. Within its normal range — no real change.",
        ),
        (
            {"variation": "concerning special cause", "target": None},
            "Recycling rose to 52.3% in Q2 from 47.5% in Q1 — an improvement. No target has been "
            "set for 2026/27. A real decline, not noise (a special cause on its SPC chart).",
        ),
        (
            {"variation": "none: only 9 quarters of history; SPC needs 15"},
            "Recycling rose to 52.3% in Q2 from 47.5% in Q1 — an improvement. That is above the "
            "50.0% target.",
        ),
        (
            {"status": "provisional"},
            "Recycling rose to 52.3% in Q2 from 47.5% in Q1 — an improvement. That is above the "
            "50.0% target. The figure is provisional.",
        ),
    ],
)
def test_story(overrides, story):
    assert pi_story(row(**overrides), Q2) == story


def test_the_first_quarter_compares_with_last_years_q4_by_name():
    story = pi_story(row(), Quarter(2026, 1))
    assert story.startswith("Recycling rose to 52.3% in 2026/27 Q1 from 47.5% in 2025/26 Q4")


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "text"),
    [
        (52.34, "percent", 1, "52.3%"),
        (1_020_000, "gbp", 0, "£1.02m"),
        (45_300, "gbp", 0, "£45,300"),
        (18.5, "days", 1, "18.5 days"),
        (1, "days", 0, "1 day"),
        (12345, "count", 0, "12,345"),
        (3.14159, "rate", 2, "3.14"),
        (None, "percent", 1, "no figure"),
    ],
)
def test_numbers_are_written_in_their_unit(value, unit, decimals, text):
    assert format_value(value, unit, decimals) == text
