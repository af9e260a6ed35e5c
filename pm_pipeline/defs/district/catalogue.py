"""What the State of the District shows, section by section, and where each figure comes from."""

from __future__ import annotations

from dataclasses import dataclass

from pm_pipeline.defs.district.figures import BEST, IMD, MOST_DEPRIVED, Figure

_ACTIVE = (
    "In employment",
    "Unemployed",
    "Full-time student in employment",
    "Full-time student unemployed",
)
_DECILE = "share_of_lsoas_in_most_deprived_decile"

FIGURES: tuple[Figure, ...] = (
    Figure(
        "population", "Population", "MYE2", "population", unit="count", decimals=0, headline=True
    ),
    Figure(
        "population_change",
        "Population change over the year",
        "MYE2",
        "population",
        change=True,
        headline=True,
    ),
    Figure("aged_0_15", "Aged 0 to 15", "MYE2", "population", ("Aged 0 to 15",), ("Total",)),
    Figure("aged_16_64", "Aged 16 to 64", "MYE2", "population", ("Aged 16 to 64",), ("Total",)),
    Figure(
        "aged_65_over", "Aged 65 and over", "MYE2", "population", ("Aged 65 and over",), ("Total",)
    ),
    Figure("female", "Female residents", "TS008", "usual residents", ("Female",), ("Total",)),
    Figure(
        "communal",
        "Living in a communal establishment (care homes, halls, prisons)",
        "TS001",
        "usual residents",
        ("Lives in a communal establishment",),
        ("Total",),
    ),
    Figure(
        "good_health",
        "In good or very good health",
        "TS037",
        "usual residents",
        ("Very good health", "Good health"),
        ("Total",),
        polarity="higher_is_better",
        order=BEST,
    ),
    Figure(
        "bad_health",
        "In bad or very bad health",
        "TS037",
        "usual residents",
        ("Bad health", "Very bad health"),
        ("Total",),
        polarity="lower_is_better",
        order=BEST,
    ),
    Figure("owned", "Households owning their home", "TS054", "households", ("Owned",), ("Total",)),
    Figure(
        "social_rented",
        "Households renting from a council or housing association",
        "TS054",
        "households",
        ("Social rented",),
        ("Total",),
    ),
    Figure(
        "private_rented",
        "Households renting privately",
        "TS054",
        "households",
        ("Private rented",),
        ("Total",),
    ),
    Figure(
        "most_deprived_decile",
        "Neighbourhoods (LSOAs) among the most deprived 10% in England",
        "IoD",
        _DECILE,
        (IMD,),
        polarity="lower_is_better",
        order=MOST_DEPRIVED,
        headline=True,
        england_by_definition=10.0,
    ),
    Figure(
        "imd_average_score",
        "Average deprivation score (higher is more deprived)",
        "IoD",
        "average_score",
        (IMD,),
        unit="score",
        polarity="lower_is_better",
        order=MOST_DEPRIVED,
    ),
    Figure(
        "imd_rank_of_average_score",
        "Rank of average deprivation score (1 = most deprived)",
        "IoD",
        "rank_of_average_score",
        (IMD,),
        unit="rank",
        polarity="higher_is_better",
        decimals=0,
        order=MOST_DEPRIVED,
        ranked_out_of="districts_ranked",
    ),
    Figure(
        "employment_rate",
        "Employment rate (aged 16-64)",
        "NM_17_5",
        "employment_rate",
        ("Aged 16-64",),
        polarity="higher_is_better",
        order=BEST,
        year_apart=True,
        headline=True,
    ),
    Figure(
        "claimant_rate",
        "Claimants as a share of residents aged 16-64",
        "NM_162_1",
        "claimant_rate",
        polarity="lower_is_better",
        order=BEST,
        year_apart=True,
    ),
    Figure(
        "census_in_employment",
        "Residents aged 16 and over in employment (Census)",
        "TS066",
        "usual residents aged 16 and over",
        ("In employment", "Full-time student in employment"),
        ("Total",),
        polarity="higher_is_better",
        order=BEST,
    ),
    Figure(
        "census_unemployed",
        "Unemployed, as a share of economically active residents (Census)",
        "TS066",
        "usual residents aged 16 and over",
        ("Unemployed", "Full-time student unemployed"),
        _ACTIVE,
        polarity="lower_is_better",
        order=BEST,
    ),
    Figure(
        "long_term_sick",
        "Economically inactive because long-term sick or disabled (Census)",
        "TS066",
        "usual residents aged 16 and over",
        ("Long-term sick or disabled",),
        ("Total",),
    ),
    Figure(
        "level_4",
        "Residents aged 16 and over qualified to degree level (level 4) or above",
        "TS067",
        "usual residents aged 16 and over",
        ("Level 4 qualifications and above",),
        ("Total",),
        polarity="higher_is_better",
        order=BEST,
    ),
    Figure(
        "no_qualifications",
        "Residents aged 16 and over with no qualifications",
        "TS067",
        "usual residents aged 16 and over",
        ("No qualifications",),
        ("Total",),
        polarity="lower_is_better",
        order=BEST,
    ),
    Figure(
        "enterprises",
        "Businesses (enterprises)",
        "NM_142_1",
        "enterprises",
        unit="count",
        decimals=0,
        headline=True,
    ),
    Figure(
        "enterprise_change",
        "Change in the number of businesses over the year",
        "NM_142_1",
        "enterprises",
        change=True,
        polarity="higher_is_better",
        order=BEST,
    ),
    Figure(
        "micro_businesses",
        "Businesses with fewer than 10 employees (micro)",
        "NM_142_1",
        "enterprises",
        ("Micro (0 to 9)",),
        ("Total",),
    ),
)
BY_KEY = {f.key: f for f in FIGURES}


