"""The scoring rules (docs/contracts.md, "Scoring rules"), table-driven: each rule kept and
broken."""

import math

import pytest

from pm_pipeline.core.values import round_at
from pm_pipeline.defs.scorecard import rules
from pm_pipeline.defs.scorecard.rules import QuarterScore, benchmark_position, direction, rag

H, L, N = "higher_is_better", "lower_is_better", "neutral"
RELATIVE = rules.StableBand(5.0, points=False)
POINTS = rules.StableBand(1.0, points=True)


@pytest.mark.parametrize(
    ("value", "target", "polarity", "pi_type", "decimals", "amber", "expected"),
    [
        (50.0, 50.0, H, "kpi", 1, None, "GREEN"),
        (49.96, 50.0, H, "kpi", 1, None, "GREEN"),  # 50.0 at one decimal
        (49.94, 50.0, H, "kpi", 1, None, "AMBER"),  # 49.9 at one decimal
        (47.5, 50.0, H, "kpi", 1, None, "AMBER"),  # threshold 47.5 = 50 × 0.95
        (47.4, 50.0, H, "kpi", 1, None, "RED"),
        (45.0, 50.0, H, "service", 0, 45.0, "AMBER"),  # explicit amber threshold
        (44.0, 50.0, H, "management", 0, 45.0, "RED"),
        (20.0, 20.0, L, "kpi", 1, None, "GREEN"),
        (21.0, 20.0, L, "kpi", 1, None, "AMBER"),  # threshold 21 = 20 × 1.05
        (21.1, 20.0, L, "kpi", 1, None, "RED"),
        (19.0, 20.0, L, "kpi", 1, None, "GREEN"),
        (2.5, 2.0, L, "kpi", 0, None, "RED"),  # 2.5 rounds to 3 (half away from zero)
        (2.4, 2.0, L, "kpi", 0, None, "GREEN"),  # 2.4 rounds to 2
        (80.0, 50.0, H, "contextual", 1, None, "NO_TARGET"),
        (80.0, None, H, "place", 1, None, "NO_TARGET"),
        (80.0, None, H, "kpi", 1, None, "NO_TARGET"),
        (None, 50.0, H, "kpi", 1, None, "NO_DATA"),
        (float("nan"), 50.0, H, "kpi", 1, None, "NO_DATA"),
    ],
)
def test_rag(value, target, polarity, pi_type, decimals, amber, expected):
    assert rag(value, target, polarity, pi_type, decimals, 5.0, amber) == expected


@pytest.mark.parametrize(
    ("value", "before", "polarity", "expected"),
    [
        (105.0, 100.0, H, "STABLE"),  # exactly the 5% band
        (105.1, 100.0, H, "IMPROVING"),
        (94.9, 100.0, H, "WORSENING"),
        (94.9, 100.0, L, "IMPROVING"),
        (105.1, 100.0, L, "WORSENING"),
        (105.1, 100.0, N, "UP"),
        (94.9, 100.0, N, "DOWN"),
        (-10.0, -20.0, H, "IMPROVING"),  # change measured against |before|
        (1.0, 0.0, H, "IMPROVING"),  # from zero any change is a move
        (0.0, 0.0, H, "STABLE"),
        (-1.0, 0.0, L, "IMPROVING"),
        (5.0, None, H, "NO_COMPARISON"),
        (None, 5.0, H, "NO_COMPARISON"),
    ],
)
def test_direction_of_travel(value, before, polarity, expected):
    assert direction(value, before, polarity, 1, RELATIVE) == expected


def test_direction_compares_at_the_pis_rounding():
    # 10.04 -> 10.0 and 10.56 -> 10.6: a 6% rise at one decimal (5.2% unrounded is also > 5)
    assert direction(10.56, 10.04, H, 1, RELATIVE) == "IMPROVING"
    # 100.4 vs 95.6 at 0 decimals: 100 vs 96 = 4.2%, stable; unrounded it would be 5.02%
    assert direction(100.4, 95.6, H, 0, RELATIVE) == "STABLE"


@pytest.mark.parametrize(
    ("value", "before", "expected"),
    [
        (92.5, 96.1, "WORSENING"),  # EN-02: a 3.6-point fall, 3.7% relative (once "Stable")
        (95.1, 96.1, "STABLE"),  # exactly 1 point
        (95.0, 96.1, "WORSENING"),
        (13.5, 12.7, "STABLE"),  # ED-03 over six months: 0.8 points (6.3% relative)
        (2.2, 1.0, "IMPROVING"),  # small rates: 1.2 points, not "120%"
        (1.0, 0.0, "STABLE"),  # from zero: a point is a point
    ],
)
def test_a_percentage_moves_in_percentage_points(value, before, expected):
    assert direction(value, before, H, 1, POINTS) == expected
    assert direction(92.5, 96.1, H, 1, RELATIVE) == "STABLE"  # the old reading it replaces


