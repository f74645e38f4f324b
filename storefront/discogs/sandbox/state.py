"""The Discogs Marketplace sandbox's memory: one seller's listings and orders, and the rate limit.

Everything a real seller account has that the storefront touches: listings (For Sale, Draft, Sold,
Expired; one per copy, with the seller-private ``external_id``), orders made of sold listings, and
Discogs' per-token moving-window limit (60 requests a minute, ``X-Discogs-Ratelimit*`` headers, 429
beyond). Thread-safe: the sandbox serves requests on threads.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from storefront.discogs.marketplace import CONDITIONS, LISTING_STATUSES, SLEEVE_ONLY

LISTING_FIELDS = ("release_id", "condition", "sleeve_condition", "price", "comments", "allow_offers", "status",
                  "external_id", "location", "weight", "format_quantity")
REQUIRED = ("release_id", "condition", "price", "status")
MAX_TEXT = 1000


class SandboxRefusal(Exception):
    """Discogs would refuse the request: ``status`` and its ``{"message"}`` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class RateWindow:
    """Discogs' moving window per token: at most ``limit`` requests in any ``window`` seconds."""

    limit: int = 60
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    stamps: dict[str, deque[float]] = field(default_factory=dict)
    refused: int = 0
    served: int = 0
    busiest: int = 0  # the most requests any window held (what tests compare with the limit)

    def take(self, token: str) -> tuple[bool, int]:
        """Count one request for ``token``: (allowed, requests used in the window)."""
        now = self.clock()
        stamps = self.stamps.setdefault(token, deque())
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if len(stamps) >= self.limit:
            self.refused += 1
            return False, len(stamps)
        stamps.append(now)
        self.served += 1
        self.busiest = max(self.busiest, len(stamps))
        return True, len(stamps)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Marketplace:
    """One seller on the Discogs Marketplace."""

    def __init__(self, *, token: str, username: str = "groove-cellar", user_id: int = 7242,
                 currency: str = "USD", base_url: str = "http://127.0.0.1", limit: int = 60,
                 window: float = 60.0) -> None:
        self.token, self.username, self.user_id, self.currency = token, username, user_id, currency
        self.base_url = base_url.rstrip("/")
        self.rate = RateWindow(limit=limit, window=window)
        self.lock = threading.RLock()
        self.listings: dict[int, dict[str, Any]] = {}
        self.orders: list[dict[str, Any]] = []
        self._next_listing = 3_100_000_001
        self._next_order = 1
        self.calls: list[tuple[str, str, int]] = []  # (method, path, status) of every API request

    # listings -----------------------------------------------------------------------------
    def create_listing(self, body: Any) -> dict[str, Any]:
        fields = self._checked(body, required=True)
        with self.lock:
            listing_id = self._next_listing
            self._next_listing += 1
            self.listings[listing_id] = {"id": listing_id, "posted": _now(), **fields}
        return {"listing_id": listing_id, "resource_url": f"{self.base_url}/marketplace/listings/{listing_id}"}

    def edit_listing(self, listing_id: int, body: Any) -> None:
        fields = self._checked(body, required=True)
        with self.lock:
            listing = self._listing(listing_id)
            if listing["status"] == "Sold":
                raise SandboxRefusal(403, "You can't edit a listing that has sold.")
            listing.update(fields)

    def delete_listing(self, listing_id: int) -> None:
        with self.lock:
            if self._listing(listing_id)["status"] == "Sold":
                raise SandboxRefusal(403, "You can't delete a listing that has sold.")
            del self.listings[listing_id]

    def listing_json(self, listing_id: int, *, owner: bool = True) -> dict[str, Any]:
        with self.lock:
            listing = dict(self._listing(listing_id))
        return self._public(listing, owner=owner)

    def inventory(self, page: int, per_page: int) -> dict[str, Any]:
        with self.lock:
            rows = sorted(self.listings.values(), key=lambda row: row["id"], reverse=True)
            chunk = [self._public(dict(row), owner=True) for row in rows[(page - 1) * per_page: page * per_page]]
        return {"pagination": _pagination(len(rows), page, per_page), "listings": chunk}

    def seller_edits(self, listing_id: int, changes: Any) -> dict[str, Any]:
        """The seller changing a listing on discogs.com (price, comments, status): no rate limit."""
        if not isinstance(changes, dict) or not set(changes) <= {"price", "comments", "status"}:
            raise SandboxRefusal(422, "Only price, comments and status can be edited here.")
        with self.lock:
            listing = self._listing(listing_id)
            merged = self._checked({**self._raw(listing), **changes}, required=True)
            listing.update(merged)
            return self._public(dict(listing), owner=True)

    # orders -------------------------------------------------------------------------------
    def buy(self, listing_ids: list[int], *, buyer: str = "crate-digger") -> dict[str, Any]:
        """A buyer checks out these For Sale listings: one order, each listing Sold."""
        with self.lock:
            listings = [self._listing(i) for i in listing_ids]
            if not listings or any(row["status"] != "For Sale" for row in listings):
                raise SandboxRefusal(409, "Only listings that are For Sale can be bought.")
            order_id = f"{self.user_id}-{self._next_order}"
            self._next_order += 1
            created = (datetime.now(UTC) + timedelta(microseconds=len(self.orders))).isoformat()
            items = []
            for row in listings:
                row["status"] = "Sold"
                items.append({"id": row["id"], "release": {"id": row["release_id"],
                                                           "description": f"Release {row['release_id']}"},
                              "price": {"currency": self.currency, "value": row["price"]},
                              "media_condition": row["condition"],
                              "sleeve_condition": row.get("sleeve_condition") or "Not Graded"})
            total = round(sum(item["price"]["value"] for item in items), 2)
            order = {"id": order_id, "resource_url": f"{self.base_url}/marketplace/orders/{order_id}",
                     "status": "New Order", "created": created, "last_activity": created, "archived": False,
                     "items": items, "total": {"currency": self.currency, "value": total},
                     "shipping": {"currency": self.currency, "method": "Standard", "value": 0.0},
                     "buyer": {"username": buyer, "id": 90210}, "seller": self._seller()}
            self.orders.append(order)
            return order

    def order_page(self, created_after: str | None, page: int, per_page: int, descending: bool) -> dict[str, Any]:
        with self.lock:
            rows = [o for o in self.orders if created_after is None or o["created"] >= created_after]
            rows.sort(key=lambda o: o["created"], reverse=descending)
            chunk = rows[(page - 1) * per_page: page * per_page]
        return {"pagination": _pagination(len(rows), page, per_page), "orders": chunk}

    def order(self, order_id: str) -> dict[str, Any]:
        with self.lock:
            for order in self.orders:
                if order["id"] == order_id:
                    return order
        raise SandboxRefusal(404, "Order not found.")

    def identity(self) -> dict[str, Any]:
        return {"id": self.user_id, "username": self.username,
                "resource_url": f"{self.base_url}/users/{self.username}", "consumer_name": "Storefront sandbox"}

    # helpers ------------------------------------------------------------------------------
    def _listing(self, listing_id: int) -> dict[str, Any]:
        listing = self.listings.get(listing_id)
        if listing is None:
            raise SandboxRefusal(404, "Listing not found.")
        return listing

    def _seller(self) -> dict[str, Any]:
        return {"id": self.user_id, "username": self.username,
                "resource_url": f"{self.base_url}/users/{self.username}"}

    @staticmethod
    def _raw(listing: dict[str, Any]) -> dict[str, Any]:
        return {name: listing[name] for name in LISTING_FIELDS if name in listing}

    def _public(self, row: dict[str, Any], *, owner: bool) -> dict[str, Any]:
        """A listing as Discogs shows it (``external_id``, ``location`` and ``weight`` to the owner only)."""
        shown = {"id": row["id"], "resource_url": f"{self.base_url}/marketplace/listings/{row['id']}",
                 "uri": f"https://www.discogs.com/sell/item/{row['id']}", "status": row["status"],
                 "price": {"currency": self.currency, "value": row["price"]},
                 "allow_offers": bool(row.get("allow_offers")), "condition": row["condition"],
                 "sleeve_condition": row.get("sleeve_condition") or "Not Graded",
                 "posted": row["posted"], "ships_from": "United States", "comments": row.get("comments") or "",
                 "seller": self._seller(), "audio": False,
                 "release": {"id": row["release_id"], "description": f"Release {row['release_id']}",
                             "resource_url": f"{self.base_url}/releases/{row['release_id']}"}}
        if owner:
            shown.update({"external_id": row.get("external_id"), "location": row.get("location"),
                          "weight": row.get("weight"), "format_quantity": row.get("format_quantity")})
        return shown

    @staticmethod
    def _checked(body: Any, *, required: bool) -> dict[str, Any]:
        """The listing fields of a request body, refused (422, Discogs' ``{"message"}``) as Discogs would."""
        if not isinstance(body, dict):
            raise SandboxRefusal(400, "The request body must be a JSON object.")
        missing = [name for name in REQUIRED if required and body.get(name) in (None, "")]
        if missing:
            raise SandboxRefusal(422, f"Missing required field(s): {', '.join(missing)}.")
        release = body["release_id"]
        if isinstance(release, bool) or not isinstance(release, int) or release < 1:
            raise SandboxRefusal(422, "release_id must be a valid release id.")
        if body["condition"] not in CONDITIONS.values():
            raise SandboxRefusal(422, f"Invalid condition: {body['condition']!r}.")
        sleeve = body.get("sleeve_condition")
        if sleeve is not None and sleeve not in (*CONDITIONS.values(), *SLEEVE_ONLY):
            raise SandboxRefusal(422, f"Invalid sleeve_condition: {sleeve!r}.")
        if body["status"] not in LISTING_STATUSES:
            raise SandboxRefusal(422, "status must be For Sale or Draft.")
        price = body["price"]
        if isinstance(price, bool) or not isinstance(price, int | float) or not 0 < price < 1_000_000:
            raise SandboxRefusal(422, "price must be a positive number.")
        for name in ("comments", "external_id", "location"):
            if body.get(name) is not None and (not isinstance(body[name], str) or len(body[name]) > MAX_TEXT):
                raise SandboxRefusal(422, f"{name} must be text of at most {MAX_TEXT} characters.")
        return {name: (round(float(price), 2) if name == "price" else body[name])
                for name in LISTING_FIELDS if name in body}


def _pagination(total: int, page: int, per_page: int) -> dict[str, Any]:
    pages = max(1, -(-total // per_page))
    return {"page": page, "pages": pages, "per_page": per_page, "items": total, "urls": {}}
