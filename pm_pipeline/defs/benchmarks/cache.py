"""The last good LG Inform answer for each metric, kept under `benchmarks/lginform/`.

One JSON file per metric, `metric_<id>.json`, written atomically after every good fetch:
`{"format", "fetched_at", "base_url_host", "note", "request", "metric", "periods", "records"}`.
`request` holds the query parameters *without* the application key or signature; `records`
are the data.table records as LG Inform returned them. A later run without credentials or
without network reads the file and says how old it is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pm_pipeline.core.files import write_atomic
from pm_pipeline.defs.benchmarks.lginform import MetricDownload
from pm_pipeline.defs.benchmarks.lginform_answers import (
    LGInformBadResponse,
    PeriodInfo,
    data_table_records,
    period_info,
)

CACHE_FORMAT = 1
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


class CacheProblem(Exception):
    """A cache file that cannot be used; the message names the file and how to recover."""


@dataclass
class CachedMetric:
    metric_id: str
    fetched_at: datetime
    base_url_host: str
    request: dict[str, str]
    metric: dict[str, object]
    periods: dict[str, PeriodInfo]
    records: list[dict[str, object]]
    note: str | None = None

    @classmethod
    def from_download(
        cls, download: MetricDownload, fetched_at: datetime, base_url_host: str
    ) -> CachedMetric:
        return cls(
            metric_id=download.metric_id,
            fetched_at=fetched_at,
            base_url_host=base_url_host,
            request=dict(download.request),
            metric=dict(download.metric),
            periods=dict(download.periods),
            records=list(download.records),
        )

    def age_days(self, now: datetime) -> float:
        return (now - self.fetched_at).total_seconds() / 86400


def cache_path(cache_dir: Path, metric_id: str) -> Path:
    return cache_dir / f"metric_{_SAFE_NAME.sub('_', metric_id)}.json"


def to_json(cached: CachedMetric) -> str:
    """The cache file's text: the header readable, one record per line (small, diffable)."""
    header = {
        "format": CACHE_FORMAT,
        "fetched_at": cached.fetched_at.astimezone(UTC).isoformat(timespec="seconds"),
        "base_url_host": cached.base_url_host,
        "note": cached.note,
        "request": cached.request,
        "metric": cached.metric,
        "periods": {pid: p.as_json() for pid, p in sorted(cached.periods.items())},
    }
    lines = [f" {json.dumps(k)}: {json.dumps(v, sort_keys=True)}," for k, v in header.items()]
    records = ",\n".join(f"  {json.dumps(r)}" for r in cached.records)
    return "{\n" + "\n".join(lines) + '\n "records": [\n' + records + "\n ]\n}\n"


def write_cache(cache_dir: Path, cached: CachedMetric) -> Path:
    return write_atomic(cache_path(cache_dir, cached.metric_id), to_json(cached))


def from_json(text: str, name: str) -> CachedMetric:
    """A cache file read back and checked, or CacheProblem naming what is wrong."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CacheProblem(f"{name} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(raw, dict) or raw.get("format") != CACHE_FORMAT:
        raise CacheProblem(f"{name} is not an LG Inform cache file (format {CACHE_FORMAT})")
    try:
        fetched_at = datetime.fromisoformat(raw["fetched_at"])
        if fetched_at.tzinfo is None:
            fetched_at = fetched_at.replace(tzinfo=UTC)
        metric = raw["metric"]
        metric_id = str(metric["identifier"])
        periods = {pid: period_info(p, pid) for pid, p in raw["periods"].items()}
        records = data_table_records(raw["records"], metric_id)
        undated = sorted({str(r["periodIdentifier"]) for r in records} - set(periods))
        if undated:
            raise ValueError(f"no dates for period(s) {', '.join(undated)}")
    except LGInformBadResponse as exc:
        raise CacheProblem(f"{name} is damaged: {exc.message}") from None
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise CacheProblem(f"{name} is incomplete ({type(exc).__name__}: {exc})") from None
    return CachedMetric(
        metric_id=metric_id,
        fetched_at=fetched_at,
        base_url_host=str(raw.get("base_url_host") or ""),
        request=dict(raw.get("request") or {}),
        metric=dict(metric),
        periods=periods,
        records=records,
        note=raw.get("note"),
    )


def read_cache(cache_dir: Path, metric_id: str) -> CachedMetric | None:
    """The cached copy of a metric (None when there is none; CacheProblem when it is damaged)."""
    path = cache_path(cache_dir, metric_id)
    if not path.is_file():
        return None
    cached = from_json(path.read_text(encoding="utf-8"), path.name)
    if cached.metric_id != metric_id:
        raise CacheProblem(f"{path.name} holds metric {cached.metric_id}, not {metric_id}")
    return cached