@pytest.mark.parametrize(
    ("unit", "override", "expected"),
    [
        ("percent", None, rules.StableBand(1.0, points=True)),  # council.yaml stable_band_points
        ("percent", 2.5, rules.StableBand(2.5, points=True)),  # the PI's own, in points
        ("count", None, rules.StableBand(5.0, points=False)),  # stable_band_pct, relative
        ("days", 10.0, rules.StableBand(10.0, points=False)),
        ("rate", float("nan"), rules.StableBand(5.0, points=False)),  # blank in the register
    ],
)
def test_the_band_is_the_pis_own_or_the_councils_by_unit(unit, override, expected):
    assert rules.stable_band(unit, override, 1.0, 5.0) == expected
    assert expected.describe() in ("1 percentage point", "2.5 percentage points", "5%", "10%")


PEERS = {"A": 40.0, "B": 50.0, "C": 50.0, "D": 60.0, "E": 70.0, "F": None, "G": 30.0, "H": 45.0}


@pytest.mark.parametrize(
    ("own", "polarity", "rank", "quartile", "median", "best"),
    [
        # 7 peers with values + us = 8. Higher is better: 70, 60, 50, 50 are above 48
        (48.0, H, 5, 3, 50.0, 70.0),
        (80.0, H, 1, 1, 50.0, 70.0),
        (50.0, H, 3, 2, 50.0, 70.0),  # ties share the best rank: 70, 60 above, so 3rd
        (20.0, H, 8, 4, 50.0, 70.0),
        # Lower is better: 30, 40, 45 below 48
        (48.0, L, 4, 2, 50.0, 30.0),
        (50.0, L, 4, 2, 50.0, 30.0),  # shares 4th with B and C
        (99.0, L, 8, 4, 50.0, 30.0),
    ],
)
def test_benchmark_position_hand_computed(own, polarity, rank, quartile, median, best):
    position = benchmark_position(own, PEERS, polarity)
    assert (position.rank, position.count, position.quartile) == (rank, 8, quartile)
    assert (position.comparator_median, position.comparator_best) == (median, best)


def test_benchmark_position_needs_a_value_peers_and_a_polarity():
    assert benchmark_position(None, PEERS, H) is None
    assert benchmark_position(5.0, PEERS, N) is None
    assert benchmark_position(5.0, {"A": None}, H) is None
    assert benchmark_position(5.0, {"A": 4.0, "B": 6.0}, H).comparator_median == 5.0


def score(rag_: str, dot: str = "STABLE", quartile=None, value=50.0, target=50.0, polarity=H):
    return QuarterScore(rag_, dot, quartile, value, target, polarity, 5.0)


@pytest.mark.parametrize(
    ("history", "year", "expected"),
    [
        ([score("GREEN")], [], []),
        ([score("GREEN"), score("RED")], [], ["RED", "FELL_TWO_LEVELS"]),
        ([score("AMBER"), score("RED")], [], ["RED"]),
        (
            [score("GREEN", "WORSENING"), score("GREEN", "WORSENING")],
            [],
            ["WORSENING_TWO_QUARTERS"],
        ),
        ([score("GREEN", "IMPROVING"), score("GREEN", "WORSENING")], [], []),
        ([score("GREEN", quartile=4)], [], ["GREEN_BOTTOM_QUARTILE"]),
        ([score("AMBER", quartile=4)], [], []),
        (
            [score("GREEN", value=60)],
            [score("GREEN", value=60), score("GREEN", value=61)],
            ["SOFT_TARGET"],
        ),
        ([score("GREEN", value=60)], [score("GREEN", value=60), score("GREEN", value=54)], []),
        (
            [score("GREEN", value=60)],
            [score("GREEN", value=60)],
            [],
        ),  # one quarter is not a pattern
        (
            [score("GREEN", value=38, polarity=L)],
            [score("GREEN", value=38, polarity=L), score("GREEN", value=39, polarity=L)],
            ["SOFT_TARGET"],
        ),
    ],
)
def test_exceptions(history, year, expected):
    assert rules.exceptions(history, year) == expected


def test_round_at_is_half_away_from_zero():
    assert round_at(2.25, 1) == 2.3
    assert round_at(-2.25, 1) == -2.3
    assert round_at(2.675, 2) == 2.68
    assert math.copysign(1, round_at(-0.04, 1)) == 1.0  # no negative zero
