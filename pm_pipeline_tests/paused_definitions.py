"""The product's definitions with a pause inside the pooled write of `pi_returns`, for the
crash test under a real daemon (a run worker is a process the test cannot patch otherwise).

When $PM_TEST_PAUSE_MARKER names a file that does not exist yet, the first run to insert
`pi_returns` rows writes its process id there and sleeps inside the transaction, holding the
`warehouse` pool slot, until the test kills it. Later runs (the retry) do not pause.
"""

import os
import time
from pathlib import Path

import duckdb
import pandas as pd

from pm_pipeline.core import warehouse
from pm_pipeline.core.warehouse import Table
from pm_pipeline.definitions import defs

_insert = warehouse._insert


def _insert_then_pause(conn: duckdb.DuckDBPyConnection, table: Table, frame: pd.DataFrame) -> None:
    _insert(conn, table, frame)
    marker = os.environ.get("PM_TEST_PAUSE_MARKER")
    if table.name == "pi_returns" and marker and not Path(marker).exists():
        Path(marker).write_text(str(os.getpid()))
        time.sleep(600)


warehouse._insert = _insert_then_pause
__all__ = ["defs"]
