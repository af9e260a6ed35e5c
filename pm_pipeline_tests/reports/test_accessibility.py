"""Every HTML report the sample council's demo writes, checked in a real headless Chromium.

The demo runs once for the module on a copy of the shipped `data/`; one browser session then
visits each report at a desktop width (1280px) and a phone width (390px). axe-core's WCAG
2.0/2.1/2.2 A and AA rules must find nothing at either width, and the checks axe leaves to a
person are made here: one h1 and no skipped heading level, captions and header scope, a skip
link that is the first thing Tab reaches, a focus style you can see, a print stylesheet,
charts that are named images whose text lists every value, ratings shown by text and shape as
well as colour, and no sideways scrolling on a phone. A full-page screenshot of each report at
each width is saved under the data directory's `reports/screenshots/` (and copied to
/tmp/a11y-screens/) for a person to look at.
"""

from __future__ import annotations

import html as html_text
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page

from pm_pipeline_tests.browser import (
    AXE_JS,
    accessible_names,
    axe_violations,
    chrome,
    describe,
    full_page_screenshot,
    require_browser,
    run,
    set_width,
)
from pm_pipeline_tests.reports.conftest import CABINET_PAPER, Demo

pytestmark = [
    pytest.mark.xdist_group("demo"),  # one demo run per worker (reports/conftest.py)
    pytest.mark.slow,
    pytest.mark.timeout(900),  # the first test's setup runs the whole demo on the sample
]

SCREENS_COPY = Path("/tmp/a11y-screens")
WIDTHS = {"desktop": 1280, "phone": 390}
REPORTS = {
    "kpi_scorecard": "2026-27-Q2/kpi_scorecard.html",
    "quality_lists": "2026-27-Q2/quality/*.html",
    "outstanding_returns": "2026-27-Q2/outstanding_returns.html",
    "state_of_the_district": "2026-27-H1/state_of_the_district.html",
    "annual_performance_report": "2025-26/annual_performance_report.html",
    "cabinet_report": "2026-27-Q2/cabinet_report.html",
    "service_report": "2026-27-Q2/service_report.html",
    "management_report": "2026-27-Q2/management_report.html",
    "governance_report": "2026-27-Q2/governance_report.html",
    # issue 28: the month's service scorecards (one per directorate) and the leader's update
    "service_scorecard": "2026-09/service_scorecard_*.html",
    "leader_update": "2026-09/leader_update.html",
}
# A RAG rating drawn in a chart: the marker's fill colour and the shape that says the same.
RAG_SHAPES = {"#00703c": "circle", "#b58800": "polygon", "#b10e1e": "rect"}

