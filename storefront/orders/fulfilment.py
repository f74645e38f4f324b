"""Fulfilment by staff: ship or hand over paid orders, cancel unpaid ones, refund (with restock).

Every action is audited and tells the shopper by email, and each is safe to repeat: state moves
with a conditional UPDATE (only one of two concurrent clicks wins), and a refund's idempotency key
comes from the form's nonce (or the API's ``Idempotency-Key``), so a double-submitted form refunds
and restocks once.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import selectinload

from storefront.audit.services import actor_from
from storefront.audit.services import record as audit
from storefront.catalog.models import Item, ItemVariation
from storefront.catalog.stock import apply_inventory_counts, refresh_item_stock
from storefront.core.errors import Conflict, FieldError, ServiceUnavailable, ValidationError
from storefront.core.money import exponent, format_money
from storefront.db.timestamps import utcnow
from storefront.ecs.errors import ECSError
from storefront.ecs.provider import ecs_client, shop_location_id
from storefront.extensions import db
from storefront.orders.checkout import release_holds, withdraw_payment_link
from storefront.orders.emails import send_cancelled, send_collected, send_refunded, send_shipped
from storefront.orders.lifecycle import sync_with_ecs
from storefront.orders.models import Order, OrderLine, Refund
from storefront.orders.refunds import refundable_amount, request_refund
from storefront.web.pagination import PageRequest

log = logging.getLogger("storefront.orders")

UNPAID = ("pending_payment", "failed")
SHIPPED = ("fulfilled", "completed")
PAID_PAYMENT = ("completed", "partially_refunded", "refunded")
MAX_REASON = 192  # what Square keeps of a refund's reason
_TRACKING = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{0,98}[A-Za-z0-9]$|^[A-Za-z0-9]$")


# --- carriers -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Carrier:
    key: str
    name: str
    url: str | None  # "{number}" is replaced by the (URL-quoted) tracking number


CARRIERS: dict[str, Carrier] = {c.key: c for c in (
    Carrier("usps", "USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
    Carrier("ups", "UPS", "https://www.ups.com/track?loc=en_US&tracknum={number}"),
    Carrier("fedex", "FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}"),
    Carrier("dhl", "DHL", "https://www.dhl.com/global-en/home/tracking/tracking-express.html"
                          "?submit=1&tracking-id={number}"),
    Carrier("royal_mail", "Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/{number}"),
    Carrier("canada_post", "Canada Post", "https://www.canadapost-postescanada.ca/track-reperage/en"
                                          "#/search?searchFor={number}"),
    Carrier("other", "Other", None),
)}


def carrier_key(value: str | None) -> str | None:
    """The CARRIERS key for a key or a name, any case ("Royal Mail", "royal_mail"); None if unknown."""
    wanted = (value or "").strip().lower()
    return next((c.key for c in CARRIERS.values() if wanted in (c.key, c.name.lower())), None)


def carrier_name(order: Order) -> str:
    carrier = CARRIERS.get(order.carrier)
    return carrier.name if carrier else order.carrier


def tracking_url(order: Order) -> str | None:
    """Where the shopper can follow the parcel, when the carrier has a tracking page."""
    carrier = CARRIERS.get(order.carrier)
    if carrier is None or carrier.url is None or not order.tracking_number:
        return None
    return carrier.url.format(number=quote(order.tracking_number.replace(" ", ""), safe=""))


# --- what needs doing -----------------------------------------------------------------------

def _to_ship_query():  # noqa: ANN202 - a SQLAlchemy Select
    # A pre-order waits for its release date: it joins the list on the day it can ship.
    return select(Order).where(Order.status == "paid", Order.shipped_at.is_(None),
                               func.coalesce(Order.payment_status, "") != "refunded",
                               or_(Order.ships_on.is_(None), Order.ships_on <= date.today()))


def preorders_waiting() -> list[Order]:
    """Paid pre-orders whose release date has not come yet, soonest first (kept apart from "to ship")."""
    return list(db.session.scalars(select(Order).where(
        Order.status == "paid", Order.shipped_at.is_(None), Order.ships_on > date.today())
        .order_by(Order.ships_on, Order.id).limit(200)))


def orders_to_ship(page: PageRequest) -> tuple[list[Order], int]:
    """Paid orders not yet shipped or collected (nor refunded in full), oldest first."""
    query = _to_ship_query()
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    orders = db.session.scalars(query.options(selectinload(Order.lines))
                                .order_by(func.coalesce(Order.paid_at, Order.created_at), Order.id)
                                .offset(page.offset).limit(page.limit)).all()
    return list(orders), total


def is_pickup(order: Order) -> bool:
    return not order.shipping_address


def packing_details(order: Order) -> dict[int, dict[str, str]]:
    """Per order line: the record's format, catalog number and SKU (what a packer looks for)."""
    ids = [line.variation_id for line in order.lines if line.variation_id]
    rows = db.session.execute(
        select(ItemVariation.id, ItemVariation.sku, Item.format, Item.catalog_number, Item.artist)
        .join(Item, Item.id == ItemVariation.item_id).where(ItemVariation.id.in_(ids))).all() if ids else []
    found = {r.id: {"sku": r.sku, "format": r.format, "catalog_number": r.catalog_number, "artist": r.artist}
             for r in rows}
    empty = {"sku": "", "format": "", "catalog_number": "", "artist": ""}
    return {line.id: found.get(line.variation_id or 0, empty) for line in order.lines}


