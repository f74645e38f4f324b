"""Sales channels in a real browser: an admin connects a Google product feed from the back
office, runs a full sync (HTMX, live progress) and sees the listed copies and the feed URL,
which serves them; desktop and phone screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
import requests

from tests.support.accounts import PASSWORD, make_staff
from tests.support.browser import screenshot, staff_sign_in, wait_until

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
    assert form.locator("option[value=discogs]").is_disabled()  # not available yet, and it says so
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
