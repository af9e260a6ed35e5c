"""The stack's restart policy and its settings, without the stack: tiny child processes stand
in for the services, and the installed package is a wheel built from this checkout.

test_stack.py runs the real services on PostgreSQL; these take seconds.
"""

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from pm_pipeline.core import files
from pm_pipeline.stack import services
from pm_pipeline.stack.services import (
    LAUNCHER,
    ConfigError,
    GaveUp,
    RestartPolicy,
    Service,
    Settings,
    Stack,
    Supervisor,
    exit_cause,
    free_port,
    http_ok,
    instance_template,
    prepare_instance,
    wait_until,
)

REPO = Path(__file__).resolve().parent.parent


# offline: the venv's setuptools builds it (no build isolation, so no download)


def child(tmp_path: Path, name: str, code: str) -> Service:
    """A service that runs `code` in Python, logging to tmp_path/<name>.log."""
    return Service(name, [sys.executable, "-c", code], tmp_path / f"{name}.log", tmp_path)


def supervise_until_given_up(supervisor: Supervisor, timeout: float = 15.0) -> GaveUp:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            supervisor.check()
        except GaveUp as gave_up:
            return gave_up
        time.sleep(0.01)
    raise AssertionError(f"not given up within {timeout} s")


def test_the_delay_doubles_up_to_its_cap():
    policy = RestartPolicy(first_delay=1, max_delay=8)
    assert [policy.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]


def test_exit_causes_name_the_code_or_the_signal():
    assert exit_cause(3) == "exit code 3"
    assert exit_cause(-signal.SIGKILL) == "killed by SIGKILL"
    assert exit_cause(-200) == "killed by signal 200"


def test_a_service_that_dies_at_once_is_restarted_later_each_time_then_given_up(tmp_path):
    flaky = child(
        tmp_path,
        "flaky",
        "import sys; print('starting'); print('cannot open the warehouse', file=sys.stderr); "
        "sys.exit(3)",
    )
    said: list[str] = []
    reported: list[float] = []  # when each death was reported
    restarted: list[float] = []  # and when the service was started again
    policy = RestartPolicy(first_delay=0.1, max_delay=0.4, limit=3, window=60)
    supervisor = Supervisor(
        [flaky],
        os.environ,
        policy,
        on_restart=lambda s: restarted.append(s.started_at),
        say=lambda m: (said.append(m), reported.append(time.monotonic())),
    )
    flaky.start(os.environ)
    gave_up = supervise_until_given_up(supervisor)

    assert supervisor.restarts == {"flaky": 3}
    waits = [start - death for death, start in zip(reported, restarted, strict=True)]
    assert all(w >= d for w, d in zip(waits, (0.1, 0.2, 0.4), strict=True)), waits
    assert all(a < b for a, b in itertools.pairwise(waits)), waits
    assert [m.split("; restarting in ")[1].split(" s ")[0] for m in said] == ["0.1", "0.2", "0.4"]
    for number, message in enumerate(said, start=1):
        assert message.startswith("flaky (pid ") and "exit code 3 after" in message
        assert f"(restart {number} of at most 3 within 60 s)" in message
        assert "cannot open the warehouse" in message  # the cause, from its own output
        assert message.count("cannot open the warehouse") == 1  # this start's lines only
    reason = str(gave_up)
    assert "flaky" in reason and "exit code 3" in reason
    assert "restarted 3 times within 60 s (the limit), so the stack stops" in reason
    assert str(flaky.log) in reason and "cannot open the warehouse" in reason


def test_a_service_that_dies_rarely_is_restarted_without_end_from_the_first_delay(tmp_path):
    """Deaths further apart than the window never reach the limit; after a run longer than
    `stable_after` the delay starts again from the first."""
    slow = child(tmp_path, "slow", "import sys, time; time.sleep(0.3); sys.exit(1)")
    said: list[str] = []
    policy = RestartPolicy(first_delay=0.05, limit=1, window=0.2, stable_after=0.25)
    supervisor = Supervisor([slow], os.environ, policy, say=said.append)
    slow.start(os.environ)
    deadline = time.monotonic() + 10
    while len(said) < 3 and time.monotonic() < deadline:
        supervisor.check()
        time.sleep(0.01)
    slow.stop(timeout=5)
    assert len(said) == 3 and supervisor.restarts["slow"] >= 2
    assert all("restarting in 0.05 s (restart 1 of at most 1 within 0.2 s)" in m for m in said)


def test_a_killed_service_is_reported_by_its_signal(tmp_path):
    victim = child(tmp_path, "victim", "import time; print('serving', flush=True); time.sleep(60)")
    said: list[str] = []
    supervisor = Supervisor(
        [victim], os.environ, RestartPolicy(first_delay=60, max_delay=60), say=said.append
    )
    victim.start(os.environ)
    deadline = time.monotonic() + 10
    while "serving" not in victim.tail() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert victim.process is not None
    os.killpg(victim.process.pid, signal.SIGKILL)
    while not said and time.monotonic() < deadline:
        supervisor.check()
        time.sleep(0.01)
    assert "victim (pid" in said[0] and "killed by SIGKILL" in said[0]
    assert "restarting in 60 s" in said[0] and "| serving" in said[0]


