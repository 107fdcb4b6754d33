"""Write report text as real PDFs: a text-layer PDF, or an image-only "scanned" PDF.

Used by the demo corpus generator and by the tests, so every read/OCR test runs on a
real file. Only reportlab and Pillow are needed; the font is reportlab's bundled Vera,
so no system fonts are assumed.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

LINES_PER_PAGE = 60


def _pages(text: str, lines_per_page: int = LINES_PER_PAGE) -> list[list[str]]:
    lines = text.splitlines() or [""]
    return [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)]


def write_text_pdf(path: str | Path, text: str, *, font_size: int = 9) -> Path:
    """A PDF with a real text layer (what a digital-born report looks like)."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    path = Path(path)
    c = canvas.Canvas(str(path), pagesize=letter, invariant=1)
    width, height = letter
    for page in _pages(text):
        y = height - 50
        for line in page:
            c.setFont("Courier", font_size)
            c.drawString(40, y, line)
            y -= font_size + 3
        c.showPage()
    c.save()
    return path


def _font(size: int):
    import reportlab
    from PIL import ImageFont

    vera = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")
    return ImageFont.truetype(vera, size)


def render_page_image(lines: list[str], *, dpi: int = 150, noise: float = 0.0, seed: int = 0):
    """Render lines of text onto a white letter-size page image (grayscale)."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    w, h = int(8.5 * dpi), int(11 * dpi)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    size = max(8, int(dpi * 0.13))  # ~9.5 pt text
    font = _font(size)
    y = int(0.5 * dpi)
    for line in lines:
        draw.text((int(0.5 * dpi), y), line, fill=0, font=font)
        y += int(size * 1.35)
    if noise > 0:
        # Scanner specks: sparse dark pixels, the kind of dirt OCR has to live with.
        for _ in range(int(noise * w * h / 1000)):
            draw.point((rng.randrange(w), rng.randrange(h)), fill=rng.randrange(0, 120))
        img = img.rotate(rng.uniform(-0.6, 0.6), fillcolor=255, expand=False)
    return img


def write_scanned_pdf(
    path: str | Path, text: str, *, dpi: int = 150, noise: float = 0.0, seed: int = 0
) -> Path:
    """An image-only PDF with no text layer (what a scanned or faxed report looks like)."""
    path = Path(path)
    images = [
        render_page_image(page, dpi=dpi, noise=noise, seed=seed + i)
        for i, page in enumerate(_pages(text))
    ]
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path
