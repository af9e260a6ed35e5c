"""Great Expectations Data Docs: the data team's record of every validation of the returns.

Each intake run validates its quarters once (`evaluate.py`); that same result is kept here in a
file-backed GX context under `$PM_DATA_DIR/gx/` (its validations store is the history of every
run) and rendered into one Data Docs site, `reports/data_docs/index.html`, which lists every
run newest first, named after the quarter (or range of quarters) it read. Nothing is validated a
second time for the record: re-validating each quarter for a page of its own cost 1-3 s a
quarter (two GX validations and a site build each), which every sensor run paid and a
forty-quarter backfill paid forty times. Owners keep their plain-English lists.

GX's pages load Bootstrap, jQuery, bootstrap-table and Font Awesome from CDNs, so on a council
server without the internet the index was blank. Those files are shipped in
`data_docs_assets/vendor/` (the versions GX's templates name, from npm: docs/data-quality.md,
"Data Docs offline") and copied into the site's `static/pm_pipeline/`, and each page GX builds
is rewritten to load them by relative links, so the folder opens from disk or a file share. The
rewrite also gives each page a language, our `data_docs.css` and `data_docs.js` (for what
axe-core finds on GX's pages: faint colours, unnamed filter boxes, tables scrolling out of the
keyboard's reach) and a status in words that knows the rules' severities ("Passed with
warnings" when only WARN rules failed: the returns were accepted); each validation names the
quarters it read through its batch spec. Linked rather than inlined through GX's custom-styles
hook, the styles reach pages GX built before, which are rewritten at the site's first run.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from pm_pipeline.core.periods import ReturnPeriod
from pm_pipeline.defs.quality.evaluate import Evaluation, gx_context

SITE = "returns"
# GX's COMPLETE results name every failing row; the record keeps GX's summary of them (the
# counts and the first 20 values), as SUMMARY results would: the owners' lists name the rows.
FULL_LISTS = ("unexpected_index_list", "unexpected_list", "unexpected_index_query")
TABLES = {"rows": "PI returns", "owed": "Returns owed"}  # what each validation read

ASSETS = Path(__file__).resolve().parent / "data_docs_assets"
SITE_ASSETS = ("static", "pm_pipeline")  # where in the site ASSETS are copied
# Each file GX's templates load from a CDN, and its copy in ASSETS / "vendor" (the same
# package and version from npm; GX names bootstrap-table 1.19.0 for the filter-control CSS,
# whose rules 1.19.1 repeats unchanged, and the unminified bootstrap-dark, shipped minified).
CDN_COPIES = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap-4.3.1/bootstrap.min.css"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap-4.3.1/bootstrap.min.js"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js-1.12.9/popper.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table-1.19.1/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table-1.19.1/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": ("bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.css"),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": ("bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome-free-6.6.0/css/all.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": ("bootstrap-dark-1.1.0/bootstrap-prefers-dark.min.css"),
}
# Vega draws GX's charts, and no expectation in the returns suite has one: its scripts go.
CDN_UNUSED = frozenset(
    f"https://cdn.jsdelivr.net/npm/{name}" for name in ("vega@5", "vega-lite@5", "vega-embed@6")
)
# A <script> or stylesheet <link> that loads from the internet.
CDN_TAG = re.compile(
    r'<(?P<tag>script|link)\b[^>]*?(?:src|href)="(?P<url>https?://[^"]+)"[^>]*>(?:\s*</script>)?'
)
# GX's logo, fetched from its web assets with the site's id in the query: the site has a copy.
GX_LOGO = re.compile(r'src="https://great-expectations-web-assets\.[^"/]+/(?P<name>[\w.-]+)[^"]*"')
# The validation page's overview: "Status:", GX's icon and Succeeded or Failed.
PAGE_STATUS = re.compile(
    r'(?P<label><span class="h6" >Status:</span>)\s*<i class="fas [^"]*"[^>]*></i>\s*'
    r"(?:Succeeded|Failed)"
)
TITLE = re.compile(r"<title>[^<]*</title>")
# The index's table: its rows are a Python list literal in a script.
INDEX_ROWS = re.compile(r"(?P<head>\bdata: )(?P<rows>\[.*?\])(?P<tail>,\s*toolbar:)", re.S)

PASSED, WARNED, FAILED = "Passed", "Passed with warnings", "Failed"
STATUS_ICON = {
    PASSED: "fa-check-circle text-success",
    WARNED: "fa-exclamation-triangle pm-warned",
    FAILED: "fa-times-circle text-danger",
}

# GX marks each expectation's outcome with an icon alone
EXPECTATION_ICONS = {"fa-check-circle text-success": "Passed", "fa-times text-danger": "Failed"}


def run_name(quarters: Sequence[ReturnPeriod]) -> str:
    """The run as the Data Docs index lists it: its quarter, or its first and last quarters."""
    first, last = quarters[0].folder, quarters[-1].folder
    return first if first == last else f"{first}_to_{last}"


def _quarters_label(quarters: Sequence[ReturnPeriod]) -> str:
    first, last = quarters[0].label, quarters[-1].label
    return first if first == last else f"{first} to {last}"


def _site(context, reports_dir: Path) -> str:
    config = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,  # GX's tutorials: a modal and a footer of links
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(reports_dir / "data_docs"),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    if SITE in context.get_site_names():
        context.update_data_docs_site(SITE, config)
    else:
        context.add_data_docs_site(SITE, config)
    return SITE


def write_data_docs(
    evaluation: Evaluation, quarters: Sequence[ReturnPeriod], data_dir: Path, reports_dir: Path
) -> Path:
    """Keep the run's validation results and render their pages and the site's index; the
    page of the run's validation of the returns' rows (the checks link to it).

    Called after `evaluate_returns` has turned the results into issues: the full lists of
    failing rows are dropped from the kept copy here.
    """
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    context = gx_context("file", data_dir)  # GX keeps its project in data_dir / "gx"
    run_id = RunIdentifier(run_name=run_name(quarters), run_time=datetime.now(UTC))
    keys = []
    for table, result in zip(TABLES, evaluation.validations, strict=True):
        for expectation in result.results:
            for name in FULL_LISTS:
                expectation.result.pop(name, None)
        result.meta["run_id"] = run_id
        # GX's pages and index name a validation's data asset from its batch spec
        result.meta["batch_spec"]["data_asset_name"] = (
            f"{TABLES[table]}, {_quarters_label(quarters)}"
        )
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
            run_id=run_id,
            batch_identifier=f"pi_returns-{table}",
        )
        context.validation_results_store.set(key, result)
        keys.append(key)
    site = _site(context, reports_dir)
    root = reports_dir / "data_docs"
    earlier = not root.joinpath(*SITE_ASSETS).is_dir()  # a site from before the copies
    context.build_data_docs(site_names=[site], resource_identifiers=keys)
    shutil.copytree(ASSETS, root.joinpath(*SITE_ASSETS), dirs_exist_ok=True)
    pages = [
        Path(unquote(urlparse(u["site_url"]).path))
        for key in keys
        for u in context.get_docs_sites_urls(resource_identifier=key, site_name=site)
    ]
    store = context.validation_results_store.store_backend

    def validation(page: str) -> dict[str, Any]:
        """The stored result (JSON) of the validation whose page is `page`, its path in the site."""
        key = page.removeprefix("validations/").removesuffix(".html").split("/")
        return json.loads(store.get(tuple(key)))

    for page in {
        *pages,
        *(root.glob("validations/**/*.html") if earlier else ()),
        root / "index.html",
    }:
        offline_page(page, root, validation)
    return pages[0]


def verdict(validation: Mapping[str, Any]) -> str:
    """Passed, Passed with warnings (only expectations of GX's severity below critical failed:
    the suite gives WARN rules "warning"), or Failed, from a stored validation result."""
    failed = {
        r["expectation_config"].get("severity", "critical")
        for r in validation["results"]
        if not r["success"]
    }
    return FAILED if "critical" in failed else WARNED if failed else PASSED


def _status_html(status: str) -> str:
    return f'<i class="fas {STATUS_ICON[status]}" aria-hidden="true"></i> {status}'


def offline_page(page: Path, site: Path, validation: Callable[[str], Mapping[str, Any]]) -> None:
    """Rewrite one page of the site to load the shipped copies by relative links and to say
    its validations' status; `validation` reads the result a page (its path in the site) shows."""
    html = page.read_text(encoding="utf-8")
    if "/".join(SITE_ASSETS) in html:
        return  # rewritten already
    up = Path(os.path.relpath(site, page.parent)).as_posix()

    def local(match: re.Match[str]) -> str:
        url = match["url"]
        if url in CDN_UNUSED:
            return ""
        if url not in CDN_COPIES:
            return match[0]  # a link GX added since: the offline test names it
        path = "/".join((up, *SITE_ASSETS, "vendor", CDN_COPIES[url]))
        if match["tag"] == "script":
            return f'<script src="{path}"></script>'
        return f'<link rel="stylesheet" href="{path}">'

    html = CDN_TAG.sub(local, html)
    html = GX_LOGO.sub(lambda m: f'src="{up}/static/images/{m["name"]}"', html)
    html = html.replace("<html>", '<html lang="en-GB">', 1).replace("<title></title>", "")
    ours = "/".join((up, *SITE_ASSETS, "data_docs"))  # after GX's styles, and its scripts
    html = html.replace("</head>", f'<link rel="stylesheet" href="{ours}.css">\n</head>', 1)
    html = html.replace("</body>", f'<script src="{ours}.js"></script>\n</body>', 1)
    if page.name == "index.html":
        html, title = _index_page(html, validation)
    else:
        html, title = _validation_page(html, validation(page.relative_to(site).as_posix()))
    # GX titles every page alike ("Data Docs created by Great Expectations")
    html = TITLE.sub(f"<title>{escape(title)}</title>", html, count=1)
    page.write_text(html, encoding="utf-8")


