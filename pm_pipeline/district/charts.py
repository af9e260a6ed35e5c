"""The one chart the shared set lacks: a profile of shares, this district beside England.

Like the shared charts it is plain inline SVG with `<title>` and `<desc>`, and the two series
differ by fill pattern and by label as well as by colour, so it reads in greyscale print.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import Markup, escape

from pm_pipeline.reports.charts import ACCENT, INK, MUTED, Chart


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-").lower()


def profile_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
) -> Chart:
    """Horizontal bars of percentages per category: the first series solid, the second outlined."""
    sid = _id(chart_id)
    left, right, top, bar_h, gap = 150, 60, 30, 7, 6
    width = 460
    row_h = bar_h * len(series) + gap
    height = top + row_h * len(categories) + 10
    high = max((v for _, values in series for v in values), default=1.0) or 1.0
    scale = (width - left - right) / high
    alt = f"{title}. " + " ".join(
        f"{name}: "
        + "; ".join(f"{c} {v:.1f}%" for c, v in zip(categories, values, strict=True))
        + "."
        for name, values in series
    )
    styles = [f'fill="{ACCENT}"', f'fill="#fff" stroke="{INK}" stroke-width="1"']
    parts = [
        f'<svg role="img" aria-labelledby="{sid}-t {sid}-d" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{sid}-t">{escape(title)}</title><desc id="{sid}-d">{escape(alt)}</desc>',
    ]
    for i, (name, _) in enumerate(series):
        x = left + i * 150
        parts.append(
            f'<rect x="{x}" y="6" width="12" height="10" {styles[i % 2]}/>'
            f'<text x="{x + 17}" y="15" font-size="10.5" fill="{INK}">{escape(name)}</text>'
        )
    for row, category in enumerate(categories):
        y = top + row * row_h
        parts.append(
            f'<text x="{left - 6}" y="{y + bar_h + 2}" text-anchor="end" font-size="10" '
            f'fill="{INK}">{escape(category)}</text>'
        )
        for i, (_, values) in enumerate(series):
            value = values[row]
            by = y + i * bar_h
            parts.append(
                f'<rect x="{left}" y="{by}" width="{max(value * scale, 0.5):.1f}" '
                f'height="{bar_h - 1}" {styles[i % 2]}/>'
            )
        last = max(values[row] for _, values in series)
        parts.append(
            f'<text x="{left + last * scale + 4:.1f}" y="{y + bar_h + 2}" font-size="9" '
            f'fill="{MUTED}">{escape(" / ".join(f"{v[row]:.1f}%" for _, v in series))}</text>'
        )
    parts.append("</svg>")
    return Chart(Markup("".join(parts)), alt)
