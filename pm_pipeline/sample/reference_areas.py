"""The sample reference files' places and shared helpers: the council, its comparators, the
region and England, their seeded random figures, and CSV text as publishers write it."""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pm_pipeline.sample import catalogue as cat

FIXED_TIME = datetime(2026, 10, 1)


SEED = "pm-pipeline-sample-reference"


COUNCIL_NAME = "Sample District"


REGION = ("E12000004", "East Midlands")


ENGLAND = ("E92000001", "England")


MYE_YEARS = (2021, 2022, 2023, 2024, 2025)  # mid-2021: 2021/22, the first year PB-05 takes


APS_PERIODS = [(y, m) for y in range(2022, 2027) for m in (3, 6, 9, 12) if (y, m) <= (2026, 6)]


BUSINESS_YEARS = (2022, 2023, 2024, 2025, 2026)


CLAIMANT_MONTHS = [
    (y, m) for y in range(2021, 2027) for m in range(1, 13) if (2021, 4) <= (y, m) <= (2026, 9)
]


LSOAS_IN_ENGLAND = {"IoD2019": 32_844, "IoD2025": 33_755}


DISTRICTS_IN_ENGLAND = 317


SAMPLE_NOTE = "SAMPLE DATA: synthetic values in the publisher's layout, not real statistics"


NOMIS_GEOGRAPHY = {
    "ltla": ("local authorities: district / unitary (as of April 2023)", 424),
    "rgn": ("regions", 480),
    "ctry": ("countries", 499),
}


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    level: str  # ltla | rgn | ctry
    population: int  # Census 2021 usual residents
    age_tilt: float  # > 1: an older population
    deprivation: float  # 0 (least) .. 1 (most deprived), districts only
    prosperity: float  # -1 .. 1: employment, skills and business


def seeded_rng(*parts: object) -> random.Random:
    return random.Random("|".join(str(p) for p in (SEED, *parts)))


def areas() -> list[Area]:
    """The sample council first, then its comparators, the region and England."""
    # The sample council is set to tell a story: older, more deprived and less prosperous
    # than most of its neighbours; the comparators vary at random around it.
    out = [Area(cat.AREA_CODE, COUNCIL_NAME, "ltla", 104_650, 1.14, 0.64, -0.3)]
    for code, name in cat.COMPARATORS:
        rng = seeded_rng("area", code)
        out.append(
            Area(
                code,
                name,
                "ltla",
                rng.randint(72_000, 128_000),
                rng.uniform(0.9, 1.25),
                rng.uniform(0.15, 0.75),
                rng.uniform(-1, 1),
            )
        )
    out.append(Area(*REGION, "rgn", 4_880_100, 1.02, 0.45, 0.0))
    out.append(Area(*ENGLAND, "ctry", 56_490_000, 1.0, 0.5, 0.1))
    return out


def split(total: int, weights: Sequence[float]) -> list[int]:
    """Whole counts proportional to `weights` that add up to `total` exactly."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    counts = [math.floor(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: counts[i] - raw[i])[: total - sum(counts)]:
        counts[i] += 1
    return counts


def jitter(rng: random.Random, base: Sequence[float], spread: float) -> list[float]:
    return [b * rng.uniform(1 - spread, 1 + spread) for b in base]


AGE_BASE = [
    5.4,
    5.9,
    6.0,
    5.7,
    5.8,
    6.6,
    6.9,
    6.7,
    6.4,
    6.2,
    6.8,
    6.7,
    5.9,
    5.1,
    5.1,
    3.9,
    2.7,
    2.2,
]


def age_weights(area: Area, rng: random.Random) -> list[float]:
    tilt = [1.0] * 13 + [area.age_tilt] * 5
    young = [2 - area.age_tilt] * 4 + [1.0] * 14
    return [b * t * y for b, t, y in zip(jitter(rng, AGE_BASE, 0.05), tilt, young, strict=True)]


def csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff" + buffer.getvalue()


def with_suffix(columns: list[str], suffix: bool) -> list[str]:
    return [f"{c}; measures: Value" if suffix else c for c in columns]
