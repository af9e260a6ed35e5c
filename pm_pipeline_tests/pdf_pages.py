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