def test_a_service_writes_with_umask_0027_and_its_log_is_closed_to_other_accounts(tmp_path):
    """What the services write (run logs, the instance, reports) is closed to other accounts,
    as systemd's UMask=0027 closes it; the caller's own umask is left alone."""
    folder = tmp_path / "service"
    folder.mkdir()
    writer = child(
        folder,
        "writer",
        "import os; open('made.txt', 'w').close(); os.mkdir('made'); print('ready', flush=True)",
    )
    before = os.umask(0o022)
    try:
        writer.start(os.environ)
        assert writer.process is not None and writer.process.wait(timeout=30) == 0
        assert os.umask(0o022) == 0o022  # the stack's own process is not changed
    finally:
        os.umask(before)
    modes = {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()}
    assert modes == {"made.txt": 0o640, "made": 0o750, "writer.log": 0o640}


def test_ctrl_c_is_not_held_up_by_a_restart_delay(tmp_path):
    dead = child(tmp_path, "dead", "raise SystemExit(1)")
    said: list[str] = []
    supervisor = Supervisor([dead], os.environ, RestartPolicy(first_delay=30), say=said.append)
    dead.start(os.environ)
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop, 0.05))
    thread.start()
    deadline = time.monotonic() + 10
    while not said and time.monotonic() < deadline:
        time.sleep(0.02)
    stopped = time.monotonic()
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - stopped < 1
    assert said and "restarting in 30 s" in said[0] and supervisor.restarts == {}


def test_the_shipped_instance_is_the_repository_settings_on_postgres():
    text = instance_template()
    assert text.startswith((REPO / "dagster.yaml").read_text())  # pool, monitoring, retries
    config = yaml.safe_load(text)
    assert config["storage"] == {"postgres": {"postgres_url": {"env": "DAGSTER_PG_URL"}}}
    assert config["run_launcher"]["module"] == LAUNCHER


def test_the_instance_is_written_where_there_is_none_and_an_operators_own_is_kept(tmp_path):
    said: list[str] = []
    home = tmp_path / "home"
    written = prepare_instance(home, said.append)
    assert written == home / "dagster.yaml" and written.read_text() == instance_template()
    assert said == []
    own = instance_template().replace("max_concurrent_runs: 4", "max_concurrent_runs: 2")
    written.write_text(own)
    prepare_instance(home, said.append)
    assert written.read_text() == own and "differs from the shipped one" in said[0]
    # the demo's SQLite instance cannot be shared by the services: refused, with the fix
    written.write_text((REPO / "dagster.yaml").read_text())
    with pytest.raises(ConfigError, match="does not keep runs in PostgreSQL") as refused:
        prepare_instance(home, said.append)
    assert str(written) in str(refused.value) and "DAGSTER_HOME" in str(refused.value)


def test_settings_come_from_the_environment_and_a_checkout_has_defaults(tmp_path):
    given = Settings.resolve(
        {"PM_DATA_DIR": str(tmp_path / "data"), "DAGSTER_HOME": str(tmp_path / "home")}
    )
    assert given.data_dir == tmp_path / "data" and given.dagster_home == tmp_path / "home"
    assert given.checkout == REPO and given.stack_dir == REPO / ".stack"
    defaults = Settings.resolve({}, tmp_path / "stack")
    assert defaults.data_dir == REPO / "data"
    assert defaults.dagster_home == tmp_path / "stack" / "dagster_home"


