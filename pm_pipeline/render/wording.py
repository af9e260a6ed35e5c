"""How figures and ratings are written for people: units, RAG and direction in plain words.

One module, so that every report writes "52.3%", "£1.02m" and "18.5 days" the same way and
never relies on colour alone.
"""

from __future__ import annotations

from pm_pipeline.core.values import is_missing

QUARTILE_WORDS = {
    1: "top quartile",
    2: "second quartile",
    3: "third quartile",
    4: "bottom quartile",
}

# One symbol per meaning across the key, the badges and the charts (tested in
# pm_pipeline_tests/test_symbols.py). A RAG rating's symbol is the shape of its marker on the
# trend chart (circle, triangle, square: shape as well as colour); direction of travel has
# arrows of its own; the SPC readings have NHS England's Making Data Count icons
# (render/spc_icons.py). "No comparison" has words only.
RAG_TEXT = {
    "GREEN": ("Green", "On or better than target", "●"),
    "AMBER": ("Amber", "Close to target", "▲"),
    "RED": ("Red", "Off target", "■"),
    "NO_TARGET": ("No target", "Contextual, place-based or no target set: no rating", "○"),
    "NO_DATA": ("No data", "No figure this quarter", "–"),
}
DIRECTION_TEXT = {
    "IMPROVING": ("Improving", "⇧"),
    "WORSENING": ("Worsening", "⇩"),
    "STABLE": ("Stable", "⇨"),
    "UP": ("Up", "↑"),
    "DOWN": ("Down", "↓"),
    "NO_COMPARISON": ("No comparison", ""),
}
# what each direction symbol means, for the key and the symbol test
DIRECTION_MEANING = {
    "IMPROVING": "Better, beyond the stable band",
    "WORSENING": "Worse, beyond the stable band",
    "STABLE": "Within the stable band",
    "UP": "Higher, where neither direction is better",
    "DOWN": "Lower, where neither direction is better",
    "NO_COMPARISON": "No earlier figure to compare with",
}


def format_value(value: float | None, unit: str, decimals: int | None = None) -> str:
    """A figure in its unit: 52.3%, 1,234, 18.5 days, £1.02m, £45,300."""
    if is_missing(value):
        return "no figure"
    places = 1 if decimals is None or is_missing(decimals) else int(decimals)
    if unit == "percent":
        return f"{value:,.{places}f}%"
    if unit == "gbp":
        if abs(value) >= 1_000_000:
            return f"£{value / 1_000_000:,.2f}m"
        return f"£{value:,.0f}" if places == 0 or abs(value) >= 1000 else f"£{value:,.2f}"
    if unit == "days":
        text = f"{value:,.{places}f}"
        return f"{text} day" if text == "1" else f"{text} days"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.{places}f}"


def rag_label(rag: str) -> str:
    return RAG_TEXT.get(rag, (rag, "", ""))[0]


def rag_symbol(rag: str) -> str:
    return RAG_TEXT.get(rag, ("", "", ""))[2]


def direction_label(direction: str) -> str:
    return DIRECTION_TEXT.get(direction, (direction, ""))[0]


def direction_symbol(direction: str) -> str:
    return DIRECTION_TEXT.get(direction, ("", ""))[1]


def ordinal(n: int) -> str:
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
