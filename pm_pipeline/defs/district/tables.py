"""The place-context tables in the warehouse: their contracts and whole-table writes.

`district_context` is one tidy long table: one row per published figure, whatever its source.

| column | meaning |
|---|---|
| `source` | publisher and product: `ONS Census 2021`, `MHCLG English Indices of Deprivation`, `ONS mid-year population estimates`, `ONS Annual Population Survey (Nomis)`, `ONS UK Business Counts (Nomis)`, `ONS Claimant Count (Nomis)` |
| `dataset` | the publisher's table: `TS054`, `IoD`, `MYE2`, `NM_17_5`, `NM_142_1`, `NM_162_1` |
| `measure` | what is counted or measured: `households`, `usual residents`, `population`, `employment_rate`, `share_of_lsoas_in_most_deprived_decile`, ... |
| `category` | the breakdown within the measure (`Owned`, `Aged 65 and over`, `Total`); `Total` is the whole, the other categories of a measure never overlap, so they sum to it |
| `area_code`, `area_name` | GSS code and name as the publisher gives them (district, region, country) |
| `period` | the publisher's period: `2021`, `mid-2024`, `Apr 2024-Mar 2025`, `IoD2019`, `2025` |
| `period_start`, `period_end` | the dates the figure describes (IoD: its publication date) |
| `available_from` | when the figure counts as published for the report's "as it stood then" rule: the known release date (Census, IoD), else the period end plus the dataset's usual publication lag |
| `value`, `unit` | the number and its unit: `count`, `percent`, `rank`, `score`, `percentage points` |
| `note` | how a derived figure was made, or why a value is missing (Nomis `OBS_STATUS`) |
| `source_file` | the file under `reference/` it came from; sample files say `sample` in their name |

`deprivation_lsoa` keeps every neighbourhood (LSOA) row of the Indices of Deprivation files,
so analysts can map and recount them: `edition, lsoa_code, lsoa_name, area_code, area_name,
imd_score, imd_rank, imd_decile, population, source_file`.

Both tables are replaced whole on every run, in one transaction (a crash leaves the last good
copy). Their column contracts are below.
"""

from __future__ import annotations

from pm_pipeline.core.warehouse import Table

DISTRICT_CONTEXT = Table(
    "district_context",
    {
        "source": "VARCHAR",
        "dataset": "VARCHAR",
        "measure": "VARCHAR",
        "category": "VARCHAR",
        "area_code": "VARCHAR",
        "area_name": "VARCHAR",
        "period": "VARCHAR",
        "period_start": "DATE",
        "period_end": "DATE",
        "available_from": "DATE",
        "value": "DOUBLE",
        "unit": "VARCHAR",
        "note": "VARCHAR",
        "source_file": "VARCHAR",
    },
)

DEPRIVATION_LSOA = Table(
    "deprivation_lsoa",
    {
        "edition": "VARCHAR",
        "lsoa_code": "VARCHAR",
        "lsoa_name": "VARCHAR",
        "area_code": "VARCHAR",
        "area_name": "VARCHAR",
        "imd_score": "DOUBLE",
        "imd_rank": "INTEGER",
        "imd_decile": "INTEGER",
        "population": "DOUBLE",
        "source_file": "VARCHAR",
    },
)

TABLES = (DISTRICT_CONTEXT, DEPRIVATION_LSOA)
