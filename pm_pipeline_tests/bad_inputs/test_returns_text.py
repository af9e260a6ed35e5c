"""Returns as CSV text the way people save it: encodings, delimiters, quotes, headers, sizes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pm_pipeline_tests.bad_inputs.support import (
    assert_rows_accounted,
    data_rows,
    read,
    row,
    says,
    workbook,
    write_bytes,
    write_rows,
)
from pm_pipeline_tests.council import RETURN_HEADER

HEADER = ",".join(RETURN_HEADER)


def csv_text(*lines: str, header: str = HEADER, sep: str = ",", newline: str = "\n") -> str:
    return newline.join([header.replace(",", sep), *lines]) + newline


def line(pi_id: str = "HS-01", value: str = "85", note: str = "Steady.", sep: str = ",") -> str:
    """A data line written by hand (so it can be broken in ways a CSV writer would not)."""
    return sep.join([pi_id, "2025/26 Q1", value, "", "", "final", note, "a@b.example", ""])


def test_cp1252_pound_sign_is_read_as_excel_saved_it(data_dir: Path):
    text = csv_text(line(value='"£1,234.50"', note='"Spent £1,234 — on budget."'))
    write_bytes(data_dir, "money.csv", text.encode("cp1252"))
    result = read(data_dir)
    assert result.candidates.iloc[0]["value"] == 1234.5
    assert result.candidates.iloc[0]["note"] == "Spent £1,234 — on budget."
    assert_rows_accounted(result, {"money.csv": [2]})


def test_semicolons_with_a_decimal_comma_say_use_a_point(data_dir: Path):
    text = csv_text(line(sep=";"), line("HS-02", value="85,5", sep=";"), sep=";")
    write_bytes(data_dir, "semi.csv", text.encode())
    result = read(data_dir)
    assert list(result.candidates["pi_id"]) == ["HS-01"]
    message = says(result, "semi.csv", 3, "value")
    assert "'85,5' is not a number (use a point for decimals, not a comma)" in message
    assert_rows_accounted(result, {"semi.csv": data_rows(2, 2)})


def test_tab_delimited_text_is_read(data_dir: Path):
    write_bytes(data_dir, "tabs.csv", csv_text(line(sep="\t"), sep="\t").encode())
    result = read(data_dir)
    assert result.candidates.iloc[0]["value"] == 85 and result.issues == []
    assert_rows_accounted(result, {"tabs.csv": [2]})


def test_excel_sep_line_names_the_delimiter_and_is_not_a_row(data_dir: Path):
    text = "sep=;\n" + csv_text(line(sep=";"), line("HS-02", value="x", sep=";"), sep=";")
    write_bytes(data_dir, "sep.csv", text.encode())
    result = read(data_dir)
    assert result.candidates.iloc[0]["source_row"] == 2  # Excel hides the sep= line
    assert "'x' is not a number" in says(result, "sep.csv", 3, "value")
    assert_rows_accounted(result, {"sep.csv": data_rows(2, 2)})


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"], ids=["with-bom", "no-bom"])
def test_utf16_unicode_text_from_excel(data_dir: Path, encoding: str):
    text = csv_text(line(sep="\t", note="Café naïve £5."), line("HS-02", sep="\t"), sep="\t")
    write_bytes(data_dir, "unicode.csv", text.encode(encoding))
    result = read(data_dir)
    assert list(result.candidates["note"]) == ["Café naïve £5.", "Steady."]
    assert_rows_accounted(result, {"unicode.csv": data_rows(2, 2)})


def test_bom_crlf_and_trailing_blank_and_comma_only_lines(data_dir: Path):
    text = "\ufeff" + csv_text(line(), "", line("HS-02"), newline="\r\n") + ",,,,,,,,\r\n\r\n\r\n"
    write_bytes(data_dir, "windows.csv", text.encode())
    result = read(data_dir)
    assert list(result.candidates["source_row"]) == [2, 4]  # the blank line is row 3 in Excel
    assert result.issues == []
    assert_rows_accounted(result, {"windows.csv": [2, 4]})


@pytest.mark.parametrize(
    "data", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf"], ids=["zero-bytes", "blank-lines", "bom-only"]
)
def test_an_empty_file_is_reported(data_dir: Path, data: bytes):
    write_bytes(data_dir, "empty.csv", data)
    result = read(data_dir)
    assert "2025-26-Q1/empty.csv is empty" in says(result, "empty.csv")
    assert_rows_accounted(result, {"empty.csv": []})


def test_a_file_with_only_a_header_is_reported(data_dir: Path):
    write_rows(data_dir, "template.csv", [])
    result = read(data_dir)
    message = says(result, "template.csv", 1)
    assert "has a header row (row 1) but no returns under it" in message
    assert "delete the file if it was saved by mistake" in message
    assert_rows_accounted(result, {"template.csv": []})


def test_a_csv_that_is_really_a_workbook_is_read_as_one(data_dir: Path):
    write_bytes(data_dir, "saved-as.csv", workbook({"Returns": [RETURN_HEADER, row()]}))
    result = read(data_dir)
    assert result.candidates.iloc[0]["pi_id"] == "HS-01" and result.issues == []
    assert_rows_accounted(result, {"saved-as.csv": [2]})


def test_an_xlsx_that_is_really_csv_text_is_read_as_text(data_dir: Path):
    write_bytes(data_dir, "renamed.xlsx", csv_text(line()).encode())
    result = read(data_dir)
    assert result.candidates.iloc[0]["value"] == 85 and result.issues == []
    assert_rows_accounted(result, {"renamed.xlsx": [2]})


def test_a_pdf_renamed_csv_is_reported_as_not_text(data_dir: Path):
    write_bytes(data_dir, "scan.csv", b"%PDF-1.7\n\x00\x01\x02\xff binary stream")
    result = read(data_dir)
    message = says(result, "scan.csv")
    assert "is not a CSV text file (it holds a PDF)" in message and "CSV UTF-8" in message
    assert_rows_accounted(result, {"scan.csv": []})


@pytest.mark.parametrize("name", ["old.xls", "calc.ods", "notes.txt"])
def test_other_file_types_are_named_not_skipped(data_dir: Path, name: str):
    write_bytes(data_dir, name, b"pi_id,period\nHS-01,2025/26 Q1\n")
    result = read(data_dir)
    assert "was not read: only .csv and .xlsx files are" in says(result, name)
    assert_rows_accounted(result, {name: [2]})


def test_title_rows_above_the_header_keep_excel_row_numbers(data_dir: Path):
    text = "Housing PI returns,,,\nQuarter 1,,,\n\n" + csv_text(line(), line("HS-02"))
    write_bytes(data_dir, "titled.csv", text.encode())
    result = read(data_dir)
    assert list(result.candidates["source_row"]) == [5, 6] and result.issues == []
    assert_rows_accounted(result, {"titled.csv": [5, 6]})


def test_no_header_row_says_what_row_1_holds(data_dir: Path):
    write_bytes(data_dir, "noheader.csv", (line() + "\n" + line("HS-02") + "\n").encode())
    result = read(data_dir)
    message = says(result, "noheader.csv", 1)
    assert "has no pi_id, period, value, note column(s) in its header (row 1" in message
    assert "that row reads 'hs-01, 2025/26 q1, 85" in message
    assert_rows_accounted(result, {"noheader.csv": [3]})  # row 1 was taken as the header


def test_a_missing_required_column_reports_every_row(data_dir: Path):
    header = [h for h in RETURN_HEADER if h != "note"]
    write_rows(data_dir, "nonote.csv", [row()[:6] + row()[7:]] * 3, header=header)
    result = read(data_dir)
    message = says(result, "nonote.csv", 1)
    assert "has no note column(s) in its header (row 1), so none of its 3 rows" in message
    assert_rows_accounted(result, {"nonote.csv": data_rows(2, 3)})


@pytest.mark.parametrize(
    ("header", "repeated"),
    [
        ([*RETURN_HEADER, "value"], "value"),
        ([*RETURN_HEADER[:-1], "Submitted At", "submitted_at"], "submitted_at"),
    ],
    ids=["same-heading", "same-after-spacing"],
)
def test_duplicate_columns_are_refused_with_the_row_count(data_dir, header, repeated):
    write_rows(data_dir, "dupes.csv", [[*row(), "90"], [*row("HS-02"), "91"]], header=header)
    result = read(data_dir)
    message = says(result, "dupes.csv", 1)
    assert f"more than one column headed {repeated} in row 1, so none of its 2 rows" in message
    assert_rows_accounted(result, {"dupes.csv": data_rows(2, 2)})


def test_a_header_row_repeated_mid_file(data_dir: Path):
    write_rows(data_dir, "pasted.csv", [row(), RETURN_HEADER, row("HS-02")])
    result = read(data_dir)
    assert "row 3 repeats the header row — delete it" in says(result, "pasted.csv", 3)
    assert list(result.candidates["pi_id"]) == ["HS-01", "HS-02"]
    assert_rows_accounted(result, {"pasted.csv": data_rows(2, 3)})


@pytest.mark.parametrize(
    "bad_line",
    [line("HS-02", note='"Best year yet'), line("HS-02", note='"Best" year yet')],
    ids=["never-closed", "closed-mid-cell"],
)
def test_an_unbalanced_quote_names_its_row(data_dir: Path, bad_line: str):
    write_bytes(data_dir, "quotes.csv", csv_text(line(), bad_line, line("WR-01")).encode())
    result = read(data_dir)
    message = says(result, "quotes.csv", 3)
    assert "row 3 is not well-formed CSV" in message and 'a double quote (")' in message
    assert_rows_accounted(result, {"quotes.csv": data_rows(2, 3)})


def test_a_row_split_by_an_unquoted_comma(data_dir: Path):
    text = csv_text(line(), line("HS-02", note="Up, as planned"), line("WR-01"))
    write_bytes(data_dir, "commas.csv", text.encode())
    result = read(data_dir)
    message = says(result, "commas.csv", 3)
    assert "HS-02 in 2025-26-Q1/commas.csv row 3 has 10 cells but the header row" in message
    assert "a comma inside a value (often the note) splits it" in message
    assert list(result.candidates["pi_id"]) == ["HS-01", "WR-01"]
    assert_rows_accounted(result, {"commas.csv": data_rows(2, 3)})


@pytest.mark.parametrize("size", [100_000, 200_000], ids=["100kB", "200kB-over-csv-limit"])
def test_a_huge_note_is_reported_on_its_row_not_the_whole_file(data_dir: Path, size: int):
    write_rows(data_dir, "essay.csv", [row(), row("HS-02", note="x" * size)])
    result = read(data_dir)
    message = says(result, "essay.csv", 3, "note")
    assert f"is {size:,} characters long, more than the 32,767 an Excel cell can hold" in message
    assert len(message) < 400 and len(result.issues[0].value) < 300  # not echoed whole
    assert_rows_accounted(result, {"essay.csv": data_rows(2, 2)})
