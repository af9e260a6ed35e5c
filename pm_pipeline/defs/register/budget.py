"""The council's budget-monitoring settings, from `council.yaml`'s `finance` key
(docs/contracts.md, "Register files").

A forecast variance is rated by the convention of Brighton & Hove City Council's Targeted
Budget Management reports to Cabinet (their RAG key for service areas): Green, a forecast
on budget or under it; Amber, an overspend below the Red threshold; Red, an overspend of
`red_pct` % of the budget or `red_gbp`, whichever is lower (5% or £100,000 by default). A
variance either way of `commentary_pct` % or `commentary_gbp`, whichever is lower, needs a
sentence of commentary; the services' budgets should sum to the council's net revenue budget
for the year (`net_budget`) within `reconcile_gbp`. Kept in `register_council` as JSON, so
every step reads the settings the register was built with.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from pm_pipeline.core.periods import FinancialYear

# key -> (default, what it must be); the money keys in pounds
LIMITS: dict[str, tuple[float, str]] = {
    "red_pct": (5.0, "a percentage of the service's budget, above 0 and below 100"),
    "red_gbp": (100_000.0, "an amount in pounds above 0, e.g. 100000"),
    "commentary_pct": (2.0, "a percentage of the service's budget, above 0 and below 100"),
    "commentary_gbp": (50_000.0, "an amount in pounds above 0, e.g. 50000"),
    "reconcile_gbp": (1_000.0, "an amount in pounds, 0 or more, e.g. 1000"),
}
FINANCE_KEYS = ("net_budget", *LIMITS)


@dataclass(frozen=True)
class BudgetSettings:
    """How the budget-monitoring figures are judged; `net_budget` is (year label, £) pairs."""

    net_budget: tuple[tuple[str, float], ...] = ()
    red_pct: float = LIMITS["red_pct"][0]
    red_gbp: float = LIMITS["red_gbp"][0]
    commentary_pct: float = LIMITS["commentary_pct"][0]
    commentary_gbp: float = LIMITS["commentary_gbp"][0]
    reconcile_gbp: float = LIMITS["reconcile_gbp"][0]

    def net_budget_for(self, year: FinancialYear) -> float | None:
        return dict(self.net_budget).get(year.label)

    def red_threshold(self, budget: float) -> float:
        """The overspend at which a service is Red: the lower of the two limits."""
        return min(abs(budget) * self.red_pct / 100, self.red_gbp)

    def commentary_threshold(self, budget: float) -> float:
        """The variance, either way, that needs commentary: the lower of the two limits."""
        return min(abs(budget) * self.commentary_pct / 100, self.commentary_gbp)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: object) -> BudgetSettings:
        """The settings stored in `register_council` (the defaults for a warehouse written
        before issue 28)."""
        if not isinstance(text, str) or not text:
            return cls()
        raw: dict[str, Any] = json.loads(text)
        raw["net_budget"] = tuple((str(y), float(v)) for y, v in raw.get("net_budget", []))
        return cls(**raw)


def _amount(value: object) -> float | None:
    """A YAML number (not a flag, not text)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def read_budget_settings(raw: object, file: str) -> tuple[BudgetSettings, list[str]]:
    """`finance` from council.yaml, and the problems with it (each naming the key)."""
    if raw is None:
        return BudgetSettings(), []
    where = f"{file}, key finance"
    if not isinstance(raw, dict):
        return BudgetSettings(), [
            f"{where}: give the settings as keys ({', '.join(FINANCE_KEYS)}), one per line"
        ]
    problems = [
        f"{where}.{key}: not a finance setting — use {', '.join(FINANCE_KEYS)}"
        for key in raw
        if key not in FINANCE_KEYS
    ]
    given: dict[str, Any] = {}
    for key, (_, what) in LIMITS.items():
        if key not in raw:
            continue
        value = _amount(raw[key])
        floor_ok = value is not None and (value >= 0 if key == "reconcile_gbp" else value > 0)
        if value is None or not floor_ok or (key.endswith("_pct") and value >= 100):
            problems.append(f"{where}.{key}: '{raw[key]}' must be {what}")
            continue
        given[key] = value
    budgets = raw.get("net_budget")
    if budgets is not None:
        years, wrong = _net_budgets(budgets, f"{where}.net_budget")
        given["net_budget"] = years
        problems += wrong
    return BudgetSettings(**given), problems


def _net_budgets(raw: object, where: str) -> tuple[tuple[tuple[str, float], ...], list[str]]:
    if not isinstance(raw, dict):
        return (), [f"{where}: give one `2026/27: 15890000` line per financial year, in pounds"]
    years: list[tuple[str, float]] = []
    problems: list[str] = []
    for label, value in raw.items():
        try:
            year = FinancialYear.from_label(str(label))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        amount = _amount(value)
        if amount is None or amount <= 0:
            problems.append(
                f"{where}, {label}: '{value}' is not an amount in pounds — write the net "
                "revenue budget as a number, e.g. 15890000"
            )
            continue
        years.append((year.label, amount))
    return tuple(sorted(years)), problems
