"""`make stack`: Dagster's production shape on one machine, in the foreground.

Runs, events and schedules live in PostgreSQL (`$DAGSTER_PG_URL`, else a local server kept
under `<dir>/postgres`); the code location runs as a gRPC code server; the webserver and the
daemon are separate processes that reach it through a workspace file; the returns portal
(pm_pipeline/portal) is one more. All listen on loopback.
A service that dies is started again after its whole process group is gone (so run workers
never outlive their code server), after 1, 2, 4 … s up to a cap; one that dies more often than
the restart limit allows stops the stack, which exits non-zero. Each death is reported with
its exit code or signal and the last lines of its log. Ctrl-C stops everything, newest first.
`state.json` in the stack directory says what runs where.

Runs from an installed package as from a checkout: `$DAGSTER_HOME` (the instance; the shipped
`pm_pipeline/stack/dagster.yaml` is written there if it has none) and `$PM_DATA_DIR` (the
council's files) come from the environment; only a source checkout has defaults for them.
See docs/operations-stack.md.

    python -m pm_pipeline.stack [--dir DIR] [--port $PM_STACK_PORT or 3000] [--check]
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent
LOCATION = "pm_pipeline"
INSTANCE_FILE = "dagster.yaml"  # package data beside this module: the stack's instance
LAUNCHER = "pm_pipeline.stack.launcher"
EXIT_CONFIG = 2  # a setting is missing or unusable: nothing was started
EXIT_GAVE_UP = 3  # a service kept dying: everything was stopped
# The services' umask, as systemd's UMask= in deploy/systemd: what they write (run logs, the
# warehouse, reports) is closed to other accounts, and personal data is 0640 in any case.
SERVICE_UMASK = 0o027


def say(message: str) -> None:
    """To the console at once (stdout may be a file a process manager reads)."""
    print(message, flush=True)


class ConfigError(Exception):
    """A setting the stack needs is missing or unusable; the message says which and the fix."""


class GaveUp(Exception):
    """A service could not be kept running; the message names it and why it died."""


def source_checkout() -> Path | None:
    """The repository this module runs from, or None when pm_pipeline is an installed package
    (then nothing beside the code can be assumed: no data/, no dagster.yaml)."""
    root = Path(__file__).resolve().parents[2]
    project = root / "pyproject.toml"
    with contextlib.suppress(OSError):
        if 'name = "pm_pipeline"' in project.read_text():
            return root
    return None


@dataclass(frozen=True)
class Settings:
    """Where the stack keeps its instance, the council's files and its own state."""

    dagster_home: Path
    data_dir: Path
    stack_dir: Path
    checkout: Path | None

    @classmethod
    def resolve(cls, environ: Mapping[str, str], stack_dir: Path | None = None) -> Settings:
        """From `DAGSTER_HOME` and `PM_DATA_DIR`; a source checkout alone has defaults
        (`data/`, `.stack/dagster_home`), because an installed package has nothing beside it."""
        checkout = source_checkout()
        data = environ.get("PM_DATA_DIR")
        if data:
            data_dir = Path(data).expanduser().resolve()
        elif checkout:
            data_dir = checkout / "data"
        else:
            raise ConfigError(
                "PM_DATA_DIR is not set: point it at the council's data directory (config/, "
                "returns/, benchmarks/ ...); an installed pm_pipeline has no data/ of its own"
            )
        home = environ.get("DAGSTER_HOME")
        if home:
            dagster_home = Path(home).expanduser().resolve()
            root = stack_dir or (checkout / ".stack" if checkout else dagster_home / "stack")
        elif checkout:
            root = stack_dir or checkout / ".stack"
            dagster_home = root.resolve() / "dagster_home"
        else:
            raise ConfigError(
                "DAGSTER_HOME is not set: point it at the directory for the Dagster instance "
                f"(the stack writes its {INSTANCE_FILE} there if there is none)"
            )
        return cls(dagster_home, data_dir, root.resolve(), checkout)


def instance_template() -> str:
    """The stack's instance settings, shipped in the package (the repository's dagster.yaml
    plus PostgreSQL storage and the run launcher; deploy/systemd/dagster.yaml is the same)."""
    return resources.files("pm_pipeline.stack").joinpath(INSTANCE_FILE).read_text(encoding="utf-8")


