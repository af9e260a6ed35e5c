"""The quarter's KPI scorecard: each due PI scored against its target, its past and its peers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pm_pipeline.core.measures import (
    TO_DATE_MEASURES,
    Targets,
    combine,
    is_rolling,
    parts_for,
    quarters_of,
)
from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.values import is_missing
from pm_pipeline.core.warehouse import where_in
from pm_pipeline.defs.register.load import due_pis
from pm_pipeline.defs.register.model import Council
from pm_pipeline.defs.scorecard import rules
from pm_pipeline.defs.scorecard.spc_series import (
    REBASE_COLUMNS,
    SPC_QUARTERS,
    pi_reading,
    rebase_by_pi,
)
from pm_pipeline.defs.scorecard.tables import KPI_EXCEPTIONS, KPI_SCORECARD

HISTORY_QUARTERS = 8  # the furthest back a score looks: an annual PI two years ago
READ_QUARTERS = max(HISTORY_QUARTERS + 1, SPC_QUARTERS)  # with this one: the SPC window


@dataclass
class ScorecardInputs:
    council: Council
    indicators: pd.DataFrame
    targets: pd.DataFrame
    returns: pd.DataFrame  # pi_returns rows for this quarter and the ones before it
    benchmarks: pd.DataFrame  # the long table (docs/contracts.md, "Benchmarks")
    comparators: pd.DataFrame
    restatements: pd.DataFrame  # period, pi_id, first_reported_value, ...
    rebase: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REBASE_COLUMNS))


def _nan_to_none(value: Any) -> float | None:
    return None if is_missing(value) else value


class _Scorer:
    def __init__(self, inputs: ScorecardInputs):
        self.inputs = inputs
        self.council = inputs.council
        self.pis = inputs.indicators.set_index("pi_id")
        self.values = {(r.period, r.pi_id): r for r in inputs.returns.itertuples(index=False)}
        self.targets = Targets(inputs.targets)
        # what a target lookup reads of each PI, once (a backfill scores every PI many times)
        self.attrs = {
            r["pi_id"]: r
            for r in inputs.indicators.reindex(
                columns=["pi_id", "measure", "rolling", "frequency"]
            ).to_dict("records")
        }

    def value(self, quarter: Quarter, pi_id: str) -> float | None:
        row = self.values.get((quarter.key, pi_id))
        return None if row is None else _nan_to_none(row.value)

    def target(self, quarter: Quarter, pi_id: str) -> tuple[float | None, float | None]:
        target = self.targets.quarter(self.attrs[pi_id], quarter.financial_year.label)
        return target.value, target.amber

    def to_date(self, quarter: Quarter, pi: dict) -> dict[str, Any]:
        """The year to date for a flow, ratio or average (docs/contracts.md, "kpi_scorecard"),
        against the target for the same quarters, like with like; blank for other measures,
        whose year to date is their latest figure."""
        if pi.get("measure") not in TO_DATE_MEASURES or is_rolling(pi):
            return {}
        if pi["frequency"] == "annual":
            return {}
        so_far = [q for q in quarter.financial_year.quarters if q <= quarter]
        figure = combine(
            pi["measure"], pi["unit"], parts_for(self.values, pi["pi_id"], quarters_of(pi, so_far))
        )
        goal = self.targets.to_date(pi, quarter.financial_year.label, len(so_far))
        decimals = int(pi["decimals"])
        rag = rules.rag(
            None if figure.value is None else round(figure.value, decimals),
            goal.value,
            pi["polarity"],
            pi["type"],
            int(pi["decimals"]),
            self.council.amber_tolerance_pct,
            goal.amber,
        )
        return {
            "year_to_date": None if figure.value is None else round(figure.value, decimals),
            "year_to_date_how": figure.reason or figure.how,
            "year_to_date_target": goal.value,
            "year_to_date_rag": rag,
        }

    def before(self, quarter: Quarter, pi_id: str) -> Quarter:
        """The comparable earlier period: last quarter, or last year for annual PIs."""
        annual = self.pis.at[pi_id, "frequency"] == "annual"
        return quarter.same_quarter_last_year if annual else quarter.previous

    def score(self, quarter: Quarter, pi_id: str) -> rules.QuarterScore:
        pi = self.pis.loc[pi_id]
        value = self.value(quarter, pi_id)
        target, amber = self.target(quarter, pi_id)
        return rules.QuarterScore(
            rag=rules.rag(
                value,
                target,
                pi["polarity"],
                pi["type"],
                int(pi["decimals"]),
                self.council.amber_tolerance_pct,
                amber,
            ),
            direction_vs_previous=rules.direction(
                value,
                self.value(self.before(quarter, pi_id), pi_id),
                pi["polarity"],
                int(pi["decimals"]),
                rules.band_of(pi, self.council),
            ),
            quartile=None,
            value=value,
            target=target,
            polarity=pi["polarity"],
            tolerance_pct=self.council.amber_tolerance_pct,
        )


def benchmark_areas_sql(council: Council, comparators: pd.DataFrame) -> tuple[str, list[object]]:
    """A WHERE clause for the benchmark rows a council's scorecard can use (itself and peers)."""
    codes = [council.area_code, *comparators["area_code"]]
    return where_in("area_code", codes)


