"""Wantlist use cases: follow a release, an artist or a saved search; guests confirm by a signed link;
copies that come in stock are matched into pending alerts; digests go out at most once per window.

* Following: :func:`follow` (a customer: at once; a guest: after the confirmation link — the
  answer is the same whether or not the address has an account or entries, so nothing leaks).
* Matching: :func:`match_restocks` runs in a job (``jobs.wantlist.match_restocks``) enqueued after
  the commit that brought copies in stock (see :mod:`storefront.catalog.stock`); it records one
  pending :class:`WantlistAlert` per matching entry and copy.
* Digests: :func:`send_digests` (periodic) claims each shopper's digest window with a conditional
  UPDATE of their :class:`WantlistRecipient` row, claims their pending alerts and stores the email
  in the same transaction — a retry or a second run at the same moment claims nothing and sends nothing.
* Unsubscribing: signed tokens (one entry, or everything of a recipient) that need no login.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from storefront.accounts.models import Customer
from storefront.catalog.models import Item, ItemVariation, StockLevel
from storefront.catalog.query import GRADES, CatalogQuery, major_units, parse_catalog_query
from storefront.catalog.services import item_ids_matching
from storefront.catalog.stock import register_restock_job
from storefront.core.errors import FieldError, NotFound, ValidationError
from storefront.db.timestamps import utcnow
from storefront.ecs.provider import shop_location_id
from storefront.extensions import db
from storefront.notifications.services import queue_email
from storefront.wantlist.models import KINDS, WantlistAlert, WantlistEntry, WantlistRecipient
from storefront.web.urls import public_url

log = logging.getLogger("storefront.wantlist")

MATCH_JOB = "jobs.wantlist.match_restocks"
MAX_ENTRIES = 200  # per shopper
MAX_ITEM_ID = 2**31 - 1
MAX_PRICE_MINOR = 100_000_000
CONFIRM_SALT = "wantlist-confirm"
UNSUBSCRIBE_SALT = "wantlist-unsubscribe"
CONFIRM_MAX_AGE = 7 * 24 * 3600
RESEND_AFTER = timedelta(minutes=10)
MAX_TOKEN_LENGTH = 500
GRADE_RANK = {grade: len(GRADES) - rank for rank, grade in enumerate(GRADES)}  # M 8 … P 1
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAJOR = re.compile(r"\d{1,7}(?:[.,]\d{1,2})?")

register_restock_job(MATCH_JOB)


# --- what a shopper asks for ---------------------------------------------------------------------

@dataclass(frozen=True)
class Wish:
    """A validated request to follow something."""

    kind: str
    item_id: int | None = None
    artist: str = ""
    search: str = ""
    min_grade: str = ""
    max_price: int | None = None


def parse_kind(raw: Any) -> str:
    kind = raw.strip().lower() if isinstance(raw, str) else ""
    if kind not in KINDS:
        raise ValidationError.for_field("kind", f"kind must be one of: {', '.join(KINDS)}")
    return kind


def parse_grade(raw: Any) -> str:
    if raw is None:
        return ""
    grade = raw.strip().upper() if isinstance(raw, str) else None
    if grade is None or grade not in ("", *GRADES):
        raise ValidationError.for_field("min_grade", f"min_grade must be one of: {', '.join(GRADES)}")
    return grade


def parse_price(raw: Any, *, units: str = "minor") -> int | None:
    """A maximum price: minor units from JSON (an integer), major units from a form ("12.50")."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    problem = ValidationError.for_field(
        "max_price", "max_price must be a whole number of cents (minor units), e.g. 2500" if units == "minor"
        else "Maximum price must be an amount like 25 or 24.99")
    if units == "minor":
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise problem
        value = raw
    else:
        text = str(raw).strip().lstrip("$€£").strip()
        if not _MAJOR.fullmatch(text):
            raise problem
        major, _, minor = text.replace(",", ".").partition(".")
        value = int(major) * 100 + int((minor + "00")[:2])
    if value > MAX_PRICE_MINOR:
        raise ValidationError.for_field("max_price", "max_price is too large")
    return value


def parse_item_id(raw: Any) -> int:
    text = raw.strip() if isinstance(raw, str) else None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif text and text.isascii() and text.isdigit() and len(text) <= 18:
        value = int(text)
    else:
        raise ValidationError.for_field("item_id", "item_id must be a whole number")
    if not 1 <= value <= MAX_ITEM_ID:
        raise ValidationError.for_field("item_id", "item_id must be a whole number")
    return value


