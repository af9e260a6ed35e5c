"""A stand-in for LG Inform on loopback: for the tests, the bench, and trying the live path offline.

It serves `/data.table`, `/metricTypes/<id>` and `/periods/<id>` in the shapes recorded in
`../shared/data_sources.md`, checks each request's signature as the service does (HTTP 401
with `{"errors": [{"message": ..., "errorCode": 10}]}` when it is wrong), and can be told to
misbehave for the next requests to a path: an HTTP error, a 429 with Retry-After, a hang, a
truncated body or a dropped connection. It never logs a request line (the key is in it).

    python -m pm_pipeline_tests.fake_lginform data/ --port 8765 --key demo --secret demo

serves the cached metrics under data/benchmarks/lginform/; point LGINFORM_BASE_URL at it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from pm_pipeline.defs.benchmarks.cache import from_json
from pm_pipeline.defs.benchmarks.lginform_answers import PeriodInfo, data_table_record

NOT_AUTHORISED = {
    "errors": [
        {
            "message": "Not authorized: the application key or signature is not valid",
            "errorCode": 10,
        }
    ]
}


@dataclass(frozen=True)
class Fault:
    """How to spoil one answer. Defaults answer normally."""

    status: int | None = None  # answer with this status instead
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # answer with this body instead
    delay: float = 0.0  # wait this long first (a hang, when longer than the client's timeout)
    truncate: bool = False  # send only the first half of the real body
    drop: bool = False  # close the connection without answering


def http_error(status: int, body: object = None, headers: dict[str, str] | None = None) -> Fault:
    payload = (
        {"errors": [{"message": f"HTTP {status}", "errorCode": status}]} if body is None else body
    )
    return Fault(status=status, body=json.dumps(payload).encode(), headers=headers or {})


def hang(seconds: float) -> Fault:
    return Fault(delay=seconds)


def truncated() -> Fault:
    return Fault(truncate=True)


def dropped() -> Fault:
    return Fault(drop=True)


@dataclass
class FakeDataset:
    """What the fake service knows: metrics, areas, periods (oldest first) and a value for each."""

    metrics: dict[str, dict[str, object]]  # id -> metricType object (identifier, label, ...)
    areas: dict[str, str]  # GSS code -> label
    periods: list[PeriodInfo]
    value: Callable[[str, str, str], float | None]  # (metric, area, period id) -> value
    groups: dict[str, list[str]] = field(default_factory=dict)  # area group name -> codes


def dataset_from_cache(cache_dir: Path) -> FakeDataset:
    """A dataset that answers with exactly the records cached under `cache_dir`."""
    metrics, areas, periods, values = {}, {}, {}, {}
    for path in sorted(cache_dir.glob("metric_*.json")):
        cached = from_json(path.read_text(encoding="utf-8"), path.name)
        metrics[cached.metric_id] = cached.metric
        periods.update(cached.periods)
        for r in cached.records:
            areas[str(r["areaIdentifier"])] = str(r.get("areaLabel") or r["areaIdentifier"])
            values[(cached.metric_id, r["areaIdentifier"], r["periodIdentifier"])] = r["value"]
    return FakeDataset(
        metrics=metrics,
        areas=areas,
        periods=sorted(periods.values(), key=lambda p: p.start),
        value=lambda m, a, p: values.get((m, a, p)),
    )


@dataclass(frozen=True)
class Seen:
    """A request the fake received (path and parameters, the signature checked)."""

    path: str
    params: dict[str, str]
    at: float


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeLGInform

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (timeout) leaves a broken pipe: not worth a traceback."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Request lines carry the application key: never print them."""

    def do_GET(self) -> None:
        fake = self.server.fake
        parsed = urlsplit(self.path)
        params = dict(parse_qsl(parsed.query, keep_blank_values=True))
        fault = fake._seen(parsed.path, params)
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop:
            self.close_connection = True
            return
        status, payload = fake._answer(self.headers.get("Host", ""), self.path, parsed.path, params)
        body = json.dumps(payload).encode() if fault.body is None else fault.body
        status = fault.status or status
        if fault.truncate:
            body = body[: len(body) // 2]
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in fault.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class FakeLGInform:
    """The fake service on 127.0.0.1 (a free port), in a background thread."""

    def __init__(
        self,
        dataset: FakeDataset,
        key: str | None = None,
        secret: str | None = None,
        port: int = 0,
    ):
        self.dataset = dataset
        self.key = key
        self.secret = secret
        self.requests: list[Seen] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeLGInform:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeLGInform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inject(self, path_prefix: str, *faults: Fault) -> None:
        """Spoil the next answers to paths starting with `path_prefix`, one fault each."""
        with self._lock:
            self._faults.setdefault(path_prefix, deque()).extend(faults)

    def requests_to(self, path_prefix: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)]

    def _seen(self, path: str, params: dict[str, str]) -> Fault:
        with self._lock:
            self.requests.append(
                Seen(
                    path,
                    {k: v for k, v in params.items() if k not in ("ApplicationKey", "Signature")},
                    time.monotonic(),
                )
            )
            for prefix, queue in self._faults.items():
                if path.startswith(prefix) and queue:
                    return queue.popleft()
        return Fault()

    def signature_ok(self, host: str, raw_path: str) -> bool:
        """The service's check: HMAC-SHA1 over the URL up to and including ApplicationKey."""
        if self.key is None or self.secret is None:
            return True
        url = f"http://{host}{raw_path}"
        cut = url.rfind("&Signature=")
        if cut < 0:
            return False
        signed, signature = url[:cut], unquote(url[cut + len("&Signature=") :])
        if not (
            signed.endswith(f"?ApplicationKey={self.key}")
            or signed.endswith(f"&ApplicationKey={self.key}")
        ):
            return False
        digest = hmac.new(self.secret.encode(), signed.encode(), hashlib.sha1).digest()
        return hmac.compare_digest(base64.b64encode(digest), signature.encode())

    def _answer(
        self, host: str, raw_path: str, path: str, params: dict[str, str]
    ) -> tuple[int, object]:
        if not self.signature_ok(host, raw_path):
            return 401, NOT_AUTHORISED
        parts = path.strip("/").split("/")
        if parts == ["data.table"]:
            return self._data_table(params)
        if len(parts) == 2 and parts[0] == "metricTypes":
            metric = self.dataset.metrics.get(parts[1])
            if metric is None:
                return 404, {"errors": [{"message": "Metric type not found", "errorCode": 3}]}
            return 200, {"metricType": metric}
        if len(parts) == 2 and parts[0] == "periods":
            period = next((p for p in self.dataset.periods if p.identifier == parts[1]), None)
            if period is None:
                return 404, {"errors": [{"message": "Period not found", "errorCode": 3}]}
            return 200, period.as_json()
        return 404, {"errors": [{"message": f"No method {path}", "errorCode": 1}]}

    def _periods(self, wanted: str) -> list[PeriodInfo]:
        all_periods = self.dataset.periods
        if wanted == "latest":
            return all_periods[-1:]
        if wanted.startswith("latest:"):
            return all_periods[-int(wanted.split(":", 1)[1]) :]
        ids = set(wanted.split(","))
        return [p for p in all_periods if p.identifier in ids]

    def _data_table(self, params: dict[str, str]) -> tuple[int, object]:
        data = self.dataset
        metric_ids = [m for m in params.get("metricType", "").split(",") if m]
        unknown = [m for m in metric_ids if m not in data.metrics]
        if not metric_ids or unknown:
            return 400, {
                "errors": [{"message": f"Unknown metricType {','.join(unknown)}", "errorCode": 3}]
            }
        areas: list[str] = []
        for name in params.get("area", "").split(","):
            areas += data.groups.get(name, [name])
        periods = self._periods(params.get("period", "latest"))
        records = [
            data_table_record(data.metrics[m], a, data.areas[a], p, data.value(m, a, p.identifier))
            for m in metric_ids
            for a in dict.fromkeys(areas)
            if a in data.areas
            for p in periods
        ]
        return 200, records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="data directory whose LG Inform cache to serve")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--key", default=None, help="application key to require (default: none)")
    parser.add_argument("--secret", default=None, help="its secret")
    args = parser.parse_args(argv)
    dataset = dataset_from_cache(args.data_dir / "benchmarks" / "lginform")
    with FakeLGInform(dataset, args.key, args.secret, port=args.port) as fake:
        print(f"Fake LG Inform on {fake.base_url} ({len(dataset.metrics)} metrics); Ctrl-C stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
