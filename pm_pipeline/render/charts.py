"""Small inline SVG charts with text alternatives: a PI's trend, and its place among peers.

Written as plain SVG rather than through a plotting library: the charts are a few dozen
shapes, they must carry `<title>`/`<desc>` and RAG shapes for screen readers and print, and
they render identically in the browser and in Chromium's PDF without a 40 MB dependency.

Text is 13px in the chart's own coordinates. A chart is shown at the size it is drawn, or
smaller where its column is narrower (a phone), never stretched; it prints at its drawn size,
where 13px is 9.75pt. So charts are drawn only as wide as they need: a PI's trend
(`TREND_WIDTH`) and its SPC chart (`xmr_chart.WIDTH`) print side by side on A4, and axis labels
that would run into each other are left out (`AxisLabels`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from pm_pipeline.core.values import is_missing
from pm_pipeline.render.wording import format_value, rag_label

INK, MUTED, LINE, ACCENT = "#0b0c0c", "#484949", "#b1b4b6", "#1d3b5e"
RAG_FILL = {"GREEN": "#00703c", "AMBER": "#b58800", "RED": "#b10e1e"}
PEER_FILL = "#8eaacc"
FONT = 13
PRINT_WIDTH = 688  # A4 less report.css's 14mm margins (182mm), in CSS pixels
TREND_WIDTH = 290  # a PI's trend: beside its SPC chart within PRINT_WIDTH
TREND_HEIGHT = 200
TrendPoint = tuple[str, float | None, str | None, float | None]  # label, value, rating, target


@dataclass(frozen=True)
class Chart:
    svg: Markup
    alt: str


def element_id(text: str) -> str:
    """`text` as an HTML id / SVG id fragment: letters, digits, _ and - only, lower case."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-").lower()


def text_width(text: str, size: float = FONT, bold: bool = False) -> float:
    """A generous estimate of the width of `text` in Arial: enough to lay labels out clear."""
    return len(text) * size * (0.63 if bold else 0.58)


class AxisLabels:
    """Labels along an axis that never run into each other: one is drawn only where it clears
    the last one drawn by `gap`."""

    def __init__(self, gap: float = 6) -> None:
        self.gap = gap
        self.end = -math.inf

    def fits(self, x: float, text: str) -> bool:
        half = text_width(text) / 2
        if x - half < self.end + self.gap:
            return False
        self.end = x + half
        return True


def open_svg(sid: str, width: float, height: float, title: str, alt: str) -> str:
    """The opening of an accessible chart: an image named by its title, described by `alt`."""
    return (
        f'<svg role="img" aria-labelledby="{sid}-t {sid}-d" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'font-family="Arial, Helvetica, sans-serif" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{sid}-t">{escape(title)}</title><desc id="{sid}-d">{escape(alt)}</desc>'
    )


def _marker(x: float, y: float, rag: str | None, text: str) -> str:
    """A data point shaped by its rating (circle, triangle, square; open circle unrated).

    Each mark carries its figure as written in the description (`data-value`), so a test can
    prove the text alternative lists every value the chart draws."""
    fill = RAG_FILL.get(rag or "", "#fff")
    common = (
        f'class="mark" data-value="{escape(text)}" fill="{fill}" stroke="{INK}" stroke-width="1.2"'
    )
    if rag == "GREEN":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" {common}/>'
    if rag == "AMBER":
        pts = f"{x:.1f},{y - 6:.1f} {x + 6:.1f},{y + 5:.1f} {x - 6:.1f},{y + 5:.1f}"
        return f'<polygon points="{pts}" {common}/>'
    if rag == "RED":
        return f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" {common}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" {common}/>'


