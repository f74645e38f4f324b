"""The enrichment page form ↔ the enrichment payload: one value per line, tracks as "A1 Title 3:45"."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

NO_POSITION = "-"
# Anything shaped like a time is taken as the duration (so "3:99" is reported, not folded into the title).
_TIMEISH = re.compile(r"^\d+(:\d+)+$")


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").replace("\r\n", "\n").split("\n") if line.strip()]


def parse_track_line(line: str) -> dict[str, str]:
    """'A1 Title 3:45' → position, title, duration; '-' (or a lone word) means no position."""
    words = line.split()
    duration = ""
    if len(words) > 1 and _TIMEISH.match(words[-1]):
        duration = words.pop()
    position = ""
    if len(words) > 1:
        position = words.pop(0)
        if position == NO_POSITION:
            position = ""
    return {"position": position, "title": " ".join(words), "duration": duration}


def track_line(track: Mapping[str, Any]) -> str:
    """One tracklist row as the form shows it."""
    words = [str(track.get("position") or NO_POSITION), str(track.get("title") or "")]
    if track.get("duration"):
        words.append(str(track["duration"]))
    return " ".join(w for w in words if w)


def payload_from_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The posted page form as an enrichment payload (checked by the service, like the API's)."""
    year = (form.get("year") or "").strip()
    release = (form.get("discogs_release_id") or "").strip()
    return {
        "artists": _lines(form.get("artists")),
        "label": form.get("label", ""),
        "catalog_number": form.get("catalog_number", ""),
        "year": year or None,
        "genre_ids": [g for g in form.getlist("genre_ids") if g.strip()],
        "styles": [s.strip() for line in _lines(form.get("styles")) for s in line.split(",") if s.strip()],
        "format_details": form.get("format_details", ""),
        "tracklist": [parse_track_line(line) for line in _lines(form.get("tracklist"))],
        "notes": form.get("notes", ""),
        "images": _lines(form.get("images")),
        "featured": form.get("featured") in ("1", "on", "true"),
        "staff_pick": form.get("staff_pick", ""),
        "discogs_release_id": release or None,
    }


def form_values(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Template values for the form fields from a payload."""
    return {
        "artists": "\n".join(map(str, payload.get("artists") or [])),
        "label": payload.get("label") or "",
        "catalog_number": payload.get("catalog_number") or "",
        "year": "" if payload.get("year") in (None, "") else str(payload["year"]),
        "genre_ids": {str(g) for g in payload.get("genre_ids") or []},
        "styles": ", ".join(map(str, payload.get("styles") or [])),
        "format_details": payload.get("format_details") or "",
        "tracklist": "\n".join(track_line(t) for t in payload.get("tracklist") or [] if isinstance(t, Mapping)),
        "notes": payload.get("notes") or "",
        "images": "\n".join(str(i.get("uri") if isinstance(i, Mapping) else i) for i in payload.get("images") or []),
        "featured": bool(payload.get("featured")),
        "staff_pick": payload.get("staff_pick") or "",
        "discogs_release_id": "" if payload.get("discogs_release_id") in (None, "")
        else str(payload["discogs_release_id"]),
    }


def field_errors(details: list[Any]) -> dict[str, str]:
    """Field errors keyed by form field ('tracklist[2]' → 'tracklist'), messages joined."""
    out: dict[str, list[str]] = {}
    for detail in details:
        name = detail.field.split("[", 1)[0]
        out.setdefault(name, []).append(detail.message)
    return {name: "; ".join(messages) for name, messages in out.items()}
