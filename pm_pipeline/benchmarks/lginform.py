"""LG Inform (the LGA's benchmarking service, the esd web services) over `requests`.

What is known of the API is in `../shared/data_sources.md` section 1. Every request is signed:
`ApplicationKey=<key>` is the last parameter and `&Signature=` carries Base64(HMAC-SHA1(secret,
the URL up to and including the key)). Only parameters that need no URL escaping are sent, so
the string signed is exactly the string on the wire.

The key and secret never leave this module except inside the signed URL: they are kept out of
reprs, error messages, logs (urllib3's debug line is redacted) and the cache.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, cast
from urllib.parse import quote, urlsplit

import dagster as dg
import requests
from pydantic import Field

from pm_pipeline.periods import FinancialYear

KEY_ENV = "LGINFORM_API_KEY"
SECRET_ENV = "LGINFORM_API_SECRET"
BASE_URL_ENV = "LGINFORM_BASE_URL"
DEFAULT_BASE_URL = "https://webservices.esd.org.uk"
RAW = "raw"
REQUIRED_RECORD_FIELDS = ("metricTypeIdentifier", "areaIdentifier", "periodIdentifier", "value")
# LG Inform's polarity wording -> the register's polarity.
POLARITIES = {
    "low value is good": "lower_is_better",
    "high value is good": "higher_is_better",
    "not applicable": "neutral",
}
_PLAIN = re.compile(r"^[A-Za-z0-9_.,:~-]+$")
_PATH = re.compile(r"^(/[A-Za-z0-9_.,:~-]+)+$")
_SIGNED_PARAM = re.compile(r"(ApplicationKey|Signature)=[^&\s\"'<>]*")
_ERRNO = re.compile(r"\[Errno -?\d+\][^'\")]*")


class LGInformError(Exception):
    """LG Inform did not answer a request usefully; the message names what was asked for."""

    def __init__(self, message: str, subject: str):
        super().__init__(message)
        self.message = message
        self.subject = subject


class LGInformRefused(LGInformError):
    """HTTP 4xx: the request itself is wrong (credentials, an unknown metric); retrying won't help."""

    def __init__(self, message: str, subject: str, status: int):
        super().__init__(message, subject)
        self.status = status

    @property
    def credentials_refused(self) -> bool:
        return self.status in (401, 403)


class LGInformUnavailable(LGInformError):
    """No good answer after every retry: the network, a timeout, 429 or 5xx."""

    def __init__(self, message: str, subject: str, network: bool):
        super().__init__(message, subject)
        self.network = network  # the service could not be reached at all (not an HTTP answer)


class LGInformBadResponse(LGInformError):
    """An answer that is not what the API returns: malformed or truncated JSON, a wrong shape."""


def redact_query(text: str) -> str:
    """`text` with the values of ApplicationKey and Signature replaced, for anything logged."""
    return _SIGNED_PARAM.sub(r"\1=***", text)


class _RedactSignedQuery(logging.Filter):
    """urllib3 logs each request line at DEBUG; keep the application key out of those logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_query(a) if isinstance(a, str) else a for a in record.args)
        return True


_URLLIB3_LOG = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(f, _RedactSignedQuery) for f in _URLLIB3_LOG.filters):
    _URLLIB3_LOG.addFilter(_RedactSignedQuery())


def plain_query(params: Mapping[str, str]) -> str:
    """`k=v&k=v` for parameters that need no URL escaping (so the signed string is what is sent)."""
    for name, value in params.items():
        if not _PLAIN.match(name) or not _PLAIN.match(value):
            raise ValueError(
                f"LG Inform parameter {name}={value!r} would need URL escaping; use ids and "
                "GSS codes (letters, digits, '_', '-', '.', ',', ':')"
            )
    return "&".join(f"{name}={value}" for name, value in params.items())


def sign_url(url: str, key: str, secret: str) -> str:
    """`url` with `ApplicationKey` appended last and `Signature` = Base64(HMAC-SHA1) of it."""
    if not _PLAIN.match(key):
        raise ValueError(
            f"the LG Inform application key ({KEY_ENV}) contains characters that would need "
            "URL escaping; check it was copied whole"
        )
    signed = f"{url}{'&' if '?' in url else '?'}ApplicationKey={key}"
    digest = hmac.new(secret.encode("utf-8"), signed.encode("utf-8"), hashlib.sha1).digest()
    signature = base64.b64encode(digest).decode("ascii")
    return f"{signed}&Signature={quote(signature, safe='')}"


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds a 429's `Retry-After` asks for (delta-seconds or an HTTP date), if it says."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: `backoff_seconds` × 2^attempt, never longer than `max_wait_seconds`."""

    max_retries: int = 4
    backoff_seconds: float = 1.0
    max_wait_seconds: float = 120.0

    def backoff(self, attempt: int) -> float:
        return min(self.backoff_seconds * 2**attempt, self.max_wait_seconds)