def _ticks(values: Sequence[float], whole: bool) -> tuple[list[float], int]:
    """Three to five round axis values (1, 2, 2.5 or 5 times a power of ten apart) spanning
    `values`, and the decimal places they need; `whole` keeps steps of at least 1."""
    low, high = min(values), max(values)
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / 3
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
    if whole:
        step = max(step, 1.0)
    start = math.floor(low / step + 1e-9) * step
    count = math.ceil((high - start) / step - 1e-9)
    places = next((p for p in range(4) if abs(round(step, p) - step) < 1e-9), 3)
    return [round(start + i * step, places) for i in range(count + 1)], places


def trend_chart(
    chart_id: str,
    title: str,
    points: Sequence[TrendPoint],
    unit: str,
    decimals: int,
    width: int = TREND_WIDTH,
    height: int = TREND_HEIGHT,
) -> Chart:
    """Values by period (label, value, rag, target) as a line with RAG-shaped markers, drawn
    `width` by `height` (the same text size at any size)."""
    top, bottom, inset = 12, 40, 12
    values = [v for _, v, _, _ in points if not is_missing(v)]
    targets = [t for *_, t in points if not is_missing(t)]
    fmt = lambda v: format_value(v, unit, decimals)  # noqa: E731
    alt_values = "; ".join(
        f"{label}: {fmt(v) if not is_missing(v) else 'no figure'}"
        + (f" ({rag_label(rag)})" if rag in RAG_FILL else "")
        + (f", target {fmt(t)}" if not is_missing(t) else "")
        for label, v, rag, t in points
    )
    periods = "quarters" if all(" Q" in label for label, *_ in points) else "periods"
    alt = f"{title}, last {len(points)} {periods}. {alt_values}."
    sid = element_id(chart_id)
    if not values:
        svg = (
            open_svg(sid, width, 60, title, alt)
            + f'<text x="8" y="34" fill="{MUTED}" font-size="{FONT}">No figures to chart yet.'
            "</text></svg>"
        )
        return Chart(Markup(svg), alt)
    ticks, places = _ticks(values + targets, whole=unit == "count" or int(decimals) == 0)
    tick_text = [format_value(t, unit, min(places, int(decimals))) for t in ticks]
    left = max(text_width(t) for t in tick_text) + 10
    right = text_width("target") + 14 if targets else 14
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = width - left - right - 2 * inset, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + inset + i * step, top + plot_h - (v - low) / (high - low) * plot_h

    parts = [open_svg(sid, width, height, title, alt)]
    for tick, text in zip(ticks, tick_text, strict=True):
        _, y = xy(0, tick)
        parts.append(
            f'<line x1="{left:.1f}" x2="{width - right:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{LINE}"/><text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="{FONT}" fill="{MUTED}">{escape(text)}</text>'
        )
    target_path = [xy(i, t) for i, (*_, t) in enumerate(points) if not is_missing(t)]
    if target_path:
        d = " ".join(
            f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(target_path)
        )
        parts.append(
            f'<path d="{d}" fill="none" stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
        tx, ty = target_path[-1]
        parts.append(
            f'<text x="{tx + 10:.1f}" y="{ty + 4:.1f}" font-size="{FONT}" fill="{MUTED}">'
            "target</text>"
        )
    line = [(i, v) for i, (_, v, _, _) in enumerate(points) if not is_missing(v)]
    d = " ".join(  # a quarter with no figure breaks the line rather than being drawn across
        f"{'L' if n and i == line[n - 1][0] + 1 else 'M'}{xy(i, v)[0]:.1f},{xy(i, v)[1]:.1f}"
        for n, (i, v) in enumerate(line)
    )
    parts.append(f'<path d="{d}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    first_q1 = next(
        (i for i, (label, *_) in enumerate(points) if label.endswith(" Q1")), len(points)
    )
    quarters, years = AxisLabels(), AxisLabels()
    for i, (label, v, rag, _) in enumerate(points):
        x, _ = xy(i, low)
        year, _, quarter = label.rpartition(" ")  # "2025/26 Q1"; annual labels are just "2025/26"
        if quarters.fits(x, quarter):
            parts.append(
                f'<text x="{x:.1f}" y="{height - 22}" text-anchor="middle" font-size="{FONT}" '
                f'fill="{MUTED}">{escape(quarter)}</text>'
            )
        clear = first_q1 * step > text_width(year) + 6
        if year and (quarter == "Q1" or (i == 0 and clear)) and years.fits(x, year):
            parts.append(
                f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" font-size="{FONT}" '
                f'fill="{MUTED}">{escape(year)}</text>'
            )
        if not is_missing(v):
            parts.append(_marker(*xy(i, v), rag, fmt(v)))
    parts.append("</svg>")
    return Chart(Markup("".join(parts)), alt)


def peer_chart(
    chart_id: str,
    title: str,
    bars: Sequence[tuple[str, float, bool]],
    unit: str,
    decimals: int,
    median: float | None,
) -> Chart:
    """Horizontal bars, best first; this council's bar is hatched and labelled, not just coloured."""
    fmt = lambda v: format_value(v, unit, decimals)  # noqa: E731
    sid = element_id(chart_id)
    labels = [(f"{name} (us)" if own else name)[:34] for name, _, own in bars]
    texts = [fmt(v) for _, v, _ in bars]
    row_h, top = 22, 6
    left = max(text_width(label, bold=own) for label, (*_, own) in zip(labels, bars, strict=True))
    left += 10
    right = max(text_width(t, bold=True) for t in texts) + 12
    width = max(360, left + 140 + right)
    bottom = top + row_h * len(bars)
    height = bottom + (26 if median is not None else 6)
    high = max([b[1] for b in bars] + [median or 0]) or 1.0
    scale = (width - left - right) / high
    alt = f"{title}. " + "; ".join(
        f"{i}. {name}{' (this council)' if own else ''}: {fmt(v)}"
        for i, (name, v, own) in enumerate(bars, start=1)
    )
    if median is not None:
        alt += f". Comparator median {fmt(median)}."
    parts = [
        open_svg(sid, width, height, title, alt),
        f'<defs><pattern id="{sid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{ACCENT}"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern></defs>',
    ]
    values = []
    for i, ((_, value, own), label, text) in enumerate(zip(bars, labels, texts, strict=True)):
        y = top + i * row_h
        weight = ' font-weight="bold"' if own else ""
        fill = f"url(#{sid}-hatch)" if own else PEER_FILL
        bar_w = max(value * scale, 1)
        parts.append(
            f'<text x="{left - 6:.1f}" y="{y + 15.5}" text-anchor="end" font-size="{FONT}" '
            f'fill="{INK}"{weight}>{escape(label)}</text>'
            f'<rect class="mark" data-value="{escape(text)}" x="{left:.1f}" y="{y + 4}" '
            f'width="{bar_w:.1f}" height="{row_h - 8}" '
            f'fill="{fill}" stroke="{INK}" stroke-width="{2 if own else 1}"/>'
        )
        values.append(  # on a white ground, so the median line never runs through a figure
            f'<rect x="{left + bar_w + 2:.1f}" y="{y}" width="{text_width(text, bold=own) + 4:.1f}" '
            f'height="{row_h}" fill="#fff"/>'
            f'<text x="{left + bar_w + 4:.1f}" y="{y + 15.5}" font-size="{FONT}" '
            f'fill="{INK}"{weight}>{escape(text)}</text>'
        )
    if median is not None:
        x = left + median * scale
        label = f"median {fmt(median)}"
        lx = min(max(x, left + text_width(label) / 2), width - text_width(label) / 2)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom + 4}" stroke="{INK}" '
            f'stroke-width="1.5" stroke-dasharray="4 3"/><text x="{lx:.1f}" y="{bottom + 19}" '
            f'text-anchor="middle" font-size="{FONT}" fill="{INK}">{escape(label)}</text>'
        )
    parts.extend(values)
    parts.append("</svg>")
    return Chart(Markup("".join(parts)), alt)
