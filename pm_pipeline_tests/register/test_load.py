from pathlib import Path

import pytest

from pm_pipeline.core.periods import FinancialYear
from pm_pipeline.defs.register.load import load_register
from pm_pipeline.defs.register.model import RegisterError
from pm_pipeline_tests.council import Council, pi, write_csv


def council(root: Path, **kwargs) -> Council:
    defaults = {
        "indicators": [
            pi("KPI-1", "Recycling rate"),
            pi("CTX-1", "Population", type_="contextual", unit="count", polarity="neutral"),
            pi(
                "SVC-1",
                "Days to process claims",
                type_="service",
                unit="days",
                polarity="lower_is_better",
                theme="Place",
            ),
        ],
        "targets": [("KPI-1", "2025/26", 50, ""), ("SVC-1", "2025/26", 20, 22)],
    }
    return Council(root, **{**defaults, **kwargs}).write()


def problems(root: Path) -> str:
    with pytest.raises(RegisterError) as caught:
        load_register(root / "config")
    return str(caught.value)


def test_a_valid_register_loads_with_canonical_ids(data_dir):
    council(data_dir)
    register = load_register(data_dir / "config", [FinancialYear(2025)])
    assert list(register.indicators["pi_id"]) == ["KPI-1", "CTX-1", "SVC-1"]
    assert register.canonical_ids()["kpi-1"] == "KPI-1"
    assert register.council.themes == ("People", "Place")
    assert register.problems == []
    assert register.indicators.set_index("pi_id").at["CTX-1", "decimals"] == 1


def test_unknown_enum_names_file_row_and_column(data_dir):
    bad = pi("KPI-2", "Bad polarity", polarity="up_is_good")
    council(data_dir, indicators=[pi("KPI-1", "Recycling rate"), bad])
    message = problems(data_dir)
    assert "indicators.csv, row 3, column polarity: 'up_is_good' is not one of" in message


def test_duplicate_pi_id_is_refused_whatever_its_case(data_dir):
    council(data_dir, indicators=[pi("KPI-1", "A"), pi("kpi-1", "B")], targets=[])
    assert "indicators.csv, row 3, column pi_id: 'kpi-1' duplicates row 2" in problems(data_dir)


def test_target_for_unknown_pi_is_refused(data_dir):
    council(data_dir, targets=[("KPI-9", "2025/26", 50, "")])
    assert "targets.csv, row 2, column pi_id: 'KPI-9' is not in indicators.csv" in problems(
        data_dir
    )


def test_missing_column_and_bad_theme_are_both_reported(data_dir):
    council(data_dir, indicators=[pi("KPI-1", "A", theme="Prosperity")])
    assert "column theme: 'Prosperity' is not a theme in council.yaml" in problems(data_dir)
    write_csv(data_dir / "config" / "indicators.csv", ["pi_id", "title"], [["A", "B"]])
    assert "indicators.csv, row 1: missing column(s) type, theme" in problems(data_dir)


def test_amber_threshold_on_the_wrong_side_of_target_is_refused(data_dir):
    council(data_dir, targets=[("SVC-1", "2025/26", 20, 18)])
    assert "targets.csv, row 2, column amber_threshold: 18 is on the wrong side" in problems(
        data_dir
    )


def test_policy_problems_are_returned_for_the_blocking_checks(data_dir):
    council(
        data_dir,
        targets=[
            ("KPI-1", "2025/26", 50, ""),
            ("KPI-1", "2025/26", 55, ""),
            ("CTX-1", "2025/26", 100, ""),
        ],
    )
    register = load_register(data_dir / "config", [FinancialYear(2025), FinancialYear(2026)])
    by_rule = {(p.rule, p.pi_id, p.row) for p in register.problems}
    assert ("targets_fixed_for_year", "KPI-1", 3) in by_rule
    assert ("targets_on_scored_pis", "CTX-1", 4) in by_rule
    assert ("kpi_targets_set", "KPI-1", None) in by_rule  # no 2026/27 target
    messages = " ".join(p.message for p in register.problems)
    assert "targets.csv, row 4, column target: CTX-1 is a contextual PI" in messages
    assert "KPI KPI-1 has no target for 2026/27" in messages


