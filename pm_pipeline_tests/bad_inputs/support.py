"""Shared helpers for the bad-input corpus: write a broken file, read it, check nothing is lost."""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook

from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.intake.read import QuarterRead, read_quarter
from pm_pipeline.defs.quality.rules import Issue
from pm_pipeline_tests.council import RETURN_HEADER, good_row, write_csv

Q = Quarter(2025, 1)
IDS = {"hs-01": "HS-01", "hs-02": "HS-02", "wr-01": "WR-01"}


def source(name: str) -> str:
    """A file's `source_file` as the pipeline names it (relative to returns/)."""
    return f"{Q.folder}/{name}"


def folder(data_dir: Path) -> Path:
    path = data_dir / "returns" / Q.folder
    path.mkdir(parents=True, exist_ok=True)
    return path


def row(pi_id: str = "HS-01", value: object = 85, **overrides: object) -> list[object]:
    """A return row that reads cleanly unless a cell is overridden."""
    return good_row(pi_id, Q, value, **overrides)


def write_rows(
    data_dir: Path,
    name: str,
    rows: Iterable[Sequence[object]],
    header: Sequence[str] = RETURN_HEADER,
    encoding: str = "utf-8",
) -> Path:
    return write_csv(folder(data_dir) / name, header, rows, encoding=encoding)


def write_bytes(data_dir: Path, name: str, data: bytes) -> Path:
    path = folder(data_dir) / name
    path.write_bytes(data)
    return path


def workbook(
    sheets: Mapping[str, Sequence[Sequence[object]]],
    shape: Callable[[Workbook], None] | None = None,
) -> bytes:
    """An .xlsx whose sheets hold the given rows; `shape` may merge, hide or format cells."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for values in rows:
            sheet.append(list(values))
    if shape:
        shape(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def edit_sheets(data: bytes, edit: Callable[[str], str]) -> bytes:
    """The workbook with each worksheet's XML passed through `edit`: for what openpyxl does not
    write (a formula's cached result) or writes too slowly (thousands of merges)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content = edit(content.decode()).encode()
            dst.writestr(item, content)
    return out.getvalue()


def with_cached_results(data: bytes, results: Mapping[str, str]) -> bytes:
    """The workbook as Excel would save it: each formula cell named in `results` carries the
    value Excel calculated (openpyxl writes formulas without one)."""

    def cache(text: str) -> str:
        for ref, value in results.items():
            text = re.sub(
                # openpyxl writes the empty value as <v/> or, with lxml installed, <v></v>
                rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)',
                rf"\1<v>{value}</v>",
                text,
            )
        return text

    return edit_sheets(data, cache)


def with_merges(data: bytes, refs: Sequence[str]) -> bytes:
    """The workbook with the ranges `refs` merged (openpyxl's writer is quadratic in merges)."""
    cells = "".join(f'<mergeCell ref="{ref}"/>' for ref in refs)
    merges = f'<mergeCells count="{len(refs)}">{cells}</mergeCells>'
    return edit_sheets(data, lambda text: text.replace("</sheetData>", f"</sheetData>{merges}", 1))


def with_cell_in_column(data: bytes, column: str) -> bytes:
    """The workbook with an empty formatted cell at the end of every row, in `column` (e.g.
    XFD, the last one): what a format applied to whole rows leaves in the file."""

    def widen(text: str) -> str:
        return re.sub(
            r'(<row r="(\d+)"[^>]*>.*?)</row>',
            lambda m: f'{m.group(1)}<c r="{column}{m.group(2)}" s="0"/></row>',
            text,
            flags=re.S,
        )

    return edit_sheets(data, widen)


def read(data_dir: Path) -> QuarterRead:
    result, _ = read_quarter(data_dir / "returns", Q, IDS)
    return result


def data_rows(first: int, count: int) -> list[int]:
    """The Excel row numbers of `count` data rows starting at row `first`."""
    return list(range(first, first + count))


def says(result: QuarterRead, name: str, row: int | None = None, column: str | None = None) -> str:
    """The message of the issue on `name` (its `row`, its `column`), checked to name them."""
    file = source(name)
    found = [
        i
        for i in result.issues
        if i.source_file == file
        and (row is None or i.source_row == row)
        and (column is None or f"column {column}:" in i.message)
    ]
    assert found, f"no issue for {file} row {row} column {column}: {_listed(result.issues)}"
    message = found[0].message
    assert file in message, message
    if row is not None:
        assert f"row {row}" in message, message
    return message


def _listed(issues: list[Issue]) -> str:
    return "\n".join(f"{i.rule} {i.source_file} {i.source_row}: {i.message}" for i in issues)


def assert_rows_accounted(result: QuarterRead, written: Mapping[str, Sequence[int]]) -> None:
    """Rows in = rows accepted + rows reported (docs/contracts.md, "Returns files": nothing is
    lost), file by file.

    `written` maps each file to the Excel rows of the data rows the test wrote. Every one must
    be a candidate return or named by a `row_readable` issue, never both; a `file_readable`
    issue covers its whole file. The file's `data_rows` count agrees, unless the file could
    not be opened far enough to count its rows (then it is 0).
    """
    files = {f.source_file: f for f in result.files}
    assert set(files) == {source(n) for n in written}, sorted(files)
    for name, rows in written.items():
        file = source(name)
        accepted = Counter(
            result.candidates.loc[result.candidates["source_file"] == file, "source_row"]
        )
        reported = {
            i.source_row
            for i in result.issues
            if i.source_file == file and i.rule == "row_readable"
        }
        whole_file = any(i.source_file == file and i.rule == "file_readable" for i in result.issues)
        assert not set(accepted) & reported, f"{file}: rows both accepted and reported"
        if whole_file:
            assert files[file].data_rows in (0, len(rows)), (file, files[file].data_rows)
            continue
        assert files[file].data_rows == len(rows), (file, files[file].data_rows, len(rows))
        assert accepted + Counter(reported) == Counter(rows), (
            f"{file}: wrote rows {sorted(rows)}, accepted {sorted(accepted)}, "
            f"reported {sorted(reported)}\n{_listed(result.issues)}"
        )
    assert result.rows_in == sum(f.data_rows for f in result.files)
