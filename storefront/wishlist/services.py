"""Wishlist use cases: a customer's saved items, a guest's list (ids kept by the caller), sharing.

Services take ids and plain lists; where a guest list lives (the browser session) is the
views' business. Deleted items stay on a list, flagged unavailable, until the owner removes them.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from storefront.catalog.models import Item
from storefront.core.errors import NotFound, ValidationError
from storefront.extensions import db
from storefront.web.pagination import PageRequest
from storefront.wishlist.models import WishlistEntry, WishlistShare

# A customer's list is bounded too, so one account cannot grow a table without limit.
MAX_ACCOUNT_ITEMS = 1000
MAX_ITEM_ID = 2**31 - 1
SHARE_SALT = "wishlist-share"


@dataclass(frozen=True)
class WishlistLine:
    """One item on a list as the pages and the API show it."""

    item: Item
    added_at: datetime | None = None

    @property
    def available(self) -> bool:
        return not self.item.is_deleted

    @property
    def in_stock(self) -> bool:
        return self.available and self.item.in_stock


# --- items -------------------------------------------------------------------------------------

def parse_item_id(raw: Any) -> int:
    """An item id from a form field or JSON value; anything else is a 422 on ``item_id``."""
    if isinstance(raw, bool):
        raise ValidationError.for_field("item_id", "item_id must be a whole number")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit() and len(raw.strip()) <= 18:
        value = int(raw.strip())  # isascii: "²".isdigit() is true but int("²") fails
    else:
        raise ValidationError.for_field("item_id", "item_id must be a whole number")
    if value < 1 or value > MAX_ITEM_ID:  # ids are 32-bit integer columns
        raise ValidationError.for_field("item_id", "item_id must be a whole number")
    return value


def available_item(item_id: int) -> Item:
    """The item, if it exists and is still sold; NotFound otherwise."""
    item = db.session.get(Item, item_id)
    if item is None or item.is_deleted:
        raise NotFound("That item does not exist or is no longer sold.")
    return item


# --- a customer's list ---------------------------------------------------------------------------

def wishlist_item_ids(customer_id: int) -> set[int]:
    """Ids of every item on the customer's list (for membership checks on product cards)."""
    return set(db.session.scalars(select(WishlistEntry.item_id).where(WishlistEntry.customer_id == customer_id)))


def count_entries(customer_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(WishlistEntry)
                             .where(WishlistEntry.customer_id == customer_id)) or 0


def list_lines(customer_id: int, page: PageRequest | None = None, *,
               available_only: bool = False) -> tuple[list[WishlistLine], int]:
    """The customer's list, newest first, and its total size."""
    query = select(WishlistEntry).where(WishlistEntry.customer_id == customer_id)
    if available_only:
        query = query.join(Item, Item.id == WishlistEntry.item_id).where(Item.is_deleted.is_(False))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.order_by(WishlistEntry.added_at.desc(), WishlistEntry.id.desc())
    if page is not None:
        query = query.offset(page.offset).limit(page.limit)
    entries = db.session.scalars(query).unique().all()
    return [WishlistLine(e.item, e.added_at) for e in entries], total


def _entry(customer_id: int, item_id: int) -> WishlistEntry | None:
    return db.session.scalar(select(WishlistEntry).where(WishlistEntry.customer_id == customer_id,
                                                         WishlistEntry.item_id == item_id))


def add_item(customer_id: int, item_id: int) -> tuple[WishlistLine, bool]:
    """Save an item on the customer's list; returns the line and whether it was new."""
    item = available_item(item_id)
    existing = _entry(customer_id, item_id)
    if existing is not None:
        return WishlistLine(item, existing.added_at), False
    if count_entries(customer_id) >= MAX_ACCOUNT_ITEMS:
        raise ValidationError.for_field("item_id", f"A wishlist holds at most {MAX_ACCOUNT_ITEMS} items.")
    entry = WishlistEntry(customer_id=customer_id, item_id=item_id)
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError:  # the same item added twice at once: the other request won
        db.session.rollback()
        existing = _entry(customer_id, item_id)
        if existing is None:
            raise
        return WishlistLine(existing.item, existing.added_at), False
    return WishlistLine(item, entry.added_at), True


