"""Journey (d): a guest buys two records for a UK address with a coupon, pays on the sandbox, follows the
email's link to the order; staff find it under "orders to ship", print the slip, ship it, and refund
one record — the ECS has the refund, the order shows it, the copy is back in stock."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from storefront.catalog.models import Item, ItemVariation, StockLevel
from storefront.coupons.models import Coupon
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.shipping.models import ShippingMethod, ShippingZone
from tests.support.accounts import PASSWORD, make_staff
from tests.support.browser import Shop, link_in, screenshot, wait_until
from tests.support.ecs import SANDBOX_TOKEN

pytestmark = pytest.mark.browser

GUEST = "vinyl.guest@example.com"
CARD = "4111 1111 1111 1111"


def _set_up_shop(shop: Shop) -> list[tuple[int, int, str]]:
    """UK shipping, a 10% coupon, and two single-format in-stock records: (item id, variation id, ECS id)."""
    def prepare() -> list[tuple[int, int, str]]:
        zone = ShippingZone(name="UK", countries="GB")
        zone.methods.append(ShippingMethod(name="Royal Mail Tracked", kind="per_unit", amount=1200,
                                           additional_amount=300))
        db.session.add_all([zone, ShippingMethod(name="Collect from the shop", kind="pickup"),
                            Coupon(code="SPIN10", kind="percent", percent=10, currency="USD")])
        rows = db.session.execute(
            select(Item.id, ItemVariation.id, ItemVariation.ecs_id)
            .join(ItemVariation, ItemVariation.item_id == Item.id)
            .join(StockLevel, StockLevel.variation_id == ItemVariation.id)
            .where(Item.kind == "record", Item.is_deleted.is_(False), StockLevel.quantity >= 2)
            .order_by(Item.id)).all()
        db.session.commit()
        single = [r for r in rows if sum(1 for x in rows if x[0] == r[0]) == 1]
        return [tuple(r) for r in single[:2]]

    return shop.query(prepare)


def _ecs_stock(shop: Shop, ecs_id: str) -> int:
    return shop.sandbox.inventory()[ecs_id]


def guest_buys(page, shop: Shop, records: list[tuple[int, int, str]]) -> str:
    for item_id, _variation, _ecs in records:
        page.goto(f"/catalog/{item_id}")
        page.locator("form[action$='/cart/add'] button:not([disabled])").first.click()
        expect(page.locator("#cart-count").first).not_to_have_text("0")
    page.goto("/cart")
    page.locator("#cart-coupon input[name=code]").fill("spin10")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#cart-coupon")).to_contain_text("SPIN10")
    page.get_by_role("link", name="Check out").click()
    page.wait_for_url(shop.url("/checkout"))
    page.get_by_label("Email for your receipt").fill(GUEST)
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Address", exact=True).fill("12 St James's Square")
    page.get_by_label("Town or city").fill("London")
    page.get_by_label("Postcode / ZIP").fill("SW1Y 4JH")
    page.get_by_label("Country").select_option("GB")
    rate = page.get_by_label(re.compile("Royal Mail Tracked"))
    rate.check()  # the options appeared for the country (HTMX)
    summary = page.locator("#checkout-summary")
    expect(summary).to_contain_text("$15.00")  # first record $12, the next $3
    expect(summary).to_contain_text("Discount (SPIN10)")
    expect(summary).to_contain_text("NY sales tax")
    shown_total = summary.locator("dd.total").inner_text().strip()
    screenshot(page, "checkout-guest")
    page.get_by_role("button", name="Continue to secure payment").click()

    page.wait_for_url(re.compile(re.escape(shop.sandbox.base_url) + r"/checkout/"))
    expect(page.locator("body")).to_contain_text(shown_total)  # the ECS charges what the shop showed
    page.get_by_label("Card number").fill(CARD)
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    page.wait_for_url(re.compile(re.escape(shop.url("/orders/confirmation/"))))
    status = page.locator("#order-status .order-state")
    expect(status).to_have_attribute("data-status", "paid", timeout=20_000)
    for text in ("Royal Mail Tracked", "NY sales tax", "SPIN10", shown_total, "St James's Square"):
        expect(page.locator("#order-detail")).to_contain_text(text)
    screenshot(page, "confirmation-guest")
    return page.locator("#order-status h2").inner_text().removeprefix("Order ").strip()


def staff_ship_and_refund(page, shop: Shop, number: str, refund_line: tuple[int, int, str]) -> None:
    make_staff(shop.app, "packer@example.com")
    page.goto("/staff/login")
    page.get_by_label("Email").fill("packer@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.goto("/staff/")
    expect(page.locator("main")).to_contain_text("Orders to ship")
    page.get_by_role("link", name=number).first.click()
    page.get_by_role("link", name="Packing slip").click()
    expect(page.locator("body")).to_contain_text("St James's Square")
    screenshot(page, "packing-slip")
    page.go_back()
    page.get_by_label("Carrier").select_option(label="Royal Mail")
    page.get_by_label("Tracking number").fill("AB123456789GB")
    page.get_by_role("button", name="Mark shipped").click()
    expect(page.locator("main")).to_contain_text("AB123456789GB")

    order_id = shop.query(lambda: db.session.scalar(select(Order.id).where(Order.number == number)))
    line = shop.query(lambda: next(line for line in db.session.get(Order, order_id).lines
                                   if line.variation_id == refund_line[1]))
    before = _ecs_stock(shop, refund_line[2])
    page.get_by_label("Amount (USD)").fill(f"{line.unit_amount / 100:.2f}")
    page.get_by_label(re.compile("^Reason")).first.fill("Sleeve arrived split")
    page.locator(f"#restock-{line.id}").fill("1")
    page.get_by_role("button", name="Refund", exact=True).click()
    expect(page.locator("main")).to_contain_text("Refunds")
    screenshot(page, "staff-order-refunded")
    assert _ecs_stock(shop, refund_line[2]) == before + 1  # the copy is back in the ECS's stock
    refund_id = shop.query(lambda: db.session.get(Order, order_id).refunds[0].ecs_refund_id)
    ecs_refund = requests.get(f"{shop.sandbox.base_url}/v2/refunds/{refund_id}",
                              headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"}).json()["refund"]
    assert ecs_refund["amount_money"]["amount"] == line.unit_amount


def test_guest_buys_with_shipping_and_coupon_staff_ship_and_refund(open_browser, make_shop):
    shop = make_shop(TAX_PERCENT="8.875", TAX_NAME="NY sales tax")
    records = _set_up_shop(shop)
    assert len(records) == 2
    guest = open_browser(base_url=shop.base_url)
    page = guest.pages[0] if guest.pages else guest.new_page()
    number = guest_buys(page, shop, records)

    email = wait_until(lambda: shop.latest_email_body(GUEST, "order_confirmation"), what="confirmation email")
    page.goto(link_in(email, "/orders/status/"))
    expect(page.locator("#order-detail")).to_contain_text("Royal Mail Tracked")

    staff = open_browser(base_url=shop.base_url)
    staff_ship_and_refund(staff.pages[0] if staff.pages else staff.new_page(), shop, number, records[0])

    shipped = wait_until(lambda: shop.latest_email_body(GUEST, "orders/shipped"), what="shipped email")
    assert "AB123456789GB" in shipped and "royalmail.com" in shipped
    page.goto(link_in(email, "/orders/status/"))
    expect(page.locator("#order-detail")).to_contain_text("Refunded")
    expect(page.locator("#order-detail")).to_contain_text("Shipped")
    screenshot(page, "order-page-refunded")
