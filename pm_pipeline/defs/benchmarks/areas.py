"""GSS area codes: which codes a benchmark row may carry, and why a code is refused.

A benchmark is only useful if its area joins to the register's council and comparators, so
codes are checked for shape (a letter and eight digits) and for an entity type that names a
council, a region or a country. A typo such as `E7000171` or an ONS code for a ward is caught
when the file is read, not when a scorecard quietly leaves a peer out.
"""

from __future__ import annotations

from pm_pipeline.core.values import is_gss_code

# GSS entity codes (the letter and first two digits) of the geographies benchmarks are
# published for: councils of every kind, regions, combined authorities and countries.
AREA_ENTITIES: dict[str, str] = {
    "E06": "unitary authority",
    "E07": "non-metropolitan district",
    "E08": "metropolitan district",
    "E09": "London borough",
    "E10": "county",
    "E11": "metropolitan county",
    "E12": "region",
    "E13": "Inner or Outer London",
    "E47": "combined authority",
    "E92": "England",
    "W06": "Welsh unitary authority",
    "W92": "Wales",
    "S12": "Scottish council area",
    "S92": "Scotland",
    "N09": "Northern Ireland district",
    "N92": "Northern Ireland",
    "K02": "United Kingdom",
    "K03": "Great Britain",
    "K04": "England and Wales",
}


def area_code_problem(code: object) -> str | None:
    """Why `code` is not a usable area code, or None when it is."""
    text = "" if code is None else str(code).strip()
    if not text:
        return "the area code is empty"
    if not is_gss_code(text):
        return f"'{text}' is not a GSS area code like E07000171 (a letter and eight digits)"
    if text[:3] not in AREA_ENTITIES:
        return (
            f"'{text}' is not a council, region or country code (GSS entity {text[:3]} is "
            "unknown here; councils are E06-E09, counties E10, regions E12, England E92000001)"
        )
    return None
