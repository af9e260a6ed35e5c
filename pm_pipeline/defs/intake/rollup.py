"""A monthly PI's quarter, worked out from its months (docs/contracts.md, "Monthly returns").

The quarter is a `pi_returns` row like any quarterly PI's, so the scorecard, the reports and
the year's outturn read it as they read every other; its figure comes from the months in
`pi_monthly_returns` by the PI's measure, through the one function that also makes a year of
quarters (`core.measures.combine`): a flow's quarter is the sum of its months, a stock's or a
cumulative's its latest month, a ratio's Σnumerators / Σdenominators, an average's the mean
weighted by the denominators. A quarter with a month missing has no figure where the measure
needs every month (a total of two months is not the quarter's); its note says how many of the
three months were returned ("2 of 3 months returned"), whatever the figure.
"""

from __future__ import annotations

import pandas as pd

from pm_pipeline.core.measures import combine, is_rolling, parts_for
from pm_pipeline.core.periods import Month, Quarter
from pm_pipeline.core.values import is_missing
from pm_pipeline.defs.intake.tables import PI_RETURNS

MONTHS = 3


def _given(x: object) -> bool:
    return x is not None and not is_missing(x)


def _sum(rows: list, column: str) -> float | None:
    """The months' total of a column, if every month gives it."""
    values = [getattr(r, column) for r in rows]
    return float(sum(values)) if values and all(_given(v) for v in values) else None


def months_returned(returned: int) -> str:
    """The words every report shows beside a monthly PI's quarter: "2 of 3 months returned"."""
    return f"{returned} of {MONTHS} months returned"


def quarter_from_months(
    monthly: pd.DataFrame, indicators: pd.DataFrame, quarter: Quarter
) -> pd.DataFrame:
    """Each monthly PI's `pi_returns` row for `quarter` from its rows in `pi_monthly_returns`
    (none for a PI with no month returned: it is missing, as a quarterly PI without a return
    is). Provenance names the months' files, oldest first; submitted_by, submitted_at,
    source_row, file_sha256 and version are the latest month's."""
    months = quarter.months
    keys = [m.key for m in months]
    rows = monthly[monthly["period"].isin(keys)]
    pis = indicators.set_index("pi_id")
    out = []
    for pi_id, own in rows.groupby("pi_id", sort=True):
        if pi_id not in pis.index or pis.at[pi_id, "frequency"] != "monthly":
            continue  # a PI made quarterly since: its quarter is returned in the quarter's folder
        pi = pis.loc[pi_id]
        by_month = {(r.period, r.pi_id): r for r in own.itertuples(index=False)}
        parts = parts_for(by_month, str(pi_id), months, label_year=True)
        figure = combine(pi["measure"], pi["unit"], parts, is_rolling(pi.to_dict()), period="month")
        returned = [p is not None and _given(p.value) for p in parts]
        given = [by_month[(m.key, pi_id)] for m, r in zip(months, returned, strict=True) if r]
        absent = [m.label for m, r in zip(months, returned, strict=True) if not r]
        latest = max(
            (by_month[(k, pi_id)] for k in keys if (k, pi_id) in by_month),
            key=lambda r: r.period,
        )
        note = f"{months_returned(len(given))}; the quarter's figure: {figure.how}"
        if figure.value is None:
            missing = f"no figure for {', '.join(absent)}" if absent else figure.reason
            note = f"{months_returned(len(given))}: no quarterly figure ({missing})"
        if isinstance(latest.note, str) and latest.note:
            note += f". {Month.from_key(latest.period).label}: {latest.note}"
        value = None if figure.value is None else round(figure.value, int(pi["decimals"]))
        numerator, denominator = _parts(pi, given, latest)
        statuses = {r.status for r in given}
        out.append(
            {
                "period": quarter.key,
                "pi_id": pi_id,
                "value": value,
                "numerator": numerator,
                "denominator": denominator,
                "status": "unavailable"
                if value is None
                else "provisional"
                if "provisional" in statuses
                else "final",
                "note": note,
                "submitted_by": latest.submitted_by,
                "submitted_at": latest.submitted_at,
                "source_file": "; ".join(
                    by_month[(k, pi_id)].source_file for k in keys if (k, pi_id) in by_month
                ),
                "source_row": latest.source_row,
                "file_sha256": latest.file_sha256,
                "version": latest.version,
            }
        )
    return pd.DataFrame(out, columns=PI_RETURNS.column_names)


def _parts(pi: pd.Series, given: list, latest: object) -> tuple[float | None, float | None]:
    """The quarter's numerator and denominator, so its year adds up like any quarter's: the
    months' sums for a ratio or an average, the latest month's for a level."""
    if is_rolling(pi.to_dict()) or pi["measure"] in ("stock", "cumulative"):
        return getattr(latest, "numerator", None), getattr(latest, "denominator", None)
    if pi["measure"] in ("ratio", "average") and len(given) == MONTHS:
        return _sum(given, "numerator"), _sum(given, "denominator")
    return None, None
