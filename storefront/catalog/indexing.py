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

    A catalog number or barcode is also indexed without its separators and with them as spaces,
    so "QUB133", "qub 133" and "QUB-133" all find QUB-133 on both engines."""
    compact = [*_variants(catalog_number), *_variants(barcode)]
    parts = [artist, title, name, label, catalog_number, *compact, format, barcode, " ".join(genre_names),
             detail_text(detail)]
    return " ".join(p for p in parts if p)


def _variants(code: str) -> list[str]:
    """"QUB-133" → ["QUB133", "QUB 133"]: the code without its separators, and with them as spaces
    (PostgreSQL's parser reads "QUB-133" as "qub" and the number "-133"). Empty when it has none."""
    squeezed = "".join(ch for ch in code if ch.isalnum())
    if not squeezed or squeezed == code:
        return []
    spaced = " ".join("".join(ch if ch.isalnum() else " " for ch in code).split())
    return [squeezed] if spaced == code else [squeezed, spaced]
