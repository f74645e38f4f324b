"""Catalog pages: the filterable listing (full page, or its results partial for HTMX) and product pages.

Both send a weak ETag built from the catalog revision, the normalised query, the partial asked
for and the visitor's own state (session, login, cart count, wishlist), with
``Cache-Control: private, no-cache``: a browser revalidates every time and usually gets a 304.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from storefront.catalog.forms import DEFAULT_LIMIT, SORT_LABELS, CatalogQuery, major_units, parse_catalog_query
from storefront.catalog.product import get_product
from storefront.catalog.services import CatalogResult, catalog_revision, process_cache, search_catalog
from storefront.core.money import format_money
from storefront.extensions import limiter
from storefront.web.pagination import PageRequest, pagination_dict

bp = Blueprint("catalog", __name__, url_prefix="/catalog")
# Read-only pages with no limit of their own: skip Flask-Limiter's per-request bookkeeping.
limiter.exempt(bp)


@limiter.request_filter
def _catalog_request() -> bool:
    """The same exemption, checked first: Flask-Limiter then skips resolving limits per request."""
    return request.blueprint == bp.name

# HX-Target → the partial returned for it. "results" swaps the listing (and moves focus there);
# "results-region" is the search box's target, so focus stays in the box while typing.
PARTIALS = {"results": "catalog/_results.html", "results-region": "catalog/_results_region.html"}
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def product_slug(artist: str, title: str) -> str:
    """The readable part of a product URL ("miles-davis-kind-of-blue")."""
    return _SLUG_JUNK.sub("-", f"{artist} {title}".lower()).strip("-")[:80]


@bp.app_template_global("product_url")
def product_url(item: Any) -> str:
    """Canonical URL of a product page for a card or an item."""
    title = getattr(item, "display_title", None) or item.title or item.name
    slug = product_slug(item.artist, title)
    if slug:
        return url_for("catalog.product", item_id=item.id, slug=slug)
    return url_for("catalog.product", item_id=item.id)


# --- conditional GET ----------------------------------------------------------------------------
def _partial_target() -> str | None:
    if request.headers.get("HX-Request") != "true" or request.headers.get("HX-History-Restore-Request") == "true":
        return None
    target = request.headers.get("HX-Target")
    return target if target in PARTIALS else None


def _csrf_period() -> int:
    """Changes twice per CSRF token lifetime, so a revalidated page never carries an expired token."""
    limit = current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    return int(time.time() // max(1, int(limit) // 2)) if limit else 0


def _header_state() -> list[Any]:
    """The header's per-visitor values (context processors: cart count …), once per request."""
    cached = g.get("catalog_header_state")
    if cached is None:
        context: dict[str, Any] = {}
        current_app.update_template_context(context)
        cached = g.catalog_header_state = sorted(
            (k, v) for k, v in context.items() if isinstance(v, str | int | float | bool))
    return cached  # type: ignore[no-any-return]


def _visitor_state(item_id: int | None = None) -> list[Any]:
    """What makes this visitor's copy of a page theirs: session, login, header counters, wishlist."""
    state: list[Any] = [_header_state(),
                        current_user.get_id() if current_user.is_authenticated else None,
                        # Flask-Login's bookkeeping keys ("_id", "_remember", "_fresh") churn without
                        # changing the page; who is logged in is already in the state above.
                        json.dumps({k: v for k, v in session.items() if not k.startswith("_")},
                                   sort_keys=True, default=str), _csrf_period()]
    if item_id is not None:
        state.append(_on_wishlist(item_id))
    return state


def _on_wishlist(item_id: int) -> bool | None:
    """Whether the item is on the visitor's wishlist (None without the wishlist feature)."""
    wishlist_ids = current_app.jinja_env.globals.get("wishlist_item_ids")
    return item_id in wishlist_ids() if callable(wishlist_ids) else None


def _etag(*parts: Any) -> str:
    raw = json.dumps(parts, default=str, separators=(",", ":")).encode()
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def _not_modified(etag: str) -> Response | None:
    """A 304 when the browser's copy is current (flashed messages still waiting force a render)."""
    if session.get("_flashes") or not request.if_none_match.contains_weak(etag):
        return None
    response = Response(status=304)
    return _cache_headers(response, etag)


def _cache_headers(response: Response, etag: str | None) -> Response:
    if etag:
        response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.update(("HX-Request", "HX-Target", "Cookie"))
    return response