def canonical_search(raw: Any) -> str:
    """A catalog query string (``q`` and filters, page-style prices) in one canonical spelling."""
    if not isinstance(raw, str) or len(raw) > 1000:
        raise ValidationError.for_field("search", "search must be a catalog query string of at most 1000 characters")
    parsed = parse_catalog_query(MultiDict(parse_qsl(raw.lstrip("?"), keep_blank_values=False)))
    if parsed.errors:
        raise ValidationError("Invalid search", details=[FieldError("search", e.message) for e in parsed.errors])
    query = parsed.query
    if not query.is_filtered:
        raise ValidationError.for_field("search", "Search for something or pick a filter before saving a search.")
    pairs: list[tuple[str, str]] = [("q", query.q)] if query.q else []
    pairs += [("genre", g) for g in query.genres] + [("format", f) for f in query.formats]
    pairs += [(name, major_units(value)) for name, value in (("min_price", query.min_price),
                                                             ("max_price", query.max_price)) if value is not None]
    pairs += [("in_stock", "true")] if query.in_stock else []
    pairs += [("kind", query.kind)] if query.kind != "record" else []
    pairs += [(name, value) for name, value in (("condition", query.condition), ("min_grade", query.min_grade))
              if value]
    return urlencode(pairs)


def search_query(search: str) -> CatalogQuery:
    return parse_catalog_query(MultiDict(parse_qsl(search))).query


