"""Order lookups: status by number + email, a customer's history, staff lists and updates."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from storefront.cart.models import Cart
from storefront.catalog.media import covers
from storefront.catalog.models import Item, ItemDetail
from storefront.core.errors import FieldError, NotFound, PermissionDenied, ValidationError
from storefront.ecs.errors import ECSError
from storefront.extensions import db
from storefront.orders.checkout import Buyer, checkout, withdraw_payment_link
from storefront.orders.lifecycle import move
from storefront.orders.models import ORDER_STATUSES, Order
from storefront.orders.numbers import normalise_order_number
from storefront.orders.quote import CheckoutDetails
from storefront.web.pagination import PageRequest, Window
from storefront.web.urls import public_url

log = logging.getLogger("storefront.orders")
THUMB_WIDTH = 160  # the smallest rendition the media route cuts

NOT_FOUND_MESSAGE = "We couldn't find an order with that number and email address."
STATUS_LINK_MAX_AGE = 60 * 60 * 24 * 90
_DUMMY_EMAIL = "nobody@invalid.example"


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def lookup_order(number: str, email: str) -> Order:
    """The order with this number and email; the same NotFound whether the number or the email is wrong."""
    errors = []
    if not number or not number.strip():
        errors.append(FieldError("number", "Enter your order number."))
    if not email or "@" not in email:
        errors.append(FieldError("email", "Enter the email address you ordered with."))
    if errors:
        raise ValidationError("Enter your order number and email address.", details=errors)
    order = db.session.scalar(select(Order).options(selectinload(Order.lines))
                              .where(Order.number == normalise_order_number(number)))
    # Compare even when there is no order, so both failures take the same path and time.
    stored = _normalise_email(order.email) if order else _DUMMY_EMAIL
    matches = hmac.compare_digest(stored.encode(), _normalise_email(email).encode())
    if order is None or not matches:
        raise NotFound(NOT_FOUND_MESSAGE, code="order_not_found")
    return order


class _StampedSigner(TimestampSigner):
    """A timestamp signer whose stamp is given (an order's creation time) rather than "now"."""

    def __init__(self, *args: Any, stamp: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stamp = stamp

    def get_timestamp(self) -> int:
        return super().get_timestamp() if self.stamp is None else self.stamp


def _serializer(stamp: int | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="order-status-link",
                                  signer=_StampedSigner, signer_kwargs={"stamp": stamp})


def status_link_token(order: Order) -> str:
    """A signed token that opens this order's status page directly (sent in the confirmation email).

    It is stamped with the order's creation time, so the same order always gets the same token:
    the checkout's redirect URL carries it, and a payment link retried under the same idempotency
    key must be the very same request (a token minted a second later made it a different one).
    The link stays valid for STATUS_LINK_MAX_AGE from the order.
    """
    stamp = int(order.created_at.timestamp()) if order.created_at else None
    return _serializer(stamp).dumps({"n": order.number, "e": _normalise_email(order.email)})


def confirmation_url(order: Order) -> str:
    """Where the hosted checkout sends the shopper back (on PUBLIC_BASE_URL, not the Host header)."""
    return public_url("orders.confirmation", token=status_link_token(order))


def check_out_cart(cart: Cart, buyer: Buyer, details: CheckoutDetails) -> Order:
    """The use case behind checkout on the pages and the API: the cart must be the buyer's (or a
    guest cart); a customer claims it, then it is checked out with the shop's confirmation page as
    the return URL. A guest's cart stays a guest cart (and survives a later login)."""
    if cart.customer_id not in (None, buyer.customer_id):
        raise PermissionDenied("That cart belongs to someone else.")
    if buyer.customer_id is not None:
        cart.customer_id = buyer.customer_id
    return checkout(cart, buyer, details, redirect_url=confirmation_url)


def customer_order(customer_id: int, number: str) -> Order:
    """One of this customer's orders; another customer's number is the same NotFound as none."""
    order = db.session.scalar(select(Order).options(selectinload(Order.lines), selectinload(Order.refunds))
                              .where(Order.number == normalise_order_number(number),
                                     Order.customer_id == customer_id))
    if order is None:
        raise NotFound("We couldn't find that order in your account.", code="order_not_found")
    return order


def line_images(order: Order) -> dict[int, str]:
    """Cover thumbnails of the order's records (item id → URL), where the catalog has one."""
    ids = [line.item_id for line in order.lines if line.item_id]
    if not ids:
        return {}
    rows = db.session.execute(select(Item.id, Item.ecs_images, ItemDetail.images, ItemDetail.photos)
                              .outerjoin(ItemDetail, ItemDetail.item_id == Item.id).where(Item.id.in_(ids)))
    found = {item_id: next(iter(covers(ecs, enriched, width=THUMB_WIDTH, thumbnail=True, photos=photos)), None)
             for item_id, ecs, enriched, photos in rows}
    return {item_id: cover.src for item_id, cover in found.items() if cover}


def order_from_status_token(token: str) -> Order:
    try:
        data = _serializer().loads(token, max_age=STATUS_LINK_MAX_AGE)
    except (BadSignature, SignatureExpired):
        raise NotFound("That order link is invalid or has expired. Look the order up by number instead.") from None
    return lookup_order(data.get("n", ""), data.get("e", ""))


def order_history(customer_id: int, page: PageRequest | Window) -> tuple[list[Order], int]:
    """A customer's own orders, newest first."""
    base = select(Order).where(Order.customer_id == customer_id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    orders = db.session.scalars(base.options(selectinload(Order.lines))
                                .order_by(Order.created_at.desc(), Order.id.desc())
                                .offset(page.offset).limit(page.limit)).all()
    return list(orders), total


@dataclass(frozen=True)
class OrderFilters:
    status: str | None = None
    email: str | None = None
    number: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def parse_order_filters(args: dict[str, str]) -> OrderFilters:
    errors: list[FieldError] = []
    status = (args.get("status") or "").strip() or None
    if status and status not in ORDER_STATUSES:
        errors.append(FieldError("status", f"status must be one of {', '.join(ORDER_STATUSES)}"))

    def parse_date(name: str) -> date | None:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append(FieldError(name, f"{name} must be a date like 2026-11-23"))
            return None

    filters = OrderFilters(status=status, email=(args.get("email") or "").strip().lower() or None,
                           number=(args.get("number") or "").strip() or None,
                           date_from=parse_date("date_from"), date_to=parse_date("date_to"))
    if errors:
        raise ValidationError("Check the order filters.", details=errors)
    return filters


def staff_orders(filters: OrderFilters, page: PageRequest) -> tuple[list[Order], int]:
    query = select(Order)
    if filters.status:
        query = query.where(Order.status == filters.status)
    if filters.email:
        query = query.where(func.lower(Order.email) == filters.email)
    if filters.number:
        query = query.where(Order.number == normalise_order_number(filters.number))
    if filters.date_from:
        query = query.where(Order.created_at >= datetime.combine(filters.date_from, time.min, UTC))
    if filters.date_to:
        query = query.where(Order.created_at < datetime.combine(filters.date_to + timedelta(days=1), time.min, UTC))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    orders = db.session.scalars(query.options(selectinload(Order.lines))
                                .order_by(Order.created_at.desc(), Order.id.desc())
                                .offset(page.offset).limit(page.limit)).all()
    return list(orders), total


def get_order(order_id: int) -> Order:
    order = db.session.get(Order, order_id, options=[selectinload(Order.lines)])
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    return order


STAFF_STATUSES = ("fulfilled", "completed", "cancelled")


def _withdraw_link(order: Order) -> None:
    """A cancelled unpaid order's link should not take money; if the ECS is down, a late payment is refunded."""
    try:
        withdraw_payment_link(order)
    except ECSError:
        log.warning("could not delete the payment link of cancelled order %s", order.number, exc_info=True)


def staff_update_order(order: Order, *, actor: object, status: str | None = None,
                       tracking_number: str | None = None, note: str | None = None) -> list[str]:
    """Apply a staff change with valid transitions only; returns what changed (each audited)."""
    from storefront.orders.checkout import release_holds

    changes: list[str] = []
    errors: list[FieldError] = []
    if status is not None and status != order.status and status not in STAFF_STATUSES:
        errors.append(FieldError("status", f"Staff can set status to {', '.join(STAFF_STATUSES)}."))
    if tracking_number is not None and len(tracking_number) > 100:
        errors.append(FieldError("tracking_number", "Tracking numbers are at most 100 characters."))
    if note is not None and len(note) > 2000:
        errors.append(FieldError("note", "Notes are at most 2,000 characters."))
    if errors:
        raise ValidationError("Check the order changes.", details=errors)
    if status is not None and status != order.status:
        before = order.status
        move(order, status)  # raises InvalidTransition (409) for anything not allowed
        if status == "cancelled":
            release_holds(order, "cancelled")
            if before in ("pending_payment", "failed"):
                _withdraw_link(order)
        changes.append(f"status {before} → {status}")
    if tracking_number is not None and tracking_number.strip() != order.tracking_number:
        order.tracking_number = tracking_number.strip()
        changes.append(f"tracking number set to {order.tracking_number or '(none)'}")
    if note and note.strip():
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
        order.staff_note = f"{order.staff_note}\n[{stamp}] {note.strip()}".strip()
        changes.append("note added")
    if changes:
        _audit(actor, order, changes)
    db.session.commit()
    return changes


def _audit(actor: object, order: Order, changes: list[str]) -> None:
    try:
        from storefront.audit.services import record
    except ImportError:
        return
    for change in changes:
        record(actor, "order.update", target_type="order", target_id=str(order.number), details={"change": change})
