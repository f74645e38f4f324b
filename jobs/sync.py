"""Catalog sync jobs (queue "sync")."""

from __future__ import annotations

from jobs.runtime import job
from storefront.sync.runner import execute_run
from storefront.sync.services import claim_pending_incremental, reconcile_lost_runs


@job
def run_sync(run_id: int) -> str:
    """Execute a queued sync run; returns its final status."""
    return execute_run(run_id).status


@job
def run_pending_incremental() -> str:
    """Run the coalesced incremental sync if one is still wanted and no sync is running."""
    run, reason = claim_pending_incremental()
    return execute_run(run.id).status if run is not None else reason


@job
def reconcile_sync_runs() -> int:
    """Free the sync slot held by a queued run whose job vanished (scheduled every 30 s)."""
    return reconcile_lost_runs()


@job
def retire_past_events() -> int:
    """Take dated events that have started off the listings (scheduled every 5 minutes)."""
    from storefront.catalog.events import retire_past_events as retire

    return retire()
