"""The PDF printed in parts by real headless Chromium and joined: what a reader of the whole
document would notice if the join were wrong (page numbers, links between parts, bookmarks, the
tag tree), and where the report may be cut."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pikepdf
import pytest
from pikepdf import NumberTree

from pm_pipeline.render.chromium import Chromium, executable
from pm_pipeline.render.pdf import html_to_pdf
from pm_pipeline.render.pdf_parts import split
from pm_pipeline_tests.pdf_pages import ink

THEMES = {"People": ["P01", "P02", "P03", "P04"], "Place": ["P05", "P06", "P07"]}


def report(themes: dict[str, list[str]] = THEMES, pairs: bool = False) -> str:
    """A small report shaped like ours: a front table linking to each PI, then themes of PIs."""
    links = "".join(
        f'<tr><td><a href="#pi-{p}">{p}</a></td></tr>' for ps in themes.values() for p in ps
    )
    body = []
    for i, (theme, pis) in enumerate(themes.items()):
        sections = [
            f'<section class="pi" id="pi-{p}"><h4 id="pi-{p}-h">{p} Indicator {p}</h4>'
            f"<p>{'Figures and the story. ' * 60}</p></section>"
            for p in pis
        ]
        if pairs:
            sections = [
                '<div class="pair">' + "".join(sections[j : j + 2]) + "</div>"
                for j in range(0, len(sections), 2)
            ]
        body.append(
            f'<section id="theme-{i}"><h3 id="theme-{i}-h">{theme}</h3>'
            f"<p>The {theme} theme.</p>{''.join(sections)}</section>"
        )
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Report</title>'
        "<style>@page { size: A4; margin: 16mm 14mm 18mm; @bottom-right { content: "
        '"Page " counter(page) " of " counter(pages); font-size: 9pt } }'
        "body { background: #fff } section.pi { break-before: page }</style></head><body>"
        '<main id="main"><h1>Quarterly report</h1><h2 id="front">Summary</h2>'
        f"<table><caption>Every PI</caption>{links}</table>"
        f'<h2 id="detail">In detail</h2>{"".join(body)}</main></body></html>'
    )


def page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


def test_a_report_is_cut_only_between_whole_pis_and_each_part_is_a_whole_document():
    html = report()
    parts = split(html, 2)
    assert len(parts) > 1
    joined = "".join(p.html for p in parts)
    for pi in (p for ps in THEMES.values() for p in ps):
        # each PI in one part; the parts that link to it hold an empty stand-in
        assert joined.count(f'<section class="pi" id="pi-{pi}"') == 1
        assert sum(f"pi-{pi}" in part.ids for part in parts) == 1
    assert re.findall(r"pi-(P\d\d)-h", joined) == [p for ps in THEMES.values() for p in ps]
    for part in parts:
        assert part.html.startswith("<!DOCTYPE html>") and part.html.endswith("</html>")
        # each part ends with a whole PI: never with a heading cut off from what it introduces
        content = re.sub(r'<div aria-hidden="true"[^>]*>.*?</div>', "", part.html)
        assert re.search(r'<section class="pi"(?:(?!<h3).)*</section>(</\w+>)*$', content, re.S)
    # the elements re-opened in a later part keep their classes but not their ids
    assert joined.count('id="main"') == 1 and joined.count('id="theme-0"') == 1


def test_a_short_report_or_a_cabinet_pair_is_not_cut():
    html = report()
    assert [p.html for p in split(html, 100)] == [html]
    paired = report(pairs=True)
    for part in split(paired, 1):
        # every pair that opens in a part closes in it, with both its PIs
        assert part.html.count('<div class="pair">') == len(
            re.findall(r"</section></div>", part.html)
        )


def test_tags_in_a_comment_are_not_elements_and_do_not_move_the_cuts():
    plain = report()
    # a comment in the front holding the start of a pair, a PI with an id, and end tags
    old_layout = (
        '<!-- was: <div class="pair"><section class="pi" id="pi-OLD"> </main></section> -->'
    )
    commented = plain.replace('<h2 id="front">', old_layout + '<h2 id="front">', 1)
    parts, expected = split(commented, 2), split(plain, 2)
    assert len(parts) == len(expected) > 1
    assert [p.ids for p in parts] == [p.ids for p in expected]
    assert [p.html for p in parts[1:]] == [p.html for p in expected[1:]]
    assert parts[0].html == expected[0].html.replace(
        '<h2 id="front">', old_layout + '<h2 id="front">', 1
    )


def test_an_end_tag_left_out_is_implied_as_a_browser_implies_it():
    # lists whose items leave out their </li> (as HTML allows) in the front and in every PI
    written_out = "<ul><li>Target met</li><li>Data checked</li></ul>"
    left_out = "<ul><li>Target met<li>Data checked</ul>"
    full = report().replace("<p>Figures", written_out + "<p>Figures")
    full = full.replace('<h2 id="detail">', written_out + '<h2 id="detail">', 1)
    parts, expected = split(full.replace(written_out, left_out), 2), split(full, 2)
    assert len(parts) == len(expected) > 1
    assert [p.ids for p in parts] == [p.ids for p in expected]
    assert [p.html for p in parts] == [p.html.replace(written_out, left_out) for p in expected]


def test_the_joined_pdf_reads_as_one_document(tmp_path: Path):
    html = report()
    pdf_file = tmp_path / "report.pdf"
    pdf_file.write_bytes(html_to_pdf(html, tmp_path, pis_per_part=2, tabs=2))
    assert not list(tmp_path.glob(".*")), "the parts are cleaned up"

    pages = page_texts(pdf_file)
    total = len(pages)
    assert total >= 8  # the front and seven PIs, each on its own page
    for n, text in enumerate(pages, start=1):
        assert f"Page {n} of {total}" in text  # numbered for the whole, not per part
    # the footers are stamped over the pages without hiding them (a PI page has its text)
    assert ink(pdf_file, total) > 0.001

    with pikepdf.open(pdf_file) as pdf:
        # every front-page link leads to its PI's page, whichever part printed it
        dests = pdf.Root.Dests
        page_of = {page.objgen: i for i, page in enumerate(pdf.pages)}
        links = [a for a in pdf.pages[0].obj.get("/Annots", []) if "/Dest" in a]
        assert len(links) == 7
        for link in links:
            name = str(link.Dest)
            target = page_of[dests[name][0].objgen]
            assert name.removeprefix("/pi-") + " Indicator" in pages[target]

        # the tag tree covers every page, and every element's page is one of ours
        tree = pdf.Root.StructTreeRoot
        keys = set(NumberTree(tree.ParentTree).keys())
        assert all(int(page.obj.StructParents) in keys for page in pdf.pages)
        assert int(tree.ParentTreeNextKey) == max(keys) + 1
        headings = 0
        todo = [tree.K]
        while todo:
            node = todo.pop()
            if isinstance(node, pikepdf.Dictionary) and "/S" in node:
                if "/Pg" in node:
                    assert node.Pg.objgen in page_of
                headings += str(node.S) == "/H4"
                kids = node.get("/K")
                todo.extend(kids if isinstance(kids, pikepdf.Array) else [kids])
        assert headings == 7

        # bookmarks nest as the headings do, with the headings' words
        with pdf.open_outline() as outline:
            (top,) = outline.root
            detail = next(i for i in top.children if i.title == "In detail")
            people = next(i for i in detail.children if i.title == "People")
            assert [i.title for i in people.children] == [
                f"{p} Indicator {p}" for p in THEMES["People"]
            ]


def test_a_pdf_is_printed_from_code_already_in_an_event_loop(tmp_path: Path):
    async def from_a_loop() -> bytes:  # as a browser test's Playwright, or asyncio code, is
        return html_to_pdf(report(), tmp_path)

    assert asyncio.run(from_a_loop()).startswith(b"%PDF-")


def test_without_chromium_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("PM_CHROMIUM", "no-such-browser")
    with pytest.raises(RuntimeError, match="apt-get install chromium"):
        executable()


def test_a_browser_that_stops_is_reported_with_what_it_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    browser = tmp_path / "broken-chromium"
    browser.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 1\n")
    browser.chmod(0o755)
    monkeypatch.setenv("PM_CHROMIUM", str(browser))
    with pytest.raises(RuntimeError, match="Chromium stopped: cannot open display"):
        html_to_pdf(report(), tmp_path)
    assert not list(tmp_path.glob(".*")), "the parts are cleaned up"


def test_a_page_the_browser_cannot_open_is_an_error_not_a_printed_error_page(tmp_path: Path):
    async def print_missing() -> None:
        async with Chromium() as browser:
            await browser.print_pdf(tmp_path / "missing.html", tmp_path / "missing.pdf")

    with pytest.raises(RuntimeError, match="could not open"):
        asyncio.run(print_missing())
    assert not (tmp_path / "missing.pdf").exists()


# A page whose script never ends: its tab neither loads nor answers (ours have no scripts).
STUCK = "<!DOCTYPE html><html><body><p>Stuck</p><script>for (;;) {}</script></body></html>"


def renderers() -> list[int]:
    """The tab processes of the browsers this test started (its descendants)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, IndexError, ValueError):
                continue

    def ours(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == os.getpid():
                return True
        return False

    found = []
    for pid in filter(ours, parents):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"--type=renderer" in command:
            found.append(pid)
    return found


def test_a_tab_that_hangs_fails_after_the_tab_timeout_not_ten_minutes(tmp_path: Path):
    page = tmp_path / "stuck.html"
    page.write_text(STUCK)

    async def print_stuck() -> None:
        async with Chromium(timeout_s=3) as browser:
            await browser.print_pdf(page, tmp_path / "stuck.pdf")

    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"stuck.html did not finish within 3 s"):
        asyncio.run(print_stuck())
    assert time.monotonic() - started < 45
    assert not (tmp_path / "stuck.pdf").exists()


def test_a_tab_that_crashes_fails_at_once_with_a_clear_error(tmp_path: Path):
    page = tmp_path / "stuck.html"
    page.write_text(STUCK)

    async def crash_while_printing() -> float:
        async with Chromium(timeout_s=300) as browser:
            printing = asyncio.ensure_future(browser.print_pdf(page, tmp_path / "stuck.pdf"))
            await asyncio.sleep(3)  # the tab has opened the page and is stuck in its script
            tabs = renderers()
            assert tabs
            for pid in tabs:  # what the kernel's out-of-memory killer does
                os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            with pytest.raises(RuntimeError, match=r"tab printing .*stuck.html crashed"):
                await printing
            return time.monotonic() - killed

    assert asyncio.run(crash_while_printing()) < 30  # not the 300 s timeout
    assert not (tmp_path / "stuck.pdf").exists()
