"""Shared strictness for publishers' files: find columns by their published names, or say what changed.

Publishers rename, add and split columns between releases. Every parser here names the
columns it relies on; when one is missing the error names the file, the header row, the
column it expected and the nearest heading the file does have, so whoever refreshes a file
sees at once whether the publisher renamed something or the wrong file was saved.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, overload

from pm_pipeline.core.sheets import FileProblem, clean_text, normalise_header
from pm_pipeline.core.values import is_gss_code, parse_number

if TYPE_CHECKING:
    pass

_MEASURES_SUFFIX = re.compile(r";\s*measures:\s*value$")
_COLON = re.compile(r"\s*:\s*")


class LayoutError(FileProblem):
    """A reference file whose layout or content differs from what its publisher issues."""


def header_key(text: object) -> str:
    """How publishers' headings are compared: case, spacing, `: ` and `; measures: Value` ignored.

    Census bulk files write the same heading with and without a space after a colon and with or
    without the `; measures: Value` suffix, depending on the table and the release.
    """
    key = _MEASURES_SUFFIX.sub("", normalise_header(text))
    return _COLON.sub(": ", key).strip()


def nearest(wanted: str, available: Iterable[str]) -> str | None:
    """The heading in the file most like the one expected (a renamed column), if any is close."""
    found = difflib.get_close_matches(wanted, list(available), n=1, cutoff=0.6)
    return found[0] if found else None


def find_columns(
    header: Sequence[str],
    wanted: Mapping[str, Sequence[str]],
    file: str,
    header_row: int,
    what: str,
) -> dict[str, int]:
    """Column index of each wanted name (any accepted spelling), else a LayoutError.

    `wanted` maps a name the caller uses to the published headings accepted for it.
    """
    keys = [header_key(h) for h in header]
    found: dict[str, int] = {}
    for name, spellings in wanted.items():
        for spelling in spellings:
            key = header_key(spelling)
            if key in keys:
                found[name] = keys.index(key)
                break
        else:
            expected = spellings[0]
            near = nearest(header_key(expected), [k for k in keys if k])
            hint = (
                f"; the nearest heading in the file is '{near}' — has the publisher renamed it?"
                if near
                else "; no heading in the file is like it."
            )
            raise LayoutError(
                f"{file}, header row {header_row}: the column '{expected}' ({what}) is missing"
                f"{hint} Re-download the file in the publisher's standard layout, or update the "
                "layout this pipeline expects if the publisher has changed it.",
                row=header_row,
                column=expected,
            )
    return found


@overload
def number(
    cell: object, file: str, row: int, column: str, *, blank_ok: Literal[False] = False
) -> float: ...
@overload
def number(cell: object, file: str, row: int, column: str, *, blank_ok: bool) -> float | None: ...
def number(
    cell: object, file: str, row: int, column: str, *, blank_ok: bool = False
) -> float | None:
    """A numeric cell (publishers' thousands separators allowed), else a LayoutError."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        if blank_ok:
            return None
        raise LayoutError(f"{file}, row {row}, column '{column}': the cell is empty", row, column)
    try:
        value = parse_number(cell, symbols=False)
    except ValueError:
        raise LayoutError(
            f"{file}, row {row}, column '{column}': '{cell}' is not a number — has a column moved?",
            row=row,
            column=column,
        ) from None
    if value is None:  # blank after cleaning
        raise LayoutError(f"{file}, row {row}, column '{column}': the cell is empty", row, column)
    return value


def area_code(cell: object, file: str, row: int, column: str) -> str:
    code = clean_text(cell).upper()
    if not is_gss_code(code):
        raise LayoutError(
            f"{file}, row {row}, column '{column}': '{clean_text(cell)}' is not a GSS area code "
            "like E07000171 — has a column moved?",
            row=row,
            column=column,
        )
    return code
