"""Time a full LG Inform refresh: 317 councils × 50 metrics from the fake service on loopback.

    python bench/benchmarks_refresh.py [--councils 317] [--metrics 50] [--periods 10]

The fake service runs in its own process (so the figures are the client's alone) and checks
every signature. The refresh is the asset's own code path: signed requests (areas split
100 per request), body checks, one cache file per metric written atomically, then the long
benchmarks table and its DuckDB write. Prints wall time per phase and peak RSS.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the tests' doubles (pm_pipeline_tests) beside the product

from pm_pipeline.core.warehouse import replace_rows  # noqa: E402
from pm_pipeline.defs.benchmarks.combine import combine  # noqa: E402
from pm_pipeline.defs.benchmarks.lginform import LGInformResource  # noqa: E402
from pm_pipeline.defs.benchmarks.lginform_answers import period_from_identifier  # noqa: E402
from pm_pipeline.defs.benchmarks.refresh import (  # noqa: E402
    FETCHED,
    MetricWanted,
    RefreshPlan,
    outcome_rows,
    refresh_lginform,
)
from pm_pipeline.defs.benchmarks.tables import BENCHMARKS  # noqa: E402
from pm_pipeline_tests.fake_lginform import FakeDataset, FakeLGInform  # noqa: E402

KEY, SECRET = "bench-key", "bench-secret"


def area_codes(councils: int) -> list[str]:
    return [f"E07{n:06d}" for n in range(1, councils + 1)]


def metric_ids(metrics: int) -> list[str]:
    return [str(100000 + n) for n in range(1, metrics + 1)]


def value(metric: str, area: str, period: str) -> float | None:
    """A deterministic figure; about one in 50 is unpublished (null)."""
    h = zlib.crc32(f"{metric}|{area}|{period}".encode())
    return None if h % 50 == 0 else (h % 100_000) / 1000


def dataset(councils: int, metrics: int, periods: int) -> FakeDataset:
    years = range(2025 - periods + 1, 2026)
    return FakeDataset(
        metrics={
            m: {
                "identifier": m,
                "label": f"Bench metric {m}",
                "outputPrecision": 1,
                "polarity": "High value is good" if int(m) % 2 else "Low value is good",
            }
            for m in metric_ids(metrics)
        },
        areas={code: f"Council {code}" for code in area_codes(councils)},
        periods=[p for y in years if (p := period_from_identifier(f"fin_{y}_{(y + 1) % 100:02d}"))],
        value=value,
    )


def serve(councils: int, metrics: int, periods: int, ready: multiprocessing.Queue) -> None:
    with FakeLGInform(dataset(councils, metrics, periods), KEY, SECRET) as fake:
        ready.put(fake.base_url)
        time.sleep(3600)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=317)
    parser.add_argument("--metrics", type=int, default=50)
    parser.add_argument("--periods", type=int, default=10)
    args = parser.parse_args(argv)

    ready: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(
        target=serve, args=(args.councils, args.metrics, args.periods, ready), daemon=True
    )
    server.start()
    try:
        base_url = ready.get(timeout=30)
        plan = RefreshPlan(
            metrics=tuple(
                MetricWanted(m, (f"PI-{m}",), "percent", None) for m in metric_ids(args.metrics)
            ),
            areas=tuple(area_codes(args.councils)),
        )
        lginform = LGInformResource(
            api_key=KEY, api_secret=SECRET, base_url=base_url, period=f"latest:{args.periods}"
        )
        rss_before = peak_rss_mb()
        with tempfile.TemporaryDirectory() as tmp:
            cache_dir = Path(tmp) / "lginform"
            started = time.perf_counter()
            outcomes = refresh_lginform(plan, lginform, cache_dir, datetime.now(UTC))
            fetched = time.perf_counter()
            rows = outcome_rows(outcomes)
            table, _ = combine([rows])
            shaped = time.perf_counter()
            with duckdb.connect(str(Path(tmp) / "warehouse.duckdb")) as conn:
                replace_rows(conn, BENCHMARKS, table)
            written = time.perf_counter()
            cache_mb = sum(p.stat().st_size for p in cache_dir.iterdir()) / 1e6
        ok = sum(o.status == FETCHED for o in outcomes)
        if ok != args.metrics:
            print(f"Only {ok} of {args.metrics} metrics fetched", file=sys.stderr)
            return 1
        requests = args.metrics * (1 + -(-args.councils // lginform.max_areas_per_request))
        print(
            f"LG Inform refresh: {args.councils} councils × {args.metrics} metrics × "
            f"{args.periods} periods = {len(table):,} rows ({requests} signed requests)"
        )
        print(f"  fetch, check and cache: {fetched - started:6.2f} s   ({cache_mb:.1f} MB cache)")
        print(f"  long table:             {shaped - fetched:6.2f} s")
        print(f"  DuckDB write:           {written - shaped:6.2f} s")
        print(f"  total wall time:        {written - started:6.2f} s")
        print(
            f"  peak RSS (client):      {peak_rss_mb():6.0f} MB   "
            f"(before the refresh: {rss_before:.0f} MB)"
        )
    finally:
        server.terminate()
        server.join()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
