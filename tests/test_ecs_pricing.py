"""Square order pricing in the ECS sandbox: discounts, taxes, the shipping fee and CalculateOrder.

Every expected amount below is worked out by hand from Square's documented rules (see the docstring of
``storefront/ecs/sandbox/pricing.py``): Bankers' rounding (half to even), an order- or line-scoped
percentage computed once over the lines it covers and then apportioned in proportion to them (leftover
cents to the largest remainders, ties to the earlier line), discounts before taxes, inclusive tax
``net × p / (100 + P)`` contained in the price, additive tax added on top, a shipping fee as an
untaxed service charge. Each case is checked three ways: ``pricing`` directly, CalculateOrder over
HTTP, and CreatePaymentLink + paying with the test card (the payment's amount is the order total).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import requests

from storefront.ecs.client import SquareClient
from storefront.ecs.sandbox.orders import OrderError, calculate_order
from storefront.ecs.sandbox.pricing import apportion, round_half_even
from tests.support.sandbox_http import control, sandbox_server, sandbox_session
from tests.support.square_schema import request_schema_name, response_schema_name, validate

TOKEN = "test-token"
ITEMS = 60
GOOD_CARD = "4111 1111 1111 1111"
CALCULATE = ("POST", "/v2/orders/calculate")
CREATE_LINK = ("POST", "/v2/online-checkout/payment-links")


def usd(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "USD"}


def line(name: str, price: int, qty: int = 1, **extra: Any) -> dict[str, Any]:
    return {"name": name, "quantity": str(qty), "base_price_money": usd(price), **extra}


def tax(uid: str, pct: str, kind: str = "ADDITIVE", scope: str = "ORDER") -> dict[str, Any]:
    return {"uid": uid, "name": f"Tax {pct}", "percentage": pct, "type": kind, "scope": scope}


def pct_off(uid: str, pct: str, scope: str = "ORDER") -> dict[str, Any]:
    return {"uid": uid, "name": f"{pct}% off", "type": "FIXED_PERCENTAGE", "percentage": pct, "scope": scope}


def amount_off(uid: str, amount: int, scope: str = "ORDER") -> dict[str, Any]:
    return {"uid": uid, "name": f"{amount} off", "type": "FIXED_AMOUNT", "amount_money": usd(amount), "scope": scope}


@dataclass
class Case:
    """An order and its hand-derived prices: per line (discount, tax, total) and the order totals."""

    id: str
    lines: list[dict[str, Any]]
    lines_expected: list[tuple[int, int, int]]
    total: int
    taxes: list[dict[str, Any]] = field(default_factory=list)
    discounts: list[dict[str, Any]] = field(default_factory=list)
    shipping: int = 0  # a shipping fee in cents (service charge / checkout_options.shipping_fee)
    applied: dict[str, int] = field(default_factory=dict)  # tax/discount uid → order-level applied_money

    def order(self, location_id: str, *, shipping_as_service_charge: bool = True) -> dict[str, Any]:
        order: dict[str, Any] = {"location_id": location_id, "line_items": self.lines}
        if self.taxes:
            order["taxes"] = self.taxes
        if self.discounts:
            order["discounts"] = self.discounts
        if self.shipping and shipping_as_service_charge:
            order["service_charges"] = [{"uid": "ship", "name": "Shipping", "amount_money": usd(self.shipping),
                                         "calculation_phase": "SUBTOTAL_PHASE"}]
        return order


CASES = [
    # $6.00 at 11.75%: 70.5¢ is an exact half → 70 (even), Square's own forum example.
    Case("additive-half-even", [line("Tea", 600)], [(0, 70, 670)], 670, taxes=[tax("t", "11.75")],
         applied={"t": 70}),
    # $5.45 at 10%: 54.5¢ → 54 (Square forum: "$0.54, not $0.55").
    Case("additive-half-even-down", [line("Mug", 545)], [(0, 54, 599)], 599, taxes=[tax("t", "10")]),
    # 1500+800+695+695 = 3690 at 8.875% = 327.4875 → 327 on the order (per-line rounding would give 328).
    # Shares of 133.125 / 71 / 61.68125 / 61.68125: floors 133+71+61+61 = 326, the 1 left goes to the
    # largest remainder (.68125, a tie → the earlier line).
    Case("order-tax-apportioned", [line("A", 1500), line("B", 800), line("C", 695), line("D", 695)],
         [(0, 133, 1633), (0, 71, 871), (0, 62, 757), (0, 61, 756)], 4017, taxes=[tax("t", "8.875")],
         applied={"t": 327}),
    # 10% inclusive in $1.00: 100 × 10/110 = 9.09 → 9¢ tax, the price stays $1.00 (Square's enum example).
    Case("inclusive", [line("Pen", 100)], [(0, 9, 100)], 100, taxes=[tax("vat", "10", "INCLUSIVE")]),
    # 20% inclusive: 3000 × 20/120 = 500 and 499 × 20/120 = 83.17 → 583 over the order; totals unchanged.
    Case("inclusive-several-lines", [line("Record", 1000, 3), line("Sleeve", 499)], [(0, 500, 3000), (0, 83, 499)],
         3499, taxes=[tax("vat", "20", "INCLUSIVE")], applied={"vat": 583}),
    # 10% inclusive + 5% additive on $11.00: pre-tax 1000; inclusive 1100×10/110 = 100, additive 1100×5/110 = 50.
    Case("inclusive-plus-additive", [line("Box", 1100)], [(0, 150, 1150)], 1150,
         taxes=[tax("vat", "10", "INCLUSIVE"), tax("extra", "5")], applied={"vat": 100, "extra": 50}),
    # 10% off the order (3000 → 300) split 199.9 / 100.1 → 200 / 100; then 8.5% on 1799 + 901:
    # 152.915 + 76.585 = 229.5 → 230 (half to even), split 153.26 / 76.74 → 153 / 77.
    Case("order-percent-discount-then-tax", [line("A", 1999), line("B", 1001)], [(200, 153, 1952), (100, 77, 978)],
         2930, taxes=[tax("t", "8.5")], discounts=[pct_off("d", "10")], applied={"d": 300, "t": 230}),
    # $5.00 off 1000/2000/3000: 83.33 / 166.67 / 250 → floors 83+166+250 = 499, +1 to the .67 remainder.
    Case("order-fixed-discount-apportioned", [line("A", 1000), line("B", 2000), line("C", 3000)],
         [(83, 0, 917), (167, 0, 1833), (250, 0, 2750)], 5500, discounts=[amount_off("d", 500)], applied={"d": 500}),
    # Line-scoped: 15% off 2 × $25.00 = 750, then 7.25% of 4250 = 308.125 → 308; $2.00 off the $12.00 line.
    Case("line-item-discounts-and-tax",
         [line("Jacket", 2500, 2, applied_discounts=[{"discount_uid": "p15"}], applied_taxes=[{"tax_uid": "st"}]),
          line("Socks", 1200, 1, applied_discounts=[{"discount_uid": "two"}])],
         [(750, 308, 4558), (200, 0, 1000)], 5558, taxes=[tax("st", "7.25", scope="LINE_ITEM")],
         discounts=[pct_off("p15", "15", "LINE_ITEM"), amount_off("two", 200, "LINE_ITEM")],
         applied={"p15": 750, "two": 200, "st": 308}),
    # $20.00 + $4.99 shipping = $24.99 (Square's own shipping_fee example).
    Case("shipping-fee", [line("Poster", 2000)], [(0, 0, 2000)], 2499, shipping=499),
    # The shipping fee is never taxed: 8% of 2000 = 160 on the goods only → 2000 + 160 + 499.
    Case("shipping-fee-untaxed", [line("Poster", 2000)], [(0, 160, 2160)], 2659, taxes=[tax("t", "8")], shipping=499),
    # Percentage before amount: 20% of 1000 = 200, then $9.00 off is capped at the 800 left → the line is free.
    Case("discounts-capped-at-zero", [line("Zine", 1000)], [(1000, 0, 0)], 0,
         discounts=[amount_off("big", 900), pct_off("p", "20")], taxes=[tax("t", "10")],
         applied={"p": 200, "big": 800}),
]


def check(order: dict[str, Any], case: Case) -> None:
    got = [(li["total_discount_money"]["amount"], li["total_tax_money"]["amount"], li["total_money"]["amount"])
           for li in order["line_items"]]
    assert got == case.lines_expected
    for li, raw in zip(order["line_items"], case.lines, strict=True):
        gross = raw["base_price_money"]["amount"] * int(raw["quantity"])
        assert li["gross_sales_money"]["amount"] == li["variation_total_price_money"]["amount"] == gross
    tax_total = sum(t for _, t, _ in case.lines_expected)
    discount_total = sum(d for d, _, _ in case.lines_expected)
    assert order["total_money"] == order["net_amount_due_money"] == usd(case.total)
    assert order["total_tax_money"] == usd(tax_total) and order["total_discount_money"] == usd(discount_total)
    assert order["total_service_charge_money"] == usd(case.shipping)
    assert order["net_amounts"] == {"total_money": usd(case.total), "tax_money": usd(tax_total),
                                    "discount_money": usd(discount_total), "tip_money": usd(0),
                                    "service_charge_money": usd(case.shipping)}
    adjustments = {a["uid"]: a for a in [*order.get("taxes", []), *order.get("discounts", [])]}
    for uid, amount in case.applied.items():
        assert adjustments[uid]["applied_money"] == usd(amount)
        per_line = [a["applied_money"]["amount"] for li in order["line_items"]
                    for a in [*li.get("applied_taxes", []), *li.get("applied_discounts", [])]
                    if uid in (a.get("tax_uid"), a.get("discount_uid"))]
        assert sum(per_line) == amount
    if case.shipping:
        (charge,) = order["service_charges"]
        assert charge["name"] == "Shipping" and charge["total_money"] == usd(case.shipping)
        assert charge["taxable"] is False and charge["total_tax_money"] == usd(0)
        assert charge["calculation_phase"] == "SUBTOTAL_PHASE" and charge["type"] == "CUSTOM"


# -- unit level: pricing.py ------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [
    ("0.5", 0), ("1.5", 2), ("2.5", 2), ("70.5", 70), ("71.5", 72), ("229.5", 230), ("327.4875", 327),
    ("354.85", 355), ("-0.5", 0), ("9.0909", 9)])
def test_round_half_even(value: str, expected: int) -> None:
    assert round_half_even(Decimal(value)) == expected


@pytest.mark.parametrize(("total", "weights", "expected"), [
    (500, [1000, 2000, 3000], [83, 167, 250]),
    (300, [1999, 1001], [200, 100]),
    (1, [1, 1, 1], [1, 0, 0]),  # a tie goes to the earlier part
    (2, [1, 1, 1], [1, 1, 0]),
    (7, [0, 5, 0], [0, 7, 0]),  # zero-weight parts get nothing
    (0, [1, 2], [0, 0]),
    (5, [0, 0], [0, 0]),
])
def test_apportion(total: int, weights: list[int], expected: list[int]) -> None:
    shares = apportion(total, [Decimal(w) for w in weights])
    assert shares == expected
    assert sum(shares) == (total if any(weights) else 0)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_pricing_unit(case: Case) -> None:
    order = calculate_order(case.order("L1"), "USD", {}.get, 1_700_000_000_000_000)
    check(order, case)
    validate(order, "Order")


@pytest.mark.parametrize(("change", "code", "where"), [
    ({"taxes": [{"uid": "t", "percentage": "abc"}]}, "INVALID_VALUE", "order.taxes[0].percentage"),
    ({"taxes": [{"uid": "t", "percentage": 7.25}]}, "EXPECTED_STRING", "order.taxes[0].percentage"),
    ({"taxes": [{"uid": "t", "percentage": "\u0663"}]}, "INVALID_VALUE", "order.taxes[0].percentage"),
    ({"taxes": [{"uid": "t", "percentage": "101"}]}, "INVALID_VALUE", "order.taxes[0].percentage"),
    ({"taxes": [{"uid": "t", "percentage": "5", "type": "SOMETIMES"}]}, "INVALID_ENUM_VALUE", "order.taxes[0].type"),
    ({"taxes": [{"uid": "t"}]}, "MISSING_REQUIRED_PARAMETER", "order.taxes[0].percentage"),
    ({"taxes": [{"catalog_object_id": "NOPE"}]}, "NOT_FOUND", "order.taxes[0].catalog_object_id"),
    ({"taxes": {"uid": "t"}}, "EXPECTED_ARRAY", "order.taxes"),
    ({"discounts": [{"uid": "d", "type": "FIXED_AMOUNT", "amount_money": usd(-5)}]}, "INVALID_VALUE",
     "order.discounts[0].amount_money.amount"),
    ({"discounts": [{"uid": "d", "type": "FIXED_PERCENTAGE", "percentage": "1e3"}]}, "INVALID_VALUE",
     "order.discounts[0].percentage"),
    ({"discounts": [{"uid": "d", "type": "VARIABLE_AMOUNT"}]}, "INVALID_ENUM_VALUE", "order.discounts[0].type"),
    ({"discounts": [pct_off("d", "5"), pct_off("d", "6")]}, "INVALID_VALUE", "order.discounts[1].uid"),
    ({"line_items": [line("A", 100, applied_discounts=[{"discount_uid": "ghost"}])]}, "INVALID_VALUE",
     "order.line_items[0].applied_discounts[0].discount_uid"),
    ({"line_items": [line("A", 100, applied_taxes=[{"tax_uid": "ghost"}])]}, "INVALID_VALUE",
     "order.line_items[0].applied_taxes[0].tax_uid"),
    ({"service_charges": [{"name": "Fee", "amount_money": usd(-1)}]}, "INVALID_VALUE",
     "order.service_charges[0].amount_money.amount"),
    ({"service_charges": [{"name": "Fee", "amount_money": usd(1), "taxable": True}]}, "INVALID_VALUE",
     "order.service_charges[0].taxable"),
])
def test_pricing_rejects_bad_input(change: dict[str, Any], code: str, where: str) -> None:
    order = {"location_id": "L1", "line_items": [line("A", 100)], **change}
    with pytest.raises(OrderError) as raised:
        calculate_order(order, "USD", {}.get, 1)
    assert (raised.value.code, raised.value.field, raised.value.status) == (code, where, 400)


# -- over HTTP: CalculateOrder and CreatePaymentLink -----------------------------------------------
@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with sandbox_server(token=TOKEN, items=ITEMS, seed=11) as srv:
        yield srv


@pytest.fixture
def http(server: Any) -> Iterator[requests.Session]:
    with sandbox_session(server, token=TOKEN, items=ITEMS, seed=11) as session:
        yield session


def call(http: requests.Session, server: Any, op: tuple[str, str], body: dict[str, Any],
         status: int = 200) -> dict[str, Any]:
    """One Square call; a well-formed request body is validated against the spec first, the answer always."""
    if status == 200:
        validate(body, request_schema_name(*op))
    response = http.request(op[0], f"{server.base_url}{op[1]}", json=body, timeout=30)
    assert response.status_code == status, response.text
    answer = response.json()
    validate(answer, response_schema_name(*op))
    return answer


def location_id(http: requests.Session, server: Any) -> str:
    answer = http.get(f"{server.base_url}/v2/locations", timeout=30).json()
    return answer["locations"][0]["id"]


def pay(http: requests.Session, server: Any, link: dict[str, Any]) -> dict[str, Any]:
    """Pay the link's page with the good test card; the resulting Payment."""
    paid = http.post(link["url"], data={"card_number": GOOD_CARD}, allow_redirects=False, timeout=10)
    assert paid.status_code == 200, paid.text
    order = http.get(f"{server.base_url}/v2/orders/{link['order_id']}", timeout=30).json()
    validate(order, response_schema_name("GET", "/v2/orders/{order_id}"))
    payment_id = order["order"]["tenders"][0]["payment_id"]
    payment = http.get(f"{server.base_url}/v2/payments/{payment_id}", timeout=30).json()
    validate(payment, response_schema_name("GET", "/v2/payments/{payment_id}"))
    return payment["payment"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_calculate_order_and_payment_link_agree(http: requests.Session, server: Any, case: Case) -> None:
    loc = location_id(http, server)
    before = control(http, server, "GET", "state/summary")["orders"]
    calculated = call(http, server, CALCULATE, {"order": case.order(loc)})["order"]
    check(calculated, case)
    assert "id" not in calculated
    assert control(http, server, "GET", "state/summary")["orders"] == before  # nothing stored
    body: dict[str, Any] = {"idempotency_key": f"price-{case.id}",
                            "order": case.order(loc, shipping_as_service_charge=False)}
    if case.shipping:
        body["checkout_options"] = {"shipping_fee": {"name": "Shipping", "charge": usd(case.shipping)}}
    created = call(http, server, CREATE_LINK, body)
    order = created["related_resources"]["orders"][0]
    check(order, case)
    if case.total == 0:
        return  # nothing to pay
    page = http.get(created["payment_link"]["url"], timeout=10).text
    assert f'id="total">${case.total // 100:,}.{case.total % 100:02d}<' in page
    payment = pay(http, server, created["payment_link"])
    assert payment["amount_money"] == payment["total_money"] == usd(case.total)


def test_checkout_page_shows_the_breakdown(http: requests.Session, server: Any) -> None:
    loc = location_id(http, server)
    body = {"idempotency_key": "breakdown",
            "order": {"location_id": loc, "line_items": [line("A", 1999), line("B", 1001)],
                      "discounts": [pct_off("d", "10")], "taxes": [tax("t", "8.5")]},
            "checkout_options": {"shipping_fee": {"name": "Standard shipping", "charge": usd(499)},
                                 "ask_for_shipping_address": True},
            "pre_populated_data": {"buyer_email": "shopper@example.com", "buyer_address": {
                "address_line_1": "500 Electric Ave", "locality": "New York",
                "administrative_district_level_1": "NY", "postal_code": "10003", "country": "US"}}}
    link = call(http, server, CREATE_LINK, body)["payment_link"]
    assert link["checkout_options"]["ask_for_shipping_address"] is True
    assert link["pre_populated_data"]["buyer_address"]["locality"] == "New York"
    fetched = http.get(f"{server.base_url}/v2/online-checkout/payment-links/{link['id']}", timeout=30).json()
    validate(fetched, response_schema_name("GET", "/v2/online-checkout/payment-links/{id}"))
    assert fetched["payment_link"]["pre_populated_data"] == body["pre_populated_data"]
    page = http.get(link["url"], timeout=10).text
    for key, amount in (("subtotal", "$30.00"), ("discount", "−$3.00"), ("shipping", "$4.99"), ("tax", "$2.30"),
                        ("total", "$34.29")):
        assert f'id="{key}">{amount}<' in page
    assert "Standard shipping" in page and 'value="500 Electric Ave"' in page
    assert pay(http, server, link)["amount_money"] == usd(3429)


def test_catalog_tax_supplies_name_rate_and_type(http: requests.Session, server: Any) -> None:
    store = server.sandbox.store
    items = http.post(f"{server.base_url}/v2/catalog/search", json={"object_types": ["ITEM"], "limit": 5},
                      timeout=30).json()["objects"]
    variation = next(i for i in items if i["item_data"].get("variations"))["item_data"]["variations"][0]
    control(http, server, "POST", f"catalog/{variation['id']}/price", json={"amount": 2000})
    with store.lock:
        version = store.clock.tick()
        catalog_tax = {"type": "TAX", "id": "TAXSALES825", "version": version, "is_deleted": False,
                       "updated_at": "2025-01-01T00:00:00Z", "present_at_all_locations": True,
                       "tax_data": {"name": "Sales tax", "calculation_phase": "TAX_SUBTOTAL_PHASE",
                                    "inclusion_type": "ADDITIVE", "percentage": "8.25", "enabled": True}}
        validate(catalog_tax, "CatalogObject")
        store.catalog.put(catalog_tax)
    order = {"location_id": location_id(http, server),
             "line_items": [{"catalog_object_id": variation["id"], "quantity": "2"}],
             "taxes": [{"uid": "sales", "catalog_object_id": "TAXSALES825", "scope": "ORDER"}]}
    calculated = call(http, server, CALCULATE, {"order": order})["order"]
    (applied,) = calculated["taxes"]
    assert (applied["name"], applied["percentage"], applied["type"]) == ("Sales tax", "8.25", "ADDITIVE")
    assert applied["catalog_version"] == version
    assert calculated["total_tax_money"] == usd(330) and calculated["total_money"] == usd(4330)  # 4000 × 8.25%
    created = call(http, server, CREATE_LINK, {"idempotency_key": "catalog-tax", "order": order})
    assert created["related_resources"]["orders"][0]["total_money"] == usd(4330)
    assert pay(http, server, created["payment_link"])["amount_money"] == usd(4330)


@pytest.mark.parametrize(("op", "body", "code", "where"), [
    (CALCULATE, {"order": {"line_items": [line("A", 100)], "taxes": [{"uid": "t", "percentage": "seven"}]}},
     "INVALID_VALUE", "order.taxes[0].percentage"),
    (CALCULATE, {"order": {"line_items": [line("A", 100, applied_discounts=[{"discount_uid": "nope"}])]}},
     "INVALID_VALUE", "order.line_items[0].applied_discounts[0].discount_uid"),
    (CALCULATE, {"order": {"line_items": [line("A", 100)],
                           "discounts": [{"uid": "d", "type": "FIXED_AMOUNT", "amount_money": usd(-100)}]}},
     "INVALID_VALUE", "order.discounts[0].amount_money.amount"),
    (CALCULATE, {"order": {"line_items": [line("A", 100)], "taxes": [{"catalog_object_id": "MISSING"}]}},
     "NOT_FOUND", "order.taxes[0].catalog_object_id"),
    (CALCULATE, {"order": {"line_items": [line("A", 100)], "taxes": "all of them"}}, "EXPECTED_ARRAY", "order.taxes"),
    (CALCULATE, {}, "MISSING_REQUIRED_PARAMETER", "order"),
    (CALCULATE, {"order": {"line_items": [line("A", 100)]}, "proposed_rewards": [{"id": "r"}]}, "BAD_REQUEST",
     "proposed_rewards"),
    (CREATE_LINK, {"idempotency_key": "bad-1", "order": {"line_items": [line("A", 100)]},
                   "checkout_options": {"shipping_fee": {"name": "Ship", "charge": usd(-1)}}},
     "INVALID_VALUE", "checkout_options.shipping_fee.charge.amount"),
    (CREATE_LINK, {"idempotency_key": "bad-2", "order": {"line_items": [line("A", 100)]},
                   "checkout_options": {"shipping_fee": {"name": "Ship"}}},
     "MISSING_REQUIRED_PARAMETER", "checkout_options.shipping_fee.charge"),
    (CREATE_LINK, {"idempotency_key": "bad-3", "order": {"line_items": [line("A", 100)]},
                   "checkout_options": {"ask_for_shipping_address": "yes"}},
     "EXPECTED_BOOLEAN", "checkout_options.ask_for_shipping_address"),
    (CREATE_LINK, {"idempotency_key": "bad-4", "order": {"line_items": [line("A", 100)]},
                   "pre_populated_data": {"buyer_address": {"country": "USA"}}},
     "INVALID_ENUM_VALUE", "pre_populated_data.buyer_address.country"),
    (CREATE_LINK, {"idempotency_key": "bad-5", "order": {"line_items": [line("A", 100)]},
                   "pre_populated_data": {"buyer_address": {"zip": "10003"}}},
     "INVALID_VALUE", "pre_populated_data.buyer_address.zip"),
    (CREATE_LINK, {"idempotency_key": "bad-6", "order": {"line_items": [line("A", 100)],
                                                         "taxes": [{"uid": "t", "percentage": "5%"}]}},
     "INVALID_VALUE", "order.taxes[0].percentage"),
])
def test_bad_input_is_a_400_in_squares_error_shape(http: requests.Session, server: Any, op: tuple[str, str],
                                                   body: dict[str, Any], code: str, where: str) -> None:
    if isinstance(body.get("order"), dict):
        body = {**body, "order": {"location_id": location_id(http, server), **body["order"]}}
    answer = call(http, server, op, body, status=400)
    (error,) = answer["errors"]
    assert (error["category"], error["code"], error["field"]) == ("INVALID_REQUEST_ERROR", code, where)
    assert control(http, server, "GET", "state/summary")["orders"] == 0


def test_client_calculate_order_and_payment_link_keywords(http: requests.Session, server: Any) -> None:
    case = next(c for c in CASES if c.id == "shipping-fee-untaxed")
    loc = location_id(http, server)
    address = {"address_line_1": "1 Main St", "locality": "Springfield", "postal_code": "90210", "country": "US"}
    with SquareClient(server.base_url, TOKEN, max_retries=0) as client:
        check(client.calculate_order(case.order(loc)), case)
        plain = client.create_payment_link("client-plain", order=case.order(loc, shipping_as_service_charge=False),
                                           redirect_url="https://shop.example/done")
        assert plain["related_resources"]["orders"][0]["total_money"] == usd(2160)  # no shipping fee
        assert "pre_populated_data" not in plain["payment_link"]
        created = client.create_payment_link(
            "client-ship", order=case.order(loc, shipping_as_service_charge=False),
            redirect_url="https://shop.example/done", buyer_email="a@example.com",
            shipping_fee={"name": "Shipping", "charge": usd(case.shipping)}, buyer_address=address,
            ask_for_shipping_address=True)
    validate(created, "CreatePaymentLinkResponse")
    check(created["related_resources"]["orders"][0], case)
    link = created["payment_link"]
    assert link["checkout_options"] == {"redirect_url": "https://shop.example/done", "ask_for_shipping_address": True,
                                        "shipping_fee": {"name": "Shipping", "charge": usd(case.shipping)}}
    assert link["pre_populated_data"] == {"buyer_email": "a@example.com", "buyer_address": address}