@dataclass(frozen=True)
class PeriodInfo:
    identifier: str
    label: str
    start: date
    end: date

    def as_json(self) -> dict[str, str]:
        return {
            "identifier": self.identifier,
            "label": self.label,
            "startDate": self.start.isoformat(),
            "endDate": self.end.isoformat(),
        }


def period_from_identifier(identifier: str) -> PeriodInfo | None:
    """Dates of the period ids whose meaning is fixed (`fin_2022_23`, `cal_2019`, `sch_2018_19`)."""
    m = re.fullmatch(r"(fin|sch)_(\d{4})_(\d{2})", identifier)
    if m and int(m.group(3)) == (int(m.group(2)) + 1) % 100:
        year = int(m.group(2))
        if m.group(1) == "fin":
            fy = FinancialYear(year)
            return PeriodInfo(identifier, fy.label, fy.start, fy.end)
        label = f"{FinancialYear(year).label} (academic)"
        return PeriodInfo(identifier, label, date(year, 9, 1), date(year + 1, 8, 31))
    m = re.fullmatch(r"cal_(\d{4})", identifier)
    if m:
        year = int(m.group(1))
        return PeriodInfo(identifier, str(year), date(year, 1, 1), date(year, 12, 31))
    return None


def _iso_date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def period_info(body: object, identifier: str) -> PeriodInfo:
    """A `/periods/<id>` answer checked: identifier, label and ISO start and end dates."""
    subject = f"period {identifier}"
    item = body.get("period", body) if isinstance(body, dict) else None
    if not isinstance(item, dict):
        raise LGInformBadResponse(
            f"LG Inform's answer for {subject} is not an object with startDate and endDate",
            subject,
        )
    start, end = _iso_date(item.get("startDate")), _iso_date(item.get("endDate"))
    if start is None or end is None or end < start:
        raise LGInformBadResponse(
            f"LG Inform's answer for {subject} has no valid startDate/endDate "
            f"({item.get('startDate')!r}, {item.get('endDate')!r})",
            subject,
        )
    return PeriodInfo(identifier, str(item.get("label") or identifier), start, end)


def metric_type_info(body: object, metric_id: str) -> dict[str, object]:
    """A `/metricTypes/<id>` answer checked and reduced to what the benchmarks need."""
    subject = f"metric {metric_id}"
    item = body.get("metricType") if isinstance(body, dict) else None
    if (
        not isinstance(item, dict)
        or str(item.get("identifier")) != metric_id
        or not isinstance(item.get("label"), str)
    ):
        raise LGInformBadResponse(
            f"LG Inform's description of {subject} is not a metricType object with this "
            "identifier and a label",
            subject,
        )
    kept = ("label", "shortLabel", "polarity", "outputPrecision", "discontinued")
    return {"identifier": metric_id, **{k: item[k] for k in kept if k in item}}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def data_table_records(body: object, metric_id: str) -> list[dict[str, object]]:
    """The raw-value records of a `/data.table` answer for one metric, checked field by field.

    A wrong shape is an error rather than an empty table: an empty benchmark would otherwise
    pass silently into the scorecard as "no peers". `null` values stay None (never zero).
    """
    subject = f"metric {metric_id}"
    if not isinstance(body, list):
        raise LGInformBadResponse(
            f"LG Inform's data.table answer for {subject} is a JSON {type(body).__name__}, "
            "not the expected list of records",
            subject,
        )
    records = []
    for index, record in enumerate(body):
        where = f"LG Inform's data.table answer for {subject}, record {index + 1}"
        if not isinstance(record, dict):
            raise LGInformBadResponse(f"{where} is not an object", subject)
        missing = [f for f in REQUIRED_RECORD_FIELDS if f not in record]
        if missing:
            raise LGInformBadResponse(f"{where} has no {', '.join(missing)}", subject)
        if str(record["metricTypeIdentifier"]) != metric_id:
            raise LGInformBadResponse(
                f"{where} is for metric {record['metricTypeIdentifier']}, not {metric_id}", subject
            )
        for name in ("areaIdentifier", "periodIdentifier"):
            if not isinstance(record[name], str) or not record[name].strip():
                raise LGInformBadResponse(f"{where} has an empty {name}", subject)
        if record["value"] is not None and not _is_number(record["value"]):
            raise LGInformBadResponse(
                f"{where} has value {record['value']!r}, which is neither a number nor null",
                subject,
            )
        if record.get("valueTypeIdentifier", RAW) == RAW:
            records.append({**record, "metricTypeIdentifier": metric_id})
    return records