def parse_wish(values: Mapping[str, Any], *, price_units: str = "minor") -> Wish:
    """A :class:`Wish` from form fields or a JSON body; every bad field is reported at once (422)."""
    errors: list[FieldError] = []

    def attempt(parse: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return parse(*args, **kwargs)
        except ValidationError as exc:
            errors.extend(exc.details)
            return None

    kind = attempt(parse_kind, values.get("kind"))
    grade = attempt(parse_grade, values.get("min_grade"))
    price = attempt(parse_price, values.get("max_price"), units=price_units)
    wish = Wish(kind=kind or "", min_grade=grade or "", max_price=price)
    if kind == "release":
        wish = Wish(**{**wish.__dict__, "item_id": attempt(parse_item_id, values.get("item_id"))})
    elif kind == "artist":
        artist = " ".join(values.get("artist").split()) if isinstance(values.get("artist"), str) else ""
        if not artist or len(artist) > 255:
            errors.append(FieldError("artist", "Enter the artist's name (at most 255 characters)."))
        wish = Wish(**{**wish.__dict__, "artist": artist})
    elif kind == "search":
        wish = Wish(**{**wish.__dict__, "search": attempt(canonical_search, values.get("search")) or ""})
    if errors:
        raise ValidationError("Invalid wantlist entry", details=errors)
    if wish.kind == "release":
        item = db.session.get(Item, wish.item_id)
        if item is None or item.is_deleted:
            raise NotFound("That release does not exist or is no longer sold.")
    return wish


def parse_email(raw: Any) -> str:
    email = raw.strip().lower() if isinstance(raw, str) else ""
    if not _EMAIL.match(email) or len(email) > 254 or any(c in email for c in ",;<>\"'"):
        raise ValidationError.for_field("email", "Enter a valid email address.")
    return email


# --- entries --------------------------------------------------------------------------------------

def customer_recipient(customer_id: int) -> str:
    return f"c:{customer_id}"


def guest_recipient(email: str) -> str:
    return f"e:{email}"


def _same_entry(recipient: str, wish: Wish) -> WantlistEntry | None:
    query = select(WantlistEntry).where(WantlistEntry.recipient == recipient, WantlistEntry.kind == wish.kind)
    if wish.kind == "release":
        query = query.where(WantlistEntry.item_id == wish.item_id)
    elif wish.kind == "artist":
        query = query.where(func.lower(WantlistEntry.artist) == wish.artist.lower())
    else:
        query = query.where(WantlistEntry.search == wish.search)
    return db.session.scalars(query.order_by(WantlistEntry.id).limit(1)).first()


def _count(recipient: str) -> int:
    return db.session.scalar(select(func.count()).select_from(WantlistEntry)
                             .where(WantlistEntry.recipient == recipient)) or 0


def _ensure_recipient(recipient: str) -> None:
    if db.session.get(WantlistRecipient, recipient) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(WantlistRecipient(recipient=recipient))
    except IntegrityError:
        pass  # another request made it at the same moment


def _new_entry(recipient: str, wish: Wish, **fields: Any) -> WantlistEntry:
    if _count(recipient) >= MAX_ENTRIES:
        raise ValidationError.for_field("kind", f"A wantlist holds at most {MAX_ENTRIES} entries.")
    _ensure_recipient(recipient)
    entry = WantlistEntry(recipient=recipient, kind=wish.kind, item_id=wish.item_id, artist=wish.artist,
                          search=wish.search, min_grade=wish.min_grade, max_price=wish.max_price, **fields)
    db.session.add(entry)
    db.session.flush()
    return entry


def follow_as_customer(customer_id: int, wish: Wish) -> tuple[WantlistEntry, bool]:
    """Add (or update the grade/price of) the customer's entry; returns it and whether it is new."""
    recipient = customer_recipient(customer_id)
    entry = _same_entry(recipient, wish)
    created = entry is None
    if entry is None:
        entry = _new_entry(recipient, wish, customer_id=customer_id, confirmed_at=utcnow())
    else:
        entry.min_grade, entry.max_price = wish.min_grade, wish.max_price
    db.session.commit()
    return entry, created


def follow_as_guest(email: str, wish: Wish) -> None:
    """Store an unconfirmed entry and email its confirmation link. Says nothing about the address:
    an entry already confirmed is left alone, one waiting for confirmation gets the link again
    (at most every few minutes)."""
    email = parse_email(email)
    recipient = guest_recipient(email)
    entry = _same_entry(recipient, wish)
    if entry is None:
        if _count(recipient) >= MAX_ENTRIES:
            return  # the same answer as any other request: no hint that the address has entries
        entry = _new_entry(recipient, wish, email=email)
    elif entry.confirmed_at is not None or (entry.confirmation_sent_at
                                            and entry.confirmation_sent_at > utcnow() - RESEND_AFTER):
        db.session.rollback()
        return
    entry.confirmation_sent_at = utcnow()
    token = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT).dumps(entry.id)
    queue_email(email, f"Confirm your wantlist alert: {describe(entry)}", "wantlist/confirm",
                kind="wantlist.confirm", what=describe(entry), link=public_url("wantlist.confirm", token=token),
                days=CONFIRM_MAX_AGE // 86400)


def pending_confirmation(token: str) -> WantlistEntry | None:
    """The unconfirmed entry a confirmation link is for (None: bad, expired or already used)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        entry_id = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT).loads(
            token, max_age=CONFIRM_MAX_AGE)
    except BadSignature:
        return None
    entry = db.session.get(WantlistEntry, entry_id) if isinstance(entry_id, int) else None
    return entry if entry is not None and entry.confirmed_at is None else None


def confirm(token: str) -> WantlistEntry | None:
    """Confirm a guest's entry (alerts start); None when the link is not valid (any more)."""
    entry = pending_confirmation(token)
    if entry is None:
        return None
    entry.confirmed_at = utcnow()
    db.session.commit()
    return entry


def list_entries(customer_id: int, *, offset: int = 0, limit: int | None = None) -> tuple[list[WantlistEntry], int]:
    """The customer's entries, newest first, and how many there are."""
    query = select(WantlistEntry).where(WantlistEntry.recipient == customer_recipient(customer_id))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.order_by(WantlistEntry.created_at.desc(), WantlistEntry.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query).unique()), total


def remove_entry(customer_id: int, entry_id: int) -> bool:
    """Delete one of the customer's entries; False when there is no such entry of theirs."""
    entry = db.session.get(WantlistEntry, entry_id) if 1 <= entry_id <= MAX_ITEM_ID else None
    if entry is None or entry.recipient != customer_recipient(customer_id):
        return False
    _delete_entries([entry])
    db.session.commit()
    return True


def _delete_entries(entries: list[WantlistEntry]) -> None:
    """Delete entries and their pending alerts (SQLite does not enforce the cascade by itself)."""
    ids = [e.id for e in entries]
    if ids:
        db.session.execute(delete(WantlistAlert).where(WantlistAlert.entry_id.in_(ids)))
        db.session.execute(delete(WantlistEntry).where(WantlistEntry.id.in_(ids)))