def _index_page(html: str, validation: Callable[[str], Mapping[str, Any]]) -> tuple[str, str]:
    html = INDEX_ROWS.sub(
        lambda m: m["head"] + _index_rows(m["rows"], validation) + m["tail"], html
    )
    # the tabs' list items are not list items to a screen reader (axe: listitem)
    html = html.replace('<li class="nav-item">', '<li class="nav-item" role="presentation">')
    return html, "Data Docs: every validation of the PI returns"


def _validation_page(html: str, shown: Mapping[str, Any]) -> tuple[str, str]:
    said = verdict(shown)
    html = PAGE_STATUS.sub(lambda m: f"{m['label']} {_status_html(said)}", html)
    for icon, outcome in EXPECTATION_ICONS.items():  # each expectation's, in words too
        html = html.replace(
            f'<i class="fas {icon}" ></i>',
            f'<i class="fas {icon}" aria-hidden="true"></i><span class="sr-only">{outcome}</span>',
        )
    meta = shown["meta"]
    named = meta.get("batch_spec", {}).get("data_asset_name") or meta["run_id"]["run_name"]
    return html, f"{named}: {said.lower()} · Data Docs"


def _index_rows(literal: str, validation: Callable[[str], Mapping[str, Any]]) -> str:
    """The index's rows with each validation's status in words, and its run a link."""
    rows = ast.literal_eval(literal)  # GX writes the rows as a Python literal
    for row in rows:
        link = unquote(row["_table_row_link_path"])
        said = PASSED if row["_validation_success_text"] != "Failed" else verdict(validation(link))
        row["_validation_success_text"] = said
        row["validation_success"] = _status_html(said)
        row["run_name"] = f'<a href="{row["_table_row_link_path"]}">{row["run_name"]}</a>'
    return json.dumps(rows)