def prepare_instance(home: Path, say: Callable[[str], None] = say) -> Path:
    """`$DAGSTER_HOME/dagster.yaml`: the shipped one if there is none, else the operator's own,
    which must keep runs in PostgreSQL (every service shares it; SQLite cannot be shared)."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / INSTANCE_FILE
    shipped = instance_template()
    if not path.exists():
        path.write_text(shipped, encoding="utf-8")
        return path
    text = path.read_text(encoding="utf-8")
    try:
        config = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML ({exc}); fix it or delete it") from exc
    storage = config.get("storage") if isinstance(config, dict) else None
    if not (isinstance(storage, dict) and "postgres" in storage):
        raise ConfigError(
            f"{path} does not keep runs in PostgreSQL (storage: postgres:), which the stack's "
            "services share: point DAGSTER_HOME at another directory (the stack writes its "
            f"own {INSTANCE_FILE} there), or delete this file, or add the storage section of "
            "pm_pipeline/stack/dagster.yaml to it"
        )
    launcher = config.get("run_launcher") or {}
    if not (isinstance(launcher, dict) and launcher.get("module") == LAUNCHER):
        say(
            f"note: {path} does not use {LAUNCHER}, so a run whose worker dies with the code "
            "server is not noticed by run monitoring"
        )
    if text != shipped:
        say(f"note: using {path} as it is (it differs from the shipped one; delete it to reset)")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(ready: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
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

    Every login needs the password, over TCP and over the socket alike (scram-sha-256): it is
    generated when the server is first made and kept in `root/password` (0600, the server's
    owner), and the socket is in `root` itself (0700), so no other account on the machine can
    log in as `dagster`, a superuser. A password rather than peer authentication, because the
    services log in over TCP from a `DAGSTER_PG_URL` as any other PostgreSQL would need, and
    as root they are not the OS user the server runs as.
    PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user.
    """

    USER = "dagster"
    HBA = (
        "# written by pm_pipeline.stack: every login needs the password\n"
        "local all all scram-sha-256\n"
        "host all all 127.0.0.1/32 scram-sha-256\n"
    )

    def __init__(self, root: Path, port: int):
        self.root, self.port = root, port
        self.data = root / "cluster"
        self.password_file = root / "password"
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
        initdb = found[-1] if found else shutil.which("initdb")
        if not initdb:
            raise FileNotFoundError("PostgreSQL is not installed (Debian package postgresql)")
        self.bindir = Path(initdb).parent

    @property
    def password(self) -> str:
        return self.password_file.read_text().strip()

    def url(self, database: str = "dagster") -> str:
        """The SQLAlchemy URL of `database` (for DAGSTER_PG_URL), with the password."""
        return f"postgresql+psycopg2://{self.USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(
        self, tool: str, *args: str, stdin: str | None = None, login: bool = False
    ) -> subprocess.CompletedProcess:
        """A PostgreSQL tool as the server's user; with `login`, given the password (in its
        environment, never on a command line)."""
        cmd = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        env = {**os.environ, **({"PGPASSWORD": self.password} if login else {})}
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env)

    def _own(self, path: Path) -> None:
        """As root, hand `path` to the postgres user the server runs as."""
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")

    def _secure(self) -> bool:
        """The private directory and the password file; True when the password is new."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)  # the socket is here: no other account can reach it
        self._own(self.root)
        if self.password_file.exists():
            return False
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32) + "\n")
        self._own(self.password_file)
        return True

    def start(self) -> LocalPostgres:
        new_password = self._secure()
        if not (self.data / "PG_VERSION").exists():
            made = self._run(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                self.USER,
                "--auth=scram-sha-256",
                f"--pwfile={self.password_file}",
                "-E",
                "UTF8",
            )
            if made.returncode:
                raise RuntimeError(f"initdb failed: {made.stderr}")
        elif new_password:  # a server made before passwords (trust): give it this one
            set_it = f"ALTER ROLE {self.USER} PASSWORD '{self.password}';\n"
            changed = self._run(
                "postgres", "--single", "-D", str(self.data), "postgres", stdin=set_it
            )
            if changed.returncode:
                raise RuntimeError(f"setting the password failed: {changed.stderr}")
        (self.data / "pg_hba.conf").write_text(self.HBA)  # also replaces an older `trust` one
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c password_encryption=scram-sha-256"
        )
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
        self._run(
            "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            self.USER,
            "dagster",
            login=True,
        )
        return self

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


def _version(path: str) -> float:
    try:
        return float(Path(path).parent.parent.name)
    except ValueError:
        return 0.0


def exit_cause(code: int) -> str:
    """How a process ended, as an operator reads it: `exit code 1`, `killed by SIGKILL`."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


