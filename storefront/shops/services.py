"""Platform administration: create a shop (its schema or file, migrated), disable or enable it,
attach domains, and migrate every shop — one at a time, each failure recorded and reported
without stopping the others, each shop's revision kept so a rerun only does what is left."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from storefront.core.errors import Conflict, FieldError, NotFound, ValidationError
from storefront.core.passwords import hash_password
from storefront.shops import registry
from storefront.shops.context import DEFAULT_SHOP, use_shop, valid_code
from storefront.shops.databases import current_engine, ensure_role, schema_for
from storefront.shops.models import PlatformAdmin, Shop, ShopDomain

HOST_PATTERN = r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
RESERVED = frozenset({"default", "www", "api", "admin", "platform", "static", "vendors"})


@dataclass(frozen=True)
class MigrationResult:
    code: str
    ok: bool
    revision: str
    error: str = ""


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]


def create_shop(code: str, name: str, settings: dict[str, Any] | None = None,
                secrets: dict[str, Any] | None = None, *, migrate: bool = True) -> Shop:
    """A new shop: its registry row, its schema (PostgreSQL) or file (SQLite), migrated to head."""
    code = (code or "").strip().lower()
    errors = []
    if not valid_code(code) or code in RESERVED:
        errors.append(FieldError("code", "Use 1–32 lower-case letters, digits and inner hyphens "
                                         "(not a reserved word)."))
    errors += _name_errors(name) + _settings_errors(settings or {}, secrets or {})
    if errors:
        raise ValidationError("Check the shop's details.", details=errors)
    with registry.platform_session() as session:
        if session.get(Shop, code) is not None:
            raise Conflict(f"A shop with code {code!r} already exists.")
        shop = Shop(code=code, name=name.strip(), status="active", settings=dict(settings or {}),
                    secrets=registry.seal_secrets(dict(secrets or {})))
        session.add(shop)
        session.commit()
    registry.forget()
    if migrate:
        _record(MigrationResult(code, True, migrate_shop(code)))
    return shop


def _name_errors(name: str) -> list[FieldError]:
    if not (name or "").strip() or len(name) > 120:
        return [FieldError("name", "Give the shop a name of up to 120 characters.")]
    return []


def _settings_errors(settings: dict[str, Any], secrets: dict[str, Any],
                     unset: tuple[str, ...] = ()) -> list[FieldError]:
    unknown = (set(settings) - set(registry.PER_SHOP_SETTINGS) | set(secrets) - set(registry.SECRET_SETTINGS)
               | set(unset) - set(registry.PER_SHOP_SETTINGS) - set(registry.SECRET_SETTINGS))
    errors = [FieldError("settings", f"Not a per-shop setting: {', '.join(sorted(unknown))}.")] if unknown else []
    accent = str(settings.get("SHOP_ACCENT_COLOUR") or "")
    if accent and not re.fullmatch(r"#[0-9a-fA-F]{6}", accent):
        errors.append(FieldError("accent", "Give the accent colour as #rrggbb."))
    return errors


def update_shop(code: str, *, name: str | None = None, settings: dict[str, Any] | None = None,
                secrets: dict[str, Any] | None = None, unset: tuple[str, ...] = ()) -> list[str]:
    """Change a shop's name and its own settings (secrets re-sealed; ``unset``: back to the
    deployment's value). Returns the names of what changed — never a value. Nothing changes on an error."""
    if code == DEFAULT_SHOP:
        raise ValidationError.for_field("code", "The default shop's settings are the deployment's "
                                                "(environment or instance/config.py).")
    errors = (_name_errors(name) if name is not None else []) + _settings_errors(settings or {}, secrets or {}, unset)
    if errors:
        raise ValidationError("Check the shop's details.", details=errors)
    with registry.platform_session() as session:
        shop = session.get(Shop, code)
        if shop is None:
            raise NotFound(f"No shop {code!r}.")
        changed = ["SHOP_NAME"] if name is not None and name.strip() != shop.name else []
        shop.name = name.strip() if name is not None else shop.name
        plain, held = dict(shop.settings or {}), registry.unseal_secrets(shop.secrets)
        for values, new in ((plain, settings or {}), (held, secrets or {})):
            changed += [key for key, value in new.items() if values.get(key) != value]
            values.update(new)
            changed += [key for key in unset if values.pop(key, None) is not None]
        shop.settings, shop.secrets = plain, registry.seal_secrets(held)
        session.commit()
    registry.forget()
    return sorted(set(changed))