# Everything about a page's structure the tests look at, read in one pass in the browser.
PROBE = """
const text = el => (el ? el.textContent.replace(/\\s+/g, ' ').trim() : '');
const named = ids => ids.map(id => document.getElementById(id));
const printRules = [];
for (const sheet of document.styleSheets) {
  for (const rule of sheet.cssRules) {
    if (rule instanceof CSSMediaRule && /\\bprint\\b/.test(rule.media.mediaText)) {
      printRules.push(...[...rule.cssRules].map(r => r.cssText));
    }
  }
}
return {
  lang: document.documentElement.getAttribute('lang') || '',
  headings: [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
    .map(h => [Number(h.tagName[1]), text(h)]),
  tables: [...document.querySelectorAll('table')].map(t => ({
    caption: text(t.caption),
    unscoped: [...t.querySelectorAll('th')].filter(th => !th.getAttribute('scope')).map(text),
  })),
  main: document.querySelector('main#main') !== null,
  printRules: printRules,
  charts: [...document.querySelectorAll('svg')].map(svg => {
    const ids = (svg.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    const parts = named(ids);
    return {
      role: svg.getAttribute('role'),
      parts: parts.map(p => (p ? p.tagName.toLowerCase() : null)),
      title: text(parts[0]),
      desc: text(parts[1]),
      marks: [...svg.querySelectorAll('.mark')].map(m => ({
        value: m.getAttribute('data-value'),
        shape: m.tagName.toLowerCase(),
        fill: (m.getAttribute('fill') || '').toLowerCase(),
      })),
      focusable: svg.querySelectorAll('a, [tabindex]').length,
    };
  }),
  badges: [...document.querySelectorAll('.badge')].map(b => {
    const style = getComputedStyle(b);
    return {
      rag: [...b.classList].find(c => c.startsWith('rag-')) || '',
      symbol: text(b.querySelector('.sym')),
      symbolHidden: (b.querySelector('.sym') || b).getAttribute('aria-hidden') === 'true',
      label: text(b).replace(text(b.querySelector('.sym')), '').trim(),
      border: style.borderTopStyle + ' ' + (parseFloat(style.borderTopLeftRadius) > 0),
    };
  }),
};
"""
# The page's width, and each table region: whether it overflows and what it is called.
LAYOUT = """
const text = el => (el ? el.textContent.replace(/\\s+/g, ' ').trim() : '');
return {
  pageWidth: document.documentElement.scrollWidth,
  regions: [...document.querySelectorAll('table')].map(t => {
    const box = t.parentElement;
    const scrolls = getComputedStyle(box).overflowX === 'auto';
    const ids = (box.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    return {
      caption: text(t.caption),
      overflows: t.getBoundingClientRect().width > box.clientWidth + 1,
      scrolls: scrolls,
      role: box.getAttribute('role'),
      tabindex: box.getAttribute('tabindex'),
      name: ids.map(id => text(document.getElementById(id))).join(' ')
        || box.getAttribute('aria-label') || '',
    };
  }),
};
"""
# The focused element: what it is, and whether its focus style can be seen.
FOCUSED = """
const el = document.activeElement;
const style = getComputedStyle(el);
const box = el.getBoundingClientRect();
const seen = c => !/^(transparent|rgba\\(.*,\\s*0\\))$/.test(c);
return {
  tag: el.tagName.toLowerCase(),
  id: el.id,
  href: el.getAttribute('href'),
  text: el.textContent.replace(/\\s+/g, ' ').trim().slice(0, 80),
  outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
    && seen(style.outlineColor),
  shadow: style.boxShadow !== 'none',
  onScreen: box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= 0
    && box.right <= window.innerWidth,
};
"""


@dataclass
class Audit:
    """What the browser found on one report."""

    name: str
    violations: dict[str, list[dict]] = field(default_factory=dict)
    page: dict = field(default_factory=dict)
    layout: dict[str, dict] = field(default_factory=dict)
    focus: list[dict] = field(default_factory=list)
    after_skip: dict = field(default_factory=dict)
    screenshots: list[Path] = field(default_factory=list)


@pytest.fixture(scope="module")
def sample_reports(sample_demo: Demo) -> tuple[Path, str]:
    """The demo's reports folder and what it printed (the demo runs once per worker)."""
    require_browser()
    if not AXE_JS.exists():
        pytest.skip("axe-core is not installed (make test installs it with npm into .cache/)")
    return sample_demo.reports, f"demo exit code {sample_demo.code}:\n{sample_demo.output}"


@pytest.fixture(scope="module")
def browser():
    require_browser()
    with chrome(WIDTHS["desktop"], 900) as page:
        yield page


@pytest.fixture(scope="module")
def screens(sample_reports: tuple[Path, str]) -> Path:
    folder = sample_reports[0] / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    SCREENS_COPY.mkdir(parents=True, exist_ok=True)
    return folder


def report_files(kind: str, sample_reports: tuple[Path, str]) -> list[Path]:
    reports, demo_output = sample_reports
    found = sorted(reports.glob(REPORTS[kind]))
    assert found, f"the demo wrote no {REPORTS[kind]} under {reports}\n{demo_output}"
    return found