def test_comparators_accept_the_cipfa_layout_and_drop_the_council_itself(data_dir):
    council(data_dir)
    write_csv(
        data_dir / "config" / "comparators.csv",
        ["Code", "Name"],
        [["E07000170", "Ashfield"], ["E07000999", "Ourselves"], ["e07000171", "Bassetlaw"]],
    )
    register = load_register(data_dir / "config")
    assert list(register.comparators["area_code"]) == ["E07000170", "E07000171"]


def test_missing_council_yaml_key_is_named(data_dir):
    council(data_dir)
    (data_dir / "config" / "council.yaml").write_text("name: X\narea_code: E07000999\n")
    message = problems(data_dir)
    assert "council.yaml, key region_code: missing" in message
    assert "council.yaml, key themes: missing" in message


def test_measure_defaults_from_the_unit_where_safe(data_dir):
    council(data_dir)
    register = load_register(data_dir / "config")
    pis = register.indicators.set_index("pi_id")
    assert pis.at["KPI-1", "measure"] == "ratio"  # a percentage: the year's ratio
    assert pis.at["SVC-1", "measure"] == "average"  # days: the mean of the quarters
    assert pis.at["CTX-1", "measure"] == "flow"  # said in the register (the helper says flow)
    assert not pis["rolling"].any()


def test_a_count_without_a_measure_is_an_error_saying_what_to_write(data_dir):
    snapshot = pi("CTX-1", "Households on the register", type_="contextual", unit="count")
    snapshot["measure"] = ""
    council(data_dir, indicators=[pi("KPI-1", "Recycling rate"), snapshot], targets=[])
    message = problems(data_dir)
    assert "indicators.csv, row 3, column measure: empty — a count PI may be a total" in message
    assert "write flow" in message and "stock" in message


def test_an_unknown_measure_or_rolling_value_is_named(data_dir):
    council(
        data_dir,
        indicators=[
            pi("KPI-1", "Recycling rate", measure="total"),
            pi("KPI-2", "Sickness days", unit="days", rolling="12m"),
        ],
        targets=[],
    )
    message = problems(data_dir)
    assert "indicators.csv, row 2, column measure: 'total' is not one of flow, stock" in message
    assert "indicators.csv, row 3, column rolling: '12m' — write yes" in message


def test_rolling_and_a_stated_measure_are_loaded(data_dir):
    council(
        data_dir,
        indicators=[
            pi("KPI-1", "Turnover (rolling 12 months)", rolling="Yes"),
            pi("CTX-1", "Households on the register", unit="count", measure="stock"),
        ],
        targets=[],
    )
    pis = load_register(data_dir / "config").indicators.set_index("pi_id")
    assert bool(pis.at["KPI-1", "rolling"]) is True
    assert pis.at["CTX-1", "measure"] == "stock"


def test_the_retired_annual_outturn_column_is_read_with_a_deprecation_notice(data_dir):
    council(data_dir)
    path = data_dir / "config" / "indicators.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    at = header.index("measure")
    rows = [line.split(",") for line in lines[1:]]
    for row in rows:
        row[at] = ""  # the old register had no measure column filled
    text = [",".join([*header, "annual_outturn"])]
    text += [
        ",".join([*row, legacy]) for row, legacy in zip(rows, ["", "latest", "sum"], strict=True)
    ]
    path.write_text("\n".join(text) + "\n")
    register = load_register(data_dir / "config")
    pis = register.indicators.set_index("pi_id")
    assert pis.at["CTX-1", "measure"] == "stock"  # latest
    assert pis.at["SVC-1", "measure"] == "flow"  # sum
    assert pis.at["KPI-1", "measure"] == "ratio"  # blank: the unit's default
    assert "annual_outturn" not in register.indicators.columns
    notices = [p for p in register.problems if p.rule == "register_columns_current"]
    assert len(notices) == 1
    assert "annual_outturn column is retired" in notices[0].message
    assert "sum -> flow, latest -> stock, mean -> average" in notices[0].message
    text[3] = text[3].rsplit(",", 1)[0] + ",average"
    path.write_text("\n".join(text) + "\n")
    assert (
        "indicators.csv, row 4, column annual_outturn: 'average' is not one of sum, latest, mean"
        in problems(data_dir)
    )


