"""The stack's own PostgreSQL lets in only who holds its password (issue 26, problem 9).

`dagster` is a superuser (it could run programs as the server's user with `COPY ... TO
PROGRAM`), so neither another account on the machine nor a connection without the password
may log in, over TCP or over the socket. The session's server is the one `make stack` starts.
"""

import os
import shutil
import stat
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest

from pm_pipeline.stack.services import LocalPostgres, free_port
from pm_pipeline_tests.conftest import libpq_url

pytestmark = pytest.mark.slow  # PostgreSQL is started


def logs_in(**login: object) -> bool:
    try:
        conn = psycopg2.connect(dbname="dagster", user="dagster", **login)
        with closing(conn), conn.cursor() as cur:
            cur.execute("SELECT 1")
        return True
    except psycopg2.OperationalError:
        return False


@pytest.mark.timeout(120)
def test_only_the_password_logs_in_over_tcp_or_the_socket(postgres_server, monkeypatch, tmp_path):
    server = postgres_server
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))  # no ~/.pgpass to fall back on
    assert logs_in(dsn=libpq_url(server.url()))  # the URL the stack gives its services
    for host in ("127.0.0.1", str(server.root)):  # TCP, then the Unix socket
        assert logs_in(host=host, port=server.port, password=server.password)
        assert not logs_in(host=host, port=server.port)
        assert not logs_in(host=host, port=server.port, password="dagster")
    assert stat.S_IMODE(server.root.stat().st_mode) == 0o700  # where the socket is
    assert stat.S_IMODE(server.password_file.stat().st_mode) == 0o600


@pytest.mark.timeout(120)
def test_another_local_account_cannot_log_in(postgres_server):
    psql = postgres_server.bindir / "psql"
    if os.geteuid() != 0 or not psql.exists():
        pytest.skip("needs root (to act as another account) and psql")
    server = postgres_server
    for host in ("127.0.0.1", str(server.root)):
        login = f"host={host} port={server.port} user=dagster dbname=dagster"
        tried = subprocess.run(
            ["runuser", "-u", "nobody", "--", str(psql), "-w", "-c", "SELECT 1", login],
            capture_output=True,
            text=True,
            env={"PATH": os.environ["PATH"]},  # nobody's home has no .pgpass
            timeout=30,
        )
        assert tried.returncode != 0, f"nobody logged in as dagster through {host}"
        refused = ("no password supplied", "password authentication failed", "Permission denied")
        assert any(reason in tried.stderr for reason in refused), tried.stderr


@pytest.mark.timeout(180)
def test_a_server_made_before_passwords_gets_one_at_its_next_start():
    """A `.stack/postgres` initialised by an older stack (every login trusted) is given a
    password and closed to logins without it when the stack next starts it."""
    root = Path(tempfile.mkdtemp(prefix="pm-pipeline-pg-"))  # reachable by the postgres user
    old = LocalPostgres(root, free_port())
    try:
        root.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        made = old._run("initdb", "-D", str(old.data), "-U", "dagster", "--auth=trust")
        assert made.returncode == 0, made.stderr
        assert not old.password_file.exists()

        server = LocalPostgres(root, old.port).start()
        try:
            assert logs_in(host="127.0.0.1", port=server.port, password=server.password)
            assert not logs_in(host="127.0.0.1", port=server.port, password="")
            assert stat.S_IMODE(root.stat().st_mode) == 0o700
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
