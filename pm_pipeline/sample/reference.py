"""Write the sample reference files: publishers' layouts, synthetic values, labelled as sample.

`python -m pm_pipeline.sample.reference data/` writes `data/reference/` for the sample
council (E07000999, fictional), its 15 comparators (real East Midlands districts, invented
figures), the East Midlands region and England: Census 2021 bulk CSVs, the Indices of
Deprivation 2019 (File 7 and File 10) and 2025 (File 7), ONS mid-year estimates workbooks and
Nomis CSVs. Every file name contains `sample` and every workbook says so in its title rows;
none of the numbers are real statistics for these places. The same seed writes the same
figures every time.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from pm_pipeline.core.files import write_atomic
from pm_pipeline.sample.reference_areas import areas
from pm_pipeline.sample.reference_deprivation import write_deprivation
from pm_pipeline.sample.reference_economy import write_aps, write_business, write_claimants
from pm_pipeline.sample.reference_people import write_census, write_population

README = """# Reference files for the State of the District — SAMPLE

Every file here is SAMPLE DATA: synthetic values written by
`python -m pm_pipeline.sample.reference data/` in the layouts the publishers issue. The
sample council (E07000999, "Sample District") is fictional; its comparators are real East
Midlands districts but none of the figures are theirs. Replace these files with the real
downloads (see docs/state-of-the-district.md, "Refreshing the State of the District reference
files").

- `census2021/`: Census 2021 bulk CSVs (TS001, TS007A, TS008, TS037, TS054, TS066, TS067) for
  districts (ltla), the region (rgn) and England (ctry).
- `deprivation/`: English Indices of Deprivation 2019 (File 7 LSOA CSV, File 10 district
  summaries) and 2025 (File 7 LSOA CSV).
- `population/`: ONS mid-year estimates workbooks (sheet `MYE2 - Persons`), mid-2021 to mid-2025.
- `nomis/`: Annual Population Survey employment rate (NM_17_5), UK Business Counts
  enterprises (NM_142_1) and the Claimant Count (NM_162_1).
"""


def write_sample(data_dir: Path) -> list[Path]:
    """Every sample reference file under `data_dir/reference/`; returns the paths written."""
    root = data_dir / "reference"
    all_areas = areas()
    written = [write_atomic(root / "README.md", README)]
    written += write_census(root / "census2021", all_areas)
    written += write_deprivation(root / "deprivation", all_areas)
    written += write_population(root / "population", all_areas)
    written.append(write_aps(root / "nomis", all_areas))
    written.append(write_business(root / "nomis", all_areas))
    written.append(write_claimants(root / "nomis", all_areas))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="the data directory (reference/ is written)")
    args = parser.parse_args(argv)
    paths = write_sample(args.data_dir)
    print(f"Wrote {len(paths)} sample reference files under {args.data_dir / 'reference'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
