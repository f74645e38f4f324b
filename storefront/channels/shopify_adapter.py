"""Shopify as a channel, over the REST Admin API: one product per record (a variation of ours), its
single variant's SKU our variation's ECS id, its inventory at one location = the copies we offer.

The core hands over one offer per copy (``<variation>#1…#n``, numbered by count). Shopify counts, so
every copy of a variation shares one product; publishing copy #k means at least k are for sale
(inventory raised to k), withdrawing copy #k means at most k-1 are (lowered to k-1). A full sync ends
with the inventory equal to the copies in stock; a sale anywhere brings it down, to zero for the last.

Sales arrive by the ``orders/create`` webhook (``storefront.channels.views``) and, as a safety net, by
polling ``orders.json?since_id=``; both give the same inbox ids, so an order is recorded once.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from storefront.channels.adapters import ChannelSale, ErrorTable, ListingRef, Offer, SalesPage, errors_as_codes
from storefront.channels.offers import offer_key, variation_of
from storefront.core.money import exponent
from storefront.shopify.client import ShopifyClient
from storefront.shopify.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyInvalid,
    ShopifyNotFound,
    ShopifyRateLimited,
    ShopifyTimeout,
    ShopifyUnavailable,
)

KnownProduct = Callable[[str], dict[str, Any] | None]  # variation ECS id → ids of its product, if any


ERRORS: ErrorTable = [(ShopifyRateLimited, "CHN-020"), (ShopifyTimeout, "CHN-023"), (ShopifyUnavailable, "CHN-021"),
                      (ShopifyAuthError, "CHN-005"), (ShopifyNotFound, "CHN-070"), (ShopifyInvalid, "CHN-011"),
                      (ShopifyError, "CHN-022")]


def channel_errors() -> AbstractContextManager[None]:
    return errors_as_codes(ERRORS)


def _unit(key: str) -> int:
    tail = key.rsplit("#", 1)[-1]
    return int(tail) if tail.isdigit() else 1


def _money(value: Any, currency: str) -> int:
    return round(float(value) * 10 ** exponent(currency))


def sales_from_order(order: dict[str, Any]) -> list[ChannelSale]:
    """Each copy a Shopify order sold (a line of quantity 2 is two copies), keyed like our offers."""
    sales: list[ChannelSale] = []
    currency = str(order.get("currency") or "USD")
    for line in order.get("line_items") or []:
        sku = str(line.get("sku") or "")
        if not sku or line.get("variant_id") is None:
            continue  # not one of the shop's records
        for unit in range(1, max(1, int(line.get("quantity") or 1)) + 1):
            sales.append(ChannelSale(order_id=str(order["id"]), offer_key=offer_key(sku, unit),
                                     listing_id=str(line["variant_id"]), quantity=1,
                                     price_amount=_money(line.get("price") or 0, currency), currency=currency,
                                     created_at=order.get("created_at")))
    return sales


class ShopifyAdapter:
    channel_type = "shopify"

    def __init__(self, client: ShopifyClient, location_id: int, known_product: KnownProduct) -> None:
        self.client = client
        self.location_id = location_id
        self.known_product = known_product
        self._products: dict[str, dict[str, Any]] = {}

    def test(self) -> dict[str, Any]:
        with channel_errors():
            shop = self.client.shop()
        return {"shop": shop.get("name"), "domain": shop.get("myshopify_domain"), "location_id": self.location_id}

    def _product(self, offer: Offer) -> dict[str, Any]:
        return {"title": offer.title, "body_html": html.escape(offer.description or ""), "vendor": offer.artist,
                "product_type": offer.format or "Vinyl", "tags": ", ".join(offer.genres), "status": "active",
                "variants": [{"sku": variation_of(offer.key), "price": self._price(offer),
                              "barcode": offer.barcode or None, "inventory_management": "shopify"}]}

    @staticmethod
    def _price(offer: Offer) -> str:
        return f"{offer.price_amount / 10 ** exponent(offer.currency):.{exponent(offer.currency)}f}"

    def _known(self, offer: Offer, ref: ListingRef | None) -> dict[str, Any] | None:
        if ref is not None and ref.extra.get("variant_id"):
            return dict(ref.extra)
        return self.known_product(variation_of(offer.key))

    def _create(self, offer: Offer) -> dict[str, Any]:
        product = self.client.create_product(self._product(offer))
        variant = product["variants"][0]
        return {"product_id": product["id"], "variant_id": variant["id"],
                "inventory_item_id": variant["inventory_item_id"], "price": self._price(offer),
                "title": offer.title, "level": 0}

    def _record(self, offer: Offer, ref: ListingRef | None) -> dict[str, Any]:
        """The record's product, brought up to date once per run (its copies share it): each copy
        after the first costs at most one call (its inventory)."""
        variation = variation_of(offer.key)
        state = self._products.get(variation)
        if state is None:
            ids = self._known(offer, ref)
            try:
                if ids is None:
                    raise ShopifyNotFound("no product yet")
                self.client.update_variant(ids["variant_id"], {"price": self._price(offer)})
                if ids.get("title") != offer.title:
                    self.client.update_product(ids["product_id"], {"title": offer.title})
                level = self.client.inventory_level(ids["inventory_item_id"], self.location_id) or 0
                state = {**ids, "price": self._price(offer), "title": offer.title, "level": level}
            except ShopifyNotFound:  # never made, or deleted in Shopify's admin: make it (again)
                state = self._create(offer)
            self._products[variation] = state
        elif state["price"] != self._price(offer):
            self.client.update_variant(state["variant_id"], {"price": self._price(offer)})
            state["price"] = self._price(offer)
        return state

    def publish(self, offer: Offer, ref: ListingRef | None) -> ListingRef:
        """Copy #k for sale: the record's product exists and its inventory is at least k."""
        with channel_errors():
            state = self._record(offer, ref)
            unit = _unit(offer.key)
            if state["level"] < unit:
                self.client.set_inventory(state["inventory_item_id"], self.location_id, unit)
                state["level"] = unit
        ids = {name: state[name] for name in ("product_id", "variant_id", "inventory_item_id")}
        return ListingRef(str(ids["variant_id"]), "listed",
                          {**ids, "title": offer.title, "unit": unit, "currency": offer.currency})

    def withdraw(self, ref: ListingRef) -> None:
        """Copy #k no longer offered: at most k − 1 copies of the record remain for sale."""
        item = ref.extra.get("inventory_item_id")
        if not item:
            return
        target = max(0, int(ref.extra.get("unit") or 1) - 1)
        state = next((s for s in self._products.values() if s["inventory_item_id"] == item), None)
        with channel_errors():
            level = state["level"] if state is not None else self.client.inventory_level(item, self.location_id)
            if level is not None and level > target:
                self.client.set_inventory(item, self.location_id, target)
                if state is not None:
                    state["level"] = target

    def fetch(self, ref: ListingRef) -> dict[str, Any] | None:
        with channel_errors():
            variant = self.client.get_variant(int(ref.listing_id))
        if variant is None:
            return None
        currency = str(ref.extra.get("currency") or "USD")
        return {"status": "listed", "price_amount": _money(variant.get("price") or 0, currency), "currency": currency}

    def poll_sales(self, cursor: str | None) -> SalesPage:
        with channel_errors():
            orders = self.client.orders(since_id=int(cursor) if cursor and cursor.isdigit() else None)
        sales = [sale for order in orders for sale in sales_from_order(order)]
        newest = max((int(order["id"]) for order in orders), default=int(cursor) if cursor and cursor.isdigit() else 0)
        return SalesPage(sales, str(newest) if newest else cursor)
