"""The report's SPC fields: the stored reading in words and symbol, and the chart drawn from the
same returns and re-base file the scorecard read."""

import duckdb
import pandas as pd

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.warehouse import partition, replace_all
from pm_pipeline.defs.intake.tables import PI_RETURNS
from pm_pipeline.defs.register.model import Council, Register
from pm_pipeline.defs.reports.spc_view import add_spc

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
