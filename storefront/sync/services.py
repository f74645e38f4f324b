"""Sync use cases: start a run (one at a time), request a coalesced incremental sync, report status."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storefront.audit.services import record
from storefront.core.errors import Conflict, ValidationError
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.sync.models import SyncRun, SyncState
from storefront.tasks import enqueue, job_is_pending

SYNC_QUEUE = "sync"
INCREMENTAL_JOB_ID = "catalog-sync-incremental"
# A queued run gets this long for its job to appear before a missing job counts as lost.
LOST_JOB_GRACE = timedelta(seconds=20)


class SyncAlreadyRunning(Conflict):
    code = "sync_already_running"

    def __init__(self, running: SyncRun) -> None:
        label = "dry-run " if running.dry_run else ""
        super().__init__(
            f"A {label}{running.kind} sync (run #{running.id}, started by {running.started_by}) is already "
            f"{running.status}; wait for it to finish.")
        self.running = running


def sync_state() -> SyncState:
    """The singleton state row, created on first use."""
    state = db.session.get(SyncState, 1)
    if state is None:
        state = SyncState(id=1)
        db.session.add(state)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            state = db.session.get(SyncState, 1)
    return state


def active_run() -> SyncRun | None:
    return db.session.scalar(select(SyncRun).where(SyncRun.active == 1))


def _expire_stale(run: SyncRun) -> bool:
    """Declare a run whose worker stopped reporting dead, freeing the slot."""
    stale_after = timedelta(minutes=current_app.config["SYNC_STALE_MINUTES"])
    last_sign = run.heartbeat_at or run.started_at or run.created_at
    if last_sign and utcnow() - last_sign > stale_after:
        run.status, run.active, run.finished_at = "failed", None, utcnow()
        run.message = f"No progress for {stale_after}; the worker running it stopped."
        db.session.commit()
        return True
    return False


def run_job_id(run_id: int) -> str:
    """The deterministic job id of a queued sync run."""
    return f"sync-run-{run_id}"


def _expire_lost(run: SyncRun, now: datetime | None = None) -> bool:
    """Fail a run still queued whose job is gone (a Redis flush, a lost enqueue), freeing the slot."""
    now = now or utcnow()
    if run.status != "queued" or now - (run.created_at or now) < LOST_JOB_GRACE:
        return False
    if job_is_pending(run_job_id(run.id)):
        return False
    run.status, run.active, run.finished_at = "failed", None, now
    run.message = "Its background job was lost before it started; start the sync again."
    db.session.commit()
    return True


def reconcile_lost_runs(now: datetime | None = None) -> int:
    """Free the sync slot held by a queued run whose job vanished (scheduled every 30 s); returns 0 or 1."""
    run = active_run()
    return int(run is not None and _expire_lost(run, now))


def create_run(kind: str, *, dry_run: bool = False, started_by: str = "system") -> SyncRun:
    """Claim the single sync slot for a new run, or raise :class:`SyncAlreadyRunning`."""
    if kind not in {"full", "incremental", "remap"}:
        raise ValidationError.for_field("kind", "kind must be full, incremental or remap")
    for _attempt in range(2):
        run = SyncRun(kind=kind, dry_run=dry_run, started_by=started_by[:255], status="queued", active=1)
        db.session.add(run)
        try:
            db.session.commit()
            return run
        except IntegrityError:
            db.session.rollback()
            running = active_run()
            if running is None:
                continue  # it finished between our insert and the lookup
            if not (_expire_lost(running) or _expire_stale(running)):
                raise SyncAlreadyRunning(running) from None
    running = active_run()
    raise SyncAlreadyRunning(running) if running else Conflict("Could not start a sync; try again.")


def start_sync(kind: str = "full", *, dry_run: bool = False, started_by: str = "system",
               actor: object | None = None) -> SyncRun:
    """Create a run and hand it to the sync queue (a background job); staff starts are audited."""

    run = create_run(kind, dry_run=dry_run, started_by=started_by)
    if actor is not None:
        record(actor, "sync.start", target_type="sync_run", target_id=run.id,
               details={"kind": kind, "dry_run": dry_run})
        db.session.commit()
    enqueue("jobs.sync.run_sync", run.id, queue=SYNC_QUEUE, job_id=run_job_id(run.id), retries=0,
            job_timeout=6 * 3600)
    return run


def request_incremental_sync() -> None:
    """Note that the ECS catalog changed; bursts coalesce into one pending incremental sync."""
    state = sync_state()
    if not state.incremental_requested:
        state.incremental_requested = True
        db.session.commit()
    enqueue("jobs.sync.run_pending_incremental", queue=SYNC_QUEUE, job_id=INCREMENTAL_JOB_ID, retries=3)


def claim_pending_incremental() -> tuple[SyncRun | None, str]:
    """Turn a pending incremental-sync request into a queued run, or say why there is none.

    Returns ``(run, "")`` when the caller should execute ``run``; ``(None, reason)`` when nothing
    is wanted, or a running sync will pick the request up when it finishes.
    """
    state = sync_state()
    if not state.incremental_requested:
        return None, "nothing pending"
    try:
        run = create_run("incremental", started_by="webhook")
    except SyncAlreadyRunning:
        return None, "deferred: a sync is running and will pick this up when it finishes"
    state.incremental_requested = False
    db.session.commit()
    return run, ""


def get_run(run_id: int) -> SyncRun | None:
    return db.session.get(SyncRun, run_id)


def recent_runs(limit: int = 20) -> list[SyncRun]:
    return list(db.session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)))
