"""Journey (b): a shopper whose browser runs no JavaScript still filters the catalog and sends an inquiry."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from storefront.extensions import db
from tests.support.browser import Shop, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def no_js_page(open_browser, shop: Shop):
    context = open_browser(javascript=False, base_url=shop.base_url)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto("/")
    assert page.evaluate("1 + 1") == 2  # evaluate runs out of band; the page itself runs no scripts
    return page


def test_catalog_filter_and_search_submit_full_pages(no_js_page, shop: Shop):
    page = no_js_page
    page.goto("/catalog")
    all_records = page.locator("#result-count").inner_text()
    genres = page.locator("#catalog-filters fieldset.facet").filter(has=page.locator("legend", has_text="Genre"))
    genre = genres.locator("label.check").first
    value = genre.locator("input").get_attribute("value")
    expected = int(genre.locator(".facet-count").inner_text().strip("()"))
    genre.locator("input").check()
    assert page.locator("#result-count").inner_text() == all_records  # nothing happens until the form is sent
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    assert f"genre={value}" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Records"  # a whole page, not a fragment
    assert page.locator("#result-count").inner_text().startswith(f"{expected} record")
    assert page.locator(f"#catalog-filters input[name=genre][value='{value}']").is_checked()
    cards = page.locator("#results .product-card")
    assert 0 < cards.count() <= expected
    screenshot(page, "no-js-catalog-filtered")

    artist = cards.first.locator(".product-artist").inner_text().strip()
    page.locator("#q").fill(artist)
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    assert "q=" in page.url and f"genre={value}" in page.url  # the search box submits the filter form
    assert page.locator("#results-heading").inner_text() == f"Results for “{artist}”"
    assert artist in page.locator("#results .product-card .product-artist").all_inner_texts()


def test_inquiry_form_posts_and_shows_the_tracking_id(no_js_page, shop: Shop):
    page = no_js_page
    page.goto("/events/inquiry")
    page.get_by_label("Your name").fill("Nina Simone")
    page.get_by_label("Email").fill("nina@example.com")
    page.get_by_label("Kind of event").select_option("listening_session")
    page.get_by_label("Preferred date").fill((date.today() + timedelta(days=30)).isoformat())
    page.get_by_label("Number of guests (optional)").fill("25")
    page.get_by_label("Tell us about your event").fill("A listening evening for a jazz reissue, about 25 guests.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send inquiry").click()

    assert page.url == shop.url("/events/inquiry/thanks")
    tracking_id = page.locator("#tracking-id").inner_text().strip()
    assert tracking_id
    screenshot(page, "no-js-inquiry-thanks")

    from storefront.inquiries.models import EventInquiry

    stored = shop.query(lambda: db.session.execute(
        select(EventInquiry.name, EventInquiry.email, EventInquiry.event_type)
        .where(EventInquiry.tracking_id == tracking_id)).one())
    assert tuple(stored) == ("Nina Simone", "nina@example.com", "listening_session")