def describe(entry: WantlistEntry) -> str:
    """What an entry follows, in words."""
    if entry.kind == "release" and entry.item is not None:
        return entry.item.name
    if entry.kind == "artist":
        return f"anything by {entry.artist}"
    query = search_query(entry.search)
    return f"search “{query.q}”" if query.q else "a saved search"


def conditions(entry: WantlistEntry) -> str:
    parts = [f"{entry.min_grade} or better"] if entry.min_grade else []
    if entry.max_price is not None:
        parts.append(f"at most {major_units(entry.max_price)}")
    return ", ".join(parts)


# --- unsubscribing ------------------------------------------------------------------------------------

def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(*, entry_id: int | None = None, recipient: str | None = None) -> str:
    """A link token that stops one entry, or (``recipient``) every alert of that shopper."""
    return _unsubscribe_serializer().dumps(["entry", entry_id] if entry_id is not None else ["all", recipient])


@dataclass(frozen=True)
class Unsubscribe:
    scope: str  # "entry" | "all"
    entries: list[WantlistEntry]


def read_unsubscribe(token: str) -> Unsubscribe | None:
    """What an unsubscribe link stops (the entries still there); None for a token that is not ours."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        scope, value = _unsubscribe_serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if scope == "entry" and isinstance(value, int):
        entry = db.session.get(WantlistEntry, value)
        return Unsubscribe("entry", [entry] if entry is not None else [])
    if scope == "all" and isinstance(value, str):
        entries = db.session.scalars(select(WantlistEntry).where(WantlistEntry.recipient == value)).unique().all()
        return Unsubscribe("all", list(entries))
    return None


def unsubscribe(token: str) -> int | None:
    """Delete what the link names; the number of entries removed (None: not a valid link)."""
    found = read_unsubscribe(token)
    if found is None:
        return None
    _delete_entries(found.entries)
    db.session.commit()
    return len(found.entries)


# --- matching copies that came in stock ------------------------------------------------------------

@dataclass(frozen=True)
class Copy:
    variation_id: int
    item_id: int
    artist: str
    grade: str
    price_amount: int | None
    currency: str


def copy_grade(condition: str, media_grade: str) -> str:
    """A copy's grade on the Goldmine scale: new copies (or ones that say nothing) count as M."""
    grade = (media_grade or "").strip().upper()
    if condition == "new" or (not condition and not grade):
        return "M"
    return grade


def _copies_in_stock(variation_ids: set[int], location_id: str) -> list[Copy]:
    counted = select(StockLevel.id).where(StockLevel.variation_id == ItemVariation.id,
                                          StockLevel.location_id == location_id, StockLevel.quantity > 0)
    rows = db.session.execute(
        select(ItemVariation.id, ItemVariation.item_id, Item.artist, ItemVariation.condition,
               ItemVariation.media_grade, ItemVariation.price_amount, ItemVariation.currency)
        .join(Item, Item.id == ItemVariation.item_id)
        .where(ItemVariation.id.in_(variation_ids), ItemVariation.is_deleted.is_(False),
               ItemVariation.sold_out.is_(False), Item.is_deleted.is_(False),
               or_(ItemVariation.track_inventory.is_(False), exists(counted)))).all()
    return [Copy(r.id, r.item_id, r.artist or "", copy_grade(r.condition, r.media_grade), r.price_amount,
                 r.currency) for r in rows]


def accepts(entry: WantlistEntry, copy: Copy) -> bool:
    """The entry's own conditions: grade at least its minimum, price at most its maximum."""
    if entry.min_grade and GRADE_RANK.get(copy.grade, 0) < GRADE_RANK[entry.min_grade]:
        return False
    return entry.max_price is None or (copy.price_amount is not None and copy.price_amount <= entry.max_price)


def _candidate_entries(copies: list[Copy]) -> list[tuple[WantlistEntry, set[int]]]:
    """Confirmed entries that could want these copies, each with the items it follows among them."""
    item_ids = {c.item_id for c in copies}
    artists = {c.artist.strip().lower() for c in copies if c.artist.strip()}
    confirmed = WantlistEntry.confirmed_at.is_not(None)
    entries = db.session.scalars(select(WantlistEntry).where(confirmed, or_(
        and_(WantlistEntry.kind == "release", WantlistEntry.item_id.in_(item_ids)),
        and_(WantlistEntry.kind == "artist", func.lower(WantlistEntry.artist).in_(artists or {""})),
        WantlistEntry.kind == "search"))).unique().all()
    found: list[tuple[WantlistEntry, set[int]]] = []
    searches: dict[str, set[int]] = {}
    for entry in entries:
        if entry.kind == "release":
            found.append((entry, {entry.item_id} if entry.item_id is not None else set()))
        elif entry.kind == "artist":
            found.append((entry, {c.item_id for c in copies if c.artist.strip().lower() == entry.artist.lower()}))
        else:
            if entry.search not in searches:
                searches[entry.search] = item_ids_matching(search_query(entry.search), item_ids)
            found.append((entry, searches[entry.search]))
    return found


