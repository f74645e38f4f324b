"""The storefront application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import load_dotenv
from flask import Flask, abort
from werkzeug.middleware.proxy_fix import ProxyFix

from storefront import extensions  # not `db` by name: it would shadow the storefront.db package
from storefront.config import load_config
from storefront.db import sqlite_tuning
from storefront.shops import setup as shops
from storefront.tasks.periodic import register_periodic
from storefront.web import input_guard, requestid, security, uploads
from storefront.web.flaskapp import StorefrontFlask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MAX_URL_ID = 2**31 - 1


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config → extensions → blueprints → errors → CLI."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    instance_path = ((config or {}).get("INSTANCE_PATH")
                     or os.environ.get("STOREFRONT_INSTANCE_PATH")
                     or PROJECT_ROOT / "instance")
    app = StorefrontFlask(
        __name__,
        instance_path=str(Path(instance_path).resolve()),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    register_config(app, config)
    register_extensions(app)
    register_request_hooks(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_cli(app)
    register_periodic(app)
    return app


def register_config(app: Flask, config: Mapping[str, Any] | None) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    load_config(app, config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    requestid.configure_logging(app)
    shops.wrap_wsgi(app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    from storefront import models  # noqa: F401  (every domain's models, for Alembic)

    sqlite_tuning.install()
    extensions.db.init_app(app)
    shops.init_app(app)
    from storefront.catalog.search import include_name, include_object

    # The full-text index (FTS5 table / GIN index) is built by the migration, not declared by a
    # model: keep autogenerate from proposing to drop it.
    extensions.migrate.init_app(app, extensions.db, directory=str(MIGRATIONS_DIR), render_as_batch=True,
                     include_name=include_name, include_object=include_object)
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    extensions.login_manager.init_app(app)
    from storefront.web import identity

    identity.init_app(app)


def register_request_hooks(app: Flask) -> None:
    requestid.init_app(app)

    @app.url_value_preprocessor
    def ids_in_range(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        """An <int:…> id beyond the 32-bit id range is a 404, not a database overflow (500)."""
        if values and any(type(v) is int and v > MAX_URL_ID for v in values.values()):
            abort(404)

    security.init_app(app)
    uploads.init_app(app)  # before the NUL guard reads any form
    input_guard.init_app(app)
    from storefront.web import templating

    templating.init_app(app)


def register_blueprints(app: Flask) -> None:
    from storefront.accounts import address_views as _address_views  # noqa: F401  (routes on accounts_bp)
    from storefront.accounts.views import bp as accounts_bp
    from storefront.audit.staff_views import bp as audit_bp
    from storefront.cart import views as cart_views
    from storefront.catalog.media_views import bp as media_bp
    from storefront.catalog.views import bp as catalog_bp
    from storefront.coupons.staff_views import bp as staff_coupons_bp
    from storefront.coupons.views import bp as coupons_bp
    from storefront.enrichment.staff_views import bp as staff_items_bp
    from storefront.inquiries.staff_views import bp as staff_inquiries_bp
    from storefront.inquiries.views import bp as inquiries_bp
    from storefront.lookups.staff_views import bp as staff_lookups_bp
    from storefront.notifications.views import bp as notifications_bp
    from storefront.orders.staff_views import bp as staff_orders_bp
    from storefront.orders.views import bp as orders_bp
    from storefront.pages.views import bp as pages_bp
    from storefront.photos.staff_views import bp as staff_photos_bp
    from storefront.photos.views import bp as photos_bp
    from storefront.shipping.staff_views import bp as staff_shipping_bp
    from storefront.staff.staff_views import bp as staff_bp
    from storefront.staff.staff_views import members_bp as staff_members_bp
    from storefront.sync.mapping_views import bp as staff_mapping_bp
    from storefront.sync.staff_views import bp as staff_sync_bp
    from storefront.webhooks.staff_views import staff_bp as staff_webhooks_bp
    from storefront.webhooks.views import bp as webhooks_bp
    from storefront.wishlist.views import bp as wishlist_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(photos_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(staff_members_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(wishlist_bp)
    register_wantlist(app)
    app.register_blueprint(inquiries_bp)
    app.register_blueprint(staff_inquiries_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(staff_webhooks_bp)
    app.register_blueprint(cart_views.bp)
    cart_views.init_app(app)
    app.register_blueprint(coupons_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(staff_orders_bp)
    app.register_blueprint(staff_shipping_bp)
    app.register_blueprint(staff_sync_bp)
    app.register_blueprint(staff_mapping_bp)
    app.register_blueprint(staff_items_bp)
    app.register_blueprint(staff_photos_bp)
    app.register_blueprint(staff_lookups_bp)
    app.register_blueprint(staff_coupons_bp)
    register_content(app)
    register_channels(app)
    register_apis(app)
    register_webhook_handlers()


def register_apis(app: Flask) -> None:
    """/api/v1 (the shop's own JSON API) and /api/v1/shop (the Shop API for headless front ends)."""
    from storefront.api import register_api
    from storefront.shopapi import register_shop_api

    register_api(app)
    register_shop_api(app)


def register_content(app: Flask) -> None:
    """Content pages: /pages/<slug>, the header/footer navigation and the staff editor."""
    from storefront.content import views as content_views
    from storefront.content.staff_views import bp as staff_content_bp

    content_views.init_app(app)
    app.register_blueprint(staff_content_bp)


def register_wantlist(app: Flask) -> None:
    """Wantlists: the shopper pages (follow, confirm, unsubscribe) and the staff demand page."""
    from storefront.wantlist.staff_views import bp as staff_wantlist_bp
    from storefront.wantlist.views import bp as wantlist_bp

    app.register_blueprint(wantlist_bp)
    app.register_blueprint(staff_wantlist_bp)


def register_channels(app: Flask) -> None:
    """Sales channels: the back office and the Google feed."""
    from storefront.channels.staff_views import bp as staff_channels_bp
    from storefront.channels.views import bp as channels_bp

    app.register_blueprint(channels_bp)
    app.register_blueprint(staff_channels_bp)


def register_webhook_handlers() -> None:
    """Each domain registers the ECS events it handles (and sales channels their sales and the
    catalog-change listener that pushes changes out)."""
    from storefront.catalog import webhooks as catalog_webhooks
    from storefront.channels import automation as channel_automation
    from storefront.channels import sales as channel_sales
    from storefront.orders import webhooks as order_webhooks
    from storefront.sync import webhooks as sync_webhooks

    for domain in (catalog_webhooks, sync_webhooks, order_webhooks, channel_sales):
        domain.register()
    channel_automation.init_app()


def register_error_handlers(app: Flask) -> None:
    from storefront.web.errorhandlers import register_error_handlers as register

    register(app)


def register_cli(app: Flask) -> None:
    from storefront.channels.cli import channels_cli
    from storefront.demo.cli import demo_cli
    from storefront.staff.cli import staff_cli
    from storefront.sync.cli import catalog_cli
    from storefront.system.cli import config_cli, jobs_cli
    from storefront.webhooks.cli import webhooks_cli

    for group in (demo_cli, jobs_cli, config_cli, catalog_cli, staff_cli):
        app.cli.add_command(group)
    app.cli.add_command(webhooks_cli)
    app.cli.add_command(channels_cli)