# --- ship, collect --------------------------------------------------------------------------

def _check_shipment(order: Order, carrier: str | None, tracking_number: str | None) -> tuple[str, str]:
    if is_pickup(order):
        raise Conflict("This is a pickup order with no shipping address: mark it collected instead.",
                       code="pickup_order")
    if order.status not in ("paid", *SHIPPED):
        raise Conflict(f"Only paid orders can be shipped; this one is {order.status.replace('_', ' ')}.",
                       code="not_paid")
    if order.status == "paid" and order.payment_status == "refunded":
        raise Conflict("This order was refunded in full: there is nothing to ship.", code="refunded")
    errors: list[FieldError] = []
    key = carrier_key(carrier)
    if key is None:
        errors.append(FieldError("carrier", f"Choose a carrier: {', '.join(c.name for c in CARRIERS.values())}."))
    number = " ".join((tracking_number or "").split())
    if number and not _TRACKING.match(number):
        errors.append(FieldError("tracking_number", "A tracking number is up to 100 letters, digits, spaces "
                                                    "and hyphens."))
    elif not number and key != "other":
        errors.append(FieldError("tracking_number", "Enter the tracking number from the label."))
    if errors:
        raise ValidationError("Check the shipment details.", details=errors)
    return key or "other", number


def mark_shipped(order: Order, *, actor: object, carrier: str | None, tracking_number: str | None) -> bool:
    """paid → fulfilled with carrier and tracking number, and the shopper gets the tracking link.

    The same carrier and number again changes nothing (False); a different one on a shipped order
    corrects it (audited, and the shopper gets the corrected link)."""
    key, number = _check_shipment(order, carrier, tracking_number)
    if order.status in SHIPPED and (order.carrier, order.tracking_number) == (key, number):
        return False
    correcting = order.status in SHIPPED
    claimed = db.session.execute(
        update(Order).where(Order.id == order.id, Order.status == order.status, Order.carrier == order.carrier,
                            Order.tracking_number == order.tracking_number)
        .values(status=order.status if correcting else "fulfilled", carrier=key, tracking_number=number,
                shipped_at=order.shipped_at or utcnow()), execution_options={"synchronize_session": False})
    if claimed.rowcount != 1:  # a concurrent click got there first
        db.session.rollback()
        db.session.refresh(order)
        return False
    audit(actor, "order.tracking_corrected" if correcting else "order.shipped", target_type="order",
          target_id=order.number, details={"carrier": key, "tracking_number": number})
    db.session.commit()
    db.session.refresh(order)
    send_shipped(order, carrier_name=carrier_name(order), tracking_url=tracking_url(order))
    return True


def mark_collected(order: Order, *, actor: object) -> bool:
    """A paid pickup order handed over at the counter: paid → fulfilled; False when it already was."""
    if not is_pickup(order):
        raise Conflict("This order has a shipping address: mark it shipped with a tracking number.",
                       code="not_pickup")
    if order.status in SHIPPED:
        return False
    if order.status != "paid":
        raise Conflict(f"Only paid orders can be collected; this one is {order.status.replace('_', ' ')}.",
                       code="not_paid")
    if order.payment_status == "refunded":
        raise Conflict("This order was refunded in full: there is nothing to hand over.", code="refunded")
    claimed = db.session.execute(update(Order).where(Order.id == order.id, Order.status == "paid")
                                 .values(status="fulfilled", shipped_at=utcnow()),
                                 execution_options={"synchronize_session": False})
    if claimed.rowcount != 1:
        db.session.rollback()
        db.session.refresh(order)
        return False
    audit(actor, "order.collected", target_type="order", target_id=order.number)
    db.session.commit()
    db.session.refresh(order)
    send_collected(order)
    return True


# --- cancel ---------------------------------------------------------------------------------

def _reason(reason: str | None, *, limit: int = 500) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise ValidationError.for_field("reason", "Give a reason (the shopper sees it in the email).")
    if len(text) > limit:
        raise ValidationError.for_field("reason", f"Keep the reason to {limit} characters.")
    return text


