"""Turn Discogs JSON (recorded fixtures with relative URLs, or live with absolute ones) into ``types``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from storefront.discogs.errors import DiscogsError
from storefront.discogs.types import (
    Artist,
    Format,
    Image,
    Label,
    LabelRef,
    Master,
    Release,
    SearchResult,
    SearchResults,
    Track,
)

API_BASE = "https://api.discogs.com"
WEB_BASE = "https://www.discogs.com"
_DISAMBIGUATION = re.compile(r"\s+\(\d+\)$")


def display_name(raw: str) -> str:
    """Drop Discogs' numeric disambiguation suffix: "Antidote (4)" → "Antidote"."""
    return _DISAMBIGUATION.sub("", raw) or raw


def absolute_url(value: object, base: str = API_BASE) -> str | None:
    """``value`` made absolute against ``base`` and forced to https, or None unless it is on a discogs.com host."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parts = urlsplit(urljoin(base + "/", value.strip()))
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or parts.username or parts.password or port is not None:
        return None
    if host != "discogs.com" and not host.endswith(".discogs.com"):
        return None
    return urlunsplit(("https", host, parts.path or "/", parts.query, ""))


def _text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _prose(value: object) -> str:
    """Free text with Windows line ends normalized."""
    return _text(value).replace("\r\n", "\n")


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def _year(value: object) -> int | None:
    year = _int(value)
    return year if year else None  # Discogs uses 0 for "unknown"


def _texts(value: object) -> list[str]:
    """A list of non-empty strings; a lone string (older search results' ``label``) becomes a one-item list."""
    items = value if isinstance(value, list) else [value]
    return [text for text in (_text(item) for item in items) if text]


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _require_id(data: Mapping[str, Any], what: str) -> int:
    ident = _int(data.get("id"))
    if ident is None:
        raise DiscogsError(f"Discogs {what} without an id")
    return ident


def artist(data: Mapping[str, Any]) -> Artist:
    """One entry of ``artists``/``extraartists``."""
    raw = _text(data.get("name"))
    return Artist(id=_int(data.get("id")), name=display_name(raw), raw_name=raw, anv=_text(data.get("anv")),
                  join=_text(data.get("join")), role=_text(data.get("role")))


def label_ref(data: Mapping[str, Any]) -> LabelRef:
    """One entry of a release's ``labels`` (or a label's ``sublabels``)."""
    raw = _text(data.get("name"))
    return LabelRef(id=_int(data.get("id")), name=display_name(raw), raw_name=raw, catno=_text(data.get("catno")))


def fmt(data: Mapping[str, Any]) -> Format:
    """One entry of ``formats``."""
    qty = _int(data.get("qty"))
    return Format(name=_text(data.get("name")), qty=qty if qty and qty > 0 else 1,
                  descriptions=_texts(data.get("descriptions") or []), text=_text(data.get("text")))


def track(data: Mapping[str, Any]) -> Track:
    """One tracklist row."""
    return Track(position=_text(data.get("position")), title=_text(data.get("title")),
                 duration=_text(data.get("duration")) or None, kind=_text(data.get("type_")) or "track",
                 artists=[artist(a) for a in _dicts(data.get("artists"))])


def images(value: object) -> list[Image]:
    """``images`` with URLs absolutised; entries without a usable ``uri`` are dropped."""
    out: list[Image] = []
    for data in _dicts(value):
        uri = absolute_url(data.get("uri"))
        if uri is None:
            continue
        out.append(Image(uri=uri, uri150=absolute_url(data.get("uri150")), type=_text(data.get("type")) or "secondary",
                         width=_int(data.get("width")), height=_int(data.get("height"))))
    return out


def release(data: Mapping[str, Any]) -> Release:
    """GET /releases/{id}."""
    return Release(
        id=_require_id(data, "release"),
        title=_text(data.get("title")),
        artists=[artist(a) for a in _dicts(data.get("artists"))],
        labels=[label_ref(label) for label in _dicts(data.get("labels"))],
        year=_year(data.get("year")),
        country=_text(data.get("country")) or None,
        genres=_texts(data.get("genres") or []),
        styles=_texts(data.get("styles") or []),
        formats=[fmt(f) for f in _dicts(data.get("formats"))],
        tracklist=[track(t) for t in _dicts(data.get("tracklist"))],
        images=images(data.get("images")),
        notes=_prose(data.get("notes")),
        released=_text(data.get("released")) or None,
        uri=absolute_url(data.get("uri"), WEB_BASE),
        thumb=absolute_url(data.get("thumb")),
        master_id=_int(data.get("master_id")),
    )


def master(data: Mapping[str, Any]) -> Master:
    """GET /masters/{id}."""
    return Master(
        id=_require_id(data, "master"),
        title=_text(data.get("title")),
        artists=[artist(a) for a in _dicts(data.get("artists"))],
        year=_year(data.get("year")),
        main_release=_int(data.get("main_release")),
        genres=_texts(data.get("genres") or []),
        styles=_texts(data.get("styles") or []),
        tracklist=[track(t) for t in _dicts(data.get("tracklist"))],
        images=images(data.get("images")),
        uri=absolute_url(data.get("uri"), WEB_BASE),
    )


def label(data: Mapping[str, Any]) -> Label:
    """GET /labels/{id}."""
    raw = _text(data.get("name"))
    return Label(
        id=_require_id(data, "label"),
        name=display_name(raw),
        raw_name=raw,
        profile=_prose(data.get("profile")),
        urls=_texts(data.get("urls") or []),
        images=images(data.get("images")),
        sublabels=[label_ref(s) for s in _dicts(data.get("sublabels"))],
        uri=absolute_url(data.get("uri"), WEB_BASE),
    )


def search_result(data: Mapping[str, Any]) -> SearchResult | None:
    """One search hit, or None if it has no id."""
    ident = _int(data.get("id"))
    if ident is None:
        return None
    return SearchResult(
        id=ident,
        type=_text(data.get("type")),
        title=_text(data.get("title")),
        year=_year(data.get("year")),
        country=_text(data.get("country")) or None,
        formats=_texts(data.get("format") or []),
        labels=_texts(data.get("label") or []),
        catno=_text(data.get("catno")) or None,
        thumb=absolute_url(data.get("thumb")),
        genres=_texts(data.get("genre") or []),
        styles=_texts(data.get("style") or []),
        cover_image=absolute_url(data.get("cover_image")),
        uri=absolute_url(data.get("uri"), WEB_BASE),
    )


def search_results(data: Mapping[str, Any]) -> SearchResults:
    """GET /database/search."""
    hits = [hit for hit in (search_result(r) for r in _dicts(data.get("results"))) if hit is not None]
    pagination = data.get("pagination")
    pages: Mapping[str, Any] = pagination if isinstance(pagination, Mapping) else {}
    return SearchResults(results=hits, page=_int(pages.get("page")) or 1, pages=_int(pages.get("pages")) or 0,
                         items=_int(pages.get("items")) or 0, per_page=_int(pages.get("per_page")) or 0)
