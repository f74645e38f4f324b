"""Journey (c): staff sign in, run a full catalog sync and watch it live, and replay a dead webhook."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from browser.support import Shop, screenshot, wait_until
from staffhelpers import PASSWORD, make_staff
from storefront.extensions import db

pytestmark = pytest.mark.browser

SYNC_ITEMS = 250  # three catalog pages of 100, so the progress has somewhere to go


@pytest.fixture
def staff_shop(make_shop, sandbox) -> Shop:
    """An empty shop (the staff member's sync fills it) whose ECS answers catalog pages slowly."""
    sandbox.reset(items=SYNC_ITEMS)
    return make_shop(sync=False)


@pytest.fixture
def staff_page(open_browser, staff_shop: Shop):
    context = open_browser(base_url=staff_shop.base_url)
    return context.pages[0] if context.pages else context.new_page()


def sign_in(page, email: str) -> None:
    page.goto("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


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


def test_staff_sign_in_sync_and_replay_a_dead_webhook(staff_page, staff_shop: Shop, sandbox):
    page, shop = staff_page, staff_shop
    staff = make_staff(shop.app, "ops@example.com", name="Ops Person")

    # --- sign in -------------------------------------------------------------------------------
    page.goto("/staff/")
    assert "/staff/login" in page.url  # the back office needs a staff session
    sign_in(page, staff.email)
    assert page.url == shop.url("/staff/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.get_by_text(f"Signed in as {staff.email}").is_visible()
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
    assert page.locator("table.sync-history tbody tr").first.get_by_text("succeeded").is_visible()

    # --- a dead webhook, replayed with a reason --------------------------------------------------
    variation_ecs_id, row_id = dead_inventory_event(shop, quantity=42)
    page.get_by_role("navigation", name="Back office").get_by_role("link", name="Webhooks DLQ").click()
    row = page.locator("#dlq-results tr[data-status='dead']").filter(has_text="inventory.count.updated")
    assert row.count() == 1
    row.get_by_role("link", name=str(row_id)).click()
    page.wait_for_url(shop.url(f"/staff/webhooks/dlq/{row_id}"))
    reason = page.locator("#retry-reason")
    page.get_by_role("button", name="Retry now").click()  # no reason: the browser itself refuses to submit
    assert reason.evaluate("el => el.validity.valueMissing") is True
    assert page.url == shop.url(f"/staff/webhooks/dlq/{row_id}")
    reason.fill("ECS timeout fixed; replaying")
    with page.expect_navigation():
        page.get_by_role("button", name="Retry now").click()
    assert page.get_by_text(f"Webhook event #{row_id} (inventory.count.updated) queued for another try").is_visible()

    def processed() -> bool:
        page.reload()
        return page.locator("dd [data-status]").first.get_attribute("data-status") == "processed"

    wait_until(processed, timeout=15, what="the replayed event is processed")
    assert stock_of(shop, variation_ecs_id) == 42

    from storefront.audit.models import AuditEntry

    audit = shop.query(lambda: db.session.execute(
        select(AuditEntry.action, AuditEntry.reason).where(AuditEntry.action == "dlq.retry")).all())
    assert [tuple(a) for a in audit] == [("dlq.retry", "ECS timeout fixed; replaying")]


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
