"""XmR limits and the Making Data Count rules on short, hand-computed series: each rule kept and
broken, both polarities, ties, missing quarters, assurance against a target, and a re-base."""

import pytest

from pm_pipeline.defs.scorecard import spc
from pm_pipeline.defs.scorecard.spc import Point, Segment

H, L, N = "higher_is_better", "lower_is_better", "neutral"

ALTERNATING = [10.0, 11.0] * 7 + [10.0]  # 15 points, mean 157/15, every moving range 1
SHIFT_UP = [13.0, 9.0] * 4 + [12.0, 13.0, 12.0, 13.0, 12.0, 13.0, 12.0]  # last 7 above 11.67
SIX_UP = [13.0, 9.0] * 4 + [9.0, 12.0, 13.0, 12.0, 13.0, 12.0, 13.0]  # only the last 6 above


def points(values, start=0):
    return [Point(f"Q{start + i}", v) for i, v in enumerate(values)]


def history(values):
    return [(f"Q{i}", v) for i, v in enumerate(values)]


def wide(n, mean=0.0, mmr=10.0):
    """A segment with a hand-set mean and limits far away: only the run rules can fire."""
    return Segment(0, n, mean, mmr)


def test_limits_are_the_mean_plus_or_minus_2_66_mean_moving_ranges():
    chart = spc.xmr(points([10, 12, 11, 13, 9]))
    (seg,) = chart.segments
    assert seg.mean == 11  # 55 / 5
    assert seg.mean_moving_range == pytest.approx(2.25)  # (2 + 1 + 2 + 4) / 4
    assert seg.upper == pytest.approx(11 + 2.66 * 2.25)  # 16.985
    assert seg.lower == pytest.approx(11 - 2.66 * 2.25)  # 5.015


def test_a_point_beyond_a_limit_is_a_special_cause_read_by_polarity():
    values = [10.0, 12.0] * 7 + [20.0]  # mean 174/15 = 11.6, mmr 34/14 = 2.43: upper 18.06
    chart = spc.xmr(points(values))
    assert chart.signals[14] == spc.Signal((spc.BEYOND,), 1)
    assert set(chart.signals) == {14}
    assert spc.read(history(values), H, None).variation == spc.IMPROVING
    assert spc.read(history(values), L, None).variation == spc.CONCERNING
    assert spc.read(history(values), N, None).variation == spc.HIGHER
    low = [10.0, 12.0] * 7 + [1.0]  # mean 10.33, mmr 37/14 = 2.64: lower 3.30
    assert spc.read(history(low), H, None).variation == spc.CONCERNING
    assert spc.read(history(low), L, None).variation == spc.IMPROVING


def test_noise_inside_the_limits_is_common_cause():
    assert spc.xmr(points(ALTERNATING)).signals == {}
    assert spc.read(history(ALTERNATING), H, None).variation == spc.COMMON


def test_seven_in_a_row_above_the_mean_is_a_shift_six_is_not():
    chart = spc.xmr(points(SHIFT_UP))
    assert sorted(chart.signals) == list(range(8, 15))
    assert {s.rules for s in chart.signals.values()} == {(spc.SHIFT,)}
    assert spc.read(history(SHIFT_UP), H, None).variation == spc.IMPROVING
    assert spc.read(history(SHIFT_UP), L, None).variation == spc.CONCERNING
    assert spc.xmr(points(SIX_UP)).signals == {}
    assert spc.read(history(SIX_UP), H, None).variation == spc.COMMON


def test_a_point_on_the_mean_breaks_a_shift():
    kept = spc.rule_hits([1.0] * 7, wide(7))
    assert {i: set(r) for i, r in kept.items()} == {i: {spc.SHIFT} for i in range(7)}
    assert spc.rule_hits([1.0, 1, 1, 0, 1, 1, 1, 1], wide(8)) == {}
    below = spc.rule_hits([-1.0] * 7, wide(7))
    assert {r[spc.SHIFT] for r in below.values()} == {-1}


def test_seven_rising_or_falling_is_a_trend_six_or_a_tie_is_not():
    rising = spc.rule_hits([1.0, 2, 3, 4, 5, 6, 7], wide(7, mean=4))
    assert {i: r for i, r in rising.items()} == {i: {spc.TREND: 1} for i in range(7)}
    falling = spc.rule_hits([7.0, 6, 5, 4, 3, 2, 1], wide(7, mean=4))
    assert {r[spc.TREND] for r in falling.values()} == {-1}
    assert len(falling) == 7
    assert spc.rule_hits([1.0, 2, 3, 4, 5, 6], wide(6, mean=3.5)) == {}
    assert spc.rule_hits([1.0, 2, 3, 3, 4, 5, 6, 7], wide(8, mean=4)) == {}  # a tie breaks it
    # a turn shares its point: 7 rising then 2 falling leaves the rising run a trend
    turned = spc.rule_hits([1.0, 2, 3, 4, 5, 6, 7, 5, 4], wide(9, mean=4.1))
    assert sorted(turned) == list(range(7))


