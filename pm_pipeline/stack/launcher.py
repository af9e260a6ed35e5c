"""A run launcher for the one-machine stack whose run workers the daemon can check.

Dagster's DefaultRunLauncher starts each run as a child of the gRPC code server but cannot
say whether that child is still alive, so a run whose worker died with its code server
(a crash, an out-of-memory kill, `systemctl restart`) would stay STARTED for ever. This one
answers run monitoring's health check from the worker's process id, which the worker itself
records in the run's event log, so the daemon marks the run failed and `run_retries`
launches it again. The failure is reported only once the code server answers again: the
retry is made from the code location, and one attempted while it is down is dropped.
Only valid where the daemon and the workers share one machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus
from dagster._core.storage.tags import GRPC_INFO_TAG
from dagster._grpc.client import DagsterGrpcClient


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The process id the run's worker reported when it started (the newest, after a resume)."""
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
    for record in reversed(records):
        data = record.dagster_event.event_specific_data if record.dagster_event else None
        pid = getattr(data, "metadata", {}).get("pid") if data else None
        if pid is not None:
            return int(pid.value)
    return None


def process_alive(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped (Linux: read from /proc)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def code_server_answers(run: dg.DagsterRun) -> bool:
    """The run's code server is up and serving its code location again."""
    info = json.loads(run.tags.get(GRPC_INFO_TAG, "{}"))
    if not info:
        return True
    client = DagsterGrpcClient(
        port=info.get("port"), socket=info.get("socket"), host=info.get("host", "localhost")
    )
    try:
        client.list_repositories()
    except Exception:
        return False
    return True


class LocalProcessRunLauncher(DefaultRunLauncher):
    """DefaultRunLauncher plus a worker health check by process id (same machine only)."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        pid = worker_pid(self._instance, run.run_id)
        if pid is None:  # started, but the worker has not written its pid yet
            return CheckRunHealthResult(WorkerStatus.RUNNING, "worker starting")
        if process_alive(pid):
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        if not code_server_answers(run):
            return CheckRunHealthResult(
                WorkerStatus.RUNNING, f"worker {pid} gone; waiting for the code server to return"
            )
        return CheckRunHealthResult(
            WorkerStatus.FAILED, f"the run worker (pid {pid}) is no longer running"
        )
