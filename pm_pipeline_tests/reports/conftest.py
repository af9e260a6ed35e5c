"""The sample council's demo, run once per test worker for the modules that read its reports
(accessibility, counts, consistency: all in the `demo` xdist group, so one worker runs it)."""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from pm_pipeline_tests.pdf_printer import PlainPdfPrinter

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "data"

# What the sample's Cabinet paper carries (issue 27), on screen and in print: the council's
# frame from council.yaml, its sections, and the list behind the assurance statement.
CABINET_PAPER = [
    "Purpose of the report",
    "Recommendations",
    "That Cabinet notes the council's performance in 2026/27 Q2",
    "Portfolio holder",
    "Portfolio Holder for Resources and Performance",
    "Report author",
    "Policy and Performance Team",
    "Contact",
    "performance@sample-district.example",
    "Data cut-off",
    "21 October 2026, the close of data entry",
    "Cabinet, 18 November 2026",
    "Implications",
    "Financial",
    "Legal",
    "Equalities",
    "Corporate plan deliverables",
    "People: corporate plan deliverables, 2026/27 Q2",
    "Fit-for-purpose organisation: corporate plan deliverables, 2026/27 Q2",
    "Strategic risk summary",
    "Data assurance statement",
    "were checked by their manager before publication",
    "Appendix B: figures to read with care",
]


@dataclass(frozen=True)
class Demo:
    data: Path  # the demo's data directory: reports/, the warehouse, the files it read
    code: int  # demo.main()'s exit code
    output: str  # what it printed

    @property
    def reports(self) -> Path:
        return self.data / "reports"


def copy_shipped_sample(data: Path) -> None:
    """The sample as a fresh clone has it: the files git tracks under data/, not what earlier
    runs of `make demo` left there (archived versions and first-accepted records of other
    figures, which would read as restatements)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "data"], cwd=SAMPLE_DATA.parent, capture_output=True
    )
    if listed.returncode:  # not a checkout: the folder, less what runs write
        ignore = shutil.ignore_patterns(
            "reports", "warehouse*.duckdb*", "exports", "backups", "gx", "mail", "archive"
        )
        shutil.copytree(SAMPLE_DATA, data, ignore=ignore)
        return
    for name in filter(None, listed.stdout.decode().split("\0")):
        target = data / Path(name).relative_to("data")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SAMPLE_DATA.parent / name, target)


@pytest.fixture(scope="session")
def sample_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """`make demo` in-process on a copy of the shipped sample. Its PDFs come from the
    browser-free printer: the tests that look at a PDF print their own with Chromium."""
    from pm_pipeline import definitions
    from pm_pipeline.sample import demo

    root = tmp_path_factory.mktemp("sample-demo")
    data, home = root / "data", root / "dagster_home"
    copy_shipped_sample(data)
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    output = io.StringIO()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PM_DATA_DIR", str(data))
        env.setenv("DAGSTER_HOME", str(home))
        for name in ("LGINFORM_API_KEY", "LGINFORM_API_SECRET", "LGINFORM_BASE_URL"):
            env.delenv(name, raising=False)
        # `definitions.defs` is built when first imported, perhaps for another test's folder
        env.setattr(
            definitions, "defs", definitions.build_defs(data, pdf_printer=PlainPdfPrinter())
        )
        with contextlib.redirect_stdout(output), dg.DagsterInstance.ephemeral() as instance:
            code = demo.main(instance)  # runs in memory: no test reads them back
    return Demo(data, code, output.getvalue())
