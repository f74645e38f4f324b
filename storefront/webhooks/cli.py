"""``flask webhooks reconcile`` and ``flask webhooks dlq list|show|retry|discard``."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from storefront.audit.services import record
from storefront.core.errors import DomainError
from storefront.extensions import db
from storefront.web.pagination import PageRequest
from storefront.webhooks import dlq
from storefront.webhooks.serializers import event_detail
from storefront.webhooks.services import reconcile

CLI_ACTOR = "cli"


@click.group("webhooks")
def webhooks_cli() -> None:
    """Incoming ECS webhooks: the inbox, the reconciler and the dead-letter queue."""


@webhooks_cli.command("reconcile")
@with_appcontext
def reconcile_command() -> None:
    """Re-enqueue inbox rows left behind by a lost job or a killed worker."""
    result = reconcile()
    click.echo(f"{result.lost} lost attempt(s) taken back, {result.requeued} event(s) re-enqueued")


@webhooks_cli.command("status")
@with_appcontext
def status_command() -> None:
    """How many inbox rows are in each status."""
    for status, count in dlq.status_counts().items():
        click.echo(f"{status:<11} {count}")


@webhooks_cli.group("dlq")
def dlq_cli() -> None:
    """The dead-letter queue: events that failed every attempt."""


@dlq_cli.command("list")
@click.option("--status", default="dead", show_default=True,
              type=click.Choice(["dead", "failed", "discarded", "all"]))
@click.option("--type", "event_type", default="", help="Only this event type.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@with_appcontext
def list_command(status: str, event_type: str, limit: int) -> None:
    """List DLQ events, newest first."""
    page = dlq.list_events(dlq.DlqFilters(status=status, event_type=event_type), PageRequest(1, limit))
    if not page.events:
        click.echo("The dead-letter queue is empty.")
        return
    click.echo(f"{'id':>7}  {'type':<26} {'status':<9} {'tries':>5}  {'received (UTC)':<19}  last error")
    for row in page.events:
        error = (row.last_error or "").splitlines()[0][:60] if row.last_error else ""
        click.echo(f"{row.id:>7}  {row.event_type[:26]:<26} {row.status:<9} {row.attempts:>5}  "
                   f"{row.received_at:%Y-%m-%d %H:%M:%S}  {error}")
    if page.total > len(page.events):
        click.echo(f"… {page.total - len(page.events)} more (use --limit)")


@dlq_cli.command("show")
@click.argument("task_id", type=int)
@click.option("--full", is_flag=True, help="Print the payload unredacted (it holds customer data).")
@with_appcontext
def show_command(task_id: int, full: bool) -> None:
    """Print one event as JSON (payload redacted unless --full)."""
    try:
        row = dlq.get_event(task_id)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    if full:
        record(CLI_ACTOR, "dlq.view_payload", target_type=dlq.TARGET_TYPE, target_id=task_id,
               details={"event_id": row.event_id})
        db.session.commit()
    click.echo(json.dumps(event_detail(row, full=full), indent=2, ensure_ascii=False))


def _reason_required(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    if not value or not value.strip():
        raise click.BadParameter("give a reason (it is recorded in the audit log)")
    return value.strip()


@dlq_cli.command("retry")
@click.argument("task_id", type=int)
@click.option("--reason", required=True, callback=_reason_required, help="Why (recorded in the audit log).")
@with_appcontext
def retry_command(task_id: int, reason: str) -> None:
    """Replay a dead (or discarded) event with fresh attempts."""
    try:
        row = dlq.retry_event(task_id, actor=CLI_ACTOR, reason=reason)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"event #{row.id} ({row.event_type}) re-enqueued; status now {row.status}")


@dlq_cli.command("discard")
@click.argument("task_id", type=int)
@click.option("--reason", required=True, callback=_reason_required, help="Why (recorded in the audit log).")
@with_appcontext
def discard_command(task_id: int, reason: str) -> None:
    """Discard a poison event (dead, or failed and still retrying) for good."""
    try:
        row = dlq.discard_event(task_id, actor=CLI_ACTOR, reason=reason)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"event #{row.id} ({row.event_type}) discarded")
