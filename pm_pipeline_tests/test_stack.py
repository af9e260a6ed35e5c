"""`make stack` for real: PostgreSQL, a gRPC code server, the webserver and the daemon.

The stack is started once for the module (SharedStack), through the same entry point
`make stack` calls, on free loopback ports, over a copy of the sample council's latest quarter,
on a database of its own on the session's PostgreSQL. Runs are launched through GraphQL as the
UI's launchpad does; LG Inform is the loopback fake, so a run can be caught mid-step.
"""

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import psycopg2
import pytest

from pm_pipeline.core.periods import QUARTERLY, TIMEZONE, Month, Quarter
from pm_pipeline.portal.records import file_slug
from pm_pipeline.stack.services import LocalPostgres, free_port, instance_template
from pm_pipeline_tests.conftest import libpq_url, new_database
from pm_pipeline_tests.council import query, quick_monitoring, run_job, wait_for
from pm_pipeline_tests.fake_lginform import FakeLGInform, dataset_from_cache, hang

pytestmark = [
    pytest.mark.xdist_group("stack"),  # one worker runs the module: they share one stack
    pytest.mark.slow,
]

REPO = Path(__file__).resolve().parent.parent
PARTITION = "2026-07-01"  # 2026/27 Q2, the sample's latest quarter
PARTITION_FOLDER = "2026-27-Q2"
LAUNCH = """mutation($params: ExecutionParams!) { launchPipelineExecution(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
RUNS = """{ runsOrError { ... on Runs { results { runId jobName status
  tags { key value } } } } }"""
TICKS = """query($sensor: SensorSelector!) { sensorOrError(sensorSelector: $sensor) {
  ... on Sensor { sensorState { ticks(limit: 50) { status skipReason timestamp } } } } }"""


@dataclass
class Running:
    process: subprocess.Popen
    root: Path
    data: Path
    fake: FakeLGInform
    pg_url: str

    @property
    def state(self) -> dict:
        return json.loads((self.root / "state.json").read_text())

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.state['ui']}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)["data"]

    def launch(
        self, job: str, partition: str | None = None, assets: list[str] | None = None
    ) -> str:
        """Launch `job` as the UI's launchpad does; `assets` selects assets of it (the UI's
        "Materialize" on the asset graph launches the implicit `__ASSET_JOB` so)."""
        selector = {
            "repositoryLocationName": "pm_pipeline",
            "repositoryName": "__repository__",
            "pipelineName": job,
        }
        if assets:
            selector["assetSelection"] = [{"path": [name]} for name in assets]
        params = {
            "selector": selector,
            "runConfigData": "{}",
            "executionMetadata": {
                "tags": [{"key": "dagster/partition", "value": partition}] if partition else []
            },
        }
        answer = self.graphql(LAUNCH, {"params": params})["launchPipelineExecution"]
        assert answer["__typename"] == "LaunchRunSuccess", answer
        return answer["run"]["runId"]

    def runs(self) -> list[dict]:
        found = self.graphql(RUNS)["runsOrError"]["results"]
        for run in found:
            run["tags"] = {t["key"]: t["value"] for t in run["tags"]}
        return found

    def run(self, run_id: str) -> dict:
        return next(r for r in self.runs() if r["runId"] == run_id)

    def sensor_runs(self, sensor: str, partition: str, job: str) -> list[dict]:
        """The runs `sensor` requested for `partition`, newest first."""
        return [
            r
            for r in self.runs()
            if r["jobName"] == job
            and r["tags"].get("dagster/sensor_name") == sensor
            and r["tags"].get("dagster/partition") == partition
        ]

    def ticks(self, sensor: str) -> list[dict]:
        """The sensor's ticks as its page in the UI lists them, newest first."""
        selector = {
            "repositoryLocationName": "pm_pipeline",
            "repositoryName": "__repository__",
            "sensorName": sensor,
        }
        return self.graphql(TICKS, {"sensor": selector})["sensorOrError"]["sensorState"]["ticks"]