def remove_item(customer_id: int, item_id: int) -> bool:
    """Take an item off the customer's list; False when it was not there."""
    result = db.session.execute(delete(WishlistEntry).where(WishlistEntry.customer_id == customer_id,
                                                            WishlistEntry.item_id == item_id))
    db.session.commit()
    return bool(getattr(result, "rowcount", 0))


def merge_guest_items(customer_id: int, item_ids: Iterable[int]) -> int:
    """Add a guest list to the customer's (on login); unknown/deleted items are skipped. Returns the count added."""
    have = wishlist_item_ids(customer_id)
    room = MAX_ACCOUNT_ITEMS - len(have)
    wanted = [i for i in dict.fromkeys(item_ids) if i not in have]
    if not wanted or room <= 0:
        return 0
    alive = set(db.session.scalars(select(Item.id).where(Item.id.in_(wanted), Item.is_deleted.is_(False))))
    added = 0
    for item_id in wanted:
        if item_id not in alive or added >= room:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(WishlistEntry(customer_id=customer_id, item_id=item_id))
            added += 1
        except IntegrityError:
            pass  # already there (a concurrent add); nothing to merge
    db.session.commit()
    return added


# --- a guest's list (the caller stores the ids) ------------------------------------------------------

def clean_guest_ids(raw: Any, max_items: int) -> list[int]:
    """Whatever a session holds, as a list of distinct positive ids (at most ``max_items``)."""
    if not isinstance(raw, list):
        return []
    ids = [v for v in raw if isinstance(v, int) and not isinstance(v, bool) and v > 0]
    return list(dict.fromkeys(ids))[:max_items]


def guest_add(ids: Sequence[int], item_id: int, max_items: int) -> list[int]:
    """The guest list with ``item_id`` added (newest first); a full list is a ValidationError."""
    available_item(item_id)
    if item_id in ids:
        return list(ids)
    if len(ids) >= max_items:
        raise ValidationError.for_field(
            "item_id", f"Your wishlist is full ({max_items} items). Log in to keep a bigger one.")
    return [item_id, *ids]


def guest_remove(ids: Sequence[int], item_id: int) -> list[int]:
    return [i for i in ids if i != item_id]


def guest_lines(ids: Sequence[int]) -> list[WishlistLine]:
    """Lines for a guest list in its order; ids of items that no longer exist at all are dropped."""
    if not ids:
        return []
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(list(ids))))}
    return [WishlistLine(items[i]) for i in ids if i in items]


# --- sharing ---------------------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SHARE_SALT)


def _share_row(customer_id: int) -> WishlistShare | None:
    return db.session.get(WishlistShare, customer_id)


def share_token(customer_id: int) -> str | None:
    """The customer's current share token, or None while the list is not shared."""
    row = _share_row(customer_id)
    if row is None or not row.nonce:
        return None
    return _serializer().dumps([customer_id, row.nonce])


def start_sharing(customer_id: int) -> str:
    """Share the list read-only: returns the signed token (the same one until revoked)."""
    row = _share_row(customer_id)
    if row is None:
        row = WishlistShare(customer_id=customer_id)
        db.session.add(row)
    if not row.nonce:
        row.nonce = secrets.token_urlsafe(16)
        db.session.commit()
    token = share_token(customer_id)
    assert token is not None
    return token


def stop_sharing(customer_id: int) -> None:
    """Revoke the share link: every link given out so far stops working."""
    row = _share_row(customer_id)
    if row is not None and row.nonce:
        row.nonce = None
        db.session.commit()


def shared_customer_id(token: str) -> int:
    """The owner of a shared list, if ``token`` is a live share link; NotFound otherwise."""
    missing = NotFound("This wishlist link is not valid, or its owner stopped sharing it.")
    if not token or len(token) > 200:
        raise missing
    try:
        customer_id, nonce = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise missing from None
    if not isinstance(customer_id, int) or not isinstance(nonce, str):
        raise missing
    row = _share_row(customer_id)
    if row is None or not row.nonce or not hmac.compare_digest(row.nonce, nonce):
        raise missing
    return customer_id


def shared_wishlist(token: str) -> list[WishlistLine]:
    """The items still sold on the list a share link opens (NotFound for a dead link); read-only."""
    lines, _total = list_lines(shared_customer_id(token), available_only=True)
    return lines
