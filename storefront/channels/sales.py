"""Sales made on a channel: recorded in the ECS first (once per channel order and copy), then the
copy is marked sold here and taken off every other channel.

The Discogs Marketplace has no webhooks, so the scheduler polls each connector
(:func:`poll_connector`); Shopify announces ``orders/create`` by webhook. Either way each sale
becomes an inbox event (``channel.sale``) with an id made of the connector, the channel's order
id and the copy: a replayed order is a duplicate, and a failed attempt is retried and ends in the
DLQ like any ECS webhook.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storefront.audit.services import record as audit
from storefront.catalog.models import ItemVariation
from storefront.catalog.stock import confirm_counts
from storefront.channels.adapters import ChannelError, ChannelSale
from storefront.channels.models import ChannelConnector, ChannelListing
from storefront.channels.models import ChannelSaleRecord as SaleRow
from storefront.channels.offers import variation_of
from storefront.channels.registry import adapter_for
from storefront.channels.syncing import sync_variations
from storefront.db.timestamps import utcnow
from storefront.ecs.provider import ecs_client, shop_location_id
from storefront.extensions import db
from storefront.webhooks import services as inbox
from storefront.webhooks.handlers import HandlerResult, PoisonEvent, register_handler
from storefront.webhooks.models import WebhookEvent

log = logging.getLogger("storefront.channels")
SALE_EVENT = "channel.sale"


def sale_event_id(connector: ChannelConnector, sale: ChannelSale) -> str:
    raw = f"{connector.code}:{sale.order_id}:{sale.offer_key}"
    return "channel-sale-" + (raw if len(raw) <= 100 else hashlib.sha256(raw.encode()).hexdigest())


def announce(connector: ChannelConnector, sales: list[ChannelSale]) -> int:
    """Put each sale in the inbox (a replay is a duplicate); returns how many were new."""
    new = 0
    for sale in sales:
        receipt = inbox.store({
            "event_id": sale_event_id(connector, sale), "event_type": SALE_EVENT, "merchant_id": None,
            "object_type": connector.channel_type, "object_id": str(sale.order_id)[:128], "object_version": None,
            "event_created_at": None, "payload": {"connector": connector.code, "sale": asdict(sale)}})
        new += not receipt.duplicate
    return new


def poll_connector(connector: ChannelConnector) -> int:
    """Ask the channel for sales since the connector's cursor; returns how many new ones were queued."""
    page = adapter_for(connector).poll_sales(connector.sales_cursor)
    new = announce(connector, page.sales)
    connector.sales_cursor, connector.last_poll_at = page.cursor, utcnow()
    db.session.commit()
    return new


def poll_all() -> dict[str, int]:
    """Poll every enabled connector; one channel's failure never stops the others."""
    results: dict[str, int] = {}
    connectors = db.session.scalars(select(ChannelConnector).where(ChannelConnector.status != "disabled")
                                    .order_by(ChannelConnector.id)).all()
    for connector in connectors:
        try:
            results[connector.code] = poll_connector(connector)
        except ChannelError as exc:
            db.session.rollback()
            log.warning("polling %s for sales failed: %s", connector.code, exc.code)
            results[connector.code] = -1
    return results


def _sale_row(connector: ChannelConnector, sale: ChannelSale, variation: ItemVariation | None) -> SaleRow:
    row = db.session.scalar(select(SaleRow).where(SaleRow.connector_id == connector.id,
                                                  SaleRow.order_id == sale.order_id,
                                                  SaleRow.offer_key == sale.offer_key))
    if row is not None:
        return row
    row = SaleRow(connector_id=connector.id, order_id=sale.order_id[:64], offer_key=sale.offer_key[:128],
                  variation_id=variation.id if variation else None, quantity=max(1, sale.quantity),
                  price_amount=sale.price_amount, currency=sale.currency,
                  status="recorded" if variation else "unknown_copy")
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent attempt at the same sale won: use its row
        db.session.rollback()
        return _sale_row(connector, sale, variation)
    return row


def _record_in_ecs(connector: ChannelConnector, row: SaleRow, variation: ItemVariation) -> None:
    """IN_STOCK → SOLD in the ECS, keyed to the channel order and copy (applied once), then our counts."""
    client, location_id = ecs_client(), shop_location_id()
    key = hashlib.sha256(f"{connector.code}:{row.order_id}:{row.offer_key}".encode()).hexdigest()[:40]
    change = {"type": "ADJUSTMENT", "adjustment": {
        "catalog_object_id": variation.ecs_id, "location_id": location_id, "from_state": "IN_STOCK",
        "to_state": "SOLD", "quantity": str(row.quantity),
        "occurred_at": utcnow().isoformat().replace("+00:00", "Z"),
        "reference_id": f"{connector.code}:{row.order_id}"[:255]}}
    client.batch_change_inventory(f"channel-sale-{key}", [change])
    confirm_counts(client, [variation.ecs_id], location_id)
    row.ecs_recorded_at = utcnow()
    audit(None, "channel.sale.recorded", target_type="channel_connector", target_id=connector.code,
          details={"order_id": row.order_id, "copy": row.offer_key, "quantity": row.quantity})
    db.session.commit()


