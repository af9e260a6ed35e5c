"""One headless Chromium, driven by Playwright, printing several pages at once (a tab each).

One browser for all of a report's parts rather than a browser per part: a browser costs about
300 MB and a second of start-up before it prints anything. Playwright launches the system's
Chromium (`PM_CHROMIUM` or the PATH), never a browser of its own, so nothing is downloaded.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

# A part of 30 PIs prints in seconds; a tab that takes longer than this is stuck, and its
# report fails now rather than holding the run for the old ten minutes.
TAB_TIMEOUT_S = 120.0
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ARGS = [
    "--disable-gpu",
    "--enable-low-end-device-mode",  # smaller caches: -80 MiB at 1,000 PIs, same pages
]
# the browser's stderr, as Playwright's launch error quotes it
ERR_LINE = re.compile(r"^\[pid=\d+\]\[err\] (.*)$", re.M)
T = TypeVar("T")


def executable() -> str:
    """The browser: `PM_CHROMIUM`, or the first of the usual names on the PATH."""
    for name in (os.environ.get("PM_CHROMIUM"), *BROWSERS):
        if name and (found := shutil.which(name)):
            return found
    raise RuntimeError(
        "PDFs are printed by headless Chromium, which is not installed: install it "
        "(Debian/Ubuntu: `sudo apt-get install chromium`) or set PM_CHROMIUM to its path"
    )


def sandboxed() -> bool:
    """Chromium's own sandbox, unless running as root (it refuses to) or PM_CHROMIUM_SANDBOX=off
    (a container whose seccomp profile blocks the namespaces it needs). It prints only our own
    autoescaped pages, with no scripts, from local files."""
    return os.geteuid() != 0 and os.environ.get("PM_CHROMIUM_SANDBOX", "on") != "off"


def _said(error: PlaywrightError) -> str:
    """What the browser wrote to stderr before it stopped, else Playwright's own first line."""
    lines = ERR_LINE.findall(error.message)
    return "\n".join(lines)[-800:] if lines else error.message.splitlines()[0]


class Chromium:
    """`async with Chromium() as browser: await browser.print_pdf(html_file, pdf_file)`;
    any number of prints may run at once, each in a tab of its own while it prints. A tab that
    printed is kept for the next print (no renderer to start again); one that failed is closed."""

    def __init__(self, timeout_s: float = TAB_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._tabs: BrowserContext | None = None
        self._idle: list[tuple[Page, asyncio.Future[None]]] = []

    async def __aenter__(self) -> Chromium:
        path = executable()
        self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=path,
                args=ARGS,
                chromium_sandbox=sandboxed(),
                timeout=self.timeout_s * 1000,
            )
        except PlaywrightError as error:
            await self._playwright.stop()
            raise RuntimeError(f"Chromium stopped: {_said(error)}") from None
        # every tab in one context (Playwright's new_page() would make a context for each)
        self._tabs = await self._browser.new_context()
        return self

    async def __aexit__(self, *_: object) -> None:
        try:
            if self._browser is not None:
                await self._browser.close()
        finally:
            if self._playwright is not None:
                await self._playwright.stop()

    async def print_pdf(self, html_file: Path, pdf_file: Path, backgrounds: bool = True) -> None:
        """Print `html_file` to `pdf_file` in a tab no other print is using (tagged, with
        bookmarks); `backgrounds=False` leaves the page transparent, for a layer stamped on
        others."""
        assert self._tabs is not None, "use `async with Chromium() as browser`"
        if self._idle:
            page, crashed = self._idle.pop()
        else:
            page = await self._tabs.new_page()
            crashed = asyncio.get_running_loop().create_future()

            def on_crash(_: Page, crashed: asyncio.Future[None] = crashed) -> None:
                if not crashed.done():
                    crashed.set_result(None)

            page.on("crash", on_crash)
        printed = False
        try:
            try:
                await self._unless_stuck(
                    page, crashed, html_file, page.goto(html_file.resolve().as_uri(), timeout=0)
                )
            except PlaywrightError as error:  # else it would print the browser's error page
                raise RuntimeError(
                    f"Chromium could not open {html_file}: {error.message}"
                ) from None
            # the page's own @page size and margins, no header or footer of Chromium's
            pdf = page.pdf(
                print_background=backgrounds,
                prefer_css_page_size=True,
                tagged=True,
                outline=True,
            )
            try:
                data = await self._unless_stuck(page, crashed, html_file, pdf)
            except PlaywrightError as error:
                raise RuntimeError(
                    f"Chromium could not print {html_file}: {error.message}"
                ) from None
            pdf_file.write_bytes(data)
            printed = True
        finally:
            if printed:
                self._idle.append((page, crashed))
            elif not page.is_closed():
                await page.close()

    async def _unless_stuck(
        self, page: Page, crashed: asyncio.Future[None], html_file: Path, step: Awaitable[T]
    ) -> T:
        """`step`, or an error as soon as its tab crashes or after `timeout_s` without an answer."""
        task = asyncio.ensure_future(step)
        waiting: set[asyncio.Future[Any]] = {task, crashed}
        done, _ = await asyncio.wait(
            waiting, timeout=self.timeout_s, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            return task.result()
        task.cancel()
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # retrieved: no warning
        if crashed in done:
            raise RuntimeError(
                f"Chromium's tab printing {html_file} crashed (out of memory? fewer PIs per part "
                "print in smaller tabs)"
            )
        await page.close()  # frees the renderer; the cancelled step ends with its tab
        raise RuntimeError(
            f"Chromium's tab printing {html_file} did not finish within {self.timeout_s:g} s"
        )