# --- the listing ----------------------------------------------------------------------------
def _listing_url(query: CatalogQuery, **changes: Any) -> str:
    """The page URL of ``query`` with some args changed (None drops one); major-unit prices."""
    args: dict[str, Any] = {"q": query.q or None, "genre": list(query.genres) or None,
                            "format": list(query.formats) or None,
                            "min_price": major_units(query.min_price) or None,
                            "max_price": major_units(query.max_price) or None,
                            "in_stock": "1" if query.in_stock else None,
                            "kind": query.kind if query.kind != "record" else None,
                            "sort": query.sort if query.sort != ("relevance" if query.q else "newest") else None,
                            "limit": query.limit if query.limit != DEFAULT_LIMIT else None}
    args.update(changes)
    return url_for("catalog.index", **{k: v for k, v in args.items() if v is not None})


def _price_links(result: CatalogResult) -> list[dict[str, Any]]:
    """Links setting the price range to each facet bucket."""
    currency = result.cards[0].currency if result.cards else "USD"
    links = []
    for bucket in result.facets.prices:
        low, high = bucket.min_price, bucket.max_price
        if not low:
            label = f"Under {format_money((high or 0) + 1, currency)}"
        elif high is None:
            label = f"{format_money(low, currency)} and up"
        else:
            label = f"{format_money(low, currency)} – {format_money(high + 1, currency)}"
        href = _listing_url(result.query, page=None, min_price=major_units(low) if low else None,
                            max_price=major_units(high) if high is not None else None)
        links.append({"label": label, "href": href, "count": bucket.count, "selected": bucket.selected})
    return links


def _form_values(query: CatalogQuery) -> dict[str, Any]:
    """What the filter form shows: the query as understood (prices back in major units)."""
    return {"q": query.q, "min_price": major_units(query.min_price), "max_price": major_units(query.max_price),
            "in_stock": query.in_stock, "kind": query.kind, "sort": query.sort, "limit": query.limit}


@dataclass(frozen=True, slots=True)
class ListingFragments:
    """The rendered, visitor-independent parts of a listing: what the full page and both partials share."""

    title: Markup
    count: Markup
    facets: Markup
    body: Markup


def _render_fragments(query: CatalogQuery, errors: Any, revision: int) -> ListingFragments:
    result = search_catalog(query, revision=revision)
    context = {"result": result, "query": query, "errors": errors, "form": _form_values(query),
               "error_fields": {e.field: e.message for e in errors}, "sorts": SORT_LABELS,
               "price_links": _price_links(result), "first_page_url": _listing_url(query),
               "pagination": pagination_dict(PageRequest(query.page, query.limit), result.total)}
    # Markup: these are autoescaped template output, already safe HTML, inserted as they are.
    return ListingFragments(*(Markup(render_template(f"catalog/_{name}.html", **context).strip())  # noqa: S704
                              for name in ("title", "count", "facets", "results_body")))


def _listing_fragments(query: CatalogQuery, revision: int) -> ListingFragments:
    """The fragments of a valid query, rendered once per catalog revision (an LRU per process).

    They hold no visitor state (no forms with tokens, no login, no cart), so every shopper can
    share them; the page shell around them is rendered per request.
    """
    cache = process_cache("catalog_fragment_cache")
    key = (revision, query.cache_key())
    fragments = cache.get(key)
    if fragments is None:
        fragments = _render_fragments(query, (), revision)
        cache.put(key, fragments)
    return fragments


@bp.get("")
def index() -> Response:
    """The catalog: search, filters, facets, sort and pages; the results partial for HTMX."""
    parsed = parse_catalog_query(request.args, price_units="major")
    query = parsed.query
    partial = _partial_target()
    revision = catalog_revision()
    etag = None
    if parsed.errors:  # pages with messages are rendered afresh (they echo the bad input)
        fragments = _render_fragments(query, parsed.errors, revision)
    else:
        # A partial holds nothing of the visitor's (no header, no forms with tokens): its tag is the
        # listing's alone. The full page carries the visitor's header and session.
        visitor = _visitor_state() if partial is None else None
        etag = _etag("catalog", revision, query.cache_key(), partial, visitor)
        not_modified = _not_modified(etag)
        if not_modified is not None:
            return not_modified
        fragments = _listing_fragments(query, revision)
    template = PARTIALS[partial] if partial else "catalog/index.html"
    context = {"fragments": fragments, "query": query, "form": _form_values(query),
               "error_fields": {e.field: e.message for e in parsed.errors}}
    if partial is not None and not parsed.errors:
        body = _shared_partial(template, context, revision, query)
    elif partial is None and not parsed.errors and _plain_anonymous_visit():
        body = _anonymous_page(template, context, revision, query)
    else:
        body = render_template(template, **context)
    if etag is not None and partial is None and session.modified:  # rendering started a session (CSRF token)
        etag = _etag("catalog", revision, query.cache_key(), partial, _visitor_state())
    return _cache_headers(Response(body), etag)


