"""Record and query audit entries.

``record`` adds the entry to the *caller's* transaction and never commits: the audit row is
written together with the change it describes, or not at all. Call it before your own
``db.session.commit()``. Secrets never belong in ``details``; keys that look like one are
redacted anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from storefront.audit.models import AuditEntry
from storefront.core.errors import FieldError, ValidationError
from storefront.extensions import db
from storefront.web.pagination import PageRequest

_SECRET_HINTS = ("password", "secret", "token", "signature", "totp_code", "authorization")
MAX_REASON = 2000


@dataclass(frozen=True)
class Actor:
    """Who acted: ``kind`` staff | customer | system | anonymous, a numeric id, a readable label."""

    kind: str
    id: int | None
    label: str


def actor_from(actor: object) -> Actor:
    """Resolve what callers pass as ``actor``: a user object, an :class:`Actor`, a string or None.

    A user object is anything with ``get_id()`` returning ``"<kind>:<id>"`` (StaffMember,
    Customer); its ``email`` becomes the label. A string such as ``"cli"`` is a system actor.
    """
    if isinstance(actor, Actor):
        return actor
    if actor is None:
        return Actor("system", None, "system")
    if isinstance(actor, str):
        return Actor("system", None, actor[:255] or "system")
    get_id = getattr(actor, "get_id", None)
    if callable(get_id):
        kind, _, ident = str(get_id()).partition(":")
        label = getattr(actor, "email", None) or getattr(actor, "name", None) or f"{kind}:{ident}"
        return Actor(kind or "unknown", int(ident) if ident.isdigit() else None, str(label)[:255])
    return Actor("system", None, str(actor)[:255])


def _redact(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): ("[redacted]" if any(h in str(k).lower() for h in _SECRET_HINTS) else _redact(v))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def record(actor: object, action: str, *, target_type: str | None = None, target_id: object = None,
           reason: str | None = None, details: Mapping[str, Any] | None = None) -> AuditEntry:
    """Add one audit entry to the current transaction (not committed here)."""
    who = actor_from(actor)
    entry = AuditEntry(
        actor_kind=who.kind,
        actor_id=who.id,
        actor_label=who.label,
        action=action[:64],
        target_type=target_type[:64] if target_type else None,
        target_id=str(target_id)[:128] if target_id is not None else None,
        reason=(reason or "").strip()[:MAX_REASON] or None,
        details=_redact(dict(details or {})),
    )
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_args(self) -> dict[str, str]:
        """Non-empty filters as query arguments (for pagination links)."""
        values = {"actor": self.actor, "action": self.action, "target_type": self.target_type,
                  "target_id": self.target_id,
                  "from": self.date_from.isoformat() if self.date_from else "",
                  "to": self.date_to.isoformat() if self.date_to else ""}
        return {k: v for k, v in values.items() if v}


def _parse_date(args: Mapping[str, str], name: str, errors: list[FieldError]) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(FieldError(name, f"{name} must be a date like 2025-01-31"))
        return None


def parse_filters(args: Mapping[str, str]) -> AuditFilters:
    """Read filters from query arguments: actor, action, target_type, target_id, from, to."""
    errors: list[FieldError] = []
    filters = AuditFilters(
        actor=(args.get("actor") or "").strip()[:255],
        action=(args.get("action") or "").strip()[:64],
        target_type=(args.get("target_type") or "").strip()[:64],
        target_id=(args.get("target_id") or "").strip()[:128],
        date_from=_parse_date(args, "from", errors),
        date_to=_parse_date(args, "to", errors),
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors.append(FieldError("to", "to must be on or after from"))
    if errors:
        raise ValidationError("Check the audit log filters.", details=errors)
    return filters


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int


def list_entries(filters: AuditFilters, page: PageRequest) -> AuditPage:
    """Entries matching ``filters``, newest first.

    ``actor`` matches part of the label (email), case-insensitively; ``action`` matches exactly
    or as a family (``staff`` matches ``staff.login``); dates are whole UTC days, inclusive.
    """
    query = select(AuditEntry)
    if filters.actor:
        query = query.where(AuditEntry.actor_label.ilike(f"%{_like_escape(filters.actor)}%", escape="\\"))
    if filters.action:
        family = _like_escape(filters.action.rstrip(".*")) + ".%"
        query = query.where(or_(AuditEntry.action == filters.action,
                                AuditEntry.action.like(family, escape="\\")))
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    if filters.target_id:
        query = query.where(AuditEntry.target_id == filters.target_id)
    if filters.date_from:
        query = query.where(AuditEntry.at >= datetime.combine(filters.date_from, time.min, UTC))
    if filters.date_to:
        query = query.where(AuditEntry.at < datetime.combine(filters.date_to + timedelta(days=1), time.min, UTC))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                              .offset(page.offset).limit(page.limit)).all()
    return AuditPage(entries=list(rows), total=total)


def distinct_actions() -> list[str]:
    """Every action name recorded so far (for the filter's suggestions)."""
    return list(db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def audit_entry_json(entry: AuditEntry) -> dict[str, Any]:
    """The API shape of one entry."""
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": {"kind": entry.actor_kind, "id": entry.actor_id, "label": entry.actor_label},
        "action": entry.action,
        "target": ({"type": entry.target_type, "id": entry.target_id} if entry.target_type else None),
        "reason": entry.reason,
        "details": entry.details or {},
    }
