"""A `pdf_printer` for tests that do not look at the PDF: no browser, so no Chromium start-up,
no parts and no join (a PDF step in a fraction of a second instead of seconds).

It writes a small valid one-page PDF (pikepdf) that says what it was asked to print: the
report's `<title>` as the page's text and the PDF's title, and the HTML's length and folder in
its metadata, so a test can still check which report an asset printed. Use it in place of the
real printer where a test builds its resources:

    resources = {**build_resources(data_dir), "pdf_printer": PlainPdfPrinter()}
    dg.materialize([state_of_the_district], resources=resources, ...)

or for a job of the whole code location, `job.execute_in_process(..., resources={"pdf_printer":
PlainPdfPrinter()})`. Tests that look at the PDF's pages, tags or bookmarks keep the real
`PdfPrinter`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pikepdf
from pikepdf import Dictionary, Name

from pm_pipeline.render.pdf import PdfPrinter

TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.S | re.I)
A4 = (595, 842)


class PlainPdfPrinter(PdfPrinter):
    """One A4 page naming the report, written without a browser."""

    def to_pdf(self, html: str, base_dir: Path) -> bytes:
        """A one-page PDF whose text and title are the report's title."""
        found = TITLE.search(html)
        title = " ".join(found.group(1).split()) if found else "Untitled report"
        pdf = pikepdf.new()
        font = pdf.make_indirect(
            Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
        )
        text = title.encode("latin-1", "replace").replace(b"\\", b"\\\\")
        text = text.replace(b"(", b"\\(").replace(b")", b"\\)")
        content = b"BT /F1 14 Tf 56 780 Td (" + text + b") Tj ET"
        page = pikepdf.Page(
            Dictionary(
                Type=Name.Page,
                MediaBox=[0, 0, *A4],
                Resources=Dictionary(Font=Dictionary(F1=font)),
                Contents=pdf.make_stream(content),
            )
        )
        pdf.pages.append(page)
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:title"] = title
            meta["dc:description"] = f"printed by PlainPdfPrinter: {len(html)} characters of HTML"
            meta["dc:source"] = str(base_dir)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
