"""Journey (c): staff sign in, run a full catalog sync and watch it live, enrich a record from (recorded)
Discogs responses, and replay a dead webhook from the DLQ with a reason."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from storefront.extensions import db
from tests.support.accounts import PASSWORD, make_staff
from tests.support.browser import Shop, screenshot, wait_until
from tests.support.discogs import install_fake_discogs

pytestmark = pytest.mark.browser

SYNC_ITEMS = 250  # three catalog pages of 100, so the progress has somewhere to go
DISCOGS_RELEASE = 3329867  # "Trash80 & Dma-Sc - Darwinia Soundtrack", recorded in the Discogs fixtures


@pytest.fixture
def staff_shop(make_shop, sandbox) -> Shop:
    """An empty shop (the staff member's sync fills it) whose ECS answers catalog pages slowly."""
    sandbox.reset(items=SYNC_ITEMS)
    shop = make_shop(sync=False)
    install_fake_discogs(shop.app)  # the app's Discogs client answers from recorded responses
    return shop


@pytest.fixture
def staff_page(open_browser, staff_shop: Shop):
    context = open_browser(base_url=staff_shop.base_url)
    return context.pages[0] if context.pages else context.new_page()


TOTP_SECRET = pyotp.random_base32()  # the staff member's authenticator (the DLQ needs two-factor on)


def sign_in(page, email: str) -> None:
    page.goto("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Authenticator code").fill(pyotp.TOTP(TOTP_SECRET).now())
    with page.expect_navigation():
        page.get_by_role("button", name="Verify").click()


def observe_sync_run(page, timeout: float = 30.0) -> list[tuple[str, int]]:
    """(status, items processed) of the live run partial, each time it changes, until it settles."""
    seen: list[tuple[str, int]] = []
    run = page.locator("#sync-current article.sync-run")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = (run.get_attribute("data-status", timeout=1000) or "",
                     int(run.locator(".items-seen").inner_text(timeout=1000)))
        except Exception:  # noqa: BLE001 - the partial is being swapped right now; look again
            state = None
        if state and (not seen or seen[-1] != state):
            seen.append(state)
        if state and state[0] in ("succeeded", "failed", "aborted"):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"the sync did not finish in {timeout:g}s; saw {seen}")


def test_staff_sign_in_sync_enrich_and_replay_a_dead_webhook(staff_page, staff_shop: Shop, sandbox):
    page, shop = staff_page, staff_shop
    staff = make_staff(shop.app, "ops@example.com", name="Ops Person", totp_enabled=True, totp_secret=TOTP_SECRET)

    # --- sign in -------------------------------------------------------------------------------
    page.goto("/staff/")
    assert "/staff/login" in page.url  # the back office needs a staff session
    sign_in(page, staff.email)
    assert page.url == shop.url("/staff/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {staff.email}")).to_be_visible()
    screenshot(page, "staff-dashboard")

    # --- full sync, watched live -----------------------------------------------------------------
    page.get_by_role("navigation", name="Back office").get_by_role("link", name="Catalog sync").click()
    page.wait_for_url(shop.url("/staff/sync/"))
    page.evaluate("window.__journeyMarker = 'same document'")
    sandbox.control("POST", "faults", json={"rules": [
        {"path_prefix": "/v2/catalog/list", "kind": "latency", "latency_ms": 600}]})
    try:
        page.get_by_role("button", name="Start full sync").click()
        observed = observe_sync_run(page)
    finally:
        sandbox.control("DELETE", "faults")
    print("observed sync progress:", observed)
    statuses = [status for status, _ in observed]
    counts = [count for _, count in observed]
    assert statuses[-1] == "succeeded", observed
    assert {"queued", "running"} & set(statuses[:-1]), f"never saw the run in progress: {observed}"
    assert counts == sorted(counts) and len(set(counts)) >= 2, f"progress never moved: {observed}"
    assert counts[-1] == SYNC_ITEMS
    final = page.locator("#sync-current article.sync-run")
    assert final.get_attribute("hx-trigger") is None  # finished runs stop polling
    assert final.locator(".badge").inner_text() == "succeeded"
    assert page.evaluate("window.__journeyMarker") == "same document"  # HTMX swaps, never a reload
    screenshot(page, "staff-sync-finished")
    page.reload()
    expect(page.locator("table.sync-history tbody tr").first).to_contain_text("succeeded")

    # --- enrich a record from Discogs -----------------------------------------------------------
    enrich_from_discogs(page, shop)

    # --- a dead webhook, replayed with a reason --------------------------------------------------
    variation_ecs_id, row_id = dead_inventory_event(shop, quantity=42)
    page.get_by_role("navigation", name="Back office").get_by_role("link", name="Webhooks DLQ").click()
    page.wait_for_url(re.compile(re.escape(shop.url("/staff/webhooks/dlq"))))
    row = page.locator("#dlq-results tr[data-status='dead']").filter(has_text="inventory.count.updated")
    expect(row).to_have_count(1)
    row.get_by_role("link", name=str(row_id)).click()
    page.wait_for_url(shop.url(f"/staff/webhooks/dlq/{row_id}"))
    reason = page.locator("#retry-reason")
    page.get_by_role("button", name="Retry now").click()  # no reason: the browser itself refuses to submit
    assert reason.evaluate("el => el.validity.valueMissing") is True
    assert page.url == shop.url(f"/staff/webhooks/dlq/{row_id}")
    reason.fill("ECS timeout fixed; replaying")
    with page.expect_navigation():
        page.get_by_role("button", name="Retry now").click()
    expect(page.locator(".flash-success")).to_have_text(
        f"Webhook event #{row_id} (inventory.count.updated) queued for another try.")

    def processed() -> bool:
        page.reload()
        return page.locator("dd [data-status]").first.get_attribute("data-status") == "processed"

    wait_until(processed, timeout=15, what="the replayed event is processed")
    assert stock_of(shop, variation_ecs_id) == 42

    from storefront.audit.models import AuditEntry

    audit = shop.query(lambda: db.session.execute(
        select(AuditEntry.action, AuditEntry.reason).where(AuditEntry.action == "dlq.retry")).all())
    assert [tuple(a) for a in audit] == [("dlq.retry", "ECS timeout fixed; replaying")]