def test_a_register_without_the_retired_column_has_no_notice(data_dir):
    council(data_dir)
    register = load_register(data_dir / "config", [FinancialYear(2025)])
    assert [p for p in register.problems if p.rule == "register_columns_current"] == []


def test_targets_say_whether_they_are_for_the_quarter_or_the_year(data_dir):
    council(data_dir, targets=[])
    write_csv(
        data_dir / "config" / "targets.csv",
        ["pi_id", "financial_year", "target", "amber_threshold", "period"],
        [
            ("KPI-1", "2025/26", 50, "", ""),
            ("KPI-1", "2025/26", 48, "", "year"),
            ("SVC-1", "2025/26", 20, "", "Quarter"),
        ],
    )
    register = load_register(data_dir / "config")
    assert list(register.targets["period"]) == ["quarter", "year", "quarter"]
    assert register.problems == []
    write_csv(
        data_dir / "config" / "targets.csv",
        ["pi_id", "financial_year", "target", "amber_threshold", "period"],
        [("KPI-1", "2025/26", 50, "", "annual"), ("SVC-1", "2025/26", 20, "", "year")],
    )
    assert "targets.csv, row 2, column period: 'annual' is not one of quarter, year" in problems(
        data_dir
    )


def test_an_older_warehouse_gains_new_contract_columns(data_dir):
    import duckdb

    from pm_pipeline.defs.register.store import read_register, write_register

    council(data_dir)
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as conn:
        conn.execute("CREATE TABLE register_indicators (pi_id VARCHAR, title VARCHAR)")
        write_register(conn, load_register(data_dir / "config"))
        assert "measure" in read_register(conn).indicators.columns
        assert read_register(conn).council.stable_band_points == 1.0


def test_a_pis_own_stable_band_is_optional_and_checked(data_dir):
    council(data_dir)
    path = data_dir / "config" / "indicators.csv"
    text = path.read_text().splitlines()
    text[0] += ",stable_band"
    text[1] += ",2.5"
    text[2] += ",wide"
    text[3] += ",-1"
    path.write_text("\n".join(text) + "\n")
    message = problems(data_dir)
    assert (
        "indicators.csv, row 3, column stable_band: 'wide' is not a number — give the band in "
        "a relative %, or leave it blank"
    ) in message
    assert "indicators.csv, row 4, column stable_band: '-1' must be from 0 to 100" in message
    text[2], text[3] = text[2].removesuffix(",wide") + ",", text[3].removesuffix(",-1") + ","
    path.write_text("\n".join(text) + "\n")
    register = load_register(data_dir / "config")
    assert list(register.indicators["stable_band"].fillna(-1)) == [2.5, -1, -1]
    assert register.council.stable_band_points == 1.0  # council.yaml's default
    assert register.council.stable_band_pct == 5.0


def test_the_councils_band_in_points_is_read_and_checked(data_dir):
    council(data_dir)
    path = data_dir / "config" / "council.yaml"
    path.write_text(path.read_text() + "stable_band_points: 0.5\n")
    assert load_register(data_dir / "config").council.stable_band_points == 0.5
    path.write_text(path.read_text().replace("stable_band_points: 0.5", "stable_band_points: lots"))
    assert (
        "council.yaml, key stable_band_points: 'lots' must be a number of percentage points "
        "from 0 to 100"
    ) in problems(data_dir)


FRAME = """report_frame:
  committee: Executive
  portfolio_holder: Portfolio Holder for Finance
  author: Corporate Performance Team
  contact: performance@council.example
  meeting_dates:
    2026/27 Q2: 2026-11-19
  recommendations:
    - That {committee} notes the {quarter} report.
  implications:
    financial: Within the approved budget.
risk_appetite:
  averse: 3
  Cautious: 9
"""


