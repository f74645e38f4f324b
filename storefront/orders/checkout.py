"""Checkout: validate against live ECS stock, hold it locally, create one hosted payment link."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from storefront.cart.models import Cart
from storefront.cart.services import CartView, view_cart
from storefront.catalog.models import Item, ItemVariation
from storefront.catalog.stock import apply_inventory_counts, refresh_item_stock
from storefront.core.addresses import to_square_address
from storefront.core.errors import Conflict, FieldError, ServiceUnavailable, ValidationError
from storefront.coupons.services import redeem
from storefront.coupons.services import release as release_coupon
from storefront.db.timestamps import utcnow
from storefront.ecs.errors import ECSError, ECSNotFound
from storefront.ecs.provider import ecs_client, shop_location_id
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine, Reservation, StockHold
from storefront.orders.numbers import new_order_number
from storefront.orders.quote import CheckoutDetails, CheckoutQuote, order_coupon, quote, square_order
from storefront.shipping.services import shipping_enabled

log = logging.getLogger("storefront.orders")


class OutOfStock(Conflict):
    code = "out_of_stock"


@dataclass(frozen=True)
class Buyer:
    """Who is paying: a signed-in customer, or a guest (``customer_id`` None) known by email."""

    customer_id: int | None
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
    """Give back the units an order held (idempotent: each reservation is released once); an order
    that ends unpaid also gives back its coupon redemption."""
    if reason != "paid" and order.coupon_code:
        release_coupon(order.id)
    now = utcnow()
    for reservation in db.session.scalars(select(Reservation).where(
            Reservation.order_id == order.id, Reservation.released_at.is_(None))
            .order_by(Reservation.variation_id)):  # one lock order for the hold rows (see above)
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


def checkout_key(cart: Cart, details: CheckoutDetails) -> str:
    """The same cart content with the same details can become only one order (double submits, Back)."""
    return f"{cart.id}:{cart.version}:{details.fingerprint()}"


def checkout(cart: Cart, buyer: Buyer, details: CheckoutDetails, *,
             redirect_url: Callable[[Order], str]) -> Order:
    """Turn the cart into a pending order with held stock and an ECS payment link.

    Submitting the same cart with the same details again (a double click, or Back from the payment
    page) resumes the same order and link; a changed cart or changed details cancel the old pending
    order (its stock released, its link deleted in the ECS) and start a new one.
    """
    key = checkout_key(cart, details)
    existing = db.session.scalar(select(Order).where(Order.checkout_key == key))
    if existing is not None:
        return _existing_checkout(key, buyer, redirect_url)

    view = view_cart(cart)
    if not view.lines:
        raise ValidationError("Your cart is empty.", details=[FieldError("cart", "Add something first.")])
    if any(line.is_deleted for line in view.lines):
        raise ValidationError("Remove items that are no longer available, then check out.",
                              details=[FieldError("cart", p) for p in view.problems])

    variations = {line.variation_id: line for line in view.lines}
    rows = db.session.execute(select(ItemVariation.id, ItemVariation.ecs_id, ItemVariation.track_inventory,
                                     ItemVariation.sold_out).where(ItemVariation.id.in_(variations))).all()
    ecs_ids = {vid: ecs_id for vid, ecs_id, _tracked, _sold_out in rows}
    sold_out = {vid for vid, _ecs, _tracked, out in rows if out}
    uncounted = {vid for vid, _ecs, tracked, out in rows if not tracked and not out}
    priced = _price(view, details, buyer)
    live = _confirmed_stock([ecs_ids[v] for v in variations if v not in uncounted and v not in sold_out])
    live.update({ecs_ids[v]: 0 for v in sold_out})  # marked sold out in the ECS: none to sell

    _cancel_superseded(cart, key)
    order = _new_order(cart, buyer, view, details, key, priced)
    try:
        db.session.flush()  # claims the checkout key: a concurrent double submit stops here
    except IntegrityError:
        db.session.rollback()
        return _existing_checkout(key, buyer, redirect_url)
    shortages = _add_lines_holding_stock(order, view, ecs_ids, live, uncounted)
    order.ships_on = _ships_on(order)
    if shortages:
        db.session.rollback()
        raise OutOfStock("Some items just sold out or ran low; your cart has been updated.", details=shortages)
    db.session.flush()
    for line in order.lines:
        if line.variation_id not in uncounted:  # nothing to hold of what the ECS does not count
            db.session.add(Reservation(order_id=order.id, variation_id=line.variation_id, quantity=line.quantity,
                                       expires_at=order.reserved_until))
    if priced.coupon is not None:
        redeem(priced.coupon, order_id=order.id, email=buyer.email, customer_id=buyer.customer_id)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _existing_checkout(key, buyer, redirect_url)
    return ensure_payment_link(order, redirect_url)


def _price(view: CartView, details: CheckoutDetails, buyer: Buyer) -> CheckoutQuote:
    """The local quote (rates, coupon); any problem is the shopper's to fix before payment."""
    priced = quote(view, details, customer_id=buyer.customer_id)
    if shipping_enabled() and priced.rate is None and "shipping_method" not in priced.errors:
        priced.errors.setdefault("shipping_method", "Choose a delivery option.")
    if priced.rate is not None and not priced.rate.is_pickup and details.address is None:
        priced.errors["line1"] = "Enter the address we should send your records to."
    if priced.errors:
        raise ValidationError(next(iter(priced.errors.values())),
                              details=[FieldError(k, v) for k, v in priced.errors.items()])
    return priced


