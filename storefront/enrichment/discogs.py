"""Discogs for enrichment: the app's client (one seam), search and release lookups as domain errors, and
turning a release into suggested enrichment values for staff to review (nothing is saved here).

Tests (or a deployment) can put their own client in ``app.extensions["discogs_client"]``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from storefront.catalog.models import Genre
from storefront.core.errors import Conflict, DomainError, FieldError, NotFound, ServiceUnavailable, ValidationError
from storefront.discogs import (
    DiscogsAuthError,
    DiscogsClient,
    DiscogsError,
    DiscogsInvalidRequest,
    DiscogsNotConfigured,
    DiscogsNotFound,
    DiscogsRateLimited,
    Release,
    SearchResults,
)
from storefront.discogs.client import ANONYMOUS_LIMIT, API_BASE, AUTHENTICATED_LIMIT, RATE_WINDOW
from storefront.discogs.limits import shared_limiter
from storefront.enrichment.validation import TEXT_LIMITS, is_allowed_image
from storefront.extensions import db
from storefront.shops.context import shop_extensions

EXTENSION_KEY = "discogs_client"
CRITERIA = ("q", "catno", "barcode", "artist", "title")
MAX_CRITERION = 200
NOT_CONFIGURED_MESSAGE = "Discogs search is off: set STOREFRONT_DISCOGS_TOKEN"
WEB_MAX_WAIT_SECONDS = 5.0  # a page waits at most this long on Discogs' rate limit before saying so


class DiscogsOff(Conflict):
    """No Discogs token: a configuration state of this shop, not an outage (so 409, never 503)."""

    code = "discogs_not_configured"


class DiscogsBusy(ServiceUnavailable):
    code = "discogs_rate_limited"


class DiscogsDown(DomainError):
    code = "discogs_unavailable"
    http_status = 502


class DiscogsReleaseMissing(NotFound):
    code = "discogs_release_not_found"


def user_agent() -> str:
    """The descriptive User-Agent Discogs requires: DISCOGS_USER_AGENT, else the shop's name and URL."""
    config = current_app.config
    return (config.get("DISCOGS_USER_AGENT") or "").strip() or (
        "{}-Storefront/1.0 +{}".format("".join(ch for ch in config["SHOP_NAME"] if ch.isalnum()) or "Shop",
                                       config["PUBLIC_BASE_URL"]))


def discogs_client() -> DiscogsClient:
    """The app's shared Discogs client, built from DISCOGS_TOKEN / DISCOGS_USER_AGENT on first use.
    Its rate budget is the token's shared one (channel connectors with the same token draw on it too)."""
    client = shop_extensions(current_app).get(EXTENSION_KEY)
    if client is None:
        config = current_app.config
        token = (config.get("DISCOGS_TOKEN") or "").strip() or None
        limiter = shared_limiter(token, API_BASE, AUTHENTICATED_LIMIT if token else ANONYMOUS_LIMIT, RATE_WINDOW,
                                 clock=time.monotonic, sleep=time.sleep)
        try:
            client = DiscogsClient(token, user_agent=user_agent(), limiter=limiter,
                                   max_wait=WEB_MAX_WAIT_SECONDS, max_retries=2)
        except ValueError as exc:  # a malformed token or User-Agent: say so instead of failing the page
            raise DiscogsOff(f"Discogs search is off: {exc} (check STOREFRONT_DISCOGS_TOKEN and "
                             "STOREFRONT_DISCOGS_USER_AGENT)") from None
        shop_extensions(current_app)[EXTENSION_KEY] = client
    return client  # type: ignore[no-any-return]


def discogs_configured() -> bool:
    """Whether Discogs search can be used (a token is set and the client could be built)."""
    try:
        return discogs_client().configured
    except DiscogsOff:
        return False


def _domain_error(exc: DiscogsError) -> DomainError:
    if isinstance(exc, DiscogsNotConfigured):
        return DiscogsOff(NOT_CONFIGURED_MESSAGE)
    if isinstance(exc, DiscogsRateLimited):
        return DiscogsBusy("Discogs is rate limiting us right now; try again in a minute.")
    if isinstance(exc, DiscogsNotFound):
        return DiscogsReleaseMissing("Discogs has no such release.")
    if isinstance(exc, DiscogsAuthError):
        return DiscogsDown("Discogs refused our token; check STOREFRONT_DISCOGS_TOKEN.")
    if isinstance(exc, DiscogsInvalidRequest):
        return ValidationError(f"Discogs refused the search: {exc}", details=[FieldError("q", str(exc))])
    return DiscogsDown("Discogs is not answering properly right now; try again shortly.")


def search_criteria(args: Mapping[str, Any]) -> dict[str, str]:
    """The non-empty search fields of ``args``; none, or one too long, is a ValidationError."""
    criteria: dict[str, str] = {}
    errors: list[FieldError] = []
    for name in CRITERIA:
        value = args.get(name)
        text = value.strip() if isinstance(value, str) else ""
        if len(text) > MAX_CRITERION:
            errors.append(FieldError(name, f"{name} is longer than {MAX_CRITERION} characters"))
        elif text:
            criteria[name] = text
    if not criteria and not errors:
        errors.append(FieldError("q", "Enter at least one of: search text, catalog number, barcode, artist, title."))
    if errors:
        raise ValidationError("The Discogs search needs different input.", details=errors)
    return criteria


