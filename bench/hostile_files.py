"""What one hostile return file costs a quarter's read and rules (issue 19's goal: at most 3x
a clean run and 1.5 GiB).

    python bench/hostile_files.py          # the bad-input corpus and the big files (minutes)
    python bench/hostile_files.py --tiny   # a handful of small cases, reading only (seconds)

A clean quarter (60 PIs in two CSVs and a workbook) is written into a temporary data
directory; then each case adds one file to that quarter and reads it through the pipeline's
own functions: `read_quarter`, then (full mode) `evaluate_returns`. Cases are the files the
bad-input tests write (pm_pipeline_tests/bad_inputs, collected by running them) and the big
files from the issue. Each case runs in a child forked from this process after the pipeline
and Great Expectations are imported (importing GX takes longer than any case); the time is
the child's read and rules, the peak RSS that child's own (os.wait4), imports included.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pm_pipeline_tests.bad_inputs.support import (  # noqa: E402
    IDS,
    Q,
    row,
    with_cell_in_column,
    with_merges,
    workbook,
)
from pm_pipeline_tests.council import RETURN_HEADER, Council, good_row, pi, write_csv  # noqa: E402

TIMEOUT_S = 120
MEMORY_CAP = 4 * 1024**3  # a runaway case fails here rather than taking the machine with it
Case = tuple[str, bytes, dict[str, str]]  # file name, content, environment for the read


def clean_council(root: Path, pis: int = 60) -> None:
    """A register of `pis` PIs (the corpus's HS-01, HS-02 and WR-01 among them) and a clean
    quarter of returns: two CSVs and a workbook."""
    ids = [*IDS.values(), *(f"PI-{n:03d}" for n in range(pis - len(IDS)))]
    Council(
        root,
        indicators=[pi(pid, f"Indicator {pid}") for pid in ids],
        targets=[(pid, Q.financial_year.label, 50, "") for pid in ids],
    ).write()
    rows = [good_row(pid, Q, 40 + n % 20) for n, pid in enumerate(ids)]
    third = len(rows) // 3
    folder = root / "returns" / Q.folder
    write_csv(folder / "clean_a.csv", RETURN_HEADER, rows[:third])
    write_csv(folder / "clean_b.csv", RETURN_HEADER, rows[third : 2 * third])
    (folder / "clean_c.xlsx").write_bytes(
        workbook({"Returns": [RETURN_HEADER, *rows[2 * third :]]})
    )


def csv_bytes(rows: list[list[object]]) -> bytes:
    lines = [",".join(RETURN_HEADER), *(",".join(str(c) for c in r) for r in rows)]
    return ("\n".join(lines) + "\n").encode()


def duplicates(megabytes: float) -> bytes:
    """One PI returned over and over: the rules' duplicate message names every other row."""
    line = csv_bytes([row("HS-01")]).split(b"\n", 1)[1]
    return csv_bytes([]) + line * max(1, int(megabytes * 1024**2 / len(line)))


def many_rows(count: int) -> bytes:
    """`count` returns, each for a different PI (none in the register: each row one message,
    so the reading is measured, not the duplicate rule)."""
    return csv_bytes([row(f"X-{n:06d}", f"{n % 97}.5", note=f"Row {n}.") for n in range(count)])


def tall_merges(count: int) -> bytes:
    """Three returns whose period cells sit in `count` merges each declared 100,000 rows down."""
    three = workbook({"Returns": [RETURN_HEADER, row("HS-01"), row("HS-02"), row("WR-01")]})
    return with_merges(three, [f"B{2 + n % 3}:B{100_000 + n}" for n in range(count)])


def widened(rows: int) -> bytes:
    """`rows` returns (for PIs not in the register, as in many_rows), each row ending in an
    empty formatted cell in column XFD."""
    content = [row(f"X-{n:06d}") for n in range(rows)]
    return with_cell_in_column(workbook({"Returns": [RETURN_HEADER, *content]}), "XFD")


def big_cases(tiny: bool) -> list[Case]:
    unclosed = b'pi_id,period,value,note\nHS-01,2025/26 Q1,85,"Steady.\nHS-02,2025/26 Q1,1,x\n'
    if tiny:
        return [
            ("merged_5000.xlsx", tall_merges(5_000), {}),
            ("xfd_500_rows.xlsx", widened(500), {}),
            ("duplicates_21mb.csv", duplicates(21), {}),
            ("rows_100001.csv", many_rows(100_001), {}),
            ("unclosed_quote.csv", unclosed, {}),
        ]
    raised = {"PM_MAX_FILE_MB": "60", "PM_MAX_FILE_ROWS": "1000000"}
    return [
        ("merged_5000.xlsx", tall_merges(5_000), {}),
        ("xfd_2000_rows.xlsx", widened(2_000), {}),
        ("duplicates_50mb.csv", duplicates(50), {}),
        ("rows_200000.csv", many_rows(200_000), {}),
        ("rows_100000.csv", many_rows(100_000), {}),
        ("rows_200000_limit_raised.csv", many_rows(200_000), raised),
    ]


def duplicate_cases() -> list[Case]:
    """Under the size limit, a file of duplicates still costs the rules (quality/evaluate.py)
    time and memory quadratic in its rows: each duplicate's message names every other one."""
    return [(f"duplicates_{mb}mb.csv", duplicates(mb), {}) for mb in (0.05, 0.1, 0.25, 0.5, 5)]


def corpus_cases(work: Path) -> list[Case]:
    """Every returns file the bad-input tests write, collected by running them."""
    base = work / "corpus"
    tests = sorted(str(p) for p in (REPO / "pm_pipeline_tests/bad_inputs").glob("test_returns_*"))
    subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider"),
            *("--basetemp", str(base), *(t for t in tests if "scale" not in t)),
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        check=False,
    )
    cases = []
    for path in sorted(base.glob(f"*/data/returns/{Q.folder}/**/*")):
        test = path.relative_to(base).parts[0]
        if path.is_file() and not (base / test).is_symlink():  # pytest's "...current" links
            cases.append((path.name, path.read_bytes(), {"case": f"{test}/{path.name}"}))
    return cases


