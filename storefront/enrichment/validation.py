"""Validate an enrichment payload (the JSON shape both the page and the API produce) into plain values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from storefront.catalog.models import Genre
from storefront.core.errors import FieldError, ValidationError
from storefront.db.timestamps import utcnow
from storefront.extensions import db

IMAGE_HOSTS = ("i.discogs.com", "img.discogs.com")  # what the CSP's img-src allows
MIN_YEAR = 1900
MAX_ARTISTS = 20
MAX_STYLES = 30
MAX_GENRES = 20
MAX_TRACKS = 300
MAX_IMAGES = 20
MAX_URL = 1000
MAX_ID = 2**31 - 1  # ids are 32-bit integers in every database we run on
TEXT_LIMITS = {"label": 255, "catalog_number": 64, "format_details": 255, "notes": 10_000, "staff_pick": 2000}
FIELDS = ("artists", "label", "catalog_number", "year", "genre_ids", "styles", "format_details", "tracklist",
          "notes", "images", "featured", "staff_pick", "discogs_release_id")
DURATION = re.compile(r"^\d{1,3}:[0-5]\d(:[0-5]\d)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class EnrichmentValues:
    """A validated enrichment: what ``ItemDetail`` and the staff ``ItemGenre`` rows will hold."""

    artists: list[str] = field(default_factory=list)
    label: str = ""
    catalog_number: str = ""
    year: int | None = None
    genre_ids: list[int] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    format_details: str = ""
    tracklist: list[dict[str, str]] = field(default_factory=list)
    notes: str = ""
    images: list[str] = field(default_factory=list)
    featured: bool = False
    staff_pick: str = ""
    discogs_release_id: int | None = None


def is_allowed_image(url: object) -> bool:
    """An https URL on a Discogs image host (the only images the CSP lets pages show)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL or any(ch.isspace() for ch in url):
        return False
    if any(ch in url for ch in "\"'<>\\`"):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return (parts.scheme == "https" and parts.hostname in IMAGE_HOSTS and parts.netloc == parts.hostname
            and port is None and bool(parts.path.strip("/")))


class _Checker:
    """Collects field errors while reading a payload."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))

    def text(self, name: str, value: Any, limit: int, *, multiline: bool = False) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(name, f"{name} must be text")
            return ""
        value = value.replace("\r\n", "\n").strip()
        if not multiline and "\n" in value:
            self.fail(name, f"{name} must be a single line")
        if _CONTROL.search(value):
            self.fail(name, f"{name} contains control characters")
        if len(value) > limit:
            self.fail(name, f"{name} is longer than {limit} characters ({len(value)})")
        return value

    def text_list(self, name: str, value: Any, *, limit: int, most: int) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(name, f"{name} must be a list of text")
            return []
        out: list[str] = []
        for index, entry in enumerate(value):
            text = self.text(f"{name}[{index}]", entry, limit)
            if text and text not in out:
                out.append(text)
        if len(out) > most:
            self.fail(name, f"at most {most} {name} (got {len(out)})")
        return out

    def integer(self, name: str, value: Any) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            return int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, f"{name} must be a whole number")
            return None
        return value


def _tracklist(check: _Checker, value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        check.fail("tracklist", "tracklist must be a list of {position, title, duration}")
        return []
    rows: list[dict[str, str]] = []
    for index, entry in enumerate(value):
        name = f"tracklist[{index}]"
        if not isinstance(entry, Mapping):
            check.fail(name, f"track {index + 1}: must be an object with position, title and duration")
            continue
        position = check.text(name, entry.get("position"), 16)
        title = check.text(name, entry.get("title"), 255)
        duration = check.text(name, entry.get("duration"), 12)
        if not title:
            check.fail(name, f"track {index + 1}: the title is missing")
        if duration and not DURATION.match(duration):
            check.fail(name, f"track {index + 1}: duration {duration!r} is not like 3:45")
        rows.append({"position": position, "title": title, "duration": duration})
    if len(rows) > MAX_TRACKS:
        check.fail("tracklist", f"at most {MAX_TRACKS} tracks (got {len(rows)})")
    return rows


def _images(check: _Checker, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        check.fail("images", "images must be a list of URLs")
        return []
    urls: list[str] = []
    for index, entry in enumerate(value):
        url = entry.get("uri") if isinstance(entry, Mapping) else entry
        url = url.strip() if isinstance(url, str) else url
        if not url:
            continue
        if not is_allowed_image(url):
            shown = url if isinstance(url, str) else type(url).__name__
            check.fail(f"images[{index}]", f"{str(shown)[:80]!s} is not an https://i.discogs.com/ or "
                                           "https://img.discogs.com/ image URL")
            continue
        if url not in urls:
            urls.append(url)
    if len(urls) > MAX_IMAGES:
        check.fail("images", f"at most {MAX_IMAGES} images (got {len(urls)})")
    return urls


def _genre_ids(check: _Checker, value: Any) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list):
        check.fail("genre_ids", "genre_ids must be a list of genre ids")
        return []
    ids: list[int] = []
    for index, entry in enumerate(value):
        ident = check.integer(f"genre_ids[{index}]", entry)
        if ident is not None and not 1 <= ident <= MAX_ID:
            check.fail("genre_ids", f"no such genre: {ident}")
        elif ident is not None and ident not in ids:
            ids.append(ident)
    if len(ids) > MAX_GENRES:
        check.fail("genre_ids", f"at most {MAX_GENRES} genres (got {len(ids)})")
        return ids
    if ids:
        known = set(db.session.scalars(select(Genre.id).where(Genre.id.in_(ids), Genre.is_deleted.is_(False))))
        unknown = [i for i in ids if i not in known]
        if unknown:
            check.fail("genre_ids", f"no such genre: {', '.join(map(str, unknown))}")
    return ids


def validate_enrichment(payload: Mapping[str, Any]) -> EnrichmentValues:
    """Check every field of ``payload`` (unknown keys refused); raise one ValidationError listing all problems."""
    check = _Checker()
    for key in payload:
        if key not in FIELDS:
            check.fail(str(key), f"unknown field {str(key)[:40]!r}")
    values = EnrichmentValues(
        artists=check.text_list("artists", payload.get("artists"), limit=255, most=MAX_ARTISTS),
        styles=check.text_list("styles", payload.get("styles"), limit=80, most=MAX_STYLES),
        tracklist=_tracklist(check, payload.get("tracklist")),
        images=_images(check, payload.get("images")),
        genre_ids=_genre_ids(check, payload.get("genre_ids")),
        year=check.integer("year", payload.get("year")),
        discogs_release_id=check.integer("discogs_release_id", payload.get("discogs_release_id")),
    )
    for name, limit in TEXT_LIMITS.items():
        setattr(values, name, check.text(name, payload.get(name), limit, multiline=name in ("notes", "staff_pick")))
    latest = utcnow().year + 1
    if values.year is not None and not MIN_YEAR <= values.year <= latest:
        check.fail("year", f"year must be between {MIN_YEAR} and {latest}")
    if values.discogs_release_id is not None and not 1 <= values.discogs_release_id <= MAX_ID:
        check.fail("discogs_release_id", "discogs_release_id must be a positive Discogs release id")
    featured = payload.get("featured", False)
    if not isinstance(featured, bool):
        check.fail("featured", "featured must be true or false")
    values.featured = featured is True
    if check.errors:
        raise ValidationError("The enrichment has problems; nothing was saved.", details=check.errors)
    return values
