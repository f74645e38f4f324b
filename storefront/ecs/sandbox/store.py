"""The sandbox's whole state behind one lock: catalog, inventory, orders, payments, idempotency.

Every write stamps a strictly increasing version, publishes new (never mutated) dicts, emits the
Square webhook events it causes (in causal order, under the lock) and tells the persister.
"""

from __future__ import annotations

import gc
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from storefront.ecs.sandbox import catalog_edits, catalog_writes, events
from storefront.ecs.sandbox.catalog_index import CatalogIndex, CatalogPage
from storefront.ecs.sandbox.clock import VersionClock, parse_rfc3339, rfc3339
from storefront.ecs.sandbox.demo_catalog import (
    IMAGE_URL_BASE,
    SELLER_OTHER_LOCATIONS,
    SHAPES,
    generate_catalog,
    paused_gc,
)
from storefront.ecs.sandbox.ids import catalog_id, order_id, payment_id, payment_link_id, refund_id
from storefront.ecs.sandbox.inventory_book import CountPage, InventoryBook
from storefront.ecs.sandbox.orders import (
    OrderBook,
    OrderError,
    build_link,
    build_order,
    canceled_order,
    paid_order,
)
from storefront.ecs.sandbox.payments import Card, build_payment, completed
from storefront.ecs.sandbox.refunds import build_refund, check_refund, completed_refund, payment_after_refund
from storefront.ecs.sandbox.wire import JsonCache

Emit = Callable[[dict[str, Any]], None]
_IDEMPOTENCY_KEEP = 20_000
_FREEZE_FROM_ITEMS = 20_000


@dataclass(frozen=True)
class InventoryChangeRequest:
    """One validated PHYSICAL_COUNT or ADJUSTMENT from BatchChangeInventory."""

    kind: str
    object_id: str
    location_id: str
    quantity: int
    state: str = "IN_STOCK"
    from_state: str = "NONE"
    to_state: str = "IN_STOCK"
    reference_id: str | None = None
    occurred_at: str | None = None


def _mark_sold_out(objects: list[dict[str, Any]], sold_out: set[str], location_id: str) -> None:
    """Before publishing a fresh demo catalog: its tracked variations with no stock carry Square's
    automatic ``sold_out`` override (items embed the same variation dicts, so they see it too)."""
    if not sold_out:
        return
    for obj in objects:
        if obj["type"] == "ITEM_VARIATION" and obj["id"] in sold_out:
            data = obj["item_variation_data"]
            if data.get("track_inventory", True):
                obj["item_variation_data"] = {**data, "location_overrides": [
                    {"location_id": location_id, "sold_out": True}]}


@dataclass
class PayResult:
    outcome: str  # "paid", "declined", "already_paid" or "canceled"
    order: dict[str, Any]
    link: dict[str, Any]
    payment: dict[str, Any] | None = None
    message: str = ""


