"""The portal in a real headless Chromium, driven by the keyboard alone: an owner's figure
breaks a rule, the error summary leads to the field, the fixed figure is saved to the returns
folder; the manager queries it, the owner sees the query and resubmits, the manager approves.
axe-core's WCAG A and AA rules run on every page the walk-through meets, at a desktop width
and at 320 px, where nothing may scroll sideways. One browser session for the whole walk."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import Page

from pm_pipeline.portal.security import Settings
from pm_pipeline_tests.browser import axe_violations, chrome, describe, run, set_width
from pm_pipeline_tests.council import run_job
from pm_pipeline_tests.portal.serve import MANAGER, OWNER, TEAM, Q, portal_council, serving

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

WIDTHS = {"desktop": 1280, "narrow": 320}
FOCUSED = """
const el = document.activeElement;
return {id: el.id, tag: el.tagName.toLowerCase(), type: el.getAttribute('type') || '',
        text: el.textContent.replace(/\\s+/g, ' ').trim().slice(0, 300),
        value: el.value === undefined ? '' : el.value, checked: !!el.checked};
"""


def focused(page: Page) -> dict:
    return run(page, FOCUSED)


def tab_to(page: Page, matches: str, limit: int = 80) -> dict:
    """Press Tab until the focused element matches the CSS selector `matches`, as a keyboard
    user moves through the page; fails if Tab never reaches it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if run(page, "return document.activeElement.matches(arguments[0]);", matches):
            return focused(page)
    raise AssertionError(f"Tab never reached {matches} on {page.url}")


def choose_radio(page: Page, group: str, value: str) -> None:
    """Tab into a radio group and move to `value` with the arrow keys (which selects it), or
    Space on it."""
    tab_to(page, f'input[type=radio][name="{group}"]')
    for _ in range(20):
        if run(page, "return document.activeElement.value;") == value:
            break
        page.keyboard.press("ArrowDown")
    if not focused(page)["checked"]:
        page.keyboard.press("Space")  # Tab focuses an unchecked first radio without choosing it
    here = focused(page)
    assert here["value"] == value and here["checked"], here


