"""The State of the District for one half-year, as plain data the template lays out.

Everything is taken "as it stood" when the half-year's report runs (the end of the month
after the half closes, as the quarterly cycle does): place statistics published by then,
the council's own place-based and contextual indicators to the half's last quarter, and
LG Inform and Oflog benchmarks for periods ending by the half's end. The summary compares
that picture with the one the previous report showed six months earlier.
"""

from __future__ import annotations

from pm_pipeline.core.periods import Half
from pm_pipeline.defs.district.inputs import (
    DistrictInputs,
    places_for,
    report_date,
)
from pm_pipeline.defs.district.pi_view import benchmark_view, pi_view
from pm_pipeline.defs.district.sections import comparisons, sections_view
from pm_pipeline.defs.district.summary import sources_view, summary_sentences
from pm_pipeline.defs.register.model import Register
from pm_pipeline.defs.scorecard import narrative
from pm_pipeline.render.pages import is_sample


def build_view(inputs: DistrictInputs, half: Half, register: Register) -> dict:
    """Everything the State of the District shows for `half`, as plain data."""
    places = places_for(register, inputs.context, inputs.benchmarks)
    as_of, before_as_of = report_date(half), report_date(half.previous)
    now = comparisons(inputs.context, as_of, places)
    before = comparisons(inputs.context, before_as_of, places)
    themes = pi_view(inputs, half, register, places, as_of, before_as_of)
    sources = sources_view(inputs.context)
    return {
        "council_name": register.council.name,
        "sample": is_sample(register.council.name),
        "sample_files": any(f["sample"] for s in sources for f in s["files"]),
        "half": half,
        "period_words": f"{half.start:%B %Y} to {half.end:%B %Y}",
        "as_of": as_of,
        "previous_as_of": before_as_of,
        "comparator_group": register.council.comparator_group,
        "comparator_count": len(places.comparators),
        "region_name": places.region_name,
        "summary": summary_sentences(now, before, themes),
        "sections": sections_view(inputs.context, now, places, register, as_of),
        "pi_themes": themes,
        "benchmark_groups": benchmark_view(inputs.benchmarks, half, places, register),
        "sources": sources,
        "has_context": not inputs.context.empty,
        "stable_band_text": narrative.stable_band_text(register),
    }
