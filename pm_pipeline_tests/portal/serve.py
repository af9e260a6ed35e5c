"""The portal served for real on a loopback port (uvicorn in a thread), and a small browser
made of http.client that keeps cookies as a browser would (httpx, which Starlette's TestClient
needs, is not installed)."""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import uvicorn

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.warehouse import Warehouse
from pm_pipeline.defs.register.load import load_register
from pm_pipeline.defs.register.store import write_register
from pm_pipeline.portal.app import create_app
from pm_pipeline.portal.security import Settings
from pm_pipeline.stack.services import free_port
from pm_pipeline_tests.council import Council, pi, write_csv

Q = Quarter(2026, 2)
OWNER, OTHER = "owner@test.example", "other@test.example"
MANAGER, TEAM = "manager@test.example", "team@test.example"


def portal_council(root: Path, load: bool = True, more: Sequence[dict] = ()) -> Council:
    """Two owners' PIs under one manager (and `more`), people.csv naming everyone, the
    register loaded (`load=False`: the test loads it itself, e.g. with register_job)."""
    council = Council(
        root,
        indicators=[
            pi("KPI-1", "Homes let", valid_min="0", valid_max="100"),
            pi("KPI-2", "Missed bins", unit="count", polarity="lower_is_better", owner=OTHER),
            *more,
        ],
        targets=[("KPI-1", "2026/27", 80, ""), ("KPI-2", "2026/27", 50, "")],
    ).write()
    write_csv(
        root / "config" / "people.csv",
        ["email", "name", "job_title", "service", "role", "delegate_for"],
        [
            [OWNER, "Olu Owner", "Housing officer", "Test service", "owner", ""],
            [OTHER, "Ola Other", "Waste officer", "Test service", "owner", ""],
            [MANAGER, "Mo Manager", "Head of service", "Test service", "manager", ""],
            [TEAM, "Tia Team", "Performance officer", "", "performance_team", ""],
        ],
    )
    if load:
        with Warehouse(database=str(root / "warehouse.duckdb")).write() as conn:
            write_register(conn, load_register(root / "config"))
    return council


@contextmanager
def serving(settings: Settings, quarter: Quarter = Q) -> Iterator[str]:
    """The portal at http://127.0.0.1:<port> until the block ends."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, lambda: quarter),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the portal did not start in 10 s")
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class Page:
    status: int
    body: str
    headers: dict[str, str]

    @property
    def csrf(self) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.body)
        assert found, "the page has no form with a CSRF token"
        return found.group(1)


@dataclass
class Browser:
    """Requests with this browser's cookies (every cookie kept, as on the loopback demo)."""

    host: str
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookies: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, fields: dict[str, str] | None = None) -> Page:
        conn = http.client.HTTPConnection(self.host, timeout=30)
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("set-cookie") or []:
            self.set_cookies.append(header)
            name, _, rest = header.partition("=")
            value = rest.split(";")[0].strip('"')
            if value and "max-age=0" not in header.casefold():
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        conn.close()
        return Page(response.status, text, dict(response.headers))

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str]) -> Page:
        return self.request("POST", path, fields)

    def sign_in(self, email: str) -> None:
        """The demo's "sign in as"."""
        form = self.get("/signin")
        assert form.status == 200, form.body
        done = self.post("/signin", {"csrf_token": form.csrf, "email": email})
        assert done.status == 303, done.body
