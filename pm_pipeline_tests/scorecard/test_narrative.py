"""The one sentence of each PI (scorecard/narrative.py): exact sentences for each situation a
reader meets, and every combination of readings checked for contradictions."""

import itertools

import pandas as pd
import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.register.model import POLARITIES, Council, Register
from pm_pipeline.defs.scorecard import narrative, rules, spc
from pm_pipeline.defs.scorecard.narrative import pi_story
from pm_pipeline.render.wording import direction_label, format_value, rag_label

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


UP = "Recycling rose to 52.3% in Q2 from 47.5% in Q1: an improvement on last quarter."


@pytest.mark.parametrize(
    ("overrides", "story"),
    [
        ({}, f"{UP} That is above the 50.0% target."),
        (
            {
                "value": 45.0,
                "previous_value": 50.0,
                "direction_vs_previous": "WORSENING",
                "rag": "RED",
            },
            "Recycling fell to 45.0% in Q2 from 50.0% in Q1: a decline on last quarter. That is "
            "below the 50.0% target and off track.",
        ),
        (
            {
                "value": 49.0,
                "previous_value": 48.5,
                "direction_vs_previous": "STABLE",
                "rag": "AMBER",
            },
            "Recycling held steady on last quarter at 49.0% in Q2 (48.5% in Q1). That is just "
            "below the 50.0% target.",
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
            f"{UP} That is above the 50.0% target. 4th of 16 similar councils (top quartile) in "
            "2025/26.",
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
            "Days to process claims fell to 18.5 days in Q2 from 21.0 days in Q1: an improvement "
            "on last quarter. That is below the 20.0 days target.",
        ),
        (
            {"variation": "common cause"},
            f"{UP} But the change is within its normal range: ordinary variation, not a real "
            "change. That is above the 50.0% target.",
        ),
        (
            {"variation": "concerning special cause", "target": None},
            f"{UP} But against its normal range it is a real decline, not noise: a special cause "
            "on its SPC chart. No target has been set for 2026/27.",
        ),
        (
            {
                "variation": "none: only 9 quarters of history; SPC needs 15",
                "assurance": "none: only 9 quarters of history; SPC needs 15",
            },
            f"{UP} No SPC reading: only 9 quarters of history; SPC needs 15. That is above the "
            "50.0% target.",
        ),
        (
            {"status": "provisional"},
            f"{UP} That is above the 50.0% target. The figure is provisional.",
        ),
        # HB-01 / IT-01 in the demo: Green, and a target the normal range says it will miss
        (
            {
                "variation": "improving special cause",
                "assurance": "consistently failing",
                "spc_rules": ("shift",),
            },
            f"{UP} Against its normal range it is a real improvement, not noise: it has stayed "
            "above its average for 7 or more figures running. That is above the 50.0% target "
            "this quarter, but its normal range lies below the target: expect it to miss most "
            "quarters unless the process changes.",
        ),
        # HS-01 in the demo: steady on last quarter, a real improvement over the longer run
        (
            {
                "value": 52.3,
                "previous_value": 52.0,
                "direction_vs_previous": "STABLE",
                "rag": "RED",
                "target": 55.0,
                "variation": "improving special cause",
                "assurance": "hit and miss",
                "spc_rules": ("shift", "trend"),
            },
            "Recycling held steady on last quarter at 52.3% in Q2 (52.0% in Q1). But against its "
            "normal range it is a real improvement, not noise: it has stayed above its average "
            "for 7 or more figures running and it has risen for 7 or more figures in a row. That "
            "is below the 55.0% target and off track; its normal range spans the target: expect "
            "it to meet it in some quarters and miss it in others.",
        ),
        (
            {"assurance": "consistently passing", "variation": "common cause"},
            f"{UP} But the change is within its normal range: ordinary variation, not a real "
            "change. That is above the 50.0% target, and its normal range lies wholly above the "
            "target: it can be relied on to keep meeting it.",
        ),
        # helper spc's "not judged": a shift the data team has not yet confirmed as a re-base
        (
            {
                "variation": "improving special cause",
                "assurance": "none: not judged, the process changed in 2024/25 Q3",
                "spc_rules": ("shift",),
            },
            f"{UP} Against its normal range it is a real improvement, not noise: it has stayed "
            "above its average for 7 or more figures running. That is above the 50.0% target. "
            "Whether it will meet the target is not judged: the process changed in 2024/25 Q3, "
            "and until the data team confirms a re-base there, the old limits do not describe it.",
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


# Every combination a reader can meet: the badges (RAG, direction, SPC variation and
# assurance) and the one sentence beside them must never contradict each other.
DIRECTIONS = (
    rules.IMPROVING,
    rules.WORSENING,
    rules.STABLE,
    rules.UP,
    rules.DOWN,
    rules.NO_COMPARISON,
)
RAGS = (rules.GREEN, rules.AMBER, rules.RED, rules.NO_TARGET, rules.NO_DATA)
VARIATIONS = (
    spc.IMPROVING,
    spc.CONCERNING,
    spc.COMMON,
    spc.HIGHER,
    spc.LOWER,
    "none: only 9 quarters of history; SPC needs 15",
    "none: not judged, the process changed in 2024/25 Q3",
)
ASSURANCES = (
    spc.PASSING,
    spc.FAILING,
    spc.HIT_AND_MISS,
    "none: no target",
    "none: no better direction",
    "none: only 9 quarters of history; SPC needs 15",
    "none: not judged, the process changed in 2024/25 Q3",
)
REAL_CHANGE = ("a real improvement", "a real decline", "a real rise", "a real fall")
SPC_SPECIAL = ("SPC: improving", "SPC: concerning", "SPC: special cause")
# (phrases, other phrases, the explanation that must be present when one of each appears;
# None: they may never appear together)
CONTRADICTIONS = [
    (("held steady", "Stable on"), (*REAL_CHANGE, *SPC_SPECIAL), "But against its normal range"),
    (("an improvement on", "Improving on"), ("a real decline", "SPC: concerning"), "But against"),
    (("a decline on", "Worsening on"), ("a real improvement", "SPC: improving"), "But against"),
    (
        ("an improvement on", "a decline on", " rose to ", " fell to "),
        ("no real change", "ordinary variation", "SPC: common cause"),
        "But the change is within its normal range",
    ),
    (
        ("Green", "meets the"),
        ("Target: consistently failing", "expect it to miss most quarters"),
        "but its normal range lies",
    ),
    (
        ("Red", "Amber", "off track", "just below the", "just above the"),
        ("Target: consistently passing", "relied on"),
        "a quarter off target is unusual",
    ),
    (("No SPC reading",), (*REAL_CHANGE, "within its normal range"), None),
    (("Target: hit and miss",), ("relied on", "keep missing it", "miss most quarters"), None),
    (("none:",), ("",), None),  # a "none: <reason>" reading is always put in words
    (
        ("Target: not judged",),
        ("relied on", "keep missing it", "miss most quarters", "spans"),
        None,
    ),
]


def reader_line(
    direction: str, rag: str, variation: str, assurance: str, polarity: str
) -> tuple[str, str]:
    """What a reader sees of one PI: its badges' words, and its one sentence."""
    if rag == rules.NO_DATA:  # no figure: what the scorecard stores (nothing to compare)
        direction, variation = rules.NO_COMPARISON, "none: no figure this period"
        assurance = variation
    higher = polarity != "lower_is_better"
    rising = direction == rules.UP or (direction == rules.IMPROVING) == higher
    value, previous = (52.3, 47.5) if rising else (47.5, 52.3)
    if direction == rules.STABLE:
        previous = 52.0 if higher else 52.6
    if direction == rules.NO_COMPARISON:
        previous = None
    gap = {rules.GREEN: -2.0, rules.AMBER: 1.0, rules.RED: 5.0}.get(rag)
    target = None if gap is None else value + (gap if higher else -gap)
    scored = rag in (rules.GREEN, rules.AMBER, rules.RED, rules.NO_DATA)
    story = pi_story(
        row(
            type="kpi" if scored else "place",
            polarity=polarity,
            value=None if rag == rules.NO_DATA else value,
            previous_value=previous,
            direction_vs_previous=direction,
            rag=rag,
            target=target,
            variation=variation,
            assurance=assurance,
            status="missing" if rag == rules.NO_DATA else "final",
            spc_rules=(spc.SHIFT,),
        ),
        Q2,
    )
    v_symbol = narrative.variation_symbol(variation, polarity)
    a_symbol = narrative.assurance_symbol(assurance)
    badges = " ".join(
        [
            rag_label(rag),
            f"{direction_label(direction)} {narrative.compared_words(False)}",
            v_symbol.label if v_symbol else "No SPC reading",
            a_symbol.label
            if a_symbol
            else "Target: not judged"
            if assurance.startswith("none: not judged")
            else "",
        ]
    )
    return badges, story


def contradictions(badges: str, story: str) -> list[str]:
    line = f"{badges} | {story}"
    found = []
    for one, other, explanation in CONTRADICTIONS:
        a = [p for p in one if p in line]
        b = [p for p in other if p in (story if p == "" else line)]
        if one == ("none:",):
            a = [p for p in one if p in story]
        if a and b and (explanation is None or explanation not in story):
            found.append(f"{a[0]!r} beside {b[0]!r}")
    return found


def test_no_combination_of_readings_contradicts_itself():
    seen = 0
    problems = []
    for direction, rag, variation, assurance, polarity in itertools.product(
        DIRECTIONS, RAGS, VARIATIONS, ASSURANCES, POLARITIES
    ):
        badges, story = reader_line(direction, rag, variation, assurance, polarity)
        seen += 1
        for problem in contradictions(badges, story):
            problems.append(
                f"{direction}/{rag}/{variation}/{assurance}/{polarity}: {problem}\n  {story}"
            )
    assert seen == 6 * 5 * 7 * 7 * 3
    assert problems == [], "\n".join(problems[:10])


def test_the_contradiction_rules_catch_a_sentence_that_breaks_them():
    """The check itself can fail: yesterday's wording of HS-01 and HB-01 breaks it."""
    old_hs01 = (
        "Households prevented from becoming homeless held steady at 96 in Q2 (101 in Q1). That "
        "is below the 104 target and off track. A real improvement, not noise (a special cause "
        "on its SPC chart)."
    )
    assert contradictions(
        "Red Stable on last quarter SPC: improving", old_hs01.replace("A real", "a real")
    )
    old_hb01 = (
        "Claims fell to 16.1 days in Q2 from 18.8 days in Q1. That is below the 17.3 days target."
    )
    assert contradictions("Green Improving on last quarter Target: consistently failing", old_hb01)
    assert contradictions("Green", "No SPC reading: none: only 3 quarters.")


def test_the_key_states_the_bands_and_names_a_pi_with_its_own():
    council = Council("Testshire", "E07000999", "E12000004", ("Place",), stable_band_pct=5.0)
    indicators = pd.DataFrame(
        [
            {"pi_id": "EN-02", "unit": "percent", "stable_band": None},
            {"pi_id": "WR-03", "unit": "rate", "stable_band": 10.0},
        ]
    )
    register = Register(council, indicators, pd.DataFrame(), pd.DataFrame())
    assert narrative.stable_band_text(register) == (
        "1 percentage point for percentages, 5% of the earlier figure for everything else "
        "(indicators with their own band: WR-03 10%)"
    )
    register.indicators = indicators.assign(stable_band=None)
    assert narrative.stable_band_text(register).endswith("for everything else")


def test_the_state_of_the_district_words_its_six_month_movement_with_the_same_function():
    def fmt(v):
        return format_value(v, "percent", 1)

    when = ("2026/27 Q2", "2025/26 Q4")
    assert narrative.movement(
        "Town centre vacant units", 13.5, 12.7, rules.STABLE, when, "over six months", fmt
    ) == (
        "Town centre vacant units held steady over six months at 13.5% in 2026/27 Q2 (12.7% in "
        "2025/26 Q4)."
    )
