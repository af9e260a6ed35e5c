"""Rendering without domain knowledge: Jinja pages, workbooks and CSV, wording of numbers, SVG
charts and the PDF printer. Domains compose their reports from these."""
