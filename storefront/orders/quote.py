"""What a checkout will cost before payment: the buyer's details (email, address, delivery method,
coupon), the rates open to the address, and the totals.

The same details drive the pages and the API. The taxes and the coupon's discount go to the ECS
inside the payment link's order (Square computes the totals it charges); the shipping charge goes as
the link's shipping fee. Before payment the ECS's CalculateOrder prices the same order, so the
shopper sees the ECS's numbers; when the ECS cannot be reached the page shows the local estimate and
says that tax is worked out on the payment page.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from storefront.cart.services import CartView
from storefront.catalog.models import ItemVariation
from storefront.core.addresses import clean_address, to_square_address
from storefront.core.errors import DomainError, FieldError, ValidationError
from storefront.coupons.models import Coupon, CouponRedemption
from storefront.coupons.services import CouponQuote, check_coupon, quote_for
from storefront.ecs.errors import ECSError
from storefront.ecs.provider import ecs_client, shop_location_id
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.shipping.services import Rate, choose_rate, rates_for, shipping_enabled

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postcode", "country", "phone")


@dataclass(frozen=True)
class CheckoutDetails:
    """What the buyer told us; ``address`` is None for pickup or when the shop does not ship."""

    email: str
    address: dict[str, str] | None = None
    method_id: int | None = None
    coupon_code: str = ""

    def fingerprint(self) -> str:
        """Short hash: the same cart with other details is another checkout (the old one is cancelled)."""
        raw = json.dumps([self.address, self.method_id, self.coupon_code.upper()], sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


@dataclass
class CheckoutQuote:
    subtotal: int
    currency: str
    rates: list[Rate] = field(default_factory=list)
    rate: Rate | None = None
    coupon: CouponQuote | None = None
    discount: int = 0
    shipping: int = 0
    tax: int = 0
    total: int = 0
    from_ecs: bool = False
    errors: dict[str, str] = field(default_factory=dict)


def parse_details(data: Mapping[str, Any], *, email: str | None, require_address: bool,
                  partial: bool = False) -> CheckoutDetails:
    """Details from a form or JSON body; ``email`` is the signed-in customer's (None for a guest).

    ``partial`` (a quote while the shopper is still typing) skips what is missing or wrong instead of
    refusing: no email yet, or an address not yet complete."""
    errors: list[FieldError] = []
    given = str(data.get("email") or "").strip()
    if email is None and (not _EMAIL.match(given) or len(given) > 254) and not partial:
        errors.append(FieldError("email", "Enter the email address for your receipt and updates."))
    raw_method = str(data.get("shipping_method") or data.get("shipping_method_id") or "").strip()
    method_id = int(raw_method) if raw_method.isdigit() and len(raw_method) < 12 else None
    address = None
    raw_address = data.get("shipping_address") if isinstance(data.get("shipping_address"), Mapping) else data
    if require_address and any(str(raw_address.get(k) or "").strip()
                               for k in ("line1", "city", "postcode", *(("country",) if partial else ()))):
        try:
            address = clean_address({k: str(raw_address.get(k) or "") for k in ADDRESS_FIELDS})
        except ValidationError as exc:
            if not partial:
                errors.extend(exc.details)
            elif str(raw_address.get("country") or "").strip():  # enough to show the country's rates
                address = {k: str(raw_address.get(k) or "").strip() for k in ADDRESS_FIELDS}
                address["country"] = address["country"].upper()
    coupon = str(data.get("coupon_code") or "").strip()[:40]
    if errors:
        raise ValidationError("Check your details.", details=errors)
    return CheckoutDetails(email=(email or given).lower(), address=address, method_id=method_id, coupon_code=coupon)


def tax_line() -> dict[str, Any] | None:
    """The shop's sales tax as Square's order-level tax (none when TAX_PERCENT is blank)."""
    percent = str(current_app.config.get("TAX_PERCENT") or "").strip()
    if not percent:
        return None
    return {"uid": "shop-tax", "name": current_app.config["TAX_NAME"], "percentage": percent,
            "type": "INCLUSIVE" if current_app.config["TAX_INCLUSIVE"] else "ADDITIVE", "scope": "ORDER"}


def square_order(reference_id: str | None, lines: list[tuple[str, int]], coupon: CouponQuote | None,
                 customer_id: str | None = None) -> dict[str, Any]:
    """The Square Order for a payment link or CalculateOrder: catalog lines, the coupon, the tax."""
    order: dict[str, Any] = {"location_id": shop_location_id(),
                             "line_items": [{"catalog_object_id": ecs_id, "quantity": str(qty)}
                                            for ecs_id, qty in lines]}
    if reference_id:
        order["reference_id"] = reference_id
    discount = coupon.square_discount() if coupon else None
    if discount:
        order["discounts"] = [discount]
    tax = tax_line()
    if tax:
        order["taxes"] = [tax]
    return order


def shipping_fee(rate: Rate | None, currency: str) -> dict[str, Any] | None:
    if rate is None or rate.amount <= 0:
        return None
    return {"name": rate.name, "charge": {"amount": rate.amount, "currency": currency}}


def buyer_address(details: CheckoutDetails) -> dict[str, Any] | None:
    return to_square_address(details.address) if details.address else None


def quote(view: CartView, details: CheckoutDetails | None, *, customer_id: int | None,
          ecs_ids: dict[int, str] | None = None) -> CheckoutQuote:
    """Rates and totals for the cart with these details; problems go into ``errors`` (never raised)."""
    result = CheckoutQuote(subtotal=view.subtotal, currency=view.currency)
    if details is not None and details.coupon_code:
        try:
            result.coupon = check_coupon(details.coupon_code, subtotal=view.subtotal, currency=view.currency,
                                         email=details.email or None, customer_id=customer_id)
        except DomainError as exc:
            result.errors["coupon"] = exc.details[0].message if exc.details else exc.message
    free = bool(result.coupon and result.coupon.free_shipping)
    address = details.address if details else None
    if shipping_enabled():
        result.rates = rates_for(address, units=view.count, subtotal=view.subtotal, free_shipping=free)
        if details is not None and details.method_id is not None:
            try:
                result.rate = choose_rate(address, details.method_id, units=view.count, subtotal=view.subtotal,
                                          free_shipping=free)
            except ValidationError as exc:
                result.errors.update({d.field: d.message for d in exc.details})
        elif address and not any(not r.is_pickup for r in result.rates):
            result.errors["country"] = "Sorry, we don't ship to that country yet; local pickup is still possible."
    result.discount = result.coupon.discount_amount if result.coupon else 0
    result.shipping = result.rate.amount if result.rate else 0
    result.total = max(0, result.subtotal - result.discount) + result.shipping
    if ecs_ids:
        _ecs_totals(result, view, ecs_ids)
    return result


def _ecs_totals(result: CheckoutQuote, view: CartView, ecs_ids: dict[int, str]) -> None:
    """Ask the ECS (CalculateOrder) for the tax and discount it will charge; keep the estimate if it can't."""
    lines = [(ecs_ids[line.variation_id], line.quantity) for line in view.lines if line.variation_id in ecs_ids]
    try:
        priced = ecs_client().calculate_order(square_order(None, lines, result.coupon))
    except ECSError:
        return
    def amount(name: str) -> int:
        return int((priced.get(name) or {}).get("amount") or 0)
    result.tax, result.discount = amount("total_tax_money"), amount("total_discount_money")
    result.total = amount("total_money") + result.shipping
    result.from_ecs = True


def cart_ecs_ids(view: CartView) -> dict[int, str]:
    """variation id → ECS id for the cart's lines (what CalculateOrder needs)."""
    ids = [line.variation_id for line in view.lines if not line.is_deleted]
    if not ids:
        return {}
    rows = db.session.execute(select(ItemVariation.id, ItemVariation.ecs_id).where(ItemVariation.id.in_(ids)))
    return dict(rows.all())


def order_coupon(order: Order) -> CouponQuote | None:
    """The coupon an order was placed with, priced as it was (for re-sending its payment link)."""
    if not order.coupon_code:
        return None
    coupon_id = db.session.scalar(select(CouponRedemption.coupon_id).where(CouponRedemption.order_id == order.id))
    coupon = db.session.get(Coupon, coupon_id) if coupon_id else None
    return quote_for(coupon, order.subtotal_amount, order.currency) if coupon else None
