"""Webhook jobs (queue "webhooks")."""

from __future__ import annotations

from jobs.runtime import job
from storefront.webhooks.services import process, reconcile


@job
def process_event(row_id: int) -> str:
    """One processing attempt for inbox row ``row_id``; raises when the handler failed (retried)."""
    return process(row_id)


@job
def reconcile_webhooks() -> str:
    """Re-enqueue inbox rows a lost job or a killed worker left behind (scheduled every minute)."""
    result = reconcile()
    return f"{result.lost} lost, {result.requeued} re-enqueued"