@dataclass(frozen=True)
class Topic:
    key: str
    title: str
    figures: tuple[str, ...]
    missing_hint: str  # which reference files would fill the table


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    topics: tuple[Topic, ...]


SECTIONS: tuple[Section, ...] = (
    Section(
        "people",
        "People",
        "Who lives in the district, how old they are and how healthy.",
        (
            Topic(
                "population",
                "Population and age",
                (
                    "population",
                    "population_change",
                    "aged_0_15",
                    "aged_16_64",
                    "aged_65_over",
                    "female",
                    "communal",
                ),
                "ONS mid-year estimates (MYE2) and Census 2021 TS008, TS001",
            ),
            Topic("health", "Health", ("good_health", "bad_health"), "Census 2021 TS037"),
        ),
    ),
    Section(
        "place",
        "Place",
        "Homes, neighbourhoods and deprivation.",
        (
            Topic(
                "housing",
                "Housing",
                ("owned", "social_rented", "private_rented"),
                "Census 2021 TS054",
            ),
            Topic(
                "deprivation",
                "Deprivation",
                ("most_deprived_decile", "imd_average_score", "imd_rank_of_average_score"),
                "the English Indices of Deprivation (File 7 and File 10)",
            ),
        ),
    ),
    Section(
        "prosperity",
        "Prosperity",
        "Jobs, skills and businesses.",
        (
            Topic(
                "employment",
                "Employment",
                (
                    "employment_rate",
                    "claimant_rate",
                    "census_in_employment",
                    "census_unemployed",
                    "long_term_sick",
                ),
                "Nomis NM_17_5, NM_162_1 and Census 2021 TS066",
            ),
            Topic("skills", "Skills", ("level_4", "no_qualifications"), "Census 2021 TS067"),
            Topic(
                "business",
                "Business",
                ("enterprises", "enterprise_change", "micro_businesses"),
                "Nomis NM_142_1 (UK Business Counts)",
            ),
        ),
    ),
)

DATASET_NAMES = {
    "MYE2": "ONS mid-year population estimates",
    "NM_17_5": "the Annual Population Survey employment rate",
    "NM_142_1": "UK Business Counts",
    "NM_162_1": "the Claimant Count",
    "IoD": "the English Indices of Deprivation",
    "TS001": "Census 2021",
    "TS007A": "Census 2021",
    "TS008": "Census 2021",
    "TS037": "Census 2021",
    "TS054": "Census 2021",
    "TS066": "Census 2021",
    "TS067": "Census 2021",
}
