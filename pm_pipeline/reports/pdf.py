"""PDF from the same HTML as the web page (WeasyPrint: real text, tagged for screen readers)."""

from __future__ import annotations

from pathlib import Path


def html_to_pdf(html: str, base_dir: Path) -> bytes:
    """A tagged PDF/UA document of `html`; WeasyPrint is imported only when a PDF is made."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(base_dir)).write_pdf(pdf_variant="pdf/ua-1")
