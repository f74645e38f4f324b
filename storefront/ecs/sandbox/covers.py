"""Invented record sleeves: a deterministic 600×600 JPEG per catalog image, drawn locally with Pillow.

The image id seeds everything (palette, design family, shapes), so a release keeps its sleeve
across restarts and a replaced image (a new id) looks different. Artist and title are set in
type on the sleeve, the way a shop's cover scans read.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SIZE = 600
Color = tuple[int, int, int]
Draw = ImageDraw.ImageDraw

# (background, ink, accent, second accent, text) — print-shop palettes, picked per sleeve.
PALETTES: tuple[tuple[str, str, str, str, str], ...] = (
    ("#f2e8d5", "#1d3557", "#e63946", "#f4a261", "#1d1d1d"),
    ("#0b132b", "#3a506b", "#5bc0be", "#f6ae2d", "#f5f5f5"),
    ("#fefae0", "#283618", "#bc6c25", "#dda15e", "#283618"),
    ("#1b1b1e", "#d8315b", "#fbfffe", "#1e1b18", "#fbfffe"),
    ("#ffcb47", "#1e2749", "#e85d04", "#fdf0d5", "#1e2749"),
    ("#e9edc9", "#386641", "#6a994e", "#bc4749", "#1b2a1b"),
    ("#14213d", "#fca311", "#e5e5e5", "#9b2226", "#ffffff"),
    ("#f1faee", "#457b9d", "#a8dadc", "#e76f51", "#1d3557"),
    ("#2b2d42", "#ef233c", "#edf2f4", "#8d99ae", "#edf2f4"),
    ("#ffe8d6", "#6b705c", "#cb997e", "#3f4238", "#3f4238"),
    ("#000000", "#ff006e", "#3a86ff", "#ffbe0b", "#ffffff"),
    ("#f7ede2", "#84a59d", "#f28482", "#f6bd60", "#2f3e46"),
)
_FONT_FILES = {
    True: ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    False: ("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", "/usr/share/fonts/TTF/DejaVuSerif.ttf"),
}


def _rgb(value: str) -> Color:
    return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))


@cache
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONT_FILES[bold]:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)  # Pillow's bundled font where DejaVu is not installed


def _fitted(draw: Draw, text: str, bold: bool, start: int, width: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    size = start
    while size > 14:
        font = _font(size, bold)
        if draw.textlength(text, font=font) <= width:
            return font
        size -= 4
    return _font(14, bold)


# -- design families --------------------------------------------------------------------------
def _stripes(draw: Draw, rng: random.Random, colors: list[Color]) -> None:
    bands = rng.randint(5, 11)
    step = SIZE * 1.6 / bands
    slant = rng.choice((0, 0, SIZE // 3, -SIZE // 3))
    for n in range(bands):
        if n % 2:
            continue
        y = -SIZE * 0.3 + n * step
        draw.polygon([(0, y), (SIZE, y + slant), (SIZE, y + slant + step), (0, y + step)], fill=colors[1 + n // 2 % 3])


def _rings(draw: Draw, rng: random.Random, colors: list[Color]) -> None:
    cx, cy = rng.randint(180, 420), rng.randint(160, 360)
    for n, radius in enumerate(range(rng.randint(260, 380), 20, -rng.randint(26, 48))):
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=colors[1 + n % 3])


def _blocks(draw: Draw, rng: random.Random, colors: list[Color]) -> None:
    cell = SIZE // rng.choice((2, 3, 4))
    for gx in range(0, SIZE, cell):
        for gy in range(0, SIZE, cell):
            color = rng.choice(colors[1:4])
            shape = rng.random()
            box = (gx, gy, gx + cell, gy + cell)
            if shape < 0.35:
                draw.rectangle(box, fill=color)
            elif shape < 0.65:
                draw.pieslice((gx - cell, gy - cell, gx + cell, gy + cell) if rng.random() < 0.5 else box,
                              rng.choice((0, 90, 180, 270)), 0, fill=color)
                draw.rectangle(box, outline=colors[0], width=2)
            elif shape < 0.85:
                draw.ellipse(box, fill=color)


def _sun(draw: Draw, rng: random.Random, colors: list[Color]) -> None:
    horizon = rng.randint(300, 380)
    radius = rng.randint(150, 220)
    cx = rng.randint(220, 380)
    draw.ellipse((cx - radius, horizon - radius, cx + radius, horizon + radius), fill=colors[2])
    for n in range(9):
        y = horizon - radius + n * radius / 4.5
        if y > horizon - 10:
            break
        draw.rectangle((0, y + 12, SIZE, y + 12 + n * 2), fill=colors[0])
    draw.rectangle((0, horizon, SIZE, SIZE), fill=colors[1])
    for n in range(1, 9):
        y = horizon + n * n * 4
        draw.line((0, y, SIZE, y), fill=colors[3], width=2)


def _waves(draw: Draw, rng: random.Random, colors: list[Color]) -> None:
    amplitude, period = rng.randint(14, 40), rng.uniform(0.008, 0.025)
    phase = rng.uniform(0, math.tau)
    for n in range(14):
        base = 40 + n * 42
        points = [(x, base + amplitude * math.sin(x * period + phase + n * 0.5)) for x in range(0, SIZE + 10, 10)]
        draw.line(points, fill=colors[1 + n % 3], width=rng.randint(6, 18))


FAMILIES: dict[str, Callable[[Draw, random.Random, list[Color]], None]] = {
    "stripes": _stripes, "rings": _rings, "blocks": _blocks, "sun": _sun, "waves": _waves,
}


def _lettering(draw: Draw, rng: random.Random, colors: list[Color], artist: str, title: str) -> None:
    """Artist and title on a band at the top or the bottom, sized to fit."""
    top = rng.random() < 0.5
    band = (0, 0, SIZE, 150) if top else (0, SIZE - 150, SIZE, SIZE)
    draw.rectangle(band, fill=colors[0])
    artist_font = _fitted(draw, artist.upper(), True, 48, SIZE - 60)
    title_font = _fitted(draw, title, False, 40, SIZE - 60)
    y = band[1] + 22
    draw.text((30, y), artist.upper(), font=artist_font, fill=colors[4])
    draw.text((30, y + 62), title, font=title_font, fill=colors[4])


def draw_cover(seed: str, artist: str, title: str) -> Image.Image:
    """The sleeve for ``seed`` (an image id) with its artist and title."""
    rng = random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))
    palette = [_rgb(c) for c in rng.choice(PALETTES)]
    image = Image.new("RGB", (SIZE, SIZE), palette[0])
    draw = ImageDraw.Draw(image)
    family = sorted(FAMILIES)[rng.randrange(len(FAMILIES))]
    FAMILIES[family](draw, rng, palette)
    _lettering(draw, rng, palette, artist or "Various Artists", title or "Untitled")
    return image


def cover_jpeg(seed: str, artist: str, title: str) -> bytes:
    out = io.BytesIO()
    draw_cover(seed, artist, title).save(out, "JPEG", quality=86, optimize=True, progressive=True)
    return out.getvalue()


class CoverCache:
    """The last ``size`` sleeves rendered, as JPEG bytes keyed by image id and lettering."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()

    def get(self, seed: str, artist: str, title: str) -> bytes:
        key = (seed, artist, title)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        data = cover_jpeg(seed, artist, title)
        with self._lock:
            self._entries[key] = data
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return data