class SandboxStore:
    """State plus the operations the HTTP layers call; all public methods take the lock."""

    def __init__(self, *, merchant_id: str, location_id: str, demo_items: int | None, seed: int,
                 emit: Emit | None = None, shape: str = "legacy") -> None:
        if shape not in SHAPES:
            raise ValueError(f"catalog shape must be one of {SHAPES}")
        self.shape = shape
        self.lock = threading.RLock()
        self.merchant_id, self.location_id = merchant_id, location_id
        self.emit: Emit = emit or (lambda event: None)
        self.on_change: Callable[[], None] = lambda: None
        self.clock = VersionClock()
        self._build(demo_items or 0, seed)

    # -- lifecycle ----------------------------------------------------------------------------
    def _build(self, items: int, seed: int, version: int | None = None) -> None:
        self.epoch = random.getrandbits(31)
        self.catalog = CatalogIndex()
        self.json_cache = JsonCache()
        self.inventory = InventoryBook()
        self.book = OrderBook()
        self.idempotency: OrderedDict[tuple[str, str], tuple[str, int, dict[str, Any]]] = OrderedDict()
        self.oversold: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}  # CreateCatalogImage files, by image id
        base_version = version if version is not None else self.clock.tick()
        demo = generate_catalog(items, seed, version=base_version, shape=self.shape, location_id=self.location_id)
        stamp_text = rfc3339(base_version)
        _mark_sold_out(demo.objects, {v for v, qty in demo.stock.items() if qty <= 0}, self.location_id)
        with paused_gc():
            self.catalog.put_many(demo.objects)
            for var_id, qty in demo.stock.items():
                self.inventory.set(var_id, self.location_id, "IN_STOCK", qty, base_version, stamp_text)
            for location_id, counts in demo.other_stock.items():  # the seller's other locations
                for var_id, qty in counts.items():
                    self.inventory.set(var_id, location_id, "IN_STOCK", qty, base_version, stamp_text)
        if items >= _FREEZE_FROM_ITEMS:
            # Park the big (acyclic, refcount-freed) catalog outside the cyclic collector: otherwise every
            # full collection re-walks millions of dicts. Collect first so no existing garbage is frozen.
            gc.collect()
            gc.freeze()
        self.clock.last = max(self.clock.last, base_version)
        self.base = {"items": items, "seed": seed, "version": base_version, "shape": self.shape,
                     "catalog_seq": self.catalog.last_seq, "inventory_seq": self.inventory.last_seq}

    def reset(self, items: int, seed: int, shape: str | None = None) -> dict[str, Any]:
        """Throw everything away and generate a fresh demo catalog (in ``shape``, or the current one);
        emits catalog.version.updated."""
        if shape is not None and shape not in SHAPES:
            raise ValueError(f"catalog shape must be one of {SHAPES}")
        with self.lock:
            self.shape = shape or self.shape
            self._build(items, seed)
            self._catalog_changed(self.base["version"])
            return self.summary()

    def _catalog_changed(self, version: int) -> None:
        self.emit(events.catalog_version_updated(self.merchant_id, rfc3339(version)))
        self.on_change()

    @contextmanager
    def captured_events(self) -> Iterator[list[dict[str, Any]]]:
        """Hold the lock and collect the events emitted meanwhile instead of sending them."""
        with self.lock:
            original, captured = self.emit, []
            self.emit = captured.append
            try:
                yield captured
            finally:
                self.emit = original

    def variation_ids(self, *, tracked_only: bool = True) -> list[str]:
        """Live variation ids (stock-tracked ones only, by default), in catalog order."""
        with self.lock:
            page = self.catalog.walk(["ITEM_VARIATION"], limit=10**9, max_scan=10**9)
            return [v["id"] for v in page.objects
                    if not tracked_only or v["item_variation_data"].get("track_inventory", True)]

    # -- locations ----------------------------------------------------------------------------
    def locations(self) -> list[dict[str, Any]]:
        shop = self._shop_location()
        if self.shape != "seller":
            return [shop]
        return [shop, *({**shop, "id": location_id, "name": name, "type": kind, "description": description}
                        for location_id, name, kind, description in SELLER_OTHER_LOCATIONS)]

    def _shop_location(self) -> dict[str, Any]:
        return {
            "id": self.location_id, "name": "Sandbox Records", "business_name": "Sandbox Records",
            "address": {"address_line_1": "1 Groove Street", "locality": "Springfield",
                        "administrative_district_level_1": "CA", "postal_code": "90210", "country": "US"},
            "timezone": "America/Los_Angeles", "capabilities": ["CREDIT_CARD_PROCESSING"], "status": "ACTIVE",
            "created_at": "2024-01-02T10:00:00Z", "merchant_id": self.merchant_id, "country": "US",
            "language_code": "en-US", "currency": "USD", "type": "PHYSICAL", "mcc": "5735",
            "description": "ECS sandbox location",
        }

    def has_location(self, location_id: str) -> bool:
        return location_id == self.location_id or (
            self.shape == "seller" and any(location_id == other[0] for other in SELLER_OTHER_LOCATIONS))

    # -- catalog ------------------------------------------------------------------------------
    def walk_catalog(self, types: Iterable[str], *, after_seq: int = 0, begin_version: int | None = None,
                     include_deleted: bool = False, limit: int = 100,
                     with_related: bool = False, match: Callable[[dict[str, Any]], bool] | None = None,
                     ) -> tuple[CatalogPage, list[dict[str, Any]], int]:
        """A page of the catalog (objects ``match`` accepts), its related objects (if asked) and the
        latest catalog version."""
        with self.lock:
            page = self.catalog.walk(types, after_seq=after_seq, begin_version=begin_version,
                                     include_deleted=include_deleted, limit=limit, match=match)
            related = self.catalog.related(page.objects) if with_related else []
            return page, related, self.catalog.latest_version

    def catalog_object(self, object_id: str, *, with_related: bool = False
                       ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        with self.lock:
            obj = self.catalog.get(object_id)
            if obj is None or obj.get("is_deleted"):
                return None, []
            return obj, self.catalog.related([obj]) if with_related else []

    def edit_catalog(self, action: str, object_id: str | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        """Run a catalog edit (``set_price``, ``delete``, ``create_item``, ``update_item``, ``corrupt``,
        ``set_image``) as one
        new version and announce it with ``catalog.version.updated``."""
        with self.lock:
            version = self.clock.tick()
            if action == "set_price":
                changed = catalog_edits.set_price(self.catalog, str(object_id), int(kwargs["amount"]), version,
                                                  kwargs.get("currency") or "USD")
            elif action == "delete":
                changed = catalog_edits.delete_object(self.catalog, str(object_id), version)
            elif action == "create_item":
                changed = catalog_edits.create_item(self.catalog, kwargs["spec"], version, shape=self.shape)
                stock = kwargs["spec"].get("stock")
                if isinstance(stock, int) and not isinstance(stock, bool):
                    for var in changed[1:]:
                        self.inventory.set(var["id"], self.location_id, "IN_STOCK", stock, version)
            elif action == "corrupt":
                changed = catalog_edits.corrupt_item(self.catalog, str(object_id), version)
            elif action == "update_item":
                changed = catalog_edits.update_item(self.catalog, str(object_id), kwargs["spec"], version,
                                                    shape=self.shape)
            elif action == "set_image":
                changed = catalog_edits.set_image(self.catalog, str(object_id), kwargs["spec"], version)
            else:
                raise ValueError(f"unknown catalog action {action!r}")
            self._catalog_changed(version)
            return changed

    def write_catalog(self, objects: list[dict[str, Any]], paths: list[str] | None = None,
                      batches: list[int] | None = None) -> tuple[list[dict[str, Any]], list[dict[str, str]], int]:
        """Square's upsert: every object as one new catalog version, announced once (``batches``: each
        object's batch, the scope of its temporary ids)."""
        with self.lock:
            version = self.clock.tick()
            top, mappings = catalog_writes.upsert(self.catalog, objects, version, paths, batches)
            self._catalog_changed(version)
            return top, mappings, version

    def create_image(self, object_id: str | None, image_data: dict[str, Any], data: bytes, *,
                     primary: bool) -> dict[str, Any]:
        """CreateCatalogImage: keep the file, add the IMAGE object (attached to ``object_id``), announce it."""
        with self.lock:
            version = self.clock.tick()
            image_id = catalog_id()
            image = {"type": "IMAGE", "id": image_id, "updated_at": rfc3339(version), "version": version,
                     "is_deleted": False, "present_at_all_locations": True,
                     "image_data": {**{k: v for k, v in image_data.items() if k in ("name", "caption")},
                                    "url": f"{IMAGE_URL_BASE}/images/{image_id}.jpg"}}
            catalog_edits.attach_image(self.catalog, image, object_id, version, primary=primary)
            self.uploads[image_id] = data
            self._catalog_changed(version)
            return image

    def knows_catalog_object(self, object_id: str) -> bool:
        """True if the id was ever in the catalog (deleted ones included)."""
        with self.lock:
            return self.catalog.get(object_id) is not None

    def delete_catalog(self, object_ids: list[str]) -> tuple[list[str], int]:
        """Square's delete: the ids deleted (an item's variations too), announced once if any."""
        with self.lock:
            version = self.clock.tick()
            deleted = catalog_writes.delete_ids(self.catalog, object_ids, version)
            if deleted:
                self._catalog_changed(version)
            return deleted, version

    # -- inventory ----------------------------------------------------------------------------
    def counts_for(self, object_id: str, location_ids: Iterable[str] | None = None) -> list[dict[str, Any]] | None:
        """Counts of one variation, or None when no such catalog object exists."""
        with self.lock:
            if self.catalog.get(object_id) is None:
                return None
            return self.inventory.for_object(object_id, location_ids)

    def count_page(self, object_ids: list[str] | None, location_ids: set[str] | None, states: set[str] | None,
                   updated_after: int | None, position: int, limit: int) -> CountPage:
        with self.lock:
            if object_ids is not None:
                return self.inventory.page_for_objects(object_ids, location_ids, states, updated_after,
                                                       position, limit)
            return self.inventory.page_all(location_ids, states, updated_after, position or None, limit)

    def change_inventory(self, changes: list[InventoryChangeRequest], *, ignore_unchanged: bool = True,
                         reason: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Apply counts/adjustments as one stamp, each where its ``occurred_at`` puts it; returns
        (InventoryChange records, current counts)."""
        with self.lock:
            stamp = self.clock.tick()
            when = rfc3339(stamp)
            records: list[dict[str, Any]] = []
            changed: dict[tuple[str, str, str], dict[str, Any]] = {}
            for number, change in enumerate(changes):
                records.append(self._apply_change(change, f"{self.epoch:x}-{stamp}-{number}", stamp, when,
                                                  ignore_unchanged, changed))
            self._record_oversold(changed.values(), reason or {}, when)
            if changed:
                self.emit(events.inventory_count_updated(self.merchant_id, list(changed.values())))
                self._update_sold_out(changed.values())
                self.on_change()
            touched = dict.fromkeys((c.object_id, c.location_id) for c in changes)
            counts = [c for obj_id, loc in touched for c in self.inventory.for_object(obj_id, [loc])]
            return records, counts

    def _apply_change(self, change: InventoryChangeRequest, change_id: str, stamp: int, when: str,
                      ignore_unchanged: bool, changed: dict[tuple[str, str, str], dict[str, Any]]) -> dict[str, Any]:
        """One change into the book (``changed`` collects the counts it moved); returns its InventoryChange."""
        occurred = parse_rfc3339(change.occurred_at) if change.occurred_at else stamp
        detail: dict[str, Any] = {"id": change_id, "catalog_object_id": change.object_id,
                                  "catalog_object_type": "ITEM_VARIATION", "location_id": change.location_id,
                                  "quantity": str(change.quantity), "occurred_at": change.occurred_at or when,
                                  "created_at": when}
        if change.reference_id:
            detail["reference_id"] = change.reference_id
        if change.kind == "PHYSICAL_COUNT":
            detail["state"] = change.state
            current = self.inventory.quantity(change.object_id, change.location_id, change.state)
            after = self.inventory.count_result(change.object_id, change.location_id, change.state,
                                                change.quantity, occurred)
            if not (ignore_unchanged and current == after):
                count = self.inventory.physical_count(change.object_id, change.location_id, change.state,
                                                      change.quantity, occurred, stamp)
                if count is not None:
                    changed[(change.object_id, change.location_id, change.state)] = count
            return {"type": "PHYSICAL_COUNT", "physical_count": detail}
        detail.update(from_state=change.from_state, to_state=change.to_state)
        for count in self.inventory.adjust(change.object_id, change.location_id, change.from_state,
                                           change.to_state, change.quantity, stamp, occurred):
            changed[(count["catalog_object_id"], count["location_id"], count["state"])] = count
        return {"type": "ADJUSTMENT", "adjustment": detail}

    def _update_sold_out(self, counts: Iterable[dict[str, Any]]) -> None:
        """Square's automatic sold-out mark: on when a tracked variation's IN_STOCK count at a location
        reaches zero, off when it is restocked; a catalog change (new version, catalog.version.updated)."""
        version: int | None = None
        for count in counts:
            if count["state"] != "IN_STOCK" or not self._tracked(count["catalog_object_id"]):
                continue
            obj = self.catalog.get(count["catalog_object_id"])
            if obj is None or obj.get("is_deleted"):
                continue
            sold_out = int(count["quantity"]) <= 0
            marked = any(o.get("location_id") == count["location_id"] and o.get("sold_out")
                         for o in obj["item_variation_data"].get("location_overrides") or [])
            if marked == sold_out:
                continue
            version = version or self.clock.tick()
            catalog_edits.set_sold_out(self.catalog, obj["id"], count["location_id"], sold_out, version)
        if version is not None:
            self._catalog_changed(version)

    def _record_oversold(self, counts: Iterable[dict[str, Any]], reason: dict[str, Any], when: str) -> None:
        for count in counts:
            if count["state"] == "IN_STOCK" and int(count["quantity"]) < 0:
                self.oversold.append({**reason, "catalog_object_id": count["catalog_object_id"],
                                      "location_id": count["location_id"], "quantity": count["quantity"], "at": when})

    def set_stock(self, variation_id: str, quantity: int, location_id: str | None = None) -> list[dict[str, Any]]:
        """Control API: a physical count (always recorded, even if unchanged)."""
        change = InventoryChangeRequest("PHYSICAL_COUNT", variation_id, location_id or self.location_id, quantity)
        return self.change_inventory([change], ignore_unchanged=False)[1]

    def stock_levels(self) -> list[dict[str, Any]]:
        with self.lock:
            return self.inventory.all_counts()

    # -- idempotency --------------------------------------------------------------------------
    def idempotent(self, scope: str, key: str, fingerprint: str,
                   run: Callable[[], tuple[int, dict[str, Any]]]) -> tuple[int, dict[str, Any]]:
        """Replay the stored response for a repeated key; a reused key with a different body is an error."""
        with self.lock:
            stored = self.idempotency.get((scope, key))
            if stored is not None:
                if stored[0] != fingerprint:
                    raise OrderError("IDEMPOTENCY_KEY_REUSED",
                                     "The idempotency key was already used for a different request.", "idempotency_key")
                return stored[1], stored[2]
            status, payload = run()
            if status < 400:
                self.idempotency[(scope, key)] = (fingerprint, status, payload)
                while len(self.idempotency) > _IDEMPOTENCY_KEEP:
                    self.idempotency.popitem(last=False)
                self.on_change()
            return status, payload

    # -- orders and checkout ------------------------------------------------------------------
    def create_payment_link(self, body: dict[str, Any], raw_order: dict[str, Any],
                            base_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
        with self.lock:
            if not self.has_location(str(raw_order.get("location_id") or "")):
                raise OrderError("NOT_FOUND", f"Location `{raw_order.get('location_id')}` not found.",
                                 "order.location_id")
            stamp = self.clock.tick()
            order = build_order(raw_order, order_id(), "USD", self.catalog.get, stamp)
            link = build_link(payment_link_id(), order, body, base_url)
            self.book.orders[order["id"]] = order
            self.book.links[link["id"]] = link
            self.emit(events.order_event(self.merchant_id, order, created=True))
            self.on_change()
            return link, order

    def order(self, order_id_: str) -> dict[str, Any] | None:
        with self.lock:
            return self.book.orders.get(order_id_)

    def checkout(self, link_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """A payment link and its order; None once the link is deleted (unless it lingers)."""
        with self.lock:
            link = self.book.links.get(link_id)
            if link is None or self.book.deleted_links.get(link_id) == "gone":
                return None
            return link, self.book.orders[link["order_id"]]

    def payment_link(self, link_id: str) -> dict[str, Any] | None:
        """RetrievePaymentLink: deleted links are not found."""
        with self.lock:
            return None if link_id in self.book.deleted_links else self.book.links.get(link_id)

    def delete_payment_link(self, link_id: str) -> dict[str, Any] | None:
        """DeletePaymentLink: the link goes and its unpaid order is CANCELED.

        Like Square, an order that already saw a payment attempt is not canceled: the response
        then has no ``cancelled_order_id`` and an open checkout page can still pay it.
        """
        with self.lock:
            link = self.book.links.get(link_id)
            if link is None or link_id in self.book.deleted_links:
                return None
            order = self.book.orders[link["order_id"]]
            attempted = any(p.get("order_id") == order["id"] for p in self.book.payments.values())
            response: dict[str, Any] = {"id": link_id}
            if order.get("tenders") or attempted:
                self.book.deleted_links[link_id] = "lingering"
            else:
                self.book.deleted_links[link_id] = "gone"
                order = self.book.orders[order["id"]] = canceled_order(order, self.clock.tick())
                self.emit(events.order_event(self.merchant_id, order, created=False))
                response["cancelled_order_id"] = order["id"]
            self.on_change()
            return response

    # -- refunds --------------------------------------------------------------------------------
    def refund_payment(self, payment_id_: str, amount: dict[str, Any], reason: str | None) -> dict[str, Any]:
        """RefundPayment: a card refund, PENDING in the answer and COMPLETED straight after (with events)."""
        with self.lock:
            payment = self.book.payments.get(payment_id_)
            value = check_refund(payment, payment_id_, amount)
            assert payment is not None
            stamp = self.clock.tick()
            refund = build_refund(refund_id(payment["id"]), payment, value, reason, stamp)
            self.book.refunds[refund["id"]] = refund
            self.book.payments[payment["id"]] = payment_after_refund(payment, refund, stamp)
            self.emit(events.refund_event(self.merchant_id, refund, created=True))
            done = self.book.refunds[refund["id"]] = completed_refund(refund, self.clock.tick())
            self.emit(events.refund_event(self.merchant_id, done, created=False))
            self.on_change()
            return refund

    def refund(self, refund_id_: str) -> dict[str, Any] | None:
        with self.lock:
            return self.book.refunds.get(refund_id_)

    def payment(self, payment_id_: str) -> dict[str, Any] | None:
        with self.lock:
            return self.book.payments.get(payment_id_)

    def pay(self, link_id: str, card: Card, email: str) -> PayResult | None:
        """Pay a link's order with a test card; stock moves IN_STOCK → SOLD exactly once."""
        with self.lock:
            found = self.checkout(link_id)
            if found is None:
                return None
            link, order = found
            if order.get("tenders"):
                return PayResult("already_paid", order, link, message="This order is already paid.")
            if order["state"] == "CANCELED":
                return PayResult("canceled", order, link, message="This order was canceled.")
            stamp = self.clock.tick()
            if card.decline:
                payment = build_payment(payment_id(), order, card, email, stamp, status="FAILED")
                self.book.payments[payment["id"]] = payment
                self.emit(events.payment_event(self.merchant_id, payment, created=True))
                self.on_change()
                return PayResult("declined", order, link, payment, card.decline[1])
            approved = build_payment(payment_id(), order, card, email, stamp, status="APPROVED")
            self.emit(events.payment_event(self.merchant_id, approved, created=True))
            payment = completed(approved, stamp)
            self.book.payments[payment["id"]] = payment
            self.emit(events.payment_event(self.merchant_id, payment, created=False))
            order = self.book.orders[order["id"]] = paid_order(order, payment, stamp)
            self.emit(events.order_event(self.merchant_id, order, created=False))
            sold = [InventoryChangeRequest("ADJUSTMENT", line["catalog_object_id"], order["location_id"],
                                           int(line["quantity"]), from_state="IN_STOCK", to_state="SOLD",
                                           reference_id=order["id"])
                    for line in order["line_items"] if self._tracked(line.get("catalog_object_id"))]
            if sold:
                self.change_inventory(sold, reason={"order_id": order["id"]})
            self.on_change()
            return PayResult("paid", order, link, payment)

    def _tracked(self, object_id: str | None) -> bool:
        obj = self.catalog.get(object_id) if object_id else None
        return bool(obj and obj["type"] == "ITEM_VARIATION"
                    and obj["item_variation_data"].get("track_inventory", True))

    # -- reporting ----------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        with self.lock:
            stock = [(k, int(c["quantity"])) for k, c in self.inventory.counts.items() if k[2] == "IN_STOCK"]
            by_state: dict[str, int] = {}
            for order in self.book.orders.values():
                by_state[order["state"]] = by_state.get(order["state"], 0) + 1
            by_status: dict[str, int] = {}
            for payment in self.book.payments.values():
                by_status[payment["status"]] = by_status.get(payment["status"], 0) + 1
            return {
                "merchant_id": self.merchant_id,
                "location_id": self.location_id,
                "catalog_version": self.catalog.latest_version,
                "catalog_updated_at": rfc3339(self.catalog.latest_version),
                "items": self.catalog.live_count("ITEM"),
                "variations": self.catalog.live_count("ITEM_VARIATION"),
                "categories": self.catalog.live_count("CATEGORY"),
                "objects_by_type": self.catalog.live_counts(),
                "total_stock": sum(q for _, q in stock),
                "sold_out_variations": sum(1 for _, q in stock if q <= 0),
                "orders": len(self.book.orders),
                "orders_by_state": by_state,
                "payments": len(self.book.payments),
                "payments_by_status": by_status,
                "payment_links": len(self.book.links) - len(self.book.deleted_links),
                "refunds": len(self.book.refunds),
                "oversold": list(self.oversold),
                "base": dict(self.base),
            }
