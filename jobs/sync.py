"""Catalog sync jobs (queue "sync")."""

from __future__ import annotations

from jobs.runtime import job


@job
def run_sync(run_id: int) -> str:
    """Execute a queued sync run; returns its final status."""
    from storefront.sync.runner import execute_run

    return execute_run(run_id).status


@job
def run_pending_incremental() -> str:
    """Run the coalesced incremental sync if one is still wanted and no sync is running."""
    from storefront.extensions import db
    from storefront.sync.runner import execute_run
    from storefront.sync.services import SyncAlreadyRunning, create_run, sync_state

    state = sync_state()
    if not state.incremental_requested:
        return "nothing pending"
    try:
        run = create_run("incremental", started_by="webhook")
    except SyncAlreadyRunning:
        return "deferred: a sync is running and will pick this up when it finishes"
    state.incremental_requested = False
    db.session.commit()
    return execute_run(run.id).status
