"""The XmR (SPC) chart of a PI as inline SVG, in the hand-written style of `charts`.

Plain data in (no domain knowledge): the points with how each reads, and the segments with
their mean and process limits. A special cause is told by shape and by the words of the text
alternative, never by colour alone. The marks follow NHS England's Making Data Count icons
(render/spc_icons.py): a special cause is a ringed point with H (above the average) or L
(below it), blue when it is better, orange when worse, purple when neither is better; common
cause is a small grey dot. A re-base draws a break line labelled "re-based" and the new limits
start there.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from pm_pipeline.render.charts import FONT, INK, LINE, MUTED, Chart, _ticks, element_id, open_svg
from pm_pipeline.render.charts import text_width as width_of
from pm_pipeline.render.spc_icons import MDC_COLOURS
from pm_pipeline.render.wording import format_value

# a point's kind is its Making Data Count icon name (None: common cause) -> (words, colour)
KIND_WORDS = {
    "improvement_high": ("improving special cause, high", "improvement"),
    "improvement_low": ("improving special cause, low", "improvement"),
    "concern_high": ("concerning special cause, high", "concern"),
    "concern_low": ("concerning special cause, low", "concern"),
    "neutral_high": ("special cause, high", "neutral"),
    "neutral_low": ("special cause, low", "neutral"),
}
# the chart's own marks: (glyph in the legend and key, meaning)
MARKS = {
    "H": "a special cause high: above the average",
    "L": "a special cause low: below the average",
    "•": "common cause",
}
# (start, end exclusive, mean, lower limit, upper limit, re-base reason or None)
SegmentData = tuple[int, int, float, float, float, str | None]


def _mark(x: float, y: float, kind: str | None, text: str) -> str:
    common = f'class="mark" data-value="{escape(text)}"'
    if kind in KIND_WORDS:
        colour = MDC_COLOURS[KIND_WORDS[kind][1]]
        letter = "H" if kind.endswith("_high") else "L"
        return (
            f'<g {common}><circle cx="{x:.1f}" cy="{y:.1f}" r="7" fill="#fff" stroke="{colour}" '
            f'stroke-width="2.5"/><text x="{x:.1f}" y="{y + 3.5:.1f}" text-anchor="middle" '
            f'font-size="10" font-weight="bold" fill="{INK}">{letter}</text></g>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{MDC_COLOURS["common"]}" {common}/>'


def describe(
    title: str,
    points: Sequence[tuple[str, float, str | None]],
    segments: Sequence[SegmentData],
    target: float | None,
    fmt,
) -> str:
    """The chart in words: limits, any re-base, the special causes, then every figure."""
    first, last = points[0][0], points[-1][0]
    parts = [f"{title}: SPC (XmR) chart of {len(points)} figures, {first} to {last}."]
    for start, _, mean, lower, upper, reason in segments:
        lead = (
            f"Re-based from {points[start][0]} ({reason}): mean"
            if reason
            else "Mean"
            if len(segments) == 1
            else f"From {points[start][0]}: mean"
        )
        parts.append(f"{lead} {fmt(mean)}, process limits {fmt(lower)} to {fmt(upper)}.")
    if target is not None:
        parts.append(f"Target {fmt(target)}.")
    special = [f"{label} {fmt(v)} ({KIND_WORDS[k][0]})" for label, v, k in points if k]
    parts.append("Special causes: " + "; ".join(special) + "." if special else "No special causes.")
    parts.append("Figures: " + "; ".join(f"{label}: {fmt(v)}" for label, v, _ in points) + ".")
    return " ".join(parts)


def xmr_chart(
    chart_id: str,
    title: str,
    points: Sequence[tuple[str, float, str | None]],
    segments: Sequence[SegmentData],
    target: float | None,
    unit: str,
    decimals: int,
) -> Chart:
    """Figures (label, value, kind) oldest first, with each segment's mean and limits."""
    fmt = lambda v: format_value(v, unit, decimals)  # noqa: E731
    alt = describe(title, points, segments, target, fmt)
    sid = element_id(chart_id)
    width, height, top, bottom, inset = 480, 230, 22, 40, 8
    span = [p[1] for p in points] + [s[3] for s in segments] + [s[4] for s in segments]
    if target is not None:
        span.append(target)
    ticks, places = _ticks(span, whole=unit == "count" or int(decimals) == 0)
    tick_text = [format_value(t, unit, min(places, int(decimals))) for t in ticks]
    left = max(width_of(t) for t in tick_text) + 10
    right = width_of("upper limit") + 12
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = width - left - right - 2 * inset, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)

    def x_at(i: float) -> float:
        return left + inset + i * step

    def y_at(v: float) -> float:
        return top + plot_h - (v - low) / (high - low) * plot_h

    parts = [open_svg(sid, width, height, title, alt)]
    for tick, text in zip(ticks, tick_text, strict=True):
        y = y_at(tick)
        parts.append(
            f'<line x1="{left:.1f}" x2="{width - right:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{LINE}" stroke-width="0.5"/><text x="{left - 6:.1f}" y="{y + 4:.1f}" '
            f'text-anchor="end" font-size="{FONT}" fill="{MUTED}">{escape(text)}</text>'
        )
    for n, (start, end, mean, lower, upper, reason) in enumerate(segments):
        x1, x2 = x_at(start - (0.5 if n else 0)), x_at(end - 1)
        for value, dash in ((upper, "5 3"), (mean, ""), (lower, "5 3")):
            parts.append(
                f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{y_at(value):.1f}" y2="{y_at(value):.1f}" '
                f'stroke="{MUTED}" stroke-width="1.2"'
                + (f' stroke-dasharray="{dash}"' if dash else "")
                + "/>"
            )
        if reason:
            parts.append(
                f'<line x1="{x1:.1f}" x2="{x1:.1f}" y1="{top - 4}" y2="{top + plot_h}" '
                f'stroke="{INK}" stroke-width="1.5" stroke-dasharray="2 2"/>'
                f'<text x="{x1 + 3:.1f}" y="{top - 8}" font-size="{FONT}" fill="{INK}">'
                "re-based</text>"
            )
    _, _, mean, lower, upper, _ = segments[-1]
    labels = [(upper, "upper limit"), (mean, "mean"), (lower, "lower limit")]
    if target is not None:
        ty = y_at(target)
        parts.append(
            f'<line x1="{left:.1f}" x2="{width - right:.1f}" y1="{ty:.1f}" y2="{ty:.1f}" '
            f'stroke="{INK}" stroke-width="1" stroke-dasharray="1 3"/>'
        )
        labels.append((target, "target"))
    placed: list[float] = []
    for value, label in sorted(labels, key=lambda t: -t[0]):
        y = y_at(value) + 4
        if placed and y < placed[-1] + FONT:  # keep the labels clear of each other
            y = placed[-1] + FONT
        placed.append(y)
        parts.append(
            f'<text x="{width - right + 4:.1f}" y="{y:.1f}" font-size="{FONT}" '
            f'fill="{MUTED}">{label}</text>'
        )
    d = " ".join(
        f"{'M' if i == 0 else 'L'}{x_at(i):.1f},{y_at(v):.1f}" for i, (_, v, _) in enumerate(points)
    )
    parts.append(f'<path d="{d}" fill="none" stroke="{INK}" stroke-width="1.2"/>')
    for i, (label, value, kind) in enumerate(points):
        year, _, quarter = label.rpartition(" ")
        if quarter == "Q1" or (i == 0 and not year):
            parts.append(
                f'<text x="{x_at(i):.1f}" y="{height - 22}" text-anchor="middle" '
                f'font-size="{FONT}" fill="{MUTED}">{escape(year or quarter)}</text>'
            )
        parts.append(_mark(x_at(i), y_at(value), kind, fmt(value)))
    parts.append(
        f'<text x="{left:.1f}" y="{height - 5}" font-size="{FONT}" fill="{MUTED}">'
        "H/L: special cause high/low (blue better, orange worse)</text></svg>"
    )
    return Chart(Markup("".join(parts)), alt)