def enrich_from_discogs(page, shop: Shop) -> None:
    """Search Discogs from an item's page, fill the form from a release (HTMX), review, save, see it on the shop."""
    from storefront.catalog.models import ItemDetail

    page.get_by_role("navigation", name="Back office").get_by_role("link", name="Items").click()
    page.wait_for_url(re.compile(re.escape(shop.url("/staff/items"))))
    row = page.locator("#item-results tr[data-item-id]").first
    item_id = int(row.get_attribute("data-item-id"))
    row.get_by_role("link").first.click()
    page.wait_for_url(shop.url(f"/staff/items/{item_id}"))
    page.evaluate("window.__journeyMarker = 'same document'")
    for prefilled in ("Artist", "Title", "Catalog no.", "Barcode"):
        page.locator(".discogs-form").get_by_label(prefilled, exact=True).fill("")
    page.locator(".discogs-form").get_by_label("Search", exact=True).fill("Trash80")
    page.get_by_role("button", name="Search Discogs").click()
    release = page.locator(f"#discogs-results li[data-release-id='{DISCOGS_RELEASE}']")
    expect(release).to_contain_text("Darwinia Soundtrack")
    release.get_by_role("button", name="Use this release").click()
    form = page.locator("#enrichment-form")
    expect(form).to_contain_text(f"Filled from Discogs release #{DISCOGS_RELEASE}")
    expect(form.get_by_label("Year")).to_have_value("2005")
    expect(form.locator("#e-tracklist")).to_contain_text("Visitors From Dreams")
    assert page.evaluate("window.__journeyMarker") == "same document"
    assert shop.query(lambda: db.session.scalar(select(ItemDetail.id).where(ItemDetail.item_id == item_id))) is None
    form.get_by_label("Staff pick").fill("Chiptune from the Darwinia game: play it loud.")
    with page.expect_navigation():
        form.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_contain_text("Saved")

    detail = shop.query(lambda: db.session.execute(
        select(ItemDetail.discogs_release_id, ItemDetail.year, ItemDetail.staff_pick, ItemDetail.updated_by)
        .where(ItemDetail.item_id == item_id)).one())
    assert tuple(detail) == (DISCOGS_RELEASE, 2005, "Chiptune from the Darwinia game: play it loud.",
                             "ops@example.com")
    page.get_by_role("link", name="View on the shop").click()
    expect(page.locator(".tracklist")).to_contain_text("Visitors From Dreams")  # shoppers see the enrichment
    expect(page.locator("blockquote.staff-pick")).to_contain_text("play it loud")
    screenshot(page, "product-enriched")
    page.go_back()


def dead_inventory_event(shop: Shop, quantity: int) -> tuple[str, int]:
    """A genuine inventory.count.updated for a synced record that failed every attempt (the DLQ's case)."""
    from storefront.catalog.models import ItemVariation
    from storefront.ecs.provider import shop_location_id
    from storefront.webhooks.models import WebhookEvent

    def insert() -> tuple[str, int]:
        ecs_id = db.session.scalar(select(ItemVariation.ecs_id).order_by(ItemVariation.id).limit(1))
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        payload = {"merchant_id": "MLSANDBOX0000001", "type": "inventory.count.updated",
                   "event_id": str(uuid.uuid4()), "created_at": now,
                   "data": {"type": "inventory_counts", "id": str(uuid.uuid4()), "object": {"inventory_counts": [
                       {"catalog_object_id": ecs_id, "catalog_object_type": "ITEM_VARIATION", "state": "IN_STOCK",
                        "location_id": shop_location_id(), "quantity": str(quantity), "calculated_at": now}]}}}
        row = WebhookEvent(event_id=payload["event_id"], event_type=payload["type"], payload=payload,
                           status="dead", attempts=5, last_error="ECSUnavailable: the ECS timed out (5 attempts)")
        db.session.add(row)
        db.session.commit()
        return ecs_id, row.id

    return shop.query(insert)


def stock_of(shop: Shop, variation_ecs_id: str) -> int | None:
    from storefront.catalog.models import ItemVariation, StockLevel

    return shop.query(lambda: db.session.scalar(
        select(StockLevel.quantity).join(ItemVariation, ItemVariation.id == StockLevel.variation_id)
        .where(ItemVariation.ecs_id == variation_ecs_id)))
