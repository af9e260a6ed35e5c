"""NHSRplotthedots' own test cases, ported: our rules must flag the same points as NHS England's
reference implementation (github.com/nhs-r-community/NHSRplotthedots, the files named on each
test). NHSR's helpers take 0/1 flags ("close to limits", "relative to mean"); here the same
patterns are made from values around a hand-set mean, with a limit far enough away (or close
enough) that only the rule under test can fire."""

import pytest

from pm_pipeline.defs.scorecard import spc
from pm_pipeline.defs.scorecard.spc import Chart, Point, Segment


def seg(n: int, mean: float = 0.0, mmr: float = 10.0) -> Segment:
    return Segment(0, n, mean, mmr)


def flagged(values, segment, rule):
    """{index: direction} of the points `rule` marks."""
    return {i: r[rule] for i, r in spc.rule_hits(values, segment).items() if rule in r}


# tests/testthat/test-ptd_calculate_point_type.R, "ptd_seven_point_one_side_mean works as
# expected", with ptd_part_of_seven_trend over it (a point is part of a run of 7)
@pytest.mark.parametrize(
    ("sides", "expected"),
    [
        ([1] * 6, {}),
        ([1] * 6 + [-1], {}),
        ([1] * 8 + [-1], dict.fromkeys(range(8), 1)),
        ([-1] * 8 + [1], dict.fromkeys(range(8), -1)),
    ],
)
def test_seven_points_one_side_of_the_mean(sides, expected):
    values = [float(s) for s in sides]
    assert flagged(values, seg(len(values)), spc.SHIFT) == expected


# test-ptd_calculate_point_type.R, "ptd_seven_point_trend works as expected", with
# ptd_part_of_seven_trend (every point of the seven is part of the trend)
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 2, 3, 4, 5, 6], {}),
        ([1, 2, 3, 3, 4, 5, 6], {}),  # c(1:3, 3:6): a tie breaks it
        ([1, 2, 3, 4, 5, 6, 7], dict.fromkeys(range(7), 1)),
        ([2, 1, 2, 3, 4, 5, 6, 7, 3], dict.fromkeys(range(1, 8), 1)),  # c(2, 1:7, 3)
        ([7, 6, 5, 4, 3, 2, 1], dict.fromkeys(range(7), -1)),
        ([2, 7, 6, 5, 4, 3, 2, 1, 3], dict.fromkeys(range(1, 8), -1)),  # c(2, 7:1, 3)
    ],
)
def test_seven_point_trend(values, expected):
    values = [float(v) for v in values]
    assert flagged(values, seg(len(values), mean=4.0, mmr=100.0), spc.TREND) == expected


def two_in_three_values(close, relative_to_mean):
    """NHSR's flags as values: mean 0, mean moving range 3 (close beyond 5.32, limit 7.98)."""
    return [(6.0 if c else 1.0) * r for c, r in zip(close, relative_to_mean, strict=True)]


# test-ptd_calculate_point_type.R, "ptd_two_in_three works as expected" and "ptd_part_of_two_in_
# three works as expected": the points flagged are the close ones (ptd_part_of_two_in_three)
@pytest.mark.parametrize(
    ("close", "relative_to_mean", "expected"),
    [
        ([1, 0, 1], [1, 1, 1], {0, 2}),
        ([0, 1, 1], [1, 1, 1], {1, 2}),
        ([1, 1, 0], [1, 1, 1], {0, 1}),
        ([0, 0, 1, 0, 1, 0, 0], [1] * 7, {2, 4}),
        ([0, 0, 1, 1, 0, 0, 0], [1] * 7, {2, 3}),
        ([1, 0, 0, 1], [1] * 4, set()),
        ([1, 0, 0, 1, 1], [1] * 5, {3, 4}),
        # "... when points are on opposite sides of the mean"
        ([1, 0, 1], [1, -1, 1], set()),
        ([0, 1, 1], [1, -1, 1], set()),
        ([1, 1, 0], [1, -1, 1], set()),
        ([0, 0, 1, 0, 1, 0, 0], [1, -1, 1, -1, 1, -1, 1], set()),
        ([0, 0, 1, 1, 0, 0, 0], [-1, 1, -1, 1, -1, 1, -1], set()),
    ],
)
def test_two_in_three_close_to_a_limit(close, relative_to_mean, expected):
    values = two_in_three_values(close, relative_to_mean)
    assert set(flagged(values, seg(len(values), mmr=3.0), spc.TWO_OF_THREE)) == expected


def test_two_in_three_on_opposite_sides_of_the_mean_is_common_cause():
    """tests/testthat/test-ptd_spc_standard.R, "it only reports special cause for 2of3 points
    close to limits when they are on the same side of the mean"."""
    data = [1.0, -1.0] * 8
    data[14], data[15] = 5.5, -5.5  # data[15] and data[16] in R
    chart = spc.xmr([Point(f"P{i}", v) for i, v in enumerate(data)])
    assert 14 not in chart.signals and 15 not in chart.signals
    (segment,) = chart.segments
    assert segment.near < 5.5 < segment.upper  # both close to a limit, neither beyond


def test_the_first_rule_in_nhsr_order_names_a_point():
    """test-ptd_calculate_point_type.R, "ptd_special_cause_type works as expected": outside the
    limits, then a 7-point trend, then 2 in 3, then 7 on one side (its case_when order)."""
    assert spc.RULE_ORDER == (spc.BEYOND, spc.TREND, spc.TWO_OF_THREE, spc.SHIFT)
    # seven falling points all above the mean: a shift up and a trend down; the trend names it
    values = [3.0, 9.0] * 4 + [14.0, 13.5, 13.0, 12.5, 12.0, 11.5, 11.0]
    chart = spc.xmr([Point(f"P{i}", v) for i, v in enumerate(values)])
    assert chart.signals[14] == spc.Signal((spc.TREND, spc.SHIFT), -1)


@pytest.mark.parametrize(
    ("lower", "upper", "increase", "decrease"),
    [
        (1.0, 3.0, spc.FAILING, spc.PASSING),
        (5.0, 7.0, spc.PASSING, spc.FAILING),
        (1.0, 5.0, spc.HIT_AND_MISS, spc.HIT_AND_MISS),
    ],
)
def test_assurance_against_the_limits(lower, upper, increase, decrease):
    """tests/testthat/test-ptd_calculate_assurance_type.R: target 4 against each pair of limits,
    for "increase" and "decrease"; "neutral" gives no assurance."""
    mean = (lower + upper) / 2
    chart = Chart((Point("P0", mean),), (Segment(0, 1, mean, (upper - mean) / spc.LIMIT_FACTOR),))
    assert spc.assurance_of(chart, "higher_is_better", 4.0) == increase
    assert spc.assurance_of(chart, "lower_is_better", 4.0) == decrease
    assert spc.assurance_of(chart, "neutral", 4.0) == "none: no better direction"


def test_no_outlier_screening_unlike_nhsr_s_default():
    """test-ptd_spc_standard.R screens moving ranges of 3.267 × the mean moving range or more
    by default (screen_outliers = TRUE); the Making Data Count Excel tools do not, nor do we:
    a big jump widens the limits."""
    values = [10.0, 11.0] * 7 + [40.0]
    (segment,) = spc.xmr([Point(f"P{i}", v) for i, v in enumerate(values)]).segments
    assert segment.mean_moving_range == pytest.approx((13 * 1 + 29) / 14)  # the 29 counts
