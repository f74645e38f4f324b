"""The dead-letter queue, for staff: list and inspect dead events, replay or discard them.

Every replay/discard requires a reason and writes an audit row in the same transaction as the
status change. The JSON API, the back-office pages and the CLI all call these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update

from storefront.audit.services import MAX_REASON, record
from storefront.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationError
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.web.pagination import PageRequest
from storefront.webhooks.models import DEAD, DISCARDED, FAILED, RECEIVED, STATUSES, WebhookEvent
from storefront.webhooks.services import enqueue_after_commit

DLQ_STATUSES = (DEAD, DISCARDED, FAILED)
RETRYABLE = (DEAD, DISCARDED)
DISCARDABLE = (DEAD, FAILED)
TARGET_TYPE = "webhook_event"


@dataclass(frozen=True)
class DlqFilters:
    status: str = DEAD  # dead | discarded | failed | all
    event_type: str = ""
    error: str = ""  # part of the last error

    def as_args(self) -> dict[str, str]:
        values = {"status": self.status if self.status != DEAD else "", "event_type": self.event_type,
                  "error": self.error}
        return {k: v for k, v in values.items() if v}


def parse_filters(args: Mapping[str, str]) -> DlqFilters:
    """Filters from query arguments: status (dead, discarded, failed, all), event_type, error."""
    status = (args.get("status") or DEAD).strip().lower()
    if status not in (*DLQ_STATUSES, "all"):
        raise ValidationError.for_field("status", f"status must be one of {', '.join((*DLQ_STATUSES, 'all'))}")
    return DlqFilters(status=status, event_type=(args.get("event_type") or "").strip()[:100],
                      error=(args.get("error") or "").strip()[:200])


@dataclass(frozen=True)
class DlqPage:
    events: list[WebhookEvent]
    total: int


def list_events(filters: DlqFilters, page: PageRequest) -> DlqPage:
    """DLQ rows (dead by default), most recently finished first."""
    query = select(WebhookEvent)
    if filters.status == "all":
        query = query.where(WebhookEvent.status.in_(DLQ_STATUSES))
    else:
        query = query.where(WebhookEvent.status == filters.status)
    if filters.event_type:
        query = query.where(WebhookEvent.event_type == filters.event_type)
    if filters.error:
        escaped = filters.error.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(WebhookEvent.last_error.ilike(f"%{escaped}%", escape="\\"))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(WebhookEvent.updated_at.desc(), WebhookEvent.id.desc())
                              .offset(page.offset).limit(page.limit)).all()
    return DlqPage(list(rows), total)


def dlq_event_types() -> list[str]:
    """Event types present in the DLQ (for the filter's choices)."""
    return list(db.session.scalars(select(WebhookEvent.event_type).where(WebhookEvent.status.in_(DLQ_STATUSES))
                                   .distinct().order_by(WebhookEvent.event_type)))


def dead_count() -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.status == DEAD)) or 0


def get_event(task_id: int) -> WebhookEvent:
    """One inbox row by id (any status), or NotFound."""
    row = db.session.get(WebhookEvent, task_id)
    if row is None:
        raise NotFound(f"No webhook event #{task_id}.")
    return row


def require_second_factor(actor: object) -> None:
    """The DLQ's one rule on the pages and the API: a staff member with two-factor sign-in on (their
    session or token passed it). Payloads hold customer data and a replay moves stock. Operators on
    the server's command line (an audit ``Actor``, not a staff member) are not asked."""
    is_staff_member = hasattr(actor, "totp_enabled")
    if current_app.config["STAFF_TOTP_REQUIRED_FOR_DLQ"] and is_staff_member and not actor.totp_enabled:  # type: ignore[attr-defined]
        raise PermissionDenied("Turn on two-factor sign-in to use the dead-letter queue.", code="totp_required")


def view_event(task_id: int, *, actor: object) -> WebhookEvent:
    """One event with its full payload for ``actor``; the access itself is audit-logged."""
    require_second_factor(actor)
    row = get_event(task_id)
    record(actor, "dlq.view_payload", target_type=TARGET_TYPE, target_id=task_id,
           details={"event_id": row.event_id})
    db.session.commit()
    return row


def clean_reason(reason: object) -> str:
    """The reason staff must give for a replay or discard (ValidationError when missing)."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ValidationError("Give a reason.", details=[FieldError("reason", "A reason is required.")])
    if len(text) > MAX_REASON:
        raise ValidationError("The reason is too long.",
                              details=[FieldError("reason", f"At most {MAX_REASON} characters.")])
    return text


def retry_event(task_id: int, *, actor: object, reason: object) -> WebhookEvent:
    """Replay a dead (or discarded) event: fresh attempts, audited, enqueued after the commit."""
    require_second_factor(actor)
    text = clean_reason(reason)
    row = get_event(task_id)
    previous, event_id = row.status, row.event_id
    moved = db.session.execute(
        update(WebhookEvent).where(WebhookEvent.id == task_id, WebhookEvent.status.in_(RETRYABLE))
        .values(status=RECEIVED, attempts=0, next_attempt_at=None, finished_at=None, claim_token=None,
                requeues=WebhookEvent.requeues + 1, replays=WebhookEvent.replays + 1, enqueued_at=utcnow(),
                note="replayed by staff")
        .execution_options(synchronize_session=False)).rowcount
    if not moved:
        db.session.rollback()
        raise Conflict(f"Webhook event #{task_id} is {row.status}; only dead or discarded events can be retried.",
                       code="not_retryable")
    record(actor, "dlq.retry", target_type=TARGET_TYPE, target_id=task_id, reason=text,
           details={"event_id": event_id, "event_type": row.event_type, "previous_status": previous})
    db.session.commit()
    row = get_event(task_id)
    enqueue_after_commit(task_id, event_id, requeues=row.requeues, attempts=0)
    db.session.refresh(row)
    return row


def discard_event(task_id: int, *, actor: object, reason: object) -> WebhookEvent:
    """Give up on a poison event (dead, or failed and still retrying) for good; audited."""
    require_second_factor(actor)
    text = clean_reason(reason)
    row = get_event(task_id)
    previous = row.status
    moved = db.session.execute(
        update(WebhookEvent).where(WebhookEvent.id == task_id, WebhookEvent.status.in_(DISCARDABLE))
        .values(status=DISCARDED, next_attempt_at=None, claim_token=None, finished_at=utcnow(),
                note="discarded by staff")
        .execution_options(synchronize_session=False)).rowcount
    if not moved:
        db.session.rollback()
        raise Conflict(f"Webhook event #{task_id} is {row.status}; only dead or failed events can be discarded.",
                       code="not_discardable")
    record(actor, "dlq.discard", target_type=TARGET_TYPE, target_id=task_id, reason=text,
           details={"event_id": row.event_id, "event_type": row.event_type, "previous_status": previous})
    db.session.commit()
    return get_event(task_id)


def status_counts() -> dict[str, int]:
    """Rows per status (every status listed, zeros included)."""
    counts = dict(db.session.execute(select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status)).all())
    return {status: int(counts.get(status, 0)) for status in STATUSES}
