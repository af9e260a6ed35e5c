"""The State of the District files: `state_of_the_district.html` and the same page as a PDF."""

from __future__ import annotations

from pathlib import Path

from pm_pipeline.core.files import write_atomic
from pm_pipeline.render.pages import render_html
from pm_pipeline.render.pdf import PdfPrinter

TEMPLATE = "state_of_the_district.html.j2"
HTML_NAME = "state_of_the_district.html"
PDF_NAME = "state_of_the_district.pdf"


def render(view: dict) -> str:
    return render_html(TEMPLATE, **view)


def write_report(folder: Path, view: dict, printer: PdfPrinter) -> dict[str, Path]:
    """Both files for one half-year; each is written whole, and only once both are made."""
    html = render(view)
    pdf = printer.to_pdf(html, folder)
    return {
        "html": write_atomic(folder / HTML_NAME, html),
        "pdf": write_atomic(folder / PDF_NAME, pdf),
    }
