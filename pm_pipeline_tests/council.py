"""A small hand-made council written by the tests themselves (no shipped sample data)."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import yaml

from pm_pipeline.core.periods import Month, Quarter
from pm_pipeline.defs.intake.columns import RETURN_COLUMNS
from pm_pipeline.defs.register.model import INDICATOR_COLUMNS
from pm_pipeline.render.pdf import PdfPrinter
from pm_pipeline_tests.pdf_printer import PlainPdfPrinter

INDICATOR_HEADER = [c for c in INDICATOR_COLUMNS if c != "stable_band"]  # optional: left out
RETURN_HEADER = list(RETURN_COLUMNS)


def pi(
    pi_id: str,
    title: str,
    type_: str = "kpi",
    unit: str = "percent",
    polarity: str = "higher_is_better",
    frequency: str = "quarterly",
    theme: str = "People",
    owner: str = "owner@test.example",
    decimals: int = 1,
    valid_min: str = "",
    valid_max: str = "",
    lginform: str = "",
    oflog: str = "",
    measure: str = "",
    rolling: str = "",
    statistic: str = "",
    statistic_use: str = "",
    scorecard_section: str = "",
) -> dict:
    """A register row; a count or money PI is a flow unless the test says otherwise (the
    register requires a measure for those units)."""
    return {
        "pi_id": pi_id,
        "title": title,
        "description": f"{title} (test)",
        "type": type_,
        "theme": theme,
        "service": "Test service",
        "owner": owner,
        "manager": "manager@test.example",
        "unit": unit,
        "polarity": polarity,
        "frequency": frequency,
        "decimals": decimals,
        "valid_min": valid_min,
        "valid_max": valid_max,
        "lginform_metric": lginform,
        "oflog_metric": oflog,
        "measure": measure or ("flow" if unit in ("count", "gbp") else ""),
        "rolling": rolling,
        "statistic": statistic,
        "statistic_use": statistic_use,
        "scorecard_section": scorecard_section,
    }


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    encoding: str = "utf-8",
    newline: str = "\n",
) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@dataclass
class Council:
    """Writes council.yaml, indicators.csv, targets.csv and comparators.csv into a data dir."""

    root: Path
    indicators: list[dict] = field(default_factory=list)
    targets: list[tuple[str, str, object, object]] = field(default_factory=list)
    comparators: list[tuple[str, str]] = field(
        default_factory=lambda: [
            ("E07000170", "Ashfield"),
            ("E07000171", "Bassetlaw"),
            ("E07000172", "Broxtowe"),
        ]
    )
    name: str = "Testshire District Council"
    themes: tuple[str, ...] = ("People", "Place")
    settings: dict = field(default_factory=dict)  # more council.yaml keys (e.g. finance)

    def write(self) -> Council:
        config = self.root / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "council.yaml").write_text(
            yaml.safe_dump(
                {
                    "name": self.name,
                    "area_code": "E07000999",
                    "region_code": "E12000004",
                    "themes": list(self.themes),
                    "amber_tolerance_pct": 5,
                    "stable_band_pct": 5,
                    "comparator_group": "Test neighbours",
                    **self.settings,
                }
            )
        )
        write_csv(
            config / "indicators.csv",
            INDICATOR_HEADER,
            [[row.get(c, "") for c in INDICATOR_HEADER] for row in self.indicators],
        )
        write_csv(
            config / "targets.csv",
            ["pi_id", "financial_year", "target", "amber_threshold"],
            self.targets,
        )
        write_csv(config / "comparators.csv", ["area_code", "area_name"], self.comparators)
        return self

    def services(self, rows: Iterable[Sequence[object]]) -> Path:
        """config/services.csv: service, directorate, head_of_service, cost_centres."""
        return write_csv(
            self.root / "config" / "services.csv",
            ["service", "directorate", "head_of_service", "cost_centres"],
            rows,
        )

    def finance(
        self, month: Month, name: str, rows: Iterable[Sequence[object]], header: Sequence[str]
    ) -> Path:
        """A budget-monitoring export in finance/<YYYY-MM>/."""
        return write_csv(self.root / "finance" / month.folder / name, header, rows)

    def returns(
        self,
        quarter: Quarter,
        name: str,
        rows: Iterable[Sequence[object]],
        header: Sequence[str] = RETURN_HEADER,
    ) -> Path:
        return write_csv(self.root / "returns" / quarter.folder / name, header, rows)


def good_row(
    pi_id: str,
    quarter: Quarter,
    value: object,
    note: str = "Steady performance.",
    **overrides: object,
) -> list[object]:
    """A return row that passes every rule (submitted inside the data-entry window)."""
    start, _ = quarter.entry_window
    row = {
        "pi_id": pi_id,
        "period": quarter.label,
        "value": value,
        "numerator": "",
        "denominator": "",
        "status": "final",
        "note": note,
        "submitted_by": "owner@test.example",
        "submitted_at": f"{start:%d/%m/%Y} 10:00",
    }
    row.update(overrides)
    return [row[c] for c in RETURN_HEADER]


class RunInstance:
    """The instance a test's in-process runs share when it passes none: an in-memory one
    (`DagsterInstance.ephemeral()`), made at first use and dropped with the test. A run on it
    costs about 40% less CPU than on the on-disk SQLite instance (Dagster reconnects and
    recompiles its SQL for every event there; docs/performance.md, "The test suite"), and
    most tests look only at the warehouse, the files and the run's own events. A test whose
    runs must be seen elsewhere (a sensor, a schedule, the daemon, a subprocess, or
    `DagsterInstance.get()`) passes `instance=dg.DagsterInstance.get()`; a test that starts from
    a `built_state` (whose runs are on disk) gets the on-disk instance (conftest.py)."""

    current: dg.DagsterInstance | None = None
    on_disk = False

    @classmethod
    def get(cls) -> dg.DagsterInstance:
        if cls.on_disk:
            return dg.DagsterInstance.get()
        if cls.current is None:
            cls.current = dg.DagsterInstance.ephemeral()
        return cls.current

    @classmethod
    def reset(cls) -> None:
        if cls.current is not None:
            cls.current.dispose()
        cls.current, cls.on_disk = None, False


def run_job(
    data_dir: Path,
    job: str,
    partition_key: str | None = None,
    instance: dg.DagsterInstance | None = None,
    printer: PdfPrinter | None = None,
    **kwargs: object,
) -> dg.ExecuteInProcessResult:
    """`job` over the test's data directory, on the test's `RunInstance` unless it passes one.
    PDFs come from the browser-free PlainPdfPrinter unless a test that looks at them passes
    `printer=PdfPrinter()`."""
    from pm_pipeline.definitions import build_defs

    defs = build_defs(data_dir, pdf_printer=printer or PlainPdfPrinter())
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance or RunInstance.get(),
        partition_key=partition_key,
        raise_on_error=False,
        **kwargs,
    )


def check_results(result: dg.ExecuteInProcessResult, asset: str | None = None) -> dict[str, bool]:
    """Check name -> passed, from a run's events (only `asset`'s checks, if given)."""
    out = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if asset is None or evaluation.asset_key == dg.AssetKey(asset):
                out[evaluation.check_name] = evaluation.passed
    return out


def query(data_dir: Path, sql: str, *params: object, file: str = "warehouse.duckdb") -> list[tuple]:
    """Rows from the test's warehouse, opened read-only as another tool would. While runs are
    writing (a daemon test), read `warehouse_readonly.duckdb`, as docs/data.md tells analysts."""
    import duckdb

    with duckdb.connect(str(data_dir / file), read_only=True) as conn:
        return conn.execute(sql, list(params)).fetchall()


def snapshot(data_dir: Path, tables: Iterable[str]) -> dict[str, list[tuple]]:
    """Every row of each table, in a fixed order: for comparing one run with another."""
    return {t: query(data_dir, f"SELECT * FROM {t} ORDER BY ALL") for t in tables}


def range_run(
    data_dir: Path, first: str, last: str, instance: dg.DagsterInstance | None = None
) -> dg.ExecuteInProcessResult:
    """The register, then returns, checks and scorecards for quarters `first` to `last` in
    one run (as `make backfill` does)."""
    from pm_pipeline.core.periods import range_tags
    from pm_pipeline.definitions import build_defs

    instance = instance or RunInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    return (
        build_defs(data_dir)
        .resolve_job_def("quarter_history_job")
        .execute_in_process(instance=instance, tags=range_tags(first, last), raise_on_error=False)
    )


def wait_for(what: str, found: Callable[[], object], timeout: float = 300) -> object:
    """Poll `found` once a second until it is truthy (returned), or fail naming `what`. How long
    it waited is printed (pytest shows it with a failure, or with -s), so a slow test says where
    its time goes."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            print(f"waited {time.monotonic() - started:5.1f} s for {what}")
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def kpi_and_service(root: Path) -> Council:
    """The smallest council most tests need: a KPI with a target and a lower-is-better service
    PI without one, written into `root`."""
    return Council(
        root,
        indicators=[
            pi("KPI-1", "Recycling rate"),
            pi("SVC-1", "Days", type_="service", unit="days", polarity="lower_is_better"),
        ],
        targets=[("KPI-1", "2025/26", 50, "")],
    ).write()


def quick_monitoring(instance_yaml: str) -> str:
    """The product's instance settings, with run monitoring looking every 5 s instead of 30 s
    (and freeing a dead run's pool slots 5 s after it ended) and the run queue looked at every
    second instead of every 5, so a test does not wait out production intervals to see the
    same recovery."""
    quick = instance_yaml
    for setting in ("poll_interval_seconds", "free_slots_after_run_end_seconds"):
        assert f"  {setting}: 30\n" in quick, f"dagster.yaml no longer sets {setting}: 30"
        quick = quick.replace(f"  {setting}: 30\n", f"  {setting}: 5\n")
    assert "run_queue:" not in quick, "dagster.yaml now configures run_queue itself"
    return quick + "\nrun_queue:\n  dequeue_interval_seconds: 1\n"
