"""The data team's view: each run's GX Data Docs page, linked from the checks, open in Chromium."""

import re
from pathlib import Path

import dagster as dg

from pm_pipeline_tests.browser import chrome
from pm_pipeline_tests.council import check_results
from pm_pipeline_tests.quality.test_rules import (
    AT,
    STATUS,
    Q,
    good_rows,
    replace,
    run_quarter,
    small_council,
)


def test_data_docs_show_the_quarters_failing_warn_rules(data_dir: Path):
    rows = replace(good_rows(), "SVC-1", AT, "28/07/2025 09:00")  # late
    rows = replace(rows, "CNT-1", STATUS, "provisional")  # still provisional
    small_council(data_dir).returns(Q, "service.csv", rows)
    result = run_quarter(data_dir)
    assert result.success  # WARN rules never block
    assert check_results(result)["submitted_on_time"] is False
    linked = {
        e.check_name: e.metadata
        for e in result.get_asset_check_evaluations()
        if e.asset_key == dg.AssetKey("pi_returns")
    }
    (page,) = {Path(m["data docs"].value) for m in linked.values()}  # every check, one page
    site = data_dir / "reports" / "data_docs"
    assert page.is_file() and site in page.parents
    assert page.name == "pi_returns-rows.html" and Q.folder in page.parts  # named for the run
    with chrome() as browser:
        browser.goto((site / "index.html").as_uri())
        # the index lists the run's validations (its table is drawn by scripts from a CDN, so
        # offline the links are read from the page's data rather than clicked)
        pages = set(re.findall(r"validations/pi_returns[^\"' ]*?\.html", browser.content()))
        assert {Path(p).parts[-3] for p in pages} == {Q.folder}
        assert {Path(p).name for p in pages} == {"pi_returns-rows.html", "pi_returns-owed.html"}
        browser.goto(page.as_uri())
        text = browser.inner_text("body")  # as shown, like a reader sees it
    assert "Failed" in text or "failed" in text
    text = " ".join(text.split())
    assert "Unsuccessful Expectations 2" in text
    assert Q.folder in text  # the run is named after the quarter
    late = text.index("submitted_on_time (WARN)")  # each expectation names its rule
    assert "2025-07-28" in text[late : late + 400]  # the late submission, beside its rule
    provisional = text.index("final_figures (WARN)")
    assert "provisional" in text[provisional : provisional + 300]
