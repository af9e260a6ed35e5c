"""A long report cut into whole HTML documents, so its PDF can be printed in parallel parts.

Cuts fall only between two PIs' sections (or two Cabinet pairs of them), about `per_part`
PIs apart, so no heading is parted from what it introduces. Each later part repeats the
document's head and the elements open at its cut (without their ids, so every anchor stays in
one part), which keeps the print CSS that depends on them. The page is read by the standard
library's HTML parser, so a tag in a comment, a script or a style is not taken for an element,
and an end tag HTML lets a page leave out (`</li>`, `</p>`, `</td>` ...) is implied as a
browser implies it.
"""

from __future__ import annotations

import html as html_text
import itertools
import re
from bisect import bisect_left
from dataclasses import dataclass
from html.parser import HTMLParser

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
# A start tag that closes the open elements whose end tag may be left out: each rule is
# (the start tags, the elements they close, the elements the search for them stops at).
_OMITTED_END_TAGS = (
    (
        "address article aside blockquote details div dl fieldset figcaption figure footer "
        "form h1 h2 h3 h4 h5 h6 header hgroup hr main menu nav ol p pre section table ul",
        "p",
        "button table td th caption html",
    ),
    ("li", "li", "ul ol menu"),
    ("dt dd", "dt dd", "dl"),
    ("tr", "tr", "table thead tbody tfoot"),
    ("td th", "td th", "tr table"),
    ("thead tbody tfoot", "thead tbody tfoot", "table"),
    ("option", "option", "select datalist optgroup"),
)
IMPLIED: dict[str, list[tuple[frozenset[str], frozenset[str]]]] = {}
for _starts, _closes, _within in _OMITTED_END_TAGS:
    for _name in _starts.split():
        IMPLIED.setdefault(_name, []).append(
            (frozenset(_closes.split()), frozenset(_within.split()))
        )
HEAD_END = "</head>"
NEWLINE = re.compile("\n")
Attrs = list[tuple[str, str | None]]
AFTER_A_WHOLE_PI = {"section", "div"}
PLACEHOLDERS = '<div aria-hidden="true" style="height: 0; overflow: hidden">{}</div>'


@dataclass(frozen=True)
class Part:
    html: str
    ids: frozenset[str]  # the anchors this part holds (others are placeholders)


@dataclass
class _Place:
    """A PI's (or a Cabinet pair's) start tag: where it is and what is open around it."""

    at: int
    open: list[tuple[str, Attrs]]  # the elements open there (name, attributes), outermost first
    in_pair: bool
    after_a_whole_pi: bool  # only spaces or comments since a closed section or pair


class _Reader(HTMLParser):
    """One pass over the page: each place a cut may go, every id and every in-page link,
    each with its offset in the page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self.lines = [0, *(m.end() for m in NEWLINE.finditer(text))]
        self.stack: list[tuple[str, Attrs, bool]] = []  # (name, attributes, a Cabinet pair?)
        self.places: list[_Place] = []
        self.ids: list[tuple[int, str]] = []
        self.links: list[tuple[int, str]] = []
        self.head_end = -1  # where `</head>` is, once read
        self.closed = False  # a section or div just closed, and only spaces or comments since

    def _at(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag: str, attrs: Attrs) -> None:
        for closes, within in IMPLIED.get(tag, ()):
            self._close_implied(closes, within)
        classes = self._note(attrs).split()
        if (tag, classes) in (("section", ["pi"]), ("div", ["pair"])):
            in_pair = any(pair for _, _, pair in self.stack)
            open_here = [(name, values) for name, values, _ in self.stack]
            self.places.append(_Place(self._at(), open_here, in_pair, self.closed))
        self.closed = False
        if tag not in VOID:
            self.stack.append((tag, attrs, tag == "div" and "pair" in classes))

    def handle_startendtag(self, tag: str, attrs: Attrs) -> None:
        self._note(attrs)
        self.closed = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "head" and self.head_end < 0:
            self.head_end = self._at()
        names = [name for name, _, _ in self.stack]
        if tag in names:  # a stray end tag closes nothing, as in a browser
            del self.stack[len(names) - 1 - names[::-1].index(tag) :]
        self.closed = tag in AFTER_A_WHOLE_PI

    def handle_data(self, data: str) -> None:
        if not data.isspace():
            self.closed = False

    def handle_entityref(self, name: str) -> None:
        self.closed = False

    def handle_charref(self, name: str) -> None:
        self.closed = False

    def _note(self, attrs: Attrs) -> str:
        """Notes the tag's id and in-page link (where they are is worked out only for those:
        most tags are a chart's); its class."""
        classes = ""
        for name, value in attrs:
            if name == "class":
                classes = value or ""
            elif name == "id" and value:
                self.ids.append((self._at(), value))
            elif name == "href" and value and value.startswith("#") and len(value) > 1:
                self.links.append((self._at(), value[1:]))
        return classes

    def _close_implied(self, closes: frozenset[str], within: frozenset[str]) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            name = self.stack[i][0]
            if name in closes:
                del self.stack[i:]
                return
            if name in within:
                return


