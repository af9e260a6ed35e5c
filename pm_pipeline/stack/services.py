"""`make stack`: Dagster's production shape on one machine, in the foreground.

Runs, events and schedules live in PostgreSQL (`$DAGSTER_PG_URL`, else a local server kept
under `.stack/postgres`); the code location runs as a gRPC code server; the webserver and the
daemon are separate processes that reach it through a workspace file. All listen on loopback.
A service that dies is started again (as systemd's Restart=always would), after its whole
process group is gone, so run workers never outlive their code server. Ctrl-C stops
everything, newest first. `state.json` in the stack directory says what runs where.

    python -m pm_pipeline.stack [--dir .stack] [--port $PM_STACK_PORT or 3000]
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCATION = "pm_pipeline"
# Added to the repository's dagster.yaml (which keeps the pool, run monitoring and retries).
INSTANCE_EXTRA = """
# The services' instance (make stack, deploy/systemd/dagster.yaml): runs, events and schedules
# in PostgreSQL; runs started by the code server, their workers health-checked by process id.
storage:
  postgres:
    postgres_url: { env: DAGSTER_PG_URL }
run_launcher:
  module: pm_pipeline.stack.launcher
  class: LocalProcessRunLauncher
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(ready, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not start within {timeout:.0f} s")
        time.sleep(0.2)


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def http_ok(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


class LocalPostgres:
    """A PostgreSQL server in `root` on a loopback port, from Debian's binaries.

    PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user.
    Trust authentication is safe only because it listens on 127.0.0.1 and a private socket dir.
    """

    def __init__(self, root: Path, port: int):
        self.root, self.port = root, port
        self.data = root / "cluster"
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
        initdb = found[-1] if found else shutil.which("initdb")
        if not initdb:
            raise FileNotFoundError("PostgreSQL is not installed (Debian package postgresql)")
        self.bindir = Path(initdb).parent

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://dagster@127.0.0.1:{self.port}/dagster"

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True)

    def start(self) -> LocalPostgres:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        if not (self.data / "PG_VERSION").exists():
            made = self._run(
                "initdb", "-D", str(self.data), "-U", "dagster", "--auth=trust", "-E", "UTF8"
            )
            if made.returncode:
                raise RuntimeError(f"initdb failed: {made.stderr}")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root}"
        started = self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.root / "server.log"),
            "start",
        )
        if started.returncode:
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr}{started.stdout}")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "dagster", "dagster")
        return self

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


def _version(path: str) -> float:
    try:
        return float(Path(path).parent.parent.name)
    except ValueError:
        return 0.0


@dataclass
class Service:
    """One long-running process in its own process group, logging to a file."""

    name: str
    argv: list[str]
    log: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, env: dict[str, str]) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM to the whole group (the service and its children), SIGKILL if it lingers."""
        if self.process is None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=wait)
                deadline = time.monotonic() + wait  # children may outlive the leader briefly
                while _group_alive(self.process.pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                if not _group_alive(self.process.pid):
                    return
            except subprocess.TimeoutExpired:
                continue


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


class Stack:
    """PostgreSQL, the gRPC code server, the webserver and the daemon, supervised."""

    def __init__(self, root: Path, port: int, pg_url: str | None = None):
        self.root, self.port = root.resolve(), port
        self.home = self.root / "dagster_home"
        self.pg_url = pg_url
        self.postgres: LocalPostgres | None = None
        self.services: list[Service] = []
        self.restarts: dict[str, int] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)  # the postgres user must reach the server's directory
        logs = self.root / "logs"
        logs.mkdir(exist_ok=True)
        if not self.pg_url:
            self.postgres = LocalPostgres(self.root / "postgres", free_port()).start()
            self.pg_url = self.postgres.url
        self.home.mkdir(exist_ok=True)
        (self.home / "dagster.yaml").write_text(
            (REPO / "dagster.yaml").read_text() + INSTANCE_EXTRA
        )
        grpc_port = free_port()
        workspace = self.root / "workspace.yaml"
        workspace.write_text(
            "load_from:\n  - grpc_server:\n      host: 127.0.0.1\n"
            f"      port: {grpc_port}\n      location_name: {LOCATION}\n"
        )
        self.env = {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "DAGSTER_PG_URL": self.pg_url,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        self.services = [
            Service(
                "code-server",
                [
                    str(BIN / "dagster"),
                    "code-server",
                    "start",
                    "-m",
                    "pm_pipeline.definitions",
                    "-d",
                    str(REPO),
                    "--location-name",
                    LOCATION,
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(grpc_port),
                ],
                logs / "code-server.log",
            ),
            Service(
                "webserver",
                [
                    str(BIN / "dagster-webserver"),
                    "-w",
                    str(workspace),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                ],
                logs / "webserver.log",
            ),
            Service(
                "daemon",
                [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
                logs / "daemon.log",
            ),
        ]
        for service in self.services:
            service.start(self.env)
            if service.name == "code-server":
                wait_until(lambda: port_open(grpc_port), "the code server")
        wait_until(lambda: http_ok(f"{self.url}/server_info"), "the webserver")
        self.write_state()

    def write_state(self) -> None:
        state = {
            "ui": self.url,
            "dagster_home": str(self.home),
            "pg_url": re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", self.pg_url or ""),  # no password
            "pids": {s.name: s.process.pid for s in self.services if s.process},
            "restarts": self.restarts,
        }
        (self.root / "state.json").write_text(json.dumps(state, indent=2))

    def supervise(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Restart any service that exits, until `stop` is set."""
        while not stop.wait(interval):
            for service in self.services:
                if service.exited() and service.process is not None:
                    print(f"{service.name} exited ({service.process.returncode}); restarting")
                    service.stop(timeout=5)  # what is left of its group: orphaned run workers
                    service.start(self.env)
                    self.restarts[service.name] = self.restarts.get(service.name, 0) + 1
                    self.write_state()

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
        if self.postgres:
            self.postgres.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=REPO / ".stack")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PM_STACK_PORT", "3000")))
    args = parser.parse_args(argv)
    stack = Stack(args.dir, args.port, os.environ.get("DAGSTER_PG_URL") or None)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    started = time.perf_counter()
    try:
        stack.start()
        print(f"pm_pipeline stack up in {time.perf_counter() - started:.1f} s")
        print(f"Dagster UI: {stack.url}  (loopback only; put the proxy in deploy/nginx in front)")
        print(f"Logs: {args.dir / 'logs'}   Ctrl-C stops everything")
        stack.supervise(stop)
    finally:
        print("stopping ...")
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
