"""Rendering reports: Jinja2 with autoescape on, the shared page furniture, whole-file writes."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

import jinja2

from pm_pipeline.core.files import write_atomic
from pm_pipeline.core.words import plural
from pm_pipeline.render import wording
from pm_pipeline.render.spreadsheet import Sheet, write_xlsx


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pm_pipeline.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        value=wording.format_value,
        rag_label=wording.rag_label,
        rag_symbol=wording.rag_symbol,
        direction_label=wording.direction_label,
        direction_symbol=wording.direction_symbol,
        ordinal=wording.ordinal,
        plural=plural,
        uk_date=lambda d: f"{d:%-d %B %Y}" if d else "",
    )
    return env


def is_sample(council_name: str) -> bool:
    """The shipped sample council says so in its name; its reports carry a banner."""
    return "sample" in council_name.casefold()


def render_html(template: str, **context: object) -> str:
    context.setdefault("generated_at", datetime.now().replace(microsecond=0))
    return environment().get_template(template).render(**context)


def write_html(path: Path, template: str, **context: object) -> Path:
    return write_atomic(path, render_html(template, **context))


def sample_label(title: str, sample: bool) -> str:
    return title + (" — SAMPLE DATA (synthetic figures)" if sample else "")


def publish(
    folder: Path, stem: str, template: str, view: dict, title: str, sheets: list[Sheet]
) -> dict[str, Path]:
    """`<stem>.html` from the template and `<stem>.xlsx` from the sheets, each written whole."""
    html = write_atomic(folder / f"{stem}.html", render_html(template, **view))
    return {"html": html, "xlsx": write_xlsx(folder / f"{stem}.xlsx", sheets, title)}
