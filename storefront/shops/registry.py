"""The platform registry: which shops exist, their domains and own settings, read from the
platform store and kept in memory for ``SHOP_REGISTRY_TTL_SECONDS`` (a shop created or disabled in
another process shows within that time; one changed in this process at once).

No platform store (a fresh install) is one shop, "default", on the main database — the resolver
and the routing then do nothing at all.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, inspect, select
from sqlalchemy.orm import Session

from storefront.channels.vault import seal, unseal
from storefront.shops.context import DEFAULT_SHOP
from storefront.shops.models import PlatformBase, Shop, ShopDomain
from storefront.shops.settings import OVERRIDABLE

PLATFORM_SCHEMA = "platform"
# The settings a shop may set for itself (the rest stay deployment-wide); the secret ones are sealed.
SECRET_SETTINGS = ("ECS_ACCESS_TOKEN", "ECS_WEBHOOK_SIGNATURE_KEYS", "DISCOGS_TOKEN")
PER_SHOP_SETTINGS = tuple(sorted(OVERRIDABLE - set(SECRET_SETTINGS)))


@dataclass(frozen=True)
class ShopInfo:
    code: str
    name: str
    status: str
    settings: dict[str, Any] = field(default_factory=dict)
    domains: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class Snapshot:
    shops: dict[str, ShopInfo]
    hosts: dict[str, str]
    expires: float


_lock = threading.Lock()


# --- the store -----------------------------------------------------------------------------------
def platform_url(app: Flask) -> str:
    configured = str(app.config.get("PLATFORM_DATABASE_URL") or "")
    if configured:
        return configured
    main = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if main.startswith("sqlite"):
        return "sqlite:///" + str(Path(app.instance_path) / "platform.db")
    return main


def platform_engine(app: Flask | None = None, *, create: bool = False) -> Engine | None:
    """The platform store's engine; None while there is none (and ``create`` is off)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    engine = app.extensions.get("platform_engine")
    if engine is not None:
        return engine
    url = platform_url(app)
    if url.startswith("sqlite:///") and not create and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(schema_translate_map={None: PLATFORM_SCHEMA})
        if not create and not inspect(engine).has_table("shops", schema=PLATFORM_SCHEMA):
            engine.dispose()
            return None
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {PLATFORM_SCHEMA}")
    PlatformBase.metadata.create_all(engine)
    app.extensions["platform_engine"] = engine
    return engine


def platform_session(app: Flask | None = None) -> Session:
    engine = platform_engine(app, create=True)
    assert engine is not None
    return Session(engine, expire_on_commit=False)


# --- the snapshot -------------------------------------------------------------------------------
def snapshot(app: Flask | None = None) -> Snapshot:
    """Every shop and domain (cached); empty without a platform store."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    now = time.monotonic()
    found: Snapshot | None = app.extensions.get("shop_registry")
    if found is not None and found.expires > now:
        return found
    with _lock:
        found = app.extensions.get("shop_registry")
        if found is not None and found.expires > now:
            return found
        try:
            found = _load(app, now + float(app.config.get("SHOP_REGISTRY_TTL_SECONDS") or 0))
        except Exception:
            stale = app.extensions.get("shop_registry")
            if stale is None:
                raise
            app.logger.warning("the shop registry could not be read: using the last copy", exc_info=True)
            return stale  # type: ignore[no-any-return]
        app.extensions["shop_registry"] = found
        app.extensions["shops_fail_closed"] = any(code != DEFAULT_SHOP for code in found.shops)
        return found


def _load(app: Flask, expires: float) -> Snapshot:
    engine = platform_engine(app)
    if engine is None:
        return Snapshot({}, {}, expires)
    with Session(engine) as session:
        domains: dict[str, list[str]] = {}
        for row in session.scalars(select(ShopDomain)):
            domains.setdefault(row.shop_code, []).append(row.host)
        shops = {s.code: ShopInfo(s.code, s.name, s.status, _settings(app, s), tuple(domains.get(s.code, ())))
                 for s in session.scalars(select(Shop))}
    hosts = {host: code for code, names in domains.items() for host in names}
    return Snapshot(shops, hosts, expires)


def _settings(app: Flask, shop: Shop) -> dict[str, Any]:
    values = {"SHOP_NAME": shop.name, **{k: v for k, v in (shop.settings or {}).items() if k in PER_SHOP_SETTINGS}}
    if shop.secrets:
        with app.app_context():
            values.update(unseal_secrets(shop.secrets))
    return values


def forget(app: Flask | None = None) -> None:
    (app or current_app).extensions.pop("shop_registry", None)  # type: ignore[union-attr]


def get_shop(code: str, app: Flask | None = None) -> ShopInfo | None:
    return snapshot(app).shops.get(code)


def shop_for_host(host: str, app: Flask | None = None) -> str | None:
    return snapshot(app).hosts.get(host)


def active_shop_codes(app: Flask | None = None) -> list[str]:
    """The default shop and every active shop: what the scheduler and migrations go through."""
    shops = snapshot(app).shops
    return [DEFAULT_SHOP, *sorted(code for code, info in shops.items() if info.active and code != DEFAULT_SHOP)]


def seal_secrets(values: dict[str, Any]) -> str:
    return seal({k: v for k, v in values.items() if k in SECRET_SETTINGS and v not in (None, "", [])})


def unseal_secrets(sealed: str | None) -> dict[str, Any]:
    return {k: v for k, v in unseal(sealed).items() if k in SECRET_SETTINGS} if sealed else {}


def settings_for(code: str, app: Flask) -> dict[str, Any]:
    info = snapshot(app).shops.get(code)
    return info.settings if info else {}
