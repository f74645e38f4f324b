"""Sales channels in a real browser: an admin connects a Google product feed from the back
office, runs a full sync (HTMX, live progress) and sees the listed copies and the feed URL,
which serves them; desktop and phone screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
import requests

from storefront.channels.offers import variation_of
from storefront.channels.sales import poll_all
from storefront.ecs.provider import shop_location_id
from tests.support.accounts import PASSWORD, make_staff
from tests.support.browser import screenshot, staff_sign_in, wait_until
from tests.support.channels import DISCOGS_TOKEN, give_release_ids

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport, label", [({"width": 1280, "height": 900}, "desktop"),
                                             ({"width": 390, "height": 844}, "phone")])
def test_an_admin_connects_a_feed_and_syncs_it(open_browser, make_shop, sandbox, viewport, label):
    sandbox.reset(items=30, shape="seller")
    shop = make_shop()
    make_staff(shop.app, "channels@example.com", name="Channel Admin", role="admin")
    context = open_browser(base_url=shop.base_url)
    page = context.pages[0] if context.pages else context.new_page()
    page.set_viewport_size(viewport)
    staff_sign_in(page, "channels@example.com", PASSWORD)
    page.goto("/staff/channels/")
    form = page.locator("form.channel-form")
    form.get_by_label("Channel").select_option("google_feed")
    form.get_by_label("Code").fill("google")
    form.get_by_label("Name").fill("Google Shopping")
    screenshot(page, f"channels-connect-{label}")
    form.get_by_role("button", name="Connect").click()
    page.wait_for_url("**/staff/channels/google")
    assert "Connected Google Shopping" in page.locator(".flash").first.inner_text()

    page.get_by_role("button", name="Full sync").click()
    job = page.locator("#channel-current .channel-job")
    wait_until(lambda: job.get_attribute("data-status") == "completed", what="the sync to complete")
    figures = job.locator(".job-figures").inner_text()
    assert " listed" in figures and "0 failed" in figures
    page.reload()
    listed = int(page.locator(".listed-count").inner_text())
    assert listed > 0
    feed_url = page.locator(".feed-url").inner_text()
    screenshot(page, f"channels-detail-{label}")
    feed = requests.get(feed_url, timeout=10)  # PUBLIC_BASE_URL is the live shop here
    assert feed.status_code == 200 and 0 < feed.text.count("<item>") <= listed


def test_an_admin_lists_copies_on_discogs_and_a_sale_there_comes_home(open_browser, make_shop, sandbox,
                                                                        discogs_sandbox):
    """Connect the Discogs sandbox from the back office, sync with live progress, buy a copy on the
    sandbox's own page, and after one poll the back office shows it sold and the ECS count dropped."""
    sandbox.reset(items=20, shape="seller")
    shop = make_shop(CHANNEL_DISCOGS_RATE_WINDOW=1.0)
    shop.query(give_release_ids)
    make_staff(shop.app, "discogs@example.com", name="Discogs Admin", role="admin")
    context = open_browser(base_url=shop.base_url)
    page = context.pages[0] if context.pages else context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    staff_sign_in(page, "discogs@example.com", PASSWORD)
    page.goto("/staff/channels/")
    form = page.locator("form.channel-form")
    form.get_by_label("Channel").select_option("discogs")
    form.get_by_label("Code").fill("discogs")
    form.get_by_label("Name").fill("Discogs Marketplace")
    form.get_by_label("API root").fill(discogs_sandbox.base_url)
    form.get_by_label("Token", exact=False).and_(form.locator("#discogs-token")).fill(DISCOGS_TOKEN)
    form.get_by_role("button", name="Connect").click()
    page.wait_for_url("**/staff/channels/discogs")
    page.get_by_role("button", name="Full sync").click()
    job = page.locator("#channel-current .channel-job")
    wait_until(lambda: job.get_attribute("data-status") in ("completed", "completed_with_errors"),
               what="the Discogs sync to complete")
    page.reload()
    listed = int(page.locator(".listed-count").inner_text())
    assert listed == len(discogs_sandbox.listings("For Sale")) > 0
    screenshot(page, "channels-discogs-detail-desktop")

    location = shop.query(shop_location_id)

    def in_stock_here(variation: str) -> int | None:
        counts = sandbox.control("GET", "inventory")["counts"]
        return next((int(float(c["quantity"])) for c in counts if c["catalog_object_id"] == variation
                     and c["location_id"] == location and c["state"] == "IN_STOCK"), None)

    buyer = context.new_page()
    buyer.goto(discogs_sandbox.base_url + "/")
    rows = buyer.locator("tbody tr")
    keys = [rows.nth(n).locator("small").first.inner_text() for n in range(rows.count())]
    position = next(n for n, key in enumerate(keys) if in_stock_here(variation_of(key)))  # a counted copy
    key = keys[position]
    before = in_stock_here(variation_of(key))
    screenshot(buyer, "discogs-sandbox-desktop")
    rows.nth(position).get_by_role("button", name="Buy").click()
    assert "Sold" in buyer.locator("tbody tr").nth(position).inner_text()
    assert shop.query(poll_all)["discogs"] == 1
    wait_until(lambda: in_stock_here(variation_of(key)) == before - 1, what="the ECS count to drop")

    def sold_here() -> str:
        page.reload()
        return page.locator(".sold-count").inner_text()

    wait_until(lambda: sold_here() == "1", what="the back office to show the copy sold")  # the inbox job's last step
    assert int(page.locator(".listed-count").inner_text()) == listed - 1
