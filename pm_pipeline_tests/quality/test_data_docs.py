"""The data team's view: each run's GX Data Docs page, linked from the checks, opened in Chromium
with the internet cut off, as on a council server: the index's table is drawn, the pages say
whether the run passed, passed with warnings or failed, and axe-core finds nothing."""

from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from playwright.sync_api import Page

from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.intake.read import read_quarter
from pm_pipeline.defs.quality.data_docs import ASSETS, CDN_COPIES, write_data_docs
from pm_pipeline.defs.quality.evaluate import evaluate_returns
from pm_pipeline.defs.register.load import load_register
from pm_pipeline_tests.browser import (
    axe_violations,
    chrome,
    describe,
    full_page_screenshot,
    set_width,
)
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

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]  # Chromium and a run each

# desktop and phone widths as the reports are checked, and the desktop in dark mode (the pages
# carry Bootstrap's dark theme, as GX's templates do)
INDEX = ".ge-index-page-validation-results-table"  # the index's table of validations
LOOKS = {"desktop": (1280, "light"), "phone": (390, "light"), "dark": (1280, "dark")}


def offline(page: Page) -> list[str]:
    """Cut the tab off from everything but files, as a server without the internet is; the
    addresses the pages asked for outside (none, when they work offline)."""
    asked: list[str] = []

    def refuse(route) -> None:
        asked.append(route.request.url)
        route.abort("internetdisconnected")

    page.context.route(lambda url: not url.startswith("file:"), refuse)
    return asked


def text(page: Page) -> str:
    """The page's text as shown, spaces collapsed."""
    return " ".join(page.inner_text("body").split())


def shown_rows(page: Page, selector: str) -> list[str]:
    """The text of each row of the tables matching `selector` that a reader can see."""
    rows = page.locator(f"{selector} tbody tr")
    return [" ".join(r.inner_text().split()) for r in rows.all() if r.is_visible()]


def axe_everywhere(page: Page, url: str) -> dict[str, str]:
    """axe-core's WCAG A and AA violations on the page at each of LOOKS (none: an empty dict)."""
    found = {}
    for look, (width, scheme) in LOOKS.items():
        page.emulate_media(color_scheme=scheme)
        set_width(page, width)
        page.goto(url)
        violations = axe_violations(page)
        if violations:
            found[look] = describe(violations)
    page.emulate_media(color_scheme="light")
    set_width(page, LOOKS["desktop"][0])
    return found


def earlier_runs(data_dir: Path, quarter: Quarter, runs: int) -> None:
    """The site as `runs` earlier validations of the quarter's files left it (the sensor re-reads
    a quarter each time a file is saved): the intake's evaluation and Data Docs, without Dagster."""
    register = load_register(data_dir / "config")
    read, _ = read_quarter(data_dir / "returns", quarter, register.canonical_ids())
    history = pd.DataFrame(columns=["pi_id", "period", "value"])
    for _ in range(runs):
        evaluation = evaluate_returns(
            read.candidates, register.indicators, [quarter], history, date(2025, 8, 15)
        )
        write_data_docs(evaluation, [quarter], data_dir, data_dir / "reports")