def match_restocks(pairs: Iterable[Any]) -> int:
    """Record a pending alert for each confirmed entry that wants a copy which came in stock at the
    shop's location (``pairs`` of [variation_id, location_id]); returns how many were recorded.

    A copy already waiting for the same entry's digest is not recorded twice (a second restock in the
    window joins the same digest)."""
    location_id = shop_location_id(current_app._get_current_object())  # type: ignore[attr-defined]
    variation_ids = {int(p[0]) for p in pairs if isinstance(p, list | tuple) and len(p) == 2
                     and str(p[1]) == location_id and isinstance(p[0], int)}
    if not variation_ids or not db.session.scalar(select(exists().where(WantlistEntry.confirmed_at.is_not(None)))):
        return 0
    copies = _copies_in_stock(variation_ids, location_id)
    if not copies:
        return 0
    waiting = set(db.session.execute(select(WantlistAlert.entry_id, WantlistAlert.variation_id).where(
        WantlistAlert.variation_id.in_([c.variation_id for c in copies]), WantlistAlert.digest_token.is_(None))))
    recorded = 0
    for entry, items in _candidate_entries(copies):
        for copy in copies:
            if copy.item_id in items and (entry.id, copy.variation_id) not in waiting and accepts(entry, copy):
                db.session.add(WantlistAlert(entry_id=entry.id, recipient=entry.recipient, item_id=copy.item_id,
                                             variation_id=copy.variation_id, grade=copy.grade,
                                             price_amount=copy.price_amount, currency=copy.currency))
                waiting.add((entry.id, copy.variation_id))
                recorded += 1
    db.session.commit()
    if recorded:
        log.info("wantlist: %d alert(s) recorded for %d copies back in stock", recorded, len(copies))
    return recorded


# --- digests ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DigestGroup:
    """One entry's matches in a digest email, with its own unsubscribe link."""

    what: str
    conditions: str
    copies: list[dict[str, str]]
    unsubscribe_url: str


def digest_window() -> timedelta:
    return timedelta(minutes=float(current_app.config["WANTLIST_DIGEST_MINUTES"]))


def due_recipients(now: datetime) -> list[str]:
    """Shoppers with pending alerts whose digest window has passed."""
    cutoff = now - digest_window()
    return list(db.session.scalars(
        select(WantlistAlert.recipient).distinct()
        .outerjoin(WantlistRecipient, WantlistRecipient.recipient == WantlistAlert.recipient)
        .where(WantlistAlert.digest_token.is_(None),
               or_(WantlistRecipient.last_digest_at.is_(None), WantlistRecipient.last_digest_at <= cutoff))
        .order_by(WantlistAlert.recipient)))


def send_digests(now: datetime | None = None) -> int:
    """Email every due shopper their digest (one email each); returns how many were sent."""
    now = now or utcnow()
    recipients = due_recipients(now)
    db.session.rollback()  # end the read: each shopper's claim starts its own transaction
    return sum(1 for recipient in recipients if send_digest(recipient, now))


def _claim_window(recipient: str, now: datetime) -> bool:
    """Take the shopper's digest window: a conditional UPDATE only one run (or retry) can win."""
    if db.session.get(WantlistRecipient, recipient) is None:
        _ensure_recipient(recipient)
        db.session.commit()
    cutoff = now - digest_window()
    claimed = db.session.execute(
        update(WantlistRecipient)
        .where(WantlistRecipient.recipient == recipient,
               or_(WantlistRecipient.last_digest_at.is_(None), WantlistRecipient.last_digest_at <= cutoff))
        .values(last_digest_at=now).execution_options(synchronize_session=False)).rowcount
    return bool(claimed)


