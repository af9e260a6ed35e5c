"""config/spc_rebase.csv read and checked; a PI's reading from quarterly figures; the XmR chart
says in words everything it draws."""

import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.scorecard import spc
from pm_pipeline.defs.scorecard.spc_series import RebaseError, pi_reading, read_rebase, rebase_by_pi
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
