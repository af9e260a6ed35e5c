"""Every file under deploy/ is checked here, by the tool that would reject it, or by reading it.

No Docker engine or Kubernetes cluster is available to the tests: the compose file, the
Dockerfile and the Helm values are parsed and checked for what a council relies on (one data
volume every run mounts, PostgreSQL, the UI on loopback only, the gRPC code location, no
Docker socket, the code server on an internal network), and the instance files are validated
against Dagster's own schema.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config_schema

from pm_pipeline.stack.services import instance_template

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
SERVICES = sorted((DEPLOY / "systemd").glob("*.service"))


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def instance_errors(config: dict) -> list[str]:
    result = process_config(dagster_instance_config_schema(), config)
    return [] if result.success else [e.message for e in result.errors]


def test_systemd_units_pass_systemd_analyze_verify(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    env = tmp_path / "pm-pipeline.env"
    env.write_text((DEPLOY / "systemd" / "pm-pipeline.env.example").read_text())
    env.chmod(0o600)
    assert [s.stem for s in SERVICES] == [
        "pm-pipeline-code-server",
        "pm-pipeline-daemon",
        "pm-pipeline-portal",
        "pm-pipeline-webserver",
    ]
    for unit in SERVICES:
        text = unit.read_text()
        assert (
            "Restart=always" in text and "EnvironmentFile=/etc/pm-pipeline/pm-pipeline.env" in text
        )
        assert "-h 0.0.0.0" not in text  # the UI and the code server stay on loopback
        # as installed, but pointing at this checkout's virtualenv so ExecStart= exists
        local = text.replace(
            "/opt/pm_pipeline/.venv/bin",
            str(Path(shutil.which("dagster") or REPO / ".venv/bin/dagster").parent),
        ).replace("/etc/pm-pipeline/pm-pipeline.env", str(env))
        (tmp_path / unit.name).write_text(local)
    verify = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *[str(tmp_path / u.name) for u in SERVICES]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verify.returncode == 0 and not verify.stderr.strip(), verify.stderr
    assert "0600" in (DEPLOY / "systemd" / "pm-pipeline.env.example").read_text()
    workspace = load(DEPLOY / "systemd" / "workspace.yaml")["load_from"][0]["grpc_server"]
    assert (
        f"-p {workspace['port']}"
        in (DEPLOY / "systemd" / "pm-pipeline-code-server.service").read_text()
    )


def test_systemd_units_close_what_the_services_write_to_other_accounts():
    """UMask=0027: the warehouse, exports, backups and run logs the services write are 0640 in
    0750 folders (issue 26, problem 11)."""
    for unit in SERVICES:
        service = unit.read_text().split("[Service]", 1)[1].split("[Install]", 1)[0]
        assert re.search(r"^UMask=0027$", service, re.M), unit.name


def test_systemd_instance_is_the_one_make_stack_runs_and_dagster_accepts_it(monkeypatch):
    monkeypatch.setenv("DAGSTER_PG_URL", "postgresql+psycopg2://dagster@127.0.0.1:5432/dagster")
    text = (DEPLOY / "systemd" / "dagster.yaml").read_text()
    assert text == instance_template()  # the one the stack ships in the package
    assert text.startswith((REPO / "dagster.yaml").read_text())
    assert instance_errors(yaml.safe_load(text)) == []


def test_compose_runs_the_three_services_on_postgres_with_one_data_volume(monkeypatch):
    monkeypatch.setenv("DAGSTER_PG_URL", "postgresql+psycopg2://dagster@postgres:5432/dagster")
    compose = load(DEPLOY / "docker" / "compose.yaml")
    services = compose["services"]
    assert set(services) == {"postgres", "code-server", "webserver", "daemon", "portal"}
    # loopback only: the proxy fronts them
    assert services["webserver"]["ports"] == ["127.0.0.1:3000:3000"]
    assert services["portal"]["ports"] == ["127.0.0.1:3001:3001"]
    published = ("webserver", "portal")
    assert all("ports" not in s for n, s in services.items() if n not in published)
    for name in ("code-server", "webserver", "daemon"):
        env = services[name]["environment"]
        assert env["DAGSTER_PG_URL"].startswith("postgresql+psycopg2://dagster:${POSTGRES_PASSWORD")
        assert "@postgres:5432/dagster" in env["DAGSTER_PG_URL"]
        assert services[name]["restart"] == "always"
    assert compose["volumes"]["pm_pipeline_data"]["name"] == "pm_pipeline_data"

    # runs are processes of the code server (Dagster's default launcher), in its container,
    # which alone of Dagster's services mounts the data volume: every run sees the same
    # warehouse; the portal mounts it to write the returns and sign-off files the runs read
    instance = load(DEPLOY / "docker" / "dagster.yaml")
    assert instance_errors(instance) == []
    assert "run_launcher" not in instance
    mounts = {name: s.get("volumes", []) for name, s in services.items()}
    assert [n for n, m in mounts.items() if "pm_pipeline_data:/data" in m] == [
        "code-server",
        "portal",
    ]
    portal = services["portal"]
    assert portal["command"] == ["python", "-m", "pm_pipeline.portal"]
    assert portal["environment"]["PM_DATA_DIR"] == "/data" and portal["restart"] == "always"
    # it trusts no proxy unless the operator names one; it never sees PostgreSQL
    assert default(portal["environment"]["PM_PORTAL_TRUSTED_PROXIES"]) == ""
    assert portal["networks"] == ["frontend"] and "DAGSTER_PG_URL" not in portal["environment"]
    repo_instance = load(REPO / "dagster.yaml")
    for key in ("concurrency", "run_monitoring", "run_retries"):
        assert instance[key] == repo_instance[key], key  # the same pool, monitoring and retries

    workspace = load(DEPLOY / "docker" / "workspace.yaml")["load_from"][0]["grpc_server"]
    assert workspace["host"] in services
    dockerfile = (DEPLOY / "docker" / "Dockerfile").read_text()
    assert (
        f'"-p", "{workspace["port"]}"' in dockerfile and '"pm_pipeline.definitions"' in dockerfile
    )
    for line in re.findall(r"^COPY (.+)$", dockerfile, re.M):
        for source in line.split()[:-1]:
            assert (REPO / source).exists(), (
                f"Dockerfile copies {source}, which is not in the repository"
            )
    assert "'.[docker]'" in dockerfile and "docker" in load_pyproject()["optional-dependencies"]
    # the PDFs are printed by Chromium, a system package the image must carry
    assert re.search(r"apt-get install[^\n]*\bchromium\b", dockerfile)


def test_compose_has_no_docker_socket_and_the_code_server_only_on_an_internal_network():
    """No container is root on the host through the Docker socket, and the gRPC code server
    (which runs any job for whoever reaches it) listens only on an internal network
    (issue 26, problem 11)."""
    compose = load(DEPLOY / "docker" / "compose.yaml")
    services, networks = compose["services"], compose["networks"]
    assert "docker.sock" not in (DEPLOY / "docker" / "compose.yaml").read_text()
    assert all(s.get("user") not in ("root", "0") for s in services.values())
    assert all(not s.get("privileged") for s in services.values())

    code = services["code-server"]
    host = code["command"][code["command"].index("-h") + 1]
    listening = [n for n, c in code["networks"].items() if c and c.get("ipv4_address") == host]
    assert host != "0.0.0.0" and listening == ["backend"]
    assert networks["backend"]["internal"] is True
    subnet = networks["backend"]["ipam"]["config"][0]["subnet"]
    assert default(host).startswith(default(subnet).rsplit(".", 1)[0] + ".")
    # PostgreSQL and the daemon have no way out and nothing published
    for name in ("postgres", "daemon"):
        assert services[name]["networks"] == ["backend"] and "ports" not in services[name]
    workspace = load(DEPLOY / "docker" / "workspace.yaml")["load_from"][0]["grpc_server"]
    shared = set(services["webserver"]["networks"]) & set(code["networks"])
    assert workspace["host"] == "code-server" and shared == {"backend"}


def default(value: str) -> str:
    """A compose value's default: `${NAME:-default}` -> `default`."""
    found = re.fullmatch(r"\$\{\w+:-([^}]*)\}", value)
    return found.group(1) if found else value