@dataclass
class Service:
    """One long-running process in its own process group, logging to a file."""

    name: str
    argv: list[str]
    log: Path
    cwd: Path | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)
    started_at: float = 0.0
    log_start: int = 0  # where this start's output begins in the (appended) log

    def start(self, env: Mapping[str, str]) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            os.fchmod(out.fileno(), 0o640)  # what a run logs may name people
            self.log_start = out.tell()
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=dict(env),
                stdout=out,
                stderr=subprocess.STDOUT,  # to the file: no pipe left for anyone to drain
                start_new_session=True,
                umask=SERVICE_UMASK,
            )
        self.started_at = time.monotonic()

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def tail(self, lines: int = 15, limit: int = 16384) -> str:
        """The last lines this start of the service wrote (the cause is usually there)."""
        try:
            with self.log.open("rb") as log:
                end = log.seek(0, os.SEEK_END)
                log.seek(max(self.log_start, end - limit))
                text = log.read().decode("utf-8", "replace")
        except OSError as exc:
            return f"(its log {self.log} cannot be read: {exc})"
        kept = text.rstrip().splitlines()[-lines:]
        return "\n".join(kept) if kept else "(it wrote nothing)"

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


@dataclass(frozen=True)
class RestartPolicy:
    """When a dead service is started again: after `first_delay`, doubling up to `max_delay`;
    at most `limit` restarts within `window` seconds, because a service that keeps dying needs
    a person, and restarting it for ever only hides why. A service that ran `stable_after`
    seconds before dying starts again from `first_delay`."""

    first_delay: float = 1.0
    max_delay: float = 30.0
    limit: int = 5
    window: float = 600.0
    stable_after: float = 60.0

    def delay(self, failures: int) -> float:
        """The wait before restart after `failures` quick deaths in a row (1, 2, 4 … s)."""
        return min(self.first_delay * 2 ** max(failures - 1, 0), self.max_delay)


@dataclass
class _Track:
    """A service's restart history, for the policy."""

    failures: int = 0
    restarted: deque[float] = field(default_factory=deque)
    due: float | None = None  # when it is to be started again


def _indent(text: str) -> str:
    return "\n".join(f"    | {line}" for line in text.splitlines())


class Supervisor:
    """Starts dead services again under a `RestartPolicy`, saying each time why they died."""

    def __init__(
        self,
        services: list[Service],
        env: Mapping[str, str],
        policy: RestartPolicy | None = None,
        on_restart: Callable[[Service], None] | None = None,
        say: Callable[[str], None] = say,
    ):
        self.services, self.env = services, env
        self.policy = policy or RestartPolicy()
        self.on_restart = on_restart
        self.say = say
        self.restarts: dict[str, int] = {}
        self._tracks = {s.name: _Track() for s in services}

    def check(self, now: float | None = None) -> None:
        """One pass: start services whose delay is over, schedule the dead; `GaveUp` when a
        service died more often than the policy allows."""
        now = time.monotonic() if now is None else now
        for service in self.services:
            track = self._tracks.setdefault(service.name, _Track())
            if track.due is not None:
                if now >= track.due:
                    track.due = None
                    service.start(self.env)
                    self.restarts[service.name] = self.restarts.get(service.name, 0) + 1
                    if self.on_restart:
                        self.on_restart(service)
                continue
            if service.process is None or not service.exited():
                continue
            self._schedule(service, track, now)

    def _schedule(self, service: Service, track: _Track, now: float) -> None:
        assert service.process is not None
        policy = self.policy
        ran = now - service.started_at
        cause = (
            f"{service.name} (pid {service.process.pid}) "
            f"{exit_cause(service.process.returncode)} after {ran:.1f} s"
        )
        output = f"last lines of {service.log}:\n{_indent(service.tail())}"
        service.stop(timeout=5)  # what is left of its group: orphaned run workers
        track.failures = 1 if ran >= policy.stable_after else track.failures + 1
        while track.restarted and now - track.restarted[0] > policy.window:
            track.restarted.popleft()
        if len(track.restarted) >= policy.limit:
            raise GaveUp(
                f"{cause}, and it was restarted {len(track.restarted)} times within "
                f"{policy.window:g} s (the limit), so the stack stops; {output}"
            )
        track.restarted.append(now)
        delay = policy.delay(track.failures)
        track.due = now + delay
        self.say(
            f"{cause}; restarting in {delay:g} s (restart {len(track.restarted)} of at most "
            f"{policy.limit} within {policy.window:g} s); {output}"
        )

    def run(self, stop: threading.Event, interval: float = 0.2) -> None:
        """Supervise until `stop` is set (Ctrl-C); a restart delay never delays stopping."""
        while not stop.wait(interval):
            self.check()