def tab(page: Page) -> dict:
    page.keyboard.press("Tab")
    return run(page, FOCUSED)


def audit(page: Page, path: Path, name: str, screens: Path) -> Audit:
    """Visit one report: structure, keyboard focus, axe and a screenshot at each width."""
    found = Audit(name)
    set_width(page, WIDTHS["desktop"])
    page.goto(path.as_uri())
    found.page = run(page, PROBE)
    names = accessible_names(page, "svg")  # as Chrome tells assistive technology
    for chart, chart_name in zip(found.page["charts"], names, strict=True):
        chart["name"] = " ".join(chart_name.split())
    found.focus.append(tab(page))  # from the top of the page: the skip link
    page.keyboard.press("Enter")
    found.after_skip = run(page, FOCUSED)
    found.focus.append(tab(page))  # the first thing in the main content
    for label, width in WIDTHS.items():
        set_width(page, width)
        page.goto(path.as_uri())
        found.layout[label] = run(page, LAYOUT)
        found.violations[label] = axe_violations(page)
        shot = full_page_screenshot(page, screens / f"{name}-{label}.png")
        shutil.copy2(shot, SCREENS_COPY / shot.name)
        found.screenshots.append(shot)
    set_width(page, WIDTHS["desktop"])
    return found


@pytest.fixture(scope="module", params=list(REPORTS))
def audits(request, sample_reports, browser, screens) -> list[Audit]:
    """Each report of one kind, visited once and shared by the tests below."""
    paths = report_files(request.param, sample_reports)
    folder = sample_reports[0]
    names = [re.sub(r"[^\w.-]+", "_", str(p.relative_to(folder).with_suffix(""))) for p in paths]
    return [audit(browser, path, name, screens) for path, name in zip(paths, names, strict=True)]


def test_axe_finds_no_wcag_a_or_aa_violations_at_desktop_or_phone_width(audits):
    found = [
        f"{a.name} at {width} width: {describe(v)}"
        for a in audits
        for width, v in a.violations.items()
        if v
    ]
    assert not found, "\n".join(found)


def test_one_h1_and_heading_levels_never_skip(audits):
    for a in audits:
        levels = [level for level, _ in a.page["headings"]]
        assert levels.count(1) == 1 and levels[0] == 1, (a.name, a.page["headings"][:3])
        skips = [
            (before, after)
            for (before, _), after in zip(a.page["headings"], a.page["headings"][1:], strict=False)
            if after[0] > before + 1
        ]
        assert skips == [], a.name


def test_every_table_has_a_caption_and_every_header_cell_a_scope(audits):
    for a in audits:
        assert all(t["caption"] for t in a.page["tables"]), a.name
        assert [t["unscoped"] for t in a.page["tables"] if t["unscoped"]] == [], a.name


def test_language_main_landmark_and_print_stylesheet(audits):
    for a in audits:
        assert a.page["lang"] == "en-GB", a.name
        assert a.page["main"], f"{a.name}: no <main id=main> for the skip link"
        rules = " ".join(a.page["printRules"])
        assert ".skip-link" in rules and "display: none" in rules, a.name
        assert "thead" in rules and "break-inside: avoid" in rules, a.name


def test_the_skip_link_comes_first_and_focus_can_be_seen(audits):
    for a in audits:
        skip, after = a.focus
        assert (skip["tag"], skip["href"], skip["text"]) == ("a", "#main", "Skip to main content")
        assert skip["onScreen"], f"{a.name}: the focused skip link is off screen"
        assert skip["outline"] or skip["shadow"], f"{a.name}: no visible focus on the skip link"
        assert (a.after_skip["tag"], a.after_skip["id"]) == ("main", "main"), a.name
        if after["tag"] != "body":  # something focusable in the content: its focus shows too
            assert after["outline"] or after["shadow"], (a.name, after)


