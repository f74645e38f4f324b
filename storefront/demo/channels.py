"""The demo's sales channels: the Discogs and Shopify sandboxes with connectors offering the demo's
copies, and a Google product feed. Run on every ``flask demo`` start (the Discogs sandbox keeps its listings
in memory, so each start lists the copies again)."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask
from sqlalchemy import select

from storefront.catalog import revision as catalog_revision
from storefront.catalog.models import Item, ItemDetail
from storefront.channels.adapters import ChannelError
from storefront.channels.connectors import ConnectorInvalid, create_connector, update_connector
from storefront.channels.models import ChannelConnector
from storefront.channels.syncing import start_sync
from storefront.discogs.sandbox.app import SANDBOX_TOKEN, create_discogs_sandbox
from storefront.ecs.sandbox.server import SandboxServer, serve_in_thread
from storefront.extensions import db
from storefront.shopify.sandbox import SANDBOX_SECRET as SHOPIFY_SECRET
from storefront.shopify.sandbox import SANDBOX_TOKEN as SHOPIFY_TOKEN
from storefront.shopify.sandbox import create_shopify_sandbox

SHOPIFY_LOCATION = 655441491  # the sandbox's one location
# The demo's records are invented, so their "release ids" are the sandbox's own numbers, well clear
# of anything a staff member matched for real through enrichment.
DEMO_RELEASE_BASE = 90_000_000


def start_discogs_sandbox(app: Flask) -> SandboxServer:
    """The Discogs sandbox on a free port, its clock as fast as the shop's Discogs window."""
    window = float(app.config["CHANNEL_DISCOGS_RATE_WINDOW"])
    return serve_in_thread(create_discogs_sandbox(window=window), host="127.0.0.1", port=0)


def start_shopify_sandbox(app: Flask) -> SandboxServer:
    """The Shopify sandbox on a free port (its bucket leaks 20 times fast, like the demo's Discogs clock),
    delivering orders/create to this shop."""
    server = serve_in_thread(create_shopify_sandbox(leak_rate=40.0), host="127.0.0.1", port=0)
    base = str(app.config["PUBLIC_BASE_URL"]).rstrip("/")
    server.app.extensions["shopify_sandbox"].webhook_url = f"{base}/webhooks/shopify/shopify"
    return server


def ensure_demo_shopify(shopify_base: str, *, background: bool) -> Iterator[str]:
    """The demo's Shopify connector (once; its URL follows the sandbox's port) and a full sync."""
    shopify = db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == "shopify"))
    try:
        if shopify is None:
            shopify, _ = create_connector({
                "code": "shopify", "name": "Shopify (sandbox)", "channel_type": "shopify",
                "settings": {"base_url": shopify_base, "location_id": SHOPIFY_LOCATION},
                "credentials": {"access_token": SHOPIFY_TOKEN, "webhook_secret": SHOPIFY_SECRET}})
        else:
            update_connector(shopify, {"settings": {"base_url": shopify_base}})
        job = start_sync(shopify, "full", started_by="demo", run_now=not background)
    except (ConnectorInvalid, ChannelError) as exc:
        yield f"channels: Shopify not synced ({exc})"
        return
    if background:
        yield "channels: offering the demo's copies on the Shopify sandbox (progress: /staff/channels/shopify)"
        return
    db.session.refresh(job)
    yield f"channels: Shopify sandbox sync {job.status} — {job.created_count + job.updated_count} copies offered"


def ensure_demo_channels(discogs_base: str, *, background: bool) -> Iterator[str]:
    """Connect the demo's Discogs and feed connectors (once) and list the graded copies on Discogs
    (in the background while the shop serves: the back office shows the job's progress)."""
    _demo_release_ids()
    discogs = db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == "discogs"))
    try:
        if discogs is None:
            discogs, _ = create_connector({
                "code": "discogs", "name": "Discogs Marketplace (sandbox)", "channel_type": "discogs",
                "settings": {"api_base": discogs_base, "location": "Crate B"},
                "credentials": {"token": SANDBOX_TOKEN},
                "mappings": {"title_template": "{artist} – {title} ({media_grade}/{sleeve_grade})",
                             "price": {"rounding": "x.99"}, "comments": "copy"}})
        else:  # the sandbox listens on a new port each start
            update_connector(discogs, {"settings": {"api_base": discogs_base}})
        if db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == "google")) is None:
            create_connector({"code": "google", "name": "Google product feed", "channel_type": "google_feed"})
    except ConnectorInvalid as exc:
        yield f"channels: demo connectors not created ({exc.errors})"
        return
    try:
        job = start_sync(discogs, "full", started_by="demo", run_now=not background)
    except ChannelError as exc:
        yield f"channels: Discogs sync not started ({exc.code}: {exc.message})"
        return
    if background:
        yield "channels: listing the demo's graded copies on the Discogs sandbox (progress: /staff/channels/discogs)"
        return
    db.session.refresh(job)
    yield (f"channels: Discogs sandbox sync {job.status} — {job.created_count + job.updated_count} copies listed, "
           f"{job.failed_count} not listable")


def _demo_release_ids() -> None:
    """Each demo record without one gets a sandbox release id (a real shop matches them in enrichment)."""
    records = db.session.scalars(select(Item).where(Item.kind == "record", Item.is_deleted.is_(False),
                                                    Item.format != "")).all()  # releases, not merch
    changed = False
    for item in records:
        detail = item.detail
        if detail is None:
            detail = ItemDetail(item_id=item.id, updated_by="demo")
            db.session.add(detail)
            item.detail = detail
        if detail.discogs_release_id is None:
            detail.discogs_release_id, changed = DEMO_RELEASE_BASE + item.id, True
    if changed:
        catalog_revision.bump()
    db.session.commit()
