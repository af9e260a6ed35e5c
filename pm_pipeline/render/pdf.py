"""PDF from the same HTML as the web page, printed by headless Chromium (real text, tagged).

Chromium lays a long report out about three times faster than WeasyPrint did. A report with
many PIs is printed in parts, a tab per core in one browser, then joined (`pdf_join`), so a
1,000-PI scorecard takes under a minute and no tab holds more than its own part's pages.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pm_pipeline.render.chromium import Chromium
from pm_pipeline.render.pdf_parts import HEAD_END, head, split

PIS_PER_PART = 50  # a tab's memory grows with its part; each part costs ~0.3 s
NO_MARGIN_BOXES = "<style>@page { @bottom-right { content: none } }</style>"  # numbered once joined


def html_to_pdf(html: str, base_dir: Path, pis_per_part: int = PIS_PER_PART) -> bytes:
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
        with Chromium() as browser:
            try:
                with ThreadPoolExecutor(max_workers=len(os.sched_getaffinity(0))) as tabs:
                    list(tabs.map(browser.print_pdf, sources, printed))
            finally:
                for source in sources:
                    source.unlink(missing_ok=True)
            pages = 0
            for path in printed:
                with pikepdf.open(path) as printed_part:
                    pages += len(printed_part.pages)
            footers_html = work / "footers.html"
            footers_html.write_text(_footer_document(html, pages))
            browser.print_pdf(footers_html, footers, backgrounds=False)
        # the browser has gone before the join, so the two never hold memory at once
        out = work / "out.pdf"
        with join(printed, [p.ids for p in parts], html) as pdf, pikepdf.open(footers) as bottom:
            stamp_footers(pdf, bottom)
            pdf.save(out)
        return out.read_bytes()


def _footer_document(html: str, pages: int) -> str:
    """The report's own head (so its @page rules) over `pages` empty pages."""
    page = '<div style="break-after: page; height: 1px"></div>'
    document_head = head(html) if HEAD_END in html else "<html>"
    return document_head + "<body>" + page * pages + "</body></html>"
