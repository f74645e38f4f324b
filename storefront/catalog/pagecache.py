"""The catalog pages' caching in one place: ETag/304, rendered fragments and pages shared between visitors.

Every page gets a weak ETag built from the catalog revision, what the page shows (the normalised
query and the partial asked for, or the product) and the visitor's own state (session, login,
header counters, wishlist), with ``Cache-Control: private, no-cache``: a browser revalidates every
time and usually gets a 304.

Rendered HTML is kept per catalog revision in this process's LRUs (``CATALOG_CACHE_SIZE`` entries):

* fragments (a listing's title, count, facets and results) hold no visitor state: one copy for all;
* pages shared with everyone (the HTMX results partials) hold nothing of the visitor's either;
* pages shared by anonymous visitors differ only by the header values (part of their key) and the
  CSRF token: they are rendered with a placeholder for the token, and each visitor's own token is
  put in its place.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from flask import Response, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from storefront.catalog import revision as catalog_revision
from storefront.catalog.services import process_cache
from storefront.wishlist.visitor import current_item_ids

# The page's HTML, given the ``csrf_token()`` its template is to call.
Render = Callable[[Callable[[], str]], str]
# Loads what a page shows for a revision: its Render, or a Response (a redirect) sent as it is.
Prepare = Callable[[int], Render | BaseResponse]
SharedWith = Literal["everyone", "anonymous"] | None
T = TypeVar("T")

_CSRF_PLACEHOLDER = Markup("<csrf-token>")  # "<" never survives autoescaping, so content cannot forge it


def fragments(key: tuple[Any, ...], revision: int, render: Callable[[], T]) -> T:
    """What ``render`` makes for ``key``, rendered once per catalog revision (an LRU per process).

    Only for HTML that holds no visitor state (no forms with tokens, no login, no cart): every
    shopper shares it; the page around it is rendered (or shared) separately.
    """
    cache = process_cache("catalog_fragment_cache")
    full_key = (revision, *key)
    found = cache.get(full_key)
    if found is None:
        found = render()
        cache.put(full_key, found)
    return found  # type: ignore[return-value]


def cached_page(kind: str, key_parts: tuple[Any, ...], prepare: Prepare, *, shared_with: SharedWith = None,
                wishlist_item: int | None = None) -> BaseResponse:
    """The page ``kind`` of ``key_parts`` (what it shows): a 304 when the browser's copy is current, else its HTML.

    ``shared_with="everyone"``: the page holds nothing of the visitor's, so its ETag is the page's
    alone and one copy serves all. ``"anonymous"``: plain anonymous visits share a copy (the CSRF
    token swapped in). ``None``: rendered per request. ``wishlist_item``: the page shows whether
    that item is on the visitor's wishlist.
    """
    revision = catalog_revision.current()
    visitor = shared_with != "everyone"

    def etag() -> str:
        return _etag(kind, revision, *key_parts, _visitor_state(wishlist_item) if visitor else None)

    tag = etag() if request.if_none_match else None  # a first visit has nothing to compare
    if tag and not session.get("_flashes") and request.if_none_match.contains_weak(tag):
        return _cache_headers(Response(status=304), tag)  # flashed messages still waiting force a render
    body = _body(kind, revision, key_parts, prepare, shared_with, wishlist_item)
    if isinstance(body, BaseResponse):
        return body
    if tag is None or (visitor and session.modified):  # rendering may have started a session (CSRF
        tag = etag()                                    # token): tag the copy that was sent
    return _cache_headers(Response(body), tag)


def fresh_page(body: str) -> Response:
    """A page rendered for this request alone (no ETag), with the catalog's cache headers."""
    return _cache_headers(Response(body), None)


# --- shared copies ------------------------------------------------------------------------------
def _body(kind: str, revision: int, key_parts: tuple[Any, ...], prepare: Prepare, shared_with: SharedWith,
          wishlist_item: int | None) -> str | BaseResponse:
    """The page's HTML: a shared copy when there is one for this visitor, else rendered (and kept)."""
    key: tuple[Any, ...] | None = None
    if shared_with == "everyone":
        key = ("everyone", kind, revision, *key_parts, request.script_root)
    elif shared_with == "anonymous" and _plain_anonymous_visit():
        # The header values and the wishlist state are this visitor's; the token is filled in below.
        key = ("anonymous", kind, revision, *key_parts, tuple(_header_state()),
               _on_wishlist(wishlist_item) if wishlist_item is not None else None, request.script_root)
    cache = process_cache("catalog_page_cache")
    cached = cache.get(key) if key else None
    if cached is not None:
        return cached if shared_with == "everyone" else _filled(cached)  # type: ignore[return-value]
    render = prepare(revision)
    if isinstance(render, BaseResponse):
        return render
    if key is None:
        return render(generate_csrf)
    if shared_with == "anonymous":
        return _with_csrf_token(key, render)
    body = render(generate_csrf)
    cache.put(key, body)
    return body


def _plain_anonymous_visit() -> bool:
    """Not logged in and nothing waiting to be flashed: the page differs from the next visitor's
    only by the header values (part of the cache key) and the CSRF token (filled in per request)."""
    return not current_user.is_authenticated and not session.get("_flashes")


def _with_csrf_token(key: tuple[Any, ...], render: Render) -> str:
    """A page shared by anonymous visitors, kept under ``key`` with a placeholder wherever the
    template asked for the CSRF token; each visitor's own token replaces the placeholders."""
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
    process_cache("catalog_page_cache").put(key, page)
    return _filled(page)


def _filled(page: str) -> str:
    return page.replace(_CSRF_PLACEHOLDER, generate_csrf())


# --- conditional GET ----------------------------------------------------------------------------
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


def _on_wishlist(item_id: int) -> bool:
    """Whether the item is on the visitor's wishlist."""
    return item_id in current_item_ids()


def _etag(*parts: Any) -> str:
    raw = json.dumps(parts, default=str, separators=(",", ":")).encode()
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def _cache_headers(response: Response, etag: str | None) -> Response:
    if etag:
        response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.update(("HX-Request", "HX-Target", "Cookie"))
    return response
