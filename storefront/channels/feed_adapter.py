"""The Google product feed as a channel: "publishing" records the offer for the next feed render.

Google retired the Content API for Shopping in 2026; merchants register a scheduled feed URL
instead. So this adapter makes no network call: a listing here is a row the feed route renders
(``storefront.channels.feed``), and Google fetches the feed on its own schedule.
"""

from __future__ import annotations

from typing import Any

from storefront.channels.adapters import ListingRef, Offer, SalesPage


class GoogleFeedAdapter:
    """Offers become feed entries; there are no sales to poll (Google sends buyers to the shop)."""

    channel_type = "google_feed"

    def __init__(self, feed_url: str) -> None:
        self.feed_url = feed_url

    def test(self) -> dict[str, Any]:
        return {"feed_url": self.feed_url, "note": "Register this URL as a scheduled feed in Merchant Center."}

    def publish(self, offer: Offer, ref: ListingRef | None) -> ListingRef:
        return ListingRef(listing_id=offer.key, status="listed")

    def withdraw(self, ref: ListingRef) -> None:
        return None

    def fetch(self, ref: ListingRef) -> dict[str, Any] | None:
        return {}  # the entry exists, and nobody edits it on the channel's side: nothing to compare

    def poll_sales(self, cursor: str | None) -> SalesPage:
        return SalesPage([], cursor)
