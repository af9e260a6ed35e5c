"""One symbol per meaning across the key, the badges and the charts (issue 25).

Every symbol a report shows comes from a wording table: RAG and direction
(render/wording.py), the SPC readings' Making Data Count icons and letters
(scorecard/narrative.py, render/spc_icons.py), the SPC chart's marks (render/xmr_chart.py)
and the plan statuses (reports/plan_sections.py). A symbol with two meanings ("?" for "no
data" and for "hit and miss") is what this test stops.
"""

from collections.abc import Iterable
from pathlib import Path

from pm_pipeline.defs.reports.plan_sections import STATUS_TEXT
from pm_pipeline.defs.scorecard import narrative
from pm_pipeline.render import charts, spc_icons, xmr_chart
from pm_pipeline.render.wording import DIRECTION_MEANING, DIRECTION_TEXT, RAG_TEXT

TEMPLATES = Path(__file__).parent.parent / "pm_pipeline" / "render" / "templates"
# the trend chart draws a RAG rating as the shape its symbol shows
SHAPE_OF = {"●": "<circle", "▲": "<polygon", "■": "<rect", "○": "<circle"}


def glyph_pairs() -> list[tuple[str, str, str]]:
    """(symbol, meaning, where) for every symbol a report can show."""
    pairs = [(symbol, label, "RAG") for label, _, symbol in RAG_TEXT.values()]
    pairs += [
        (symbol, DIRECTION_MEANING[key], "direction") for key, (_, symbol) in DIRECTION_TEXT.items()
    ]
    pairs += [(shape, words, "plan status") for words, shape, _ in STATUS_TEXT.values()]
    symbols = [*narrative.VARIATION_SYMBOLS.values(), *narrative.ASSURANCE_SYMBOLS.values()]
    pairs += [
        (s.letter, spc_icons.LETTER_MEANING[s.letter], "SPC icon letter")
        for s in symbols
        if s.letter
    ]
    pairs += [(f"icon {s.icon}", s.meaning, "Making Data Count icon") for s in symbols]
    pairs += [(glyph, meaning, "SPC chart mark") for glyph, meaning in xmr_chart.MARKS.items()]
    return [(symbol, meaning, where) for symbol, meaning, where in pairs if symbol]


def clashes(pairs: Iterable[tuple[str, str, str]]) -> dict[str, set[str]]:
    """Symbols with more than one meaning: symbol -> its meanings (with where each is used)."""
    meanings: dict[str, set[str]] = {}
    for symbol, meaning, where in pairs:
        meanings.setdefault(symbol, set()).add(f"{meaning} ({where})")
    return {
        symbol: found
        for symbol, found in meanings.items()
        if len({m.rsplit(" (", 1)[0] for m in found}) > 1
    }


def test_no_symbol_has_two_meanings():
    assert clashes(glyph_pairs()) == {}


def test_the_check_finds_a_symbol_with_two_meanings():
    """Before issue 25 "?" meant both "no data" and "hit and miss"; "▲" improving and amber."""
    old = [
        ("?", "No data", "RAG"),
        ("?", "Hit and miss", "SPC"),
        ("▲", "Improving", "direction"),
        ("▲", "Amber", "trend chart"),
        ("✓", "Green", "RAG"),
        ("✓", "Green", "key"),
    ]
    assert set(clashes(old)) == {"?", "▲"}


def test_each_making_data_count_icon_and_colour_means_one_thing():
    symbols = [*narrative.VARIATION_SYMBOLS.values(), *narrative.ASSURANCE_SYMBOLS.values()]
    icons = [s.icon for s in symbols]
    assert len(icons) == len(set(icons))  # NHSRplotthedots' icon names, one per reading
    assert {s.colour for s in symbols} <= set(spc_icons.COLOUR_MEANING)
    assert set(spc_icons.MDC_COLOURS) == set(spc_icons.COLOUR_MEANING)
    # a letter agrees with the side the reading names, H high and L low, in every polarity
    for (reading, side), s in narrative.VARIATION_SYMBOLS.items():
        assert s.letter == side and s.icon.endswith({"H": "_high", "L": "_low", "": "cause"}[side])
        found = {narrative.side_of(reading, p) for p in ("higher_is_better", "lower_is_better")}
        assert side in found
    assert narrative.variation_symbol("improving special cause", "lower_is_better").icon == (
        "improvement_low"
    )
    assert narrative.variation_symbol("concerning special cause", "lower_is_better").icon == (
        "concern_high"
    )
    assert narrative.variation_symbol("none: only 3 quarters of history; SPC needs 15", "x") is None
    svg = narrative.ASSURANCE_SYMBOLS["hit and miss"].svg()
    assert 'aria-hidden="true"' in svg and ">?</span>" in svg  # words beside it, never alone


def test_the_trend_chart_marks_a_rating_with_its_badge_shape():
    for rag, (_, _, symbol) in RAG_TEXT.items():
        if symbol not in SHAPE_OF:
            continue  # no figure: nothing drawn
        chart = charts.trend_chart("t", "T", [("2026/27 Q1", 5.0, rag, None)], "count", 0)
        mark = chart.svg.split('class="mark"')[0].rsplit("<", 1)[1]
        assert SHAPE_OF[symbol] == f"<{mark.split()[0]}", (rag, mark)


def test_templates_take_their_symbols_from_the_tables():
    """A symbol written into a template is a second, untested vocabulary."""
    symbols = {
        symbol for symbol, _, _ in glyph_pairs() if len(symbol) == 1 and not symbol.isalnum()
    } - {"?", "–"}
    symbols |= {"◆", "✓", "✗", "✕", "►"}  # the symbols of before issue 25
    found = {
        (path.name, symbol)
        for path in TEMPLATES.glob("*.j2")
        for symbol in symbols
        if symbol in path.read_text()
    }
    assert found == set()