def sample_quarter(data: Path) -> None:
    """The sample council with only its latest quarter of returns."""
    for part in ("config", "benchmarks", "reference"):
        shutil.copytree(REPO / "data" / part, data / part)
    shutil.copytree(REPO / "data" / "returns" / "2026-27-Q2", data / "returns" / "2026-27-Q2")


def start_stack(env: dict[str, str], data: Path, fake: FakeLGInform) -> Running:
    root = Path(tempfile.mkdtemp(prefix="pm-pipeline-stack-"))  # the postgres user must reach it
    home = root / "dagster_home"  # the stack's own instance: the shipped one, polling every 5 s
    home.mkdir()
    (home / "dagster.yaml").write_text(quick_monitoring(instance_template()))
    with (root / "stack.out").open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pm_pipeline.stack",
                "--dir",
                str(root),
                "--port",
                str(free_port()),
            ],
            cwd=REPO,
            env={**env, "DAGSTER_HOME": str(home)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Running(process, root, data, fake, env["DAGSTER_PG_URL"])
    try:
        wait_for(
            "the stack", lambda: (root / "state.json").exists() or process.poll() is not None, 240
        )
        assert process.poll() is None, (root / "stack.out").read_text()[-3000:]
    except BaseException:
        stop_stack(running)
        raise
    return running


def stop_stack(running: Running) -> tuple[int | None, list[int]]:
    """Ctrl-C, as a user would: the exit code and the process groups it left alive (killed)."""
    pids = running.state["pids"].values() if (running.root / "state.json").exists() else []
    running.process.send_signal(signal.SIGINT)
    try:
        code = running.process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        code = None
    left = []
    for pgid in [running.process.pid, *pids]:
        try:
            os.killpg(pgid, signal.SIGKILL)
            left.append(pgid)
        except ProcessLookupError:
            continue
    running.fake.stop()
    shutil.rmtree(running.root, ignore_errors=True)
    return code, left


class SharedStack:
    """One running stack for the whole module (starting one takes most of a minute on 2 cores):
    the sample's latest quarter in a data directory of its own, the fake LG Inform, and runs,
    events and schedules in a database of its own on the session's PostgreSQL. The tests use it
    in file order (the last one stops it with Ctrl-C); a test that finds it stopped gets a
    fresh one, on fresh files."""

    def __init__(self, root: Path, pg_url: str):
        self.root, self.pg_url = root, pg_url
        self.running: Running | None = None
        self.started = 0

    def get(self) -> Running:
        if self.running is not None and self.running.process.poll() is None:
            return self.running
        if self.running is not None:
            stop_stack(self.running)
        self.started += 1
        data = self.root / f"data-{self.started}"
        sample_quarter(data)
        fake = FakeLGInform(
            dataset_from_cache(data / "benchmarks" / "lginform"), key="k", secret="s"
        ).start()
        env = {
            **os.environ,
            "PM_DATA_DIR": str(data),
            "DAGSTER_HOME": str(self.root / "dagster_home"),  # the stack makes its own under it
            "LGINFORM_API_KEY": "k",
            "LGINFORM_API_SECRET": "s",
            "LGINFORM_BASE_URL": fake.base_url,
            "DAGSTER_PG_URL": self.pg_url,
            "PM_SENSOR_INTERVAL_SECONDS": "10",  # 30 as shipped: a dropped file waits two ticks
            # the portal believes X-Forwarded-Email from loopback, as from the council's proxy
            "PM_PORTAL_TRUSTED_PROXIES": "127.0.0.1",
        }
        try:
            self.running = start_stack(env, data, fake)
        except BaseException:
            fake.stop()
            raise
        return self.running

    def stop(self) -> tuple[int | None, list[int]]:
        assert self.running is not None
        stopped, self.running = self.running, None
        return stop_stack(stopped)


@pytest.fixture(scope="module")
def shared_stack(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: LocalPostgres
) -> Iterator[SharedStack]:
    with new_database(postgres_server) as url:
        shared = SharedStack(tmp_path_factory.mktemp("stack"), url)
        try:
            yield shared
        finally:
            if shared.running is not None:
                shared.stop()


@pytest.fixture
def stack(shared_stack: SharedStack) -> Running:
    return shared_stack.get()


def portal_save(running: Running, quarter: Quarter) -> tuple[str, str, float]:
    """An owner moves a figure from a spreadsheet into the stack's returns portal, as docs/portal.md
    says (delete its row there, enter it here): customer_services.csv's first row of the
    sample's latest quarter, saved as from behind the proxy (X-Forwarded-Email from a trusted
    loopback address) for `quarter`, the last ended one. Its PI, the portal file under
    returns/ and the value."""
    sheet = running.data / "returns" / PARTITION_FOLDER / "customer_services.csv"
    with sheet.open(encoding="utf-8-sig", newline="") as f:
        header, first, *rest = list(csv.reader(f))
    row = dict(zip(header, first, strict=True))
    if quarter.folder == PARTITION_FOLDER:  # else that quarter's folder has no returns at all
        with sheet.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows([header, *rest])
    pid = row["pi_id"]
    [(owner,)] = warehouse_rows(
        running.data, f"SELECT owner FROM register_indicators WHERE pi_id = '{pid}'"
    )
    base, headers = running.state["portal"], {"X-Forwarded-Email": owner}
    with urllib.request.urlopen(urllib.request.Request(f"{base}/returns", headers=headers)) as got:
        page = got.read().decode()
        cookie = got.headers["set-cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    n = re.search(rf'name="pi-(\d+)" value="{re.escape(pid)}"', page).group(1)
    form = {"csrf_token": token, f"pi-{n}": pid, f"status-{n}": row["status"] or "final"}
    form |= {f"{f}-{n}": row[f] for f in ("value", "numerator", "denominator", "note")}
    request = urllib.request.Request(
        f"{base}/returns",
        data=urllib.parse.urlencode(form).encode(),
        headers={**headers, "Cookie": cookie},
    )
    with urllib.request.urlopen(request) as saved:
        assert "are saved" in saved.read().decode()
    return pid, f"{quarter.folder}/portal_{file_slug(owner)}.csv", float(row["value"])


def in_postgres(running: Running, run_id: str) -> str | None:
    """The run's status in the stack's PostgreSQL (state.json hides the URL's password)."""
    with psycopg2.connect(libpq_url(running.pg_url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT status FROM runs WHERE run_id = %s", (run_id,))
        row = cur.fetchone()
    return row[0] if row else None


def warehouse_rows(data: Path, sql: str) -> list[tuple]:
    """Read-only, as an analyst would; retried while a run holds the file."""
    for _ in range(60):
        try:
            with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
                return conn.execute(sql).fetchall()
        except duckdb.IOException:
            time.sleep(1)
    raise AssertionError("the warehouse stayed locked for a minute")


@pytest.mark.timeout(1500)  # the stack's start, a quarterly run, a killed refresh, sensors' runs
def test_quarterly_run_a_killed_code_server_and_the_sensors_at_work(stack, tmp_path):
    """Through GraphQL as the UI launches: the quarterly run, in PostgreSQL, gives the same tables
    as `make demo`'s in-process run; a refresh whose code server is killed mid-step is marked
    failed and retried. Meanwhile the daemon's sensors at work (ticks every 10 s here, 30 s
    shipped): a late return dropped in a closed quarter's folder is read and its lateness
    reported, and the later quarter's scorecard is rebuilt by itself with it as the previous
    quarter (a re-read of a changed file whatever its date is test_returns_sensor's, with the
    real sensor in process); folders made early for the running
    quarter are left, tick after tick, saying so, while a sign-off saved for the ended quarter is
    still read; a figure an owner saves in the stack's returns portal is read by the sensor."""
    same_inputs = tmp_path / "in_process"
    shutil.copytree(stack.data, same_inputs)
    now = datetime.now(ZoneInfo(TIMEZONE))
    ended = Quarter.from_key(QUARTERLY.get_partition_keys(current_time=now)[-1])
    running = ended.next  # a manager's and an owner's folders made before the quarter ends
    header = "pi_id,decision,checked_by,checked_at,comment\n"
    early = stack.data / "signoff" / running.folder / "boss.csv"
    early.parent.mkdir(parents=True)
    early.write_text(header + f"FI-01,approved,manager@test.example,{now:%d/%m/%Y},\n")
    (stack.data / "returns" / running.folder).mkdir(parents=True)
    this_month = Month.containing(now.date())  # and a monthly PI's owner, this month's
    (stack.data / "returns" / this_month.folder).mkdir(parents=True)
    started = time.monotonic()
    run_id = stack.launch("quarterly_performance_job", PARTITION)
    wait_for(
        "the quarterly run to end",
        lambda: stack.run(run_id)["status"] in ("SUCCESS", "FAILURE", "CANCELED"),
    )
    assert stack.run(run_id)["status"] == "SUCCESS"
    print(f"quarterly run through the stack: {time.monotonic() - started:.1f} s")
    assert in_postgres(stack, run_id) == "SUCCESS"  # the run is in PostgreSQL, not SQLite
    scorecard = warehouse_rows(
        stack.data, f"SELECT count(*), count(rag) FROM kpi_scorecard WHERE period = '{PARTITION}'"
    )[0]
    assert scorecard[0] > 30 and scorecard[1] == scorecard[0]
    assert (stack.data / "reports" / "2026-27-Q2" / "kpi_scorecard.pdf").exists()
    assert (stack.data / "exports" / "kpi_scorecard.parquet").exists()
    tables = "SELECT table_name FROM information_schema.tables ORDER BY ALL"
    compared = ("pi_returns", "kpi_scorecard", "kpi_exceptions", "register_indicators")
    through_stack = {tables: warehouse_rows(stack.data, tables)} | {
        sql: warehouse_rows(stack.data, sql)
        for sql in (f"SELECT * FROM {table} ORDER BY ALL" for table in compared)
    }
    previous = (
        f"SELECT previous_value FROM kpi_scorecard WHERE period = '{PARTITION}' AND pi_id = 'FI-01'"
    )
    assert warehouse_rows(stack.data, previous) == [(None,)]  # no 2026/27 Q1 returns yet

    # an owner moves a figure of the ended quarter from a spreadsheet into the portal (a service
    # of the stack); the returns sensor reads the portal's file like any other (asserted below)
    portal_pi, portal_file, portal_value = portal_save(stack, ended)

    # a late Q1 return dropped in the closed quarter's folder (submitted in October, after Q1's
    # window), for the stack's daemon to notice (its second returns-sensor tick after the drop,
    # when the file has settled) while this test goes on
    finance = (stack.data / "returns" / "2026-27-Q2" / "finance.csv").read_text()
    dropped = stack.data / "returns" / "2026-27-Q1" / "late_return.csv"
    dropped.parent.mkdir()
    dropped.write_text(finance.replace("Q2 2026/27", "Q1 2026/27"))

    # mid-run, while the worker waits on LG Inform, the code server and its workers die (a
    # refresh of the LG Inform benchmarks from the asset graph: its retry is that run again)
    stack.fake.inject("/", hang(60))
    seen = len(stack.fake.requests)
    killed = stack.launch("__ASSET_JOB", assets=["lginform_benchmarks"])
    wait_for("the run to call LG Inform", lambda: len(stack.fake.requests) > seen)
    code_server = stack.state["pids"]["code-server"]
    os.killpg(code_server, signal.SIGKILL)

    # while run monitoring notices (every 5 s here, 30 s shipped): the same tables as the job run in one
    # process (as `make demo` runs it) on the same files, against those the first run wrote
    assert run_job(same_inputs, "quarterly_performance_job", PARTITION).success
    assert through_stack[tables] == query(same_inputs, tables)
    for sql in list(through_stack)[1:]:
        assert through_stack[sql] == query(same_inputs, sql), sql
    wait_for(
        "the code server to come back", lambda: stack.state["restarts"].get("code-server") == 1, 60
    )
    assert stack.state["pids"]["code-server"] != code_server
    wait_for(
        "run monitoring to mark the run failed",
        lambda: stack.run(killed)["status"] == "FAILURE",
        180,
    )
    retries = wait_for(
        "the retry",
        lambda: [r for r in stack.runs() if r["tags"].get("dagster/parent_run_id") == killed],
    )
    assert len(retries) == 1
    retry = retries[0]["runId"]
    wait_for("the retry to succeed", lambda: stack.run(retry)["status"] == "SUCCESS")
    assert in_postgres(stack, retry) == "SUCCESS"

    ended_states = ("SUCCESS", "FAILURE", "CANCELED")
    q1 = "2026-04-01"
    [run] = wait_for(
        "the returns sensor's run for 2026/27 Q1, the dropped file's quarter",
        lambda: stack.sensor_runs("returns_sensor", q1, "returns_job"),
        150,
    )
    wait_for("the sensor's run to end", lambda: stack.run(run["runId"])["status"] in ended_states)
    # the file is read: its lateness reported to its owner (a warning), its figures accepted, and
    # the later quarter's scorecard rebuilt by itself with them as its previous quarter
    late = f"SELECT DISTINCT rule FROM quality_issues WHERE source_file = '{dropped.parent.name}/late_return.csv'"
    assert ("submitted_on_time",) in warehouse_rows(stack.data, late)
    wait_for(
        "2026/27 Q2's scorecard to be rebuilt with the late Q1 as its previous quarter",
        lambda: warehouse_rows(stack.data, previous) == [(94.8,)],
        180,
    )

    # the portal's file was read by a returns-sensor run: the PI's figure comes from it, and
    # no rule finds anything wrong with the PI (its checks are green)
    read = f"SELECT pi_id, value FROM pi_returns WHERE source_file = '{portal_file}'"
    wait_for(
        f"the returns sensor to read {portal_file}",
        lambda: warehouse_rows(stack.data, read) == [(portal_pi, portal_value)],
        150,
    )
    errors = (
        "SELECT rule FROM quality_issues WHERE severity = 'ERROR' "
        f"AND pi_id = '{portal_pi}' AND period = '{ended.key}'"
    )
    assert warehouse_rows(stack.data, errors) == []

    # the folders made early: each sensor's ticks name them and leave them (the UI's tick list)
    for sensor, folder, kind in (
        ("signoff_sensor", running.folder, "quarter"),
        ("returns_sensor", running.folder, "quarter"),
        ("monthly_returns_sensor", this_month.folder, "month"),
    ):
        note = f"{folder}/ left until the {kind} has ended"
        skipped = [t for t in stack.ticks(sensor) if note in (t["skipReason"] or "")]
        assert skipped and all(t["status"] == "SKIPPED" for t in skipped), sensor
    # ... while a decision saved for the ended quarter is read
    (stack.data / "signoff" / ended.folder).mkdir(parents=True, exist_ok=True)
    (stack.data / "signoff" / ended.folder / "boss.csv").write_text(early.read_text())
    wait_for(
        "the sign-off sensor's run for the ended quarter",
        lambda: stack.sensor_runs("signoff_sensor", ended.key, "signoff_job"),
        90,
    )


@pytest.mark.timeout(600)
def test_ctrl_c_stops_every_service_and_a_given_postgres_url_is_used(shared_stack):
    """Last in the module: Ctrl-C on the shared stack, started on a given database URL."""
    running = shared_stack.get()
    state = running.state
    # the given database, its password never written down; no PostgreSQL of the stack's own
    password = shared_stack.pg_url.split("//dagster:", 1)[1].split("@", 1)[0]
    assert state["pg_url"] == shared_stack.pg_url.replace(password, "***")
    assert not (running.root / "postgres").exists()
    out = (running.root / "stack.out").read_text()
    assert "Dagster UI: http://127.0.0.1:" in out
    assert f"Returns portal: {state['portal']}" in out
    assert set(state["pids"]) == {"code-server", "webserver", "daemon", "portal"}
    assert shared_stack.stop() == (0, [])  # exited cleanly, nothing left running
