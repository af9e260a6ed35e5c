"""A long report cut into whole HTML documents, so its PDF can be printed in parallel parts.

Cuts fall only between two PIs' sections (or two Cabinet pairs of them), about `per_part`
PIs apart, so no heading is parted from what it introduces. Each later part repeats the document's head and the
elements open at its cut (without their ids, so every anchor stays in one part), which keeps
the print CSS that depends on them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
CUT = re.compile(r'<(section class="pi"|div class="pair")[ >]')
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
ID = re.compile(r'\s+id="[^"]*"')
HEAD_END = "</head>"


ID_OF = re.compile(r'\sid="([^"]+)"')
LINK = re.compile(r'href="#([^"]+)"')
PLACEHOLDERS = '<div aria-hidden="true" style="height: 0; overflow: hidden">{}</div>'


@dataclass(frozen=True)
class Part:
    html: str
    pis: int
    ids: frozenset[str]  # the anchors this part holds (others are placeholders)


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


def split(html: str, per_part: int) -> list[Part]:
    """The report as whole documents of about `per_part` PIs each (the first with the front)."""
    starts = [m.start() for m in CUT.finditer(html)]
    inner = _open_elements(html, starts)
    # a PI inside a pair is not a place to cut; neither is a pair's own PI
    candidates = [
        s for s, st in zip(starts, inner, strict=True) if not any("pair" in t for _, t in st)
    ]
    if not candidates or HEAD_END not in html:
        return [Part(html, len(candidates), frozenset(ID_OF.findall(html)))]
    cuts, since = [], 0
    for start in candidates:
        since += 1
        # after a whole PI (not a heading or table, which must stay with what follows)
        if since > per_part and html[:start].rstrip().endswith(("</section>", "</div>")):
            cuts.append(start)
            since = 1
    if not cuts:
        return [Part(html, len(candidates), frozenset(ID_OF.findall(html)))]
    stacks = _open_elements(html, cuts)
    head = html[: html.index(HEAD_END) + len(HEAD_END)]
    bounds = [0, *cuts, len(html)]
    parts, targets = [], set(LINK.findall(html))
    for i, (start, end) in enumerate(itertools.pairwise(bounds)):
        opened = stacks[i - 1] if i else []
        closing = stacks[i] if i < len(cuts) else []
        html_part = (
            (head + "".join(ID.sub("", tag) for name, tag in opened if name != "html") if i else "")
            + html[start:end]
            + "".join(f"</{name}>" for name, _ in reversed(closing))
        )
        pis = sum(1 for c in candidates if start <= c < end)
        ids = frozenset(ID_OF.findall(html, start, end))
        parts.append(Part(_with_placeholders(html_part, ids, targets), pis, ids))
    return parts