def benchmark_positions(inputs: ScorecardInputs, quarter: Quarter) -> pd.DataFrame:
    """Per PI with a benchmark metric: the latest period not after the quarter's end, positioned."""
    columns = [
        "pi_id",
        "benchmark_source",
        "benchmark_period",
        "comparator_median",
        "comparator_best",
        "rank",
        "comparator_count",
        "quartile",
    ]
    bench = inputs.benchmarks
    if bench.empty:
        return pd.DataFrame(columns=columns)
    council = inputs.council.area_code
    peers = set(inputs.comparators["area_code"])
    bench = bench[bench["area_code"].isin(peers | {council})]
    bench = bench[pd.to_datetime(bench["period_end"]).dt.date <= quarter.end]
    by_metric = dict(tuple(bench.groupby(["source", "metric_id"])))
    rows = []
    for pi in inputs.indicators.itertuples(index=False):
        wanted = [
            (source, metric)
            for source, metric in (("lginform", pi.lginform_metric), ("oflog", pi.oflog_metric))
            if isinstance(metric, str) and metric
        ]
        best = None
        for source, metric in wanted:
            series = by_metric.get((source, metric))
            if series is None:
                continue
            own = series[(series["area_code"] == council) & series["value"].notna()]
            if own.empty:
                continue
            latest = own.sort_values("period_end").iloc[-1]
            if best is None or latest["period_end"] > best[1]["period_end"]:
                best = (source, latest, series)
        if best is None:
            continue
        source, latest, series = best
        same = series[series["period_label"] == latest["period_label"]]
        peer_values = dict(
            zip(
                same.loc[same["area_code"] != council, "area_code"],
                same.loc[same["area_code"] != council, "value"],
                strict=True,
            )
        )
        position = rules.benchmark_position(latest["value"], peer_values, pi.polarity)
        rows.append(
            {
                "pi_id": pi.pi_id,
                "benchmark_source": source,
                "benchmark_period": latest["period_label"],
                "comparator_median": position.comparator_median if position else None,
                "comparator_best": position.comparator_best if position else None,
                "rank": position.rank if position else None,
                "comparator_count": position.count if position else None,
                "quartile": position.quartile if position else None,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def build_scorecard(inputs: ScorecardInputs, quarter: Quarter) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `kpi_scorecard` rows for the quarter, and its `kpi_exceptions` rows."""
    scorer = _Scorer(inputs)
    positions = benchmark_positions(inputs, quarter).set_index("pi_id")
    restated = set(inputs.restatements.loc[inputs.restatements["period"] == quarter.key, "pi_id"])
    rows, exception_rows = [], []
    year_quarters = [q for q in quarter.financial_year.quarters if q <= quarter]
    rebase = rebase_by_pi(inputs.rebase)
    for pi in due_pis(inputs.indicators, quarter).itertuples(index=False):
        returned = scorer.values.get((quarter.key, pi.pi_id))
        now = scorer.score(quarter, pi.pi_id)
        before = scorer.before(quarter, pi.pi_id)
        last_year = quarter.same_quarter_last_year
        position = positions.loc[pi.pi_id] if pi.pi_id in positions.index else None
        row = {
            "period": quarter.key,
            "period_label": quarter.label,
            "pi_id": pi.pi_id,
            "title": pi.title,
            "type": pi.type,
            "theme": pi.theme,
            "owner": pi.owner,
            "unit": pi.unit,
            "polarity": pi.polarity,
            "value": now.value,
            "target": now.target,
            "rag": now.rag,
            "previous_value": scorer.value(before, pi.pi_id),
            "direction_vs_previous": now.direction_vs_previous,
            "last_year_value": scorer.value(last_year, pi.pi_id),
            "direction_vs_last_year": rules.direction(
                now.value,
                scorer.value(last_year, pi.pi_id),
                pi.polarity,
                int(pi.decimals),
                rules.band_of(pi._asdict(), inputs.council),
            ),
            "note": returned.note if returned is not None else None,
            "status": returned.status if returned is not None else "missing",
            "restated": pi.pi_id in restated,
            "measure": getattr(pi, "measure", None),
            **scorer.to_date(quarter, pi._asdict()),
        }
        reading = pi_reading(
            pi._asdict(),
            quarter,
            {(q.key, pi.pi_id): scorer.value(q, pi.pi_id) for q in quarter.history(SPC_QUARTERS)},
            now.target,
            rebase,
        )
        proposal = reading.rebase_proposal
        row.update(
            variation=reading.variation,
            assurance=reading.assurance,
            spc_rebase_proposal=None if proposal is None else str(proposal),
        )
        if position is not None:
            row.update({k: _nan_to_none(position[k]) for k in positions.columns})
        rows.append(row)
        if pi.frequency == "annual":
            due_history = [last_year.same_quarter_last_year, last_year, quarter]
        else:
            due_history = quarter.history(3)
        history = [scorer.score(q, pi.pi_id) for q in due_history[:-1]] + [
            rules.QuarterScore(**{**now.__dict__, "quartile": row.get("quartile")})
        ]
        year = [scorer.score(q, pi.pi_id) for q in year_quarters if pi.frequency != "annual"]
        for code in rules.exceptions(history, year):
            exception_rows.append(
                {
                    "period": quarter.key,
                    "pi_id": pi.pi_id,
                    "exception": code,
                    "reason": rules.EXCEPTION_TEXT[code],
                }
            )
    scorecard = pd.DataFrame(rows).reindex(columns=KPI_SCORECARD.column_names)
    return scorecard, pd.DataFrame(exception_rows, columns=KPI_EXCEPTIONS.column_names)
