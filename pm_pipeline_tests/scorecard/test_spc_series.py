"""config/spc_rebase.csv read and checked; a PI's reading from quarterly figures; the XmR chart
says in words everything it draws."""

import re

import pandas as pd
import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.values import is_missing
from pm_pipeline.defs.register.model import Council
from pm_pipeline.defs.scorecard import spc
from pm_pipeline.defs.scorecard.build import ScorecardInputs, build_scorecard
from pm_pipeline.defs.scorecard.spc_series import (
    CUMULATIVE_NOTE,
    ROLLING_NOTE,
    RebaseError,
    limit_bounds,
    pi_reading,
    read_rebase,
    rebase_by_pi,
    runs_off,
)
from pm_pipeline.render.xmr_chart import xmr_chart

LATEST = Quarter(2026, 2)
PI = {"pi_id": "WR-03", "frequency": "quarterly", "polarity": "lower_is_better"}


def write_rebase(tmp_path, text):
    (tmp_path / "spc_rebase.csv").write_text(text, encoding="utf-8")
    return tmp_path


def test_no_rebase_file_means_no_rebase(tmp_path):
    assert read_rebase(tmp_path, {"WR-03"}).empty


def test_a_good_rebase_file_is_read_by_quarter_key(tmp_path):
    folder = write_rebase(tmp_path, "PI_ID, From_Quarter ,Reason\nwr-03,2022/23 Q2,New contract\n")
    frame = read_rebase(folder, {"WR-03"})
    assert frame.to_dict("records") == [
        {"pi_id": "WR-03", "from_quarter": "2022-07-01", "reason": "New contract"}
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("XX-99,2022/23 Q2,New contract", "spc_rebase.csv row 2, column pi_id: 'XX-99' is not"),
        ("WR-03,July 2022,New contract", "spc_rebase.csv row 2, column from_quarter:"),
        ("WR-03,2022/23 Q2,", "spc_rebase.csv row 2, column reason: say why"),
    ],
)
def test_a_bad_rebase_row_names_file_row_and_column(tmp_path, row, message):
    folder = write_rebase(tmp_path, f"pi_id,from_quarter,reason\n{row}\n")
    with pytest.raises(RebaseError, match=message):
        read_rebase(folder, {"WR-03"})


def quarterly(values):
    """Figures for the quarters ending with LATEST (None: no figure)."""
    quarters = LATEST.history(len(values))
    return {(q.key, "WR-03"): v for q, v in zip(quarters, values, strict=True)}, quarters


def test_a_rebase_on_a_quarter_without_a_figure_starts_at_the_next_figure(tmp_path):
    values, quarters = quarterly([50.0, 51.0, 50.0, None, *([10.0, 11.0] * 8)])
    folder = write_rebase(tmp_path, f"pi_id,from_quarter,reason\nWR-03,{quarters[3].label},New\n")
    reading = pi_reading(PI, LATEST, values, 14.0, rebase_by_pi(read_rebase(folder, {"WR-03"})))
    assert reading.chart is not None
    _, second = reading.chart.segments
    assert reading.chart.points[second.start].label == quarters[4].label
    assert (second.reason, second.end - second.start) == ("New", 16)
    assert reading.variation == spc.COMMON
    assert reading.assurance == spc.PASSING  # lower is better; limits 7.84 to 13.16


def test_an_annual_pi_reads_only_its_year_end_figures():
    values, _ = quarterly([float(i) for i in range(24)])
    annual = {**PI, "frequency": "annual"}
    reading = pi_reading(annual, Quarter(2025, 4), values, None, {})
    assert reading.variation == "none: only 6 years of history; SPC needs 15"


