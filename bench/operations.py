"""Backup, restore and BI export on the sample council's demo warehouse: prints the figures.

    python bench/operations.py

Copies data/ to a temporary directory, runs `python -m pm_pipeline.sample.demo` there (the whole
cycle), then times the warehouse_backup job, a restore and the exports, and prints sizes.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="pm-bench-ops-"))
    try:
        data, home = root / "data", root / "home"
        shutil.copytree(REPO / "data", data)
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        os.environ.update(PM_DATA_DIR=str(data), DAGSTER_HOME=str(home))
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pm_pipeline.sample.demo"], check=True, capture_output=True
        )
        print(f"demo (to build the warehouse): {time.perf_counter() - started:.1f} s")

        import dagster as dg
        import duckdb

        from pm_pipeline.definitions import build_defs
        from pm_pipeline.defs.operations import backup
        from pm_pipeline.defs.operations.exports import export_warehouse

        defs = build_defs(data)
        started = time.perf_counter()
        result = defs.resolve_job_def("warehouse_backup").execute_in_process(
            instance=dg.DagsterInstance.get(), raise_on_error=True
        )
        took = time.perf_counter() - started
        target = Path(result.output_for_node("backup_warehouse"))
        print(f"warehouse: {size(data / 'warehouse.duckdb') / 1e6:.1f} MB")
        print(f"warehouse_backup job: {took:.1f} s, backup {size(target) / 1e6:.2f} MB")
        started = time.perf_counter()
        backup.restore(data, target.name)
        print(f"restore: {time.perf_counter() - started:.1f} s")
        with duckdb.connect(str(data / "warehouse.duckdb")) as conn:
            started = time.perf_counter()
            counts = export_warehouse(conn, data / "exports")
        print(
            f"exports: {len(counts)} tables, {sum(counts.values()):,} rows, "
            f"{size(data / 'exports') / 1e6:.2f} MB in {time.perf_counter() - started:.1f} s"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