def run_installed(site: Path, cwd: Path, env: dict[str, str], *args: str):
    env = {**env, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "pm_pipeline.stack", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_installed_package_runs_the_stack_with_pm_data_dir_and_dagster_home(
    installed, tmp_path
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    home, data = tmp_path / "instance", tmp_path / "council"
    env = {k: v for k, v in os.environ.items() if k not in ("PM_DATA_DIR", "DAGSTER_HOME")}

    checked = run_installed(
        installed,
        elsewhere,
        {**env, "PM_DATA_DIR": str(data), "DAGSTER_HOME": str(home)},
        "--check",
    )
    assert checked.returncode == 0, checked.stderr
    found = json.loads(checked.stdout)
    assert found["package"] == str(installed / "pm_pipeline" / "stack")  # not this checkout
    assert found["checkout"] is None
    assert found["data_dir"] == str(data) and found["dagster_home"] == str(home)
    assert found["stack_dir"] == str(home / "stack")
    assert (home / "dagster.yaml").read_text() == instance_template()  # from package data

    # installed, nothing is assumed: a missing setting stops it before anything starts
    refused = run_installed(installed, elsewhere, {**env, "DAGSTER_HOME": str(home)})
    assert refused.returncode == 2, refused.stderr
    assert "PM_DATA_DIR is not set" in refused.stderr and "Traceback" not in refused.stderr


def test_installed_each_setting_is_required_and_the_product_has_no_data_dir_default(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(services, "source_checkout", lambda: None)
    both = {"PM_DATA_DIR": str(tmp_path / "data"), "DAGSTER_HOME": str(tmp_path / "home")}
    for missing in both:
        with pytest.raises(ConfigError, match=f"{missing} is not set"):
            Settings.resolve({k: v for k, v in both.items() if k != missing})
    monkeypatch.setattr(files, "REPO_ROOT", tmp_path / "site-packages")  # no pyproject.toml
    monkeypatch.delenv("PM_DATA_DIR")
    with pytest.raises(files.DataDirNotSet, match="PM_DATA_DIR is not set"):
        files.default_data_dir()
    monkeypatch.setenv("PM_DATA_DIR", str(tmp_path / "data"))
    assert files.default_data_dir() == tmp_path / "data"


def test_in_a_checkout_the_product_defaults_to_its_sample_data(monkeypatch):
    monkeypatch.delenv("PM_DATA_DIR")
    assert files.source_checkout() == REPO and files.default_data_dir() == REPO / "data"


def test_giving_up_stops_everything_and_exits_non_zero(monkeypatch, tmp_path, capsys):
    """main() over a stack whose code server keeps dying: the cause on stderr, everything
    stopped, exit code 3 (so systemd or a shell sees it)."""
    stopped: list[bool] = []

    def start(self: services.Stack) -> None:
        raise GaveUp("code-server (pid 1) exit code 1 after 0.5 s, and it was restarted ...")

    monkeypatch.setattr(services.Stack, "start", start)
    monkeypatch.setattr(services.Stack, "stop", lambda self: stopped.append(True))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    before = signal.getsignal(signal.SIGINT)
    assert services.main(["--dir", str(tmp_path / "stack")]) == services.EXIT_GAVE_UP
    assert stopped == [True]
    err = capsys.readouterr().err
    assert "giving up: code-server (pid 1) exit code 1" in err
    assert signal.getsignal(signal.SIGINT) is before  # Ctrl-C given back to the caller


@pytest.mark.slow  # starts the portal twice (each start imports the pipeline's rules)
@pytest.mark.timeout(120)
def test_the_stack_runs_the_portal_on_loopback_trusting_no_proxy_restarts_it_and_records_it(
    tmp_path, monkeypatch, data_dir
):
    monkeypatch.delenv("PM_PORTAL_TRUSTED_PROXIES", raising=False)
    monkeypatch.delenv("PM_PORTAL_DEMO_LOGIN", raising=False)
    port = free_port()
    settings = Settings(tmp_path / "home", data_dir, tmp_path / "stack", None)
    stack = Stack(settings, 3999, "postgresql+psycopg2://dagster@127.0.0.1/dagster", None, port)
    env = stack.environment()
    built = stack.build_services(4000, tmp_path / "workspace.yaml", tmp_path / "logs")
    assert [s.name for s in built] == ["code-server", "webserver", "daemon", "portal"]
    portal = built[-1]
    assert portal.argv == [sys.executable, "-m", "pm_pipeline.portal"]
    assert (env["PM_PORTAL_HOST"], env["PM_PORTAL_PORT"]) == ("127.0.0.1", str(port))
    assert "PM_PORTAL_TRUSTED_PROXIES" not in env and env["PM_DAGSTER_UI_URL"] == stack.url

    said: list[str] = []
    stack.root.mkdir()
    stack.services = [portal]
    stack.supervisor = Supervisor(
        [portal], env, RestartPolicy(first_delay=0.1), lambda _: stack.write_state(), said.append
    )
    portal.start(env)
    try:
        wait_until(lambda: http_ok(f"{stack.portal_url}/static/portal.css"), "the portal", 60)
        # a user header from loopback is not believed: no proxy is trusted
        request = urllib.request.Request(
            f"{stack.portal_url}/returns", headers={"X-Forwarded-Email": "a@test.example"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 401
        first = portal.process.pid
        os.killpg(first, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while stack.restarts.get("portal") != 1 and time.monotonic() < deadline:
            stack.supervisor.check()
            time.sleep(0.05)
        wait_until(lambda: http_ok(f"{stack.portal_url}/static/portal.css"), "the portal", 60)
    finally:
        portal.stop(timeout=10)
    assert said and "portal (pid" in said[0] and "killed by SIGKILL" in said[0]
    state = json.loads((stack.root / "state.json").read_text())
    assert state["portal"] == f"http://127.0.0.1:{port}"
    assert state["pids"]["portal"] != first and state["restarts"] == {"portal": 1}