def register_polarity(lginform_polarity: object) -> str | None:
    """LG Inform's "Low value is good" etc. as the register's polarity (None when unknown)."""
    return POLARITIES.get(str(lginform_polarity or "").strip().casefold())


def _error_detail(response: requests.Response) -> str:
    """The service's own explanation of an error, short enough for a message."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip().replace("\n", " ")
        return f": {text[:200]}" if text and len(text) < 400 and "<" not in text else ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return ""
    parts = []
    for error in errors[:3]:
        if not isinstance(error, dict):
            continue
        message, code = str(error.get("message") or "").strip(), error.get("errorCode")
        parts.append(f"{message} (error code {code})" if code is not None else message)
    return f": {'; '.join(p for p in parts if p)}" if parts else ""


class LGInformClient:
    """Signed GETs against LG Inform with timeouts, retries with backoff, and body checks."""

    def __init__(
        self,
        base_url: str,
        key: str,
        secret: str,
        timeout_seconds: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._secret = secret
        self.timeout_seconds = timeout_seconds
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._session = requests.Session()
        self._session.headers.update({"Accept": "application/json", "User-Agent": "pm_pipeline"})

    def __repr__(self) -> str:
        return f"LGInformClient({self.host!r})"

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    def __enter__(self) -> LGInformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def _redact(self, text: str) -> str:
        text = redact_query(text)
        for credential in (self._secret, self._key):
            if credential:
                text = text.replace(credential, "***")
        return text

    def get_json(self, path: str, params: Mapping[str, str], subject: str) -> object:
        """The JSON answer to a signed GET, or an LGInformError naming `subject`."""
        try:
            query = plain_query(params)
            if not _PATH.match(path):
                raise ValueError(f"the id in {path!r} would need URL escaping")
        except ValueError as exc:
            raise LGInformError(f"Cannot ask LG Inform for {subject}: {exc}", subject) from None
        url = sign_url(
            f"{self.base_url}{path}{'?' + query if query else ''}", self._key, self._secret
        )
        body = self._get(url, subject)
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            where = f" at character {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
            raise LGInformBadResponse(
                f"LG Inform's answer for {subject} is not valid JSON ({type(exc).__name__}{where}"
                f", {len(body)} bytes received): the response was cut short or is not JSON",
                subject,
            ) from None

    def _send(self, url: str) -> requests.Response:
        prepared = self._session.prepare_request(requests.Request("GET", url))
        if prepared.url != url:
            raise LGInformError(
                "the request URL would be re-encoded before sending, so its signature would "
                "not match; use plain ids and codes",
                "request",
            )
        settings = self._session.merge_environment_settings(prepared.url, {}, None, None, None)
        return self._session.send(prepared, timeout=self.timeout_seconds, **settings)

    def _get(self, url: str, subject: str) -> bytes:
        """The body of the first good answer, retrying timeouts, lost connections, 429 and 5xx."""
        failure, network = "", False
        attempts = self.retry.max_retries + 1
        for attempt in range(attempts):
            wait = self.retry.backoff(attempt)
            try:
                response = self._send(url)
            except requests.Timeout:
                failure, network = f"no answer within {self.timeout_seconds:g} s", True
            except requests.ConnectionError as exc:
                failure, network = f"could not connect ({self._connection_reason(exc)})", True
            except requests.RequestException as exc:
                failure, network = f"the connection failed ({type(exc).__name__})", True
            else:
                status = response.status_code
                if status < 400:
                    return response.content
                if status != 429 and status < 500:
                    raise self._refused(response, subject) from None
                failure, network = f"HTTP {status}{self._redact(_error_detail(response))}", False
                if status == 429:
                    asked = retry_after_seconds(
                        response.headers.get("Retry-After"), datetime.now(UTC)
                    )
                    if asked is not None and asked > self.retry.max_wait_seconds:
                        raise LGInformUnavailable(
                            f"LG Inform is rate-limiting requests (HTTP 429) and asked to wait "
                            f"{asked:g} s before asking for {subject} again, longer than "
                            f"max_wait_seconds ({self.retry.max_wait_seconds:g})",
                            subject,
                            network=False,
                        )
                    wait = wait if asked is None else asked
            if attempt < attempts - 1:
                self._sleep(wait)
        raise LGInformUnavailable(
            f"LG Inform gave no good answer for {subject} after {attempts} attempt(s): {failure}",
            subject,
            network=network,
        )

    def _connection_reason(self, exc: requests.ConnectionError) -> str:
        """The OS's reason (e.g. connection refused), never the URL that carries the key."""
        found = _ERRNO.search(str(exc))
        return self._redact(found.group(0).strip()) if found else type(exc).__name__

    def _refused(self, response: requests.Response, subject: str) -> LGInformRefused:
        status = response.status_code
        detail = self._redact(_error_detail(response))
        if status in (401, 403):
            message = (
                f"LG Inform refused the credentials (HTTP {status}{detail}) when asked for "
                f"{subject}: check {KEY_ENV} and {SECRET_ENV}, and the key's usage allowance"
            )
        elif status == 404:
            message = (
                f"LG Inform has no {subject} (HTTP 404{detail}): check the id in "
                "indicators.csv (lginform_metric)"
            )
        else:
            message = f"LG Inform rejected the request for {subject} (HTTP {status}{detail})"
        return LGInformRefused(message, subject, status)

    def data_table(self, metric_id: str, areas: Sequence[str], period: str) -> list[dict]:
        """Raw values of one metric for the given areas (codes or area groups) and periods."""
        params = {
            "metricType": metric_id,
            "area": ",".join(areas),
            "period": period,
            "value.valueType": RAW,
        }
        body = self.get_json("/data.table", params, f"metric {metric_id}")
        return data_table_records(body, metric_id)

    def metric_type(self, metric_id: str) -> dict[str, object]:
        body = self.get_json(f"/metricTypes/{metric_id}", {}, f"metric {metric_id}")
        return metric_type_info(body, metric_id)

    def period(self, identifier: str) -> PeriodInfo:
        body = self.get_json(f"/periods/{identifier}", {}, f"period {identifier}")
        return period_info(body, identifier)


