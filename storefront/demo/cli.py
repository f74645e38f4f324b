"""`flask demo` — one command from a fresh clone to a running shop."""

from __future__ import annotations

from itertools import chain
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from storefront.config import SETTINGS
from storefront.shops.context import DEFAULT_SHOP, reset_shop, set_shop


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int,
              help="Port of the shop (env FLASK_DEMO_PORT); the sandbox takes the next one.")
@click.option("--serve/--no-serve", default=True, help="Run the web server after setting up.")
@with_appcontext
def demo_cli(host: str, port: int, serve: bool) -> None:
    """Migrate, start the ECS sandbox with the demo catalog, sync it and serve the shop."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    shop_token = set_shop(DEFAULT_SHOP)  # the command's edge: the demo also hosts a second shop
    try:
        _demo(app, host, port, serve)
    finally:
        reset_shop(shop_token)


def _demo(app: Flask, host: str, port: int, serve: bool) -> None:
    derive_demo_urls(app.config, port)
    click.echo("• database: upgrading schema")
    upgrade(directory=app.extensions["migrate"].directory)
    sandbox = start_sandbox(app)
    click.echo(f"• ECS sandbox: {sandbox.base_url} (demo catalog, state in instance/)")
    from storefront.demo.channels import (
        ensure_demo_channels,
        ensure_demo_shopify,
        start_discogs_sandbox,
        start_shopify_sandbox,
    )
    from storefront.demo.setup import prepare_demo
    from storefront.demo.shops import ensure_second_shop

    discogs, shopify = start_discogs_sandbox(app), start_shopify_sandbox(app)
    click.echo(f"• Discogs Marketplace sandbox: {discogs.base_url}/ (buy a copy there; the shop polls for it)")
    click.echo(f"• Shopify sandbox: {shopify.base_url} (POST /_sandbox/buy; orders/create comes to the shop)")
    try:
        for line in chain(prepare_demo(app), ensure_demo_channels(discogs.base_url, background=serve),
                          ensure_demo_shopify(shopify.base_url, background=serve), ensure_second_shop(app, sandbox)):
            click.echo(f"• {line}")
        if serve:
            click.echo(f"\n  The shop is open at http://{host}:{port}/  (Ctrl+C to stop)\n")
            # Not app.run(): Flask ignores that call inside a `flask` CLI command (FLASK_RUN_FROM_CLI).
            run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        _finish_background_jobs(app)  # before the sandboxes go: a channel sync may still be talking to them
        shopify.shutdown()
        discogs.shutdown()
        sandbox.shutdown()


def _finish_background_jobs(app: Flask, timeout: float = 60.0) -> None:
    """Stop the timer and let the in-process jobs (the channels' first syncs) finish, at most ``timeout``."""
    periodic = app.extensions.get("periodic_runner")
    if periodic is not None:
        periodic.stop()
    runner = app.extensions.get("jobs_runner")
    if runner is None:
        return
    try:
        runner.wait(timeout=timeout)
    except TimeoutError:
        click.echo("• background jobs are still running; stopping anyway")


def derive_demo_urls(cfg: dict[str, Any], port: int) -> None:
    """Point every URL setting still at its default at ``port`` (shop) and ``port + 1`` (sandbox).

    So ``make run PORT=5100`` is one variable: the shop's public URL, the webhook URL the
    sandbox signs and calls, and the sandbox's own port and base URL follow it. A setting
    given explicitly is left alone.
    """
    shop = f"http://127.0.0.1:{port}"
    derived = {
        "PUBLIC_BASE_URL": shop,
        "ECS_WEBHOOK_NOTIFICATION_URL": f"{shop}/webhooks/square",
        "SANDBOX_PORT": port + 1,
        "ECS_BASE_URL": f"http://127.0.0.1:{port + 1}",
    }
    for name, value in derived.items():
        if cfg[name] == SETTINGS[name][0]:
            cfg[name] = value
    if cfg["CHANNEL_DISCOGS_RATE_WINDOW"] == SETTINGS["CHANNEL_DISCOGS_RATE_WINDOW"][0]:
        cfg["CHANNEL_DISCOGS_RATE_WINDOW"] = 1.0  # the demo's Discogs sandbox runs 60 times fast
    if cfg["TAX_PERCENT"] == SETTINGS["TAX_PERCENT"][0]:  # the demo shop is in New York: sales tax on top
        cfg["TAX_PERCENT"], cfg["TAX_NAME"] = "8.875", "NY sales tax"


def start_sandbox(app: Flask):  # noqa: ANN201 - the sandbox server type lives in its package
    """Start the bundled sandbox on SANDBOX_PORT, delivering webhooks to this shop."""
    from storefront.ecs.sandbox import create_sandbox_app, serve_in_thread

    cfg = app.config
    sandbox_app = create_sandbox_app(
        access_token=cfg["ECS_ACCESS_TOKEN"],
        signature_key=cfg["ECS_WEBHOOK_SIGNATURE_KEYS"][0],
        webhook_url=cfg["ECS_WEBHOOK_NOTIFICATION_URL"],
        state_path=Path(app.instance_path) / "ecs-sandbox.json",
        demo_items=cfg["SANDBOX_ITEMS"],
        catalog_shape="seller",  # the demo shop's catalog, as a real record shop keeps it in Square
    )
    return serve_in_thread(sandbox_app, host="127.0.0.1", port=cfg["SANDBOX_PORT"])
