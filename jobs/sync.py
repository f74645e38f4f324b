"""Catalog sync jobs (queue "sync")."""

from __future__ import annotations

from jobs.runtime import job
from storefront.sync.runner import execute_run, run_pending_incrementals
from storefront.sync.services import reconcile_lost_runs


@job
def run_sync(run_id: int) -> str:
    """Execute a queued sync run; returns its final status."""
    return execute_run(run_id).status


@job
def run_pending_incremental() -> str:
    """Run the coalesced incremental sync while one is still wanted and no other sync is running."""
    return run_pending_incrementals()


@job
def reconcile_sync_runs() -> int:
    """Free the sync slot held by a queued run whose job vanished (scheduled every 30 s)."""
    return reconcile_lost_runs()


@job
def retire_past_events() -> int:
    """Take dated events that have started off the listings (scheduled every 5 minutes)."""
    from storefront.catalog.events import retire_past_events as retire

    return retire()
