"""The webhook inbox use cases: receive, process (claim → handle → finish), reconcile.

Staff DLQ actions (list, retry, discard) live in :mod:`storefront.webhooks.dlq`.

Processing is safe to run twice and in parallel: an attempt starts by *claiming* the row with
one conditional UPDATE (only received/failed rows, so two workers never run the same event at
once and a redelivered job for a processed row does nothing) and holds a lease token until it
writes the outcome.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from storefront.core.errors import DomainError
from storefront.db.timestamps import utcnow
from storefront.ecs.signature import verify
from storefront.extensions import db
from storefront.sync.mapping import parse_timestamp
from storefront.tasks import enqueue, job_is_pending
from storefront.webhooks import faults
from storefront.webhooks.handlers import PoisonEvent, dispatch
from storefront.webhooks.models import (
    CLAIMABLE,
    DEAD,
    FAILED,
    PROCESSING,
    RECEIVED,
    WebhookEvent,
)

log = logging.getLogger("storefront.webhooks")

SIGNATURE_HEADER = "x-square-hmacsha256-signature"
QUEUE = "webhooks"
JOB_TIMEOUT_SECONDS = 300  # well under WEBHOOK_STUCK_MINUTES, so a lease is never taken from a live job
MAX_ERROR_CHARS = 2000
RECONCILE_BATCH = 1000
_JOB_ID_SAFE = re.compile(r"[A-Za-z0-9_-]{1,100}")


class WebhookRejected(DomainError):
    """A delivery we refuse; nothing is written."""


class InvalidSignature(WebhookRejected):
    code = "invalid_signature"
    http_status = 401


class PayloadTooLarge(WebhookRejected):
    code = "payload_too_large"
    http_status = 413


class InvalidPayload(WebhookRejected):
    code = "invalid_payload"
    http_status = 400


@dataclass(frozen=True)
class Receipt:
    """The answer to one delivery: the inbox row and whether it was already there."""

    row_id: int | None
    event_id: str
    duplicate: bool


# --- receiving ----------------------------------------------------------------------------------

def receive(body: bytes, signature: str | None) -> Receipt:
    """Verify, store (unique event_id) and commit one delivery, then enqueue its processing.

    Raises PayloadTooLarge, InvalidSignature (checked before the body is parsed) or
    InvalidPayload; none of them writes anything.
    """
    app = _app()
    cfg = app.config
    if len(body) > cfg["WEBHOOK_MAX_BODY_BYTES"]:
        raise PayloadTooLarge(f"Webhook bodies are limited to {cfg['WEBHOOK_MAX_BODY_BYTES']} bytes.")
    if not verify(cfg["ECS_WEBHOOK_SIGNATURE_KEYS"], cfg["ECS_WEBHOOK_NOTIFICATION_URL"], body, signature):
        raise InvalidSignature("The webhook signature is missing or does not match.")
    return store(_parse(body))


def store(event: dict[str, Any]) -> Receipt:
    """Put one verified event in the inbox (unique ``event_id``: a replay is a duplicate) and queue
    its processing. Sales channels' events (a Discogs order found by the poll, a Shopify
    ``orders/create`` webhook) come in here too, so they get the same retries and DLQ."""
    app = _app()
    row = WebhookEvent(**event, enqueued_at=utcnow())
    db.session.add(row)
    try:
        db.session.flush()
        row_id = row.id
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = db.session.scalar(select(WebhookEvent.id).where(WebhookEvent.event_id == event["event_id"]))
        if existing is None:
            raise
        return Receipt(existing, event["event_id"], duplicate=True)
    enqueue_processing(row_id, event["event_id"], attempts_left=app.config["WEBHOOK_MAX_ATTEMPTS"], safe=True)
    return Receipt(row_id, event["event_id"], duplicate=False)


def _parse(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise InvalidPayload("The webhook body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise InvalidPayload("The webhook body must be a JSON object.")
    event_id, event_type = payload.get("event_id"), payload.get("type")
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 128:
        raise InvalidPayload("The webhook has no usable event_id.")
    if not isinstance(event_type, str) or not event_type.strip() or len(event_type) > 100:
        raise InvalidPayload("The webhook has no usable type.")
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    created = payload.get("created_at")
    return {
        "event_id": event_id,
        "event_type": event_type,
        "merchant_id": _short(payload.get("merchant_id"), 64),
        "object_type": _short(data.get("type"), 64),
        "object_id": _short(data.get("id"), 128),
        "object_version": _object_version(data),
        "event_created_at": parse_timestamp(created) if isinstance(created, str) else None,
        "payload": payload,
    }


def _short(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if isinstance(value, str | int) and value != "" else None


def _object_version(data: dict[str, Any]) -> int | None:
    """``data.object.<kind>.version`` (orders, catalog objects) when there is one."""
    obj = data.get("object")
    if not isinstance(obj, dict):
        return None
    for inner in obj.values():
        if isinstance(inner, dict) and isinstance(inner.get("version"), int):
            return int(inner["version"])
    return None


def job_id_for(event_id: str, requeue: int = 0) -> str:
    """Deterministic RQ job id: from the event id, plus the re-enqueue number after the first."""
    key = event_id if _JOB_ID_SAFE.fullmatch(event_id) else hashlib.sha256(event_id.encode()).hexdigest()[:40]
    return f"webhook-{key}" + (f"-r{requeue}" if requeue else "")


def enqueue_processing(row_id: int, event_id: str, *, attempts_left: int, requeue: int = 0,
                       safe: bool = False) -> None:
    """Queue ``jobs.webhooks.process_event``; with ``safe`` an enqueue error is logged (the
    reconciler will pick the committed row up) instead of raised."""

    app = _app()
    try:
        enqueue("jobs.webhooks.process_event", row_id, queue=QUEUE, job_id=job_id_for(event_id, requeue),
                retries=max(0, attempts_left - 1), job_timeout=JOB_TIMEOUT_SECONDS,
                retry_base_seconds=app.config["WEBHOOK_RETRY_BASE_SECONDS"])
    except Exception:
        if not safe:
            raise
        log.exception("could not enqueue webhook %s (row %s); the reconciler will retry", event_id, row_id)


# --- processing ---------------------------------------------------------------------------------

def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def process(row_id: int) -> str:
    """Run one attempt for inbox row ``row_id``; returns the outcome status ("skipped" if the row
    was not claimable). Raises when the handler failed, after recording the failure."""
    app = _app()
    token = uuid.uuid4().hex
    claimed = db.session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == row_id, WebhookEvent.status.in_(CLAIMABLE))
        .values(status=PROCESSING, attempts=WebhookEvent.attempts + 1, claim_token=token,
                claimed_by=worker_label(), claimed_at=utcnow(), next_attempt_at=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if not claimed:
        return "skipped"
    try:
        # First statement of the handler's transaction: proves we still hold the lease and, on
        # SQLite, takes the write lock so handlers there run one at a time.
        if not _touch(row_id, token):
            db.session.rollback()
            return "skipped"
        event = db.session.get(WebhookEvent, row_id, populate_existing=True)
        assert event is not None
        faults.maybe_fail(app, event.event_id, event.attempts)
        result = dispatch(event)
        if not _finish(row_id, token, status=result.status, note=result.note):
            db.session.rollback()
            return "skipped"
        db.session.commit()
        return result.status
    except Exception as exc:
        db.session.rollback()
        try:
            _record_failure(app, row_id, token, exc)
        except Exception:  # the database itself failing: the lease expires and the reconciler retries
            db.session.rollback()
            log.exception("could not record the failure of webhook row %s", row_id)
        raise


def _lease(row_id: int, token: str) -> Any:
    return update(WebhookEvent).where(WebhookEvent.id == row_id, WebhookEvent.claim_token == token) \
        .execution_options(synchronize_session=False)


def _touch(row_id: int, token: str) -> bool:
    return bool(db.session.execute(_lease(row_id, token).values(updated_at=utcnow())).rowcount)


def _finish(row_id: int, token: str, *, status: str, note: str) -> bool:
    now = utcnow()
    return bool(db.session.execute(_lease(row_id, token).values(
        status=status, note=note[:255], claim_token=None, finished_at=now, next_attempt_at=None)).rowcount)


def retry_delay(app: Flask, attempts: int) -> timedelta:
    """Backoff before attempt ``attempts + 1``: base, 2×base, 4×base … (matches the job retries)."""
    base = max(1, int(app.config["WEBHOOK_RETRY_BASE_SECONDS"]))
    return timedelta(seconds=base * 2 ** max(0, attempts - 1))


def _record_failure(app: Flask, row_id: int, token: str, exc: BaseException) -> None:
    event = db.session.get(WebhookEvent, row_id, populate_existing=True)
    if event is None or event.claim_token != token:
        return
    now = utcnow()
    dead = isinstance(exc, PoisonEvent) or event.attempts >= app.config["WEBHOOK_MAX_ATTEMPTS"]
    error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
    db.session.execute(_lease(row_id, token).values(
        status=DEAD if dead else FAILED, last_error=error, claim_token=None,
        next_attempt_at=None if dead else now + retry_delay(app, event.attempts),
        finished_at=now if dead else None))
    db.session.commit()
    log.warning("webhook %s (%s) attempt %d failed%s: %s", event.event_id, event.event_type, event.attempts,
                " — now dead" if dead else "", error)


# --- reconciling --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReconcileResult:
    lost: int  # processing rows whose worker was gone (lease expired)
    requeued: int  # rows handed to the queue again


def reconcile(now: datetime | None = None) -> ReconcileResult:
    """Re-enqueue rows a lost job or a killed worker left behind.

    * processing for longer than WEBHOOK_STUCK_MINUTES: the lease is taken back (the attempt
      counts; past the last one the row is dead, so a message that kills workers ends in the DLQ);
    * received for that long without being picked up;
    * failed rows whose retry is overdue (by 30 s, or the stuck window if shorter) — their
      scheduled retry was lost.
    """
    app = _app()
    now = now or utcnow()
    stuck = timedelta(minutes=float(app.config["WEBHOOK_STUCK_MINUTES"]))
    grace = min(stuck, timedelta(seconds=30))
    cutoff = now - stuck
    max_attempts = app.config["WEBHOOK_MAX_ATTEMPTS"]

    revived: list[int] = []
    lost_ids = list(db.session.scalars(select(WebhookEvent.id).where(
        WebhookEvent.status == PROCESSING, WebhookEvent.claimed_at < cutoff).limit(RECONCILE_BATCH)))
    for row_id in lost_ids:
        row = db.session.get(WebhookEvent, row_id)
        if row is None:
            continue
        dead = row.attempts >= max_attempts
        taken = db.session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == row_id, WebhookEvent.status == PROCESSING, WebhookEvent.claimed_at < cutoff)
            .values(status=DEAD if dead else FAILED, claim_token=None, next_attempt_at=None if dead else now,
                    finished_at=now if dead else None,
                    last_error=f"worker lost: no outcome {stuck.total_seconds() / 60:g} min after the attempt "
                               f"started on {row.claimed_by}")
            .execution_options(synchronize_session=False)).rowcount
        if taken and not dead:
            revived.append(row_id)
    db.session.commit()

    overdue = now - grace
    conditions = [
        and_(WebhookEvent.status == RECEIVED,
             func.coalesce(WebhookEvent.enqueued_at, WebhookEvent.received_at) < cutoff),
        and_(WebhookEvent.status == FAILED, WebhookEvent.next_attempt_at <= overdue,
             or_(WebhookEvent.enqueued_at.is_(None), WebhookEvent.enqueued_at < WebhookEvent.next_attempt_at,
                 WebhookEvent.enqueued_at < cutoff)),
    ]
    if revived:
        conditions.append(WebhookEvent.id.in_(revived))
    due = db.session.execute(select(WebhookEvent.id, WebhookEvent.event_id, WebhookEvent.requeues)
                             .where(or_(*conditions)).order_by(WebhookEvent.id).limit(RECONCILE_BATCH)).all()
    # A row whose job is still waiting in the queue (a backlog, or a retry RQ has scheduled) is not
    # lost: enqueuing it again under a new job id would only process it twice. A job RQ calls
    # started may be held by a worker that died, so that row is handed over again.
    requeued = sum(1 for row_id, event_id, requeues in due
                   if (row_id in revived or not job_is_pending(job_id_for(event_id, requeues), waiting_only=True))
                   and requeue(row_id, statuses=(RECEIVED, FAILED), now=now))
    if lost_ids or requeued:
        log.info("webhook reconciler: %d lost attempt(s) taken back, %d row(s) re-enqueued", len(lost_ids), requeued)
    return ReconcileResult(lost=len(lost_ids), requeued=requeued)


def requeue(row_id: int, *, statuses: tuple[str, ...], now: datetime | None = None) -> bool:
    """Hand a row to the queue again under a fresh deterministic job id; False if its status moved."""
    moved = db.session.execute(
        update(WebhookEvent).where(WebhookEvent.id == row_id, WebhookEvent.status.in_(statuses))
        .values(requeues=WebhookEvent.requeues + 1, enqueued_at=now or utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not moved:
        db.session.rollback()
        return False
    row = db.session.get(WebhookEvent, row_id, populate_existing=True)
    assert row is not None
    event_id, requeues, attempts = row.event_id, row.requeues, row.attempts
    db.session.commit()
    enqueue_after_commit(row_id, event_id, requeues=requeues, attempts=attempts)
    return True


def enqueue_after_commit(row_id: int, event_id: str, *, requeues: int, attempts: int) -> None:
    """Enqueue a re-queued row (job id ``…-r<requeues>``) with the attempts it has left."""
    enqueue_processing(row_id, event_id, requeue=requeues,
                       attempts_left=max(1, _app().config["WEBHOOK_MAX_ATTEMPTS"] - attempts), safe=True)


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
