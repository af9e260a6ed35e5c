"""The sample council's directorates and budget monitoring (SAMPLE DATA: synthetic,
deterministic).

`config/services.csv` puts the eleven sample services in three directorates with their heads
of service and cost centres, and `finance/<YYYY-MM>/budget_monitoring.csv` is the finance
system's monthly export from April 2025 to September 2026: one row per cost centre, in pounds,
with a title row above the header as such exports have. The story: Housing's temporary
accommodation overspend grows through 2026/27 and turns Red in September; Waste is a little
over (Amber, explained); Leisure is under while posts are held vacant; Planning's fee income
falls short and September's export gives no commentary on it, so `variance_has_commentary`
has something to say in the demo. The services' budgets add up to council.yaml's net budget.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from pathlib import Path

from pm_pipeline.core.files import write_atomic
from pm_pipeline.core.periods import FinancialYear, Month
from pm_pipeline.sample import catalogue as cat

FIRST, LATEST = Month(2025, 4), Month(2026, 9)
EXPORT = "budget_monitoring.csv"
HEADER = [
    "Cost Centre",
    "Cost Centre Name",
    "Service",
    "Current Budget",
    "Actual to Date",
    "Forecast Outturn",
    "Comments",
]

# directorate -> services; each service: (2025/26 budget in £, {cost centre: (name, share)})
DIRECTORATES: dict[str, dict[str, tuple[int, dict[str, tuple[str, float]]]]] = {
    "Housing and Communities": {
        "Housing": (
            2_150_000,
            {"H100": ("Housing options", 0.55), "H110": ("Temporary accommodation", 0.45)},
        ),
        "Benefits": (1_020_000, {"B200": ("Benefits administration", 1.0)}),
        "Leisure and Communities": (
            1_480_000,
            {"L300": ("Leisure centres", 0.7), "L310": ("Community development", 0.3)},
        ),
    },
    "Place and Growth": {
        "Waste and Environment": (
            3_260_000,
            {"W400": ("Waste collection", 0.75), "W410": ("Street cleansing", 0.25)},
        ),
        "Planning": (980_000, {"P500": ("Development management", 1.0)}),
        "Economic Development": (610_000, {"E600": ("Business support", 1.0)}),
    },
    "Corporate Services": {
        "Revenues": (890_000, {"R700": ("Council tax and business rates", 1.0)}),
        "Human Resources": (720_000, {"C800": ("Human resources", 1.0)}),
        "Customer Services": (1_150_000, {"C810": ("Contact centre", 1.0)}),
        "Finance": (1_340_000, {"C820": ("Financial services", 1.0)}),
        "Policy and Performance": (540_000, {"C830": ("Policy and performance", 1.0)}),
    },
}
GROWTH = 1.03  # 2026/27's budgets: 2025/26's and 3%, to the nearest £10,000

# service -> (forecast variance in £ by month of the financial year 1-12, from the month
# given; the commentary): the sample's story. Every other service's variance stays under 1%.
STORY: dict[tuple[str, int], tuple[list[int], str]] = {
    ("Housing", 2025): (
        [
            10_000,
            15_000,
            20_000,
            25_000,
            30_000,
            35_000,
            45_000,
            50_000,
            55_000,
            60_000,
            65_000,
            70_000,
        ],
        "Temporary accommodation: more households placed in nightly-paid rooms than budgeted.",
    ),
    ("Housing", 2026): (
        [40_000, 55_000, 70_000, 85_000, 95_000, 150_000],
        "Temporary accommodation: placements up again since July; the prevention officers "
        "(IA-01) start in November.",
    ),
    ("Waste and Environment", 2026): (
        [20_000, 30_000, 40_000, 50_000, 55_000, 60_000],
        "Agency drivers covering vacancies, and diesel above the budgeted price.",
    ),
    ("Leisure and Communities", 2026): (
        [-10_000, -20_000, -30_000, -35_000, -35_000, -40_000],
        "Posts held vacant while the sports hall was refurbished.",
    ),
    ("Planning", 2026): (
        [0, 0, 10_000, 25_000, 40_000, 55_000],
        "Planning fee income below profile.",
    ),
}
UNEXPLAINED = (LATEST, "Planning")  # the export gives no commentary on this variance


def budget(base: int, year: FinancialYear) -> int:
    return base if year.start_year == 2025 else int(round(base * GROWTH, -4))


def services() -> Iterator[tuple[str, str, int, dict[str, tuple[str, float]]]]:
    for directorate, members in DIRECTORATES.items():
        for service, (base, centres) in members.items():
            yield directorate, service, base, centres


def net_budgets() -> dict[str, int]:
    """The council's net revenue budget by year: its services' budgets added up."""
    years = [FinancialYear(2025), FinancialYear(2026)]
    return {y.label: sum(budget(base, y) for _, _, base, _ in services()) for y in years}


def heads() -> dict[str, str]:
    """Each service's head: the manager the sample register gives its PIs."""
    return {service: cat.manager(service) for _, service, _, _ in services()}


def write_services(root: Path) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["SAMPLE DATA: the fictional council's directorates (synthetic)"])
    writer.writerow(["service", "directorate", "head_of_service", "cost_centres"])
    for directorate, service, _, centres in services():
        writer.writerow([service, directorate, heads()[service], "; ".join(centres)])
    return write_atomic(root / "config" / "services.csv", buffer.getvalue())


def _variance(service: str, month: Month, rng: random.Random, base: int) -> tuple[int, str]:
    year = month.quarter.financial_year
    index = (month.month - 4) % 12
    story = STORY.get((service, year.start_year))
    if story and index < len(story[0]):
        return story[0][index], story[1]
    return int(round(base * rng.uniform(-0.008, 0.008), -2)), ""


def _amount(value: float) -> str:
    """As finance exports print money: thousands separated, negatives in brackets."""
    text = f"{abs(round(value)):,}"
    return f"({text})" if value < 0 else text


def write_month(root: Path, month: Month) -> Path:
    year = month.quarter.financial_year
    elapsed = (month.month - 4) % 12 + 1
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            f"{cat.COUNCIL_NAME} - revenue budget monitoring - {month.label} (period {elapsed}) "
            "- SAMPLE DATA: synthetic figures"
        ]
    )
    writer.writerow([])
    writer.writerow(HEADER)
    for _, service, base, centres in services():
        rng = random.Random(f"pm_pipeline sample finance {service} {month.key}")
        annual = budget(base, year)
        variance, commentary = _variance(service, month, rng, annual)
        if (month, service) == UNEXPLAINED:
            commentary = ""
        for code, (name, share) in centres.items():
            part = annual * share
            spend = (part + variance * share) * elapsed / 12 * rng.uniform(0.96, 1.03)
            writer.writerow(
                [
                    code,
                    name,
                    service,
                    _amount(part),
                    _amount(spend),
                    _amount(part + variance * share),
                    commentary if code == next(iter(centres)) else "",
                ]
            )
    return write_atomic(root / "finance" / month.folder / EXPORT, buffer.getvalue())


def months(first: Month = FIRST, last: Month = LATEST) -> list[Month]:
    out = [first]
    while out[-1] < last:
        out.append(out[-1].next)
    return out


def write_finance(root: Path) -> list[Path]:
    """config/services.csv and every month's export, from April 2025 to September 2026."""
    return [write_services(root), *(write_month(root, m) for m in months())]