def test_a_rising_trend_reads_as_improving_when_higher_is_better():
    values = [5.0, 4.0] * 4 + [1.0, 2, 3, 4, 5, 6, 7]  # mean 4.07; no point beyond a limit
    chart = spc.xmr(points(values))
    assert chart.signals[14].rules == (spc.TREND,)
    assert spc.read(history(values), H, None).variation == spc.IMPROVING
    assert spc.read(history(values), L, None).variation == spc.CONCERNING


def test_two_of_three_near_a_limit_on_one_side():
    seg = wide(4, mean=0, mmr=3)  # near beyond 2/3 × 2.66 × 3 = 5.32; upper 7.98
    hits = spc.rule_hits([1.0, 6, 1, 6], seg)
    assert {i: r for i, r in hits.items()} == {1: {spc.TWO_OF_THREE: 1}, 3: {spc.TWO_OF_THREE: 1}}
    low = spc.rule_hits([-6.0, -1, -6], wide(3, mean=0, mmr=3))
    assert {r[spc.TWO_OF_THREE] for r in low.values()} == {-1}
    assert spc.rule_hits([6.0, -1, 6], wide(3, mean=0, mmr=3)) == {}  # not on one side
    assert spc.rule_hits([6.0, 1, 1], wide(3, mean=0, mmr=3)) == {}  # only one near


def test_a_missing_quarter_is_skipped_and_the_run_carries_across_it():
    gappy = [*history(SHIFT_UP[:11]), ("gap", None), *history(SHIFT_UP[11:])]
    reading = spc.read(gappy, H, None)
    assert reading.variation == spc.IMPROVING
    assert reading.chart is not None and len(reading.chart.points) == 15
    assert "gap" not in [p.label for p in reading.chart.points]


def test_fewer_than_15_points_gives_no_chart_and_says_why():
    short = [*history(ALTERNATING[:13]), ("gap", None), ("now", 10.0)]
    reading = spc.read(short, H, 10.0)
    assert reading.chart is None
    assert reading.variation == "none: only 14 quarters of history; SPC needs 15"
    assert reading.assurance == reading.variation
    annual = spc.read(history([1.0, 2, 3]), H, None, annual=True)
    assert annual.variation == "none: only 3 years of history; SPC needs 15"
    assert spc.read([*history(ALTERNATING), ("now", None)], H, 1.0).variation.startswith("none")


@pytest.mark.parametrize(
    ("polarity", "target", "expected"),
    [
        (H, 14.0, spc.FAILING),  # limits 7.81 to 13.13: the process cannot reach 14
        (H, 7.0, spc.PASSING),
        (H, 10.5, spc.HIT_AND_MISS),
        (L, 14.0, spc.PASSING),
        (L, 7.0, spc.FAILING),
        (L, 13.0, spc.HIT_AND_MISS),
        (H, None, "none: no target"),
        (N, 10.0, "none: no better direction"),
    ],
)
def test_assurance_compares_the_target_with_the_process_limits(polarity, target, expected):
    assert spc.read(history(ALTERNATING), polarity, target).assurance == expected


def test_a_rebase_starts_new_limits_and_the_chart_shows_the_break():
    values = [50.0, 51.0, 50.0, 51.0, 50.0, *ALTERNATING]  # the process fell by 40 at Q5
    assert spc.read(history(values), H, None).variation == spc.CONCERNING  # 15 below one mean
    reading = spc.read(history(values), H, 12.0, rebase={"Q5": "new contract"})
    assert reading.variation == spc.COMMON
    assert reading.assurance == spc.HIT_AND_MISS
    assert reading.chart is not None
    first, second = reading.chart.segments
    assert (first.start, first.end, first.reason) == (0, 5, None)
    assert (second.start, second.end, second.reason) == (5, 20, "new contract")
    assert second.mean == pytest.approx(157 / 15)
    assert first.mean == pytest.approx(50.4)


def test_too_few_points_since_a_rebase_says_so():
    values = [*ALTERNATING, 20.0, 21.0, 20.0]
    reading = spc.read(history(values), H, None, rebase={"Q15": "service moved in-house"})
    assert reading.chart is None
    assert reading.variation == (
        "none: only 3 quarters since its limits were re-based in Q15; SPC needs 15"
    )


def test_a_point_beyond_a_limit_is_not_close_to_it_for_two_of_three():
    """NHSR's close_to_limits excludes a point outside the limits: beyond + close + ordinary on
    one side is not two of three (the point beyond is a special cause by itself)."""
    seg = wide(3, mean=0, mmr=3)  # close beyond 5.32, limit 7.98
    broken = spc.rule_hits([9.0, 6, 1], seg)
    assert broken == {0: {spc.BEYOND: 1}}
    kept = spc.rule_hits([9.0, 6, 6], seg)  # two close as well: those two are two of three
    assert kept == {0: {spc.BEYOND: 1}, 1: {spc.TWO_OF_THREE: 1}, 2: {spc.TWO_OF_THREE: 1}}