@dataclass
class MetricDownload:
    """One metric as fetched: its description, its records, and the dates of its periods."""

    metric_id: str
    metric: dict[str, object]
    records: list[dict[str, object]]
    periods: dict[str, PeriodInfo]
    request: dict[str, str]


def data_table_request(metric_id: str, areas: Sequence[str], period: str) -> dict[str, str]:
    """What a metric's cache records it asked for: the parameters, never the key or signature."""
    return {
        "path": "/data.table",
        "metricType": metric_id,
        "area": ",".join(areas),
        "period": period,
        "value.valueType": RAW,
    }


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


class LGInformResource(dg.ConfigurableResource):
    """The LG Inform web service: credentials, address, timeouts and retry policy.

    Without both credentials the benchmarks come from the cache under benchmarks/lginform/
    (the shipped sample cache is the embedded default), and the asset says so.
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
    period: str = Field(default="latest:10", description="LG Inform `period` parameter.")
    max_areas_per_request: int = Field(default=100, description="Areas per data.table request.")

    def endpoint(self) -> str:
        return (self.base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")

    def missing_credentials(self) -> str | None:
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

    def client(self, sleep: Callable[[float], None] = time.sleep) -> LGInformClient:
        problem = self.missing_credentials()
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
            sleep=sleep,
        )


def lginform_resource_from_env(
    environ: Mapping[str, str] | None = None, **settings: Any
) -> LGInformResource:
    """The resource with `dg.EnvVar` credentials when they are set, None (cache only) otherwise.

    `dg.EnvVar` fails a run when its variable is unset; LG Inform is optional (the cache is the
    embedded default), so an unset variable becomes None instead. Set the variables before
    the code location loads (restart `dagster dev` after changing them). `settings` sets the
    other fields (timeouts, retries).
    """
    env = os.environ if environ is None else environ
    return LGInformResource(
        api_key=dg.EnvVar(KEY_ENV) if env.get(KEY_ENV) else None,
        api_secret=dg.EnvVar(SECRET_ENV) if env.get(SECRET_ENV) else None,
        **settings,
    )


def data_table_record(
    metric: dict[str, object],
    area_code: str,
    area_label: str,
    period: PeriodInfo,
    value: float | None,
) -> dict[str, object]:
    """One `/data.table` record in the service's flat shape (`value` null when missing)."""
    precision = int(cast(int | str | None, metric.get("outputPrecision", 1)) or 0)
    return {
        "metricTypeIdentifier": str(metric["identifier"]),
        "metricTypeLabel": metric["label"],
        "areaIdentifier": area_code,
        "areaLabel": area_label,
        "areaLongLabel": area_label,
        "periodIdentifier": period.identifier,
        "periodLabel": period.label,
        "valueTypeIdentifier": RAW,
        "valueTypeLabel": "Raw value",
        "value": value,
        "formatted": "-" if value is None else f"{value:,.{precision}f}",
        "format": "Number",
        "confidenceIntervalLower": None,
        "confidenceIntervalUpper": None,
        "publicationStatus": "Published",
    }
