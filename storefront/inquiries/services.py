"""Event-space inquiry use cases: validate and store a submission, notify staff, staff status changes."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select

from storefront.audit.services import actor_from, record
from storefront.core.errors import FieldError, NotFound, ValidationError
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.inquiries.models import EVENT_TYPES, STATUSES, EventInquiry, InquiryStatusChange
from storefront.tasks import enqueue
from storefront.web.pagination import PageRequest

log = logging.getLogger(__name__)

TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read out on the phone
MAX_DAYS_AHEAD = 730
NAME_MAX = 120
MESSAGE_MIN, MESSAGE_MAX = 10, 5000
NOTE_MAX = 2000
_PHONE = re.compile(r"^\+?[0-9 ().\-/]+(?:\s*(?:x|ext\.?)\s*[0-9]{1,6})?$", re.IGNORECASE)


@dataclass(frozen=True)
class InquiryInput:
    """A validated submission."""

    name: str
    email: str
    phone: str
    event_type: str
    preferred_date: date
    attendee_count: int | None
    message: str


@dataclass(frozen=True)
class InquiryReceipt:
    """What the shopper is told; ``stored`` is False for a honeypot hit (they see the same thing)."""

    tracking_id: str
    status: str
    stored: bool


# --- validation ------------------------------------------------------------------------------------

def _text(raw: Mapping[str, Any], name: str, errors: list[FieldError]) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append(FieldError(name, f"{name} must be text"))
        return ""
    return value.strip()


def normalise_event_type(value: str) -> str:
    """"Listening session", "listening-session" → "listening_session"."""
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


def _parse_date(value: Any, today: date, errors: list[FieldError]) -> date | None:
    if value in (None, ""):
        errors.append(FieldError("preferred_date", "Choose a preferred date."))
        return None
    try:
        parsed = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        errors.append(FieldError("preferred_date", "Give the date as YYYY-MM-DD."))
    elif parsed <= today:
        errors.append(FieldError("preferred_date", "The date must be in the future."))
    elif parsed > today + timedelta(days=MAX_DAYS_AHEAD):
        errors.append(FieldError("preferred_date", "We take bookings up to two years ahead."))
    else:
        return parsed
    return None


def _parse_count(value: Any, capacity: int, errors: list[FieldError]) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 6:
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        errors.append(FieldError("attendee_count", "Give the number of guests as a whole number."))
        return None
    if not 1 <= value <= capacity:
        errors.append(FieldError("attendee_count", f"The room holds 1 to {capacity} guests."))
        return None
    return value


def parse_inquiry(raw: Mapping[str, Any], *, today: date, capacity: int) -> InquiryInput:
    """Validate a submission (snake_case keys); every problem is reported at once as a ValidationError."""
    errors: list[FieldError] = []
    name = _text(raw, "name", errors)
    if not name:
        errors.append(FieldError("name", "Tell us your name."))
    elif len(name) > NAME_MAX:
        errors.append(FieldError("name", f"Keep the name under {NAME_MAX} characters."))
    email = _text(raw, "email", errors)
    if not email:
        errors.append(FieldError("email", "Give an email address so we can reply."))
    else:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors.append(FieldError("email", "That does not look like an email address."))
    phone = _text(raw, "phone", errors)
    if phone and (len(phone) > 40 or not _PHONE.match(phone) or not 6 <= sum(c.isdigit() for c in phone) <= 20):
        errors.append(FieldError("phone", "That does not look like a phone number."))
    event_type = normalise_event_type(_text(raw, "event_type", errors))
    if event_type not in EVENT_TYPES:
        errors.append(FieldError("event_type", "Choose one of: " + ", ".join(EVENT_TYPES.values()) + "."))
    preferred = _parse_date(raw.get("preferred_date"), today, errors)
    count = _parse_count(raw.get("attendee_count"), capacity, errors)
    message = _text(raw, "message", errors)
    if len(message) < MESSAGE_MIN:
        errors.append(FieldError("message", f"Tell us a little about the event (at least {MESSAGE_MIN} characters)."))
    elif len(message) > MESSAGE_MAX:
        errors.append(FieldError("message", f"Keep the message under {MESSAGE_MAX} characters."))
    if errors:
        raise ValidationError("Check the highlighted fields.", details=errors)
    assert preferred is not None
    return InquiryInput(name=name, email=email, phone=phone, event_type=event_type, preferred_date=preferred,
                        attendee_count=count, message=message)


# --- submission --------------------------------------------------------------------------------------

def new_tracking_id() -> str:
    chars = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
    return f"EV-{chars[:4]}-{chars[4:]}"


def _unused_tracking_id() -> str:
    for _ in range(10):
        candidate = new_tracking_id()
        if db.session.scalar(select(EventInquiry.id).where(EventInquiry.tracking_id == candidate)) is None:
            return candidate
    raise RuntimeError("could not draw an unused tracking id")  # 31^8 ids: practically unreachable


def ip_hash(ip: str | None) -> str:
    """A keyed hash of the client IP (the address itself is never stored)."""
    if not ip:
        return ""
    return hmac.new(str(current_app.config["SECRET_KEY"]).encode(), ip.encode(), hashlib.sha256).hexdigest()


def submit_inquiry(raw: Mapping[str, Any], *, ip: str | None, honeypot: str = "") -> InquiryReceipt:
    """Validate, store and queue the staff notification; a filled honeypot is answered alike but stores nothing."""
    config = current_app.config
    data = parse_inquiry(raw, today=utcnow().date(), capacity=int(config["EVENT_SPACE_CAPACITY"]))
    if honeypot.strip():
        log.info("event inquiry dropped: honeypot filled (ip hash %s)", ip_hash(ip)[:12])
        return InquiryReceipt(tracking_id=new_tracking_id(), status="new", stored=False)
    inquiry = EventInquiry(tracking_id=_unused_tracking_id(), ip_hash=ip_hash(ip), status="new",
                           name=data.name, email=data.email, phone=data.phone, event_type=data.event_type,
                           preferred_date=data.preferred_date, attendee_count=data.attendee_count,
                           message=data.message)
    db.session.add(inquiry)
    db.session.commit()
    _queue_notification(inquiry.id)
    return InquiryReceipt(tracking_id=inquiry.tracking_id, status=inquiry.status, stored=True)


def _queue_notification(inquiry_id: int) -> None:
    """Hand the notification to a job; the shopper's request never waits on email/Slack/CRM."""

    try:
        enqueue("jobs.inquiries.notify_staff_of_inquiry", inquiry_id, queue="notifications",
                job_id=f"inquiry-notify-{inquiry_id}")
    except Exception:  # the inquiry is saved; notified_at stays empty, so it can be re-sent later
        log.exception("could not queue the notification for inquiry %s", inquiry_id)


