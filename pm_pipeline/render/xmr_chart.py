"""The XmR (SPC) chart of a PI as inline SVG, in the hand-written style of `charts`.

Plain data in (no domain knowledge): the points with how each reads, and the segments with
their mean and process limits. A special cause is told by shape and by the words of the text
alternative, never by colour alone: improving is a diamond, concerning a square, a neutral
special cause a triangle, common cause a small open circle. A re-base draws a break line
labelled "re-based" and the new limits start there.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from pm_pipeline.render.charts import FONT, INK, LINE, MUTED, Chart, _ticks, element_id, open_svg
from pm_pipeline.render.charts import text_width as width_of
from pm_pipeline.render.wording import format_value

IMPROVING_FILL, CONCERN_FILL, SPECIAL_FILL = "#1d70b8", "#d4351c", "#6f72af"
KIND_WORDS = {
    "improving": "improving special cause",
    "concerning": "concerning special cause",
    "special": "special cause",
}
# (start, end exclusive, mean, lower limit, upper limit, re-base reason or None)
SegmentData = tuple[int, int, float, float, float, str | None]


def _mark(x: float, y: float, kind: str | None, text: str) -> str:
    common = f'class="mark" data-value="{escape(text)}" stroke="{INK}" stroke-width="1.2"'
    if kind == "improving":
        pts = f"{x:.1f},{y - 7:.1f} {x + 7:.1f},{y:.1f} {x:.1f},{y + 7:.1f} {x - 7:.1f},{y:.1f}"
        return f'<polygon points="{pts}" fill="{IMPROVING_FILL}" {common}/>'
    if kind == "concerning":
        return (
            f'<rect x="{x - 5.5:.1f}" y="{y - 5.5:.1f}" width="11" height="11" '
            f'fill="{CONCERN_FILL}" {common}/>'
        )
    if kind == "special":
        pts = f"{x:.1f},{y - 7:.1f} {x + 6:.1f},{y + 5:.1f} {x - 6:.1f},{y + 5:.1f}"
        return f'<polygon points="{pts}" fill="{SPECIAL_FILL}" {common}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#fff" {common}/>'


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
    special = [f"{label} {fmt(v)} ({KIND_WORDS[k]})" for label, v, k in points if k]
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
        "◆ improving · ■ concerning · ○ common cause</text></svg>"
    )
    return Chart(Markup("".join(parts)), alt)
