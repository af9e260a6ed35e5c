"""PDF from the same HTML as the web page, printed by headless Chromium (real text, tagged).

Chromium lays a long report out about three times faster than WeasyPrint did. A report with
many PIs is printed in parts, a tab per core in one browser, then joined (`pdf_join`), so a
1,000-PI scorecard takes under a minute and no tab holds more than its own part's pages.
The assets that print ask for the `pdf_printer` resource, so a test that does not look at the
PDF can hand them one that does not start a browser.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dagster as dg

from pm_pipeline.render.chromium import Chromium
from pm_pipeline.render.pdf_parts import HEAD_END, head, split

# a tab's memory grows with its part: 30 rather than 50 pays for Playwright's driver process
# (docs/pdf-printing.md)
PIS_PER_PART = 30


def default_tabs() -> int:
    """Tabs printing at once: one per two cores. Each tab's renderer holds ~110 MiB more at
    1,000 PIs, and beside Playwright's driver the 1 GiB budget has room for one on a 2-core
    machine (one tab: 40 s, 914 MiB; two: 31 s, 1,025 MiB; docs/pdf-printing.md)."""
    return max(1, len(os.sched_getaffinity(0)) // 2)


NO_MARGIN_BOXES = "<style>@page { @bottom-right { content: none } }</style>"  # numbered once joined


class PdfPrinter(dg.ConfigurableResource):
    """The `pdf_printer` resource: a report's HTML as a tagged PDF, printed by headless
    Chromium (`html_to_pdf`). A resource so that tests that do not look at PDFs can swap it."""

    pis_per_part: int = PIS_PER_PART
    tabs: int = 0  # printing at once; 0: one per two cores (default_tabs)

    def to_pdf(self, html: str, base_dir: Path) -> bytes:
        """The PDF of `html`, whose relative links resolve from `base_dir`."""
        return html_to_pdf(html, base_dir, self.pis_per_part, self.tabs or default_tabs())


def html_to_pdf(
    html: str, base_dir: Path, pis_per_part: int = PIS_PER_PART, tabs: int = 1
) -> bytes:
    """A tagged PDF of `html`; relative links resolve from `base_dir`, where the parts are
    written (hidden, removed after) so links between parts stay links within the PDF."""
    import pikepdf  # pikepdf (qpdf) only when a PDF is made, not when the code location loads

    from pm_pipeline.render.pdf_join import join, stamp_footers

    base_dir.mkdir(parents=True, exist_ok=True)
    parts = split(html, pis_per_part)
    with tempfile.TemporaryDirectory(prefix=".pdf-parts-", dir=base_dir) as tmp:
        work = Path(tmp)
        sources = []
        for i, part in enumerate(parts):
            source = base_dir / f".{work.name}-{i}.html"
            source.write_text(part.html.replace(HEAD_END, NO_MARGIN_BOXES + HEAD_END, 1))
            sources.append(source)
        printed = [work / f"part-{i}.pdf" for i in range(len(parts))]
        footers = work / "footers.pdf"

        def footer_html(pages: int) -> Path:
            path = work / "footers.html"
            path.write_text(_footer_document(html, pages))
            return path

        try:
            _run(_print(sources, printed, footer_html, footers, tabs))
        finally:
            for source in sources:
                source.unlink(missing_ok=True)
        # the browser has gone before the join, so the two never hold memory at once
        out = work / "out.pdf"
        with join(printed, [p.ids for p in parts], html) as pdf, pikepdf.open(footers) as bottom:
            stamp_footers(pdf, bottom)
            pdf.save(out)
        return out.read_bytes()


def _run(printing: Coroutine[Any, Any, None]) -> None:
    """`printing` to the end, in a thread of its own if this one already runs an event loop
    (a caller's asyncio code, or a browser test's Playwright), which asyncio.run refuses."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(printing)
        return
    with ThreadPoolExecutor(max_workers=1) as apart:
        apart.submit(asyncio.run, printing).result()


async def _print(
    sources: list[Path],
    printed: list[Path],
    footer_html: Callable[[int], Path],
    footers: Path,
    tabs: int,
) -> None:
    """The parts, `tabs` at once (the first tab to fail stops the others), then the
    footers over as many pages as the parts came to, in the same browser."""
    import pikepdf

    at_once = asyncio.Semaphore(tabs)

    async def one(source: Path, pdf_file: Path) -> None:
        async with at_once:
            await browser.print_pdf(source, pdf_file)

    async with Chromium() as browser:
        try:
            async with asyncio.TaskGroup() as group:
                for source, pdf_file in zip(sources, printed, strict=True):
                    group.create_task(one(source, pdf_file))
        except ExceptionGroup as failed:  # the first tab's error, as if printed one by one
            raise failed.exceptions[0] from None
        pages = 0
        for path in printed:
            with pikepdf.open(path) as printed_part:
                pages += len(printed_part.pages)
        await browser.print_pdf(footer_html(pages), footers, backgrounds=False)


def _footer_document(html: str, pages: int) -> str:
    """The report's own head (so its @page rules) over `pages` empty pages."""
    page = '<div style="break-after: page; height: 1px"></div>'
    document_head = head(html) if HEAD_END in html else "<html>"
    return document_head + "<body>" + page * pages + "</body></html>"