def test_charts_are_named_images_whose_text_lists_every_value(audits):
    for a in audits:
        for chart in a.page["charts"]:
            where = f"{a.name}: {chart['title'] or 'untitled chart'}"
            assert chart["role"] == "img" and chart["parts"] == ["title", "desc"], where
            assert chart["title"] and chart["desc"].startswith(chart["title"]), where
            assert chart["name"] == f"{chart['title']} {chart['desc']}", where
            assert chart["focusable"] == 0, where
            missing = [m["value"] for m in chart["marks"] if m["value"] not in chart["desc"]]
            assert missing == [], where


def test_ratings_are_shown_by_text_and_shape_not_colour_alone(audits):
    for a in audits:
        for chart in a.page["charts"]:
            for mark in chart["marks"]:
                if mark["fill"] in RAG_SHAPES:
                    assert mark["shape"] == RAG_SHAPES[mark["fill"]], (a.name, chart["title"])
        looks: dict[str, set] = {}
        for badge in a.page["badges"]:
            assert badge["label"] and badge["symbol"] and badge["symbolHidden"], (a.name, badge)
            looks.setdefault(badge["rag"], set()).add(
                (badge["label"], badge["symbol"], badge["border"])
            )
        assert all(len(seen) == 1 for seen in looks.values()), (a.name, looks)
        labels = [next(iter(seen))[0] for seen in looks.values()]
        assert len(set(labels)) == len(labels), (a.name, looks)
        if {"rag-GREEN", "rag-AMBER", "rag-RED"} <= looks.keys():
            shapes = {next(iter(looks[r]))[1:] for r in ("rag-GREEN", "rag-AMBER", "rag-RED")}
            assert len(shapes) == 3, f"{a.name}: green, amber and red differ only by colour"


def test_a_phone_never_scrolls_sideways_and_wide_tables_scroll_in_named_regions(audits):
    for a in audits:
        for label, layout in a.layout.items():
            assert layout["pageWidth"] <= WIDTHS[label], f"{a.name} scrolls sideways at {label}"
            for region in layout["regions"]:
                if region["overflows"]:
                    assert region["scrolls"] and region["role"] == "region", (a.name, region)
                    assert region["tabindex"] == "0" and region["name"], (a.name, region)


def test_at_1280px_every_table_fits_its_page(audits):
    """A desktop reader sees every table whole: the widest (the annual report's outturns by
    theme, thirteen columns) fits a 1280px screen rather than scrolling in its region."""
    for a in audits:
        cut_off = [r["caption"] for r in a.layout["desktop"]["regions"] if r["overflows"]]
        assert cut_off == [], a.name


def test_full_page_screenshots_are_saved_for_a_person_to_look_at(audits):
    for a in audits:
        assert len(a.screenshots) == len(WIDTHS)
        for shot in a.screenshots:
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
            assert (SCREENS_COPY / shot.name).exists()


# Reports by audience (issue 16): read from the same demo run, so they cost no extra cycle.
AUDIENCE_TYPES = {
    "cabinet_report": ({"kpi", "contextual", "place"}, "Cabinet and Overview & Scrutiny"),
    "service_report": ({"service"}, "Corporate Management Team (CMT)"),
    "management_report": ({"management"}, "leadership team"),
}


ABOUT_LINKS = {f"{stem}.html" for stem in AUDIENCE_TYPES} | {
    "governance_report.html",
    "kpi_scorecard.html",
}


def _pi_types(data: Path) -> dict[str, str]:
    import csv

    with (data / "config" / "indicators.csv").open(newline="", encoding="utf-8-sig") as f:
        return {row["pi_id"]: row["type"] for row in csv.DictReader(f)}


