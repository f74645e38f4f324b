"""What the channel core hands a channel and gets back: the seam every connector type implements.

The core (``storefront.channels``) decides *what* should be on a channel — one :class:`Offer` per
physical copy in stock — and records what is there (``channel_listings``). An adapter only speaks
its channel's wire protocol through its client module:

* ``test()``                 → ``channel_info`` (who we are connected as), or raises :class:`ChannelError`
* ``publish(offer, ref)``    → create (``ref`` None) or update the listing; returns its :class:`ListingRef`
* ``withdraw(ref)``          → take the listing down (sold elsewhere, out of stock, deleted)
* ``fetch(ref)``             → the listing's current channel-side fields (for conflicts), None when gone
* ``poll_sales(cursor)``     → sales made on the channel since ``cursor`` and the next cursor

Errors are :class:`ChannelError` with a CHN code (see ``ERROR_CODES``), so the sync job can record a
per-product error summary and decide what a retry may fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

# The CHN error codes. Each failure a connector, a job or the API reports carries one of these.
ERROR_CODES: dict[str, str] = {
    "CHN-001": "Connector not found.",
    "CHN-002": "A connector with this code already exists.",
    "CHN-003": "Unknown channel type.",
    "CHN-004": "The connector has no credentials.",
    "CHN-005": "The channel refused the credentials.",
    "CHN-010": "A field the channel requires is missing.",
    "CHN-011": "A field value is not valid for the channel.",
    "CHN-020": "The channel's rate limit was reached.",
    "CHN-021": "The channel is unavailable.",
    "CHN-022": "The channel rejected the request.",
    "CHN-023": "The channel did not answer in time.",
    "CHN-030": "The field mapping is not valid.",
    "CHN-040": "Conflict not found.",
    "CHN-041": "The conflict is already resolved.",
    "CHN-050": "The channel webhook signature is not valid.",
    "CHN-060": "Sync job not found.",
    "CHN-061": "The sync job has no failed products to retry.",
    "CHN-070": "The listing no longer exists on the channel.",
    "CHN-080": "The resource belongs to another shop.",
    "CHN-090": "The connector is already syncing.",
    "CHN-091": "The connector is disabled.",
}

# Errors a later retry can fix (the product is retried); the others need a person.
RETRYABLE_CODES = frozenset({"CHN-020", "CHN-021", "CHN-023"})


class ChannelError(Exception):
    """A channel operation failed; ``code`` is a CHN code, ``message`` says what happened (no secrets)."""

    def __init__(self, code: str, message: str | None = None, *, retry_after: float | None = None,
                 details: dict[str, Any] | None = None) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown channel error code {code!r}")
        self.code = code
        self.message = message or ERROR_CODES[code]
        self.retry_after = retry_after
        self.details = details or {}
        super().__init__(f"{code}: {self.message}")

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE_CODES


ErrorTable = Sequence[tuple[type[Exception], str]]


@contextmanager
def errors_as_codes(table: ErrorTable) -> Iterator[None]:
    """A client's exceptions as ChannelErrors: the first ``(exception type, CHN code)`` that matches
    wins (list subclasses first); anything else propagates. The client's message (never a secret) is kept."""
    try:
        yield
    except Exception as exc:
        code = next((code for kind, code in table if isinstance(exc, kind)), None)
        if code is None:
            raise
        raise ChannelError(code, str(exc)[:255]) from None


@dataclass(frozen=True)
class Offer:
    """One physical copy offered on a channel, in the channel-neutral terms the mappings produce.

    ``key`` is ours and stable (``"<variation ecs id>#<unit>"``): it is Discogs' private
    ``external_id``, Shopify's SKU, the feed's ``id``. Money is in minor units of ``currency``."""

    key: str
    item_id: int
    variation_id: int
    title: str                       # after the mapping's title template
    artist: str
    release_title: str
    description: str
    price_amount: int                # after the mapping's price transformations
    currency: str
    media_grade: str = ""            # our grade, e.g. "NM", "VG+" ("" when ungraded / new)
    sleeve_grade: str = ""
    condition: str = "used"          # new | used
    comments: str = ""               # the copy's note
    discogs_release_id: int | None = None
    barcode: str = ""                # GTIN when the pressing has one
    label: str = ""
    catalog_number: str = ""
    format: str = ""
    year: int | None = None
    genres: tuple[str, ...] = ()
    image_url: str = ""              # absolute URL of the primary image, "" when none
    link: str = ""                   # absolute URL of the record's page in the shop
    weight_grams: int | None = None
    locale: str = "en"               # the channel's locale (after locale mapping)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ListingRef:
    """Where an offer lives on the channel: ``listing_id`` is the channel's id (Discogs listing id,
    Shopify variant id, …); ``extra`` holds what else the adapter needs later (product id, inventory
    item id…), stored as JSON."""

    listing_id: str
    status: str = "listed"           # listed | draft | sold | withdrawn
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelSale:
    """A copy sold on the channel. ``order_id`` is the channel's order id: with ``offer_key`` it makes
    recording the sale idempotent (a replayed order changes nothing)."""

    order_id: str
    offer_key: str                   # the Offer.key (Discogs external_id, Shopify SKU)
    listing_id: str
    quantity: int = 1
    price_amount: int | None = None
    currency: str | None = None
    created_at: str | None = None    # ISO 8601 as the channel gave it


@dataclass(frozen=True)
class SalesPage:
    sales: list[ChannelSale]
    cursor: str | None               # give it back to the next poll_sales


class ChannelAdapter(Protocol):
    channel_type: str

    def test(self) -> dict[str, Any]: ...

    def publish(self, offer: Offer, ref: ListingRef | None) -> ListingRef: ...

    def withdraw(self, ref: ListingRef) -> None: ...

    def fetch(self, ref: ListingRef) -> dict[str, Any] | None: ...

    def poll_sales(self, cursor: str | None) -> SalesPage: ...
