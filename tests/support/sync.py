"""Running a catalog sync in tests, and comparing what the ECS holds with the local catalog."""

from __future__ import annotations

from sqlalchemy import select

from storefront.catalog.models import Item
from storefront.catalog.stock import UNTRACKED_STOCK
from storefront.ecs.provider import ecs_client
from storefront.extensions import db
from storefront.sync.models import SyncRun
from storefront.sync.runner import execute_run
from storefront.sync.services import create_run


def run_sync(kind: str = "full", dry_run: bool = False) -> SyncRun:
    run = create_run(kind, dry_run=dry_run, started_by="test")
    return execute_run(run.id, sleep=lambda _s: None)


def ecs_snapshot(sandbox) -> dict[str, dict]:
    """Everything the ECS says about its live items, read through our own client."""
    items: dict[str, dict] = {}
    for page in ecs_client().iter_catalog(types="ITEM"):
        for obj in page.objects:
            if obj.get("is_deleted"):
                continue
            variations = [v for v in obj["item_data"]["variations"] if not v.get("is_deleted")]
            items[obj["id"]] = {
                "name": obj["item_data"]["name"],
                "prices": sorted((v["id"], v["item_variation_data"]["price_money"]["amount"]) for v in variations),
                "uncounted": any(not v["item_variation_data"].get("track_inventory", True) for v in variations),
            }
    stock = sandbox.inventory()
    for item in items.values():
        # An item with a variation the ECS does not count is always available (UNTRACKED_STOCK).
        uncounted = item.pop("uncounted")
        item["stock"] = UNTRACKED_STOCK if uncounted else sum(stock.get(vid, 0) for vid, _price in item["prices"])
    return items


def local_snapshot() -> dict[str, dict]:
    items: dict[str, dict] = {}
    for item in db.session.scalars(select(Item).where(Item.is_deleted.is_(False))):
        variations = [v for v in item.variations if not v.is_deleted]
        items[item.ecs_id] = {"name": item.name, "prices": sorted((v.ecs_id, v.price_amount) for v in variations),
                              "stock": item.stock}
    return items


def wait_for_remap(app, timeout: float = 30):  # noqa: ANN001, ANN201
    """The latest "remap" sync run once it has finished (detached)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            run = db.session.scalar(select(SyncRun).where(SyncRun.kind == "remap").order_by(SyncRun.id.desc()))
            if run is not None and not run.is_active:
                db.session.expunge(run)
                return run
        time.sleep(0.1)
    raise AssertionError("no finished re-map")