def test_each_audience_report_says_who_it_is_for_and_holds_only_its_pi_types(sample_reports):
    reports, demo_output = sample_reports
    types = _pi_types(reports.parent)
    for stem, (wanted, readers) in AUDIENCE_TYPES.items():
        path = reports / "2026-27-Q2" / f"{stem}.html"
        assert path.exists(), f"no {path}\n{demo_output}"
        html = path.read_text()
        about = html[html.index('<section class="about"') :]
        about = about[: about.index("</section>")]
        assert "<strong>For:</strong> " in about and readers in html_text.unescape(about), stem
        others = ABOUT_LINKS - {f"{stem}.html"}
        assert {h for h in re.findall(r'href="([^"#]+)"', about)} == others, stem
        assert "Sample data." in html, stem
        shown = set(re.findall(r'<section class="pi" id="pi-([^"]+)"', html))
        assert shown, stem
        assert {types[pid] for pid in shown} == wanted, stem
    xlsx = reports / "2026-27-Q2" / "service_report.xlsx"
    assert xlsx.exists()


def test_the_management_report_shows_the_quarters_data_quality(sample_reports):
    html = (sample_reports[0] / "2026-27-Q2" / "management_report.html").read_text()
    assert "PI returns by service" in html and "Issues by service and rule" in html
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">(\d+)</td>', html)
    assert rows and sum(int(due) for _, due in rows) > 0


def test_the_cabinet_paper_has_its_frame_deliverables_risks_and_assurance_in_chromium(
    sample_reports, browser
):
    page = browser
    set_width(page, WIDTHS["desktop"])
    page.goto((sample_reports[0] / "2026-27-Q2" / "cabinet_report.html").as_uri())
    text = " ".join(page.inner_text("main").split())
    assert [p for p in CABINET_PAPER if p not in text] == []
    risks = " ".join(page.inner_text("#risks ~ .table-scroll .risk-list").split())
    assert re.search(
        r"CR-07 Cyber attack on council systems 15 25 \(5 × 5\) 4 .* averse \(4\) Beyond appetite",
        risks,
    ), risks
    assert page.locator("table.assurance-list tbody tr").count() > 0  # the list it counts
    boxes = run(
        page,
        """return [...document.querySelectorAll('section.exception')].map(s => {
             const t = s.querySelector('.exception-text').getBoundingClientRect();
             const svg = s.querySelector('.exception-chart svg');
             const c = svg ? svg.getBoundingClientRect() : null;
             const named = svg && document.getElementById(
               svg.getAttribute('aria-labelledby').split(' ')[0]);
             return {id: s.id, chart: named ? named.textContent : null,
                     beside: !!c && c.left >= t.right - 1 && c.top < t.bottom && c.bottom > t.top};
           });""",
    )
    exceptions = set(
        re.findall(r'<section class="exception" id="exception-([^"]+)"', page.content())
    )
    assert exceptions and {b["id"].removeprefix("exception-") for b in boxes} == exceptions
    for b in boxes:  # each exception's own signal-or-noise (SPC) chart
        assert b["chart"].startswith(b["id"].removeprefix("exception-") + " "), b
        assert b["chart"].endswith(": signal or noise"), b
    assert all(b["beside"] for b in boxes), boxes  # the SPC chart beside each exception


def test_the_governance_report_is_written_and_flags_cr07_beyond_appetite(sample_reports):
    folder = sample_reports[0] / "2026-27-Q2"
    assert (folder / "governance_report.pdf").exists(), sample_reports[1]
    html = (folder / "governance_report.html").read_text()
    page = " ".join(html_text.unescape(re.sub(r"<[^>]+>", " ", html)).split())
    beyond = page[page.index("Risks beyond appetite:") : page.index("Risks within appetite")]
    assert re.search(
        r"CR-07 Cyber attack on council systems .*?15 → 25 → 4 averse \(4\) Beyond appetite by 21",
        beyond,
    )
    assert "No open action" in beyond.split("CR-07")[1]
    assert "CR-07" not in page[page.index("Risks within appetite") :]
    assert "Audit and Risk Committee" in page and "Managers' sign-off by service" in page
    assert "WR-01" in page[page.index("Restatements") :]  # the sample's restated figure
