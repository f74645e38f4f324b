"""Checkout: validate against live ECS stock, hold it locally, create one hosted payment link."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from storefront.cart.models import Cart
from storefront.cart.services import CartView, view_cart
from storefront.catalog.models import ItemVariation
from storefront.catalog.stock import apply_inventory_counts, refresh_item_stock
from storefront.core.errors import Conflict, FieldError, ServiceUnavailable, ValidationError
from storefront.db.timestamps import utcnow
from storefront.ecs.errors import ECSError, ECSNotFound
from storefront.ecs.provider import ecs_client, shop_location_id
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine, Reservation, StockHold
from storefront.orders.numbers import new_order_number

log = logging.getLogger("storefront.orders")


class OutOfStock(Conflict):
    code = "out_of_stock"


@dataclass(frozen=True)
class Buyer:
    customer_id: int
    email: str


def hold_units(variation_id: int, quantity: int, live: int) -> bool:
    """Atomically add ``quantity`` to the variation's hold unless that would exceed ``live``."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(StockHold).values(variation_id=variation_id, held=0)
                       .on_conflict_do_nothing(index_elements=["variation_id"]))
    result = db.session.execute(
        update(StockHold)
        .where(StockHold.variation_id == variation_id, StockHold.held + quantity <= live)
        .values(held=StockHold.held + quantity),
        execution_options={"synchronize_session": False})
    return result.rowcount == 1


def release_holds(order: Order, reason: str) -> None:
    """Give back the units an order held (idempotent: each reservation is released once)."""
    now = utcnow()
    for reservation in db.session.scalars(select(Reservation).where(
            Reservation.order_id == order.id, Reservation.released_at.is_(None))):
        released = db.session.execute(
            update(Reservation).where(Reservation.id == reservation.id, Reservation.released_at.is_(None))
            .values(released_at=now, release_reason=reason), execution_options={"synchronize_session": False})
        if released.rowcount == 1:
            db.session.execute(
                update(StockHold).where(StockHold.variation_id == reservation.variation_id)
                .values(held=StockHold.held - reservation.quantity),
                execution_options={"synchronize_session": False})


def live_counts(variation_ecs_ids: list[str], location_id: str) -> dict[str, int]:
    counts = ecs_client().batch_retrieve_inventory_counts(
        variation_ecs_ids, location_ids=[location_id], states=["IN_STOCK"])
    live = {ecs_id: 0 for ecs_id in variation_ecs_ids}
    for count in counts:
        if count.get("location_id") == location_id and count.get("state", "IN_STOCK") == "IN_STOCK":
            live[str(count["catalog_object_id"])] = int(float(count.get("quantity") or 0))
    # What the ECS just confirmed is the best stock figure we have: keep the catalog in step.
    outcome = apply_inventory_counts(counts)
    refresh_item_stock(location_id, outcome.item_ids)
    return live


def checkout(cart: Cart, buyer: Buyer, *, redirect_url: Callable[[Order], str]) -> Order:
    """Turn the cart into a pending order with held stock and an ECS payment link.

    Double submits of the same cart return the same order (and so the same link).
    """
    existing = db.session.scalar(select(Order).where(Order.checkout_key == f"{cart.id}:{cart.version}"))
    if existing is not None:
        return _existing_checkout(cart, buyer, redirect_url)

    view = view_cart(cart)
    if not view.lines:
        raise ValidationError("Your cart is empty.", details=[FieldError("cart", "Add something first.")])
    if any(line.is_deleted for line in view.lines):
        raise ValidationError("Remove items that are no longer available, then check out.",
                              details=[FieldError("cart", p) for p in view.problems])

    location_id = shop_location_id()
    variations = {line.variation_id: line for line in view.lines}
    ecs_ids = dict(db.session.execute(select(ItemVariation.id, ItemVariation.ecs_id)
                                      .where(ItemVariation.id.in_(variations))).all())
    try:
        live = live_counts([ecs_ids[v] for v in variations], location_id)
    except ECSError as exc:
        db.session.rollback()
        raise ServiceUnavailable("We couldn't confirm stock with our shop system just now. Please try again.") \
            from exc
    db.session.commit()

    _cancel_superseded(cart, buyer)
    order = _new_order(cart, buyer, view)
    try:
        db.session.flush()  # claims the cart's checkout key: a concurrent double submit stops here
    except IntegrityError:
        db.session.rollback()
        return _existing_checkout(cart, buyer, redirect_url)
    shortages = _add_lines_holding_stock(order, view, ecs_ids, live)
    if shortages:
        db.session.rollback()
        raise OutOfStock("Some items just sold out or ran low; your cart has been updated.", details=shortages)
    db.session.flush()
    for line in order.lines:
        db.session.add(Reservation(order_id=order.id, variation_id=line.variation_id, quantity=line.quantity,
                                   expires_at=order.reserved_until))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _existing_checkout(cart, buyer, redirect_url)
    return ensure_payment_link(order, redirect_url)


