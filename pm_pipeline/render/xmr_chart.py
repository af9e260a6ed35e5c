"""The XmR (SPC) chart of a PI as inline SVG, in the hand-written style of `charts`.

Plain data in (no domain knowledge): the points with how each reads, and the segments with
their mean and process limits. A special cause is told by shape and by the words of the text
alternative, never by colour alone. The marks follow NHS England's Making Data Count icons
(render/spc_icons.py): a special cause is a ringed point with H (above the average) or L
(below it), blue when it is better, orange when worse, purple when neither is better; common
cause is a small grey dot. A re-base draws a break line labelled "re-based" and the new limits
start there. A limit beyond what the figure can be (a percentage over 100, a count below 0:
`bounds`) is drawn at that bound and labelled "capped", and the words give both. A `note` (why
the run rules are not read, for a rolling figure) is written under the chart and in the words.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from pm_pipeline.core.words import plural
from pm_pipeline.render.charts import (
    FONT,
    INK,
    LINE,
    MUTED,
    PRINT_WIDTH,
    TREND_WIDTH,
    AxisLabels,
    Chart,
    _ticks,
    element_id,
    open_svg,
)
from pm_pipeline.render.charts import text_width as width_of
from pm_pipeline.render.spc_icons import LETTER_MEANING, MDC_COLOURS
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
MARKS = {"H": LETTER_MEANING["H"], "L": LETTER_MEANING["L"], "•": "common cause"}
LETTER_FONT = 12  # a special cause's H or L: printed at its drawn size, 9pt
WIDTH = PRINT_WIDTH - TREND_WIDTH - 14  # beside the trend chart on A4, 3.5mm apart
LEGEND = "H/L: special cause high/low (blue better, orange worse)"
# (start, end exclusive, mean, lower limit, upper limit, re-base reason or None), the limits
# as calculated (`bounds` clips them for drawing)
SegmentData = tuple[int, int, float, float, float, str | None]
Bounds = tuple[float | None, float | None]  # the least and most the figure can be


def shown(lower: float, upper: float, bounds: Bounds) -> tuple[float, float, bool, bool]:
    """The limits as drawn, within what the figure can be, and whether each was capped."""
    floor, ceiling = bounds
    low_capped = floor is not None and lower < floor
    high_capped = ceiling is not None and upper > ceiling
    return (
        floor if low_capped and floor is not None else lower,
        ceiling if high_capped and ceiling is not None else upper,
        low_capped,
        high_capped,
    )


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return f"{text[:1].upper()}{text[1:]}."


def _wrap(text: str, room: float) -> list[str]:
    """`text` in lines no wider than `room` (by the generous width estimate)."""
    lines: list[str] = []
    for word in text.split():
        if lines and width_of(f"{lines[-1]} {word}") <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _mark(x: float, y: float, kind: str | None, text: str) -> str:
    common = f'class="mark" data-value="{escape(text)}"'
    if kind in KIND_WORDS:
        colour = MDC_COLOURS[KIND_WORDS[kind][1]]
        letter = "H" if kind.endswith("_high") else "L"
        return (
            f'<g {common}><circle cx="{x:.1f}" cy="{y:.1f}" r="7.5" fill="#fff" stroke="{colour}" '
            f'stroke-width="2.5"/><text x="{x:.1f}" y="{y + 4.5:.1f}" text-anchor="middle" '
            f'font-size="{LETTER_FONT}" font-weight="bold" fill="{INK}">{letter}</text></g>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{MDC_COLOURS["common"]}" {common}/>'


def describe(
    title: str,
    points: Sequence[tuple[str, float, str | None]],
    segments: Sequence[SegmentData],
    target: float | None,
    fmt,
    bounds: Bounds = (None, None),
    note: str | None = None,
) -> str:
    """The chart in words: limits (and any capped), any re-base, the special causes, the note,
    then every figure."""
    first, last = points[0][0], points[-1][0]
    parts = [f"{title}: SPC (XmR) chart of {plural(len(points), 'figure')}, {first} to {last}."]
    for start, _, mean, lower, upper, reason in segments:
        lead = (
            f"Re-based from {points[start][0]} ({reason}): mean"
            if reason
            else "Mean"
            if len(segments) == 1
            else f"From {points[start][0]}: mean"
        )
        low, high, low_capped, high_capped = shown(lower, upper, bounds)
        capped = [
            f"{side} limit capped at {fmt(at)}, the {most} the figure can be; calculated {fmt(raw)}"
            for side, at, most, raw, flag in (
                ("lower", low, "least", lower, low_capped),
                ("upper", high, "most", upper, high_capped),
            )
            if flag
        ]
        extra = f" ({'; '.join(capped)})" if capped else ""
        parts.append(f"{lead} {fmt(mean)}, process limits {fmt(low)} to {fmt(high)}{extra}.")
    if target is not None:
        parts.append(f"Target {fmt(target)}.")
    special = [f"{label} {fmt(v)} ({KIND_WORDS[k][0]})" for label, v, k in points if k]
    parts.append("Special causes: " + "; ".join(special) + "." if special else "No special causes.")
    if note:
        parts.append(_sentence(note))
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
    bounds: Bounds = (None, None),
    note: str | None = None,
) -> Chart:
    """Figures (label, value, kind) oldest first, with each segment's mean and limits (as
    calculated; drawn within `bounds`), and a `note` under the chart."""
    fmt = lambda v: format_value(v, unit, decimals)  # noqa: E731
    alt = describe(title, points, segments, target, fmt, bounds, note)
    sid = element_id(chart_id)
    width, top, bottom, inset = WIDTH, 22, 40, 8
    legend_lines = _wrap(LEGEND, width - 10)
    note_lines = _wrap(_sentence(note), width - 10) if note else []
    base = 230  # the chart's foot, above the legend's second line and the note's lines
    height = base + (len(legend_lines) - 1 + len(note_lines)) * (FONT + 3)
    drawn = [
        (start, end, mean, *shown(lo, hi, bounds)[:2], why)
        for start, end, mean, lo, hi, why in segments
    ]
    capped = [shown(lo, hi, bounds)[2:] for _, _, _, lo, hi, _ in segments]
    span = [p[1] for p in points] + [s[3] for s in drawn] + [s[4] for s in drawn]
    if target is not None:
        span.append(target)
    ticks, places = _ticks(span, whole=unit == "count" or int(decimals) == 0)
    tick_text = [format_value(t, unit, min(places, int(decimals))) for t in ticks]
    left = max(width_of(t) for t in tick_text) + 14  # a "%" is wider than the estimate
    low_capped, high_capped = capped[-1]
    _, _, mean, lower, upper, _ = drawn[-1]
    limit_labels = [(upper, "upper limit"), (mean, "mean"), (lower, "lower limit")]
    # "(capped)" on the line under its limit's label (sorted just after it, pushed below it)
    nudge = 1e-9 * max(1.0, abs(upper), abs(lower))
    if high_capped:
        limit_labels.append((upper - nudge, "(capped)"))
    if low_capped:
        limit_labels.append((lower - nudge, "(capped)"))
    right = width_of("upper limit") + 12
    low, high = ticks[0], ticks[-1]
    plot_w = width - left - right - 2 * inset
    plot_h = base - top - bottom
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
    for n, (start, end, mean, lower, upper, reason) in enumerate(drawn):
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
    labels = list(limit_labels)
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
    years = AxisLabels()
    for i, (label, value, kind) in enumerate(points):
        year, _, quarter = label.rpartition(" ")
        if (quarter == "Q1" or (i == 0 and not year)) and years.fits(x_at(i), year or quarter):
            parts.append(
                f'<text x="{x_at(i):.1f}" y="{base - 22}" text-anchor="middle" '
                f'font-size="{FONT}" fill="{MUTED}">{escape(year or quarter)}</text>'
            )
        parts.append(_mark(x_at(i), y_at(value), kind, fmt(value)))
    legend_y = base - 5
    for n, line in enumerate(legend_lines):
        parts.append(
            f'<text x="5" y="{legend_y + n * (FONT + 3)}" font-size="{FONT}" fill="{MUTED}">'
            f"{escape(line)}</text>"
        )
    below = legend_y + (len(legend_lines) - 1) * (FONT + 3)
    for n, line in enumerate(note_lines, start=1):
        parts.append(
            f'<text class="note" x="5" y="{below + n * (FONT + 3)}" font-size="{FONT}" '
            f'fill="{INK}">{escape(line)}</text>'
        )
    parts.append("</svg>")
    return Chart(Markup("".join(parts)), alt)
