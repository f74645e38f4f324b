"""What the full-text index covers for an item: ECS fields, genres and staff enrichment."""

from __future__ import annotations

from typing import Any


def detail_text(detail: Any | None) -> str:
    """Searchable text from an ``ItemDetail`` (artists, label, styles, tracklist, notes)."""
    if detail is None:
        return ""
    parts: list[str] = []
    parts.extend(str(a) for a in detail.artists or [])
    parts.extend([detail.label or "", detail.catalog_number or "", detail.format_details or ""])
    parts.extend(str(s) for s in detail.styles or [])
    parts.extend(str(t.get("title", "")) for t in detail.tracklist or [] if isinstance(t, dict))
    parts.extend([detail.notes or "", detail.staff_pick or ""])
    return " ".join(p for p in parts if p)


def compose_search_text(*, artist: str, title: str, name: str, label: str, catalog_number: str,
                        format: str, genre_names: list[str], detail: Any | None = None, barcode: str = "") -> str:
    """The denormalised ``Item.search_text`` (a barcode too, so a scanned one finds its record).

    A catalog number or barcode is also indexed without its spaces and dashes, so "QUB133",
    "qub 133" and "QUB-133" all find QUB-133 (the tokenizer splits at the dash)."""
    compact = [c for c in (_compact(catalog_number), _compact(barcode)) if c]
    parts = [artist, title, name, label, catalog_number, *compact, format, barcode, " ".join(genre_names),
             detail_text(detail)]
    return " ".join(p for p in parts if p)


def _compact(code: str) -> str:
    """"QUB-133" → "QUB133"; empty when nothing was removed (the code is indexed as it is)."""
    squeezed = "".join(ch for ch in code if ch.isalnum())
    return squeezed if squeezed and squeezed != code else ""
