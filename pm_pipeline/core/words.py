"""Counts in words, the one way every layer writes them: "1 indicator", "2 indicators".

In core, below everything, so that a file problem found while reading a spreadsheet
(`core.sheets`) words its count as the reports do. The rest of how figures and ratings are
written is in `render/wording.py`; templates call this one as their `plural` filter.
"""

from __future__ import annotations


def plural(count: int, singular: str, plural: str | None = None, number: bool = True) -> str:
    """A count with its noun agreeing, as every report prints one: "1 indicator", "2
    indicators", "0 indicators" (`plural` for the irregular: "1 risk is", "3 risks are" from
    `plural(n, "is", "are", number=False)`, which gives the word alone)."""
    word = singular if count == 1 else plural or f"{singular}s"
    return f"{count:,} {word}" if number else word
