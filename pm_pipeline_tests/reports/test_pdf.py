"""The PDF's chart labels: drawn as one text run each, still real text, same place.

WeasyPrint lays SVG text out letter by letter; `svg_text` draws a label with one position as
one run and leaves anything placed letter by letter to WeasyPrint. Both kinds are drawn here
and read back from the PDF with poppler's `pdftotext -bbox`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pm_pipeline.reports import svg_text
from pm_pipeline.reports.charts import trend_chart
from pm_pipeline.reports.pdf import html_to_pdf

SVG = (
    '<svg role="img" aria-label="t" width="300" height="90" viewBox="0 0 300 90" '
    'xmlns="http://www.w3.org/2000/svg" font-family="Arial, sans-serif">'
    '<text x="10" y="20" font-size="13">Single run label</text>'
    '<text x="200" y="40" font-size="13" text-anchor="end">Anchored end</text>'
    '<text x="10 30 50" y="70" font-size="13">xyz</text>'
    "</svg>"
)


def words(pdf: bytes, tmp: Path) -> list[tuple[str, float, float]]:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    path = tmp / "out.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [
        (w, float(x), float(y))
        for x, y, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]+)</word>', html
        )
    ]


def page(body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en-GB"><head><title>t</title></head><body>{body}</body></html>'
    )


def test_labels_are_real_text_one_run_each_and_letterwise_ones_left_to_weasyprint(
    tmp_path, monkeypatch
):
    svg_text.install()
    assert svg_text._ORIGINAL is not None, (
        "svg_text is not installed on this WeasyPrint: compare fast_text with its svg/text.py, "
        "then update svg_text.TESTED_WITH"
    )
    calls: list[str] = []
    original = svg_text._ORIGINAL
    monkeypatch.setattr(
        svg_text,
        "_ORIGINAL",
        lambda svg, node, size: calls.append(node.text) or original(svg, node, size),
    )
    found = words(html_to_pdf(page(SVG), tmp_path), tmp_path)
    text = [w for w, _, _ in found]
    assert text[:5] == ["Single", "run", "label", "Anchored", "end"]
    assert calls == ["xyz"]  # only the label placed letter by letter went the slow way
    letters = [(w, x) for w, x, _ in found if w in "xyz"]
    assert [w for w, _ in letters] == ["x", "y", "z"] and letters[0][1] < letters[1][1]
    origin = next(x for w, x, _ in found if w == "Single") - 10 * 0.75  # x=0 on the page, in pt
    anchored = next(x for w, x, _ in found if w == "Anchored")
    assert anchored < origin + 200 * 0.75 - 50  # it ends at x=200 (150 pt); it does not start there


def test_a_chart_reads_the_same_from_the_pdf_with_either_drawing(tmp_path, monkeypatch):
    chart = trend_chart(
        "t",
        "Recycling: trend",
        [("2025/26 Q1", 40.0, "RED", 50.0), ("2025/26 Q2", 52.5, "GREEN", 50.0)],
        "percent",
        1,
    )
    svg_text.install()
    fast = words(html_to_pdf(page(str(chart.svg)), tmp_path), tmp_path)
    monkeypatch.setattr(svg_text, "_simple", lambda node: False)  # every label the slow way
    slow = words(html_to_pdf(page(str(chart.svg)), tmp_path), tmp_path)
    assert [w for w, _, _ in fast] == [w for w, _, _ in slow]
    assert {"Q1", "Q2", "2025/26", "target"} <= {w for w, _, _ in fast}
    for (_, x1, y1), (_, x2, y2) in zip(fast, slow, strict=True):
        assert abs(x1 - x2) < 1.5 and abs(y1 - y2) < 1.5
