"""`flask catalog sync` and `flask catalog status`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from storefront.catalog.models import Item
from storefront.extensions import db
from storefront.sync.models import SyncRun
from storefront.sync.runner import SyncRunner
from storefront.sync.services import SyncAlreadyRunning, create_run, recent_runs, start_sync


@click.group("catalog")
def catalog_cli() -> None:
    """Catalog sync with the ECS."""


@catalog_cli.command("sync")
@click.option("--full/--incremental", "full", default=True, show_default=True,
              help="Walk the whole catalog, or only what changed since the last sync.")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--queue", "use_queue", is_flag=True, help="Hand the run to the job queue instead of running here.")
@with_appcontext
def sync_command(full: bool, dry_run: bool, use_queue: bool) -> None:
    """Sync the local catalog with the ECS, with a progress bar."""
    kind = "full" if full else "incremental"
    try:
        if use_queue:
            run = start_sync(kind, dry_run=dry_run, started_by="cli")
            click.echo(f"queued {kind} sync run #{run.id}; follow it with `flask catalog status`")
            return
        run = create_run(kind, dry_run=dry_run, started_by="cli")
    except SyncAlreadyRunning as exc:
        raise click.ClickException(exc.message) from None

    estimate = db.session.scalar(select(func.count()).select_from(Item).where(Item.is_deleted.is_(False))) or 0
    label = f"{'dry-run ' if dry_run else ''}{kind} sync #{run.id}"
    with click.progressbar(length=max(estimate, 1), label=label, show_pos=True, show_eta=False,
                           item_show_func=lambda r: r) as bar:
        shown = 0

        def progress(current: SyncRun) -> None:
            nonlocal shown
            if current.items_seen > bar.length:
                bar.length = current.items_seen
            bar.update(current.items_seen - shown, f"{current.failures_count} failed")
            shown = current.items_seen

        try:
            SyncRunner(run, progress=progress).execute()
        except Exception as exc:
            raise click.ClickException(f"sync #{run.id} failed: {exc}") from None
    click.echo(f"{run.status}: {run.message}")
    if run.status != "succeeded":
        raise SystemExit(1)


@catalog_cli.command("status")
@click.option("--limit", default=10, show_default=True)
@with_appcontext
def status_command(limit: int) -> None:
    """Show the running sync (if any) and recent runs."""
    runs = recent_runs(limit)
    if not runs:
        click.echo("no sync has run yet")
    for run in runs:
        flag = " (dry run)" if run.dry_run else ""
        elapsed = f"{run.elapsed_seconds:.1f}s" if run.elapsed_seconds is not None else "-"
        click.echo(f"#{run.id} {run.kind}{flag} {run.status} by {run.started_by} at {run.created_at:%Y-%m-%d %H:%M} "
                   f"— {run.items_seen} items, {run.failures_count} failures, {elapsed}")
        if run.message:
            click.echo(f"    {run.message}")
