"""Refreshing comparators.csv from LG Inform's CIPFA nearest-neighbours group, on loopback."""

from __future__ import annotations

from datetime import date

import pytest

from pm_pipeline.defs.benchmarks.comparators import group_name, main
from pm_pipeline.defs.benchmarks.lginform_answers import PeriodInfo
from pm_pipeline.defs.benchmarks.lginform_client import BASE_URL_ENV, KEY_ENV, SECRET_ENV
from pm_pipeline.defs.register.load import load_register
from pm_pipeline_tests.fake_lginform import FakeDataset, FakeLGInform, http_error

from .support import KEY, SECRET

GROUP = "Sample_CIPFA_Near_Neighbours"
NEIGHBOURS = {
    "E07000999": "Sample District",
    **{f"E07000{n}": f"Neighbour {n}" for n in range(201, 216)},
}


@pytest.fixture
def lginform(monkeypatch):
    """A fake LG Inform whose group lists 15 neighbours and the council itself."""
    metrics = {
        m: {"identifier": m, "label": f"Metric {m} (sample values)"} for m in ("900001", "900008")
    }
    period = PeriodInfo("fin_2025_26", "2025/26", date(2025, 4, 1), date(2026, 3, 31))
    data = FakeDataset(
        metrics,
        NEIGHBOURS,
        [period],
        lambda m, a, p: None,  # the group is read from the records, values or not
        groups={GROUP: list(NEIGHBOURS)},
    )
    with FakeLGInform(data, KEY, SECRET) as server:
        monkeypatch.setenv(KEY_ENV, KEY)
        monkeypatch.setenv(SECRET_ENV, SECRET)
        monkeypatch.setenv(BASE_URL_ENV, server.base_url)
        yield server


def test_group_names_follow_lg_inform():
    assert group_name("Bassetlaw District Council") == "Bassetlaw_CIPFA_Near_Neighbours"
    assert group_name("London Borough of Barnet") == "Barnet_CIPFA_Near_Neighbours"
    assert group_name("Newark and Sherwood District Council") == (
        "Newark_and_Sherwood_CIPFA_Near_Neighbours"
    )
    assert group_name("Sample District Council") == GROUP


def test_refresh_writes_the_group_without_the_council(data_dir, lginform, capsys):
    assert main([str(data_dir), "--from-lginform"]) == 0
    text = (data_dir / "config" / "comparators.csv").read_text()
    lines = text.splitlines()
    assert lines[0] == "area_code,area_name" and len(lines) == 16
    assert "E07000999" not in text and "E07000201,Neighbour 201" in lines
    assert load_register(data_dir / "config").comparators["area_code"].nunique() == 15
    [request] = lginform.requests_to("/data.table")
    assert request.params["area"] == GROUP and request.params["metricType"] == "900008"
    out = capsys.readouterr().out
    assert "Wrote 15 comparators" in out and "left out" in out
    assert not list((data_dir / "config").glob(".*tmp"))  # written atomically, nothing left


def test_an_unknown_group_leaves_the_file_alone(data_dir, lginform, capsys):
    before = (data_dir / "config" / "comparators.csv").read_bytes()
    assert main([str(data_dir), "--from-lginform", "--group", "Nowhere_CIPFA_Near_Neighbours"]) == 1
    assert (data_dir / "config" / "comparators.csv").read_bytes() == before
    assert "no areas for the group Nowhere_CIPFA_Near_Neighbours" in capsys.readouterr().err


def test_refused_credentials_leave_the_file_alone(data_dir, lginform, monkeypatch, capsys):
    monkeypatch.setenv(SECRET_ENV, "wrong")
    before = (data_dir / "config" / "comparators.csv").read_bytes()
    assert main([str(data_dir), "--from-lginform", "--metric", "900001"]) == 1
    assert (data_dir / "config" / "comparators.csv").read_bytes() == before
    err = capsys.readouterr().err
    assert "refused the credentials" in err and "wrong" not in err and KEY not in err


def test_a_server_error_is_retried(data_dir, lginform):
    lginform.inject("/data.table", http_error(503))
    assert main([str(data_dir), "--from-lginform", "--metric", "900001"]) == 0
    assert len(lginform.requests_to("/data.table")) == 2


def test_without_credentials_it_says_what_to_set(data_dir, capsys):
    assert main([str(data_dir), "--from-lginform"]) == 2
    assert "LGINFORM_API_KEY" in capsys.readouterr().err
