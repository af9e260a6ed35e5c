"""LG Inform as a Dagster resource, in two implementations (the project_fully_featured
pattern): `LGInformResource` calls the service (credentials from `dg.EnvVar`), `CachedLGInform`
reads only the files already under benchmarks/lginform/. Assets take an `LGInformSource`, so
their tests swap in the cached one and never need a server.

The client, signing and retries are in `lginform_client`; what an answer is, in
`lginform_answers`. Their public names are importable from here as before.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
from pydantic import Field

from pm_pipeline.defs.benchmarks.lginform_answers import (
    LGInformError,
    PeriodInfo,
    data_table_request,
    period_from_identifier,
)
from pm_pipeline.defs.benchmarks.lginform_client import (
    _PLAIN,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    KEY_ENV,
    SECRET_ENV,
    LGInformClient,
    RetryPolicy,
)


@dataclass
class MetricDownload:
    """One metric as fetched: its description, its records, and the dates of its periods."""

    metric_id: str
    metric: dict[str, object]
    records: list[dict[str, object]]
    periods: dict[str, PeriodInfo]
    request: dict[str, str]


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), max(1, size))]


def fetch_metric(
    client: LGInformClient,
    metric_id: str,
    areas: Sequence[str],
    period: str,
    max_areas_per_request: int = 100,
) -> MetricDownload:
    """Everything the benchmarks need about one metric; raises LGInformError naming it."""
    metric = client.metric_type(metric_id)
    by_key: dict[tuple[str, str], dict[str, object]] = {}
    for chunk in _chunks(areas, max_areas_per_request):
        for record in client.data_table(metric_id, chunk, period):
            by_key[(str(record["areaIdentifier"]), str(record["periodIdentifier"]))] = record
    periods: dict[str, PeriodInfo] = {}
    for identifier in sorted({pid for _, pid in by_key}):
        periods[identifier] = period_from_identifier(identifier) or client.period(identifier)
    request = data_table_request(metric_id, areas, period)
    return MetricDownload(metric_id, metric, list(by_key.values()), periods, request)


class LGInformSource(dg.ConfigurableResource):
    """Where LG Inform's figures come from. `offline_reason()` None means the service is called
    (`client()`); otherwise the cached files are used and the reason is shown on the asset."""

    period: str = Field(default="latest:10", description="LG Inform `period` parameter.")
    max_areas_per_request: int = Field(default=100, description="Areas per data.table request.")

    def endpoint(self) -> str:
        return (os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")

    def offline_reason(self) -> str | None:
        raise NotImplementedError

    def client(self) -> LGInformClient:
        raise NotImplementedError


class CachedLGInform(LGInformSource):
    """Offline: only the cached answers under benchmarks/lginform/ (the shipped sample cache is
    the embedded default). What a council without LG Inform credentials runs, and what asset
    tests use."""

    reason: str = Field(
        default=f"no credentials ({KEY_ENV} and {SECRET_ENV} are not set)",
        description="Why the cache is used, as the asset will say it.",
    )

    def offline_reason(self) -> str | None:
        return self.reason

    def client(self) -> LGInformClient:
        raise LGInformError(f"LG Inform is not called: {self.reason}", "credentials")


class LGInformResource(LGInformSource):
    """The LG Inform web service: credentials, address, timeouts and retry policy.

    Without both credentials the benchmarks come from the cache under benchmarks/lginform/,
    and the asset says so (an incomplete pair is named, so a half-set secret is noticed).
    """

    api_key: str | None = Field(
        default=None,
        repr=False,
        description=f"Application key, from ${KEY_ENV} (dg.EnvVar); unset = use the cache.",
    )
    api_secret: str | None = Field(
        default=None,
        repr=False,
        description=f"The key's secret, from ${SECRET_ENV} (dg.EnvVar); never logged.",
    )
    base_url: str | None = Field(
        default=None,
        description=f"Service address; unset = ${BASE_URL_ENV}, else {DEFAULT_BASE_URL}.",
    )
    timeout_seconds: float = Field(default=30.0, description="Connect and read timeout.")
    max_retries: int = Field(default=4, description="Retries after a timeout, 429 or 5xx.")
    backoff_seconds: float = Field(default=1.0, description="First retry wait; doubles each time.")
    max_wait_seconds: float = Field(
        default=120.0, description="Longest wait between retries (a longer Retry-After gives up)."
    )

    def endpoint(self) -> str:
        return (self.base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")

    def offline_reason(self) -> str | None:
        """Why the service cannot be called (None when key and secret are both set)."""
        missing = [
            name
            for name, value in ((KEY_ENV, self.api_key), (SECRET_ENV, self.api_secret))
            if not value
        ]
        if not missing:
            return None
        if len(missing) == 2:
            return f"no credentials ({KEY_ENV} and {SECRET_ENV} are not set)"
        return f"incomplete credentials ({missing[0]} is not set)"

    def client(self) -> LGInformClient:
        problem = self.offline_reason()
        if problem:
            raise LGInformError(f"LG Inform cannot be called: {problem}", "credentials")
        if not _PLAIN.match(str(self.api_key)):
            raise LGInformError(
                f"LG Inform cannot be called: the application key ({KEY_ENV}) contains characters "
                "that would need URL escaping; check it was copied whole",
                "credentials",
            )
        return LGInformClient(
            self.endpoint(),
            str(self.api_key),
            str(self.api_secret),
            timeout_seconds=self.timeout_seconds,
            retry=RetryPolicy(self.max_retries, self.backoff_seconds, self.max_wait_seconds),
        )


def lginform_resource_from_env(
    environ: Mapping[str, str] | None = None, **settings: Any
) -> LGInformSource:
    """The live resource with `dg.EnvVar` credentials when either is set, else the cached one.

    `dg.EnvVar` fails a run when its variable is unset; LG Inform is optional (the cache is the
    embedded default), so with neither variable set the cached implementation is used, and
    with one of them the live one names the missing other. Set the variables before
    the code location loads (restart `dagster dev` after changing them). `settings` sets the
    other fields (timeouts, retries).
    """
    env = os.environ if environ is None else environ
    if not env.get(KEY_ENV) and not env.get(SECRET_ENV):
        shared = ("period", "max_areas_per_request")
        return CachedLGInform(**{k: v for k, v in settings.items() if k in shared})
    return LGInformResource(
        api_key=dg.EnvVar(KEY_ENV) if env.get(KEY_ENV) else None,
        api_secret=dg.EnvVar(SECRET_ENV) if env.get(SECRET_ENV) else None,
        **settings,
    )