def load_pyproject() -> dict:
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def test_helm_values_run_the_code_location_with_k8s_run_launcher_and_the_shared_volume():
    values = load(DEPLOY / "helm" / "values.yaml")
    deployment = values["dagster-user-deployments"]["deployments"][0]
    assert values["dagster-user-deployments"]["enabled"] is True
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "pm_pipeline.definitions"]
    assert {"repository", "tag", "pullPolicy"} <= set(deployment["image"])
    launcher = values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    runs = launcher["config"]["k8sRunLauncher"]
    assert (
        runs["volumes"] == deployment["volumes"]
        and runs["volumeMounts"] == deployment["volumeMounts"]
    )
    assert (
        runs["volumeMounts"][0]["mountPath"] == "/data" and "PM_DATA_DIR=/data" in runs["envVars"]
    )
    assert runs["envSecrets"] == deployment["envSecrets"]
    assert (
        values["dagsterWebserver"]["service"]["type"] == "ClusterIP"
    )  # never a public LoadBalancer
    assert values["postgresql"]["enabled"] is False and values["postgresql"]["postgresqlHost"]
    daemon = values["dagsterDaemon"]
    assert (
        daemon["runRetries"]["maxRetries"]
        == load(REPO / "dagster.yaml")["run_retries"]["max_retries"]
    )
    assert values["concurrency"]["pools"]["defaultLimit"] == 1