def type_into(page: Page, selector: str, text: str) -> None:
    """Tab to a field, clear it and type."""
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/signin")
    choose_radio(page, "email", email)
    tab_to(page, "button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def sign_out(page: Page) -> None:
    tab_to(page, 'form[action="/signout"] button')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/signin")


class Audit:
    """axe on each page the walk meets, at each width; the findings gathered, not stopped at."""

    def __init__(self, page: Page):
        self.page = page
        self.found: list[str] = []
        self.pages: list[str] = []

    def __call__(self, name: str) -> None:
        for label, width in WIDTHS.items():
            set_width(self.page, width)  # the page as it is (an error state is a POST's answer)
            violations = axe_violations(self.page)
            if violations:
                self.found.append(f"{name} at {label}: {describe(violations)}")
            wide = run(self.page, "return document.documentElement.scrollWidth;")
            if wide > width:
                self.found.append(f"{name} at {label}: the page is {wide}px wide")
        set_width(self.page, WIDTHS["desktop"])
        self.pages.append(name)


def test_owner_and_manager_walk_through_with_the_keyboard_and_axe_finds_nothing(data_dir: Path):
    portal_council(data_dir, load=False)
    assert run_job(data_dir, "register_job").success
    portal_file = data_dir / "returns" / Q.folder / "portal_owner_at_test.example.csv"
    with serving(Settings(data_dir=data_dir, demo_login=True)) as host, chrome() as page:
        base = f"http://{host}"
        audit = Audit(page)
        page.goto(f"{base}/")
        assert page.url.endswith("/signin")
        audit("sign-in")

        # the owner: a figure over the PI's valid maximum, by keyboard alone
        sign_in(page, base, OWNER)
        audit("start")
        page.goto(f"{base}/returns")
        audit("returns")
        type_into(page, "#value-0", "150")
        choose_radio(page, "status-0", "final")
        type_into(page, "#note-0", "Record lettings after the new scheme")
        tab_to(page, "#save button")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        summary = page.locator(".govuk-error-summary")
        assert summary.is_visible() and "There is a problem" in summary.inner_text()
        assert page.title().startswith("Error: ")
        assert not portal_file.exists()
        audit("returns with an error")
        link = tab_to(page, '.govuk-error-summary a[href="#value-0"]')
        assert "between 0 and 100" in link["text"], link
        page.keyboard.press("Enter")
        assert page.url.endswith("#value-0")
        field = page.locator("#value-0")
        assert field.input_value() == "150" and field.is_visible()  # scrolled to, as typed
        assert "between 0 and 100" in page.locator("#value-0-error").inner_text()
        assert focused(page)["id"] == "value-0"  # the link puts the cursor in the field
        page.keyboard.press("Control+A")
        page.keyboard.type("85.5")
        tab_to(page, "#save button")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "are saved" in page.locator(".govuk-notification-banner").inner_text()
        assert page.locator(".govuk-error-summary").count() == 0
        with portal_file.open(newline="") as f:
            saved = list(csv.DictReader(f))
        assert [(r["pi_id"], r["value"], r["status"], r["submitted_by"]) for r in saved] == [
            ("KPI-1", "85.5", "final", OWNER)
        ]
        page.goto(f"{base}/pi/KPI-1")
        trail = page.locator("table").inner_text()
        assert "return saved: nothing → 85.5 (final)" in trail and "150" not in trail
        audit("PI page")
        sign_out(page)

        # the manager queries it, with a comment
        sign_in(page, base, MANAGER)
        page.goto(f"{base}/check")
        audit("figures to check")
        tab_to(page, 'button[value="query"]')
        with page.expect_navigation():
            page.keyboard.press("Enter")  # a query without a comment
        assert "Say what is wrong with KPI-1" in page.locator(".govuk-error-summary").inner_text()
        audit("figures to check with an error")
        type_into(page, "#comment-0", "Is 85.5 right? It was 60 last year.")
        tab_to(page, 'button[value="query"]')
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Recorded: KPI-1: queried" in page.locator(".govuk-notification-banner").inner_text()
        sign_out(page)

        # the owner sees the query and resubmits
        sign_in(page, base, OWNER)
        page.goto(f"{base}/returns")
        query = page.locator(".govuk-inset-text", has_text="Queried").inner_text()
        assert "Mo Manager" in query and "Is 85.5 right? It was 60 last year." in query
        type_into(page, "#value-0", "58.5")
        type_into(page, "#note-0", "Corrected: 85.5 counted offers, not lettings.")
        tab_to(page, "#save button")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "are saved" in page.locator(".govuk-notification-banner").inner_text()
        page.goto(f"{base}/progress")
        assert page.locator("h1").inner_text() == "You cannot do this"  # an owner: 403
        audit("refused (403)")
        sign_out(page)

        # the manager approves, pressing Space on the button
        sign_in(page, base, MANAGER)
        page.goto(f"{base}/check")
        assert "58.5" in page.locator("main").inner_text()
        tab_to(page, 'button[value="approved"]')
        with page.expect_navigation():
            page.keyboard.press("Space")
        assert (
            "Recorded: KPI-1: approved" in page.locator(".govuk-notification-banner").inner_text()
        )
        audit("figures to check, decided")
        sign_out(page)

        # the data team's progress page
        sign_in(page, base, TEAM)
        page.goto(f"{base}/progress")
        row = page.locator("tr", has_text="KPI-1").inner_text()
        assert "Yes" in row and "Checked" in row
        audit("progress")
    decisions = list(
        csv.DictReader(
            (data_dir / "signoff" / Q.folder / "portal_manager_at_test.example.csv").open()
        )
    )
    assert [(d["pi_id"], d["decision"], d["checked_by"]) for d in decisions] == [
        ("KPI-1", "query", MANAGER),
        ("KPI-1", "approved", MANAGER),
    ]
    assert len(audit.pages) == 10  # sign-in, start, returns, check, PI, progress, errors, 403
    assert audit.found == [], "\n".join(audit.found)
