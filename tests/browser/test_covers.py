"""Covers in a real browser, on the demo catalog in the seller shape: every card of the first page
and the product page show their sleeve (decoded by the browser, not a placeholder box), on a
desktop and on a phone; after the seller changes a cover in Square, an incremental sync shows the
new one. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from storefront.catalog.models import Item
from storefront.sync.runner import execute_run
from storefront.sync.services import SyncAlreadyRunning, create_run
from tests.support.browser import screenshot, wait_until

pytestmark = pytest.mark.browser

LOADED = "img => img.complete && img.naturalWidth > 0"


def sync_after_the_webhooks(shop) -> str:
    """An incremental sync run here, once the one Square's catalog webhook may have started by
    itself has finished (two at once are refused)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return shop.query(lambda: execute_run(create_run("incremental").id).status)
        except SyncAlreadyRunning:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _first_record(shop) -> tuple[int, str]:
    return shop.query(lambda: tuple(shop_db_first_record()))


def shop_db_first_record() -> tuple[int, str]:
    from storefront.extensions import db

    row = db.session.execute(select(Item.id, Item.ecs_id).where(Item.kind == "record", Item.is_deleted.is_(False),
                                                                Item.name.contains(" - "))
                             .order_by(Item.id).limit(1)).one()
    return row[0], row[1]


@pytest.mark.parametrize("viewport, label", [({"width": 1280, "height": 900}, "desktop"),
                                             ({"width": 390, "height": 844}, "phone")])
def test_cards_and_the_product_page_show_their_covers(open_browser, make_shop, sandbox, viewport, label):
    sandbox.reset(items=40, shape="seller")
    shop = make_shop()
    context = open_browser(base_url=shop.base_url)
    page = context.pages[0] if context.pages else context.new_page()
    page.set_viewport_size(viewport)
    page.goto("/catalog")
    covers = page.locator(".product-card img")
    assert covers.count() >= 20
    first = covers.first
    first.scroll_into_view_if_needed()
    wait_until(lambda: first.evaluate(LOADED), what="the first card's cover")
    assert first.get_attribute("width") and first.get_attribute("height")  # no layout shift
    assert "/media/ecs/" in first.get_attribute("src")
    screenshot(page, f"covers-catalog-{label}")

    item_id, _ecs_id = _first_record(shop)
    page.goto(f"/catalog/{item_id}")
    cover = page.locator(".product-cover img, .product-media img").first
    wait_until(lambda: cover.evaluate(LOADED), what="the product cover")
    assert cover.evaluate("img => img.naturalWidth") >= 320
    screenshot(page, f"covers-product-{label}")


def test_a_cover_changed_in_square_shows_after_an_incremental_sync(open_browser, make_shop, sandbox):
    sandbox.reset(items=20, shape="seller")
    shop = make_shop()
    item_id, ecs_id = _first_record(shop)
    context = open_browser(base_url=shop.base_url)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"/catalog/{item_id}")
    cover = page.locator(".product-cover img, .product-media img").first
    before = cover.get_attribute("src")
    sandbox.control("POST", f"catalog/{ecs_id}/image", json={"caption": "Repress sleeve"})
    assert sync_after_the_webhooks(shop) == "succeeded"
    page.goto(f"/catalog/{item_id}")
    cover = page.locator(".product-cover img, .product-media img").first
    after = cover.get_attribute("src")
    assert after != before
    wait_until(lambda: cover.evaluate(LOADED), what="the new cover")
    screenshot(page, "covers-product-after-change")
