"""Refresh the register's LG Inform metrics: fetch and cache each one, or fall back to the cache.

Every metric ends in one of three states, and the asset's metadata says which and why:
`fetched` (a good answer this run, now cached), `cache` (the last good copy, because there are
no credentials or the request failed) or `missing` (neither). A failure that will hit every
metric (credentials refused, the service unreachable) stops further requests at once, so a
run with the network down takes seconds, not a retry budget per metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import cast

import pandas as pd

from pm_pipeline.core.values import ENGLAND
from pm_pipeline.core.words import plural
from pm_pipeline.defs.benchmarks.cache import CachedMetric, CacheProblem, read_cache, write_cache
from pm_pipeline.defs.benchmarks.lginform import LGInformSource, fetch_metric
from pm_pipeline.defs.benchmarks.lginform_answers import (
    LGInformError,
    LGInformRefused,
    LGInformUnavailable,
    register_polarity,
)
from pm_pipeline.defs.benchmarks.tables import BENCHMARKS
from pm_pipeline.defs.register.model import Register

SOURCE = "lginform"
COLUMNS = BENCHMARKS.column_names
FETCHED, CACHED, MISSING = "fetched", "cache", "missing"


@dataclass(frozen=True)
class MetricWanted:
    """A benchmark metric the register maps PIs to, with the unit and polarity of those PIs."""

    metric_id: str
    pi_ids: tuple[str, ...]
    unit: str | None
    polarity: str | None


@dataclass(frozen=True)
class RefreshPlan:
    metrics: tuple[MetricWanted, ...]
    areas: tuple[str, ...]


def metrics_wanted(indicators: pd.DataFrame, column: str) -> tuple[MetricWanted, ...]:
    """The distinct metric ids in `column` (lginform_metric / oflog_metric), in register order."""
    found: dict[str, list] = {}
    for pi in indicators.itertuples(index=False):
        metric = getattr(pi, column)
        if not isinstance(metric, str) or not metric.strip():
            continue
        found.setdefault(metric.strip(), []).append(pi)
    return tuple(
        MetricWanted(metric, tuple(p.pi_id for p in pis), pis[0].unit, pis[0].polarity)
        for metric, pis in found.items()
    )


def benchmark_areas(register: Register) -> tuple[str, ...]:
    """This council, its comparators, its region and England, each once."""
    codes = [
        register.council.area_code,
        *register.comparators["area_code"],
        register.council.region_code,
        ENGLAND,
    ]
    return tuple(dict.fromkeys(codes))


def plan_from_register(register: Register) -> RefreshPlan:
    return RefreshPlan(
        metrics_wanted(register.indicators, "lginform_metric"), benchmark_areas(register)
    )


@dataclass
class MetricOutcome:
    """Where one metric's figures came from this run, and the figures as long-table rows."""

    wanted: MetricWanted
    status: str  # FETCHED, CACHED or MISSING
    reason: str | None  # why the cache was used, or why there is nothing
    cached: CachedMetric | None = None  # the copy used, its records dropped (they are in rows)
    records: int = 0
    rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COLUMNS))


def _using(
    wanted: MetricWanted,
    status: str,
    reason: str | None,
    cached: CachedMetric,
    areas: tuple[str, ...],
) -> MetricOutcome:
    """An outcome holding the planned areas' rows rather than raw records (memory stays small)."""
    return MetricOutcome(
        wanted,
        status,
        reason,
        replace(cached, records=[]),
        len(cached.records),
        lginform_rows(cached, wanted, frozenset(areas)),
    )


def _from_cache(
    wanted: MetricWanted, cache_dir: Path, reason: str, areas: tuple[str, ...]
) -> MetricOutcome:
    try:
        cached = read_cache(cache_dir, wanted.metric_id)
    except CacheProblem as exc:
        return MetricOutcome(wanted, MISSING, f"{reason}; the cached copy is unusable: {exc}")
    if cached is None:
        return MetricOutcome(wanted, MISSING, f"{reason}; there is no cached copy")
    return _using(wanted, CACHED, reason, cached, areas)


def refresh_lginform(
    plan: RefreshPlan,
    resource: LGInformSource,
    cache_dir: Path,
    now: datetime,
) -> list[MetricOutcome]:
    """Fetch every planned metric (caching each good answer), else use its cached copy."""
    problem = resource.offline_reason()
    if problem:
        return [_from_cache(w, cache_dir, problem, plan.areas) for w in plan.metrics]
    try:
        client = resource.client()
    except LGInformError as exc:
        return [_from_cache(w, cache_dir, exc.message, plan.areas) for w in plan.metrics]
    outcomes: list[MetricOutcome] = []
    stop: str | None = None
    with client:
        for wanted in plan.metrics:
            if stop:
                outcomes.append(_from_cache(wanted, cache_dir, stop, plan.areas))
                continue
            try:
                download = fetch_metric(
                    client,
                    wanted.metric_id,
                    plan.areas,
                    resource.period,
                    resource.max_areas_per_request,
                )
            except LGInformError as exc:
                outcomes.append(_from_cache(wanted, cache_dir, exc.message, plan.areas))
                if (isinstance(exc, LGInformRefused) and exc.credentials_refused) or (
                    isinstance(exc, LGInformUnavailable) and exc.network
                ):
                    stop = f"not requested after an earlier failure: {exc.message}"
                continue
            cached = CachedMetric.from_download(download, now, client.host)
            write_cache(cache_dir, cached)
            outcomes.append(_using(wanted, FETCHED, None, cached, plan.areas))
    return outcomes


