"""Order pricing the way Square's Orders API computes it: discounts, then taxes, then service charges.

Square's documented rules, and where they come from:

* **Rounding** — "The Orders API performs its adjustment calculations using Bankers' Rounding, also
  known as Rounding Half to Even" (Square, *Order Price Adjustments › Rounding rules*,
  https://developer.squareup.com/docs/orders-api/price-adjustments). Square staff confirm it for
  taxes: $6.00 at 11.75% is 70.5¢ → 70¢, while 3.5485 → 3.55 (only an exact half goes to even),
  https://developer.squareup.com/forums/t/order-level-tax-calculation-clarification/2354 .
* **Order-level adjustments are computed on the order, then apportioned** — "Order level - The price
  adjustment is distributed across all the line item subtotals" (same page); "Fixed-amount,
  order-scoped discounts are distributed across all non-zero line item totals. The amount distributed
  to each line item is relative to the amount contributed by the item to the order subtotal"
  (*OrderLineItemDiscount* reference). Square computes a percentage once over the whole amount: four
  lines totalling $36.90 at 8.875% are taxed $3.27 (3.274875), not the $3.28 that per-line rounding
  gives (https://developer.squareup.com/forums/t/square-banker-s-rounding-clarification/11179).
  Here every percentage adjustment is computed once over the lines it applies to, rounded, then
  apportioned, so the per-line ``applied_money`` always adds up to the adjustment's ``applied_money``.
* **Discounts before taxes** — taxes are charged on the discounted amount; a service charge in
  ``SUBTOTAL_PHASE`` "is applied after discounts, but before taxes" (*OrderServiceChargeCalculationPhase*).
* **Inclusive vs additive** — "an item with a cost of 1.00 USD and a 10% inclusive tax has a pretax
  cost of 0.91 USD (91 cents) and a 0.09 (9 cents) tax for a total cost of 1.00 USD"; an additive tax
  "is added on top of the price" (*OrderLineItemTaxType*). With inclusive rate P on a line, its
  pre-tax amount is ``net × 100 / (100 + P)`` and any tax at p% is ``net × p / (100 + P)``; additive
  taxes are charged on that pre-tax amount.
* **Shipping** — ``checkout_options.shipping_fee`` is "the fee associated with shipping to be applied
  to the Order as a service charge" (*CheckoutOptions*). Square materialises it as a fixed-amount
  ``CUSTOM`` service charge in ``SUBTOTAL_PHASE`` with ``treatment_type`` ``LINE_ITEM_TREATMENT``,
  ``taxable: false`` and no ``applied_taxes`` (so it is never taxed), the shape Square-hosted orders
  carry for their "Shipping" charge. See :func:`shipping_service_charge`.

Sandbox choices where Square documents no rule: percentage discounts are applied before fixed-amount
ones, each computed on the lines' gross sales and capped so no line goes below zero; a LINE_ITEM
fixed-amount discount is spread over the lines that reference it; an apportioned amount's leftover
cents go to the lines with the largest remainders (ties: the earlier line). Service charges must be
fixed amounts and are not taxed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from storefront.ecs.sandbox.ids import short_uid

CatalogLookup = Callable[[str], "dict[str, Any] | None"]
_DECIMAL = re.compile(r"^[0-9]{1,7}(\.[0-9]{1,6})?$")
_HUNDRED = Decimal(100)
SCOPES = ("ORDER", "LINE_ITEM")


class OrderError(ValueError):
    """A request the Orders/Checkout API would reject; carries Square's error code and field."""

    def __init__(self, code: str, detail: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(detail)
        self.code, self.detail, self.field, self.status = code, detail, field, status


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def money_field(value: Any, field_name: str, currency: str) -> int:
    """A non-negative Money amount in the location's currency; OrderError otherwise."""
    if not isinstance(value, dict) or not isinstance(value.get("amount"), int) or isinstance(value["amount"], bool):
        raise OrderError("MISSING_REQUIRED_PARAMETER", "Money needs an integer `amount`.", f"{field_name}.amount")
    if value["amount"] < 0:
        raise OrderError("INVALID_VALUE", "Money amounts must not be negative.", f"{field_name}.amount")
    if value.get("currency", currency) != currency:
        raise OrderError("INVALID_VALUE", f"The location's currency is {currency}.", f"{field_name}.currency")
    return int(value["amount"])


def round_half_even(value: Decimal) -> int:
    """Bankers' rounding to a whole minor unit (cent)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def apportion(total: int, weights: list[Decimal]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder; ties to the earlier part)."""
    whole = sum(weights, Decimal(0))
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    exact = [Decimal(total) * w / whole for w in weights]
    shares = [int(x.to_integral_value(rounding=ROUND_FLOOR)) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def percentage(value: Any, field_name: str) -> Decimal:
    """A Square percentage: a decimal string such as ``"7.25"``, from 0 to 100."""
    if not isinstance(value, str):
        raise OrderError("EXPECTED_STRING", "A percentage must be a string such as \"7.25\".", field_name)
    if len(value) > 10 or not _DECIMAL.match(value):
        raise OrderError("INVALID_VALUE", f"Percentage `{value}` is not a decimal number.", field_name)
    number = Decimal(value)
    if number > _HUNDRED:
        raise OrderError("INVALID_VALUE", "A percentage must be between 0 and 100.", field_name)
    return number


def _uid(raw: dict[str, Any], field_name: str, seen: set[str]) -> str:
    uid = raw.get("uid")
    if uid is None:
        uid = short_uid()
    if not isinstance(uid, str) or not uid or len(uid) > 60:
        raise OrderError("INVALID_VALUE", "A uid must be a string of 1 to 60 characters.", f"{field_name}.uid")
    if uid in seen:
        raise OrderError("INVALID_VALUE", f"The uid `{uid}` is used twice.", f"{field_name}.uid")
    seen.add(uid)
    return uid


def _scope(raw: dict[str, Any], field_name: str) -> str | None:
    scope = raw.get("scope")
    if scope is not None and scope not in SCOPES:
        raise OrderError("INVALID_ENUM_VALUE", "`scope` must be ORDER or LINE_ITEM.", f"{field_name}.scope")
    return scope


def _catalog(raw: dict[str, Any], field_name: str, lookup: CatalogLookup, kind: str) -> dict[str, Any] | None:
    object_id = raw.get("catalog_object_id")
    if object_id is None:
        return None
    obj = lookup(object_id) if isinstance(object_id, str) else None
    if obj is None or obj.get("is_deleted") or obj.get("type") != kind:
        raise OrderError("NOT_FOUND", f"{kind.title()} with catalog object ID `{object_id}` not found.",
                         f"{field_name}.catalog_object_id")
    return obj


def _name(raw: dict[str, Any], field_name: str, out: dict[str, Any]) -> None:
    name = raw.get("name")
    if name is not None:
        if not isinstance(name, str) or len(name) > 255:
            raise OrderError("INVALID_VALUE", "`name` must be a string of at most 255 characters.",
                             f"{field_name}.name")
        out["name"] = name
    if isinstance(raw.get("metadata"), dict):
        out["metadata"] = raw["metadata"]


def parse_tax(raw: Any, index: int, lookup: CatalogLookup, seen: set[str]) -> dict[str, Any]:
    """One ``order.taxes[]`` entry, normalised (a catalog tax supplies name, percentage and type)."""
    prefix = f"order.taxes[{index}]"
    if not isinstance(raw, dict):
        raise OrderError("EXPECTED_OBJECT", "Each tax must be an object.", prefix)
    tax: dict[str, Any] = {"uid": _uid(raw, prefix, seen)}
    catalog = _catalog(raw, prefix, lookup, "TAX")
    if catalog is not None:
        data = catalog.get("tax_data") or {}
        tax.update(catalog_object_id=catalog["id"], catalog_version=catalog["version"], name=data.get("name", ""),
                   type=data.get("inclusion_type") or "ADDITIVE")
        percentage(data.get("percentage"), f"{prefix}.catalog_object_id")
        tax["percentage"] = data["percentage"]
    else:
        _name(raw, prefix, tax)
        kind = raw.get("type", "ADDITIVE")
        if kind not in ("ADDITIVE", "INCLUSIVE"):
            raise OrderError("INVALID_ENUM_VALUE", "A tax `type` must be ADDITIVE or INCLUSIVE.", f"{prefix}.type")
        if raw.get("percentage") is None:
            raise OrderError("MISSING_REQUIRED_PARAMETER", "A tax needs a `percentage`.", f"{prefix}.percentage")
        percentage(raw["percentage"], f"{prefix}.percentage")
        tax.update(type=kind, percentage=raw["percentage"])
    if isinstance(raw.get("metadata"), dict):
        tax["metadata"] = raw["metadata"]
    tax["scope"] = _scope(raw, prefix)
    return tax


def parse_discount(raw: Any, index: int, lookup: CatalogLookup, currency: str, seen: set[str]) -> dict[str, Any]:
    """One ``order.discounts[]`` entry: FIXED_PERCENTAGE with ``percentage`` or FIXED_AMOUNT with ``amount_money``."""
    prefix = f"order.discounts[{index}]"
    if not isinstance(raw, dict):
        raise OrderError("EXPECTED_OBJECT", "Each discount must be an object.", prefix)
    discount: dict[str, Any] = {"uid": _uid(raw, prefix, seen)}
    catalog = _catalog(raw, prefix, lookup, "DISCOUNT")
    source = raw
    if catalog is not None:
        data = catalog.get("discount_data") or {}
        source = {"name": data.get("name", ""), "type": data.get("discount_type"),
                  "percentage": data.get("percentage"), "amount_money": data.get("amount_money")}
        discount.update(catalog_object_id=catalog["id"], catalog_version=catalog["version"])
    _name(source, prefix, discount)
    kind = source.get("type")
    if kind == "FIXED_PERCENTAGE":
        if source.get("percentage") is None:
            raise OrderError("MISSING_REQUIRED_PARAMETER", "A FIXED_PERCENTAGE discount needs a `percentage`.",
                             f"{prefix}.percentage")
        percentage(source["percentage"], f"{prefix}.percentage")
        discount.update(type=kind, percentage=source["percentage"])
    elif kind == "FIXED_AMOUNT":
        amount = money_field(source.get("amount_money"), f"{prefix}.amount_money", currency)
        discount.update(type=kind, amount_money=money(amount, currency))
    else:
        raise OrderError("INVALID_ENUM_VALUE", "A discount `type` must be FIXED_PERCENTAGE or FIXED_AMOUNT.",
                         f"{prefix}.type")
    if isinstance(raw.get("metadata"), dict):
        discount["metadata"] = raw["metadata"]
    discount["scope"] = _scope(raw, prefix)
    return discount


def parse_service_charge(raw: Any, index: int, currency: str, seen: set[str]) -> dict[str, Any]:
    """One ``order.service_charges[]`` entry; the sandbox models fixed-amount, untaxed charges."""
    prefix = f"order.service_charges[{index}]"
    if not isinstance(raw, dict):
        raise OrderError("EXPECTED_OBJECT", "Each service charge must be an object.", prefix)
    charge: dict[str, Any] = {"uid": _uid(raw, prefix, seen)}
    _name(raw, prefix, charge)
    if raw.get("percentage") is not None:
        raise OrderError("INVALID_VALUE", "The sandbox supports fixed-amount service charges only.",
                         f"{prefix}.percentage")
    amount = money_field(raw.get("amount_money"), f"{prefix}.amount_money", currency)
    phase = raw.get("calculation_phase", "SUBTOTAL_PHASE")
    if phase not in ("SUBTOTAL_PHASE", "TOTAL_PHASE"):
        raise OrderError("INVALID_ENUM_VALUE", "`calculation_phase` must be SUBTOTAL_PHASE or TOTAL_PHASE.",
                         f"{prefix}.calculation_phase")
    if raw.get("taxable") not in (None, False) or raw.get("applied_taxes"):
        raise OrderError("INVALID_VALUE", "The sandbox does not tax service charges.", f"{prefix}.taxable")
    charge.update(amount_money=money(amount, currency), applied_money=money(amount, currency),
                  calculation_phase=phase, taxable=False, total_money=money(amount, currency),
                  total_tax_money=money(0, currency), type=raw.get("type") or "CUSTOM",
                  treatment_type="LINE_ITEM_TREATMENT")
    if charge["type"] not in ("CUSTOM", "AUTO_GRATUITY"):
        raise OrderError("INVALID_ENUM_VALUE", "`type` must be CUSTOM or AUTO_GRATUITY.", f"{prefix}.type")
    return charge


def shipping_service_charge(shipping_fee: dict[str, Any], currency: str) -> dict[str, Any]:
    """The service charge Square adds to a payment link's order for ``checkout_options.shipping_fee``."""
    amount = money_field(shipping_fee.get("charge"), "checkout_options.shipping_fee.charge", currency)
    return {"uid": short_uid(), "name": shipping_fee.get("name") or "Shipping",
            "amount_money": money(amount, currency), "calculation_phase": "SUBTOTAL_PHASE", "taxable": False,
            "type": "CUSTOM"}


@dataclass
class _Line:
    gross: int
    discount_refs: dict[str, str] = field(default_factory=dict)  # discount uid → applied uid
    tax_refs: dict[str, str] = field(default_factory=dict)
    discounts: dict[str, int] = field(default_factory=dict)  # discount uid → applied amount
    taxes: dict[str, int] = field(default_factory=dict)

    @property
    def net(self) -> int:
        return self.gross - sum(self.discounts.values())


def _refs(raw: dict[str, Any], key: str, uid_key: str, known: dict[str, dict[str, Any]],
          prefix: str) -> dict[str, str]:
    values = raw.get(key)
    if values is None:
        return {}
    if not isinstance(values, list):
        raise OrderError("EXPECTED_ARRAY", f"`{key}` must be an array.", f"{prefix}.{key}")
    refs: dict[str, str] = {}
    for j, ref in enumerate(values):
        where = f"{prefix}.{key}[{j}]"
        target = ref.get(uid_key) if isinstance(ref, dict) else None
        if not isinstance(target, str) or not target:
            raise OrderError("MISSING_REQUIRED_PARAMETER", f"`{uid_key}` must be set.", f"{where}.{uid_key}")
        if target not in known:
            raise OrderError("INVALID_VALUE", f"`{target}` does not match the uid of any entry in the order.",
                             f"{where}.{uid_key}")
        if target in refs:
            raise OrderError("INVALID_VALUE", f"`{target}` is applied to this line item twice.", f"{where}.{uid_key}")
        applied_uid = ref.get("uid")
        refs[target] = applied_uid if isinstance(applied_uid, str) and 0 < len(applied_uid) <= 60 else short_uid()
    return refs


def _scopes(adjustments: list[dict[str, Any]], lines: list[_Line], attr: str) -> None:
    """Square's scope rules: ORDER applies to every line; LINE_ITEM only where referenced."""
    for adjustment in adjustments:
        referenced = any(adjustment["uid"] in getattr(line, attr) for line in lines)
        if adjustment["scope"] is None:
            adjustment["scope"] = "LINE_ITEM" if referenced else "ORDER"
        if adjustment["scope"] == "ORDER":
            for line in lines:
                getattr(line, attr).setdefault(adjustment["uid"], short_uid())


def _apply_discounts(lines: list[_Line], discounts: list[dict[str, Any]]) -> None:
    ordered = sorted(discounts, key=lambda d: d["type"] != "FIXED_PERCENTAGE")
    for discount in ordered:
        uid = discount["uid"]
        idx = [i for i, line in enumerate(lines) if uid in line.discount_refs]
        if discount["type"] == "FIXED_PERCENTAGE":
            weights = [Decimal(lines[i].gross) for i in idx]
            total = round_half_even(sum(weights, Decimal(0)) * Decimal(discount["percentage"]) / _HUNDRED)
        else:
            weights = [Decimal(lines[i].net) for i in idx]
            total = min(discount["amount_money"]["amount"], int(sum(weights, Decimal(0))))
        for i, share in zip(idx, apportion(total, weights), strict=True):
            lines[i].discounts[uid] = min(share, lines[i].net)


def _apply_taxes(lines: list[_Line], taxes: list[dict[str, Any]]) -> None:
    inclusive_taxes = [t for t in taxes if t["type"] == "INCLUSIVE"]
    inclusive = [sum((Decimal(t["percentage"]) for t in inclusive_taxes if t["uid"] in line.tax_refs), Decimal(0))
                 for line in lines]
    for tax in taxes:
        idx = [i for i, line in enumerate(lines) if tax["uid"] in line.tax_refs]
        rate = Decimal(tax["percentage"])
        exact = [Decimal(lines[i].net) * rate / (_HUNDRED + inclusive[i]) for i in idx]
        total = round_half_even(sum(exact, Decimal(0)))
        for i, share in zip(idx, apportion(total, exact), strict=True):
            lines[i].taxes[tax["uid"]] = share


def _applied(refs: dict[str, str], amounts: dict[str, int], key: str, currency: str) -> list[dict[str, Any]]:
    return [{"uid": applied_uid, key: uid, "applied_money": money(amounts.get(uid, 0), currency)}
            for uid, applied_uid in refs.items()]


def _priced_line(line_item: dict[str, Any], line: _Line, taxes: list[dict[str, Any]],
                 currency: str) -> dict[str, Any]:
    additive = sum(line.taxes.get(t["uid"], 0) for t in taxes if t["type"] == "ADDITIVE")
    out = dict(line_item)
    for key in ("applied_taxes", "applied_discounts"):
        out.pop(key, None)
    if line.tax_refs:
        out["applied_taxes"] = _applied(line.tax_refs, line.taxes, "tax_uid", currency)
    if line.discount_refs:
        out["applied_discounts"] = _applied(line.discount_refs, line.discounts, "discount_uid", currency)
    out.update(variation_total_price_money=money(line.gross, currency), gross_sales_money=money(line.gross, currency),
               total_tax_money=money(sum(line.taxes.values()), currency),
               total_discount_money=money(sum(line.discounts.values()), currency),
               total_money=money(line.net + additive, currency), total_service_charge_money=money(0, currency))
    return out


@dataclass
class Adjustments:
    """An order's validated taxes, discounts and service charges (before amounts are applied)."""

    taxes: list[dict[str, Any]] = field(default_factory=list)
    discounts: list[dict[str, Any]] = field(default_factory=list)
    service_charges: list[dict[str, Any]] = field(default_factory=list)


def _list(raw: dict[str, Any], key: str) -> list[Any]:
    values = raw.get(key)
    if values is None:
        return []
    if not isinstance(values, list):
        raise OrderError("EXPECTED_ARRAY", f"`{key}` must be an array.", f"order.{key}")
    return values


def parse_adjustments(raw: dict[str, Any], lookup: CatalogLookup, currency: str) -> Adjustments:
    seen: set[str] = set()
    taxes = [parse_tax(t, i, lookup, seen) for i, t in enumerate(_list(raw, "taxes"))]
    discounts = [parse_discount(d, i, lookup, currency, seen) for i, d in enumerate(_list(raw, "discounts"))]
    charges = [parse_service_charge(c, i, currency, seen) for i, c in enumerate(_list(raw, "service_charges"))]
    return Adjustments(taxes, discounts, charges)


def price_order(raw: dict[str, Any], line_items: list[dict[str, Any]], lookup: CatalogLookup,
                currency: str) -> dict[str, Any]:
    """The priced parts of an order: ``line_items``, ``taxes``, ``discounts``, ``service_charges`` and totals.

    ``raw`` is the request's order (its ``line_items[]`` carry the ``applied_*`` references);
    ``line_items`` are the same lines already resolved (name, ``base_price_money``, ``quantity``).
    """
    adj = parse_adjustments(raw, lookup, currency)
    known_taxes = {t["uid"]: t for t in adj.taxes}
    known_discounts = {d["uid"]: d for d in adj.discounts}
    lines = []
    for i, (raw_line, item) in enumerate(zip(raw["line_items"], line_items, strict=True)):
        prefix = f"order.line_items[{i}]"
        lines.append(_Line(gross=item["base_price_money"]["amount"] * int(item["quantity"]),
                           discount_refs=_refs(raw_line, "applied_discounts", "discount_uid", known_discounts, prefix),
                           tax_refs=_refs(raw_line, "applied_taxes", "tax_uid", known_taxes, prefix)))
    _scopes(adj.discounts, lines, "discount_refs")
    _scopes(adj.taxes, lines, "tax_refs")
    _apply_discounts(lines, adj.discounts)
    _apply_taxes(lines, adj.taxes)
    priced = [_priced_line(item, line, adj.taxes, currency) for item, line in zip(line_items, lines, strict=True)]
    for group, attr in ((adj.discounts, "discounts"), (adj.taxes, "taxes")):
        for entry in group:
            entry["applied_money"] = money(sum(getattr(line, attr).get(entry["uid"], 0) for line in lines), currency)
    return _totals(priced, adj, currency)


def _totals(priced: list[dict[str, Any]], adj: Adjustments, currency: str) -> dict[str, Any]:
    tax = sum(line["total_tax_money"]["amount"] for line in priced)
    discount = sum(line["total_discount_money"]["amount"] for line in priced)
    service = sum(charge["total_money"]["amount"] for charge in adj.service_charges)
    total = sum(line["total_money"]["amount"] for line in priced) + service
    out: dict[str, Any] = {"line_items": priced}
    for key in ("taxes", "discounts", "service_charges"):
        if getattr(adj, key):
            out[key] = getattr(adj, key)
    out.update({
        "net_amounts": {"total_money": money(total, currency), "tax_money": money(tax, currency),
                        "discount_money": money(discount, currency), "tip_money": money(0, currency),
                        "service_charge_money": money(service, currency)},
        "total_money": money(total, currency),
        "total_tax_money": money(tax, currency),
        "total_discount_money": money(discount, currency),
        "total_tip_money": money(0, currency),
        "total_service_charge_money": money(service, currency),
        "net_amount_due_money": money(total, currency),
    })
    return out
