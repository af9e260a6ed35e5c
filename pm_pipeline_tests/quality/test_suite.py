"""The saved suite is what the code checks, so a rule change shows in review as its diff."""

import subprocess
import sys
from pathlib import Path

import pytest

from pm_pipeline.defs.quality.rules import RETURN_RULES
from pm_pipeline.defs.quality.suite import REGENERATE, returns_suite, saved_suite, suite_json

REPO = Path(__file__).resolve().parents[2]


def test_the_saved_suite_is_the_codes_suite():
    code = suite_json(returns_suite())
    saved = saved_suite()
    assert code == saved, (
        f"pm_pipeline/quality/suites/pi_returns.json differs from the rules in the code: run "
        f"`{REGENERATE}` and commit the file, so reviewers see the rule change as its diff"
    )


def test_every_returns_rule_read_from_files_is_in_the_suite_with_its_severity():
    saved = saved_suite()
    in_suite = {e["meta"]["rule"]: e["meta"]["severity"] for e in saved["expectations"]}
    read_rules = {"file_readable", "row_readable"}  # checked while reading, before GX
    statistics = {"statistic_agrees"}  # checked against district_context, after GX
    expected = {r.name: r.severity for r in RETURN_RULES if r.name not in read_rules | statistics}
    assert in_suite == expected
    assert all(e["meta"]["message"] for e in saved["expectations"])
    warn = {e["severity"] for e in saved["expectations"] if e["meta"]["severity"] == "WARN"}
    assert warn == {"warning"}


def test_loading_the_code_location_does_not_import_great_expectations():
    code = "import sys, pm_pipeline.definitions; print('great_expectations' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "False"


@pytest.mark.slow  # the bench script in a subprocess (Great Expectations imported afresh)
def test_the_quality_bench_runs_at_tiny_size():
    out = subprocess.run(
        [sys.executable, "bench/quality_checks.py", "--tiny"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert "Great Expectations suite:" in out.stdout
    assert "the same rules in plain pandas:" in out.stdout
    assert "ratio GX / pandas" in out.stdout