# --- the back office -----------------------------------------------------------------------------------

def parse_status_filter(raw: str | None) -> str | None:
    """A status filter from a query string: "" / None = all; an unknown status is a ValidationError."""
    value = (raw or "").strip().lower()
    if not value or value == "all":
        return None
    if value not in STATUSES:
        raise ValidationError.for_field("status", "status must be one of: " + ", ".join(STATUSES))
    return value


def list_inquiries(status: str | None, page: PageRequest) -> tuple[list[EventInquiry], int]:
    """Inquiries, newest first, optionally of one status, and the total matching."""
    query = select(EventInquiry)
    if status:
        query = query.where(EventInquiry.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(EventInquiry.created_at.desc(), EventInquiry.id.desc())
                              .offset(page.offset).limit(page.limit)).all()
    return list(rows), total


def count_by_status(status: str) -> int:
    return db.session.scalar(select(func.count()).select_from(EventInquiry)
                             .where(EventInquiry.status == status)) or 0


def get_inquiry(tracking_id: str) -> EventInquiry:
    """An inquiry by tracking id (any case, spaces ignored); NotFound otherwise."""
    wanted = re.sub(r"\s+", "", tracking_id or "").upper()
    inquiry = None
    if 0 < len(wanted) <= 16:
        inquiry = db.session.scalar(select(EventInquiry).where(EventInquiry.tracking_id == wanted))
    if inquiry is None:
        raise NotFound(f"No inquiry {tracking_id[:20]!r}.")
    return inquiry


def change_status(tracking_id: str, status: Any, note: Any, *, actor: object) -> EventInquiry:
    """Set an inquiry's status (new/contacted/booked/declined) with an optional note; recorded and audited."""
    inquiry = get_inquiry(tracking_id)
    errors: list[FieldError] = []
    if not isinstance(status, str) or status.strip().lower() not in STATUSES:
        errors.append(FieldError("status", "status must be one of: " + ", ".join(STATUSES)))
    if note is not None and not isinstance(note, str):
        errors.append(FieldError("note", "note must be text"))
    elif note and len(note.strip()) > NOTE_MAX:
        errors.append(FieldError("note", f"Keep the note under {NOTE_MAX} characters."))
    if errors:
        raise ValidationError("Check the status change.", details=errors)
    new_status = str(status).strip().lower()
    text = (note or "").strip()
    if new_status == inquiry.status and not text:
        raise ValidationError.for_field("status", f"The inquiry is already {new_status}; add a note or pick "
                                                  "another status.")
    previous = inquiry.status
    inquiry.status = new_status
    inquiry.history.append(InquiryStatusChange(actor_label=actor_from(actor).label, from_status=previous,
                                               to_status=new_status, note=text))
    record(actor, "inquiry.status_changed" if previous != new_status else "inquiry.note_added",
           target_type="event_inquiry", target_id=inquiry.tracking_id, reason=text or None,
           details={"from": previous, "to": new_status})
    db.session.commit()
    return inquiry
