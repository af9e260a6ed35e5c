"""A real headless Chromium for the UI and accessibility tests, driven by Playwright.

The system's Chromium (`PM_CHROMIUM` or the PATH, as the PDFs use), so no driver binary and no
browser download: Playwright speaks to it over its DevTools pipe.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import CDPSession, Page, sync_playwright

from pm_pipeline.render.chromium import executable, sandboxed

REPO = Path(__file__).resolve().parent.parent
AXE_JS = REPO / ".cache" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_SESSIONS: weakref.WeakKeyDictionary[Page, CDPSession] = weakref.WeakKeyDictionary()


def require_browser() -> str:
    """The browser's path, or the test is skipped saying how to install it."""
    try:
        return executable()
    except RuntimeError as missing:
        pytest.skip(f"{missing} (.ci/run installs it)")


@contextmanager
def chrome(width: int = 1280, height: int = 1000) -> Iterator[Page]:
    """A tab in a fresh headless Chromium whose window is `width` × `height` pixels."""
    chromium = require_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            chromium_sandbox=sandboxed(),
            args=["--disable-gpu", "--disable-quic", f"--window-size={width},{height}"],
        )
        try:
            # the window's size, not Playwright's fixed viewport, so set_width can change it
            page = browser.new_context(no_viewport=True).new_page()
            yield page
        finally:
            browser.close()


def run(page: Page, body: str, *args: Any) -> Any:
    """Run `body`, a function body that may `return` (and read `arguments`), in the page."""
    return page.evaluate(f"(args) => (function () {{ {body} }}).apply(null, args)", list(args))


def _devtools(page: Page) -> CDPSession:
    """The page's own DevTools session, opened once (for what Playwright has no call for)."""
    if page not in _SESSIONS:
        _SESSIONS[page] = page.context.new_cdp_session(page)
    return _SESSIONS[page]


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core's WCAG 2.0/2.1/2.2 A and AA rules on the page loaded in `page`."""
    if not AXE_JS.exists():
        pytest.skip("axe-core is not installed (make test installs it with npm into .cache/)")
    page.evaluate("source => { (0, eval)(source); }", AXE_JS.read_text(encoding="utf-8"))
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations).catch(e => [{id: 'axe-error', help: String(e)}])",
        WCAG_TAGS,
    )


def set_width(page: Page, width: int, height: int = 900) -> None:
    """Lay pages out for a `width`-pixel screen; below 600 pixels, as a phone (mobile viewport)."""
    _devtools(page).send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def accessible_names(page: Page, selector: str) -> list[str]:
    """The names Chromium gives assistive technology for each element matching `selector`."""
    devtools = _devtools(page)
    root = devtools.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    found = devtools.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})
    names = []
    for node in found["nodeIds"]:
        tree = devtools.send(
            "Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False}
        )
        names.append(str(tree["nodes"][0].get("name", {}).get("value", "")))
    return names


def full_page_screenshot(page: Page, path: Path) -> Path:
    """Save a PNG of the whole page as laid out now, however tall."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True)
    return path


def describe(violations: list[dict]) -> str:
    """axe's violations in one line each: rule, impact, help and the first five elements."""
    return "; ".join(
        f"{v['id']} ({v.get('impact')}): {v.get('help')} at "
        + ", ".join(" ".join(n["target"]) for n in v.get("nodes", [])[:5])
        for v in violations
    )
