"""The sample council tells a coherent story: every owner's note fits its figure's movement.

Read back from the files the generator writes (with the product's own reader), as a reader of
the reports would meet them: a note that says a figure rose sits beside a figure that rose,
and the reason it gives is one for a figure that got better, worse or (neutral PIs) just moved.
"""

from pathlib import Path

import pytest

from pm_pipeline.core.values import is_missing
from pm_pipeline.defs.intake.read import read_quarter
from pm_pipeline.sample import catalogue as cat
from pm_pipeline.sample import generate

UP_WORDS = ("up on", "higher than", "an increase", "rose", "rise")
DOWN_WORDS = ("down on", "lower than", "a fall", "fell", "fall ")


@pytest.fixture(scope="module")
def sample_returns(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict]:
    root = tmp_path_factory.mktemp("sample")
    generate.write_register(root, cat.CATALOGUE)
    generate.write_returns(root, cat.CATALOGUE)
    generate.restate_current(root)
    ids = {p.pi_id.casefold(): p.pi_id for p in cat.CATALOGUE}
    found = {}
    for quarter in generate.quarters():
        read, _ = read_quarter(root / "returns", quarter, ids)
        for row in read.candidates.to_dict("records"):
            found[(quarter.key, row["pi_id"])] = row
    return found


def _before(pi: cat.SamplePI, key: str) -> str:
    from pm_pipeline.core.periods import Quarter

    quarter = Quarter.from_key(key)
    return (quarter.previous if pi.frequency == "quarterly" else quarter.same_quarter_last_year).key


def _moves(returns: dict) -> list[tuple[cat.SamplePI, float, float, str]]:
    pis = {p.pi_id: p for p in cat.CATALOGUE}
    out = []
    for (key, pi_id), row in sorted(returns.items()):
        pi = pis[pi_id]
        before = returns.get((_before(pi, key), pi_id))
        if before is None or is_missing(row["value"]) or is_missing(before["value"]):
            continue
        out.append((pi, float(row["value"]), float(before["value"]), str(row["note"])))
    return out


def test_every_note_says_the_way_its_figure_moved(sample_returns):
    moves = _moves(sample_returns)
    assert len(moves) > 500  # the sample's whole history, not a handful
    wrong = []
    for pi, value, before, note in moves:
        text = note.casefold()
        says_up = any(w in text for w in UP_WORDS)
        says_down = any(w in text for w in DOWN_WORDS)
        if (value > before and says_down) or (value < before and says_up):
            wrong.append(f"{pi.pi_id}: {before} -> {value}: {note}")
        if value == before and (says_up or says_down):
            wrong.append(f"{pi.pi_id}: unchanged at {value}: {note}")
    assert wrong == []


def test_every_reason_fits_better_worse_or_neutral(sample_returns):
    wrong = []
    for pi, value, before, note in _moves(sample_returns):
        moved = generate.movement(pi, value, before)
        reasons = generate._REASONS.get(pi.service)
        if reasons is None or "Corrected on" in note:
            continue
        others = {r for k, r in reasons.items() if r != generate.reason_for(pi, moved)}
        if generate.reason_for(pi, moved) not in note or any(r in note for r in others):
            wrong.append(f"{pi.pi_id} ({pi.polarity}) {before} -> {value} ({moved}): {note}")
    assert wrong == []


def test_a_breaking_note_is_caught():
    """The checks above can fail: a rise told as a fall (the old sample's Planning note)."""
    pi = next(p for p in cat.CATALOGUE if p.pi_id == "PL-01")
    good = generate.note_for(pi, 90.0, 85.0, 0)
    assert "up on last quarter" in good and "vacancies were filled" in good
    worse = generate.note_for(pi, 80.0, 85.0, 0)
    assert "down on last quarter" in worse and "vacancies were filled" not in worse
    neutral = next(p for p in cat.CATALOGUE if p.polarity == "neutral" and p.service == "Housing")
    assert "remains high" not in generate.note_for(neutral, 2500, 2400, 1)


def test_taken_pis_owe_no_return_in_the_sample(sample_returns, tmp_path: Path):
    taken = {p.pi_id for p in cat.CATALOGUE if p.statistic_use == "taken"}
    assert taken == {"PB-04", "PB-05"}
    assert not [k for k in sample_returns if k[1] in taken]
