"""Each shop's data, chosen once per connection from the shop in context.

* **SQLite**: one database file per shop — the default shop keeps ``DATABASE_URL``, shop ``x`` is
  ``instance/shops/x.db``. :class:`ShopSession` binds every ORM, Core and raw statement of the
  session to the file of the shop in context.
* **PostgreSQL**: one schema per shop on one connection pool — the default shop keeps ``public``,
  shop ``x`` is ``shop_x``. On every checkout the connection's ``search_path`` is set to the
  shop's schema alone (only when it changes: the value is remembered per connection), so ORM
  queries, Core, ``COPY`` and raw SQL all see that shop's tables and nothing else. Without a shop
  context on a many-shop deployment the path names a schema that does not exist: fail closed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Engine, create_engine, event

from storefront.shops.context import DEFAULT_SHOP, NoShopContext, current_shop_code

NO_SHOP_SCHEMA = "shop_context_missing"
_engines_lock = threading.Lock()


def schema_for(code: str) -> str:
    """The PostgreSQL schema of a shop's data."""
    return "public" if code == DEFAULT_SHOP else "shop_" + code.replace("-", "_")


def sqlite_path_for(app: Flask, code: str) -> Path:
    return Path(app.instance_path) / "shops" / f"{code}.db"


def engine_for(app: Flask, base: Engine, code: str) -> Engine:
    """The engine the shop's statements go to: ``base`` itself except for other shops on SQLite."""
    if code == DEFAULT_SHOP or base.dialect.name != "sqlite":
        return base
    engines: dict[str, Engine] = app.extensions.setdefault("shop_engines", {})
    engine = engines.get(code)
    if engine is None:
        with _engines_lock:
            engine = engines.get(code)
            if engine is None:
                path = sqlite_path_for(app, code)
                path.parent.mkdir(parents=True, exist_ok=True)
                engine = engines[code] = create_engine(f"sqlite:///{path}", **_engine_options(app))
    return engine


def _engine_options(app: Flask) -> dict[str, Any]:
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.pop("poolclass", None)
    return options


def current_engine() -> Engine:
    """The engine of the shop in context (migrations and the few direct engine users)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return engine_for(app, app.extensions["sqlalchemy"].engine, current_shop_code())


class ShopSession(FlaskSession):
    """Flask-SQLAlchemy's session, bound to the shop in context (raises NoShopContext without one
    on a many-shop deployment)."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        if bind is not None:
            return bind
        base = super().get_bind(mapper=mapper, clause=clause, **kwargs)
        return engine_for(current_app._get_current_object(), base, current_shop_code())  # type: ignore[attr-defined]


def _schema_in_context(app: Flask) -> str:
    try:
        return schema_for(current_shop_code())
    except NoShopContext:
        return NO_SHOP_SCHEMA


def install_search_path(app: Flask, engine: Engine) -> None:
    """PostgreSQL: pin each checked-out connection's search_path to the shop in context."""
    if engine.dialect.name != "postgresql" or app.extensions.get("shop_search_path_installed"):
        return
    app.extensions["shop_search_path_installed"] = True

    @event.listens_for(engine, "checkout")
    def _pin(dbapi_connection: Any, record: Any, _proxy: Any) -> None:  # noqa: ANN401
        schema = _schema_in_context(app)
        if record.info.get("search_path") == schema:
            return
        # Outside any transaction (autocommit for this one statement): a SET inside a transaction
        # that rolls back would be undone, and a COMMIT after it would cost a second round trip.
        dbapi_connection.autocommit = True
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f'SET search_path TO "{schema}"')
        finally:
            dbapi_connection.autocommit = False
        record.info["search_path"] = schema


def init_app(app: Flask) -> None:
    with app.app_context():
        install_search_path(app, app.extensions["sqlalchemy"].engine)


__all__ = ["NoShopContext", "ShopSession", "current_engine", "engine_for", "init_app", "schema_for"]