def test_the_chart_draws_limits_a_break_and_says_every_figure_in_words():
    points = [(f"2021/22 Q{i + 1}" if i < 4 else f"P{i}", 10.0 + i % 2, None) for i in range(15)]
    points[-1] = ("2026/27 Q2", 20.0, "concern_high")
    chart = xmr_chart(
        "xmr-WR-03",
        "WR-03 Missed bins: signal or noise",
        points,
        [(0, 5, 10.4, 8.0, 12.8, None), (5, 15, 11.5, 7.1, 15.9, "new contract")],
        12.0,
        "rate",
        1,
    )
    assert chart.svg.count('class="mark"') == 15
    assert ">re-based</text>" in chart.svg
    assert ">H</text>" in chart.svg  # the concerning point is lettered H (high), not just orange
    assert "Re-based from P5 (new contract): mean 11.5, process limits 7.1 to 15.9." in chart.alt
    assert "Special causes: 2026/27 Q2 20.0 (concerning special cause, high)." in chart.alt
    assert all(f"{label}: {value:.1f}" in chart.alt for label, value, _ in points)
    hostile = xmr_chart("x", "<script>", points, [(0, 15, 1, 0, 2, None)], None, "rate", 1)
    assert "<script" not in hostile.svg


@pytest.mark.parametrize(
    ("pi", "bounds"),
    [
        ({"unit": "percent"}, (0.0, 100.0)),
        ({"unit": "percent", "valid_min": 50.0, "valid_max": 120.0}, (50.0, 100.0)),
        ({"unit": "count", "valid_min": float("nan")}, (0.0, None)),
        ({"unit": "days", "valid_min": 0.0, "valid_max": 120.0}, (0.0, 120.0)),
        ({"unit": "gbp", "valid_min": -5000.0}, (-5000.0, None)),  # the register may allow less
        ({"unit": "rate"}, (None, None)),
    ],
)
def test_the_limits_are_bounded_by_the_unit_and_the_register(pi, bounds):
    assert limit_bounds(pi) == bounds


@pytest.mark.parametrize(
    ("extra", "note"),
    [
        ({}, None),  # a register from before the columns
        ({"rolling": float("nan"), "measure": None}, None),
        ({"rolling": False, "measure": "ratio"}, None),
        ({"rolling": True}, ROLLING_NOTE),
        ({"rolling": "yes"}, ROLLING_NOTE),
        ({"measure": "cumulative"}, CUMULATIVE_NOTE),
    ],
)
def test_rolling_and_year_to_date_pis_skip_the_run_rules(extra, note):
    assert runs_off({**PI, **extra}) == note


def test_a_rolling_pi_reads_no_runs_and_its_chart_says_why():
    values, _ = quarterly([13.0, 9.0] * 4 + [12.0, 13.0] * 4)  # the last 8 above the mean
    assert pi_reading(PI, LATEST, values, None, {}).variation == spc.CONCERNING
    reading = pi_reading({**PI, "rolling": True}, LATEST, values, None, {})
    assert reading.variation == spc.COMMON and reading.note == ROLLING_NOTE
    assert reading.rebase_proposal is None


def test_a_percentage_limit_is_drawn_at_100_and_labelled():
    values, _ = quarterly([97.0, 100.0] * 8)
    pct = {**PI, "unit": "percent", "polarity": "higher_is_better"}
    reading = pi_reading(pct, LATEST, values, 95.0, {})
    assert reading.chart is not None
    (seg,) = reading.chart.segments
    assert seg.upper > 100 and reading.chart.shown_limits(seg)[1] == 100.0
    points = [(p.label, p.value, None) for p in reading.chart.points]
    chart = xmr_chart(
        "xmr-PL-01",
        "PL-01: signal or noise",
        points,
        [(0, 16, seg.mean, seg.lower, seg.upper, None)],
        95.0,
        "percent",
        1,
        bounds=(reading.chart.floor, reading.chart.ceiling),
    )
    assert chart.svg.count(">(capped)</text>") == 1  # under the upper limit's label only
    assert "to 100.0% (upper limit capped at 100.0%, the most the figure can be" in chart.alt
    assert f"the most the figure can be; calculated {seg.upper:.1f}%)." in chart.alt
    ticks = [float(t) for t in re.findall(r'text-anchor="end"[^>]*>([\d.]+)%<', chart.svg)]
    assert ticks and max(ticks) <= 100  # the axis stops at 100%: nothing drawn above it


