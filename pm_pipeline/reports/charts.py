"""Small inline SVG charts with text alternatives: a PI's trend, and its place among peers.

Written as plain SVG rather than through a plotting library: the charts are a few dozen
shapes, they must carry `<title>`/`<desc>` and RAG shapes for screen readers and print, and
they render identically in the browser and in WeasyPrint's PDF without a 40 MB dependency.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from pm_pipeline.reports.wording import format_value, rag_label

INK, MUTED, LINE, ACCENT = "#0b0c0c", "#484949", "#b1b4b6", "#1d3b5e"
RAG_FILL = {"GREEN": "#00703c", "AMBER": "#b58800", "RED": "#b10e1e"}


@dataclass(frozen=True)
class Chart:
    svg: Markup
    alt: str


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-").lower()


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _marker(x: float, y: float, rag: str | None) -> str:
    fill = RAG_FILL.get(rag or "", "#fff")
    stroke = f'stroke="{INK}" stroke-width="1.2"'
    if rag == "GREEN":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{fill}" {stroke}/>'
    if rag == "AMBER":
        pts = f"{x:.1f},{y - 5.5:.1f} {x + 5.5:.1f},{y + 4.5:.1f} {x - 5.5:.1f},{y + 4.5:.1f}"
        return f'<polygon points="{pts}" fill="{fill}" {stroke}/>'
    if rag == "RED":
        return f'<rect x="{x - 4.5:.1f}" y="{y - 4.5:.1f}" width="9" height="9" fill="{fill}" {stroke}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#fff" {stroke}/>'


def _nice_range(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    pad = (high - low) * 0.12
    low = 0.0 if low >= 0 and low - pad < 0 else low - pad
    return low, high + pad


def trend_chart(
    chart_id: str,
    title: str,
    points: Sequence[tuple[str, float | None, str | None, float | None]],
    unit: str,
    decimals: int,
) -> Chart:
    """Values by period (label, value, rag, target) as a line with RAG-shaped markers."""
    width, height, left, right, top, bottom = 380, 170, 58, 22, 14, 34
    values = [v for _, v, _, _ in points if not _missing(v)]
    targets = [t for *_, t in points if not _missing(t)]
    fmt = lambda v: format_value(v, unit, decimals)  # noqa: E731
    alt_values = "; ".join(
        f"{label}: {fmt(v) if not _missing(v) else 'no figure'}"
        + (f" ({rag_label(rag)})" if rag in RAG_FILL else "")
        + (f", target {fmt(t)}" if not _missing(t) else "")
        for label, v, rag, t in points
    )
    alt = f"{title}, last {len(points)} quarters. {alt_values}."
    sid = _id(chart_id)
    if not values:
        svg = (
            f'<svg role="img" aria-labelledby="{sid}-t {sid}-d" width="{width}" height="60" '
            f'viewBox="0 0 {width} 60"><title id="{sid}-t">{escape(title)}</title>'
            f'<desc id="{sid}-d">{escape(alt)}</desc><text x="8" y="34" fill="{MUTED}" '
            'font-size="12">No figures to chart yet.</text></svg>'
        )
        return Chart(Markup(svg), alt)
    low, high = _nice_range(values + targets)
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top + plot_h - (v - low) / (high - low) * plot_h

    parts = [
        f'<svg role="img" aria-labelledby="{sid}-t {sid}-d" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{sid}-t">{escape(title)}</title><desc id="{sid}-d">{escape(alt)}</desc>',
    ]
    for tick in (low, (low + high) / 2, high):
        _, y = xy(0, tick)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{LINE}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
            f'fill="{MUTED}">{escape(fmt(tick))}</text>'
        )
    target_path = [xy(i, t) for i, (*_, t) in enumerate(points) if not _missing(t)]
    if target_path:
        d = " ".join(
            f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(target_path)
        )
        parts.append(
            f'<path d="{d}" fill="none" stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
        tx, ty = target_path[-1]
        parts.append(
            f'<text x="{tx:.1f}" y="{ty - 6:.1f}" text-anchor="end" font-size="10" '
            f'fill="{MUTED}">target</text>'
        )
    line = [(i, v) for i, (_, v, _, _) in enumerate(points) if not _missing(v)]
    d = " ".join(
        f"{'M' if n == 0 else 'L'}{xy(i, v)[0]:.1f},{xy(i, v)[1]:.1f}"
        for n, (i, v) in enumerate(line)
    )
    parts.append(f'<path d="{d}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    for i, (label, v, rag, _) in enumerate(points):
        x, _ = xy(i, low)
        year, _, quarter = label.rpartition(" ")  # "2025/26 Q1"; annual labels are just "2025/26"
        anchor = "end" if i == len(points) - 1 and len(points) > 1 else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{height - 18}" text-anchor="{anchor}" font-size="9.5" '
            f'fill="{MUTED}">{escape(quarter)}</text>'
        )
        if year and (i == 0 or quarter == "Q1"):
            parts.append(
                f'<text x="{x:.1f}" y="{height - 6}" text-anchor="{anchor}" font-size="9.5" '
                f'fill="{MUTED}">{escape(year)}</text>'
            )
        if not _missing(v):
            parts.append(_marker(*xy(i, v), rag))
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
    sid = _id(chart_id)
    row_h, left, right, top = 16, 170, 70, 8
    width = 440
    height = top + row_h * len(bars) + 24
    high = max([b[1] for b in bars] + [median or 0]) or 1.0
    scale = (width - left - right) / high
    alt = f"{title}. " + "; ".join(
        f"{i}. {name}{' (this council)' if own else ''}: {fmt(v)}"
        for i, (name, v, own) in enumerate(bars, start=1)
    )
    if median is not None:
        alt += f". Comparator median {fmt(median)}."
    parts = [
        f'<svg role="img" aria-labelledby="{sid}-t {sid}-d" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{sid}-t">{escape(title)}</title><desc id="{sid}-d">{escape(alt)}</desc>',
        f'<defs><pattern id="{sid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{ACCENT}"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern></defs>',
    ]
    for i, (name, value, own) in enumerate(bars):
        y = top + i * row_h
        label = f"{name} (us)" if own else name
        weight = ' font-weight="bold"' if own else ""
        fill = f"url(#{sid}-hatch)" if own else "#8eaacc"
        parts.append(
            f'<text x="{left - 6}" y="{y + 11}" text-anchor="end" font-size="10.5" '
            f'fill="{INK}"{weight}>{escape(label[:30])}</text>'
            f'<rect x="{left}" y="{y + 2}" width="{max(value * scale, 1):.1f}" height="{row_h - 5}" '
            f'fill="{fill}" stroke="{INK}" stroke-width="{1.5 if own else 0.5}"/>'
            f'<text x="{left + max(value * scale, 1) + 4:.1f}" y="{y + 11}" font-size="10" '
            f'fill="{INK}"{weight}>{escape(fmt(value))}</text>'
        )
    if median is not None:
        x = left + median * scale
        bottom = top + row_h * len(bars)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" stroke="{INK}" '
            f'stroke-dasharray="4 3"/><text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" '
            f'font-size="10" fill="{INK}">median {escape(fmt(median))}</text>'
        )
    parts.append("</svg>")
    return Chart(Markup("".join(parts)), alt)
