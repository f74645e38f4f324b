"""Each shop's data, chosen once per connection from the shop in context.

* **SQLite**: one database file per shop — the default shop keeps ``DATABASE_URL``, shop ``x`` is
  ``instance/shops/x.db``. :class:`ShopSession` binds every ORM, Core and raw statement of the
  session to the file of the shop in context.
* **PostgreSQL**: one schema per shop on one connection pool — the default shop keeps ``public``,
  shop ``x`` is ``shop_x``. On every checkout the connection's ``search_path`` is set to the
  shop's schema alone (only when it changes: the value is remembered per connection), so ORM
  queries, Core, ``COPY`` and raw SQL all see that shop's tables and nothing else. Without a shop
  context on a many-shop deployment the path names a schema that does not exist: fail closed.
  Each other shop also has a **database role** of its own (``sf_<database hash>_shop_x``, no
  login) that owns its tables (and alone may use its schema); the connection takes that role
  (``SET ROLE``) with the path, so even SQL that names another shop's schema outright
  (``SELECT … FROM shop_y.customers``) is refused by PostgreSQL. The default shop runs as the
  deployment's own login. A shop whose role does not exist yet (created before roles, not
  migrated since; or a login without CREATEROLE) runs on the path alone, with a warning.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Engine, create_engine, event

from storefront.shops.context import DEFAULT_SHOP, NoShopContext, current_shop_code

NO_SHOP_SCHEMA = "shop_context_missing"
ROLE_RECHECK_SECONDS = 30.0
_engines_lock = threading.Lock()
log = logging.getLogger(__name__)


def schema_for(code: str) -> str:
    """The PostgreSQL schema of a shop's data."""
    return "public" if code == DEFAULT_SHOP else "shop_" + code.replace("-", "_")


def role_for(database: str, code: str) -> str | None:
    """The PostgreSQL role of a shop's data (None for the default shop, which uses the login).
    Roles are cluster-wide, so the database's name is in it (hashed: names stay under 63 bytes)."""
    if code == DEFAULT_SHOP:
        return None
    return f"sf_{hashlib.sha256(database.encode()).hexdigest()[:8]}_{schema_for(code)}"


def role_prefix(database: str) -> str:
    """What every shop role of ``database`` starts with (to find them all, e.g. to drop them)."""
    return f"sf_{hashlib.sha256(database.encode()).hexdigest()[:8]}_shop_"


class KnownRoles:
    """Which shop roles exist, as this process last saw (a missing one is looked for again later)."""

    def __init__(self) -> None:
        self._present: set[str] = set()
        self._missing: dict[str, float] = {}

    def exists(self, dbapi_connection: Any, role: str) -> bool:  # noqa: ANN401
        if role in self._present:
            return True
        if time.monotonic() < self._missing.get(role, 0.0):
            return False
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            found = cursor.fetchone() is not None
        if found:
            self.mark(role)
        else:
            log.warning("shop role %s does not exist: the shop runs on its search_path alone until "
                        "`flask shops migrate` creates it", role)
            self._missing[role] = time.monotonic() + ROLE_RECHECK_SECONDS
        return found

    def mark(self, role: str) -> None:
        self._present.add(role)
        self._missing.pop(role, None)


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


def _in_context() -> tuple[str, str]:
    """The shop code and schema in context (no code: the fail-closed schema)."""
    try:
        code = current_shop_code()
    except NoShopContext:
        return "", NO_SHOP_SCHEMA
    return code, schema_for(code)


