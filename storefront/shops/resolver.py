"""Which shop a request is for, decided once before Flask sees it (a WSGI middleware).

In order: a custom domain (``shop_domains``) → a subdomain of ``PLATFORM_DOMAIN`` → the path prefix
``/vendors/<code>/`` (moved into ``SCRIPT_NAME``, so every URL the shop builds keeps it) → for the
Shop API (``/api/v1/shop/…``) the ``Referer``'s ``/vendors/<code>/`` path → ``/webhooks/square/<code>``
→ the default shop. A named shop that is unknown or disabled is a 404 — never another shop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from storefront.shops import registry
from storefront.shops.context import DEFAULT_SHOP, reset_shop, set_shop, valid_code

VENDOR_PATH = re.compile(r"^/vendors/([^/]+)(/.*)?$")
SQUARE_WEBHOOK = re.compile(r"^/webhooks/square/([^/]+)$")
SHOP_API = "/api/v1/shop"
StartResponse = Callable[..., Any]


class UnknownShop(Exception):
    pass


class ShopResolver:
    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            code = resolve(self.app, environ)
        except UnknownShop:
            return _not_found(environ, start_response)
        except Exception:  # the registry cannot be read (its database is down): say so, guess nothing
            self.app.logger.exception("the shop registry is unavailable")
            return _unavailable(start_response)
        if code is None:
            return self.wsgi_app(environ, start_response)
        token = set_shop(code)
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            reset_shop(token)


def _known(snapshot: registry.Snapshot, code: str) -> str:
    if code == DEFAULT_SHOP:
        return code
    info = snapshot.shops.get(code) if valid_code(code) else None
    if info is None or not info.active:
        raise UnknownShop(code)
    return code


def resolve(app: Flask, environ: dict[str, Any]) -> str | None:
    """The shop code for the request (None: a one-shop deployment, nothing to decide); raises
    UnknownShop for a named shop that does not exist or is disabled. May move a path prefix into
    SCRIPT_NAME."""
    snapshot = registry.snapshot(app)
    path = environ.get("PATH_INFO") or "/"
    if not snapshot.shops and not path.startswith(("/vendors/", "/webhooks/square/")):
        return None
    host = str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "").split(":")[0].lower().rstrip(".")
    if host in snapshot.hosts:
        return _known(snapshot, snapshot.hosts[host])
    domain = str(app.config.get("PLATFORM_DOMAIN") or "").lower()
    if domain and host.endswith("." + domain):
        return _known(snapshot, host[: -len(domain) - 1])
    found = VENDOR_PATH.match(path)
    if found:
        code = _known(snapshot, found.group(1))
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + f"/vendors/{code}"
        environ["PATH_INFO"] = found.group(2) or "/"
        return code
    hook = SQUARE_WEBHOOK.match(path)
    if hook:
        environ["PATH_INFO"] = "/webhooks/square"
        return _known(snapshot, hook.group(1))
    if path == SHOP_API or path.startswith(SHOP_API + "/"):
        referred = VENDOR_PATH.match(urlsplit(str(environ.get("HTTP_REFERER") or "")).path or "")
        if referred:
            return _known(snapshot, referred.group(1))
    return DEFAULT_SHOP


def _not_found(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO") or "/"
    prefixed = VENDOR_PATH.match(path)
    path = (prefixed.group(2) or "/") if prefixed else path
    if path.startswith("/api/"):
        body = json.dumps({"error_code": "SHOP_NOT_FOUND", "message": "No such shop.", "status_code": 404,
                           "details": {}} if path.startswith(SHOP_API) else
                          {"error": {"code": "shop_not_found", "message": "No such shop.", "details": []}}).encode()
        content_type = "application/json"
    else:
        body = b"<!doctype html><title>Not found</title><h1>Not found</h1><p>No shop lives at this address.</p>"
        content_type = "text/html; charset=utf-8"
    start_response("404 NOT FOUND", [("Content-Type", content_type), ("Content-Length", str(len(body))),
                                     ("Cache-Control", "no-store")])
    return [body]


def _unavailable(start_response: StartResponse) -> Iterable[bytes]:
    body = b"The shop is briefly unavailable. Please try again in a minute."
    start_response("503 SERVICE UNAVAILABLE", [("Content-Type", "text/plain; charset=utf-8"),
                                               ("Content-Length", str(len(body))), ("Retry-After", "30")])
    return [body]
