"""Readers never fail a write: an analyst's open connection is waited for and then named, and
BI tools read a copy that is swapped in whole after every write."""

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pm_pipeline.core.warehouse import Warehouse, WarehouseBusy

HOLD = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_open(path: Path, seconds: float) -> subprocess.Popen:
    """An analyst's notebook: another process with the warehouse open read-only."""
    analyst = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert analyst.stdout.readline().strip() == "holding"
    return analyst


def make_warehouse(data_dir: Path, wait: float) -> Warehouse:
    warehouse = Warehouse(database=str(data_dir / "warehouse.duckdb"), lock_wait_seconds=wait)
    with warehouse.write() as conn:
        conn.execute("CREATE TABLE t AS SELECT 1 AS x")
    return warehouse


def test_a_write_waits_for_an_analysts_connection_to_close(data_dir):
    warehouse = make_warehouse(data_dir, wait=30)
    analyst = hold_open(warehouse.path, 2)
    try:
        started = time.monotonic()
        with warehouse.write() as conn:
            conn.execute("INSERT INTO t VALUES (2)")
        assert time.monotonic() - started >= 1  # it waited, then wrote
    finally:
        analyst.wait(timeout=30)
    with warehouse.read() as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (2,)


def test_a_lock_held_too_long_names_the_process_that_holds_it(data_dir):
    warehouse = make_warehouse(data_dir, wait=1)
    analyst = hold_open(warehouse.path, 30)
    try:
        with pytest.raises(WarehouseBusy) as caught, warehouse.write():
            pass
    finally:
        analyst.kill()
        analyst.wait()
    message = str(caught.value)
    assert f"process {analyst.pid}" in message and "warehouse_readonly.duckdb" in message


def test_readers_copy_is_refreshed_after_every_write_and_never_blocks_it(data_dir):
    warehouse = make_warehouse(data_dir, wait=30)
    analyst = hold_open(warehouse.reader_copy, 30)  # Power BI on the copy, all day
    try:
        with warehouse.write() as conn:
            conn.execute("INSERT INTO t VALUES (2)")
    finally:
        analyst.kill()
        analyst.wait()
    with duckdb.connect(str(warehouse.reader_copy), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (2,)


def test_dagster_duckdbs_own_connection_is_closed_so_writes_go_through_write(tmp_path):
    """get_connection() would skip the lock wait and the readers' copy; write() makes the copy."""
    warehouse = Warehouse(database=str(tmp_path / "warehouse.duckdb"))
    with pytest.raises(TypeError, match=r"warehouse\.write"):
        warehouse.get_connection()
    with warehouse.write() as conn:
        conn.execute("CREATE TABLE t AS SELECT 1 AS x")
    with duckdb.connect(str(warehouse.reader_copy), read_only=True) as copy:
        assert copy.execute("SELECT x FROM t").fetchall() == [(1,)]
