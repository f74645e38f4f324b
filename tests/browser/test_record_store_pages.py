"""The record store as a shopper first sees it, on the seller-shaped demo catalog, desktop and phone:
the home page's blocks, the catalog (the first record above the fold on a phone), a release with
several copies side by side (new and graded used), and the event space with its dated events and
the inquiry form. Screenshots go to test-artifacts/screenshots/ (the issue's "must show")."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.catalog.models import Item, ItemVariation
from tests.support.browser import screenshot, wait_until

pytestmark = pytest.mark.browser
LOADED = "img => img.complete && img.naturalWidth > 0"
VIEWPORTS = [({"width": 1280, "height": 900}, "desktop"), ({"width": 390, "height": 844}, "phone")]


def release_with_copies(shop) -> int:
    """A record with at least three live variations, one of them a graded used copy."""
    def find() -> int:
        from storefront.extensions import db

        graded = select(ItemVariation.item_id).where(ItemVariation.media_grade != "",
                                                     ItemVariation.is_deleted.is_(False))
        return db.session.scalar(
            select(Item.id).join(ItemVariation, ItemVariation.item_id == Item.id)
            .where(Item.kind == "record", Item.is_deleted.is_(False), ItemVariation.is_deleted.is_(False),
                   Item.id.in_(graded))
            .group_by(Item.id).having(func.count(ItemVariation.id) >= 3).order_by(Item.id).limit(1))

    return shop.query(find)


@pytest.mark.parametrize("viewport, label", VIEWPORTS)
def test_home_catalog_release_and_event_space(open_browser, make_shop, sandbox, viewport, label):
    sandbox.reset(items=80, shape="seller")
    shop = make_shop()
    context = open_browser(base_url=shop.base_url)
    page = context.pages[0] if context.pages else context.new_page()
    page.set_viewport_size(viewport)

    page.goto("/")
    headings = page.locator(".home-block h2").all_inner_texts()
    assert len(headings) >= 4 and "Browse by genre" in headings
    first_cover = page.locator(".home-block .product-card img").first
    wait_until(lambda: first_cover.evaluate(LOADED), what="the home page's first cover")
    screenshot(page, f"store-home-{label}")

    page.goto("/catalog")
    first = page.locator(".product-card").first
    wait_until(lambda: first.locator("img").evaluate(LOADED), what="the first card's cover")
    top = first.bounding_box()
    assert top is not None and top["y"] < viewport["height"], "the first record must be visible without scrolling"
    screenshot(page, f"store-catalog-{label}")

    item_id = release_with_copies(shop)
    assert item_id, "the seller demo has a release with several copies, one graded"
    page.goto(f"/catalog/{item_id}")
    rows = page.locator(".variations .variation")
    assert rows.count() >= 3
    assert page.locator(".variation-grade").count() >= 1  # a used copy's Goldmine grades beside its price
    screenshot(page, f"store-release-copies-{label}")

    page.goto("/events/inquiry")
    assert page.locator("#space-upcoming").count() == 1 and page.locator("form.inquiry-form").count() == 1
    assert page.locator("section[aria-labelledby='space-upcoming'] time").count() >= 1  # dated events
    screenshot(page, f"store-event-space-{label}")