def _new_order(cart: Cart, buyer: Buyer, view: CartView) -> Order:
    """A pending order for the cart's current version, reserving its stock for the checkout window."""
    window = timedelta(minutes=int(current_app.config["CHECKOUT_RESERVATION_MINUTES"]))
    order = Order(
        number=new_order_number(), customer_id=buyer.customer_id, email=buyer.email,
        status="pending_payment", currency=view.currency, subtotal_amount=view.subtotal,
        total_amount=view.subtotal, idempotency_key=uuid.uuid4().hex,
        checkout_key=f"{cart.id}:{cart.version}", cart_id=cart.id, reserved_until=utcnow() + window)
    db.session.add(order)
    return order


def _add_lines_holding_stock(order: Order, view: CartView, ecs_ids: dict[int, str],
                             live: dict[str, int]) -> list[FieldError]:
    """Copy the cart's lines onto the order, holding each line's units; the lines that fell short."""
    shortages: list[FieldError] = []
    for line in view.lines:
        order.lines.append(OrderLine(
            item_id=line.item_id, variation_id=line.variation_id, variation_ecs_id=ecs_ids[line.variation_id],
            name=line.name, variation_name=line.variation_name, quantity=line.quantity,
            unit_amount=line.unit_amount, currency=line.currency))
        if not hold_units(line.variation_id, line.quantity, live[ecs_ids[line.variation_id]]):
            shortages.append(FieldError(f"variation:{line.variation_id}",
                                        f"{line.name}: not enough left to sell you {line.quantity}."))
    return shortages


def _existing_checkout(cart: Cart, buyer: Buyer, redirect_url: Callable[[Order], str]) -> Order:
    """The order a concurrent submit of the same cart created (waiting briefly for its commit)."""
    for _attempt in range(50):
        winner = db.session.scalar(select(Order).where(Order.checkout_key == f"{cart.id}:{cart.version}"))
        if winner is not None:
            if winner.customer_id != buyer.customer_id:
                raise Conflict("This cart is being checked out by someone else.")
            return ensure_payment_link(winner, redirect_url)
        db.session.rollback()
        time.sleep(0.05)
    raise Conflict("Another checkout of this cart is in progress; try again in a moment.")


def _cancel_superseded(cart: Cart, buyer: Buyer) -> None:
    """A changed cart makes its earlier unpaid order obsolete: cancel it, free its stock, delete its link."""
    superseded: list[Order] = []
    for old in db.session.scalars(select(Order).where(
            Order.cart_id == cart.id, Order.customer_id == buyer.customer_id,
            Order.status == "pending_payment", Order.checkout_key != f"{cart.id}:{cart.version}")):
        old.status = "cancelled"
        old.staff_note = (old.staff_note + "\nSuperseded by a newer checkout of the same cart.").strip()
        release_holds(old, "superseded")
        superseded.append(old)
    db.session.commit()
    for old in superseded:
        try:
            withdraw_payment_link(old)
        except ECSError:  # the link may stay payable a while; a late payment is handled (orders/late.py)
            log.warning("could not delete the payment link of superseded order %s", old.number, exc_info=True)


def ensure_payment_link(order: Order, redirect_url: Callable[[Order], str]) -> Order:
    """Create the ECS payment link once; retries reuse the order's idempotency key."""
    if order.payment_url or order.status != "pending_payment":
        return order
    line_items = [{"catalog_object_id": line.variation_ecs_id, "quantity": str(line.quantity)}
                  for line in order.lines]
    try:
        response = ecs_client().create_payment_link(
            order.idempotency_key,
            order={"location_id": shop_location_id(), "reference_id": order.number, "line_items": line_items},
            redirect_url=redirect_url(order), buyer_email=order.email,
            description=f"Order {order.number}")
    except ECSError as exc:
        log.warning("payment link for %s failed: %s", order.number, exc)
        raise ServiceUnavailable("Our payment provider did not answer. Your items are held — try again.") from exc
    link = response.get("payment_link") or {}
    order.payment_link_id = link.get("id")
    order.payment_url = link.get("url") or link.get("long_url")
    order.ecs_order_id = link.get("order_id") or order.ecs_order_id
    for ecs_order in (response.get("related_resources") or {}).get("orders") or []:
        total = (ecs_order.get("total_money") or {}).get("amount")
        if ecs_order.get("id") == order.ecs_order_id and isinstance(total, int):
            order.total_amount = total
    db.session.commit()
    return order




def withdraw_payment_link(order: Order) -> None:
    """DeletePaymentLink, which also cancels the ECS order; a 404 means an earlier attempt did it.

    Square keeps a deleted link payable when a payment was already attempted on its order (the
    answer then has no ``cancelled_order_id``); orders/late.py handles a payment that still arrives.
    """
    if not order.payment_link_id:
        return
    try:
        answer = ecs_client().delete_payment_link(order.payment_link_id)
    except ECSNotFound:
        return
    if order.ecs_order_id and answer.get("cancelled_order_id") != order.ecs_order_id:
        log.info("order %s: payment link deleted, but the ECS kept order %s open (a payment was attempted)",
                 order.number, order.ecs_order_id)