def test_a_point_where_two_trends_meet_takes_the_later_one():
    """NHSR's "use right side": the peak of 7 rising then 7 falling reads as falling."""
    values = [1.0, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1]
    hits = spc.rule_hits(values, wide(13, mean=4.0, mmr=100.0))
    assert hits[6][spc.TREND] == -1
    assert {hits[i][spc.TREND] for i in range(6)} == {1}


def test_when_rules_disagree_the_trend_names_the_point_before_the_shift():
    """Seven falling figures above the mean: a shift up and a trend down. In NHSR's order the
    trend wins, so for a higher-is-better PI it is a concern (shift first read improving)."""
    values = [3.0, 9.0] * 4 + [14.0, 13.5, 13.0, 12.5, 12.0, 11.5, 11.0]
    assert spc.read(history(values), H, None).variation == spc.CONCERNING
    assert spc.read(history(values), L, None).variation == spc.IMPROVING
    assert spc.read(history(values), N, None).variation == spc.LOWER


ROLLING = "a rolling 12-month figure: runs are the window"


def test_a_rolling_figure_gets_limits_but_no_run_rules():
    assert spc.read(history(SHIFT_UP), H, None).variation == spc.IMPROVING  # a shift, normally
    rolling = spc.read(history(SHIFT_UP), H, None, no_runs=ROLLING)
    assert rolling.variation == spc.COMMON
    assert rolling.chart is not None and rolling.chart.signals == {}
    assert rolling.note == ROLLING
    assert rolling.rebase_proposal is None  # a run is the window: nothing to re-base
    beyond = [10.0, 12.0] * 7 + [20.0]  # a point beyond a limit still counts
    assert spc.read(history(beyond), H, None, no_runs=ROLLING).variation == spc.IMPROVING
    trend = [5.0, 4.0] * 4 + [1.0, 2, 3, 4, 5, 6, 7]
    assert spc.read(history(trend), H, None, no_runs=ROLLING).variation == spc.COMMON


def test_limits_are_drawn_within_what_the_figure_can_be():
    values = [97.0, 100.0] * 7 + [99.0]  # a percentage: limits 98.5 ± 2.66 × 2.86 = 90.9, 106.1
    kept = spc.read(history(values), H, 95.0)
    assert kept.chart is not None and not kept.chart.capped
    capped = spc.read(history(values), H, 95.0, bounds=(0.0, 100.0))
    assert capped.chart is not None and capped.chart.capped
    (seg,) = capped.chart.segments
    assert seg.upper > 100  # as calculated: the rules and assurance use it, as NHSR does
    assert capped.chart.shown_limits(seg) == (pytest.approx(seg.lower), 100.0)
    assert capped.assurance == kept.assurance == spc.HIT_AND_MISS


LEVEL_THEN_LOWER = [14.0, 16.0] * 8 + [11.0, 12.0, 11.0, 12.0, 11.0, 12.0, 11.0, 12.0, 11.0]


def test_a_shift_over_the_latest_points_proposes_a_rebase_and_assurance_is_not_judged():
    reading = spc.read(history(LEVEL_THEN_LOWER), L, 20.0)  # 25 points, the last 9 below
    assert reading.rebase_proposal == spc.Proposal("Q16", 9, -1)
    assert (
        str(reading.rebase_proposal) == "a run of 9 points below the mean since Q16: re-base here?"
    )
    assert reading.assurance == "none: not judged, the process changed in Q16"
    assert reading.variation == spc.IMPROVING  # the shift itself is still a real change
    no_target = spc.read(history(LEVEL_THEN_LOWER), L, None)
    assert no_target.rebase_proposal is not None and no_target.assurance == "none: no target"


def test_no_proposal_when_the_run_is_short_or_over():
    six = LEVEL_THEN_LOWER[:-3]  # the last 6 below the mean
    assert spc.read(history(six), L, 20.0).rebase_proposal is None
    assert spc.read(history(six), L, 20.0).assurance == spc.PASSING
    over = [*LEVEL_THEN_LOWER, 16.0]  # the latest figure is back above the mean
    reading = spc.read(history(over), L, 20.0)
    assert reading.rebase_proposal is None and not reading.assurance.startswith("none")


def test_a_confirmed_rebase_at_the_proposal_clears_it():
    values = [30.0, 32.0] * 5 + [*ALTERNATING]  # 10 at one level, then 15 lower
    proposed = spc.read(history(values), H, 7.0)
    assert proposed.rebase_proposal == spc.Proposal("Q10", 15, -1)
    confirmed = spc.read(history(values), H, 7.0, rebase={"Q10": "new contract"})
    assert confirmed.rebase_proposal is None
    assert confirmed.assurance == spc.PASSING  # judged again, on the new limits (7.8 to 13.1)