def search_discogs(criteria: Mapping[str, str], *, page: int = 1) -> SearchResults:
    """Releases matching ``criteria`` (validated by ``search_criteria``); Discogs errors as domain errors."""
    client = discogs_client()
    if not client.configured:
        raise DiscogsOff(NOT_CONFIGURED_MESSAGE)
    try:
        found = client.search(**criteria, type="release", per_page=25, page=page)
    except DiscogsError as exc:
        raise _domain_error(exc) from exc
    return SearchResults(results=[r for r in found.results if r.type in ("release", "")], page=found.page,
                         pages=found.pages, items=found.items, per_page=found.per_page)


def fetch_release(release_id: int) -> Release:
    """One Discogs release, normalised; Discogs errors as domain errors."""
    client = discogs_client()
    if not client.configured:
        raise DiscogsOff(NOT_CONFIGURED_MESSAGE)
    try:
        return client.release(release_id)
    except DiscogsError as exc:
        raise _domain_error(exc) from exc


@dataclass
class Suggestion:
    """Enrichment values taken from a release, merged into the current ones, with notes for staff."""

    payload: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def format_details(release: Release) -> str:
    """'2 × Vinyl, 12", 33 ⅓ RPM; CD' from the release's formats."""
    parts = []
    for fmt in release.formats:
        words = [f"{fmt.qty} × {fmt.name}" if fmt.qty > 1 else fmt.name, *fmt.descriptions]
        if fmt.text:
            words.append(fmt.text)
        parts.append(", ".join(w for w in words if w))
    return "; ".join(parts)[:TEXT_LIMITS["format_details"]]


def _matching_genres(names: list[str]) -> tuple[list[int], list[str]]:
    """Ids of live genres named like ``names`` (case-insensitive), and the names with no genre."""
    if not names:
        return [], []
    rows = db.session.execute(select(Genre.id, Genre.name).where(
        func.lower(Genre.name).in_([n.lower() for n in names]), Genre.is_deleted.is_(False))).all()
    found = {name.lower(): ident for ident, name in rows}
    return [found[n.lower()] for n in names if n.lower() in found], [n for n in names if n.lower() not in found]


def release_suggestion(release: Release, current: Mapping[str, Any]) -> Suggestion:
    """The form values after choosing ``release``: Discogs data replaces the catalog fields; the staff pick,
    the featured flag and staff-written notes stay; matching genres are added to the chosen ones."""
    notes: list[str] = []
    images = [i.uri for i in release.images if is_allowed_image(i.uri)]
    skipped = len(release.images) - len(images)
    if skipped:
        notes.append(f"{skipped} image(s) left out: only https://i.discogs.com/ and https://img.discogs.com/ "
                     "images can be shown on the shop.")
    genre_ids, unknown = _matching_genres([*release.genres, *release.styles])
    unknown_genres = [n for n in unknown if n in release.genres]
    if unknown_genres:
        notes.append(f"Discogs genres not in the genre list (add them under Genres to use them): "
                     f"{', '.join(unknown_genres)}.")
    tracks = [{"position": t.position, "title": t.title, "duration": t.duration or ""}
              for t in release.tracklist if t.kind == "track" and t.title]
    labels = [lbl.name for lbl in release.labels if lbl.name]
    payload = {
        **current,
        "artists": [a.anv or a.name for a in release.artists if a.anv or a.name],
        "label": labels[0] if labels else current.get("label", ""),
        "catalog_number": (release.catalog_numbers or [current.get("catalog_number", "")])[0],
        "year": release.year or current.get("year"),
        "genre_ids": list(dict.fromkeys([*current.get("genre_ids", []), *genre_ids])),
        "styles": list(release.styles),
        "format_details": format_details(release) or current.get("format_details", ""),
        "tracklist": tracks,
        "images": images or list(current.get("images") or []),
        "notes": current.get("notes") or release.notes,
        "discogs_release_id": release.id,
    }
    return Suggestion(payload=payload, notes=notes)


def search_result_json(result: Any) -> dict[str, Any]:
    """The API shape of one search hit."""
    return {"id": result.id, "title": result.title, "year": result.year, "country": result.country,
            "labels": list(result.labels), "catno": result.catno, "formats": list(result.formats),
            "genres": list(result.genres), "styles": list(result.styles), "thumb": result.thumb,
            "uri": result.uri}


def release_json(release: Release) -> dict[str, Any]:
    """The API shape of a normalised release."""
    return {
        "id": release.id, "title": release.title, "artists": [a.anv or a.name for a in release.artists],
        "artist_display": release.artist_display, "year": release.year, "country": release.country,
        "labels": [{"name": lbl.name, "catno": lbl.catno} for lbl in release.labels],
        "genres": list(release.genres), "styles": list(release.styles),
        "formats": [{"name": f.name, "qty": f.qty, "descriptions": list(f.descriptions), "text": f.text}
                    for f in release.formats],
        "tracklist": [{"position": t.position, "title": t.title, "duration": t.duration, "type": t.kind}
                      for t in release.tracklist],
        "images": [{"uri": i.uri, "uri150": i.uri150, "type": i.type} for i in release.images],
        "notes": release.notes, "uri": release.uri,
    }
