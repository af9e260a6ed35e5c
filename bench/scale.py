"""Scale: a council network's data through the whole quarterly cycle, at three sizes.

    python bench/scale.py                  # full, 1/4 and 1/16 size, then GX vs plain pandas
    python bench/scale.py --sizes 1        # just the full size
    python bench/scale.py --gx-only        # just the rules comparison on 100,000 returns
    python bench/scale.py --sizes 0.0625 --keep /tmp/scale   # keep the data and instance
    python bench/scale.py --sizes 0.0625 --keep /tmp/scale --phases pdf   # then just the PDF

Full size, generated from the DESIGN contracts by the sample generator: 1,000 PIs with
targets and 40 quarters of returns (CSV and XLSX, 20 services), an LG Inform cache and Oflog
files for 317 councils × 200 metrics × 10 years. Smaller sizes scale the PIs and metrics.
For each size, in a fresh DAGSTER_HOME, three phases each in its own process (so each peak
RSS is its own): the 39 earlier quarters are backfilled (returns, checks and scorecards: the
history the cycle compares with); the full quarterly cycle for the latest quarter is run and
timed step by step (register, returns and checks, benchmarks, scorecard, report); then the
report's PDF, which is its own asset.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

COUNCILS = 317
PERIODS = 10
FULL = {"pis": 1000, "lginform": 200, "oflog": 200}
QUARTERS = 40


def _area_codes() -> list[str]:
    from pm_pipeline.sample import catalogue as cat

    return [f"E07{n:06d}" for n in range(1, COUNCILS)] + [cat.AREA_CODE]


def _value(*parts: object) -> float:
    return (zlib.crc32("|".join(map(str, parts)).encode()) % 10_000) / 100


def synthetic_pis(n: int, lginform: int, oflog: int) -> list:
    from pm_pipeline.sample.catalogue import THEMES, SamplePI

    kinds = ("kpi", "service", "management", "contextual", "place")
    units = ("percent", "count", "days", "gbp", "rate")
    pis = []
    for i in range(n):
        unit, kind = units[i % len(units)], kinds[(i // 5) % len(kinds)]
        base = {"percent": 60.0, "count": 400.0, "days": 20.0, "gbp": 50_000.0, "rate": 12.0}[unit]
        service = f"Service {i % 20:02d}"
        pis.append(
            SamplePI(
                pi_id=f"P{i:04d}",
                title=f"Synthetic indicator {i}",
                type=kind,
                theme=THEMES[i % len(THEMES)],
                service=service,
                owner=f"owner{i % 20:02d}@scale.example",
                unit=unit,
                polarity=("higher_is_better", "lower_is_better", "neutral")[i % 3],
                frequency="annual" if i % 25 == 24 else "quarterly",
                base=base,
                trend=base * 0.002,
                season=(0, base * 0.01, -base * 0.01, 0),
                noise=base * 0.02,
                decimals=0 if unit in ("count", "gbp") else 1,
                target_margin=0.0 if kind in ("kpi", "service", "management") else None,
                lginform_metric=str(900_000 + i) if i < lginform else None,
                oflog_metric=f"OF{i:04d}" if i < oflog else None,
                manager=f"manager{i % 20:02d}@scale.example",
                # a count or money PI must say its measure; ratios return their parts
                measure="flow" if unit in ("count", "gbp") else "",
                parts={"percent": (5000.0,) * 4, "rate": (50_000.0,) * 4}.get(unit),
                per=1000.0 if unit == "rate" else 100.0,
            )
        )
    return pis


def write_lginform_cache(root: Path, metrics: list[str]) -> None:
    from pm_pipeline.defs.benchmarks.cache import CachedMetric, write_cache
    from pm_pipeline.defs.benchmarks.lginform_answers import (
        data_table_record,
        period_from_identifier,
    )

    periods = {
        p.identifier: p
        for p in (period_from_identifier(f"fin_{y}_{(y + 1) % 100:02d}") for y in range(2016, 2026))
        if p is not None
    }
    areas = [(c, f"Council {c}") for c in _area_codes()] + [
        ("E12000004", "East Midlands"),
        ("E92000001", "England"),
    ]
    for metric in metrics:
        info = {
            "identifier": metric,
            "label": f"Scale metric {metric}",
            "shortLabel": metric,
            "polarity": "High value is good",
            "outputPrecision": 1,
            "discontinued": False,
        }
        records = [
            data_table_record(info, code, name, period, _value(metric, code, pid))
            for code, name in areas
            for pid, period in periods.items()
        ]
        write_cache(
            root / "benchmarks" / "lginform",
            CachedMetric(
                metric,
                datetime(2026, 10, 1, tzinfo=UTC),
                "scale.example",
                {},
                info,
                periods,
                records,
                "synthetic scale data",
            ),
        )


def write_oflog(root: Path, metrics: list[str]) -> None:
    from pm_pipeline.sample.benchmarks import OFLOG_HEADER

    folder = root / "benchmarks" / "oflog"
    folder.mkdir(parents=True, exist_ok=True)
    for metric in metrics:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(OFLOG_HEADER)
        for year in range(2014, 2024):
            for code in _area_codes():
                writer.writerow(
                    [
                        f"{year}-{(year + 1) % 100:02d}",
                        code,
                        f"Council {code}",
                        "LA_Raw",
                        "Non-metropolitan Districts",
                        "East Midlands",
                        f"Scale measure {metric}",
                        metric,
                        f"{_value(metric, code, year):.1f}",
                        "",
                        "",
                        "",
                    ]
                )
        (folder / f"oflog_{metric}_scale.csv").write_text(out.getvalue())


def build(root: Path, factor: float) -> dict:
    from pm_pipeline.core.periods import FinancialYear, Quarter
    from pm_pipeline.sample.generate import write_register, write_returns

    size = {k: max(1, round(v * factor)) for k, v in FULL.items()}
    pis = synthetic_pis(size["pis"], size["lginform"], size["oflog"])
    comparators = [(c, f"Council {c}") for c in _area_codes()[:15]]
    first = Quarter(2026, 2)
    for _ in range(QUARTERS - 1):
        first = first.previous
    years = [FinancialYear(y) for y in range(first.fy_start_year, 2027)]
    write_register(
        root,
        pis,
        council_name="Scale Test Council (synthetic)",
        comparators=comparators,
        years=years,
    )
    write_returns(root, pis, first=first, last=Quarter(2026, 2))
    write_lginform_cache(root, [p.lginform_metric for p in pis if p.lginform_metric])
    write_oflog(root, [p.oflog_metric for p in pis if p.oflog_metric])
    files = list((root / "returns").rglob("*.*"))
    return {**size, "quarters": QUARTERS, "files": len(files), "first": first.key}


def _step_times(instance, run_id: str) -> dict[str, float]:
    steps: dict[str, float] = {}
    begun: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or not event.step_key:
            continue
        if event.event_type_value == "STEP_START":
            begun[event.step_key] = record.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            steps[event.step_key] = record.timestamp - begun[event.step_key]
    return steps


PHASES = {
    # phase: (what it runs, the assets it materialises)
    "history": "the register, then the 39 earlier quarters' returns, checks and scorecards",
    "cycle": "the quarterly cycle for the latest quarter: register, returns and checks, "
    "benchmarks, scorecard and report (HTML, Excel)",
    "pdf": "the report's PDF",
}


def run_phase(phase: str, root: Path, first: str) -> dict:
    """In this (child) process, one phase; its wall time, step times and peak RSS."""
    import dagster as dg

    from pm_pipeline.core.periods import Quarter, range_tags
    from pm_pipeline.definitions import build_defs

    defs = build_defs(root)
    instance = dg.DagsterInstance.get()
    latest = Quarter(2026, 2)
    everything = defs.resolve_implicit_global_asset_job_def()
    started = time.perf_counter()
    if phase == "history":
        assert defs.resolve_job_def("register_job").execute_in_process(instance=instance).success
        result = defs.resolve_job_def("quarter_history_job").execute_in_process(
            instance=instance, tags=range_tags(first, latest.previous.key), raise_on_error=False
        )
    else:
        job = defs.resolve_job_def("quarterly_performance_job")
        keys = [
            k
            for k in job.asset_layer.executable_asset_keys
            if k.to_user_string()
            not in ("quarterly_report_pdf", "cabinet_report_pdf", "governance_report_pdf")
        ]
        result = everything.execute_in_process(
            instance=instance,
            asset_selection=keys if phase == "cycle" else [dg.AssetKey("quarterly_report_pdf")],
            partition_key=latest.key,
            raise_on_error=False,
        )
    return {
        "phase": phase,
        "ok": result.success,
        "seconds": time.perf_counter() - started,
        "steps": _step_times(instance, result.run_id),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # CPU seconds too: on a shared machine wall time says as much about the neighbours
        "cpu_s": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
    }


def measure(
    factor: float, keep: Path | None = None, phases: tuple[str, ...] = tuple(PHASES)
) -> dict:
    """Each phase in its own process. With `keep`, the data and instance stay in that folder
    (one per size), so a later call can run just some phases, e.g. the PDF, again."""
    with tempfile.TemporaryDirectory(prefix="pm-scale-") as tmp:
        base = keep / f"size-{factor:g}" if keep else Path(tmp)
        root, home = base / "data", base / "home"
        built = base / "size.json"
        home.mkdir(parents=True, exist_ok=True)
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        t = time.perf_counter()
        if built.exists():
            size = json.loads(built.read_text())
        else:
            size = build(root, factor)
            built.write_text(json.dumps(size))
        generated = time.perf_counter() - t
        env = {
            **os.environ,
            "PM_DATA_DIR": str(root),
            "DAGSTER_HOME": str(home),
            "PM_FIRST_QUARTER": f"{int(size['first'][:4]) - (size['first'][5:7] < '04')}-04-01",
        }
        done = {}
        for phase in phases:
            with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
                child = subprocess.Popen(
                    [sys.executable, __file__, "--child", phase, str(root), size["first"]],
                    env=env,
                    stdout=out,
                    stderr=err,
                    text=True,
                )
                peak, busy = 0, machine_cpu_s()
                while child.poll() is None:  # the phase and its browser, sampled twice a second
                    peak = max(peak, tree_pss(child.pid))
                    time.sleep(0.5)
                out.seek(0)
                err.seek(0)
                if child.returncode != 0:
                    raise SystemExit(err.read()[-4000:])
                done[phase] = json.loads(out.read().strip().splitlines()[-1])
                done[phase]["peak_tree_mb"] = peak / 2**20
                done[phase]["machine_cpu_s"] = machine_cpu_s() - busy
        return {"factor": factor, "size": size, "generated_s": generated, "phases": done}


def tree_pss(pid: int) -> int:
    """Bytes of memory a process and its descendants hold (Linux PSS: shared pages are split
    between the processes sharing them, so a browser's processes are not counted twice)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        proc = todo.pop()
        todo += children.get(proc, [])
        try:
            for line in Path(f"/proc/{proc}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def machine_cpu_s() -> float:
    """CPU seconds the whole machine has used (/proc/stat): a phase's browser processes are
    not its children to rusage, so its CPU is the machine's over the phase (run it quiet)."""
    user, nice, system = Path("/proc/stat").read_text().split()[1:4]
    return (int(user) + int(nice) + int(system)) / os.sysconf("SC_CLK_TCK")


def _line(p: dict) -> str:
    cpu = f" ({p['cpu_s']:.1f} s CPU" if "cpu_s" in p else ""
    if cpu and "machine_cpu_s" in p:
        cpu += f"; the machine {p['machine_cpu_s']:.1f} s"
    cpu += ")" if cpu else ""
    tree = f", with its browser {p['peak_tree_mb']:5.0f} MiB" if "peak_tree_mb" in p else ""
    return f"{p['seconds']:7.1f} s{cpu}, peak RSS {p['peak_rss_mb']:5.0f} MB{tree}, ok={p['ok']}"


def show(m: dict) -> None:
    s, p = m["size"], m["phases"]
    print(
        f"\n== size {m['factor']:g}: {s['pis']} PIs × {s['quarters']} quarters ({s['files']} files), "
        f"{COUNCILS} councils × {s['lginform']} LG Inform + {s['oflog']} Oflog metrics × {PERIODS} years"
    )
    print(f"  generate the data (not measured):  {m['generated_s']:7.1f} s")
    if "history" in p:
        print(f"  history: {PHASES['history']}")
        print(f"    {_line(p['history'])}")
    if "cycle" in p:
        print(f"  cycle: {PHASES['cycle']}")
        for step, seconds in p["cycle"]["steps"].items():
            print(f"    step {step:<58} {seconds:6.1f} s")
        print(f"    total {_line(p['cycle'])}")
    if "pdf" in p:
        print(f"  pdf: {PHASES['pdf']}")
        print(f"    {_line(p['pdf'])}  (goal ≤ 60 s, ≤ 1 GiB at full size)")
        print("    (peak RSS: the phase's own process; with its browser: the process tree's PSS)")
    if "cycle" in p and "pdf" in p:
        both = p["cycle"]["seconds"] + p["pdf"]["seconds"]
        print(f"  cycle with its PDF:                {both:7.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,0.25,0.0625")
    parser.add_argument("--gx-only", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep each size's data and instance here")
    parser.add_argument("--phases", default=",".join(PHASES), help="e.g. pdf (needs --keep)")
    parser.add_argument("--child", nargs=3, metavar=("PHASE", "DATA_DIR", "FIRST"))
    args = parser.parse_args()
    if args.child:
        phase, root, first = args.child
        print(json.dumps(run_phase(phase, Path(root), first)))
        return 0
    if not args.gx_only:
        for factor in sorted(float(f) for f in args.sizes.split(",")):
            show(measure(factor, args.keep, tuple(args.phases.split(","))))
    if args.phases != ",".join(PHASES):
        return 0
    from quality_checks import gx_versus_pandas  # bench/ is on sys.path when run

    gx_versus_pandas(100_000, 3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
