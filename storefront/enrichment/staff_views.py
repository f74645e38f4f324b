"""Back office: the item list, an item's enrichment form, and Discogs search / "use this release"."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for

from storefront.catalog.models import Item
from storefront.core.errors import DomainError, ValidationError
from storefront.enrichment import discogs
from storefront.enrichment.forms import field_errors, form_values, payload_from_form
from storefront.enrichment.services import (
    count_low_stock,
    count_missing_enrichment,
    current_payload,
    genre_choices,
    get_item,
    item_genres,
    list_items,
    parse_item_filter,
    save_enrichment,
)
from storefront.photos.services import list_photos
from storefront.staff.auth import acting_staff, staff_blueprint
from storefront.staff.shell import DashboardCard, register_dashboard_card, register_staff_nav
from storefront.web import htmx
from storefront.web.pagination import page_request, pagination_dict

bp = staff_blueprint("staff_items", __name__, url_prefix="/staff/items")


def missing_enrichment_card() -> DashboardCard:
    count = count_missing_enrichment()
    return DashboardCard(label="Items missing enrichment", value=count, endpoint="staff_items.index",
                         detail="records without staff details", tone="warn" if count else "ok")


def low_stock_card() -> DashboardCard:
    count = count_low_stock()
    return DashboardCard(label="Low stock", value=count, endpoint="staff_items.index",
                         detail="records with 1–2 left", tone="warn" if count else "ok")


register_staff_nav("staff_items.index", "Items", order=20)
register_dashboard_card("enrichment.missing", missing_enrichment_card, order=40)
register_dashboard_card("catalog.low_stock", low_stock_card, order=45)


def _htmx_target(target: str) -> bool:
    return htmx.wants(target)


def _vary(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response


@bp.get("")
def index() -> Response:
    """Items with filters (missing enrichment, genre, stock, search) and pagination."""
    errors: dict[str, str] = {}
    status = 200
    try:
        filters = parse_item_filter(request.args)
        page = page_request(request.args, default_limit=25, max_limit=100)
    except ValidationError as exc:
        errors, status = field_errors(exc.details), 422
        filters, page = parse_item_filter({}), page_request({}, default_limit=25)
    items, total = list_items(filters, page)
    template = "staff/enrichment/_items.html" if _htmx_target("item-results") else "staff/enrichment/index.html"
    return _vary(Response(render_template(template, items=items, filters=filters, genres=genre_choices(),
                                          errors=errors, pagination=pagination_dict(page, total)), status=status))


def _item_page(item: Item, payload: dict[str, Any], *, errors: dict[str, str] | None = None,
               notices: list[str] | None = None, status: int = 200, partial: bool = False) -> Response:
    context = {
        "item": item, "form": form_values(payload), "errors": errors or {}, "notices": notices or [],
        "genres": genre_choices(), "item_genres": item_genres(item.id),
        "discogs_on": discogs.discogs_configured(), "discogs_off_message": discogs.NOT_CONFIGURED_MESSAGE,
        "search": _search_defaults(item), "photos": list_photos(item.id),
        "photo_limit_mb": current_app.config["PHOTO_MAX_BYTES"] // (1024 * 1024),
    }
    template = "staff/enrichment/_form.html" if partial else "staff/enrichment/item.html"
    return _vary(Response(render_template(template, **context), status=status))


def _search_defaults(item: Item) -> dict[str, str]:
    """The Discogs search form, prefilled from the item (the request's values win)."""
    detail = item.detail
    artist = (detail.artists[0] if detail and detail.artists else "") or item.artist
    defaults = {"q": "", "catno": (detail.catalog_number if detail else "") or item.catalog_number,
                "barcode": "", "artist": artist, "title": item.title or ("" if artist else item.name)}
    return {name: request.args.get(name, value) for name, value in defaults.items()}


@bp.get("/<int:item_id>")
def item_page(item_id: int) -> Response:
    item = get_item(item_id)
    return _item_page(item, current_payload(item))


@bp.post("/<int:item_id>")
def save(item_id: int) -> Response:
    """Save the reviewed enrichment; problems re-render the form with messages (422)."""
    item = get_item(item_id)
    payload = payload_from_form(request.form)
    try:
        _detail, changed = save_enrichment(item.id, payload, actor=acting_staff())
    except ValidationError as exc:
        return _item_page(item, payload, errors=field_errors(exc.details), status=422)
    except DomainError as exc:
        return _item_page(item, payload, errors={"form": exc.message}, status=exc.http_status)
    flash(f"Saved {', '.join(changed)}." if changed else "Nothing changed.", "success")
    return redirect(url_for("staff_items.item_page", item_id=item.id), code=303)


@bp.get("/<int:item_id>/discogs")
def discogs_search(item_id: int) -> Response:
    """Discogs search results: the list alone for HTMX, else a full page with the search form."""
    item = get_item(item_id)
    results, error, status = None, "", 200
    try:
        results = discogs.search_discogs(discogs.search_criteria(request.args))
    except DomainError as exc:
        error, status = exc.message, exc.http_status
        if isinstance(exc, ValidationError):
            error = "; ".join(d.message for d in exc.details) or exc.message
    partial = _htmx_target("discogs-results")
    template = "staff/enrichment/_discogs_results.html" if partial else "staff/enrichment/discogs.html"
    # An HTMX swap shows the message in place; a full page carries the real status.
    return _vary(Response(render_template(
        template, item=item, results=results, error=error, htmx=partial, search=_search_defaults(item),
        discogs_on=discogs.discogs_configured(), discogs_off_message=discogs.NOT_CONFIGURED_MESSAGE),
        status=200 if partial else status))


@bp.get("/<int:item_id>/discogs/<int:release_id>")
def use_release(item_id: int, release_id: int) -> Response:
    """The enrichment form filled from a Discogs release, for review; nothing is saved until Save."""
    item = get_item(item_id)
    partial = _htmx_target("enrichment-form")
    current = current_payload(item)
    try:
        release = discogs.fetch_release(release_id)
    except DomainError as exc:
        return _item_page(item, current, errors={"form": exc.message}, partial=partial,
                          status=200 if partial else exc.http_status)
    suggestion = discogs.release_suggestion(release, current)
    notices = [f"Filled from Discogs release #{release.id} “{release.artist_display} – {release.title}”. "
               "Review the values and press Save; nothing is saved yet.", *suggestion.notes]
    return _item_page(item, suggestion.payload, notices=notices, partial=partial)
