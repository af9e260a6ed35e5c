"""The LG Inform client against a real HTTP server on loopback, with faults injected."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import time
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import unquote

import dagster as dg
import pytest

from pm_pipeline.defs.benchmarks.lginform import (
    CachedLGInform,
    LGInformResource,
    fetch_metric,
    lginform_resource_from_env,
)
from pm_pipeline.defs.benchmarks.lginform_answers import (
    LGInformBadResponse,
    LGInformError,
    LGInformRefused,
    LGInformUnavailable,
    PeriodInfo,
    data_table_records,
    metric_type_info,
    period_from_identifier,
    register_polarity,
)
from pm_pipeline.defs.benchmarks.lginform_client import sign_url
from pm_pipeline_tests.fake_lginform import (
    FakeDataset,
    FakeLGInform,
    dropped,
    hang,
    http_error,
    truncated,
)

from .support import AREAS, KEY, SECRET


def test_sign_url_matches_an_independently_recomputed_hmac():
    url = "https://webservices.esd.org.uk/data.table?metricType=900001&area=E07000171,E92000001"
    signed = sign_url(url, KEY, SECRET)
    head, signature = signed.split("&Signature=")
    assert head == f"{url}&ApplicationKey={KEY}"
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), head.encode(), hashlib.sha1).digest()
    ).decode()
    assert unquote(signature) == expected
    assert all(c not in signature for c in "+/=")  # Base64's specials are escaped on the wire


def test_sign_url_starts_the_query_when_there_is_none():
    signed = sign_url("https://host/metricTypes/900001", "k", "s")
    assert signed.startswith("https://host/metricTypes/900001?ApplicationKey=k&Signature=")


def test_a_key_that_needs_escaping_is_refused_without_echoing_it():
    with pytest.raises(ValueError) as caught:
        sign_url("https://host/x", "bad key&", SECRET)
    assert "bad key" not in str(caught.value) and SECRET not in str(caught.value)


def test_period_ids_have_fixed_dates():
    assert period_from_identifier("fin_2022_23") == PeriodInfo(
        "fin_2022_23", "2022/23", date(2022, 4, 1), date(2023, 3, 31)
    )
    assert period_from_identifier("cal_2019").end == date(2019, 12, 31)
    assert period_from_identifier("sch_2018_19").start == date(2018, 9, 1)
    assert period_from_identifier("fin_2022_24") is None
    assert period_from_identifier("q1_2022_23") is None


def test_polarity_wording_maps_to_the_register():
    assert register_polarity("Low value is good") == "lower_is_better"
    assert register_polarity("High value is good") == "higher_is_better"
    assert register_polarity("Not applicable") == "neutral"
    assert register_polarity(None) is None


def record(**changes: object) -> dict:
    base = {
        "metricTypeIdentifier": "900001",
        "areaIdentifier": "E07000171",
        "periodIdentifier": "fin_2024_25",
        "valueTypeIdentifier": "raw",
        "value": 41.5,
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"rows": []}, "not the expected list"),
        (["x"], "record 1 is not an object"),
        ([record(), {"areaIdentifier": "E07000171"}], "record 2 has no metricTypeIdentifier"),
        ([record(metricTypeIdentifier="900002")], "is for metric 900002"),
        ([record(value="41.5")], "neither a number nor null"),
        ([record(value=True)], "neither a number nor null"),
        ([record(areaIdentifier="")], "empty areaIdentifier"),
    ],
)
def test_a_wrong_shape_is_an_error_not_an_empty_table(body, says):
    with pytest.raises(LGInformBadResponse, match=says) as caught:
        data_table_records(body, "900001")
    assert "metric 900001" in caught.value.message


def test_null_stays_missing_and_other_value_types_are_left_out():
    records = data_table_records(
        [record(value=None), record(valueTypeIdentifier="percentile", value=3)], "900001"
    )
    assert len(records) == 1 and records[0]["value"] is None


def test_metric_type_must_describe_the_metric_asked_for():
    with pytest.raises(LGInformBadResponse):
        metric_type_info({"metricType": {"identifier": "1", "label": "x"}}, "900001")
    info = metric_type_info({"metricType": {"identifier": 900001, "label": "x"}}, "900001")
    assert info["identifier"] == "900001"


def test_fetch_returns_every_area_and_period_with_dates(fake, make_resource):
    with make_resource(fake.base_url).client() as client:
        download = fetch_metric(client, "900007", AREAS, "latest:3")
    assert download.metric["polarity"] == "Low value is good"
    assert len(download.records) == len(AREAS) * 3
    assert sorted(download.periods) == ["fin_2023_24", "fin_2024_25", "fin_2025_26"]
    assert download.periods["fin_2025_26"].end == date(2026, 3, 31)
    nulls = [r for r in download.records if r["value"] is None]
    assert nulls == []  # the nulls in the sample are for comparators not asked for here
    assert "ApplicationKey" not in str(download.request) and KEY not in str(download.request)


def test_areas_are_split_across_requests_and_recombined(fake, make_resource):
    resource = make_resource(fake.base_url, max_areas_per_request=2)
    with resource.client() as client:
        download = fetch_metric(client, "900001", AREAS, "latest", max_areas_per_request=2)
    assert len(fake.requests_to("/data.table")) == 3
    assert sorted(r["areaIdentifier"] for r in download.records) == sorted(AREAS)


def test_500_then_200_is_retried(fake, make_resource):
    fake.inject("/data.table", http_error(500))
    with make_resource(fake.base_url).client() as client:
        records = client.data_table("900001", AREAS, "latest")
    assert len(records) == len(AREAS)
    assert len(fake.requests_to("/data.table")) == 2


def test_5xx_every_time_gives_up_naming_the_metric(fake, make_resource):
    fake.inject("/data.table", *[http_error(503)] * 3)
    with (
        make_resource(fake.base_url).client() as client,
        pytest.raises(LGInformUnavailable) as caught,
    ):
        client.data_table("900001", AREAS, "latest")
    assert "metric 900001" in caught.value.message and "HTTP 503" in caught.value.message
    assert not caught.value.network
    assert len(fake.requests_to("/data.table")) == 3


def test_429_waits_as_long_as_retry_after_says(fake, make_resource):
    fake.inject("/data.table", http_error(429, headers={"Retry-After": "1"}))
    with make_resource(fake.base_url).client() as client:
        client.data_table("900001", AREAS, "latest")
    first, second = fake.requests_to("/data.table")
    assert second.at - first.at >= 0.95  # backoff alone would have been 0.01 s


@pytest.mark.parametrize("as_date", [False, True], ids=["seconds", "http-date"])
def test_429_asking_too_long_a_wait_gives_up_at_once(fake, make_resource, as_date):
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    fake.inject(
        "/data.table", http_error(429, headers={"Retry-After": later if as_date else "3600"})
    )
    started = time.monotonic()
    with (
        make_resource(fake.base_url).client() as client,
        pytest.raises(LGInformUnavailable) as caught,
    ):
        client.data_table("900001", AREAS, "latest")
    assert time.monotonic() - started < 1
    assert "rate-limiting" in caught.value.message and not caught.value.network
    assert as_date or "3600" in caught.value.message
    assert len(fake.requests_to("/data.table")) == 1


def test_a_hang_past_the_timeout_is_retried(fake, make_resource):
    fake.inject("/data.table", hang(1.5))
    started = time.monotonic()
    with make_resource(fake.base_url).client() as client:
        records = client.data_table("900001", AREAS, "latest")
    assert len(records) == len(AREAS)
    assert time.monotonic() - started < 1.2


def test_hanging_every_time_is_a_network_failure(fake, make_resource):
    fake.inject("/data.table", *[hang(1.0)] * 3)
    with (
        make_resource(fake.base_url).client() as client,
        pytest.raises(LGInformUnavailable) as caught,
    ):
        client.data_table("900001", AREAS, "latest")
    assert caught.value.network and "no answer within 0.3 s" in caught.value.message


def test_a_dropped_connection_is_retried(fake, make_resource):
    fake.inject("/data.table", dropped())
    with make_resource(fake.base_url).client() as client:
        assert len(client.data_table("900001", AREAS, "latest")) == len(AREAS)


def test_truncated_json_is_an_error_naming_the_metric(fake, make_resource):
    fake.inject("/data.table", truncated())
    with (
        make_resource(fake.base_url).client() as client,
        pytest.raises(LGInformBadResponse) as caught,
    ):
        client.data_table("900001", AREAS, "latest")
    assert "metric 900001" in caught.value.message and "not valid JSON" in caught.value.message


def test_401_says_the_credentials_were_refused_without_the_secret(fake, make_resource):
    resource = make_resource(fake.base_url, api_secret="wrong-secret-value")
    with resource.client() as client, pytest.raises(LGInformRefused) as caught:
        client.data_table("900001", AREAS, "latest")
    message = caught.value.message
    assert caught.value.status == 401 and caught.value.credentials_refused
    assert "refused the credentials" in message and "metric 900001" in message
    assert "Not authorized" in message and "error code 10" in message
    assert "wrong-secret-value" not in message and KEY not in message
    assert len(fake.requests_to("/data.table")) == 1  # a 4xx is not retried


def test_404_names_the_metric_and_where_to_fix_it(fake, make_resource):
    with make_resource(fake.base_url).client() as client, pytest.raises(LGInformRefused) as caught:
        client.metric_type("123456")
    assert caught.value.status == 404
    assert "metric 123456" in caught.value.message and "lginform_metric" in caught.value.message


def test_server_down_is_a_network_failure_without_the_url(make_resource):
    with FakeLGInform(FakeDataset({}, {}, [], lambda m, a, p: None)) as gone:
        base_url = gone.base_url
    with make_resource(base_url).client() as client, pytest.raises(LGInformUnavailable) as caught:
        client.data_table("900001", AREAS, "latest")
    assert caught.value.network and "could not connect" in caught.value.message
    assert "ApplicationKey" not in caught.value.message and "Signature" not in caught.value.message
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_unknown_period_ids_are_looked_up(make_resource):
    odd = PeriodInfo("q1_2024_25", "April to June 2024", date(2024, 4, 1), date(2024, 6, 30))
    metric = {"identifier": "5", "label": "Quarterly thing", "polarity": "Not applicable"}
    data = FakeDataset({"5": metric}, {"E07000171": "Bassetlaw"}, [odd], lambda m, a, p: 1.5)
    with FakeLGInform(data, KEY, SECRET) as server, make_resource(server.base_url).client() as c:
        download = fetch_metric(c, "5", ["E07000171"], "latest")
        assert download.periods == {"q1_2024_25": odd}
        assert len(server.requests_to("/periods/q1_2024_25")) == 1


def test_resource_from_env_uses_envvar_only_when_set():
    unset = lginform_resource_from_env({})
    assert isinstance(unset, CachedLGInform)  # offline: the cache, never a request
    assert "no credentials" in unset.offline_reason()
    with pytest.raises(LGInformError, match="not called"):
        unset.client()
    half = lginform_resource_from_env({"LGINFORM_API_KEY": "key-value-123"})
    assert isinstance(half, LGInformResource)
    assert "LGINFORM_API_SECRET is not set" in half.offline_reason()
    both = lginform_resource_from_env({"LGINFORM_API_KEY": "k", "LGINFORM_API_SECRET": "s"})
    assert isinstance(both.api_key, dg.EnvVar) and isinstance(both.api_secret, dg.EnvVar)


def test_credentials_stay_out_of_reprs(make_resource):
    resource = make_resource("http://127.0.0.1:9")
    assert KEY not in repr(resource) and SECRET not in repr(resource)
    with resource.client() as client:
        assert KEY not in repr(client) and SECRET not in repr(client)


def test_base_url_comes_from_the_environment_when_not_configured(monkeypatch, make_resource):
    monkeypatch.setenv("LGINFORM_BASE_URL", "http://127.0.0.1:9/")
    assert make_resource(None).endpoint() == "http://127.0.0.1:9"
    monkeypatch.delenv("LGINFORM_BASE_URL")
    assert make_resource(None).endpoint() == "https://webservices.esd.org.uk"


def test_nan_never_stands_for_a_published_zero():
    records = data_table_records([record(value=0), record(value=None)], "900001")
    values = [r["value"] for r in records]
    assert values[0] == 0 and values[1] is None
    assert not any(isinstance(v, float) and math.isnan(v) for v in values)