def lginform_rows(
    cached: CachedMetric, wanted: MetricWanted, areas: frozenset[str] | None = None
) -> pd.DataFrame:
    """One metric's records as rows of the long benchmarks table (null values stay missing),
    for `areas` only when given (a cache may hold more areas than the council compares with)."""
    polarity = register_polarity(cached.metric.get("polarity")) or wanted.polarity
    name = str(cached.metric.get("label") or cached.metric_id)
    rows = []
    for record in cached.records:
        code = str(record["areaIdentifier"])
        if areas is not None and code not in areas:
            continue
        period = cached.periods[str(record["periodIdentifier"])]
        rows.append(
            {
                "source": SOURCE,
                "metric_id": cached.metric_id,
                "metric_name": name,
                "area_code": code,
                "area_name": str(record.get("areaLabel") or code),
                "period_label": period.label,
                "period_start": period.start,
                "period_end": period.end,
                "value": float("nan")
                if record["value"] is None
                else float(cast(float | str, record["value"])),
                "unit": wanted.unit,
                "polarity": polarity,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def outcome_rows(outcomes: list[MetricOutcome]) -> pd.DataFrame:
    """Every usable metric's rows, fetched or cached, as one long table."""
    frames = [o.rows for o in outcomes if not o.rows.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def _age(days: float) -> str:
    if days < 1:
        return plural(round(days * 24), "hour")
    return plural(round(days), "day")


def polarity_note(outcome: MetricOutcome) -> str | None:
    """A disagreement between LG Inform's polarity and the register's, worth a look."""
    if outcome.cached is None:
        return None
    theirs = register_polarity(outcome.cached.metric.get("polarity"))
    ours = outcome.wanted.polarity
    if theirs and ours and theirs != ours:
        return f"LG Inform says {theirs}, the register says {ours} (the register ranks)"
    return None


def outcome_table(outcomes: list[MetricOutcome], now: datetime) -> pd.DataFrame:
    """Per metric: where its figures came from, how old they are, and why."""
    rows = []
    for o in outcomes:
        cached = o.cached
        periods = sorted(cached.periods.values(), key=lambda p: p.start) if cached else []
        notes = [n for n in (o.reason, polarity_note(o)) if n]
        rows.append(
            {
                "metric": o.wanted.metric_id,
                "name": cached.metric.get("label", "") if cached else "",
                "PIs": ", ".join(o.wanted.pi_ids),
                "from": {FETCHED: "LG Inform (this run)", CACHED: "cache", MISSING: "—"}[o.status],
                "fetched (UTC)": cached.fetched_at.strftime("%Y-%m-%d %H:%M") if cached else "",
                "age": _age(cached.age_days(now)) if cached else "",
                "records": o.records,
                "periods": f"{periods[0].label} to {periods[-1].label}" if periods else "",
                "why": "; ".join(notes),
            }
        )
    return pd.DataFrame(rows)


def summary(outcomes: list[MetricOutcome], now: datetime, host: str) -> str:
    """One paragraph for the asset's metadata: live or cached, how old, and why."""
    fetched = [o for o in outcomes if o.status == FETCHED]
    cached = [o for o in outcomes if o.status == CACHED]
    missing = [o for o in outcomes if o.status == MISSING]
    parts = []
    if fetched:
        parts.append(f"{plural(len(fetched), 'metric')} fetched from {host} this run.")
    if cached:
        copies = [o.cached for o in cached if o.cached is not None]  # every CACHED outcome has one
        oldest = min(copies, key=lambda c: c.fetched_at)
        reasons = sorted({o.reason for o in cached if o.reason})
        parts.append(
            f"{plural(len(cached), 'metric')} from the cache ({', '.join(o.wanted.metric_id for o in cached)}); "
            f"oldest copy fetched {oldest.fetched_at:%Y-%m-%d %H:%M} UTC, "
            f"{_age(oldest.age_days(now))} ago. Why: {' / '.join(reasons)}."
        )
        notes = sorted({c.note for c in copies if c.note})
        parts += notes
    if missing:
        parts.append(
            f"{plural(len(missing), 'metric')} with no figures at all: "
            + "; ".join(f"{o.wanted.metric_id} ({o.reason})" for o in missing)
            + "."
        )
    return " ".join(parts) or "The register maps no PI to an LG Inform metric."
