"""Orders priced from the catalog, payment links, and card payments, in Square's shapes.

Like Square, an order created by CreatePaymentLink starts as ``DRAFT``; paying it adds a CARD tender
and moves it to ``OPEN`` (Square leaves payment-link orders OPEN after payment; fulfilment closes them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from storefront.ecs.sandbox.clock import rfc3339
from storefront.ecs.sandbox.ids import short_uid
from storefront.ecs.sandbox.pricing import OrderError, money, money_field, price_order, shipping_service_charge

CatalogLookup = Callable[[str], "dict[str, Any] | None"]
__all__ = ["OrderBook", "OrderError", "build_link", "build_order", "calculate_order", "canceled_order", "money",
           "paid_order", "with_shipping_fee"]


@dataclass
class OrderBook:
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    links: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Deleted payment links: "gone" ones answer 404; a "lingering" one (its order already had a
    # failed payment attempt) stays payable from an open checkout page, as Square's does.
    deleted_links: dict[str, str] = field(default_factory=dict)


def _quantity(value: Any, field_name: str) -> int:
    if not isinstance(value, str) or not value.strip():
        raise OrderError("EXPECTED_STRING" if not isinstance(value, str) else "MISSING_REQUIRED_PARAMETER",
                         "A line item quantity must be a string such as \"1\".", field_name)
    try:
        number = float(value)
    except ValueError:
        raise OrderError("INVALID_VALUE", f"Quantity `{value}` is not a number.", field_name) from None
    if number <= 0 or number != int(number) or number > 99_999:
        raise OrderError("INVALID_VALUE", "The sandbox accepts whole quantities from 1 to 99999.", field_name)
    return int(number)


def _line_item(raw: Any, index: int, lookup: CatalogLookup, currency: str) -> dict[str, Any]:
    prefix = f"order.line_items[{index}]"
    if not isinstance(raw, dict):
        raise OrderError("EXPECTED_OBJECT", "Each line item must be an object.", prefix)
    qty = _quantity(raw.get("quantity"), f"{prefix}.quantity")
    line: dict[str, Any] = {"uid": str(raw.get("uid") or short_uid()), "quantity": str(qty), "item_type": "ITEM"}
    object_id = raw.get("catalog_object_id")
    if object_id:
        variation = lookup(str(object_id))
        if variation is None or variation.get("is_deleted") or variation["type"] != "ITEM_VARIATION":
            raise OrderError("NOT_FOUND", f"Item variation with catalog object ID `{object_id}` not found.",
                             f"{prefix}.catalog_object_id")
        data = variation["item_variation_data"]
        item = lookup(data.get("item_id", "")) or {}
        price = data.get("price_money")
        if not price:
            raise OrderError("INVALID_VALUE", f"Variation `{object_id}` has no fixed price.",
                             f"{prefix}.catalog_object_id")
        base = money_field(price, f"{prefix}.base_price_money", currency)
        line.update(name=(item.get("item_data") or {}).get("name", ""), catalog_object_id=variation["id"],
                    catalog_version=variation["version"], variation_name=data.get("name", ""))
    else:
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise OrderError("MISSING_REQUIRED_PARAMETER", "An ad hoc line item needs a `name`.", f"{prefix}.name")
        base = money_field(raw.get("base_price_money"), f"{prefix}.base_price_money", currency)
        line["name"] = name
    if raw.get("note"):
        line["note"] = str(raw["note"])
    if isinstance(raw.get("metadata"), dict):
        line["metadata"] = raw["metadata"]
    line["base_price_money"] = money(base, currency)
    return line


def _priced(raw: dict[str, Any], currency: str, lookup: CatalogLookup) -> dict[str, Any]:
    """The order's line items resolved from the catalog and priced by Square's rules (see pricing.py)."""
    lines_raw = raw.get("line_items")
    if not isinstance(lines_raw, list) or not lines_raw:
        raise OrderError("MISSING_REQUIRED_PARAMETER", "An order needs at least one line item.", "order.line_items")
    lines = [_line_item(line, i, lookup, currency) for i, line in enumerate(lines_raw)]
    order: dict[str, Any] = {"location_id": raw["location_id"]}
    for key in ("reference_id", "customer_id", "ticket_name"):
        if isinstance(raw.get(key), str) and raw[key]:
            order[key] = raw[key]
    if isinstance(raw.get("metadata"), dict):
        order["metadata"] = raw["metadata"]
    order["source"] = {"name": "ECS Sandbox"}
    order.update(price_order(raw, lines, lookup, currency))
    return order


def build_order(raw: dict[str, Any], order_id: str, currency: str, lookup: CatalogLookup,
                stamp: int) -> dict[str, Any]:
    """A DRAFT order from a CreatePaymentLink ``order``: catalog lines priced from the catalog, with the
    order's discounts, taxes and service charges (the link's shipping fee among them) applied."""
    priced = _priced(raw, currency, lookup)
    created = rfc3339(stamp)
    return {"id": order_id, **priced, "created_at": created, "updated_at": created, "state": "DRAFT", "version": 1}


def calculate_order(raw: dict[str, Any], currency: str, lookup: CatalogLookup, stamp: int) -> dict[str, Any]:
    """CalculateOrder: the order as Square would price it; nothing is stored and it has no id."""
    priced = _priced(raw, currency, lookup)
    created = rfc3339(stamp)
    return {**priced, "created_at": created, "updated_at": created, "state": "OPEN", "version": 1}


def with_shipping_fee(raw: dict[str, Any], shipping_fee: dict[str, Any] | None, currency: str) -> dict[str, Any]:
    """``raw`` (a CreatePaymentLink order) with ``checkout_options.shipping_fee`` added as Square adds it:
    one more service charge on the order."""
    if not shipping_fee:
        return raw
    charges = raw.get("service_charges")
    if charges is not None and not isinstance(charges, list):
        raise OrderError("EXPECTED_ARRAY", "`service_charges` must be an array.", "order.service_charges")
    return {**raw, "service_charges": [*(charges or []), shipping_service_charge(shipping_fee, currency)]}


def build_link(link_id: str, order: dict[str, Any], body: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The PaymentLink for ``order``; its URLs point at the sandbox's hosted checkout page."""
    url = f"{base_url.rstrip('/')}/checkout/{link_id}"
    link: dict[str, Any] = {"id": link_id, "version": 1, "order_id": order["id"]}
    if isinstance(body.get("description"), str):
        link["description"] = body["description"]
    for key in ("checkout_options", "pre_populated_data"):
        if isinstance(body.get(key), dict):
            link[key] = body[key]
    link.update(url=url, long_url=f"{url}?order_id={order['id']}", created_at=order["created_at"][:19] + "Z")
    if isinstance(body.get("payment_note"), str):
        link["payment_note"] = body["payment_note"]
    return link


