"""Wantlists in a real browser: a guest asks to be told when a sold-out record comes back (desktop
and phone), confirms the email by its link, the record is restocked in Square (a signed inventory
webhook reaches the shop), the digest email arrives and its unsubscribe link works without logging
in; staff see the demand. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.catalog.models import Item, ItemVariation
from storefront.wantlist.services import send_digests
from tests.support.accounts import PASSWORD, make_staff
from tests.support.browser import link_in, screenshot, wait_until

pytestmark = pytest.mark.browser


def sold_out_record(shop) -> tuple[int, str]:
    """A record whose every copy is sold out, and the ECS id of its first variation."""
    def find() -> tuple[int, str]:
        from storefront.extensions import db

        item = db.session.scalars(select(Item).where(Item.kind == "record", Item.is_deleted.is_(False),
                                                     Item.stock <= 0).order_by(Item.id).limit(1)).first()
        assert item is not None, "the demo catalog has a sold-out record"
        variation = db.session.scalars(select(ItemVariation).where(ItemVariation.item_id == item.id,
                                                                   ItemVariation.is_deleted.is_(False))
                                       .order_by(ItemVariation.id)).first()
        return item.id, variation.ecs_id

    return shop.query(find)


@pytest.mark.parametrize("viewport, label", [({"width": 1280, "height": 900}, "desktop"),
                                             ({"width": 390, "height": 844}, "phone")])
def test_guest_is_told_when_a_wanted_record_comes_back(open_browser, make_shop, sandbox, viewport, label):
    sandbox.reset(items=60)
    shop = make_shop()
    item_id, ecs_variation_id = sold_out_record(shop)
    email = f"digger-{label}@example.com"
    context = open_browser(base_url=shop.base_url)
    page = context.pages[0] if context.pages else context.new_page()
    page.set_viewport_size(viewport)

    page.goto(f"/catalog/{item_id}")
    follow = page.locator("details.wantlist-follow")
    assert follow.get_attribute("open") is not None  # sold out: the form is open, and the main action
    follow.get_by_label("Your email").fill(email)
    follow.get_by_label("Maximum price").fill("60")
    screenshot(page, f"wantlist-notify-me-{label}")
    with page.expect_navigation():
        follow.get_by_role("button", name="Notify me").click()
    assert "/wantlist/check-email" in page.url

    body = wait_until(lambda: shop.latest_email_body(email, "wantlist.confirm"), what="the confirmation email")
    page.goto(link_in(body, "/wantlist/confirm/"))
    with page.expect_navigation():
        page.locator("#wantlist-confirm-button").click()
    screenshot(page, f"wantlist-confirmed-{label}")

    make_staff(shop.app, f"demand-{label}@example.com")
    page.goto("/staff/login")
    page.get_by_label("Email").fill(f"demand-{label}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.goto("/staff/demand/")
    row = page.locator(f'.demand-table tr[data-item-id="{item_id}"]')
    assert row.locator(".demand-followers").inner_text() == "1"  # the confirmed guest
    screenshot(page, f"wantlist-staff-demand-{label}")

    sandbox.control("POST", f"inventory/{ecs_variation_id}", json={"quantity": 2})  # restocked in Square
    wait_until(lambda: shop.query(lambda: send_digests()) == 1, what="the back-in-stock digest")
    digest = shop.latest_email_body(email, "wantlist.digest")
    assert digest and f"/catalog/{item_id}" in digest
    page.goto(link_in(digest, "/wantlist/unsubscribe/"))  # no login: the signed link is enough
    with page.expect_navigation():
        page.locator("#wantlist-unsubscribe-button").click()
    assert "won't get this alert any more" in page.locator("main").inner_text()
    screenshot(page, f"wantlist-unsubscribed-{label}")

