"""Whether an uploaded file is a photo the shop takes, and the files it keeps of it.

The bytes decide, never the name or the Content-Type: Pillow must read a JPEG, PNG or WebP from
them; its size in pixels is read from the header before anything is decompressed (a 20,000 ×
20,000 PNG bomb is refused without being decoded); markup anywhere in the file (an SVG, or an
HTML/PHP payload in a "polyglot") and data hidden after the picture's end are refused. What is kept
is re-encoded from the pixels alone — EXIF (GPS included), ICC and comments are gone — as a master
at most 2,000 pixels on its long side and the square renditions the pages use.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image, ImageOps

from storefront.catalog.media import ALLOWED_WIDTHS, MediaError, decode, resized_jpeg

FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MASTER_SIDE = 2000
MASTER_NAME = "full.jpg"
# Markup that has no business inside a photo: what makes a file an SVG, or a polyglot a browser or
# a server could be talked into running.
_MARKUP = re.compile(rb"<\s*(?:svg|script|html|body|iframe|object|embed|\?php|\?xml)[\s>/]", re.IGNORECASE)
_PNG_END = b"IEND\xaeB`\x82"
_JPEG_END = b"\xff\xd9"
_TRAILING_ALLOWANCE = 16  # padding some cameras and editors leave after the end marker


class PhotoRejected(ValueError):
    """Why a file is not taken: ``message`` is shown to staff as is; ``status`` 413 or 422."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True, slots=True)
class PreparedPhoto:
    """The files to keep (name → JPEG bytes) and the master's size."""

    files: dict[str, bytes]
    width: int
    height: int

    @property
    def master(self) -> bytes:
        return self.files[MASTER_NAME]


def _sniff(data: bytes) -> str:
    """The container the bytes claim to be (its magic number), or a refusal."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.lstrip()[:5].lower() in (b"<svg ", b"<?xml", b"<svg>"):
        raise PhotoRejected("SVG files are not accepted: upload a JPEG, PNG or WebP photo.")
    raise PhotoRejected("That file is not a JPEG, PNG or WebP photo (its contents were checked, not its name).")


def _hidden_payload(data: bytes, kind: str) -> bool:
    """True when something follows the picture's own end (another file glued on)."""
    if kind == "PNG":
        end = data.rfind(_PNG_END)
        return end < 0 or len(data) - (end + len(_PNG_END)) > _TRAILING_ALLOWANCE
    if kind == "WEBP":
        declared = int.from_bytes(data[4:8], "little") + 8
        return len(data) > declared + (declared % 2)
    end = data.rfind(_JPEG_END)
    return end < 0 or len(data) - (end + len(_JPEG_END)) > _TRAILING_ALLOWANCE


def check(data: bytes, *, max_bytes: int, max_megapixels: int) -> Image.Image:
    """The decoded picture, or PhotoRejected with the reason."""
    if not data:
        raise PhotoRejected("The file is empty.")
    if len(data) > max_bytes:
        raise PhotoRejected(f"Photos are limited to {max_bytes // (1024 * 1024)} MB.", 413)
    kind = _sniff(data)
    if _MARKUP.search(data):
        raise PhotoRejected("That file carries markup or script besides the picture (a polyglot); "
                            "export the photo again and upload that.")
    if _hidden_payload(data, kind):
        raise PhotoRejected("That file has data hidden after the picture (a polyglot); "
                            "export the photo again and upload that.")
    try:
        return decode(data, formats=FORMATS, max_pixels=max_megapixels * 1_000_000)
    except MediaError as exc:
        message = exc.message if "megapixels" in exc.message else \
            "That file is not a JPEG, PNG or WebP photo the shop can read."
        raise PhotoRejected(message) from None


def prepare(data: bytes, *, max_bytes: int, max_megapixels: int) -> PreparedPhoto:
    """Check ``data`` and make the files to keep: ``full.jpg`` and ``<width>.jpg`` for each page size."""
    image = check(data, max_bytes=max_bytes, max_megapixels=max_megapixels)
    master = ImageOps.contain(image, (MASTER_SIDE, MASTER_SIDE), Image.Resampling.LANCZOS) \
        if max(image.size) > MASTER_SIDE else image
    out = io.BytesIO()
    master.save(out, "JPEG", quality=88, optimize=True, progressive=True)  # no exif=, no icc: stripped
    files = {MASTER_NAME: out.getvalue()}
    files.update({f"{width}.jpg": resized_jpeg(master, width) for width in ALLOWED_WIDTHS})
    return PreparedPhoto(files, master.width, master.height)
