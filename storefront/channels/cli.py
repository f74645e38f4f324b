"""``flask channels``: list connectors, sync one (with a progress bar), poll for sales, push
catalog changes, and re-encrypt credentials after a key rotation."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from storefront.channels import vault
from storefront.channels.adapters import ChannelError
from storefront.channels.automation import push_catalog_changes
from storefront.channels.connectors import get_connector, list_connectors
from storefront.channels.models import ChannelConnector
from storefront.channels.sales import poll_all, summary
from storefront.channels.syncing import start_sync
from storefront.extensions import db


@click.group("channels")
def channels_cli() -> None:
    """Sales channels (Discogs Marketplace, Shopify, Google product feed)."""


@channels_cli.command("list")
@with_appcontext
def list_command() -> None:
    """Every connector with its status and listed copies."""
    rows = list_connectors()
    if not rows:
        click.echo("no channel connectors")
    for c in rows:
        counts = summary(c)
        click.echo(f"{c.code:20} {c.channel_type:12} {c.status:9} listed={counts.get('listed', 0)} "
                   f"sold={counts.get('sold', 0)} last_sync={c.last_sync_at or 'never'}")


@channels_cli.command("sync")
@click.argument("code")
@click.option("--incremental", is_flag=True, help="Only copies that changed since the last sync.")
@click.option("--queue", "use_queue", is_flag=True, help="Hand the job to the queue instead of running here.")
@with_appcontext
def sync_command(code: str, incremental: bool, use_queue: bool) -> None:
    """Sync one connector: every copy in stock listed once, the rest withdrawn."""
    kind = "incremental" if incremental else "full"
    try:
        connector = get_connector(code)
        if use_queue:
            job = start_sync(connector, kind, started_by="cli")
            click.echo(f"queued {kind} sync {job.job_id}")
            return
        with click.progressbar(length=1, label=f"{kind} sync of {code}", show_pos=True) as bar:
            shown = 0

            def progress(done: int, total: int) -> None:
                nonlocal shown
                bar.length = max(total, done, 1)
                bar.update(done - shown)
                shown = done

            job = start_sync(connector, kind, started_by="cli", run_now=True, progress=progress)
    except ChannelError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    db.session.refresh(job)
    click.echo(f"{job.status}: {job.message}")
    if job.status != "completed":
        raise SystemExit(1)


@channels_cli.command("poll")
@with_appcontext
def poll_command() -> None:
    """Poll every enabled connector for sales now (the scheduler does this every 3 minutes)."""
    for code, new in poll_all().items():
        click.echo(f"{code}: {'failed' if new < 0 else f'{new} new sale(s)'}")


@channels_cli.command("push")
@with_appcontext
def push_command() -> None:
    """Start an incremental sync on each connector behind the catalog."""
    for code, outcome in push_catalog_changes().items():
        click.echo(f"{code}: {outcome}")


@channels_cli.command("rotate-keys")
@with_appcontext
def rotate_keys_command() -> None:
    """Re-encrypt every connector's credentials with the first CHANNEL_CREDENTIAL_KEYS key."""
    connectors = db.session.scalars(select(ChannelConnector)).all()
    with click.progressbar(connectors, label="re-encrypting credentials") as bar:
        for connector in bar:
            connector.credentials = vault.rotate(connector.credentials)
    db.session.commit()
    click.echo(f"re-encrypted {len(connectors)} connector(s)")
