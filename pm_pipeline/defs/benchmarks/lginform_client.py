"""LG Inform over `requests`: signed GETs, retries, and errors that never carry the key.

What is known of the API is in `../shared/data_sources.md` section 1. Every request is signed:
`ApplicationKey=<key>` is the last parameter and `&Signature=` carries Base64(HMAC-SHA1(secret,
the URL up to and including the key)). Only parameters that need no URL escaping are sent, so
the string signed is exactly the string on the wire.

The key and secret never leave this module except inside the signed URL: they are kept out of
reprs, error messages, logs (urllib3's debug line is redacted) and the cache. Only this
module's wire tests need a (loopback) server; everything else uses `lginform`'s resources.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from pm_pipeline.core.words import plural
from pm_pipeline.defs.benchmarks.lginform_answers import (
    RAW,
    LGInformBadResponse,
    LGInformError,
    LGInformRefused,
    LGInformUnavailable,
    PeriodInfo,
    data_table_records,
    metric_type_info,
    period_info,
)

KEY_ENV = "LGINFORM_API_KEY"
SECRET_ENV = "LGINFORM_API_SECRET"
BASE_URL_ENV = "LGINFORM_BASE_URL"
DEFAULT_BASE_URL = "https://webservices.esd.org.uk"
_PLAIN = re.compile(r"^[A-Za-z0-9_.,:~-]+$")
_PATH = re.compile(r"^(/[A-Za-z0-9_.,:~-]+)+$")
_SIGNED_PARAM = re.compile(r"(ApplicationKey|Signature)=[^&\s\"'<>]*")
_ERRNO = re.compile(r"\[Errno -?\d+\][^'\")]*")


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


class RetryAfterTooLong(Exception):
    """A 429 asked for a longer wait than the client will make (raised inside urllib3)."""

    def __init__(self, seconds: float):
        super().__init__(f"Retry-After {seconds:g} s")
        self.seconds = seconds


class _Retry(Retry):
    """urllib3's Retry (backoff, 429/5xx, Retry-After as seconds or an HTTP date), but giving
    up at once when a 429 asks for a longer wait than `max_wait`, rather than sleeping an hour."""

    max_wait: float = 120.0

    def new(self, **kw: Any) -> _Retry:
        retry = super().new(**kw)
        retry.max_wait = self.max_wait
        return retry

    def sleep_for_retry(self, response: Any) -> bool:
        asked = self.get_retry_after(response)
        if asked is not None and asked > self.max_wait:
            raise RetryAfterTooLong(asked)
        return super().sleep_for_retry(response)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry timeouts, lost connections, 429 and 5xx answers:
    waits of `backoff_seconds` doubling (urllib3 tries the first retry at once), never longer
    than `max_wait_seconds`, and a Retry-After over that gives up."""

    max_retries: int = 4
    backoff_seconds: float = 1.0
    max_wait_seconds: float = 120.0

    def urllib3_retry(self) -> Retry:
        retry = _Retry(
            total=self.max_retries,
            connect=self.max_retries,
            read=self.max_retries,
            status=self.max_retries,
            other=0,
            allowed_methods=frozenset({"GET"}),
            status_forcelist=frozenset({429, *range(500, 600)}),
            backoff_factor=self.backoff_seconds,
            backoff_max=self.max_wait_seconds,
            respect_retry_after_header=True,
            raise_on_status=False,  # the last 429/5xx answer comes back, to be explained
            raise_on_redirect=False,
        )
        retry.max_wait = self.max_wait_seconds
        return retry


class LGInformClient:
    """Signed GETs against LG Inform with timeouts, retries (urllib3's `Retry` on the session's
    adapter) and body checks."""

    def __init__(
        self,
        base_url: str,
        key: str,
        secret: str,
        timeout_seconds: float = 30.0,
        retry: RetryPolicy | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._secret = secret
        self.timeout_seconds = timeout_seconds
        self.retry = retry or RetryPolicy()
        self._session = requests.Session()
        self._session.headers.update({"Accept": "application/json", "User-Agent": "pm_pipeline"})
        adapter = HTTPAdapter(max_retries=self.retry.urllib3_retry())
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

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
        """The body of the first good answer; the session's Retry has already retried
        timeouts, lost connections, 429 and 5xx by the time an answer or error comes back."""
        attempts = self.retry.max_retries + 1
        asked: float | None = None
        failure: str | None = None
        try:
            response = self._send(url)
        except RetryAfterTooLong as exc:
            asked = exc.seconds
        except requests.RequestException as exc:
            failure = self._network_failure(exc)
        # raised outside the except blocks, so no traceback chains back to the signed URL
        if asked is not None:
            raise LGInformUnavailable(
                f"LG Inform is rate-limiting requests (HTTP 429) and asked to wait "
                f"{asked:g} s before asking for {subject} again, longer than "
                f"max_wait_seconds ({self.retry.max_wait_seconds:g})",
                subject,
                network=False,
            )
        if failure is not None:
            raise LGInformUnavailable(
                f"LG Inform gave no good answer for {subject} after "
                f"{plural(attempts, 'attempt')}: {failure}",
                subject,
                network=True,
            )
        status = response.status_code
        if status < 400:
            return response.content
        if status != 429 and status < 500:
            raise self._refused(response, subject) from None
        raise LGInformUnavailable(
            f"LG Inform gave no good answer for {subject} after {plural(attempts, 'attempt')}: "
            f"HTTP {status}{self._redact(_error_detail(response))}",
            subject,
            network=False,
        )

    def _network_failure(self, exc: requests.RequestException) -> str:
        """What went wrong on the wire, in words, never with the signed URL."""
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        refused = isinstance(reason, NewConnectionError)  # a ConnectTimeoutError subclass
        if isinstance(exc, requests.Timeout) or (
            not refused and isinstance(reason, ReadTimeoutError | ConnectTimeoutError)
        ):
            return f"no answer within {self.timeout_seconds:g} s"
        if isinstance(exc, requests.ConnectionError):
            return f"could not connect ({self._connection_reason(exc)})"
        return f"the connection failed ({type(exc).__name__})"

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
