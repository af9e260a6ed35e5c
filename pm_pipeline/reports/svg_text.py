"""A faster way for WeasyPrint to draw the charts' SVG labels: one text run per label.

WeasyPrint (70) lays out and draws every `<text>` of an SVG one letter at a time, so that
per-letter `x`/`dy`/`rotate` lists work: a Pango layout per character. The charts' labels
never position letters, and their ~50-400 letters a chart were about 40% of a scorecard
PDF's time (0.11 s CPU a chart). For a label with one position, no rotation, letter-spacing
or `textLength`, this draws the whole string as one run (same font, same place, Pango's
own glyph advances, still real, selectable text); anything else goes to WeasyPrint's own
function. `install()` swaps it into WeasyPrint's SVG tag table, once, when a PDF is made.
"""

from __future__ import annotations

from math import inf
from typing import Any

_ORIGINAL: Any = None
_LETTERWISE = (
    "rotate",
    "letter-spacing",
    "textLength",
    "dx",
    "dy",
    "dominant-baseline",
    "alignment-baseline",
    "display-anchor",
)


def _simple(node: Any) -> bool:
    """One run is the same drawing: at most one x and y, nothing placed letter by letter."""
    attrib = node.attrib
    if any(name in attrib for name in _LETTERWISE):
        return False
    return all(len(str(attrib.get(axis, "")).replace(",", " ").split()) <= 1 for axis in "xy")


def fast_text(svg: Any, node: Any, font_size: float) -> None:
    """WeasyPrint's `svg.text.text` for a simple label, laid out and drawn as one run."""
    if not node.text or not _simple(node):
        _ORIGINAL(svg, node, font_size)
        return
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import extend_bounding_box
    from weasyprint.svg.text import Style, TextBox
    from weasyprint.svg.utils import normalize, size
    from weasyprint.text.line_break import split_first_line

    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [
        f.strip("\"'") for f in node.get("font-family", "sans-serif").split(",")
    ]
    style["font_style"] = node.get("font-style", "normal")
    weight = node.get("font-weight", 400)
    weight = {"normal": 400, "bold": 700}.get(weight, weight)
    try:
        style["font_weight"] = int(weight)
    except ValueError:
        style["font_weight"] = 400
    style["font_size"] = font_size
    if node.get("direction") in ("ltr", "rtl"):
        style["direction"] = node.get("direction")
    layout, _, _, width, height, baseline = split_first_line(node.text, style, svg.context, inf, 0)
    x = (
        size(normalize(node.attrib["x"]).strip(), font_size, svg.inner_width)
        if "x" in node.attrib
        else svg.cursor_position[0]
    )
    y = (
        size(normalize(node.attrib["y"]).strip(), font_size, svg.inner_height)
        if "y" in node.attrib
        else svg.cursor_position[1]
    )
    svg.cursor_d_position[0] = svg.cursor_d_position[1] = 0
    svg.cursor_position = x + width, y
    node.text_bounding_box = extend_bounding_box(
        node.text_bounding_box, ((x, y - baseline), (x + width, y - baseline + height))
    )
    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    box = TextBox(layout, style)
    box.baseline = baseline
    emojis = draw_first_line(svg.stream, box, "none", "none", Matrix(a=1, d=-1, e=x, f=y))
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)


TESTED_WITH = "70."  # the WeasyPrint whose svg.text this mirrors; any other keeps its own


def install() -> None:
    """Route WeasyPrint's SVG text tags through `fast_text` (idempotent). Only on the
    WeasyPrint it was written against: on another, its own function stays (and
    pm_pipeline_tests/reports/test_pdf.py fails, asking for this to be checked again)."""
    global _ORIGINAL
    import weasyprint
    import weasyprint.svg as wsvg

    if _ORIGINAL is not None or not weasyprint.__version__.startswith(TESTED_WITH):
        return
    _ORIGINAL = wsvg.text
    for tag, function in list(wsvg.TAGS.items()):
        if function is _ORIGINAL:
            wsvg.TAGS[tag] = fast_text
    wsvg.text = fast_text  # draw_node recognises text tags by comparing with this name
