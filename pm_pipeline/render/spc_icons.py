"""NHS England's Making Data Count icons for an SPC reading, drawn small and inline.

The convention councils' NHS partners know (the icons of NHSRplotthedots, `inst/icons/`):
variation: common cause grey; special cause improving blue, concerning orange, neither
purple, each with H (high: above the mean) or L (low: below it); assurance: P consistently
passing blue, F consistently failing orange, ? hit and miss grey. Each icon is a coloured
ring with its letter in dark ink (readable in print and for colour-blind readers) and is
always shown beside its words: the icon is hidden from screen readers, the words are not.
(A common-cause ring is empty: no letter, as in Making Data Count's grey icon.)
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

# the letters have one meaning each: H above the mean, L below it (the colour says whether
# that is better, worse or neither), P / F / ? the target against the normal range
LETTER_MEANING = {
    "H": "a special cause high: above the average",
    "L": "a special cause low: below the average",
    "P": "the target: consistently passing",
    "F": "the target: consistently failing",
    "?": "the target: hit and miss",
}


def mdc_icon(name: str, letter: str, colour: str) -> Markup:
    """A Making Data Count icon (`name` as NHSRplotthedots calls it): a ring in the icon's
    colour with its letter (report.css `.mdc`), hidden from screen readers like every symbol.
    Plain HTML rather than SVG: it is a symbol beside words, not a chart."""
    return Markup(
        f'<span class="mdc mdc-{escape(colour)}" data-icon="{escape(name)}" aria-hidden="true" '
        f'style="border-color: {MDC_COLOURS[colour]}">{escape(letter) or "&#8203;"}</span>'
    )
