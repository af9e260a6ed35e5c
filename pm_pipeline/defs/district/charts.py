"""The one chart the shared set lacks: a profile of shares, this district beside England.

Like the shared charts it is plain inline SVG with `<title>` and `<desc>`, and the two series
differ by fill pattern and by label as well as by colour, so it reads in greyscale print.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from pm_pipeline.render.charts import (
    ACCENT,
    FONT,
    INK,
    MUTED,
    Chart,
    element_id,
    open_svg,
    text_width,
)


def profile_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
) -> Chart:
    """Horizontal bars of percentages per category: the first series solid, the second outlined."""
    sid = element_id(chart_id)
    top, bar_h, gap = 30, 9, 8
    pairs = [" / ".join(f"{v[row]:.1f}%" for _, v in series) for row in range(len(categories))]
    left = max((text_width(c) for c in categories), default=0) + 10
    right = max((text_width(p) for p in pairs), default=0) + 10
    width = left + 240 + right
    row_h = bar_h * len(series) + gap
    height = top + row_h * len(categories) + 6
    high = max((v for _, values in series for v in values), default=1.0) or 1.0
    scale = (width - left - right) / high
    alt = f"{title}. " + " ".join(
        f"{name}: "
        + "; ".join(f"{c} {v:.1f}%" for c, v in zip(categories, values, strict=True))
        + "."
        for name, values in series
    )
    styles = [f'fill="{ACCENT}"', f'fill="#fff" stroke="{INK}" stroke-width="1"']
    parts = [open_svg(sid, width, height, title, alt)]
    x = left
    for i, (name, _) in enumerate(series):
        parts.append(
            f'<rect x="{x:.1f}" y="6" width="14" height="13" {styles[i % 2]}/>'
            f'<text x="{x + 20:.1f}" y="18" font-size="{FONT}" fill="{INK}">{escape(name)}</text>'
        )
        x += 20 + text_width(name) + 24
    for row, (category, pair) in enumerate(zip(categories, pairs, strict=True)):
        y = top + row * row_h
        middle = y + bar_h * len(series) / 2 + 4
        parts.append(
            f'<text x="{left - 6:.1f}" y="{middle:.1f}" text-anchor="end" font-size="{FONT}" '
            f'fill="{INK}">{escape(category)}</text>'
        )
        for i, (_, values) in enumerate(series):
            parts.append(
                f'<rect class="mark" data-value="{values[row]:.1f}%" x="{left:.1f}" '
                f'y="{y + i * bar_h}" width="{max(values[row] * scale, 0.5):.1f}" '
                f'height="{bar_h - 1}" {styles[i % 2]}/>'
            )
        last = max(values[row] for _, values in series)
        parts.append(
            f'<text x="{left + last * scale + 4:.1f}" y="{middle:.1f}" font-size="{FONT}" '
            f'fill="{MUTED}">{escape(pair)}</text>'
        )
    parts.append("</svg>")
    return Chart(Markup("".join(parts)), alt)