def install_search_path(app: Flask, engine: Engine) -> None:
    """PostgreSQL: pin each checked-out connection's search_path (and role) to the shop in context."""
    if engine.dialect.name != "postgresql" or app.extensions.get("shop_search_path_installed"):
        return
    app.extensions["shop_search_path_installed"] = True
    database = str(engine.url.database or "")
    roles = app.extensions["shop_roles"] = KnownRoles()

    @event.listens_for(engine, "checkout")
    def _pin(dbapi_connection: Any, record: Any, _proxy: Any) -> None:  # noqa: ANN401
        code, schema = _in_context()
        role = role_for(database, code) if code else None
        # Outside any transaction (autocommit for these statements): a SET inside a transaction
        # that rolls back would be undone, and a COMMIT after it would cost another round trip.
        dbapi_connection.autocommit = True
        try:
            role = role if role and roles.exists(dbapi_connection, role) else None
            if record.info.get("search_path") == (schema, role):
                return
            with dbapi_connection.cursor() as cursor:  # one round trip: no parameters, simple protocol
                cursor.execute(f'SET search_path TO "{schema}"; ' + (f'SET ROLE "{role}"' if role else "RESET ROLE"))
        finally:
            dbapi_connection.autocommit = False
        record.info["search_path"] = (schema, role)


def ensure_role(app: Flask, conn: Any, code: str) -> str | None:  # noqa: ANN401
    """Create the shop's role if missing, let it use and create in the shop's schema, and give it
    everything in it.

    ``conn`` must be the deployment's login (the default shop's context). Returns the role, or None
    where the login may not create roles (the shop then runs on its search_path alone)."""
    from sqlalchemy.exc import ProgrammingError

    role, schema = role_for(str(conn.engine.url.database or ""), code), schema_for(code)
    if role is None:
        return None
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
                                 f'THEN CREATE ROLE "{role}" NOLOGIN; END IF; END $$')
            conn.exec_driver_sql(f'GRANT "{role}" TO CURRENT_USER')
    except ProgrammingError:
        log.warning("cannot create role %s (the database login needs CREATEROLE): shop %s is isolated by its "
                    "search_path alone", role, code, exc_info=True)
        return None
    # The login keeps the schema (handing it over would need CREATE on the database for the role);
    # the role may use it and create in it, and owns every table in it.
    conn.exec_driver_sql(f'GRANT USAGE, CREATE ON SCHEMA "{schema}" TO "{role}"')
    for statement in conn.exec_driver_sql(_OWNERSHIP_SQL, {"schema": schema, "role": role}).scalars().all():
        conn.exec_driver_sql(statement)
    known: KnownRoles | None = app.extensions.get("shop_roles")
    if known is not None:
        known.mark(role)
    return role


def drop_shop_roles(engine: Engine, dropped_database: str | None = None) -> list[str]:
    """Drop every shop role of the engine's database, after its schemas are gone — or, with
    ``dropped_database``, of that database, already dropped (``engine`` connects elsewhere). Roles
    outlive databases, so tests, benchmarks and a deployment being taken down call this."""
    database = dropped_database or str(engine.url.database or "")
    with engine.connect() as conn:
        names = conn.exec_driver_sql("SELECT rolname FROM pg_roles WHERE starts_with(rolname, %(prefix)s::text)",
                                     {"prefix": role_prefix(database)}).scalars().all()
    for name in names:
        with engine.begin() as conn:
            if dropped_database is None:
                conn.exec_driver_sql(f'DROP OWNED BY "{name}"')
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')
    return list(names)


# Tables, views and free-standing sequences in the schema not yet owned by the role (a serial's
# sequence follows its table; indexes follow theirs).
_OWNERSHIP_SQL = """
SELECT format('ALTER %%s %%I.%%I OWNER TO %%I',
              CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                             ELSE 'TABLE' END, n.nspname, c.relname, %(role)s::text)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s::text AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND pg_get_userbyid(c.relowner) <> %(role)s::text
  AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
ORDER BY c.relkind <> 'S', c.relname
"""


def init_app(app: Flask) -> None:
    with app.app_context():
        install_search_path(app, app.extensions["sqlalchemy"].engine)


__all__ = ["NoShopContext", "ShopSession", "current_engine", "engine_for", "init_app", "schema_for"]
