"""The sample council's indicator catalogue: synthetic, but shaped like a real district's.

Every figure generated from it is synthetic; the council's name says "Sample" and every
report carries a "sample data" banner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COUNCIL_NAME = "Sample District Council"
AREA_CODE = "E07000999"  # not a real district: the sample council is fictional
REGION_CODE = "E12000004"  # East Midlands
THEMES = ("People", "Place", "Prosperity", "Fit-for-purpose organisation")
DOMAIN = "sample-district.example"

# Real East Midlands districts, standing in for a CIPFA nearest-neighbour group.
COMPARATORS = (
    ("E07000170", "Ashfield"),
    ("E07000171", "Bassetlaw"),
    ("E07000172", "Broxtowe"),
    ("E07000173", "Gedling"),
    ("E07000174", "Mansfield"),
    ("E07000175", "Newark and Sherwood"),
    ("E07000032", "Amber Valley"),
    ("E07000033", "Bolsover"),
    ("E07000034", "Chesterfield"),
    ("E07000036", "Erewash"),
    ("E07000038", "North East Derbyshire"),
    ("E07000134", "North West Leicestershire"),
    ("E07000136", "Boston"),
    ("E07000137", "East Lindsey"),
    ("E07000142", "West Lindsey"),
)


@dataclass(frozen=True)
class SamplePI:
    pi_id: str
    title: str
    type: str
    theme: str
    service: str
    owner: str
    unit: str
    polarity: str
    frequency: str
    base: float  # level in 2023/24 Q1
    trend: float  # change per quarter
    season: tuple[float, float, float, float] = (0, 0, 0, 0)  # added in Q1..Q4
    noise: float = 0.0
    decimals: int = 1
    valid_min: float | None = None
    valid_max: float | None = None
    target_margin: float | None = None  # target = expected level × (1 + margin), by polarity
    lginform_metric: str | None = None
    oflog_metric: str | None = None
    description: str = ""
    numerator_of: float | None = None  # denominator size, to return numerator/denominator
    manager: str = ""  # blank: the service's manager in the sample council


_OFFICERS = {
    "Housing": ("amira.khan", "david.hughes"),
    "Benefits": ("liam.oconnor", "sarah.patel"),
    "Leisure and Communities": ("grace.lee", "tom.walker"),
    "Waste and Environment": ("owen.price", "helen.morris"),
    "Planning": ("priya.shah", "james.wright"),
    "Economic Development": ("ben.carter", "rachel.green"),
    "Revenues": ("zoe.turner", "sarah.patel"),
    "Human Resources": ("nina.roberts", "mark.evans"),
    "Customer Services": ("chris.young", "mark.evans"),
    "Finance": ("fatima.ali", "mark.evans"),
    "Policy and Performance": ("ellie.harris", "mark.evans"),
}


def officer(service: str) -> str:
    return f"{_OFFICERS[service][0]}@{DOMAIN}"


def manager(service: str) -> str:
    return f"{_OFFICERS[service][1]}@{DOMAIN}"


def _pi(
    pi_id: str,
    title: str,
    type_: str,
    theme: str,
    service: str,
    unit: str,
    polarity: str,
    frequency: str,
    base: float,
    trend: float,
    **kw: Any,
) -> SamplePI:
    return SamplePI(
        pi_id,
        title,
        type_,
        theme,
        service,
        officer(service),
        unit,
        polarity,
        frequency,
        base,
        trend,
        **kw,
    )


P, PL, PR, ORG = THEMES
# fmt: off
CATALOGUE: tuple[SamplePI, ...] = (
    # People
    _pi("HS-01", "Households prevented from becoming homeless", "kpi", P, "Housing", "count",
        "higher_is_better", "quarterly", 88, 1.2, season=(4, 0, -6, 2), noise=5, decimals=0,
        valid_min=0, target_margin=0.0),
    _pi("HS-02", "Average nights in temporary accommodation", "kpi", P, "Housing", "days",
        "lower_is_better", "quarterly", 46, 0.6, season=(-2, 0, 3, 1), noise=2.5, valid_min=0,
        valid_max=365, target_margin=0.02),
    _pi("HS-03", "Homelessness decisions made within 56 days", "service", P, "Housing",
        "percent", "higher_is_better", "quarterly", 84, 0.4, noise=2.0, target_margin=0.0,
        numerator_of=120),
    _pi("HS-04", "Affordable homes delivered", "kpi", P, "Housing", "count", "higher_is_better",
        "annual", 142, 9, noise=10, decimals=0, valid_min=0, target_margin=0.05),
    _pi("HS-05", "Households on the housing register", "contextual", P, "Housing", "count",
        "neutral", "quarterly", 2310, 18, noise=30, decimals=0, valid_min=0),
    _pi("HB-01", "Average days to process new Housing Benefit claims", "kpi", P, "Benefits",
        "days", "lower_is_better", "quarterly", 21.5, -0.35, season=(0, 0, 1.5, 0.5), noise=0.8,
        valid_min=0, valid_max=120, target_margin=0.0, lginform_metric="900008"),
    _pi("HB-02", "Average days to process Housing Benefit changes of circumstance", "service", P,
        "Benefits", "days", "lower_is_better", "quarterly", 8.4, -0.1, noise=0.5, valid_min=0,
        target_margin=0.03),
    _pi("LS-01", "Visits to the council's leisure centres", "service", P,
        "Leisure and Communities", "count", "higher_is_better", "quarterly", 151000, 900,
        season=(9000, 14000, -6000, -2000), noise=2500, decimals=0, valid_min=0,
        target_margin=-0.01),
    _pi("LS-02", "Parks holding Green Flag status", "service", P, "Leisure and Communities",
        "count", "higher_is_better", "annual", 5, 0.25, decimals=0, valid_min=0,
        target_margin=0.0),
    _pi("CS-01", "Anti-social behaviour incidents reported", "contextual", P,
        "Leisure and Communities", "count", "neutral", "quarterly", 640, -4,
        season=(30, 60, -20, -50), noise=25, decimals=0, valid_min=0),
    _pi("HE-01", "Disabled facilities grants completed", "service", P, "Housing", "count",
        "higher_is_better", "quarterly", 31, 0.3, noise=3, decimals=0, valid_min=0,
        target_margin=0.02),
    # Place
    _pi("WR-01", "Household waste sent for reuse, recycling and composting", "kpi", PL,
        "Waste and Environment", "percent", "higher_is_better", "quarterly", 44.5, 0.35,
        season=(3.5, 4.0, -2.5, -5.0), noise=0.6, target_margin=0.0, lginform_metric="900001",
        oflog_metric="WM1"),
    _pi("WR-02", "Residual household waste per household (kg, rolling 12 months)", "kpi", PL,
        "Waste and Environment", "rate", "lower_is_better", "quarterly", 512, -3,
        season=(4, -6, 8, 12), noise=6, decimals=0, valid_min=0, target_margin=0.0,
        lginform_metric="900002", oflog_metric="WM2"),
    _pi("WR-03", "Missed bin collections per 100,000 collections", "service", PL,
        "Waste and Environment", "rate", "lower_is_better", "quarterly", 52, -0.6,
        season=(0, 2, 6, 8), noise=3, valid_min=0, target_margin=0.0),
    _pi("EN-01", "Fly-tipping incidents per 1,000 population (rolling 12 months)", "service", PL,
        "Waste and Environment", "rate", "lower_is_better", "quarterly", 12.4, 0.1,
        season=(0.5, 0.8, -0.3, -0.6), noise=0.3, decimals=1, valid_min=0, target_margin=0.0,
        lginform_metric="900003"),
    _pi("EN-02", "Fly-tips cleared within two working days", "service", PL,
        "Waste and Environment", "percent", "higher_is_better", "quarterly", 91, 0.15,
        noise=1.2, target_margin=0.0, numerator_of=400),
    _pi("EN-03", "Food premises rated 3 or above for hygiene", "service", PL,
        "Waste and Environment", "percent", "higher_is_better", "quarterly", 95.2, 0.05,
        noise=0.3, target_margin=-0.03),
    _pi("PL-01", "Major planning applications decided in time", "kpi", PL, "Planning",
        "percent", "higher_is_better", "quarterly", 86, 0.5, noise=4, target_margin=0.0,
        lginform_metric="900004", oflog_metric="PL1", numerator_of=14),
    _pi("PL-02", "Non-major planning applications decided in time", "kpi", PL, "Planning",
        "percent", "higher_is_better", "quarterly", 80, 0.6, noise=2.5, target_margin=0.02,
        lginform_metric="900005", oflog_metric="PL2", numerator_of=210),
    _pi("PL-03", "Planning appeals allowed", "service", PL, "Planning", "percent",
        "lower_is_better", "quarterly", 28, -0.3, noise=4, target_margin=0.0),
    _pi("CC-01", "Council's own carbon emissions (tonnes CO2e)", "management", PL,
        "Policy and Performance", "count", "lower_is_better", "annual", 3900, -170, noise=60,
        decimals=0, valid_min=0, target_margin=0.0),
    _pi("PB-01", "Recorded crime per 1,000 population", "place", PL, "Policy and Performance",
        "rate", "lower_is_better", "quarterly", 19.5, -0.05, season=(0.4, 0.8, 0, -0.6),
        noise=0.4, valid_min=0),
    _pi("PB-02", "Households in fuel poverty", "place", PL, "Policy and Performance", "percent",
        "lower_is_better", "annual", 13.8, -0.1, noise=0.2),
    _pi("PB-03", "Land with unacceptable levels of litter", "place", PL,
        "Waste and Environment", "percent", "lower_is_better", "quarterly", 6.2, -0.05,
        noise=0.5),
    _pi("EN-04", "Noise complaints received", "contextual", PL, "Waste and Environment",
        "count", "neutral", "quarterly", 210, 1, season=(20, 45, -25, -40), noise=12,
        decimals=0, valid_min=0),
    # Prosperity
    _pi("RV-01", "Council tax collected (rolling 12 months)", "kpi", PR, "Revenues", "percent",
        "higher_is_better", "quarterly", 96.4, 0.03, noise=0.15, decimals=1, target_margin=0.0,
        lginform_metric="900006", oflog_metric="FN1"),
    _pi("RV-02", "Business rates collected (rolling 12 months)", "kpi", PR, "Revenues",
        "percent", "higher_is_better", "quarterly", 97.6, 0.02, noise=0.2, decimals=1,
        target_margin=0.0),
    _pi("ED-01", "Businesses given one-to-one support", "service", PR, "Economic Development",
        "count", "higher_is_better", "quarterly", 64, 1.5, noise=6, decimals=0, valid_min=0,
        target_margin=0.0),
    _pi("ED-02", "Jobs created with council support", "service", PR, "Economic Development",
        "count", "higher_is_better", "annual", 210, 12, noise=15, decimals=0, valid_min=0,
        target_margin=0.0),
    _pi("ED-03", "Town centre vacant units", "place", PR, "Economic Development", "percent",
        "lower_is_better", "quarterly", 14.2, -0.1, noise=0.4),
    _pi("ED-04", "Claimant count (aged 16-64)", "contextual", PR, "Economic Development",
        "percent", "neutral", "quarterly", 3.6, -0.01, noise=0.08, decimals=1),
    _pi("ED-05", "Commercial units let on council estate", "management", PR,
        "Economic Development", "percent", "higher_is_better", "quarterly", 90.5, 0.2,
        noise=0.7, target_margin=-0.01),
    _pi("PB-04", "Employment rate (aged 16-64)", "place", PR, "Policy and Performance",
        "percent", "higher_is_better", "annual", 74.8, 0.3, noise=0.5),
    _pi("PB-05", "Residents (mid-year estimate)", "place", PR, "Policy and Performance", "count",
        "neutral", "annual", 118400, 2100, decimals=0, valid_min=0),
    # Fit-for-purpose organisation
    _pi("HR-01", "Working days lost to sickness per FTE (rolling 12 months)", "kpi", ORG,
        "Human Resources", "days", "lower_is_better", "quarterly", 9.4, -0.06,
        season=(0, -0.2, 0.3, 0.4), noise=0.15, valid_min=0, valid_max=60, target_margin=0.0,
        lginform_metric="900007"),
    _pi("HR-02", "Voluntary staff turnover (rolling 12 months)", "management", ORG,
        "Human Resources", "percent", "lower_is_better", "quarterly", 11.5, -0.1, noise=0.4,
        target_margin=0.0),
    _pi("HR-03", "Mandatory training completed", "management", ORG, "Human Resources",
        "percent", "higher_is_better", "quarterly", 88, 0.4, noise=1.5, target_margin=0.0),
    _pi("CU-01", "Complaints answered within 10 working days", "management", ORG,
        "Customer Services", "percent", "higher_is_better", "quarterly", 83, 0.5, noise=2.0,
        target_margin=0.0, numerator_of=180),
    _pi("CU-02", "Calls answered within 60 seconds", "service", ORG, "Customer Services",
        "percent", "higher_is_better", "quarterly", 72, 0.6, season=(-2, 1, 2, -4), noise=2.0,
        target_margin=0.0),
    _pi("CU-03", "Freedom of Information requests answered within 20 working days",
        "management", ORG, "Customer Services", "percent", "higher_is_better", "quarterly", 90,
        0.2, noise=1.5, target_margin=0.0),
    _pi("CU-04", "Compliments received", "contextual", ORG, "Customer Services", "count",
        "neutral", "quarterly", 96, 1, season=(5, 10, -5, -10), noise=8, decimals=0,
        valid_min=0),
    _pi("FI-01", "Invoices paid within 30 days", "management", ORG, "Finance", "percent",
        "higher_is_better", "quarterly", 93, 0.15, noise=1.0, target_margin=0.0),
    _pi("FI-02", "Income from the council's commercial estate", "kpi", ORG, "Finance", "gbp",
        "higher_is_better", "quarterly", 412000, 2500, season=(0, 6000, -4000, 9000),
        noise=7000, decimals=0, valid_min=0, target_margin=0.0),
    _pi("IT-01", "Transactions completed online", "service", ORG, "Customer Services", "percent",
        "higher_is_better", "quarterly", 61, 0.9, noise=1.0, target_margin=0.0),
)
# fmt: on