def _confirmed_stock(ecs_ids: list[str]) -> dict[str, int]:
    try:
        live = live_counts(ecs_ids, shop_location_id())
    except ECSError as exc:
        db.session.rollback()
        raise ServiceUnavailable("We couldn't confirm stock with our shop system just now. Please try again.") \
            from exc
    db.session.commit()
    return live


def _new_order(cart: Cart, buyer: Buyer, view: CartView, details: CheckoutDetails, key: str,
               priced: CheckoutQuote) -> Order:
    """A pending order for the cart's current content, reserving its stock for the checkout window."""
    window = timedelta(minutes=int(current_app.config["CHECKOUT_RESERVATION_MINUTES"]))
    rate = priced.rate
    order = Order(
        number=new_order_number(), customer_id=buyer.customer_id, email=buyer.email,
        status="pending_payment", currency=view.currency, subtotal_amount=view.subtotal,
        total_amount=priced.total, discount_amount=priced.discount,
        shipping_amount=rate.amount if rate else 0, shipping_method=rate.name if rate else "",
        shipping_address=None if rate is None or rate.is_pickup else details.address,
        coupon_code=priced.coupon.code if priced.coupon else "", idempotency_key=uuid.uuid4().hex,
        checkout_key=key, cart_id=cart.id, reserved_until=utcnow() + window)
    db.session.add(order)
    return order


def _ships_on(order: Order) -> date | None:
    """A pre-order ships when its last record is released (None: nothing of it is still to come)."""
    dates = db.session.scalars(select(Item.release_date).where(
        Item.id.in_([line.item_id for line in order.lines if line.item_id]), Item.release_date > date.today()))
    return max(dates, default=None)


def _add_lines_holding_stock(order: Order, view: CartView, ecs_ids: dict[int, str], live: dict[str, int],
                             uncounted: set[int]) -> list[FieldError]:
    """Copy the cart's lines onto the order, holding each counted line's units; the lines that fell short."""
    shortages: list[FieldError] = []
    for line in view.lines:
        order.lines.append(OrderLine(
            item_id=line.item_id, variation_id=line.variation_id, variation_ecs_id=ecs_ids[line.variation_id],
            name=line.name, variation_name=line.variation_name, quantity=line.quantity,
            unit_amount=line.unit_amount, currency=line.currency))
    # Hold in variation order: two carts holding the same records in different orders must lock
    # the hold rows in one order, or on PostgreSQL they can deadlock.
    for line in sorted(view.lines, key=lambda line: line.variation_id):
        if line.variation_id in uncounted:
            continue
        if not hold_units(line.variation_id, line.quantity, live[ecs_ids[line.variation_id]]):
            shortages.append(FieldError(f"variation:{line.variation_id}",
                                        f"{line.name}: not enough left to sell you {line.quantity}."))
    return shortages


def _existing_checkout(key: str, buyer: Buyer, redirect_url: Callable[[Order], str]) -> Order:
    """The order an earlier or concurrent submit of the same checkout created (waiting briefly for its commit)."""
    for _attempt in range(50):
        winner = db.session.scalar(select(Order).where(Order.checkout_key == key))
        if winner is not None:
            if winner.customer_id != buyer.customer_id:
                raise Conflict("This cart is being checked out by someone else.")
            return ensure_payment_link(winner, redirect_url)
        db.session.rollback()
        time.sleep(0.05)
    raise Conflict("Another checkout of this cart is in progress; try again in a moment.")


def _cancel_superseded(cart: Cart, key: str) -> None:
    """A changed cart (or changed details) makes its earlier unpaid order obsolete: cancel it, free its
    stock and coupon, delete its payment link in the ECS."""
    superseded: list[Order] = []
    for old in db.session.scalars(select(Order).where(
            Order.cart_id == cart.id, Order.status.in_(("pending_payment", "failed")), Order.checkout_key != key)):
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
    coupon = order_coupon(order)
    ecs_order = square_order(order.number, [(line.variation_ecs_id, line.quantity) for line in order.lines], coupon)
    fee = {"name": order.shipping_method, "charge": {"amount": order.shipping_amount, "currency": order.currency}} \
        if order.shipping_amount > 0 else None
    try:
        response = ecs_client().create_payment_link(
            order.idempotency_key, order=ecs_order, redirect_url=redirect_url(order), buyer_email=order.email,
            description=f"Order {order.number}", shipping_fee=fee,
            buyer_address=to_square_address(order.shipping_address) if order.shipping_address else None)
    except ECSError as exc:
        log.warning("payment link for %s failed: %s", order.number, exc)
        raise ServiceUnavailable("Our payment provider did not answer. Your items are held — try again.") from exc
    link = response.get("payment_link") or {}
    order.payment_link_id = link.get("id")
    order.payment_url = link.get("url") or link.get("long_url")
    order.ecs_order_id = link.get("order_id") or order.ecs_order_id
    for ecs_order in (response.get("related_resources") or {}).get("orders") or []:
        if ecs_order.get("id") == order.ecs_order_id:
            record_ecs_totals(order, ecs_order)
    db.session.commit()
    return order


def record_ecs_totals(order: Order, ecs_order: dict) -> None:
    """Keep what the ECS will charge (or charged): total, tax and discount, as it computed them."""
    def amount(name: str) -> int | None:
        value = (ecs_order.get(name) or {}).get("amount")
        return value if isinstance(value, int) else None
    total, tax, discount = amount("total_money"), amount("total_tax_money"), amount("total_discount_money")
    if total is not None:
        order.total_amount = total
    if tax is not None:
        order.tax_amount = tax
    if discount is not None:
        order.discount_amount = discount




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
