"""The shop a request, job or command runs for, set once at its edge.

The edges: the WSGI resolver (:mod:`storefront.shops.resolver`) for requests, the job seam
(:func:`storefront.tasks.queue.enqueue` carries the code, :func:`jobs.runtime.job` restores it) for
jobs, ``STOREFRONT_SHOP`` / ``flask shops …`` for commands. Everything below reads
:func:`current_shop_code` — the database routing, the session cookie, tokens, caches.

Zero configuration is one shop ("default", the main database) and needs no context. Once the
platform registry holds other shops, data access with no shop context fails closed
(:class:`NoShopContext`) instead of quietly meaning the default shop.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, current_app, has_app_context

DEFAULT_SHOP = "default"
CODE_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
_current: ContextVar[str | None] = ContextVar("storefront_shop", default=None)
_caches_lock = threading.Lock()


class NoShopContext(RuntimeError):
    """Data access outside any shop's context on a deployment with several shops."""


def valid_code(code: str) -> bool:
    return bool(CODE_PATTERN.fullmatch(code or ""))


def explicit_shop() -> str | None:
    """The shop set by an edge, or None."""
    return _current.get()


def current_shop_code() -> str:
    """The code of the shop in context; the default shop when none is set on a one-shop deployment."""
    code = _current.get()
    if code is not None:
        return code
    if has_app_context() and _fail_closed(current_app._get_current_object()):  # type: ignore[attr-defined]
        raise NoShopContext("No shop context: this deployment hosts several shops, so a request, job or "
                            "command must say which one it is for.")
    return DEFAULT_SHOP


def _fail_closed(app: Flask) -> bool:
    """True once the registry holds other shops (read lazily: building an app touches no database)."""
    if "shops_fail_closed" not in app.extensions:
        from storefront.shops import registry

        registry.snapshot(app)
    return bool(app.extensions.get("shops_fail_closed", False))


@contextmanager
def use_shop(code: str) -> Iterator[str]:
    """Run the block in ``code``'s context (an edge: a job, a command, a test)."""
    if not valid_code(code):
        raise ValueError(f"not a shop code: {code!r}")
    token = _current.set(code)
    try:
        yield code
    finally:
        _current.reset(token)


def set_shop(code: str | None) -> object:
    """Set the context (the WSGI resolver); returns the token :func:`reset_shop` takes."""
    return _current.set(code)


def reset_shop(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


MAX_CACHED_SHOPS = 64


def shop_extensions(app: Flask) -> dict[str, Any]:
    """Where this process keeps the shop in context's caches (catalog revision, listings, the listing
    index, the navigation …): ``app.extensions`` itself for the default shop, a dict per other shop
    — the least recently used of which are dropped beyond ``MAX_CACHED_SHOPS``, so memory stays
    bounded however many shops a process serves."""
    code = current_shop_code()
    if code == DEFAULT_SHOP:
        return app.extensions
    with _caches_lock:
        caches: OrderedDict[str, dict[str, Any]] = app.extensions.setdefault("shop_caches", OrderedDict())
        found = caches.get(code)
        if found is None:
            found = caches[code] = {}
            while len(caches) > MAX_CACHED_SHOPS:
                caches.popitem(last=False)
        else:
            caches.move_to_end(code)
        return found