def _shared_partial(template: str, context: dict[str, Any], revision: int, query: CatalogQuery) -> str:
    """An HTMX results partial: the listing's fragments and the shop's name, nothing of the
    visitor's, so it is rendered once per (revision, query, target) and process for everyone."""
    cache = process_cache("catalog_page_cache")
    key = ("partial", template, revision, query.cache_key(), request.script_root)
    body = cache.get(key)
    if body is None:
        body = render_template(template, **context)
        cache.put(key, body)
    return body  # type: ignore[no-any-return]


_CSRF_PLACEHOLDER = Markup("<csrf-token>")  # "<" never survives autoescaping, so content cannot forge it


def _plain_anonymous_visit() -> bool:
    """Not logged in and nothing waiting to be flashed: the page differs from the next visitor's
    only by the header values (part of the cache key) and the CSRF token (filled in per request)."""
    return not current_user.is_authenticated and not session.get("_flashes")


def _anonymous_page(template: str, context: dict[str, Any], revision: int, query: CatalogQuery) -> str:
    """The full listing page for an anonymous visitor: rendered once per (revision, query, header
    values) and process, with this visitor's CSRF token put in its place."""
    key = (revision, query.cache_key(), tuple(_header_state()), request.script_root)
    return _with_csrf_token(key, lambda token: render_template(template, **context, csrf_token=token))


def _with_csrf_token(key: tuple[Any, ...], render: Callable[[Callable[[], str]], str]) -> str:
    """A page shared by anonymous visitors, cached under ``key`` with a placeholder wherever the
    template asked for the CSRF token; each visitor's own token replaces the placeholders."""
    cache = process_cache("catalog_page_cache")
    page = cache.get(key)
    if page is None:
        asked: list[int] = []

        def placeholder() -> str:
            asked.append(1)
            return _CSRF_PLACEHOLDER

        page = render(placeholder)
        token = generate_csrf()
        # A token that went through a filter, or one a macro got from the real global (an
        # imported macro does not see the placeholder): never share that page.
        if page.count(_CSRF_PLACEHOLDER) != len(asked) or token in page:
            return render(generate_csrf)
        cache.put(key, page)
    return _filled(page)


def _filled(page: str) -> str:
    return page.replace(_CSRF_PLACEHOLDER, generate_csrf())


# --- product pages -----------------------------------------------------------------------------
@bp.get("/<int:item_id>")
@bp.get("/<int:item_id>/<slug>")
def product(item_id: int, slug: str | None = None) -> Response:
    """A product: ECS price/stock/variations with enrichment, related items, cart and wishlist controls."""
    revision = catalog_revision()
    etag = _etag("product", revision, item_id, slug, _visitor_state(item_id))
    not_modified = _not_modified(etag)
    if not_modified is not None:
        return not_modified
    # Shared by anonymous visitors: what differs between them is the header values, whether the
    # item is on their guest wishlist, and the CSRF token; the path goes into the forms. Only the
    # plain address is shared: made-up query strings would each take a slot in the cache.
    shared = _plain_anonymous_visit() and not request.query_string
    key = ("product", revision, item_id, request.path, tuple(_header_state()), _on_wishlist(item_id),
           request.script_root) if shared else None
    cached = process_cache("catalog_page_cache").get(key) if key else None
    if cached is not None:  # rendered for this very path: it was the canonical one
        body = _filled(cached)
    else:
        view = get_product(item_id)
        canonical = product_url(view.item)
        if slug is not None and request.path != canonical:
            return redirect(canonical, code=301)  # type: ignore[return-value]

        def render(token: Callable[[], str] = generate_csrf) -> str:
            return render_template("catalog/product.html", product=view, item=view.item,
                                   canonical_url=canonical, csrf_token=token)

        body = _with_csrf_token(key, render) if key else render()
    if session.modified:  # rendering started a session (CSRF token): tag the copy that was sent
        etag = _etag("product", revision, item_id, slug, _visitor_state(item_id))
    return _cache_headers(Response(body), etag)