def _note(order_note: str, line: str) -> str:
    stamp = utcnow().strftime("%Y-%m-%d %H:%M")
    return f"{order_note}\n[{stamp}] {line}".strip()


def cancel_unpaid(order: Order, *, actor: object, reason: str | None) -> bool:
    """pending payment / failed → cancelled: free the held copies, delete the ECS payment link, tell
    the shopper. False when it already was cancelled. A payment that still lands is handled by
    orders.late (accepted if the copies are free, else refunded)."""
    text = _reason(reason)
    if order.status == "cancelled":
        return False
    if order.status in UNPAID:
        _settle_with_ecs(order)  # one last look: a payment may have just landed
    if order.status not in UNPAID:
        raise Conflict(f"Only unpaid orders can be cancelled; this one is {order.status.replace('_', ' ')}"
                       f"{' (refund it instead)' if order.status in ('paid', *SHIPPED) else ''}.", code="not_unpaid")
    who = actor_from(actor).label
    claimed = db.session.execute(
        update(Order).where(Order.id == order.id, Order.status.in_(UNPAID))
        .values(status="cancelled", staff_note=_note(order.staff_note, f"Cancelled by {who}: {text}")),
        execution_options={"synchronize_session": False})
    if claimed.rowcount != 1:
        db.session.rollback()
        db.session.refresh(order)
        return False
    release_holds(order, "cancelled")
    audit(actor, "order.cancelled", target_type="order", target_id=order.number, reason=text,
          details={"from": order.status})
    db.session.commit()
    db.session.refresh(order)
    _withdraw(order)
    send_cancelled(order, reason=text)
    return True


def _settle_with_ecs(order: Order) -> None:
    try:
        sync_with_ecs(order)
    except (ECSError, ServiceUnavailable):
        db.session.rollback()
        log.warning("cancel: could not ask the ECS about order %s first", order.number, exc_info=True)


def _withdraw(order: Order) -> None:
    try:
        withdraw_payment_link(order)
    except ECSError:
        log.warning("could not delete the payment link of cancelled order %s", order.number, exc_info=True)
        order.staff_note = _note(order.staff_note, "The payment link could not be deleted in the ECS; a payment "
                                                   "that still arrives will be refunded or accepted automatically.")
        db.session.commit()


# --- refund ---------------------------------------------------------------------------------

def parse_amount(text: str | None, currency: str) -> int:
    """"12.50" → 1250 (minor units of ``currency``); ValidationError on anything else."""
    raw = (text or "").strip().replace(",", "").lstrip("$£€¥")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError.for_field("amount", "Enter the amount to refund, like 12.50.") from None
    minor = value.scaleb(exponent(currency))
    if not value.is_finite() or minor != minor.to_integral_value():
        raise ValidationError.for_field("amount", "Enter the amount to refund, like 12.50.")
    return int(minor)


def refund_key(order: Order, nonce: str | None) -> str:
    """RefundPayment's idempotency key (≤ 45 characters): from the form's nonce or the API's
    Idempotency-Key (so a repeat is the same refund), else fresh."""
    if nonce is None:
        return f"sr-{uuid.uuid4().hex}"
    if not nonce.strip() or len(nonce) > 255:
        raise ValidationError.for_field("idempotency_key", "The idempotency key is 1-255 characters.")
    return "sr-" + hashlib.sha256(f"{order.id}:{nonce}".encode()).hexdigest()[:40]


def is_paid(order: Order) -> bool:
    return bool(order.ecs_payment_id) and order.payment_status in PAID_PAYMENT and order.late_payment != "refund_due"


def restocked_quantities(order: Order) -> dict[int, int]:
    """Line id → copies already put back in stock by earlier refunds."""
    done: dict[int, int] = {}
    for refund_row in order.refunds:
        for row in refund_row.restock or []:
            done[int(row["line_id"])] = done.get(int(row["line_id"]), 0) + int(row["quantity"])
    return done


def _check_restock(order: Order, wanted: Mapping[int, int]) -> list[tuple[OrderLine, int]]:
    lines = {line.id: line for line in order.lines}
    done = restocked_quantities(order)
    chosen: list[tuple[OrderLine, int]] = []
    errors: list[FieldError] = []
    for line_id, quantity in wanted.items():
        line = lines.get(line_id) if isinstance(line_id, int) else None
        if line is None:
            errors.append(FieldError(f"restock.{line_id}", "Not a line of this order."))
            continue
        left = line.quantity - done.get(line.id, 0)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 <= quantity <= left:
            errors.append(FieldError(f"restock.{line_id}", f"{line.name}: restock 0 to {left}."))
        elif quantity:
            chosen.append((line, quantity))
    if errors:
        raise ValidationError("Check the quantities to put back in stock.", details=errors)
    return chosen