class Stack:
    """PostgreSQL, the gRPC code server, the webserver, the daemon and the returns portal,
    supervised."""

    def __init__(
        self,
        settings: Settings,
        port: int,
        pg_url: str | None = None,
        policy: RestartPolicy | None = None,
        portal_port: int | None = None,
    ):
        self.settings = settings
        self.root, self.port = settings.stack_dir, port
        self.portal_port = portal_port or free_port()
        self.home = settings.dagster_home
        self.pg_url = pg_url
        self.policy = policy or RestartPolicy()
        self.postgres: LocalPostgres | None = None
        self.services: list[Service] = []
        self.supervisor: Supervisor | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.portal_port}"

    @property
    def restarts(self) -> dict[str, int]:
        return self.supervisor.restarts if self.supervisor else {}

    def start(self) -> None:
        prepare_instance(self.home)  # before anything starts: a bad instance file stops here
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o711)  # the postgres user passes through to its own private directory
        logs = self.root / "logs"
        logs.mkdir(exist_ok=True)
        logs.chmod(0o750)
        if not self.pg_url:
            try:
                self.postgres = LocalPostgres(self.root / "postgres", free_port())
            except FileNotFoundError as missing:
                raise ConfigError(f"{missing}, or set DAGSTER_PG_URL") from missing
            try:
                self.postgres.start()
            except RuntimeError as failed:  # initdb's or pg_ctl's own words
                raise GaveUp(f"PostgreSQL under {self.postgres.root}: {failed}") from failed
            self.pg_url = self.postgres.url()
        grpc_port = free_port()
        workspace = self.root / "workspace.yaml"
        workspace.write_text(
            "load_from:\n  - grpc_server:\n      host: 127.0.0.1\n"
            f"      port: {grpc_port}\n      location_name: {LOCATION}\n"
        )
        self.env = self.environment()
        self.services = self.build_services(grpc_port, workspace, logs)
        self.supervisor = Supervisor(
            self.services, self.env, self.policy, on_restart=lambda _: self.write_state()
        )
        for service in self.services:
            service.start(self.env)
            if service.name == "code-server":
                self._wait(service, lambda: port_open(grpc_port), "the code server")
        webserver = self.services[1]
        self._wait(webserver, lambda: http_ok(f"{self.url}/server_info"), "the webserver")
        portal = self.services[3]
        self._wait(portal, lambda: port_open(self.portal_port), "the returns portal")
        self.write_state()

    def environment(self) -> dict[str, str]:
        """What every service runs with: the instance, the data, PostgreSQL, the portal's
        address."""
        checkout = self.settings.checkout
        env = {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "PM_DATA_DIR": str(self.settings.data_dir),
            "DAGSTER_PG_URL": self.pg_url or "",
            # the portal on loopback, believing a user header only from the proxies the
            # operator names in PM_PORTAL_TRUSTED_PROXIES (none by default)
            "PM_PORTAL_HOST": "127.0.0.1",
            "PM_PORTAL_PORT": str(self.portal_port),
            "PM_DAGSTER_UI_URL": os.environ.get("PM_DAGSTER_UI_URL", self.url),
        }
        if checkout:  # the checkout's code, even where another copy is installed
            env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(checkout), os.environ.get("PYTHONPATH")])
            )
        return env

    def build_services(self, grpc_port: int, workspace: Path, logs: Path) -> list[Service]:
        """The code server, the webserver, the daemon and the returns portal, not started."""
        workdir = self.settings.checkout or self.root
        return [
            Service(
                "code-server",
                [
                    str(BIN / "dagster"),
                    "code-server",
                    "start",
                    "-m",
                    "pm_pipeline.definitions",
                    "-d",
                    str(workdir),
                    "--location-name",
                    LOCATION,
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(grpc_port),
                ],
                logs / "code-server.log",
                workdir,
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
                workdir,
            ),
            Service(
                "daemon",
                [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
                logs / "daemon.log",
                workdir,
            ),
            Service(
                "portal",
                [sys.executable, "-m", "pm_pipeline.portal"],
                logs / "portal.log",
                workdir,
            ),
        ]

    def _wait(self, service: Service, ready: Callable[[], bool], what: str) -> None:
        """Until `ready`; a service that dies while starting is reported, not waited out."""

        def up() -> bool:
            if service.exited() and service.process is not None:
                raise GaveUp(
                    f"{what} ({service.name}) did not start: "
                    f"{exit_cause(service.process.returncode)}; last lines of "
                    f"{service.log}:\n{_indent(service.tail())}"
                )
            return ready()

        try:
            wait_until(up, what)
        except TimeoutError as slow:
            raise GaveUp(
                f"{slow}; last lines of {service.log}:\n{_indent(service.tail())}"
            ) from slow

    def write_state(self) -> None:
        state = {
            "ui": self.url,
            "portal": self.portal_url,
            "dagster_home": str(self.home),
            "data_dir": str(self.settings.data_dir),
            "pg_url": re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", self.pg_url or ""),  # no password
            "pids": {s.name: s.process.pid for s in self.services if s.process},
            "restarts": self.restarts,
        }
        (self.root / "state.json").write_text(json.dumps(state, indent=2))

    def supervise(self, stop: threading.Event, interval: float = 0.2) -> None:
        """Restart any service that exits, under the restart policy, until `stop` is set."""
        assert self.supervisor is not None, "start() first"
        self.supervisor.run(stop, interval)

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
        if self.postgres:
            self.postgres.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the stack until Ctrl-C (0); 2 when a setting is missing, 3 when a service kept
    dying (everything is stopped first), so a process manager sees the failure."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="the stack's state, logs and local PostgreSQL "
        "(default: .stack in a checkout, else $DAGSTER_HOME/stack)",
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("PM_STACK_PORT", "3000")))
    parser.add_argument(
        "--portal-port",
        type=int,
        default=int(os.environ.get("PM_PORTAL_PORT") or 0),
        help="the returns portal's port (default $PM_PORTAL_PORT, else a free one: state.json)",
    )
    defaults = RestartPolicy()
    parser.add_argument("--restart-limit", type=int, default=defaults.limit)
    parser.add_argument("--restart-window", type=float, default=defaults.window)
    parser.add_argument("--restart-max-delay", type=float, default=defaults.max_delay)
    parser.add_argument(
        "--check",
        action="store_true",
        help="resolve the directories and the instance file, print them, start nothing",
    )
    args = parser.parse_args(argv)
    policy = RestartPolicy(
        max_delay=args.restart_max_delay, limit=args.restart_limit, window=args.restart_window
    )
    try:
        settings = Settings.resolve(os.environ, args.dir)
        if args.check:
            instance = prepare_instance(settings.dagster_home)
            print(
                json.dumps(
                    {
                        "package": str(Path(__file__).resolve().parent),
                        "checkout": str(settings.checkout) if settings.checkout else None,
                        "dagster_home": str(settings.dagster_home),
                        "instance": str(instance),
                        "data_dir": str(settings.data_dir),
                        "stack_dir": str(settings.stack_dir),
                    },
                    indent=2,
                )
            )
            return 0
    except ConfigError as problem:
        print(f"pm_pipeline stack: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    stack = Stack(
        settings, args.port, os.environ.get("DAGSTER_PG_URL") or None, policy, args.portal_port
    )
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    started = time.perf_counter()
    code = 0
    try:
        stack.start()
        print(f"pm_pipeline stack up in {time.perf_counter() - started:.1f} s")
        print(f"Dagster UI: {stack.url}  (loopback only; put the proxy in deploy/nginx in front)")
        print(
            f"Returns portal: {stack.portal_url}  (loopback only; the same proxy, docs/portal.md)"
        )
        print(f"Data: {settings.data_dir}   Instance: {settings.dagster_home}")
        print(f"Logs: {settings.stack_dir / 'logs'}   Ctrl-C stops everything", flush=True)
        stack.supervise(stop)
    except ConfigError as problem:
        print(f"pm_pipeline stack: {problem}", file=sys.stderr)
        code = EXIT_CONFIG
    except GaveUp as gave_up:
        print(f"pm_pipeline stack: giving up: {gave_up}", file=sys.stderr, flush=True)
        code = EXIT_GAVE_UP
    finally:
        print("stopping ...", flush=True)
        stack.stop()
        for sig, handler in previous.items():  # main() may be called from other code
            signal.signal(sig, handler)
    return code


if __name__ == "__main__":
    sys.exit(main())
