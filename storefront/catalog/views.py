"""Catalog pages: the filterable listing (full page, or its results partial for HTMX) and product pages.

Each view parses the request, calls the catalog services and renders. What makes the pages fast
(ETag/304, rendered fragments, pages shared between visitors) is :mod:`storefront.catalog.pagecache`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, redirect, render_template, request
from markupsafe import Markup
from werkzeug.wrappers import Response

from storefront.catalog import pagecache
from storefront.catalog.links import listing_url, price_links, product_url, without_empty_args
from storefront.catalog.product import get_product
from storefront.catalog.query import GRADES, SORT_LABELS, CatalogQuery, form_values, parse_catalog_query
from storefront.catalog.services import search_catalog
from storefront.extensions import limiter
from storefront.web import htmx
from storefront.web.pagination import PageRequest, pagination_dict

bp = Blueprint("catalog", __name__, url_prefix="/catalog")
bp.add_app_template_global(product_url, "product_url")
# Read-only pages with no limit of their own: skip Flask-Limiter's per-request bookkeeping.
limiter.exempt(bp)


@limiter.request_filter
def _catalog_request() -> bool:
    """The same exemption, checked first: Flask-Limiter then skips resolving limits per request."""
    return request.blueprint == bp.name

# HX-Target → the partial returned for it. "results" swaps the listing (and moves focus there);
# "results-region" is the search box's target, so focus stays in the box while typing.
PARTIALS = {"results": "catalog/_results.html", "results-region": "catalog/_results_region.html"}


@dataclass(frozen=True, slots=True)
class ListingFragments:
    """The rendered, visitor-independent parts of a listing: what the full page and both partials share."""

    title: Markup
    count: Markup
    facets: Markup
    body: Markup
    pages: int  # how many pages the result has (a page past the last is sent to the last)


def _fragments(query: CatalogQuery, errors: Any, revision: int | None) -> ListingFragments:
    """The listing's parts that hold nothing of the visitor's: title, count, facets and results."""
    result = search_catalog(query, revision=revision)
    context = {"result": result, "query": query, "errors": errors, "form": form_values(query),
               "error_fields": {e.field: e.message for e in errors}, "sorts": SORT_LABELS, "grades": GRADES,
               "price_links": price_links(result), "first_page_url": listing_url(query),
               "pagination": pagination_dict(PageRequest(query.page, query.limit), result.total)}
    # Markup: these are autoescaped template output, already safe HTML, inserted as they are.
    return ListingFragments(*(Markup(render_template(f"catalog/_{name}.html", **context).strip())  # noqa: S704
                              for name in ("title", "count", "facets", "results_body")),
                            pages=int(context["pagination"]["pages"]))



@bp.get("")
def index() -> Response:
    """The catalog: search, filters, facets, sort and pages; the results partial for HTMX."""
    cleaned = without_empty_args()
    if cleaned is not None and not htmx.is_htmx():
        return redirect(cleaned, code=302)
    parsed = parse_catalog_query(request.args, price_units="major")
    query = parsed.query
    partial = htmx.target() if htmx.target() in PARTIALS else None
    template = htmx.pick_template("catalog/index.html", PARTIALS)
    context = {"query": query, "form": form_values(query),
               "error_fields": {e.field: e.message for e in parsed.errors}}
    if parsed.errors:  # pages with messages are rendered afresh (they echo the bad input)
        fragments = _fragments(query, parsed.errors, None)
        return pagecache.fresh_page(render_template(template, fragments=fragments, **context))

    def prepare(revision: int) -> pagecache.Render | Response:
        # The day is part of the key: a pre-order becomes an ordinary record on its release day.
        fragments = pagecache.fragments((query.cache_key(), date.today()), revision,
                                        lambda: _fragments(query, (), revision))
        if query.page > fragments.pages:  # "page 9999 of 13": the last page is what was meant
            return redirect(listing_url(query, page=fragments.pages if fragments.pages > 1 else None), code=302)
        return lambda token: render_template(template, fragments=fragments, csrf_token=token, **context)

    # A partial holds nothing of the visitor's (no header, no forms with tokens): one copy serves
    # everyone. The full page carries the visitor's header and session.
    response = pagecache.cached_page("catalog", (query.cache_key(), partial), prepare,
                                     shared_with="everyone" if partial else "anonymous")
    if cleaned is not None:  # an HTMX search: the address bar gets the tidy URL
        response.headers["HX-Push-Url"] = cleaned
    return response


@bp.get("/<int:item_id>")
@bp.get("/<int:item_id>/<slug>")
def product(item_id: int, slug: str | None = None) -> Response:
    """A product: ECS price/stock/variations with enrichment, related items, cart and wishlist controls."""

    def prepare(_revision: int) -> pagecache.Render | Response:
        view = get_product(item_id)
        canonical = product_url(view.item)
        if slug is not None and request.path != canonical:
            return redirect(canonical, code=301)
        return lambda token: render_template("catalog/product.html", product=view, item=view.item,
                                             canonical_url=canonical, csrf_token=token)

    # Shared by anonymous visitors: what differs between them is the header values, whether the
    # item is on their guest wishlist, and the CSRF token. Only the plain address is shared:
    # made-up query strings would each take a slot in the cache.
    return pagecache.cached_page("product", (item_id, slug, date.today()), prepare, wishlist_item=item_id,
                                 shared_with=None if request.query_string else "anonymous")
