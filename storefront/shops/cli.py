"""``flask shops``: create, list, change (``set``), disable/enable shops, attach domains, and migrate
every shop's schema (one command, a progress bar, resumable: a rerun only does what is left; one
shop's failure is reported and stops nothing else). Any other command runs for one shop with
``STOREFRONT_SHOP=<code> flask …``."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from storefront.core.errors import DomainError
from storefront.shops import registry
from storefront.shops.services import add_domain, create_shop, list_shops, migrate_all, set_status, update_shop


@click.group("shops")
def shops_cli() -> None:
    """Shops on this deployment (many shops, one code base)."""


def _fail(exc: DomainError) -> None:
    details = "; ".join(f"{d.field}: {d.message}" for d in exc.details)
    raise click.ClickException(f"{exc.message}{' ' + details if details else ''}")


@shops_cli.command("create")
@click.argument("code")
@click.option("--name", required=True, help="The shop's name (header, emails, page titles).")
@click.option("--domain", "domains", multiple=True, help="A custom domain serving the shop (repeatable).")
@click.option("--settings", "settings_json", default="{}", help="Per-shop settings as JSON, e.g. "
              '\'{"SHOP_ACCENT_COLOUR": "#1d6fa5"}\'; secrets (ECS_ACCESS_TOKEN …) are stored encrypted.')
@with_appcontext
def create_command(code: str, name: str, domains: tuple[str, ...], settings_json: str) -> None:
    """Create a shop: its schema (PostgreSQL) or database file (SQLite), migrated to the latest revision."""
    values, secrets = _settings_option(settings_json)
    try:
        create_shop(code, name, values, secrets)
        for host in domains:
            add_domain(code.lower(), host)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"created shop {code.lower()} — served at /vendors/{code.lower()}/"
               + "".join(f" and https://{h}/" for h in domains))


def _settings_option(settings_json: str) -> tuple[dict, dict]:
    """--settings: the plain settings and the secret ones (sealed when stored), apart."""
    try:
        values = json.loads(settings_json)
        if not isinstance(values, dict):
            raise ValueError
    except ValueError:
        raise click.ClickException("--settings must be a JSON object") from None
    return values, {k: values.pop(k) for k in list(values) if k in registry.SECRET_SETTINGS}


@shops_cli.command("set")
@click.argument("code")
@click.option("--name", default=None, help="A new name.")
@click.option("--settings", "settings_json", default="{}", help="Settings to change, as JSON (as for create).")
@click.option("--unset", multiple=True, help="A setting to drop (the deployment's value applies again; repeatable).")
@with_appcontext
def set_command(code: str, name: str | None, settings_json: str, unset: tuple[str, ...]) -> None:
    """Change a shop's name or settings — e.g. rotate its ECS token or webhook keys. Prints what
    changed, never a value; other processes pick it up within SHOP_REGISTRY_TTL_SECONDS."""
    values, secrets = _settings_option(settings_json)
    try:
        changed = update_shop(code, name=name, settings=values, secrets=secrets, unset=unset)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{code}: {'changed ' + ', '.join(changed) if changed else 'nothing changed'}")


@shops_cli.command("list")
@with_appcontext
def list_command() -> None:
    """Every shop: code, status, schema revision, domains."""
    click.echo(f"{'default':20} active    (main database)")
    for shop in list_shops():
        info = registry.get_shop(shop.code)
        hosts = ", ".join(info.domains) if info else ""
        problem = f"  LAST MIGRATION FAILED: {shop.migrate_error}" if shop.migrate_error else ""
        click.echo(f"{shop.code:20} {shop.status:9} {shop.schema_revision or '-':14} {shop.name}"
                   f"{'  [' + hosts + ']' if hosts else ''}{problem}")


def _set_status(code: str, status: str) -> None:
    try:
        set_status(code, status)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{code} is now {status}")


@shops_cli.command("disable")
@click.argument("code")
@with_appcontext
def disable_command(code: str) -> None:
    """Stop serving a shop (its pages and API answer 404; its data is kept)."""
    _set_status(code, "disabled")


@shops_cli.command("enable")
@click.argument("code")
@with_appcontext
def enable_command(code: str) -> None:
    """Serve a disabled shop again."""
    _set_status(code, "active")


@shops_cli.command("add-domain")
@click.argument("code")
@click.argument("host")
@with_appcontext
def add_domain_command(code: str, host: str) -> None:
    """Serve a shop at a custom domain (point its DNS at this deployment)."""
    try:
        add_domain(code, host)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{host} now serves {code}")


@shops_cli.command("migrate")
@click.option("--shop", "codes", multiple=True, help="Only these shops (repeatable); default: every active shop.")
@with_appcontext
def migrate_command(codes: tuple[str, ...]) -> None:
    """Upgrade every shop's schema to the latest revision, one shop at a time."""
    targets = list(codes) or registry.active_shop_codes()
    failed = []
    with click.progressbar(length=len(targets), label="migrating shops", show_pos=True,
                           item_show_func=lambda r: r.code if r else "") as bar:
        for result in migrate_all(targets):
            if not result.ok:
                failed.append(result)
            bar.update(1, result)
    click.echo(f"{len(targets) - len(failed)} of {len(targets)} shops at the latest revision")
    for result in failed:
        click.echo(f"FAILED {result.code}: {result.error}", err=True)
    if failed:
        raise SystemExit(1)


@shops_cli.command("admin")
@click.argument("email")
@with_appcontext
def admin_command(email: str) -> None:
    """Create a platform administrator (or give one a new password), shown once; they sign in at /platform."""
    from storefront.shops.services import ensure_admin

    password = ensure_admin(email)
    click.echo(f"platform admin {email.strip().lower()} / {password}  (sign in at /platform/login)")
