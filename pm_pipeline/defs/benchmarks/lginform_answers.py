"""What LG Inform answers, checked: metric types, periods, `/data.table` records, and the
errors a request can end in. No HTTP here (that is `lginform`), so the sample generator and the
test doubles build answers in the service's own shape from the same definitions."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

from pm_pipeline.core.periods import FinancialYear

RAW = "raw"
REQUIRED_RECORD_FIELDS = ("metricTypeIdentifier", "areaIdentifier", "periodIdentifier", "value")
POLARITIES = {
    "low value is good": "lower_is_better",
    "high value is good": "higher_is_better",
    "not applicable": "neutral",
}


class LGInformError(Exception):
    """LG Inform did not answer a request usefully; the message names what was asked for."""

    def __init__(self, message: str, subject: str):
        super().__init__(message)
        self.message = message
        self.subject = subject


class LGInformRefused(LGInformError):
    """HTTP 4xx: the request itself is wrong (credentials, an unknown metric); retrying won't help."""

    def __init__(self, message: str, subject: str, status: int):
        super().__init__(message, subject)
        self.status = status

    @property
    def credentials_refused(self) -> bool:
        return self.status in (401, 403)


class LGInformUnavailable(LGInformError):
    """No good answer after every retry: the network, a timeout, 429 or 5xx."""

    def __init__(self, message: str, subject: str, network: bool):
        super().__init__(message, subject)
        self.network = network  # the service could not be reached at all (not an HTTP answer)


class LGInformBadResponse(LGInformError):
    """An answer that is not what the API returns: malformed or truncated JSON, a wrong shape."""


@dataclass(frozen=True)
class PeriodInfo:
    identifier: str
    label: str
    start: date
    end: date

    def as_json(self) -> dict[str, str]:
        return {
            "identifier": self.identifier,
            "label": self.label,
            "startDate": self.start.isoformat(),
            "endDate": self.end.isoformat(),
        }


def period_from_identifier(identifier: str) -> PeriodInfo | None:
    """Dates of the period ids whose meaning is fixed (`fin_2022_23`, `cal_2019`, `sch_2018_19`)."""
    m = re.fullmatch(r"(fin|sch)_(\d{4})_(\d{2})", identifier)
    if m and int(m.group(3)) == (int(m.group(2)) + 1) % 100:
        year = int(m.group(2))
        if m.group(1) == "fin":
            fy = FinancialYear(year)
            return PeriodInfo(identifier, fy.label, fy.start, fy.end)
        label = f"{FinancialYear(year).label} (academic)"
        return PeriodInfo(identifier, label, date(year, 9, 1), date(year + 1, 8, 31))
    m = re.fullmatch(r"cal_(\d{4})", identifier)
    if m:
        year = int(m.group(1))
        return PeriodInfo(identifier, str(year), date(year, 1, 1), date(year, 12, 31))
    return None


def _iso_date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def period_info(body: object, identifier: str) -> PeriodInfo:
    """A `/periods/<id>` answer checked: identifier, label and ISO start and end dates."""
    subject = f"period {identifier}"
    item = body.get("period", body) if isinstance(body, dict) else None
    if not isinstance(item, dict):
        raise LGInformBadResponse(
            f"LG Inform's answer for {subject} is not an object with startDate and endDate",
            subject,
        )
    start, end = _iso_date(item.get("startDate")), _iso_date(item.get("endDate"))
    if start is None or end is None or end < start:
        raise LGInformBadResponse(
            f"LG Inform's answer for {subject} has no valid startDate/endDate "
            f"({item.get('startDate')!r}, {item.get('endDate')!r})",
            subject,
        )
    return PeriodInfo(identifier, str(item.get("label") or identifier), start, end)


def metric_type_info(body: object, metric_id: str) -> dict[str, object]:
    """A `/metricTypes/<id>` answer checked and reduced to what the benchmarks need."""
    subject = f"metric {metric_id}"
    item = body.get("metricType") if isinstance(body, dict) else None
    if (
        not isinstance(item, dict)
        or str(item.get("identifier")) != metric_id
        or not isinstance(item.get("label"), str)
    ):
        raise LGInformBadResponse(
            f"LG Inform's description of {subject} is not a metricType object with this "
            "identifier and a label",
            subject,
        )
    kept = ("label", "shortLabel", "polarity", "outputPrecision", "discontinued")
    return {"identifier": metric_id, **{k: item[k] for k in kept if k in item}}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def data_table_records(body: object, metric_id: str) -> list[dict[str, object]]:
    """The raw-value records of a `/data.table` answer for one metric, checked field by field.

    A wrong shape is an error rather than an empty table: an empty benchmark would otherwise
    pass silently into the scorecard as "no peers". `null` values stay None (never zero).
    """
    subject = f"metric {metric_id}"
    if not isinstance(body, list):
        raise LGInformBadResponse(
            f"LG Inform's data.table answer for {subject} is a JSON {type(body).__name__}, "
            "not the expected list of records",
            subject,
        )
    records = []
    for index, record in enumerate(body):
        where = f"LG Inform's data.table answer for {subject}, record {index + 1}"
        if not isinstance(record, dict):
            raise LGInformBadResponse(f"{where} is not an object", subject)
        missing = [f for f in REQUIRED_RECORD_FIELDS if f not in record]
        if missing:
            raise LGInformBadResponse(f"{where} has no {', '.join(missing)}", subject)
        if str(record["metricTypeIdentifier"]) != metric_id:
            raise LGInformBadResponse(
                f"{where} is for metric {record['metricTypeIdentifier']}, not {metric_id}", subject
            )
        for name in ("areaIdentifier", "periodIdentifier"):
            if not isinstance(record[name], str) or not record[name].strip():
                raise LGInformBadResponse(f"{where} has an empty {name}", subject)
        if record["value"] is not None and not _is_number(record["value"]):
            raise LGInformBadResponse(
                f"{where} has value {record['value']!r}, which is neither a number nor null",
                subject,
            )
        if record.get("valueTypeIdentifier", RAW) == RAW:
            records.append({**record, "metricTypeIdentifier": metric_id})
    return records


def register_polarity(lginform_polarity: object) -> str | None:
    """LG Inform's "Low value is good" etc. as the register's polarity (None when unknown)."""
    return POLARITIES.get(str(lginform_polarity or "").strip().casefold())


def data_table_record(
    metric: dict[str, object],
    area_code: str,
    area_label: str,
    period: PeriodInfo,
    value: float | None,
) -> dict[str, object]:
    """One `/data.table` record in the service's flat shape (`value` null when missing)."""
    precision = int(cast(int | str | None, metric.get("outputPrecision", 1)) or 0)
    return {
        "metricTypeIdentifier": str(metric["identifier"]),
        "metricTypeLabel": metric["label"],
        "areaIdentifier": area_code,
        "areaLabel": area_label,
        "areaLongLabel": area_label,
        "periodIdentifier": period.identifier,
        "periodLabel": period.label,
        "valueTypeIdentifier": RAW,
        "valueTypeLabel": "Raw value",
        "value": value,
        "formatted": "-" if value is None else f"{value:,.{precision}f}",
        "format": "Number",
        "confidenceIntervalLower": None,
        "confidenceIntervalUpper": None,
        "publicationStatus": "Published",
    }


def data_table_request(metric_id: str, areas: Sequence[str], period: str) -> dict[str, str]:
    """What a metric's cache records it asked for: the parameters, never the key or signature."""
    return {
        "path": "/data.table",
        "metricType": metric_id,
        "area": ",".join(areas),
        "period": period,
        "value.valueType": RAW,
    }
