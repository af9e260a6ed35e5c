"""The report's SPC fields: the stored reading in words and symbol, and the chart drawn from the
same returns and re-base file the scorecard read."""

import duckdb
import pandas as pd

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.warehouse import partition, replace_all
from pm_pipeline.defs.intake.tables import PI_RETURNS
from pm_pipeline.defs.register.model import Council, Register
from pm_pipeline.defs.reports.spc_view import add_spc
from pm_pipeline.render.pages import environment, render_html

NOW = Quarter(2026, 2)


def register() -> Register:
    indicators = pd.DataFrame(
        [
            {
                "pi_id": "BIN-1",
                "title": "Missed bins",
                "frequency": "quarterly",
                "polarity": "lower_is_better",
                "unit": "rate",
                "decimals": 1,
            }
        ]
    )
    council = Council("Testshire", "E07000999", "E12000004", ("Place",))
    return Register(council, indicators, pd.DataFrame(), pd.DataFrame())


def test_entries_gain_the_reading_in_words_and_the_chart_with_its_break(tmp_path):
    conn = duckdb.connect()
    values = [50.0, 51.0, 50.0] + [10.0, 11.0] * 8  # 16 points since the re-base
    quarters = NOW.history(len(values))
    replace_all(
        conn,
        [
            partition(
                PI_RETURNS, pd.DataFrame([{"period": q.key, "pi_id": "BIN-1", "value": v}]), q.key
            )
            for q, v in zip(quarters, values, strict=True)
        ],
    )
    (tmp_path / "spc_rebase.csv").write_text(
        f"pi_id,from_quarter,reason\nBIN-1,{quarters[3].label},New contractor\n"
    )
    stored = {"pi_id": "BIN-1", "title": "Missed bins", "target": 14.0}
    entries = [{**stored, "variation": "common cause", "assurance": "consistently passing"}]
    add_spc(entries, conn, NOW, register(), tmp_path)
    (e,) = entries
    assert e["variation_text"] == "SPC: common cause" and 'data-icon="common_cause"' in str(
        e["variation_icon"]
    )
    assert (e["assurance_letter"], e["assurance_text"]) == ("P", "Target: consistently passing")
    assert 'data-icon="pass"' in str(e["assurance_icon"])
    assert e["spc_reason"] == ""
    assert "re-based" in e["xmr"].svg and "(New contractor)" in e["xmr"].alt

    old = [{**stored, "variation": None, "assurance": None}]  # a row from before the columns
    add_spc(old, conn, NOW, register(), tmp_path)
    assert old[0]["variation"] == "common cause" and old[0]["assurance"] == "consistently passing"

    short = [{**stored, "variation": "none: only 3 quarters of history; SPC needs 15"}]
    add_spc(short, conn, NOW, register(), tmp_path)
    assert short[0]["spc_reason"] == "Only 3 quarters of history; SPC needs 15."
    assert short[0]["variation_text"] == "No SPC reading" and short[0]["variation_icon"] == ""

    changed = [
        {
            **stored,
            "variation": "common cause",
            "assurance": "none: not judged, the process changed in 2024/25 Q3",
        }
    ]
    add_spc(changed, conn, NOW, register(), tmp_path)
    assert changed[0]["assurance_text"] == "Target: not judged (the process changed in 2024/25 Q3)"
    assert changed[0]["assurance_icon"] == ""  # neither pass, fail nor hit and miss
    assert changed[0]["spc_reason"].startswith(
        "Whether it will meet the target is not judged: the process changed in 2024/25 Q3"
    )


def store(conn, values) -> list[Quarter]:
    quarters = NOW.history(len(values))
    replace_all(
        conn,
        [
            partition(
                PI_RETURNS, pd.DataFrame([{"period": q.key, "pi_id": "BIN-1", "value": v}]), q.key
            )
            for q, v in zip(quarters, values, strict=True)
        ],
    )
    return quarters


def test_a_proposed_rebase_is_read_as_not_judged_and_shown_with_the_chart(tmp_path):
    conn = duckdb.connect()
    quarters = store(conn, [22.0, 24.0] * 5 + [12.0, 13.0] * 7)  # the last 14 lower
    since = quarters[10].label
    entries = [{"pi_id": "BIN-1", "title": "Missed bins", "target": 20.0}]  # before the columns
    add_spc(entries, conn, NOW, register(), tmp_path)
    (e,) = entries
    assert e["assurance"] == f"none: not judged, the process changed in {since}"
    assert e["assurance_text"] == f"Target: not judged (the process changed in {since})"
    assert e["spc_rebase_proposal"] == (
        f"a run of 14 points below the mean since {since}: re-base here?"
    )
    assert e["spc_rebase_since"] == since
    assert e["spc_reason"].startswith(
        f"Whether it will meet the target is not judged: the process changed in {since}"
    )
    html = _figure(e)
    assert f"a run of 14 points below the mean since {since})" in html
    assert "no assurance against the target is claimed" in html

    stored = [{**entries[0], "spc_rebase_proposal": None, "assurance": "hit and miss"}]
    add_spc(stored, conn, NOW, register(), tmp_path)  # the scorecard's row wins, as for the rest
    assert stored[0]["spc_rebase_proposal"] is None
    assert "no assurance" not in _figure(stored[0])


def _figure(e: dict) -> str:
    template = environment().from_string(
        '{% from "_spc.html.j2" import spc_badges, spc_figure %}{{ spc_badges(e) }}{{ spc_figure(e) }}'
    )
    return template.render(e={"target_text": "", **e})


def test_a_rolling_pi_has_no_run_signals_and_the_report_says_why(tmp_path):
    conn = duckdb.connect()
    store(conn, [13.0, 9.0] * 4 + [12.0, 13.0] * 4)  # the last 8 above the mean: a shift
    rolling = register()
    rolling.indicators["rolling"] = True
    entries = [{"pi_id": "BIN-1", "title": "Missed bins", "target": None}]
    add_spc(entries, conn, NOW, rolling, tmp_path)
    (e,) = entries
    assert e["variation"] == "common cause" and e["spc_rebase_proposal"] is None
    assert e["spc_note"].startswith("a rolling 12-month figure: each point shares eleven months")
    html = _figure(e)
    assert "A rolling 12-month figure: each point shares eleven months with the last" in html
    plain = [{"pi_id": "BIN-1", "title": "Missed bins", "target": None}]
    add_spc(plain, conn, NOW, register(), tmp_path)
    assert plain[0]["variation"] == "concerning special cause" and plain[0]["spc_note"] is None


def test_the_management_report_lists_the_proposals_with_the_row_to_confirm_them():
    e = {
        "pi_id": "HB-01",
        "title": "Days to process new claims",
        "spc_rebase_proposal": "a run of 9 points below the mean since 2024/25 Q3: re-base here?",
        "spc_rebase_since": "2024/25 Q3",
    }
    html = render_html("_rebase_proposals.html.j2", rebase_proposals=[e], quarter=NOW)
    assert "a run of 9 points below the mean since 2024/25 Q3: re-base here?" in html
    assert "<code>HB-01,2024/25 Q3,&lt;why the process changed&gt;</code>" in html
    assert "1 indicator has 7 or more figures in a row" in html
    none = render_html("_rebase_proposals.html.j2", rebase_proposals=[], quarter=NOW)
    assert "no re-base to decide" in none
