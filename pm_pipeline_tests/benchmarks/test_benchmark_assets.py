"""The benchmarks assets and checks, run through Dagster with a real instance in DAGSTER_HOME."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import quote

import dagster as dg
import duckdb
import pandas as pd
import pytest
from dagster._serdes import serialize_value

from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.benchmarks.cache import cache_path, read_cache
from pm_pipeline.defs.benchmarks.definitions import defs as benchmark_defs
from pm_pipeline.defs.benchmarks.lginform import lginform_resource_from_env
from pm_pipeline.defs.benchmarks.lginform_client import BASE_URL_ENV, KEY_ENV, SECRET_ENV
from pm_pipeline.defs.register.load import load_register
from pm_pipeline.defs.register.store import write_register
from pm_pipeline.defs.scorecard.build import ScorecardInputs, benchmark_positions
from pm_pipeline.sample import catalogue
from pm_pipeline_tests.council import RunInstance
from pm_pipeline_tests.fake_lginform import FakeDataset, FakeLGInform

from .support import KEY, SECRET


def run(
    resources: dict, instance: dg.DagsterInstance | None = None, **kw
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*(benchmark_defs.assets or ()), *(benchmark_defs.asset_checks or ())],
        instance=instance or dg.DagsterInstance.ephemeral(),
        resources={**resources, "lginform": lginform_resource_from_env(backoff_seconds=0.01)},
        raise_on_error=False,
        **kw,
    )


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.path == [asset]]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def checks(result: dg.ExecuteInProcessResult) -> dict[str, tuple[bool, str]]:
    out = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            out[data.check_name] = (data.passed, data.severity.value)
    return out


def warehouse_table(data_dir: Path) -> pd.DataFrame:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute("SELECT * FROM benchmarks").df()


def test_offline_run_uses_the_shipped_cache_and_says_so(data_dir, resources):
    result = run(resources)
    assert result.success
    lg = metadata(result, "lginform_benchmarks")
    assert lg["mode"].startswith("cache only: no credentials")
    assert "8 metrics from the cache" in lg["summary"] and "days ago" in lg["summary"]
    by_metric = {r.data["metric"]: r.data for r in lg["by metric"].records}
    assert by_metric["900004"]["from"] == "cache"
    assert by_metric["900004"]["name"].endswith("(sample values)")
    assert lg["oldest cached copy (days)"] > 0
    table = warehouse_table(data_dir)
    assert len(table) == 8 * 18 * 7 + 5 * 18 * 8
    assert set(table["source"]) == {"lginform", "oflog"}
    assert metadata(result, "oflog_benchmarks")["duplicates dropped"] == 0
    assert checks(result) == {
        "lginform_refreshed": (True, "WARN"),
        "oflog_files_readable": (True, "WARN"),
        "area_codes_are_gss": (True, "ERROR"),
        "one_row_per_source_metric_area_period": (True, "ERROR"),
        "council_and_comparators_present": (True, "WARN"),
    }


def test_the_sample_tells_its_story_in_the_scorecard(data_dir, resources, register):
    assert run(resources).success
    inputs = ScorecardInputs(
        council=register.council,
        indicators=register.indicators,
        targets=register.targets,
        returns=pd.DataFrame(),
        benchmarks=warehouse_table(data_dir),
        comparators=register.comparators,
        restatements=pd.DataFrame(),
    )
    positions = benchmark_positions(inputs, Quarter(2026, 2)).set_index("pi_id")
    assert set(positions.index) == {
        "HB-01",
        "WR-01",
        "WR-02",
        "EN-01",
        "PL-01",
        "PL-02",
        "RV-01",
        "HR-01",
    }
    assert set(positions["benchmark_period"]) == {"2025/26"}
    assert set(positions["benchmark_source"]) == {"lginform"}
    assert positions.loc["PL-01", "quartile"] == 4 and positions.loc["PL-01", "rank"] == 14
    assert positions.loc["WR-01", "quartile"] == 1 and positions.loc["WR-01", "rank"] == 2
    others = positions.drop(index=["PL-01", "WR-01"])
    assert set(others["quartile"]) <= {2, 3}
    assert positions.loc["HR-01", "comparator_count"] == 14  # two comparators not yet published


def test_live_run_with_credentials_never_exposes_the_secret(
    data_dir, resources, fake, monkeypatch, caplog, capfd
):
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv(BASE_URL_ENV, fake.base_url)
    caplog.set_level(logging.DEBUG)  # urllib3 logs each request line at DEBUG
    instance = RunInstance.get()
    result = run(resources, instance)
    assert result.success
    lg = metadata(result, "lginform_benchmarks")
    assert lg["mode"] == "live" and "8 metrics fetched from 127.0.0.1" in lg["summary"]
    assert checks(result)["lginform_refreshed"] == (True, "WARN")
    assert len(fake.requests_to("/data.table")) == 8
    assert (
        read_cache(data_dir / "benchmarks" / "lginform", "900001").base_url_host != "sample.invalid"
    )

    secrets = [SECRET, quote(SECRET, safe=""), KEY]
    out, err = capfd.readouterr()
    logs = caplog.text + out + err
    assert "ApplicationKey=***&Signature=***" in caplog.text  # request lines logged, redacted
    events = "".join(serialize_value(e) for e in instance.all_logs(result.run_id))
    assert "lginform_refreshed" in events and "8 metrics fetched" in events
    files = [p for root in (data_dir, Path(os.environ["DAGSTER_HOME"])) for p in root.rglob("*")]
    stored = b"".join(p.read_bytes() for p in files if p.is_file())
    for secret in secrets:
        assert secret not in logs, "a credential reached the logs"
        assert secret not in str(lg), "a credential reached the asset metadata"
        assert secret not in events, "a credential reached the Dagster event log"
        assert secret.encode() not in stored, "a credential reached a file on disk"


def test_server_down_uses_the_cache_and_the_check_warns(data_dir, resources, monkeypatch):
    with FakeLGInform(FakeDataset({}, {}, [], lambda m, a, p: None)) as gone:
        base_url = gone.base_url
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv(BASE_URL_ENV, base_url)
    result = run(resources)
    assert result.success  # benchmarks and the scorecard still get the last good figures
    lg = metadata(result, "lginform_benchmarks")
    assert lg["mode"] == "live" and "could not connect" in lg["summary"]
    assert "8 metrics from the cache" in lg["summary"]
    assert checks(result)["lginform_refreshed"] == (False, "WARN")
    assert len(warehouse_table(data_dir)) > 0


def test_nothing_available_at_all_fails_with_the_reason(data_dir, resources):
    for path in (data_dir / "benchmarks" / "lginform").iterdir():
        path.unlink()
    result = run(resources)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "No LG Inform benchmarks are available" in str(failure.event_specific_data.error)
    assert "no credentials" in str(failure.event_specific_data.error)


def test_a_missing_metric_and_a_bad_oflog_file_are_reported_not_fatal(data_dir, resources):
    cache_path(data_dir / "benchmarks" / "lginform", "900007").unlink()
    bad = data_dir / "benchmarks" / "oflog" / "oflog_FN1_sample.csv"
    bad.write_text(bad.read_text().replace("E07000171", "E7000171", 1))
    result = run(resources)
    assert result.success
    assert "900007 (no credentials" in metadata(result, "lginform_benchmarks")["summary"]
    assert metadata(result, "oflog_benchmarks")["files refused"] == "oflog_FN1_sample.csv"
    found = checks(result)
    assert found["lginform_refreshed"] == (False, "WARN")
    assert found["oflog_files_readable"] == (False, "WARN")
    assert found["council_and_comparators_present"] == (False, "WARN")
    evaluation = next(
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.check_name == "council_and_comparators_present"
    )
    coverage = {
        (r.data["source"], r.data["metric"]): r.data
        for r in evaluation.metadata["coverage"].value.records
    }
    assert coverage[("lginform", "900007")]["PIs"] == "HR-01"
    assert "no figures at all" in str(coverage[("lginform", "900007")].values())
    assert coverage[("oflog", "FN1")]["PIs"] == "RV-01"


@pytest.mark.parametrize(("present", "passes"), [(8, True), (7, False)])
def test_at_least_half_the_comparators_must_have_a_value(data_dir, resources, present, passes):
    """15 comparators in the register, only `present` of them in the benchmarks."""
    published = [c for c in catalogue.COMPARATORS if c[0] not in ("E07000033", "E07000137")]
    unknown = [(f"E07000{201 + n}", f"Area {n}") for n in range(15 - present)]
    rows = [*published[:present], *unknown]
    (data_dir / "config" / "comparators.csv").write_text(
        "area_code,area_name\n" + "".join(f"{code},{name}\n" for code, name in rows)
    )
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as conn:
        write_register(conn, load_register(data_dir / "config"))
    assert checks(run(resources))["council_and_comparators_present"] == (passes, "WARN")
