"""The Discogs Marketplace as a channel: one listing per physical copy, sales found by polling orders.

* A copy needs its Discogs release id (from enrichment) and, when used, a media grade; without them
  the copy fails with CHN-010 and the rest of the sync goes on.
* ``external_id`` (private to the seller) is our copy key. Creating a listing is the one call Discogs
  cannot deduplicate, so before the first create in a run the adapter reads the seller's inventory
  once and adopts a listing already carrying the key (a create that timed out but happened).
* Discogs' failures become CHN codes: 429 → CHN-020, 5xx/no answer → CHN-021, timeout → CHN-023,
  bad token → CHN-005, refused fields → CHN-011, listing gone → CHN-070.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from storefront.channels.adapters import (
    ChannelError,
    ChannelSale,
    ErrorTable,
    ListingRef,
    Offer,
    SalesPage,
    errors_as_codes,
)
from storefront.core.money import exponent
from storefront.discogs.errors import (
    DiscogsAuthError,
    DiscogsError,
    DiscogsInvalidRequest,
    DiscogsNotFound,
    DiscogsRateLimited,
    DiscogsTimeout,
    DiscogsUnavailable,
)
from storefront.discogs.marketplace import MAX_ORDER_PAGES, MarketplaceClient, condition_for

T = TypeVar("T")
STATUS_OF = {"For Sale": "listed", "Draft": "draft", "Sold": "sold", "Expired": "withdrawn"}
INVENTORY_PAGE = 100


ERRORS: ErrorTable = [(DiscogsRateLimited, "CHN-020"), (DiscogsTimeout, "CHN-023"), (DiscogsUnavailable, "CHN-021"),
                      (DiscogsAuthError, "CHN-005"), (DiscogsNotFound, "CHN-070"), (DiscogsInvalidRequest, "CHN-011"),
                      (DiscogsError, "CHN-022")]


def channel_errors() -> AbstractContextManager[None]:
    """Discogs errors as CHN codes (messages carry no credential: the client never puts one in)."""
    return errors_as_codes(ERRORS)


def _call(func: Callable[[], T]) -> T:
    with channel_errors():
        return func()


def _money(value: Any, currency: str) -> int:
    return round(float(value) * 10 ** exponent(currency))


class DiscogsAdapter:
    channel_type = "discogs"

    def __init__(self, client: MarketplaceClient, *, location: str = "") -> None:
        self.client = client
        self.location = location
        self._username: str | None = None
        self._adoptable: dict[str, int] | None = None  # external_id → listing id, read once per run

    def test(self) -> dict[str, Any]:
        """Who the token belongs to. One attempt: someone is waiting on the answer."""
        retries, self.client.max_retries = self.client.max_retries, 0
        try:
            me = _call(self.client.identity)
        finally:
            self.client.max_retries = retries
        self._username = str(me.get("username") or "")
        return {"username": self._username, "user_id": me.get("id"), "api": self.client.api_base}

    @staticmethod
    def accepts(offer: Offer) -> bool:
        """Discogs sells music releases: a record with a format (LP, CD, …), not merch."""
        return bool(offer.format)

    def listing_fields(self, offer: Offer) -> dict[str, Any]:
        """The Discogs listing for one copy; CHN-010 names what the copy lacks."""
        if not offer.discogs_release_id:
            raise ChannelError("CHN-010", "The record has no Discogs release id (match it on the Discogs "
                                          "page of the record's enrichment).", details={"field": "discogs_release_id"})
        graded = condition_for(offer.media_grade)
        if graded is None and offer.condition != "new":
            raise ChannelError("CHN-010", "The copy has no media grade.", details={"field": "media_grade"})
        condition = graded or condition_for("M")
        sleeve = condition_for(offer.sleeve_grade) or ("Mint (M)" if offer.condition == "new" else "Not Graded")
        return {"release_id": offer.discogs_release_id, "condition": condition, "sleeve_condition": sleeve,
                "price": offer.price_amount / 10 ** exponent(offer.currency), "status": "For Sale",
                "comments": offer.comments[:1000], "allow_offers": bool(offer.extra.get("allow_offers")),
                "external_id": offer.key, "location": self.location or None,
                "weight": offer.weight_grams}

    def publish(self, offer: Offer, ref: ListingRef | None) -> ListingRef:
        fields = self.listing_fields(offer)
        listing_id = int(ref.listing_id) if ref is not None else self._adopt(offer.key)
        extra: dict[str, Any] = {"release_id": offer.discogs_release_id}
        if listing_id is not None:
            _call(lambda: self.client.edit_listing(listing_id, fields))
            extra["adopted"] = ref is None
        else:
            listing_id = _call(lambda: self.client.create_listing(fields))
            if self._adoptable is not None:
                self._adoptable[offer.key] = listing_id
        return ListingRef(str(listing_id), "listed", extra)

    def withdraw(self, ref: ListingRef) -> None:
        try:
            _call(lambda: self.client.delete_listing(int(ref.listing_id)))
        except ChannelError as exc:
            if exc.code == "CHN-070":
                return  # already gone
            remote = self.fetch(ref) if exc.code == "CHN-005" else None
            if remote is not None and remote["status"] == "sold":
                return  # sold on Discogs (it stays in its order); the sales poll records the sale
            raise

    def fetch(self, ref: ListingRef) -> dict[str, Any] | None:
        try:
            listing = _call(lambda: self.client.listing(int(ref.listing_id)))
        except ChannelError as exc:
            if exc.code == "CHN-070":
                return None
            raise
        price = listing.get("price") or {}
        currency = str(price.get("currency") or "USD")
        return {"status": STATUS_OF.get(str(listing.get("status")), "withdrawn"),
                "price_amount": _money(price.get("value", 0), currency), "currency": currency,
                "external_id": listing.get("external_id")}

    def poll_sales(self, cursor: str | None) -> SalesPage:
        """Orders created since ``cursor`` (oldest first); the next cursor is the newest order's time.
        An order seen twice is harmless: each sale's inbox id makes a replay a duplicate."""
        sales: list[ChannelSale] = []
        newest = cursor
        for page in range(1, MAX_ORDER_PAGES + 1):
            answer = _call(lambda p=page: self.client.orders(created_after=cursor, page=p))
            for order in answer.get("orders") or []:
                sales += self._sales_of(order)
                newest = max(filter(None, (newest, str(order.get("created") or ""))), default=None)
            if page >= int((answer.get("pagination") or {}).get("pages") or 1):
                break
        return SalesPage(sales, newest)

    def _sales_of(self, order: dict[str, Any]) -> list[ChannelSale]:
        sales = []
        for item in order.get("items") or []:
            listing = _call(lambda i=item: self.client.listing(int(i["id"])))
            key = listing.get("external_id")
            if not key:
                continue  # a listing the shop did not make
            price = item.get("price") or {}
            currency = str(price.get("currency") or "USD")
            sales.append(ChannelSale(order_id=str(order["id"]), offer_key=str(key), listing_id=str(item["id"]),
                                     price_amount=_money(price.get("value", 0), currency), currency=currency,
                                     created_at=order.get("created")))
        return sales

    def _adopt(self, key: str) -> int | None:
        """The listing already carrying ``key`` as external_id (read from the inventory once per run)."""
        if self._adoptable is None:
            self._adoptable = {}
            username = self._username or str(_call(self.client.identity).get("username") or "")
            for page in range(1, 10_000):
                answer = _call(lambda p=page: self.client.inventory(username, page=p, per_page=INVENTORY_PAGE))
                for listing in answer.get("listings") or []:
                    if listing.get("external_id") and listing.get("status") in ("For Sale", "Draft"):
                        self._adoptable[str(listing["external_id"])] = int(listing["id"])
                if page >= int((answer.get("pagination") or {}).get("pages") or 1):
                    break
        return self._adoptable.get(key)