def _claim_alerts(recipient: str, now: datetime) -> list[tuple[WantlistAlert, WantlistEntry, Item, ItemVariation]]:
    token = secrets.token_hex(16)
    db.session.execute(update(WantlistAlert)
                       .where(WantlistAlert.recipient == recipient, WantlistAlert.digest_token.is_(None))
                       .values(digest_token=token, sent_at=now).execution_options(synchronize_session=False))
    rows = db.session.execute(
        select(WantlistAlert, WantlistEntry, Item, ItemVariation)
        .join(WantlistEntry, WantlistEntry.id == WantlistAlert.entry_id)
        .join(Item, Item.id == WantlistAlert.item_id)
        .join(ItemVariation, ItemVariation.id == WantlistAlert.variation_id)
        .where(WantlistAlert.digest_token == token).order_by(WantlistAlert.entry_id, WantlistAlert.id)).unique()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _address(recipient: str) -> str | None:
    kind, _, value = recipient.partition(":")
    if kind == "e":
        return value or None
    customer = db.session.get(Customer, int(value)) if kind == "c" and value.isdigit() else None
    return customer.email if customer is not None else None


def _groups(rows: list[tuple[WantlistAlert, WantlistEntry, Item, ItemVariation]]) -> list[DigestGroup]:
    from storefront.catalog.links import product_slug
    from storefront.core.money import format_money

    by_entry: dict[int, tuple[WantlistEntry, list[dict[str, str]]]] = {}
    for alert, entry, item, variation in rows:
        slug = product_slug(item.artist, item.title or item.name)
        url = public_url("catalog.product", item_id=item.id, **({"slug": slug} if slug else {}))
        copy = {"name": item.name, "variation": variation.name, "grade": alert.grade, "url": url,
                "price": format_money(alert.price_amount, alert.currency) if alert.price_amount is not None else ""}
        by_entry.setdefault(entry.id, (entry, []))[1].append(copy)
    return [DigestGroup(describe(entry), conditions(entry), copies,
                        public_url("wantlist.unsubscribe", token=unsubscribe_token(entry_id=entry.id)))
            for entry, copies in by_entry.values()]


def send_digest(recipient: str, now: datetime) -> bool:
    """One shopper's digest: claim the window and the pending alerts and store the email, in one
    transaction (queue_email commits it). False when another run has it, or nothing is pending."""
    try:
        if not _claim_window(recipient, now):
            db.session.rollback()
            return False
        rows = _claim_alerts(recipient, now)
        if not rows:
            db.session.rollback()  # nothing to say: keep the window open for the next match
            return False
        address = _address(recipient)
        if address is None:  # the account is gone: the alerts are used up, nothing is sent
            db.session.commit()
            return False
        groups = _groups(rows)
        unsubscribe_all = public_url("wantlist.unsubscribe", token=unsubscribe_token(recipient=recipient))
        count = sum(len(g.copies) for g in groups)
        subject = (f"Back in stock: {groups[0].copies[0]['name']}" if count == 1
                   else f"Back in stock: {count} records from your wantlist")
        queue_email(address, subject, "wantlist/digest", kind="wantlist.digest", html_template="wantlist/digest",
                    list_unsubscribe=unsubscribe_all, groups=groups, unsubscribe_all=unsubscribe_all,
                    wantlist_url=public_url("wantlist.index"))
        return True
    except Exception:
        db.session.rollback()
        raise


# --- staff: demand ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Demand:
    item: Item
    followers: int
    min_grades: list[str]
    max_prices: list[int]
    lowest_max_price: int | None
    highest_max_price: int | None


def release_demand(limit: int = 200) -> list[Demand]:
    """Releases by how many confirmed shoppers follow them, with the grades and prices they ask for."""
    rows = db.session.execute(
        select(WantlistEntry.item_id, WantlistEntry.min_grade, WantlistEntry.max_price)
        .where(WantlistEntry.kind == "release", WantlistEntry.confirmed_at.is_not(None),
               WantlistEntry.item_id.is_not(None))).all()
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.item_id, []).append(row)
    top = sorted(grouped, key=lambda item_id: (-len(grouped[item_id]), item_id))[:limit]
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(top or [0])))}
    result = []
    for item_id in top:
        if item_id not in items:
            continue
        entries = grouped[item_id]
        grades = sorted({r.min_grade or "any" for r in entries},
                        key=lambda g: -GRADE_RANK.get(g, 0))
        prices = sorted(r.max_price for r in entries if r.max_price is not None)
        result.append(Demand(items[item_id], len(entries), grades, prices,
                             prices[0] if prices else None, prices[-1] if prices else None))
    return result