def _check_amount(order: Order, amount: object) -> int:
    left = refundable_amount(order)
    if left <= 0:
        raise Conflict("Everything paid for this order has already been refunded.", code="nothing_to_refund")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= left:
        raise ValidationError.for_field(
            "amount", f"Refund more than zero and at most {format_money(left, order.currency)} (what is left).")
    return amount


def refund(order: Order, *, actor: object, amount: object, reason: str | None,
           restock_lines: Mapping[int, int] | None = None, nonce: str | None = None) -> Refund:
    """Give back ``amount`` (minor units) through the ECS and put the chosen lines' copies back in stock.

    The same ``nonce`` returns the same refund without doing anything twice."""
    if not is_paid(order):
        raise Conflict("This order has not been paid, so there is nothing to refund.", code="not_paid")
    key = refund_key(order, nonce)
    existing = db.session.scalar(select(Refund).where(Refund.idempotency_key == key))
    if existing is not None:
        if amount != existing.amount:
            raise Conflict("That idempotency key was used for a different refund.", code="idempotency_key_reused")
        if _noted(order, existing):
            return existing
    value = existing.amount if existing is not None else _check_amount(order, amount)
    text = _reason(reason, limit=MAX_REASON)
    restock = _check_restock(order, restock_lines or {})
    done = request_refund(order, value, reason=text, key=key)
    _restock(order, done, restock)
    if not _claim(order, done, actor, text, restock):
        return done
    send_refunded(order, done, restocked=restock)
    return done


def _noted(order: Order, refund_row: Refund) -> bool:
    return refund_row.noted_at is not None


def _restock(order: Order, refund_row: Refund, restock: list[tuple[OrderLine, int]]) -> None:
    """SOLD → IN_STOCK in the ECS for the returned copies, keyed to the refund (applied once), then
    the local stock figures from the ECS's answer."""
    if not restock:
        return
    location_id = shop_location_id()
    when = refund_row.created_at.isoformat().replace("+00:00", "Z")
    changes = [{"type": "ADJUSTMENT", "adjustment": {
        "catalog_object_id": line.variation_ecs_id, "location_id": location_id, "from_state": "SOLD",
        "to_state": "IN_STOCK", "quantity": str(quantity), "occurred_at": when,
        "reference_id": order.number}} for line, quantity in restock]
    try:
        counts = ecs_client().batch_change_inventory(f"{refund_row.idempotency_key}-restock", changes)
    except ECSError as exc:
        db.session.rollback()
        log.warning("restock for refund %s of %s failed: %s", refund_row.id, order.number, exc)
        raise ServiceUnavailable(f"The refund of {format_money(refund_row.amount, refund_row.currency)} went "
                                 "through, but the ECS did not take the restock just now. Submit the same "
                                 "form again to retry the restock (it will not refund twice).") from exc
    outcome = apply_inventory_counts(counts)
    refresh_item_stock(location_id, outcome.item_ids)
    if not refund_row.restock:
        refund_row.restock = [{"line_id": line.id, "quantity": quantity} for line, quantity in restock]
    db.session.commit()


def _claim(order: Order, refund_row: Refund, actor: object, reason: str,
           restock: list[tuple[OrderLine, int]]) -> bool:
    """Note the refund on the order once (the conditional UPDATE is the claim), with its audit entry."""
    items = "; ".join(f"{q} x {line.name} back in stock" for line, q in restock)
    line = (f"{format_money(refund_row.amount, refund_row.currency)} refunded by "
            f"{actor_from(actor).label}: {reason}{f' ({items})' if items else ''}")
    claimed = db.session.execute(
        update(Refund).where(Refund.id == refund_row.id, Refund.noted_at.is_(None)).values(noted_at=utcnow()),
        execution_options={"synchronize_session": False})
    if claimed.rowcount != 1:
        db.session.rollback()
        db.session.refresh(order)
        return False
    db.session.execute(
        update(Order).where(Order.id == order.id)
        .values(staff_note=_note(order.staff_note, line),
                payment_status=case((Order.refunded_amount >= Order.total_amount, "refunded"),
                                    else_="partially_refunded")),
        execution_options={"synchronize_session": False})
    audit(actor, "order.refunded", target_type="order", target_id=order.number, reason=reason,
          details={"refund_id": refund_row.id, "ecs_refund_id": refund_row.ecs_refund_id,
                   "amount": refund_row.amount, "currency": refund_row.currency,
                   "restock": [{"line_id": line.id, "quantity": q} for line, q in restock]})
    db.session.commit()
    db.session.refresh(order)
    return True