def test_the_chart_writes_why_a_rolling_figure_has_no_runs():
    points = [(f"P{i}", 10.0 + i % 2, None) for i in range(15)]
    plain = xmr_chart("x", "t", points, [(0, 15, 10.5, 8.0, 13.0, None)], None, "rate", 1)
    noted = xmr_chart(
        "x", "t", points, [(0, 15, 10.5, 8.0, 13.0, None)], None, "rate", 1, note=ROLLING_NOTE
    )
    assert 'class="note"' not in plain.svg
    assert noted.svg.count('class="note"') >= 2  # wrapped under the chart
    assert "A rolling 12-month figure: each point shares eleven months with the last" in noted.alt


def scorecard_inputs(values: list[float], rebase: str = "") -> ScorecardInputs:
    """HB-01-like: days, lower is better, a target of 20 for every year."""
    quarters = LATEST.history(len(values))
    indicators = pd.DataFrame(
        [
            {
                "pi_id": "HB-01",
                "title": "Days to process new claims",
                "type": "kpi",
                "theme": "People",
                "service": "Benefits",
                "owner": "a@b.example",
                "manager": None,
                "unit": "days",
                "polarity": "lower_is_better",
                "frequency": "quarterly",
                "decimals": 1,
                "valid_min": 0.0,
                "valid_max": 120.0,
                "lginform_metric": None,
                "oflog_metric": None,
            }
        ]
    )
    years = sorted({q.financial_year.label for q in quarters})
    targets = pd.DataFrame(
        [
            {"pi_id": "HB-01", "financial_year": y, "target": 20.0, "amber_threshold": None}
            for y in years
        ]
    )
    returns = pd.DataFrame(
        [
            {"period": q.key, "pi_id": "HB-01", "value": v, "note": None, "status": "final"}
            for q, v in zip(quarters, values, strict=True)
        ]
    )
    rows = [r.split(",", 2) for r in rebase.splitlines() if r]
    return ScorecardInputs(
        council=Council("Testshire", "E07000999", "E12000004", ("People",)),
        indicators=indicators,
        targets=targets,
        returns=returns,
        benchmarks=pd.DataFrame(),
        comparators=pd.DataFrame(columns=["area_code"]),
        restatements=pd.DataFrame(columns=["period", "pi_id"]),
        rebase=pd.DataFrame(rows, columns=["pi_id", "from_quarter", "reason"]),
    )


def test_the_scorecard_stores_the_proposal_and_a_confirming_row_clears_it(tmp_path):
    values = [22.0, 24.0] * 5 + [12.0, 13.0] * 7  # 24 quarters: the last 14 lower
    scorecard, _ = build_scorecard(scorecard_inputs(values), LATEST)
    (row,) = scorecard.to_dict("records")
    since = LATEST.history(24)[10].label
    assert row["spc_rebase_proposal"] == (
        f"a run of 14 points below the mean since {since}: re-base here?"
    )
    assert row["assurance"] == f"none: not judged, the process changed in {since}"
    assert row["variation"] == spc.IMPROVING  # a real fall in days, and it says so
    folder = write_rebase(tmp_path, f"pi_id,from_quarter,reason\nHB-01,{since},New system\n")
    confirmed = scorecard_inputs(values)
    confirmed.rebase = read_rebase(folder, {"HB-01"})
    (row,) = build_scorecard(confirmed, LATEST)[0].to_dict("records")
    assert is_missing(row["spc_rebase_proposal"])
    assert (
        row["assurance"]
        == f"none: only 14 quarters since its limits were re-based in {since}; SPC needs 15"
    )
