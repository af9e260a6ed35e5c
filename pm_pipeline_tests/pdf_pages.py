"""What a reader would see on a PDF page: rendered by poppler's pdftoppm (poppler-utils)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path


def ink(pdf: Path, page: int) -> float:
    """The share of dark pixels on a page above its footer (greyscale, 20 dpi): a page whose
    content is hidden (e.g. under a white layer) has none."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            ["pdftoppm", "-gray", "-r", "20", "-f", str(page), "-l", str(page), str(pdf), "p"],
            cwd=folder,
            check=True,
            capture_output=True,
            timeout=60,
        )
        (image,) = Path(folder).glob("p*.pgm")
        _, width, height, _, pixels = image.read_bytes().split(maxsplit=4)
    body = pixels[: int(width) * int(height) * 4 // 5]
    return sum(1 for value in body if value < 128) / len(body)


A4_BODY_MM = (16, 18)  # report.css @page: the top and bottom margins (the footer is below)


def fullness(pdf: Path) -> list[float]:
    """How far down each page's body the printing reaches, from 0 (blank) to 1 (to the
    bottom margin): the lowest row with ink, above the footer, rendered at 20 dpi."""
    top_mm, bottom_mm = A4_BODY_MM
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            ["pdftoppm", "-gray", "-r", "20", str(pdf), "p"],
            cwd=folder,
            check=True,
            capture_output=True,
            timeout=300,
        )
        shares = []
        for image in sorted(Path(folder).glob("p*.pgm"), key=lambda p: int(p.stem[2:])):
            _, width, height, _, pixels = image.read_bytes().split(maxsplit=4)
            w, h = int(width), int(height)
            top, bottom = round(h * top_mm / 297), h - round(h * bottom_mm / 297)
            inked = [
                row for row in range(top, bottom) if min(pixels[row * w : (row + 1) * w]) < 160
            ]
            shares.append((max(inked) + 1 - top) / (bottom - top) if inked else 0.0)
    return shares


def smallest_text(pdf: Path) -> list[float]:
    """The size in points of the smallest text printed on each page (inf where none): each
    text-showing operator's font size scaled by the text and graphics matrices in force,
    forms drawn on the page (the stamped footers) included."""
    import math

    import pikepdf

    def times(m: list[float], n: list[float]) -> list[float]:
        a, b, c, d, e, f = m
        p, q, r, s, t, u = n
        return [a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t,
                e * q + f * s + u]  # fmt: skip

    def walk(stream: object, resources: pikepdf.Dictionary, ctm: list[float]) -> float:
        smallest, stack, size, tm = math.inf, [], 0.0, [1.0, 0, 0, 1.0, 0, 0]
        for operands, operator in pikepdf.parse_content_stream(stream):
            op = str(operator)
            if op == "q":
                stack.append(ctm)
            elif op == "Q":
                ctm = stack.pop()
            elif op == "cm":
                ctm = times([float(x) for x in operands], ctm)
            elif op == "BT":
                tm = [1.0, 0, 0, 1.0, 0, 0]
            elif op == "Tf":
                size = float(operands[1])
            elif op == "Tm":
                tm = [float(x) for x in operands]
            elif op in ("Tj", "TJ", "'", '"'):
                _, _, c, d, _, _ = times(tm, ctm)
                smallest = min(smallest, abs(size) * math.hypot(c, d))
            elif op == "Do":
                form = resources.get("/XObject", {}).get(str(operands[0]))
                if form is not None and form.get("/Subtype") == "/Form":
                    matrix = [float(x) for x in form.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                    inner = form.get("/Resources", resources)
                    smallest = min(smallest, walk(form, inner, times(matrix, ctm)))
        return smallest

    with pikepdf.open(pdf) as document:
        return [
            walk(page.obj, page.obj.get("/Resources", pikepdf.Dictionary()), [1.0, 0, 0, 1.0, 0, 0])
            for page in document.pages
        ]


def section_tops(pdf: Path, within_pt: float = 40) -> set[int]:
    """The pages (from 1) that begin with a heading: those whose bookmark (Chromium makes one
    per heading) points within `within_pt` of the top of the page's body."""
    import pikepdf

    top_mm, _ = A4_BODY_MM
    found = set()
    with pikepdf.open(pdf) as document:
        pages = {page.obj.objgen: n for n, page in enumerate(document.pages, start=1)}
        with document.open_outline() as outline:
            todo = list(outline.root)
            while todo:
                item = todo.pop()
                todo.extend(item.children)
                where = item.destination
                if not isinstance(where, pikepdf.Array) or len(where) < 4:
                    continue
                page = where[0]
                height = float(page.MediaBox[3])
                top = float(where[3])
                if height - top_mm * 72 / 25.4 - top <= within_pt:
                    found.add(pages[page.objgen])
    return found


def tagged(pdf: Path) -> list[tuple[str, list[int]]]:
    """Every element of the PDF's tag tree in reading order, as (kind, the pages its content is
    printed on): each piece of an element's content names its page. A table's header row (all
    its cells headers) is "THeadRow": printed again on each page the table runs onto."""
    import pikepdf

    with pikepdf.open(pdf) as document:
        page_of = {page.obj.objgen: n for n, page in enumerate(document.pages, start=1)}

        def pages(node: object, page: object) -> set[int]:
            if isinstance(node, pikepdf.Array):
                return set().union(*(pages(kid, page) for kid in node))
            if not isinstance(node, pikepdf.Dictionary):  # a marked-content id on `page`
                return {page_of[page.objgen]} if page is not None else set()
            page = node.get("/Pg", page)
            if "/MCID" in node or "/Obj" in node:
                return {page_of[page.objgen]} if page is not None else set()
            return pages(node.get("/K", pikepdf.Array()), page)

        found: list[tuple[str, list[int]]] = []

        def walk(node: object, page: object) -> None:
            if isinstance(node, pikepdf.Array):
                for kid in node:
                    walk(kid, page)
            elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                page = node.get("/Pg", page)
                kind = str(node.S).lstrip("/")
                kids = node.get("/K", pikepdf.Array())
                cells = kids if isinstance(kids, pikepdf.Array) else [kids]
                if kind == "TR" and all(str(c.get("/S")) == "/TH" for c in cells):
                    kind = "THeadRow"
                found.append((kind, sorted(pages(kids, page))))
                walk(kids, page)

        walk(document.Root.StructTreeRoot.K, None)
        return found


def split_over_pages(pdf: Path, kinds: tuple[str, ...] = ("P", "LI", "TR", "Figure")) -> list:
    """The paragraphs, list items, table rows and figures (`kinds`) printed over more than one
    page, as (kind, pages)."""
    return [(kind, pages) for kind, pages in tagged(pdf) if kind in kinds and len(pages) > 1]


def headings_left_alone(pdf: Path, content: tuple[str, ...] = ("P", "LI", "TR", "Figure")) -> list:
    """Headings printed at the foot of a page whose content (the next paragraph, list item,
    table row or figure) starts on the next, as (heading, page)."""
    found, heading = [], None
    for kind, pages in tagged(pdf):
        if kind in ("H1", "H2", "H3", "H4", "H5", "H6") and pages:
            heading = (kind, pages[0])
        elif kind in content and pages and heading:
            if pages[0] > heading[1]:
                found.append(heading)
            heading = None
    return found