def measure(data_dir: Path, rules: bool) -> dict[str, object]:
    """The pipeline's read of the quarter, then its rules: seconds, rows in, issues."""
    import pandas as pd

    from pm_pipeline.defs.intake.read import read_quarter
    from pm_pipeline.defs.register.load import load_register

    register = load_register(data_dir / "config")
    started = time.perf_counter()
    read, _ = read_quarter(data_dir / "returns", Q, register.canonical_ids())
    issues = len(read.issues)
    if rules:
        from pm_pipeline.defs.quality.evaluate import evaluate_returns

        history = pd.DataFrame(columns=["pi_id", "period", "value"])
        found = evaluate_returns(read.candidates, register.indicators, [Q], history, Q.end)
        issues += len(found.all_issues())
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": read.rows_in, "issues": issues}


def in_child(job: Callable[[], dict[str, object]]) -> tuple[dict[str, object] | None, float, str]:
    """`job` in a forked child: its result, the child's peak RSS in MiB, and how it ended."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(reader)
        code = 1
        try:
            signal.alarm(TIMEOUT_S)
            vm = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            resource.setrlimit(resource.RLIMIT_AS, (vm + MEMORY_CAP, vm + MEMORY_CAP))
            os.write(writer, json.dumps(job()).encode())
            code = 0
        except MemoryError:
            code = 3
        finally:
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        output = pipe.read()
    _, status, usage = os.wait4(pid, 0)
    peak = usage.ru_maxrss / 1024
    if os.WIFSIGNALED(status):
        signal_name = signal.Signals(os.WTERMSIG(status)).name
        return (
            None,
            peak,
            f"timed out after {TIMEOUT_S} s"
            if signal_name == "SIGALRM"
            else (f"killed ({signal_name})"),
        )
    if os.WEXITSTATUS(status):
        return None, peak, "out of memory" if os.WEXITSTATUS(status) == 3 else "failed"
    return json.loads(output), peak, ""


def run_case(clean: Path, work: Path, case: Case, rules: bool) -> tuple[dict | None, float, str]:
    name, content, env = case
    data_dir = work / "case"
    shutil.rmtree(data_dir, ignore_errors=True)
    shutil.copytree(clean, data_dir)
    if name:
        (data_dir / "returns" / Q.folder / name).write_bytes(content)
    limits = {k: v for k, v in env.items() if k.startswith("PM_")}

    def job() -> dict[str, object]:
        os.environ.update(limits)
        return measure(data_dir, rules)

    return in_child(job)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a handful of cases, reading only")
    args = parser.parse_args()
    rules = not args.tiny
    if rules:
        import great_expectations  # noqa: F401  (once, before the children are forked)

    with tempfile.TemporaryDirectory(prefix="hostile_files_") as tmp:
        work = Path(tmp)
        clean = work / "clean"
        clean_council(clean)
        cases = big_cases(args.tiny)
        if not args.tiny:
            cases += corpus_cases(work) + duplicate_cases()
        run_case(clean, work, ("warm_up.csv", b"", {}), rules)  # first read pays lazy imports
        base, base_peak, problem = run_case(clean, work, ("", b"", {}), rules)
        if base is None:
            raise SystemExit(f"the clean quarter could not be measured: {problem}")
        what = "read + rules" if rules else "read only"
        print(f"clean quarter {Q.label}: {base['rows']} rows, {what} {base['seconds']:.3f} s")
        print(
            f"{'file':<64} {'size':>9} {'seconds':>8} {'x clean':>8} {'peak MiB':>9}  rows  issues"
        )
        for case in cases:
            name, content, env = case
            result, peak, problem = run_case(clean, work, case, rules)
            label = env.get("case", name)[:64]
            size = f"{len(content) / 1024:,.0f} KB"
            if result is None:
                print(f"{label:<64} {size:>9} {problem}, peak {peak:,.0f} MiB")
                continue
            ratio = result["seconds"] / base["seconds"]
            print(
                f"{label:<64} {size:>9} {result['seconds']:8.3f} {ratio:8.1f} {peak:9,.0f}"
                f"  {result['rows']:>4}  {result['issues']}"
            )
        print(f"(clean peak {base_peak:,.0f} MiB; goal: at most 3x clean and 1,536 MiB a file)")


if __name__ == "__main__":
    main()