def _start_tag(tag: str, attrs: Attrs) -> str:
    """The start tag as written, less its id (re-opened in a later part, it is no anchor)."""
    kept = "".join(
        f" {name}" if value is None else f' {name}="{html_text.escape(value)}"'
        for name, value in attrs
        if name != "id"
    )
    return f"<{tag}{kept}>"


def _read(html: str) -> _Reader:
    reader = _Reader(html)
    reader.feed(html)
    reader.close()
    return reader


def head(html: str) -> str:
    """The document up to and including `</head>`: its language, title and CSS (read only as
    far as the real `</head>`, not one in a comment)."""
    reader = _Reader(html)
    read = 0
    while reader.head_end < 0:
        end = html.find(HEAD_END, read)
        if end < 0:
            raise ValueError("the page has no </head>")
        reader.feed(html[read : end + len(HEAD_END)])
        read = end + len(HEAD_END)
    return html[: reader.head_end] + HEAD_END


def _in(found: list[tuple[int, str]], start: int, end: int) -> list[str]:
    """The names in `found` (sorted by offset) from `start` up to `end`."""
    offsets = [at for at, _ in found]
    return [name for _, name in found[bisect_left(offsets, start) : bisect_left(offsets, end)]]


def _with_placeholders(html: str, ids: frozenset[str], links: set[str], targets: set[str]) -> str:
    """Chromium keeps a link only if its anchor is in the document, and names an anchor only
    if something links to it. So a part gets an empty stand-in for each anchor it links to in
    another part, and an empty link to each of its own that other parts link to; the join
    then points every link at the part that holds its anchor."""
    missing = sorted(links - ids)
    wanted = sorted(ids & targets)
    if not (missing or wanted) or "</body>" not in html:
        return html
    stand_ins = "".join(f'<span id="{html_text.escape(name)}"></span>' for name in missing)
    to_own = "".join(f'<a href="#{html_text.escape(name)}"></a>' for name in wanted)
    at = html.rindex("</body>")
    return html[:at] + PLACEHOLDERS.format(stand_ins + to_own) + html[at:]


def split(html: str, per_part: int) -> list[Part]:
    """The report as whole documents of about `per_part` PIs each (the first with the front)."""
    reader = _read(html)
    # a PI inside a pair is not a place to cut; neither is a pair's own PI (nor any place in a
    # page with no head for the later parts to repeat)
    candidates = [p for p in reader.places if not p.in_pair] if reader.head_end >= 0 else []
    cuts: list[_Place] = []
    since = 0
    for place in candidates:
        since += 1
        if since > per_part and place.after_a_whole_pi:
            cuts.append(place)
            since = 1
    every_id = frozenset(name for _, name in reader.ids)
    if not cuts:
        return [Part(html, every_id)]
    document_head = html[: reader.head_end] + HEAD_END
    bounds = [0, *(c.at for c in cuts), len(html)]
    parts, targets = [], {name for _, name in reader.links}
    for i, (start, end) in enumerate(itertools.pairwise(bounds)):
        reopened = (
            _start_tag(name, attrs)
            for name, attrs in (cuts[i - 1].open if i else [])
            if name != "html"
        )
        opening = document_head + "".join(reopened) if i else ""
        still_open = cuts[i].open if i < len(cuts) else []
        closing = "".join(f"</{name}>" for name, _ in reversed(still_open))
        ids = frozenset(_in(reader.ids, start, end))
        links = set(_in(reader.links, start, end))
        part = opening + html[start:end] + closing
        parts.append(Part(_with_placeholders(part, ids, links, targets), ids))
    return parts