def set_status(code: str, status: str) -> None:
    if code == DEFAULT_SHOP:
        raise ValidationError.for_field("code", "The default shop cannot be disabled.")
    with registry.platform_session() as session:
        shop = session.get(Shop, code)
        if shop is None:
            raise NotFound(f"No shop {code!r}.")
        shop.status = status
        session.commit()
    registry.forget()


def add_domain(code: str, host: str) -> None:
    host = (host or "").strip().lower().rstrip(".")
    if not re.fullmatch(HOST_PATTERN, host):
        raise ValidationError.for_field("host", "Not a host name (e.g. records.example.com).")
    with registry.platform_session() as session:
        if session.get(Shop, code) is None:
            raise NotFound(f"No shop {code!r}.")
        taken = session.get(ShopDomain, host)
        if taken is not None:
            raise Conflict(f"{host} already serves shop {taken.shop_code!r}.")
        session.add(ShopDomain(host=host, shop_code=code))
        session.commit()
    registry.forget()


def list_shops() -> list[Shop]:
    engine = registry.platform_engine()
    if engine is None:
        return []
    with registry.platform_session() as session:
        return list(session.scalars(select(Shop).order_by(Shop.code)))


def migrate_shop(code: str) -> str:
    """Upgrade one shop's schema to head; returns its revision (raises on failure)."""
    from alembic import command
    from sqlalchemy import text

    app = _app()
    db = app.extensions["sqlalchemy"]
    with use_shop(code):
        db.session.remove()
        engine = current_engine()
        if engine.dialect.name == "postgresql" and code != DEFAULT_SHOP:
            with use_shop(DEFAULT_SHOP), engine.begin() as conn:  # as the deployment's login
                conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema_for(code)}"')
                ensure_role(app, conn, code)  # its role owns the schema: the migration runs as it
        # Alembic itself (not Flask-Migrate's wrapper, which exits the process on an error).
        migrate = app.extensions["migrate"]
        command.upgrade(migrate.migrate.get_config(migrate.directory), "head")
        with engine.connect() as conn:
            revision = str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar() or "")
        db.session.remove()
    return revision


def migrate_all(codes: list[str] | None = None,
                progress: Callable[[MigrationResult], None] | None = None) -> Iterator[MigrationResult]:
    """Migrate each shop in turn; a failing shop is recorded (``migrate_error``) and the rest go on."""
    for code in codes or registry.active_shop_codes():
        try:
            result = MigrationResult(code, True, migrate_shop(code))
        except Exception as exc:  # noqa: BLE001 - one shop's failure is reported, never fatal to the rest
            current_app.logger.exception("migrating shop %s failed", code)
            result = MigrationResult(code, False, "", f"{type(exc).__name__}: {exc}"[:500])
        _record(result)
        if progress:
            progress(result)
        yield result


def _record(result: MigrationResult) -> None:
    if result.code == DEFAULT_SHOP or registry.platform_engine() is None:
        return
    with registry.platform_session() as session:
        shop = session.get(Shop, result.code)
        if shop is not None:
            shop.schema_revision, shop.migrate_error = (result.revision or shop.schema_revision), result.error
            session.commit()


def ensure_admin(email: str) -> str:
    """Create (or reset) a platform admin; returns the new password (shown once)."""
    email = email.strip().lower()
    password = secrets.token_urlsafe(15)
    with registry.platform_session() as db:
        admin = db.scalar(select(PlatformAdmin).where(PlatformAdmin.email == email))
        if admin is None:
            db.add(PlatformAdmin(email=email, password_hash=hash_password(password)))
        else:
            admin.password_hash = hash_password(password)
        db.commit()
    return password