def test_data_docs_show_the_quarters_failing_warn_rules(data_dir: Path, tmp_path: Path):
    rows = replace(good_rows(), "SVC-1", AT, "28/07/2025 09:00")  # late
    rows = replace(rows, "CNT-1", STATUS, "provisional")  # still provisional
    small_council(data_dir).returns(Q, "service.csv", rows)
    earlier_runs(data_dir, Q, 5)  # the index then has 12 rows: it pages them, 10 at a time
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
        outside = offline(browser)
        browser.goto((site / "index.html").as_uri())
        # the index's table, drawn by bootstrap-table from the site's own copy: a row for each
        # validation, newest first, with its status in words and the run a link to its page
        listed = shown_rows(browser, INDEX)
        assert len(listed) == 10 and "Showing 1 to 10 of 12 rows" in text(browser), listed
        newest = sorted(listed[:2])  # this run's two validations
        assert newest[0].startswith("Passed 2") and "Returns owed, 2025/26 Q1" in newest[0]
        assert (
            newest[1].startswith("Passed with warnings") and "PI returns, 2025/26 Q1" in newest[1]
        )
        full_page_screenshot(browser, tmp_path / "index.png")
        assert axe_everywhere(browser, (site / "index.html").as_uri()) == {}
        row = browser.locator(
            f"{INDEX} tbody tr", has_text="PI returns, 2025/26 Q1"
        ).first  # the newest
        row.get_by_role("link", name=Q.folder).click()  # a link the keyboard reaches too
        browser.wait_for_url(page.as_uri())
        title = browser.title()
        shown = text(browser)
        expectations = shown_rows(browser, ".ge-section table")
        full_page_screenshot(browser, tmp_path / "validation.png")
        assert axe_everywhere(browser, page.as_uri()) == {}
    assert outside == []  # nothing asked of the internet, in light or dark mode
    assert "Status: Passed with warnings" in shown  # the WARN rules failed; the run passed
    assert title == "PI returns, 2025/26 Q1: passed with warnings · Data Docs"
    assert "Data asset: PI returns, 2025/26 Q1" in shown  # the quarter it read
    assert "Unsuccessful Expectations 2" in shown
    assert Q.folder in shown  # the run is named after the quarter
    late = next(r for r in expectations if "submitted_on_time (WARN): submitted by" in r)
    assert (
        late.startswith("Failed") and "2025-07-28" in late
    )  # the late submission, beside its rule
    provisional = next(r for r in expectations if "final_figures (WARN)" in r)
    assert "provisional" in provisional
    assert sum(r.startswith("Passed") for r in expectations) == 17  # each outcome said in words


def test_data_docs_say_failed_when_an_error_rule_fails(data_dir: Path, tmp_path: Path):
    q2 = Quarter(2025, 2)
    small_council(data_dir).returns(q2, "service.csv", good_rows(q2, kpi=104.2))  # over 100%
    result = run_quarter(data_dir, as_of="2025-11-15", key=q2.key)
    assert check_results(result)["value_in_range"] is False
    site = data_dir / "reports" / "data_docs"
    with chrome() as browser:
        outside = offline(browser)
        browser.goto((site / "index.html").as_uri())
        listed = shown_rows(browser, INDEX)
        browser.locator(f"{INDEX} tbody tr", has_text="PI returns, 2025/26 Q2").get_by_role(
            "link", name=q2.folder
        ).click()
        browser.wait_for_url(f"**/validations/pi_returns/{q2.folder}/*/pi_returns-rows.html")
        shown = text(browser)
        expectations = shown_rows(browser, ".ge-section table")
        full_page_screenshot(browser, tmp_path / "failed.png")
        assert axe_everywhere(browser, browser.url) == {}
    assert outside == []
    assert any(r.startswith("Failed") and "PI returns, 2025/26 Q2" in r for r in listed), listed
    assert "Status: Failed" in shown and "with warnings" not in shown
    assert "Data asset: PI returns, 2025/26 Q2" in shown
    assert any(r.startswith("Failed value_in_range (ERROR)") for r in expectations)


def test_the_installed_package_ships_every_file_the_pages_load(installed: Path):
    assert {p for p in CDN_COPIES.values() if not (ASSETS / "vendor" / p).is_file()} == set()
    checkout = ASSETS.parents[3]  # the folder pm_pipeline is in
    shipped = installed / ASSETS.relative_to(checkout)
    files = {p.relative_to(ASSETS) for p in ASSETS.rglob("*") if p.is_file()}
    assert {p for p in files if not (shipped / p).is_file()} == set()
    assert {"data_docs.js", "data_docs.css"} <= {p.name for p in files}