def test_helm_portal_runs_on_the_shared_volume_behind_a_cluster_ip_service():
    values = load(DEPLOY / "helm" / "values.yaml")
    deployment = values["dagster-user-deployments"]["deployments"][0]
    portal, service = yaml.safe_load_all((DEPLOY / "helm" / "portal.yaml").read_text())
    pod = portal["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["command"] == ["python", "-m", "pm_pipeline.portal"]
    image = f"{deployment['image']['repository']}:{deployment['image']['tag']}"
    assert container["image"] == image  # the code location's own image
    assert pod["volumes"] == deployment["volumes"]
    assert container["volumeMounts"] == deployment["volumeMounts"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["PM_DATA_DIR"] == "/data" and env["PM_PORTAL_TRUSTED_PROXIES"] == ""
    assert container["envFrom"] == [{"secretRef": s} for s in deployment["envSecrets"]]
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"][0]["targetPort"] == int(env["PM_PORTAL_PORT"])


def test_nginx_example_passes_nginx_t_and_puts_every_ui_request_behind_sign_in(tmp_path):
    if not (shutil.which("nginx") and shutil.which("openssl")):
        pytest.skip("nginx or openssl is not installed (Debian packages nginx-light, openssl)")
    site = (DEPLOY / "nginx" / "pm-pipeline.conf").read_text()
    ui = site.split("location / {", 1)[1]
    assert "auth_request /oauth2/auth;" in ui and "proxy_pass http://pm_pipeline_dagster;" in ui
    assert site.count("proxy_pass http://pm_pipeline_dagster") == 1  # no unauthenticated path
    assert "server 127.0.0.1:3000;" in site
    # the portal: behind the same sign-in, told the user by nginx, never by the browser
    portal = site.split("server_name returns.example-council.gov.uk;", 1)[1]
    portal_ui = portal.split("location / {", 1)[1]
    assert "auth_request /oauth2/auth;" in portal_ui
    assert "proxy_pass http://pm_pipeline_portal;" in portal_ui
    assert "proxy_set_header X-Forwarded-Email $pm_portal_user;" in portal_ui
    assert site.count("proxy_pass http://pm_pipeline_portal") == 1
    assert "server 127.0.0.1:3001;" in site
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    site = re.sub(r"ssl_certificate +\S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key +\S+;", f"ssl_certificate_key {key};", site)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path};\n"
        f"  include {tmp_path}/site.conf;\n}}\n"
    )
    check = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0 and "test is successful" in check.stderr, check.stderr