def paid_order(order: dict[str, Any], payment: dict[str, Any], stamp: int) -> dict[str, Any]:
    """The order after a successful card payment: one CARD tender, state OPEN, nothing left due."""
    card = payment["card_details"]["card"]
    tender = {
        "id": payment["id"],
        "location_id": order["location_id"],
        "transaction_id": order["id"],
        "created_at": payment["created_at"],
        "amount_money": payment["amount_money"],
        "type": "CARD",
        "card_details": {"status": "CAPTURED", "card": {"card_brand": card["card_brand"], "last_4": card["last_4"],
                                                        "fingerprint": card["fingerprint"]},
                         "entry_method": "KEYED"},
        "payment_id": payment["id"],
    }
    currency = order["total_money"]["currency"]
    return {**order, "tenders": [tender], "state": "OPEN", "version": order["version"] + 1,
            "updated_at": rfc3339(stamp), "net_amount_due_money": money(0, currency)}


def canceled_order(order: dict[str, Any], stamp: int) -> dict[str, Any]:
    """The order after its payment link was deleted: state CANCELED, nothing due."""
    when = rfc3339(stamp)
    return {**order, "state": "CANCELED", "version": order["version"] + 1, "updated_at": when,
            "closed_at": when, "net_amount_due_money": money(0, order["total_money"]["currency"])}