def test_the_report_frame_and_risk_appetite_are_read_from_council_yaml(data_dir):
    from pm_pipeline.core.periods import Quarter

    council(data_dir)
    path = data_dir / "config" / "council.yaml"
    plain = load_register(data_dir / "config").council
    frame = plain.report_frame.for_quarter(Quarter(2026, 2))
    assert frame["committee"] == "Cabinet" and frame["meeting_date"] is None  # the defaults
    assert frame["recommendations"][0].startswith("That Cabinet notes the council's performance")
    assert [i["name"] for i in frame["implications"]] == ["Financial", "Legal", "Equalities"]
    assert dict(plain.risk_appetite)["averse"] == 4 and dict(plain.risk_appetite)["moderate"] == 12

    path.write_text(path.read_text() + FRAME)
    written = load_register(data_dir / "config").council
    frame = written.report_frame.for_quarter(Quarter(2026, 2))
    assert (frame["committee"], frame["author"]) == ("Executive", "Corporate Performance Team")
    assert frame["meeting_date"].isoformat() == "2026-11-19"
    assert frame["recommendations"] == ["That Executive notes the 2026/27 Q2 report."]
    assert frame["implications"][0] == {"name": "Financial", "text": "Within the approved budget."}
    assert [i["name"] for i in frame["implications"]] == ["Financial", "Legal", "Equalities"]
    assert dict(written.risk_appetite) == {"averse": 3, "cautious": 9}  # replaces the defaults


def test_a_wrong_report_frame_or_appetite_is_named_with_what_to_write(data_dir):
    council(data_dir)
    path = data_dir / "config" / "council.yaml"
    wrong = (
        FRAME.replace("author:", "writer:")
        .replace("{quarter}", "{year}")
        .replace("2026-11-19", "next month")
        .replace("averse: 3", "averse: 30")
    )
    path.write_text(path.read_text() + wrong)
    said = problems(data_dir)
    assert "council.yaml, key report_frame.writer: not a key of the frame" in said
    assert "report_frame.recommendations, item 1: {year} is not a placeholder" in said
    assert "report_frame.meeting_dates, 2026/27 Q2: 'next month' is not a date" in said
    assert "key risk_appetite.averse: '30' must be a whole number from 1 to 25" in said


MAIL = """mail:
  from: Performance team <performance@council.example>
  reply_to: performance@council.example
  reports_url: https://intranet.council.example/performance/reports/
"""


def test_the_mail_settings_are_read_from_council_yaml_and_kept_in_the_warehouse(data_dir):
    import duckdb

    from pm_pipeline.defs.register.model import MailSettings
    from pm_pipeline.defs.register.store import read_register, write_register

    council(data_dir)
    assert load_register(data_dir / "config").council.mail == MailSettings()  # all optional
    path = data_dir / "config" / "council.yaml"
    path.write_text(path.read_text() + MAIL)
    register = load_register(data_dir / "config")
    expected = MailSettings(
        "Performance team <performance@council.example>",
        "performance@council.example",
        "https://intranet.council.example/performance/reports",
    )
    assert register.council.mail == expected
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as conn:
        write_register(conn, register)
        assert read_register(conn).council.mail == expected


def test_wrong_mail_settings_are_named_with_what_to_write(data_dir):
    council(data_dir)
    path = data_dir / "config" / "council.yaml"
    wrong = (
        MAIL.replace("Performance team <performance@council.example>", "a@x.example, b@y.example")
        .replace("reply_to: performance@council.example", "reply_to: the team")
        .replace("https://intranet", "intranet")
    )
    path.write_text(path.read_text() + wrong + "  bcc: boss@council.example\n")
    said = problems(data_dir)
    assert (
        "council.yaml, key mail.from: 'a@x.example, b@y.example' is more than one address" in said
    )
    assert "key mail.reply_to: 'the team' is not an e-mail address" in said
    assert "key mail.reports_url: 'intranet.council.example/performance/reports/' is not a " in said
    assert "key mail.bcc: not a mail setting — use from, reply_to, reports_url" in said
