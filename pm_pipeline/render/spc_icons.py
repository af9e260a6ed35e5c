"""NHS England's Making Data Count icons for an SPC reading, drawn small and inline.

The convention councils' NHS partners know (the icons of NHSRplotthedots, `inst/icons/`):
variation: common cause grey; special cause improving blue, concerning orange, neither
purple, each with H (high: above the mean) or L (low: below it); assurance: P consistently
passing blue, F consistently failing orange, ? hit and miss grey. Each icon is a coloured
ring with its letter in dark ink (readable in print and for colour-blind readers) and is
always shown beside its words: the icon is hidden from screen readers, the words are not.
"""

from __future__ import annotations

from markupsafe import Markup, escape

# Making Data Count's icon colours (NHSRplotthedots inst/icons/*.svg)
MDC_COLOURS = {
    "improvement": "#0072C6",  # blue: special cause improving; assurance pass
    "concern": "#FF6600",  # orange: special cause concerning; assurance fail
    "neutral": "#8000C0",  # purple: special cause where neither direction is better
    "common": "#7F7F7F",  # grey: common cause; assurance hit and miss
}
# what a colour means wherever an icon or an SPC chart mark uses it (one meaning each)
COLOUR_MEANING = {
    "improvement": "a special cause for the better, or a target it can be relied on to pass",
    "concern": "a special cause for the worse, or a target it will consistently fail",
    "neutral": "a special cause where neither direction is better",
    "common": "no signal: common cause, or a target it will hit and miss",
}
INK = "#0b0c0c"


def mdc_icon(name: str, letter: str, colour: str) -> Markup:
    """A Making Data Count icon (`name` as NHSRplotthedots calls it) as a 1.2em inline SVG."""
    stroke = MDC_COLOURS[colour]
    mark = (
        f'<text x="12" y="16.5" text-anchor="middle" font-size="13" font-weight="bold" '
        f'font-family="Arial, Helvetica, sans-serif" fill="{INK}">{escape(letter)}</text>'
        if letter
        else f'<path d="M5 13 L8 10 L11 14 L14 9 L16 12 L19 11" fill="none" stroke="{INK}" '
        'stroke-width="1.6"/>'
    )
    return Markup(
        f'<svg class="mdc-icon" data-icon="{escape(name)}" aria-hidden="true" focusable="false" '
        f'width="1.2em" height="1.2em" viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg">'
        f'<circle cx="12" cy="12" r="10" fill="#fff" stroke="{stroke}" stroke-width="3"/>'
        f"{mark}</svg>"
    )
