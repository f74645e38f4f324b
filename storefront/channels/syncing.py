"""Channel sync jobs: put on each channel exactly the copies in stock, one listing per copy.

``start_sync`` records a job row (one active per connector: CHN-090) and queues it;
``run_job`` works through the offers — create what is new, update what changed (after checking
the channel side for edits made there: a conflict instead of an overwrite), withdraw what is
gone — committing progress every batch so the back office can show it live. A product's failure
is recorded with its CHN code and the job goes on; ``retry`` runs the failed products again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from storefront.channels import mappings
from storefront.channels.adapters import ChannelAdapter, ChannelError, ListingRef, Offer
from storefront.channels.conflicts import chosen_values, detect_conflict, mark_resolved, open_conflict_for, pinned
from storefront.channels.models import ChannelConflict, ChannelConnector, ChannelListing, ChannelSyncJob
from storefront.channels.offers import current_offers, fingerprint
from storefront.channels.registry import adapter_for
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.tasks import enqueue

log = logging.getLogger("storefront.channels")
SYNC_TYPES = ("full", "incremental", "products")  # and "retry", made by retry()
QUEUE = "sync"
STALE_AFTER = timedelta(minutes=15)
MAX_FAILURES_KEPT = 500
Progress = Callable[[int, int], None]  # (processed, total): the CLI's progress bar


def job_rq_id(job: ChannelSyncJob) -> str:
    return f"channel-sync-{job.job_id}"


def _expire_stale(connector: ChannelConnector) -> None:
    """Free the slot held by a job whose worker stopped reporting (a crash, a lost job)."""
    held = db.session.scalar(select(ChannelSyncJob).where(ChannelSyncJob.active == connector.id))
    if held is None:
        return
    last = held.heartbeat_at or held.started_at or held.created_at
    if last and utcnow() - last > STALE_AFTER:
        held.status, held.active, held.finished_at = "failed", None, utcnow()
        held.message = f"No progress for {STALE_AFTER}; the worker running it stopped."
        db.session.commit()


def start_sync(connector: ChannelConnector, sync_type: str, *, product_keys: list[str] | None = None,
               retry_of: int | None = None, started_by: str = "system", run_now: bool = False,
               progress: Progress | None = None) -> ChannelSyncJob:
    """Record and queue a sync job; CHN-090 when the connector already syncs, CHN-091 when disabled."""
    if not connector.is_enabled:
        raise ChannelError("CHN-091")
    _expire_stale(connector)
    job = ChannelSyncJob(job_id=str(uuid.uuid4()), connector_id=connector.id, active=connector.id,
                         sync_type=sync_type, product_keys=product_keys, retry_of=retry_of,
                         started_by=started_by[:255])
    job.estimated_products = len(product_keys) if product_keys is not None else _estimate(connector)
    db.session.add(job)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        running = db.session.scalar(select(ChannelSyncJob).where(ChannelSyncJob.active == connector.id))
        raise ChannelError("CHN-090", f"Connector {connector.code} is already syncing"
                           + (f" (job {running.job_id})." if running else "."),
                           details={"job_id": running.job_id if running else None}) from None
    if run_now:
        run_job(job.id, progress=progress)
    else:
        enqueue("jobs.channels.run_sync_job", job.id, queue=QUEUE, job_id=job_rq_id(job), retries=0,
                job_timeout=3600)
    return job


def _estimate(connector: ChannelConnector) -> int:
    """How many offers a full sync will look at (the offers now plus listings that may go)."""
    offers = sum(1 for _ in current_offers(mappings.effective(connector.mappings)))
    listed = db.session.scalar(select(db.func.count()).select_from(ChannelListing).where(
        ChannelListing.connector_id == connector.id, ChannelListing.status == "listed")) or 0
    return max(offers, int(listed))


def retry(job: ChannelSyncJob, *, started_by: str = "system") -> ChannelSyncJob:
    """A new job over the failed products of ``job`` only; CHN-061 when none failed."""
    keys = sorted({f["product"] for f in job.failures or [] if f.get("product")})
    if not keys:
        raise ChannelError("CHN-061")
    connector = db.session.get(ChannelConnector, job.connector_id)
    assert connector is not None
    return start_sync(connector, "retry", product_keys=keys, retry_of=job.id, started_by=started_by)


def queue_position(job: ChannelSyncJob) -> int:
    """0 when running or done; else how many queued channel jobs were created before it, plus one."""
    if job.status != "queued":
        return 0
    return 1 + int(db.session.scalar(select(db.func.count()).select_from(ChannelSyncJob).where(
        ChannelSyncJob.status == "queued", ChannelSyncJob.id < job.id)) or 0)


# --- running ----------------------------------------------------------------------------------------

@dataclass
class _Tally:
    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    conflicts: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)


def run_job(job_pk: int, *, progress: Progress | None = None) -> ChannelSyncJob:
    """Execute a queued job to the end; returns it (status completed | completed_with_errors | failed)."""
    job = db.session.get(ChannelSyncJob, job_pk)
    if job is None or job.status != "queued":
        return job  # type: ignore[return-value]
    connector = db.session.get(ChannelConnector, job.connector_id)
    assert connector is not None
    job.status, job.started_at, job.heartbeat_at = "running", utcnow(), utcnow()
    db.session.commit()
    tally = _Tally()
    try:
        adapter = adapter_for(connector)
        _work(job, connector, adapter, tally, progress)
        job.status = "completed_with_errors" if tally.failures else "completed"
        job.message = f"{tally.processed} products: {tally.created} created, {tally.updated} updated, " \
                      f"{tally.withdrawn} withdrawn, {len(tally.failures)} failed."
    except ChannelError as exc:  # the connector itself cannot work (disabled, no credentials…)
        db.session.rollback()
        job = db.session.get(ChannelSyncJob, job_pk)  # type: ignore[assignment]
        job.status, job.message = "failed", f"{exc.code}: {exc.message}"
    except Exception:
        db.session.rollback()
        log.exception("channel sync job %s failed", job_pk)
        job = db.session.get(ChannelSyncJob, job_pk)  # type: ignore[assignment]
        job.status, job.message = "failed", "The job stopped on an unexpected error; see the worker's log."
    _save_tally(job, tally)
    job.active, job.finished_at = None, utcnow()
    if job.status != "failed":
        db.session.execute(update(ChannelConnector).where(ChannelConnector.id == connector.id)
                           .values(last_sync_at=utcnow()))
    db.session.commit()
    return job


def _save_tally(job: ChannelSyncJob, tally: _Tally) -> None:
    job.processed, job.created_count, job.updated_count = tally.processed, tally.created, tally.updated
    job.unchanged_count, job.withdrawn_count = tally.unchanged, tally.withdrawn
    job.failed_count, job.conflicts_count = len(tally.failures), tally.conflicts
    job.failures = tally.failures[:MAX_FAILURES_KEPT]
    job.heartbeat_at = utcnow()


def offers_for(adapter: ChannelAdapter, offers: Iterable[Offer]) -> list[Offer]:
    """The offers the channel takes at all (Discogs lists music releases only, not the shop's tote bags)."""
    accepts = getattr(adapter, "accepts", None)
    return [offer for offer in offers if accepts is None or accepts(offer)]


def _plan(job: ChannelSyncJob, connector: ChannelConnector,
          adapter: ChannelAdapter) -> tuple[list[Offer], list[ChannelListing]]:
    """The offers to publish and the listings to withdraw for this job."""
    mapping = mappings.effective(connector.mappings)
    offers = offers_for(adapter, current_offers(mapping))
    listings = {row.offer_key: row for row in db.session.scalars(
        select(ChannelListing).where(ChannelListing.connector_id == connector.id))}
    wanted = {offer.key for offer in offers}
    keys = set(job.product_keys) if job.product_keys is not None else None
    if keys is not None:
        offers = [offer for offer in offers if offer.key in keys]
    elif job.sync_type == "incremental":
        offers = [offer for offer in offers if _needs_publish(listings.get(offer.key), offer)]
    gone = [row for key, row in listings.items() if key not in wanted and row.status == "listed"
            and (keys is None or key in keys)]
    return offers, gone


def _needs_publish(row: ChannelListing | None, offer: Offer) -> bool:
    return row is None or row.status != "listed" or row.fingerprint != fingerprint(offer)


def _work(job: ChannelSyncJob, connector: ChannelConnector, adapter: ChannelAdapter, tally: _Tally,
          progress: Progress | None) -> None:
    offers, gone = _plan(job, connector, adapter)
    job.estimated_products = len(offers) + len(gone)
    batch = max(1, int(current_app.config["CHANNEL_SYNC_BATCH"]))
    for position, offer in enumerate(offers, 1):
        publish_offer(connector, adapter, offer, tally, full=job.sync_type == "full")
        if progress is not None:
            progress(tally.processed, job.estimated_products)
        if position % batch == 0:
            _save_tally(job, tally)
            db.session.commit()
    for row in gone:
        withdraw_listing(adapter, row, tally)
    _save_tally(job, tally)
    db.session.commit()


def _ref(row: ChannelListing) -> ListingRef | None:
    if not row.listing_id or row.status in ("withdrawn", "sold", "failed", "pending"):
        return None
    return ListingRef(listing_id=row.listing_id, status=row.status, extra=dict(row.extra or {}))


def publish_offer(connector: ChannelConnector, adapter: ChannelAdapter, offer: Offer, tally: _Tally, *,
                  full: bool = False) -> None:
    """Create or update one offer's listing; a failure is tallied with its CHN code, never raised."""
    tally.processed += 1
    row = _listing_row(connector, offer)
    offer = pinned(offer, row)
    print_ = fingerprint(offer)
    ref = _ref(row)
    if ref is not None and (row.fingerprint == print_ and not full or open_conflict_for(row) is not None):
        tally.unchanged += 1  # nothing new, or held until staff resolve the conflict
        return
    try:
        if ref is not None:
            state = detect_conflict(connector, adapter, row, offer)
            if state in ("conflict", "sold"):
                tally.conflicts += state == "conflict"
                tally.unchanged += state == "sold"
                return
            ref = None if state == "gone" else ref
        new_ref = adapter.publish(offer, ref)
    except ChannelError as exc:
        _fail(row, offer.key, exc, tally)
        return
    adopted = bool(new_ref.extra.get("adopted"))  # the channel already had it (a create whose answer was lost)
    tally.created += ref is None and not adopted
    tally.updated += ref is not None or adopted
    _record_published(row, new_ref, offer, print_)


def _listing_row(connector: ChannelConnector, offer: Offer) -> ChannelListing:
    row = db.session.scalar(select(ChannelListing).where(ChannelListing.connector_id == connector.id,
                                                          ChannelListing.offer_key == offer.key))
    if row is None:
        row = ChannelListing(connector_id=connector.id, offer_key=offer.key, item_id=offer.item_id,
                             variation_id=offer.variation_id, extra={}, published={})
        db.session.add(row)
        db.session.flush()
    return row


def _record_published(row: ChannelListing, ref: ListingRef, offer: Offer, print_: str) -> None:
    pins = (row.extra or {}).get("pinned")
    row.listing_id, row.status = ref.listing_id, "listed"
    row.extra = {**{k: v for k, v in ref.extra.items() if k != "adopted"}, **({"pinned": pins} if pins else {})}
    row.price_amount, row.currency, row.fingerprint = offer.price_amount, offer.currency, print_
    row.published = {"price_amount": offer.price_amount, "currency": offer.currency, "title": offer.title}
    row.item_id, row.variation_id = offer.item_id, offer.variation_id
    row.last_error_code, row.last_error = None, ""
    db.session.commit()


def _fail(row: ChannelListing, key: str, exc: ChannelError, tally: _Tally) -> None:
    row.last_error_code, row.last_error = exc.code, exc.message[:255]
    if row.status == "pending":
        row.status = "failed"
    tally.failures.append({"product": key, "error_code": exc.code, "message": exc.message[:255]})
    db.session.commit()


def withdraw_listing(adapter: ChannelAdapter, row: ChannelListing, tally: _Tally | None = None, *,
                     status: str = "withdrawn") -> bool:
    """Take a listing down (its copy sold or left stock); False (tallied) when the channel failed."""
    ref = _ref(row)
    try:
        if ref is not None:
            adapter.withdraw(ref)
    except ChannelError as exc:
        if tally is None:
            raise
        _fail(row, row.offer_key, exc, tally)
        return False
    row.status, row.last_error_code, row.last_error = status, None, ""
    if tally is not None:
        tally.processed += 1
        tally.withdrawn += 1
    db.session.commit()
    return True


def sync_variations(connector: ChannelConnector, variation_ids: Iterable[int]) -> _Tally:
    """Bring one connector in line for some variations now (after a sale): publish or withdraw."""
    tally = _Tally()
    adapter = adapter_for(connector)
    ids = set(variation_ids)
    offers = offers_for(adapter, current_offers(mappings.effective(connector.mappings), variation_ids=ids))
    wanted = {offer.key for offer in offers}
    for offer in offers:
        publish_offer(connector, adapter, offer, tally)
    for row in db.session.scalars(select(ChannelListing).where(
            ChannelListing.connector_id == connector.id, ChannelListing.variation_id.in_(ids),
            ChannelListing.status == "listed")).all():
        if row.offer_key not in wanted:
            withdraw_listing(adapter, row, tally)
    return tally


def latest_jobs(connector: ChannelConnector, limit: int = 20) -> list[ChannelSyncJob]:
    return list(db.session.scalars(select(ChannelSyncJob).where(ChannelSyncJob.connector_id == connector.id)
                                   .order_by(ChannelSyncJob.id.desc()).limit(limit)))


def get_job(connector: ChannelConnector, job_id: str) -> ChannelSyncJob:
    job = db.session.scalar(select(ChannelSyncJob).where(ChannelSyncJob.job_id == job_id,
                                                         ChannelSyncJob.connector_id == connector.id)) \
        if isinstance(job_id, str) else None
    if job is None:
        raise ChannelError("CHN-060", f"No sync job {job_id!r} on connector {connector.code}.")
    return job


def resolve_conflict(connector: ChannelConnector, conflict: ChannelConflict, resolution: str,
                     overrides: dict[str, Any], *, actor_label: str) -> ChannelConflict:
    """Close a conflict as staff chose and publish the listing with the chosen values now."""
    if conflict.status != "open":
        raise ChannelError("CHN-041")
    row = db.session.get(ChannelListing, conflict.listing_pk)
    assert row is not None
    chosen = chosen_values(conflict, resolution, overrides)  # ValueError: the caller's 422
    mark_resolved(conflict, row, resolution, chosen, actor_label)
    db.session.commit()
    mapping = mappings.effective(connector.mappings)
    offer = next((o for o in current_offers(mapping, variation_ids=[row.variation_id] if row.variation_id else [])
                  if o.key == row.offer_key), None)
    if offer is not None:
        tally = _Tally()
        publish_offer(connector, adapter_for(connector), offer, tally)
        if tally.failures:
            raise ChannelError(tally.failures[0]["error_code"], tally.failures[0]["message"])
    return conflict
