"""The Discogs Marketplace for a seller: identity, listings (one per physical copy), inventory and orders.

Built from Discogs' API documentation (https://www.discogs.com/developers#page:marketplace):

* ``POST /marketplace/listings`` needs ``release_id``, ``condition``, ``price`` and ``status``
  (``For Sale`` | ``Draft``) and answers 201 ``{"listing_id", "resource_url"}``. There is no
  quantity: each copy is its own listing, and our copy id goes in the private ``external_id``.
* ``POST /marketplace/listings/{id}`` edits (the same required fields, 204); ``DELETE`` removes (204);
  ``GET`` reads it back (the owner also sees ``external_id``). Listing statuses are For Sale, Sold,
  Draft and Expired.
* ``GET /marketplace/orders`` lists the seller's orders (there are no webhooks: poll it).

Creating a listing is the one call that is not safe to repeat, so it is retried only on 429 (Discogs
did nothing); callers find a listing that did get created through its ``external_id`` in the inventory.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from storefront.discogs.client import DiscogsClient, _check_id
from storefront.discogs.errors import DiscogsError, DiscogsInvalidRequest

# Our grade → Discogs' condition strings (media; the sleeve has three more).
CONDITIONS = {
    "M": "Mint (M)", "NM": "Near Mint (NM or M-)", "VG+": "Very Good Plus (VG+)", "VG": "Very Good (VG)",
    "G+": "Good Plus (G+)", "G": "Good (G)", "F": "Fair (F)", "P": "Poor (P)",
}
SLEEVE_ONLY = ("Generic", "Not Graded", "No Cover")
LISTING_STATUSES = ("For Sale", "Draft")
MAX_ORDER_PAGES = 20
MAX_LISTING_ID = 2**53  # listing ids passed 2**31 long ago (they are in the billions)


def condition_for(grade: str) -> str | None:
    """Discogs' condition string for one of our grades ("VG+" → "Very Good Plus (VG+)"); None when ungraded."""
    return CONDITIONS.get((grade or "").strip().upper())


def grade_of(condition: str) -> str:
    """Our grade for a Discogs condition string; "" for the sleeve-only values and anything unknown."""
    return next((grade for grade, text in CONDITIONS.items() if text == condition), "")


class MarketplaceClient(DiscogsClient):
    """A seller's view of the Discogs Marketplace (needs the seller's token). Nothing here is cached."""

    def identity(self) -> dict[str, Any]:
        """GET /oauth/identity: ``{"id", "username", "resource_url", "consumer_name"}``."""
        return self._send("GET", "/oauth/identity")

    def create_listing(self, fields: dict[str, Any]) -> int:
        """POST /marketplace/listings; returns the new listing id."""
        answer = self._send("POST", "/marketplace/listings", body=_listing_body(fields), idempotent=False)
        listing_id = answer.get("listing_id")
        if isinstance(listing_id, bool) or not isinstance(listing_id, int):
            raise DiscogsError("POST /marketplace/listings: no listing_id in the answer")
        return listing_id

    def edit_listing(self, listing_id: int, fields: dict[str, Any]) -> None:
        """POST /marketplace/listings/{id}: set every field (Discogs wants the required ones each time)."""
        self._send("POST", f"/marketplace/listings/{_listing_id(listing_id)}", body=_listing_body(fields))

    def delete_listing(self, listing_id: int) -> None:
        """DELETE /marketplace/listings/{id}."""
        self._send("DELETE", f"/marketplace/listings/{_listing_id(listing_id)}")

    def listing(self, listing_id: int) -> dict[str, Any]:
        """GET /marketplace/listings/{id} (DiscogsNotFound when it is gone)."""
        return self._send("GET", f"/marketplace/listings/{_listing_id(listing_id)}")

    def inventory(self, username: str, *, page: int = 1, per_page: int = 100) -> dict[str, Any]:
        """GET /users/{username}/inventory: ``{"pagination", "listings"}``, newest first."""
        if not isinstance(username, str) or not username.strip():
            raise DiscogsInvalidRequest("the inventory needs the seller's username")
        params = [("page", str(page)), ("per_page", str(per_page)), ("sort", "listed"), ("sort_order", "desc")]
        return self._send("GET", f"/users/{quote(username.strip(), safe='')}/inventory", params)

    def orders(self, *, created_after: str | None = None, page: int = 1, per_page: int = 50) -> dict[str, Any]:
        """GET /marketplace/orders, oldest first from ``created_after`` (ISO 8601): ``{"pagination", "orders"}``."""
        params = [("sort", "created"), ("sort_order", "asc"), ("page", str(page)), ("per_page", str(per_page))]
        if created_after:
            params.append(("created_after", created_after))
        return self._send("GET", "/marketplace/orders", params)


def _listing_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LISTING_ID:
        raise DiscogsInvalidRequest(f"listing id must be a positive integer, not {value!r}")
    return value


def _listing_body(fields: dict[str, Any]) -> dict[str, Any]:
    """The listing fields checked the way Discogs checks them, before anything is sent."""
    missing = [name for name in ("release_id", "condition", "price", "status") if fields.get(name) in (None, "")]
    if missing:
        raise DiscogsInvalidRequest(f"a listing needs {', '.join(missing)}")
    _check_id(fields["release_id"], "release")
    if fields["condition"] not in CONDITIONS.values():
        raise DiscogsInvalidRequest(f"condition {fields['condition']!r} is not one of Discogs' conditions")
    sleeve = fields.get("sleeve_condition")
    if sleeve is not None and sleeve not in (*CONDITIONS.values(), *SLEEVE_ONLY):
        raise DiscogsInvalidRequest(f"sleeve condition {sleeve!r} is not one of Discogs' conditions")
    if fields["status"] not in LISTING_STATUSES:
        raise DiscogsInvalidRequest("a listing's status is For Sale or Draft")
    price = fields["price"]
    if isinstance(price, bool) or not isinstance(price, int | float) or price <= 0:
        raise DiscogsInvalidRequest("a listing's price must be a positive number")
    return {name: value for name, value in fields.items() if value is not None}
