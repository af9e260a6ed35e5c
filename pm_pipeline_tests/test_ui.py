"""The Dagster UI as the data team's monitoring tool: served on loopback, queried, and looked at."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pm_pipeline.defs.quality.rules import RETURN_RULES
from pm_pipeline.defs.register.rules import REGISTER_RULES
from pm_pipeline_tests.browser import chrome, require_browser
from pm_pipeline_tests.council import Council, pi

pytestmark = pytest.mark.slow  # dagster-webserver, then Chromium
REPO = Path(__file__).resolve().parent.parent
QUERY = """{
  assetNodes { assetKey { path } groupName description owners { ... on TeamAssetOwner { team } }
    assetChecksOrError { ... on AssetChecks { checks { name description blocking } } } }
  repositoriesOrError { ... on RepositoryConnection { nodes {
    schedules { name scheduleState { status } } sensors { name sensorState { status } } } } }
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    """dagster-webserver on a loopback port, over a small council's data directory."""
    root = tmp_path_factory.mktemp("ui")
    data, home = root / "data", root / "home"
    Council(data, indicators=[pi("KPI-1", "Recycling rate")]).write()
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = free_port()
    env = {**os.environ, "PM_DATA_DIR": str(data), "DAGSTER_HOME": str(home)}
    log = root / "webserver.log"  # a file: a pipe nobody reads fills up and blocks the server
    with log.open("wb") as stderr:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "dagster-webserver"),
                "-w",
                str(REPO / "workspace.yaml"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/server_info", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(
                "dagster-webserver did not start: " + log.read_text(errors="replace")[-4000:]
            )
        yield url, data
    finally:
        server.terminate()
        server.wait(timeout=30)


def graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


def test_graphql_shows_the_asset_graph_checks_and_running_schedules(webserver):
    url, _ = webserver
    data = graphql(url, QUERY)
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    groups = {key: n["groupName"] for key, n in nodes.items()}
    assert groups["indicator_register"] == "register" and groups["pi_returns"] == "intake"
    assert groups["quality_issues"] == "quality"
    assert groups["kpi_scorecard"] == "scorecards"
    assert groups["quarterly_performance_report"] == "reports"
    assert {"benchmarks", "lginform_benchmarks", "oflog_benchmarks"} <= set(nodes)
    assert all(
        groups[k] == "benchmarks" for k in ("benchmarks", "lginform_benchmarks", "oflog_benchmarks")
    )
    assert all(n["description"] for n in nodes.values()), [
        k for k, n in nodes.items() if not n["description"]
    ]
    checks = {c["name"]: c for c in nodes["pi_returns"]["assetChecksOrError"]["checks"]}
    assert set(checks) == {r.name for r in RETURN_RULES}
    assert checks["value_in_range"]["blocking"] and not checks["movement_usual"]["blocking"]
    assert all(c["description"] for c in checks.values())
    register_checks = nodes["indicator_register"]["assetChecksOrError"]["checks"]
    assert {c["name"] for c in register_checks} == {r.name for r in REGISTER_RULES}
    assert {"team": "performance"} in nodes["kpi_scorecard"]["owners"]
    (repo,) = data["repositoriesOrError"]["nodes"]
    states = {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]}
    assert states["quarterly_schedule"] == states["reminder_schedule"] == "RUNNING"
    sensors = {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]}
    assert sensors["returns_sensor"] == sensors["failure_alert_sensor"] == "RUNNING"


def test_the_asset_graph_renders_in_a_real_browser(webserver):
    require_browser()
    url, data = webserver
    with chrome(1600, 1000) as browser:
        browser.goto(f"{url}/asset-groups")
        # the first visit's tour: its Skip button, once it can be clicked
        browser.get_by_role("button", name="Skip", exact=True).click(timeout=60_000)
        browser.get_by_text("scorecards").first.wait_for(state="attached", timeout=60_000)
        time.sleep(2)  # let the graph settle after layout
        shot = data / "reports" / "ui" / "asset_graph.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        browser.screenshot(path=shot)
        page = browser.content()
    assert shot.stat().st_size > 20_000
    for group in ("register", "intake", "quality", "benchmarks", "scorecards", "reports"):
        assert group in page