def record_sale(connector: ChannelConnector, sale: ChannelSale) -> str:
    """Record one channel sale everywhere; idempotent (each step checks it was not done already)."""
    variation = db.session.scalar(select(ItemVariation).where(ItemVariation.ecs_id == variation_of(sale.offer_key)))
    row = _sale_row(connector, sale, variation)
    if variation is None:
        return f"unknown copy {sale.offer_key}: recorded for staff, nothing changed"
    if row.ecs_recorded_at is None:
        listing = _listing_sold(connector, sale)
        if listing is not None:
            # Committed together with the ECS's new count (once per sale): no sync in between may see
            # the copy still in stock but its listing sold (it would list it again), or the count down
            # but the listing still for sale (it would withdraw the wrong copy).
            listing.status = "sold"
            _keep_units_dense(connector, listing)
        _record_in_ecs(connector, row, variation)
    db.session.commit()
    _delist_elsewhere(variation.id)
    return f"sold {sale.offer_key} on {connector.code} (order {sale.order_id})"


def _listing_sold(connector: ChannelConnector, sale: ChannelSale) -> ChannelListing | None:
    """The listing the sale was made on: by the channel's listing id first (after a sale the copy numbers
    move, see _keep_units_dense, the listing does not; on Shopify every copy of a record shares one),
    else by the copy's key; never one already sold."""
    mine = select(ChannelListing).where(ChannelListing.connector_id == connector.id,
                                        ChannelListing.status != "sold").order_by(ChannelListing.offer_key.desc())
    found = db.session.scalar(mine.where(ChannelListing.listing_id == sale.listing_id)) if sale.listing_id else None
    return found or db.session.scalar(mine.where(ChannelListing.offer_key == sale.offer_key))


def _unit(key: str) -> int:
    tail = key.rsplit("#", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _keep_units_dense(connector: ChannelConnector, sold: ChannelListing) -> None:
    """Copies are numbered 1…n by count, so after a sale the last number leaves stock. The sold row takes
    that last number and the listing that had it takes the sold one's: the copies still for sale keep
    their listings (no delete-and-recreate on the channel), and the next sync updates their key there."""
    variation = variation_of(sold.offer_key)
    listed = db.session.scalars(select(ChannelListing).where(
        ChannelListing.connector_id == connector.id, ChannelListing.status == "listed",
        ChannelListing.offer_key.like(f"{variation}#%"))).all()
    last = max((row for row in listed if variation_of(row.offer_key) == variation),
               key=lambda row: _unit(row.offer_key), default=None)
    if last is None or _unit(last.offer_key) < _unit(sold.offer_key):
        return
    sold_key, last_key = sold.offer_key, last.offer_key
    sold.offer_key = f"{sold_key}~"  # (the pair is unique per connector: swap through a free key)
    db.session.flush()
    last.offer_key, last.fingerprint = sold_key, ""
    db.session.flush()
    sold.offer_key = last_key


def _delist_elsewhere(variation_id: int) -> None:
    """Every enabled connector brought in line for the variation; a channel that failed raises so the
    inbox retries (the ECS part is not repeated: it is recorded)."""
    failed: list[str] = []
    for other in db.session.scalars(select(ChannelConnector).where(ChannelConnector.status != "disabled")).all():
        tally = sync_variations(other, [variation_id])
        failed += [f"{other.code}: {f['error_code']}" for f in tally.failures]
    if failed:
        raise ChannelError("CHN-021", "Some channels could not be updated after the sale: " + ", ".join(failed))


def on_sale_event(event: WebhookEvent) -> HandlerResult:
    """The inbox handler of ``channel.sale``."""
    payload = event.payload or {}
    connector = db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == payload.get("connector")))
    sale_data = payload.get("sale")
    if connector is None or not isinstance(sale_data, dict):
        raise PoisonEvent("the sale names no known connector")
    try:
        sale = ChannelSale(**{k: v for k, v in sale_data.items() if k in ChannelSale.__dataclass_fields__})
    except TypeError as exc:
        raise PoisonEvent(f"the sale is malformed: {exc}") from None
    return HandlerResult(note=record_sale(connector, sale)[:255])


def register() -> None:
    register_handler(SALE_EVENT, on_sale_event)


def sales_of(connector: ChannelConnector, limit: int = 50) -> list[SaleRow]:
    return list(db.session.scalars(select(SaleRow).where(SaleRow.connector_id == connector.id)
                                   .order_by(SaleRow.id.desc()).limit(limit)))


def summary(connector: ChannelConnector) -> dict[str, Any]:
    """Counts of the connector's listings by status, for the back office and the API."""
    rows = db.session.execute(select(ChannelListing.status, db.func.count()).where(
        ChannelListing.connector_id == connector.id).group_by(ChannelListing.status)).all()
    return {status: int(count) for status, count in rows}
