"""Official statistics a PI may measure (docs/contracts.md, "Official statistics").

A PI that measures a statistic the State of the District already reads (the district's
population, its employment rate, its claimant rate) says so in `indicators.csv`: `statistic` names it and
`statistic_use` says whether its value is `taken` from that source (no owner return is owed;
pi_returns carries the published figure, labelled with its source) or `checked` against it
(the owner returns it and a WARN check compares the two). Either way no report prints two
values for one fact.

The names are the State of the District's own figure keys (defs/district/catalogue.py), and
each says which `district_context` rows hold it (dataset, measure, category), so the returns
step can read the figure without knowing the district's report.
"""

from __future__ import annotations

from dataclasses import dataclass

STATISTIC_USES = ("taken", "checked")


@dataclass(frozen=True)
class OfficialStatistic:
    name: str  # the State of the District's figure key
    label: str  # as a reader would name it
    source: str  # the publisher's product, as district_context's `source` names it
    dataset: str  # district_context.dataset
    measure: str  # district_context.measure
    category: str  # district_context.category
    unit: str  # the register unit a PI measuring it must have


OFFICIAL_STATISTICS: dict[str, OfficialStatistic] = {
    s.name: s
    for s in (
        OfficialStatistic(
            "population",
            "Population (mid-year estimate)",
            "ONS mid-year population estimates",
            "MYE2",
            "population",
            "Total",
            "count",
        ),
        OfficialStatistic(
            "employment_rate",
            "Employment rate (aged 16-64)",
            "ONS Annual Population Survey (Nomis)",
            "NM_17_5",
            "employment_rate",
            "Aged 16-64",
            "percent",
        ),
        OfficialStatistic(
            "claimant_rate",
            "Claimants as a share of residents aged 16-64",
            "ONS Claimant Count (Nomis)",
            "NM_162_1",
            "claimant_rate",
            "Total",
            "percent",
        ),
    )
}


def statistic_problems(statistic: str, use: str, unit: str) -> list[tuple[str, str]]:
    """(column, what is wrong and what to do) for one row's `statistic` and `statistic_use`."""
    if not statistic and not use:
        return []
    if not statistic:
        return [
            (
                "statistic_use",
                f"'{use}' but the statistic column is blank — name the official statistic "
                f"({', '.join(OFFICIAL_STATISTICS)}) or clear statistic_use",
            )
        ]
    found = OFFICIAL_STATISTICS.get(statistic)
    if found is None:
        return [
            (
                "statistic",
                f"'{statistic}' is not an official statistic the State of the District reads "
                f"({', '.join(OFFICIAL_STATISTICS)})",
            )
        ]
    problems = []
    if use not in STATISTIC_USES:
        problems.append(
            (
                "statistic_use",
                f"'{use}' is not one of {', '.join(STATISTIC_USES)} — taken: the value comes "
                f"from {found.source} and no return is owed; checked: the owner returns it and "
                "it is compared with the published figure",
            )
        )
    if unit and unit != found.unit:
        problems.append(
            (
                "unit",
                f"'{unit}' but {found.label} is published as a {found.unit} — a PI measuring "
                f"it must have unit {found.unit}",
            )
        )
    return problems
