"""Catalog sync jobs (queue "sync")."""

from __future__ import annotations

from jobs.runtime import job
from storefront.sync.runner import execute_run
from storefront.sync.services import claim_pending_incremental


@job
def run_sync(run_id: int) -> str:
    """Execute a queued sync run; returns its final status."""
    return execute_run(run_id).status


@job
def run_pending_incremental() -> str:
    """Run the coalesced incremental sync if one is still wanted and no sync is running."""
    run, reason = claim_pending_incremental()
    return execute_run(run.id).status if run is not None else reason
