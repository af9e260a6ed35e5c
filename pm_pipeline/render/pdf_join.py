"""Printed parts joined into one tagged PDF (pikepdf), with the page numbers of the whole.

A page-by-page join loses what lives in the catalogue, so it is rebuilt here: the tag tree (each
part's elements under the one Document, parent-tree keys offset, element ids kept unique), the
named destinations that links between parts point at, and the bookmarks, nested by the
report's own heading levels. "Page N of M" is known only once every part is printed, so it is
stamped last from a footer-only print, marked as an artifact for screen readers.
"""

from __future__ import annotations

import html as html_text
import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, NameTree, NumberTree, OutlineItem

HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1>", re.S)
TAGS = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")


def _elements(root: pikepdf.Object) -> Iterator[Dictionary]:
    """Every structure element under `root`, in document order."""
    todo = [root]
    while todo:
        node = todo.pop()
        if not isinstance(node, Dictionary) or "/S" not in node:
            continue
        yield node
        kids = node.get("/K")
        if isinstance(kids, Array):
            todo.extend(reversed(list(kids)))
        elif kids is not None:
            todo.append(kids)


def _unique_ids(tree: pikepdf.Object, prefix: str) -> None:
    """Element ids (and the table headers that cite them) renamed so parts cannot clash."""
    for element in _elements(tree.K):
        if "/ID" in element:
            element.ID = pikepdf.String(prefix + str(element.ID))
        attributes = element.get("/A")
        for attr in attributes if isinstance(attributes, Array) else [attributes]:
            if isinstance(attr, Dictionary) and "/Headers" in attr:
                attr.Headers = Array([pikepdf.String(prefix + str(h)) for h in attr.Headers])


def _copy(out: pikepdf.Pdf, obj: pikepdf.Object) -> pikepdf.Object:
    """`obj` from another PDF, direct containers rebuilt around the indirect objects they hold."""
    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        return out.copy_foreign(obj)
    if isinstance(obj, Array):
        return Array([_copy(out, item) for item in obj])
    if isinstance(obj, Dictionary):
        return Dictionary({key: _copy(out, value) for key, value in obj.items()})
    return obj


Entry = tuple[str, Any]  # a bookmark's title and destination


def _outline_entries(pdf: pikepdf.Pdf) -> list[Entry]:
    """A part's bookmarks, flattened in reading order."""
    entries: list[Entry] = []

    def walk(items: list[OutlineItem]) -> None:
        for item in items:
            entries.append((item.title, item.destination))
            walk(item.children)

    with pdf.open_outline() as outline:
        walk(outline.root)
    return entries


def _headings(html: str) -> list[tuple[str, str, int]]:
    """Each heading's text with its spaces, the same without (to match), and its level."""
    found = []
    for m in HEADING.finditer(html):
        text = " ".join(html_text.unescape(TAGS.sub(" ", m.group(2))).split())
        found.append((text, SPACE.sub("", text), int(m.group(1))))
    return found


def _nest(out: pikepdf.Pdf, entries: list[Entry], html: str) -> None:
    """Bookmarks rebuilt for the whole, each at its heading's level in the report and with its
    words (Chromium's titles lose the space where a heading wrapped)."""
    headings, at = _headings(html), 0
    stack: list[tuple[int, OutlineItem]] = []
    with out.open_outline() as outline:
        outline.root.clear()
        for title, destination in entries:
            key, level = SPACE.sub("", title), 6
            for j in range(at, len(headings)):
                if headings[j][1] == key:
                    title, level, at = headings[j][0], headings[j][2], j + 1
                    break
            item = OutlineItem(title, destination)
            while stack and stack[-1][0] >= level:
                stack.pop()
            (stack[-1][1].children if stack else outline.root).append(item)
            stack.append((level, item))


def _next_key(tree: pikepdf.Object) -> int:
    """The first parent-tree key a part does not use (stated, or one past its largest)."""
    if "/ParentTreeNextKey" in tree:
        return int(tree.ParentTreeNextKey)
    return max(NumberTree(tree.ParentTree).keys(), default=-1) + 1


def join(parts: Sequence[Path], anchors: Sequence[frozenset[str]], html: str) -> pikepdf.Pdf:
    """One PDF of the printed parts, in order; `anchors` are the ids each part holds (a
    link's destination is taken from the part that holds it, not a stand-in)."""
    out = pikepdf.open(parts[0])
    tree = out.Root.StructTreeRoot
    document = tree.K[0] if isinstance(tree.K, Array) else tree.K
    parent_tree = NumberTree(tree.ParentTree)
    ids = NameTree(tree.IDTree) if "/IDTree" in tree else None
    dests = Dictionary(
        {n: d for n, d in out.Root.get("/Dests", Dictionary()).items() if n[1:] in anchors[0]}
    )
    outline = _outline_entries(out)
    next_key = _next_key(tree)
    for n, path in enumerate(parts[1:], start=1):
        part = pikepdf.open(path)
        ptree = part.Root.StructTreeRoot
        _unique_ids(ptree, f"p{n}-")
        offset, keys = next_key, NumberTree(ptree.ParentTree)
        for page in part.pages:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annot in page.obj.get("/Annots", Array()):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + offset
        with warnings.catch_warnings():  # it warns that named destinations are not carried:
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)  # they are, just below
            out.pages.extend(part.pages)  # before the copies below, so they point at these pages
        pdoc = ptree.K[0] if isinstance(ptree.K, Array) else ptree.K
        kids = pdoc.K if isinstance(pdoc.K, Array) else Array([pdoc.K])
        if not isinstance(document.K, Array):
            document.K = Array([document.K])
        for kid in (_copy(out, k) for k in kids):
            kid.P = document
            document.K.append(kid)
        for key, value in keys.items():
            parent_tree[key + offset] = _copy(out, value)
        next_key = offset + _next_key(ptree)
        if ids is not None and "/IDTree" in ptree:
            for name, element in NameTree(ptree.IDTree).items():
                ids[f"p{n}-{name}"] = _copy(out, element)
        for name, dest in part.Root.get("/Dests", Dictionary()).items():
            if name[1:] in anchors[n]:
                dests[name] = _copy(out, dest)
        outline += [(t, _copy(out, d)) for t, d in _outline_entries(part)]
    tree.ParentTreeNextKey = next_key
    out.Root.Dests = out.make_indirect(dests)
    _nest(out, outline, html)
    return out


def stamp_footers(pdf: pikepdf.Pdf, footers: pikepdf.Pdf) -> None:
    """Each page's footer from the same page of `footers`, drawn as a pagination artifact."""
    for page, footer in zip(pdf.pages, footers.pages, strict=True):
        form = pdf.copy_foreign(footer.as_form_xobject())
        name = page.add_resource(form, Name.XObject, prefix="Footer")
        page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
        page.contents_add(
            pikepdf.Stream(pdf, b"\nQ\n/Artifact BMC q " + bytes(name) + b" Do Q EMC\n")
        )
