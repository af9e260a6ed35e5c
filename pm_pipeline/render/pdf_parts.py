"""A long report cut into whole HTML documents, so its PDF can be printed in parallel parts.

Cuts fall only between two PIs' sections (or two Cabinet pairs of them), about `per_part`
PIs apart, so no heading is parted from what it introduces. Each later part repeats the
document's head and the elements open at its cut (without their ids, so every anchor stays in
one part), which keeps the print CSS that depends on them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
CUT = re.compile(r'<(section class="pi"|div class="pair")[ >]')
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
ID = re.compile(r'\s+id="([^"]*)"')
LINK = re.compile(r'href="#([^"]+)"')
HEAD_END = "</head>"
AFTER_A_WHOLE_PI = ("</section>", "</div>")
PLACEHOLDERS = '<div aria-hidden="true" style="height: 0; overflow: hidden">{}</div>'


@dataclass(frozen=True)
class Part:
    html: str
    ids: frozenset[str]  # the anchors this part holds (others are placeholders)


def head(html: str) -> str:
    """The document up to and including `</head>`: its language, title and CSS."""
    return html[: html.index(HEAD_END) + len(HEAD_END)]


def _with_placeholders(html: str, ids: frozenset[str], targets: set[str]) -> str:
    """Chromium keeps a link only if its anchor is in the document, and names an anchor only
    if something links to it. So a part gets an empty stand-in for each anchor it links to in
    another part, and an empty link to each of its own that other parts link to; the join
    then points every link at the part that holds its anchor."""
    missing = sorted(set(LINK.findall(html)) - ids)
    wanted = sorted(ids & targets)
    if not (missing or wanted) or "</body>" not in html:
        return html
    stand_ins = "".join(f'<span id="{name}"></span>' for name in missing)
    links = "".join(f'<a href="#{name}"></a>' for name in wanted)
    at = html.rindex("</body>")
    return html[:at] + PLACEHOLDERS.format(stand_ins + links) + html[at:]


def _open_elements(html: str, cuts: list[int]) -> list[list[tuple[str, str]]]:
    """For each cut, the elements open there (name, start tag), outermost first."""
    stacks: list[list[tuple[str, str]]] = []
    stack: list[tuple[str, str]] = []
    todo = iter(cuts)
    cut = next(todo, None)
    for m in TAG.finditer(html):
        while cut is not None and m.start() >= cut:
            stacks.append(list(stack))
            cut = next(todo, None)
        if cut is None:
            break
        closing, name, rest = m.group(1), m.group(2).lower(), m.group(3)
        if closing:
            while stack and stack.pop()[0] != name:
                pass
        elif name not in VOID and not rest.rstrip().endswith("/"):
            stack.append((name, m.group(0)))
    while cut is not None:
        stacks.append(list(stack))
        cut = next(todo, None)
    return stacks


def _after_a_whole_pi(html: str, start: int) -> bool:
    """Whether `start` follows a closed section or pair (not a heading or table, which must
    stay with what follows), looked at in place: no copy of everything before it."""
    end = start
    while end and html[end - 1].isspace():
        end -= 1
    return html.endswith(AFTER_A_WHOLE_PI, 0, end)


def split(html: str, per_part: int) -> list[Part]:
    """The report as whole documents of about `per_part` PIs each (the first with the front)."""
    starts = [m.start() for m in CUT.finditer(html)]
    open_at = dict(zip(starts, _open_elements(html, starts), strict=True))
    # a PI inside a pair is not a place to cut; neither is a pair's own PI (nor any place in a
    # page with no head for the later parts to repeat)
    candidates = (
        [s for s in starts if not any("pair" in tag for _, tag in open_at[s])]
        if HEAD_END in html
        else []
    )
    cuts: list[int] = []
    since = 0
    for start in candidates:
        since += 1
        if since > per_part and _after_a_whole_pi(html, start):
            cuts.append(start)
            since = 1
    if not cuts:
        return [Part(html, frozenset(ID.findall(html)))]
    stacks = [open_at[cut] for cut in cuts]
    document_head = head(html)
    bounds = [0, *cuts, len(html)]
    parts, targets = [], set(LINK.findall(html))
    for i, (start, end) in enumerate(itertools.pairwise(bounds)):
        reopened = (ID.sub("", tag) for name, tag in (stacks[i - 1] if i else []) if name != "html")
        opening = document_head + "".join(reopened) if i else ""
        closing = "".join(f"</{name}>" for name, _ in reversed(stacks[i])) if i < len(cuts) else ""
        ids = frozenset(ID.findall(html, start, end))
        part = opening + html[start:end] + closing
        parts.append(Part(_with_placeholders(part, ids, targets), ids))
    return parts
