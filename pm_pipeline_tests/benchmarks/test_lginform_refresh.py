"""Refreshing the register's LG Inform metrics: live, cached, and the fallbacks between them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest

from pm_pipeline.defs.benchmarks.cache import (
    CacheProblem,
    cache_path,
    from_json,
    read_cache,
    to_json,
)
from pm_pipeline.defs.benchmarks.lginform import LGInformResource
from pm_pipeline.defs.benchmarks.refresh import (
    CACHED,
    FETCHED,
    MISSING,
    outcome_rows,
    outcome_table,
    plan_from_register,
    refresh_lginform,
    summary,
)
from pm_pipeline.sample.benchmarks import FETCHED_AT
from pm_pipeline_tests.fake_lginform import FakeDataset, FakeLGInform, http_error, truncated

from .support import KEY, SECRET

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SAMPLE_METRICS = [f"90000{i}" for i in range(1, 9)]


def test_the_plan_covers_council_comparators_region_and_england(register):
    plan = plan_from_register(register)
    assert [m.metric_id for m in plan.metrics] == [
        "900008",
        "900001",
        "900002",
        "900003",
        "900004",
        "900005",
        "900006",
        "900007",
    ]
    assert plan.areas[0] == "E07000999" and plan.areas[-2:] == ("E12000004", "E92000001")
    assert len(plan.areas) == 18
    wr01 = next(m for m in plan.metrics if m.metric_id == "900001")
    assert wr01.pi_ids == ("WR-01",) and wr01.unit == "percent"


def test_live_refresh_fetches_and_caches_every_metric(register, cache_dir, fake, make_resource):
    for path in cache_dir.iterdir():
        path.unlink()
    outcomes = refresh_lginform(
        plan_from_register(register), make_resource(fake.base_url), cache_dir, NOW
    )
    assert [o.status for o in outcomes] == [FETCHED] * 8
    cached = read_cache(cache_dir, "900004")
    assert cached.fetched_at == NOW and cached.base_url_host == fake.base_url[len("http://") :]
    assert cached.request["metricType"] == "900004" and "ApplicationKey" not in cached.request
    assert len(cached.records) == 18 * 7
    for path in cache_dir.iterdir():
        text = path.read_text()
        assert KEY not in text and SECRET not in text and "Signature" not in text


def test_no_credentials_uses_the_cache_and_says_how_old(register, cache_dir):
    outcomes = refresh_lginform(plan_from_register(register), LGInformResource(), cache_dir, NOW)
    assert {o.status for o in outcomes} == {CACHED}
    assert all("no credentials" in o.reason for o in outcomes)
    text = summary(outcomes, NOW, "webservices.esd.org.uk")
    assert "8 metrics from the cache" in text and "53 days ago" in text
    assert "no credentials" in text and "SAMPLE VALUES" in text
    table = outcome_table(outcomes, NOW)
    assert set(table["from"]) == {"cache"} and set(table["age"]) == {"53 days"}


def test_server_down_uses_the_cache_and_stops_asking(register, cache_dir, make_resource):
    with FakeLGInform(FakeDataset({}, {}, [], lambda m, a, p: None)) as gone:
        base_url = gone.base_url
    outcomes = refresh_lginform(
        plan_from_register(register), make_resource(base_url), cache_dir, NOW
    )
    assert [o.status for o in outcomes] == [CACHED] * 8
    assert "could not connect" in outcomes[0].reason
    assert all(o.reason.startswith("not requested after an earlier failure") for o in outcomes[1:])
    assert read_cache(cache_dir, "900001").fetched_at == FETCHED_AT  # the cache is untouched


def test_refused_credentials_fall_back_to_the_cache(register, cache_dir, fake, make_resource):
    resource = make_resource(fake.base_url, api_secret="not-the-secret")
    outcomes = refresh_lginform(plan_from_register(register), resource, cache_dir, NOW)
    assert [o.status for o in outcomes] == [CACHED] * 8
    assert "refused the credentials" in outcomes[0].reason
    assert len(fake.requests) == 1  # one refusal is enough to stop


def test_one_bad_answer_falls_back_for_that_metric_only(register, cache_dir, fake, make_resource):
    fake.inject("/data.table", truncated())
    outcomes = refresh_lginform(
        plan_from_register(register), make_resource(fake.base_url), cache_dir, NOW
    )
    assert [o.status for o in outcomes] == [CACHED] + [FETCHED] * 7
    assert "not valid JSON" in outcomes[0].reason
    assert read_cache(cache_dir, "900008").fetched_at == FETCHED_AT  # bad answer not cached


def test_5xx_after_retries_falls_back_and_carries_on(register, cache_dir, fake, make_resource):
    fake.inject("/metricTypes/900008", *[http_error(502)] * 3)
    outcomes = refresh_lginform(
        plan_from_register(register), make_resource(fake.base_url), cache_dir, NOW
    )
    assert [o.status for o in outcomes] == [CACHED] + [FETCHED] * 7
    assert "HTTP 502" in outcomes[0].reason


def test_a_metric_with_no_cache_and_no_credentials_is_reported(register, cache_dir):
    cache_path(cache_dir, "900003").unlink()
    outcomes = refresh_lginform(plan_from_register(register), LGInformResource(), cache_dir, NOW)
    missing = [o for o in outcomes if o.status == MISSING]
    assert [o.wanted.metric_id for o in missing] == ["900003"]
    assert "there is no cached copy" in missing[0].reason
    assert "900003 (no credentials" in summary(outcomes, NOW, "host")
    assert set(outcome_rows(outcomes)["metric_id"]) == set(SAMPLE_METRICS) - {"900003"}


def test_a_damaged_cache_file_is_reported_not_used(register, cache_dir):
    cache_path(cache_dir, "900002").write_text('{"format": 1, "fetched_at": "2026-')
    outcomes = refresh_lginform(plan_from_register(register), LGInformResource(), cache_dir, NOW)
    bad = next(o for o in outcomes if o.wanted.metric_id == "900002")
    assert bad.status == MISSING and "not valid JSON" in bad.reason


def test_rows_keep_missing_values_missing_and_take_units_from_the_register(register, cache_dir):
    outcomes = refresh_lginform(plan_from_register(register), LGInformResource(), cache_dir, NOW)
    rows = outcome_rows(outcomes)
    assert len(rows) == 8 * 18 * 7
    assert set(rows["source"]) == {"lginform"}
    boston = rows[(rows["metric_id"] == "900008") & (rows["area_code"] == "E07000136")]
    assert boston.set_index("period_label").loc["2020/21", "value"] != 0
    assert pd.isna(boston.set_index("period_label").loc["2020/21", "value"])
    pl = rows[rows["metric_id"] == "900004"].iloc[0]
    assert pl["unit"] == "percent" and pl["polarity"] == "higher_is_better"
    assert pl["metric_name"].endswith("(sample values)")
    assert pl["period_start"].isoformat() <= pl["period_end"].isoformat()


def test_cache_round_trip_and_checks(cache_dir):
    cached = read_cache(cache_dir, "900001")
    assert from_json(to_json(cached), "x").records == cached.records
    raw = json.loads(to_json(cached))
    raw["records"][0]["value"] = "41.5"
    with pytest.raises(CacheProblem, match="neither a number nor null"):
        from_json(json.dumps(raw), "metric_900001.json")
    raw = json.loads(to_json(cached))
    raw["periods"].pop("fin_2019_20")
    with pytest.raises(CacheProblem, match="no dates for period"):
        from_json(json.dumps(raw), "metric_900001.json")


def test_odd_ids_and_keys_are_refused_before_anything_is_sent(
    register, cache_dir, fake, make_resource
):
    register.indicators.loc[register.indicators["pi_id"] == "HB-01", "lginform_metric"] = "9000 08"
    outcomes = refresh_lginform(
        plan_from_register(register), make_resource(fake.base_url), cache_dir, NOW
    )
    assert outcomes[0].status == MISSING and "would need URL escaping" in outcomes[0].reason
    assert [o.status for o in outcomes[1:]] == [FETCHED] * 7

    bad_key = make_resource(fake.base_url, api_key="key with spaces")
    outcomes = refresh_lginform(plan_from_register(register), bad_key, cache_dir, NOW)
    assert {o.status for o in outcomes} == {CACHED, MISSING}
    assert "LGINFORM_API_KEY" in outcomes[1].reason and "key with spaces" not in outcomes[1].reason
