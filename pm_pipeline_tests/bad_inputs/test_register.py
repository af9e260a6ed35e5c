"""A broken register stops the run with a message naming file, row and column
(docs/contracts.md, "Register files")."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from pm_pipeline.defs.register.load import load_register
from pm_pipeline.defs.register.model import RegisterError
from pm_pipeline_tests.council import INDICATOR_HEADER, Council, pi, write_csv


def council(root: Path, **kwargs: object) -> Path:
    """A small valid register; returns its config folder for a test to break one file."""
    defaults: dict[str, object] = {
        "indicators": [
            pi("HS-01", "Homes let"),
            pi("CTX-1", "Population", type_="contextual", unit="count", polarity="neutral"),
        ],
        "targets": [("HS-01", "2025/26", 50, "")],
    }
    Council(root, **{**defaults, **kwargs}).write()
    return root / "config"


def refused(config: Path) -> list[str]:
    with pytest.raises(RegisterError) as caught:
        load_register(config)
    return caught.value.problems


def one(config: Path, starts: str) -> str:
    """The problem that starts with `starts` (file, row, column), asserting there is one."""
    problems = refused(config)
    found = [p for p in problems if p.startswith(starts)]
    assert found, problems
    return found[0]


def indicator_rows(*rows: dict) -> list[list[object]]:
    return [[r[c] for c in INDICATOR_HEADER] for r in rows]


def test_council_yaml_indented_with_a_tab(data_dir: Path):
    config = council(data_dir)
    (config / "council.yaml").write_text("name: Testshire\nthemes:\n\t- People\n")
    message = one(config, "council.yaml, line 3: not valid YAML")
    assert "(indent with spaces, not tabs); fix that line" in message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "council.yaml, key name: missing — add `name: ...`"),
        ("- name: Testshire\n", "council.yaml: expected keys name, area_code, region_code, themes"),
        (
            "name: X\narea_code: E7000999\nregion_code: E12000004\nthemes: [People]\n",
            "council.yaml, key area_code: 'E7000999' is not a GSS code like E07000171",
        ),
        (
            "name: X\narea_code: E07000999\nregion_code: E12000004\nthemes: People\n",
            "council.yaml, key themes: give an ordered list of theme names",
        ),
        (
            "name: X\narea_code: E07000999\nregion_code: E12000004\nthemes: [People]\n"
            "amber_tolerance_pct: five\n",
            "council.yaml, key amber_tolerance_pct: 'five' must be a percentage from 0 to 100",
        ),
    ],
    ids=["empty", "a-list", "bad-area-code", "themes-not-a-list", "tolerance-not-a-number"],
)
def test_council_yaml_problems_name_the_key(data_dir: Path, text: str, says: str):
    config = council(data_dir)
    (config / "council.yaml").write_text(text)
    assert one(config, says.split(":")[0]).startswith(says)


def test_council_yaml_saved_as_windows_1252(data_dir: Path):
    config = council(data_dir)
    text = "name: Ynys Môn £\narea_code: W06000001\nregion_code: W92000004\nthemes: [People]\n"
    (config / "council.yaml").write_bytes(text.encode("cp1252"))
    assert load_register(config).council.name == "Ynys Môn £"


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (pi("HS-02", "X", polarity="up_is_good"), "row 3, column polarity: 'up_is_good' is not"),
        (pi("HS-02", "X", type_="target"), "row 3, column type: 'target' is not one of kpi"),
        (pi("HS-02", "X", unit="%"), "row 3, column unit: '%' is not one of percent"),
        (pi("HS-02", "X", frequency="weekly"), "row 3, column frequency: 'weekly' is not one"),
        (pi("HS-02", "X", decimals="two"), "row 3, column decimals: 'two' must be a whole number"),
        (pi("HS-02", "X", valid_min="NaN"), "row 3, column valid_min: 'NaN' is not a number"),
        (pi("HS-02", "X", valid_max="1e309"), "row 3, column valid_max: '1e309' is not a number"),
        (pi("HS-02", "X", valid_min="9", valid_max="1"), "row 3, column valid_min: 9.0 is above"),
        (pi("HS-02", "X", owner="housing team"), "row 3, column owner: 'housing team' is not an"),
        (pi("HS-02", "X", theme="Prosperity"), "row 3, column theme: 'Prosperity' is not a theme"),
        (pi("hs-01", "X"), "row 3, column pi_id: 'hs-01' duplicates row 2 — each PI appears once"),
        (
            pi("\u041dS-02", "X"),
            "row 3, column pi_id: 'НS-02' (it contains 'Н' (CYRILLIC CAPITAL LETTER EN, U+041D)",
        ),
    ],
)
def test_indicator_problems_name_row_and_column(data_dir: Path, bad: dict, says: str):
    config = council(data_dir, indicators=[pi("HS-01", "Homes let"), bad])
    one(config, f"indicators.csv, {says}")


def test_indicators_with_a_missing_column(data_dir: Path):
    config = council(data_dir)
    header = [h for h in INDICATOR_HEADER if h != "polarity"]
    write_csv(config / "indicators.csv", header, [["HS-01", "Homes let", *[""] * 13]])
    one(config, "indicators.csv, row 1: missing column(s) polarity — the header row must name")


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "indicators.csv is empty (0 bytes of data)"),
        (",".join(INDICATOR_HEADER).encode() + b"\n", "indicators.csv: has no indicators"),
        (
            (",".join([*INDICATOR_HEADER, "unit"]) + "\n").encode(),
            "indicators.csv has more than one column headed unit in row 1",
        ),
    ],
    ids=["zero-bytes", "header-only", "duplicate-column"],
)
def test_indicator_files_that_hold_nothing_usable(data_dir: Path, data: bytes, says: str):
    config = council(data_dir)
    (config / "indicators.csv").write_bytes(data)
    one(config, says)


def test_an_indicator_row_split_by_an_unquoted_comma(data_dir: Path):
    config = council(data_dir)
    good = ",".join(str(v) for v in indicator_rows(pi("HS-01", "Homes let"))[0])
    split = good.replace("HS-01", "HS-02").replace("Homes let (test)", "Homes, let (test)")
    (config / "indicators.csv").write_text(f"{','.join(INDICATOR_HEADER)}\n{good}\n{split}\n")
    cells = len(INDICATOR_HEADER) + 1
    message = one(config, f"indicators.csv, row 3: the row has {cells} cells but the header row")
    assert "a comma inside a value" in message


def test_an_unclosed_quote_in_indicators(data_dir: Path):
    config = council(data_dir)
    good = ",".join(str(v) for v in indicator_rows(pi("HS-01", "Homes let"))[0])
    broken = good.replace("HS-01", "HS-02").replace("Homes let (test)", '"Homes let')
    (config / "indicators.csv").write_text(f"{','.join(INDICATOR_HEADER)}\n{good}\n{broken}\n")
    one(config, "indicators.csv row 3 is not well-formed CSV")


@pytest.mark.parametrize("form", ["utf-16-tabs", "xlsx-named-csv", "title-row"])
def test_indicators_saved_in_other_forms_still_load(data_dir: Path, form: str):
    config = council(data_dir)
    rows = [INDICATOR_HEADER, *indicator_rows(pi("HS-01", "Homes let"))]
    if form == "utf-16-tabs":
        text = "\n".join("\t".join(str(v) for v in r) for r in rows) + "\n"
        (config / "indicators.csv").write_bytes(text.encode("utf-16"))
    elif form == "xlsx-named-csv":
        book = Workbook()
        for values in rows:
            book.active.append(values)
        buffer = io.BytesIO()
        book.save(buffer)
        (config / "indicators.csv").write_bytes(buffer.getvalue())
    else:
        write_csv(config / "indicators.csv", ["Indicator register 2025/26"], [[], *rows])
    assert list(load_register(config).indicators["pi_id"]) == ["HS-01"]


@pytest.mark.parametrize(
    ("target", "says"),
    [
        (("HS-09", "2025/26", 50, ""), "row 2, column pi_id: 'HS-09' is not in indicators.csv"),
        (("HS-01", "2025/26", "NaN", ""), "row 2, column target: 'NaN' is not a number"),
        (("HS-01", "2025/26", "inf", ""), "row 2, column target: 'inf' is not a number"),
        (("HS-01", "2025/26", "1e309", ""), "row 2, column target: '1e309' is not a number"),
        (("HS-01", "2025/26", "85%", ""), "row 2, column target: '85%' is not a number"),
        (("HS-01", "2025/26", 50, "#N/A"), "row 2, column amber_threshold: '#N/A' is not a num"),
        (("HS-01", "2025/26", "", ""), "row 2, column target: empty — give the target"),
        (("HS-01", "2025-2027", 50, ""), "row 2, column financial_year: '2025-2027' is not a"),
        (("HS-01", "2025/26", 50, 60), "row 2, column amber_threshold: 60 is on the wrong side"),
    ],
)
def test_target_problems_name_row_and_column(data_dir: Path, target: tuple, says: str):
    config = council(data_dir, targets=[target])
    one(config, f"targets.csv, {says}")


def test_a_missing_targets_file(data_dir: Path):
    config = council(data_dir)
    (config / "targets.csv").unlink()
    one(config, "targets.csv: the file is missing")


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ([("E07000170", "Ashfield"), ("E0700017", "Typo")], "row 3, column area_code: 'E0700017'"),
        ([("E07000170", "Ashfield"), ("Broxtowe", "")], "row 3, column area_code: 'BROXTOWE'"),
    ],
)
def test_comparators_with_a_bad_gss_code(data_dir: Path, rows: list, says: str):
    config = council(data_dir, comparators=rows)
    message = one(config, f"comparators.csv, {says}")
    assert "is not a GSS code — a letter and eight digits, like E07000171" in message


def test_comparators_without_a_code_column(data_dir: Path):
    config = council(data_dir)
    write_csv(config / "comparators.csv", ["council", "area_name"], [["Ashfield", "Ashfield"]])
    one(config, "comparators.csv, row 1: missing column(s) area_code")


def test_every_problem_in_every_file_is_listed_at_once(data_dir: Path):
    config = council(
        data_dir,
        indicators=[pi("HS-01", "Homes let", polarity="up")],
        comparators=[("X1", "Nowhere")],
    )
    problems = refused(config)
    assert any(p.startswith("indicators.csv, row 2, column polarity") for p in problems)
    assert any(p.startswith("comparators.csv, row 2, column area_code") for p in problems)
