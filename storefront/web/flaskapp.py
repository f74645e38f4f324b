"""The Flask class the storefront runs on: Flask with two per-request costs paid once.

* ``ensure_sync`` is asked about every view and every before/after/teardown function on every
  request (about twenty times per page here), and each time inspects the function to see whether
  it is a coroutine. The answer never changes for a function, so it is remembered.
* The session interface built a new itsdangerous serializer (and signer) for every request that
  opens or saves a session; it is now built once per secret key and its fallbacks.

Behaviour is Flask's own in both cases; only the repeated work is gone.

The session cookie is also bound to its shop (many shops on one deployment): another shop's
cookie has another name and another signing salt, so it is neither sent as this shop's nor
accepted if renamed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from storefront.shops.context import DEFAULT_SHOP, current_shop_code
from storefront.shops.settings import ShopConfig
from storefront.web import assets


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer | None] = {}

    @property  # type: ignore[override]
    def salt(self) -> str:
        code = current_shop_code()
        return "cookie-session" if code == DEFAULT_SHOP else f"cookie-session:{code}"

    def get_cookie_name(self, app: Flask) -> str:
        name = super().get_cookie_name(app)
        code = current_shop_code()
        return name if code == DEFAULT_SHOP else f"{name}_{code.replace('-', '_')}"

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()), self.salt)
        try:
            return self._serializers[key]
        except KeyError:
            serializer = self._serializers[key] = super().get_signing_serializer(app)
            return serializer


class StorefrontFlask(Flask):
    config_class = ShopConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session_interface = SessionInterface()  # one per app: apps may have different keys
        self._sync_functions: dict[Callable[..., Any], Callable[..., Any]] = {}

    def send_static_file(self, filename: str) -> Response:
        """Static files with fingerprint-aware caching and gzip (see :mod:`storefront.web.assets`)."""
        return assets.serve(self, filename)

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._sync_functions[func]
        except KeyError:
            sync = self._sync_functions[func] = super().ensure_sync(func)
            return sync
        except TypeError:  # an unhashable callable: ask Flask every time
            return super().ensure_sync(func)
