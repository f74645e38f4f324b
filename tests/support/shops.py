"""Two shops on one deployment ("north" and "south"), their data seeded in their own contexts, and
the clean-up that drops their schemas (PostgreSQL) so the next test starts with one shop again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from storefront.accounts.models import Customer
from storefront.apitokens.services import issue_token
from storefront.audit.models import AuditEntry
from storefront.cart.models import Cart
from storefront.catalog.models import Format, Genre, Item, ItemDetail, ItemVariation, StockLevel
from storefront.content.models import ContentPage
from storefront.content.render import render_body
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.inquiries.models import EventInquiry
from storefront.orders.models import Order
from storefront.shops import registry
from storefront.shops.context import use_shop
from storefront.shops.databases import drop_shop_roles
from storefront.shops.services import create_shop
from storefront.staff.models import StaffMember
from storefront.sync.models import SyncRun
from storefront.webhooks.models import WebhookEvent
from storefront.wishlist.models import WishlistEntry
from tests.support.accounts import password_hash

SHOPS = ("north", "south")
NOTIFY = "https://{code}.example/webhooks/square/{code}"


def marker(code: str) -> str:
    return f"{code.upper()}-SECRET-7f3a"


def drop_shops(app: Flask) -> None:
    """Remove the shops' schemas and the platform schema (PostgreSQL); SQLite files go with tmp_path."""
    with app.app_context():
        db.session.remove()
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                schemas = conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'shop\\_%' "
                                            "OR nspname = 'platform'")).scalars().all()
            for schema in schemas:  # one transaction each: dropping many at once needs too many locks
                with engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()  # no pooled connection keeps acting as a role about to go
            drop_shop_roles(engine)
        platform = app.extensions.pop("platform_engine", None)
        if platform is not None:
            platform.dispose()
        registry.forget(app)
        app.extensions["shops_fail_closed"] = False
        engine.dispose()  # pooled connections remember another shop's search_path


@pytest.fixture
def two_shops(make_app: Any) -> Iterator[Flask]:
    """An app whose deployment hosts "north" and "south" (plus the default shop), each with its own
    webhook key; nothing seeded yet."""
    app = make_app(SHOP_REGISTRY_TTL_SECONDS=0, CATALOG_REVISION_TTL_SECONDS=0)
    drop_shops(app)  # a previous run that died half-way
    with app.app_context():
        for code in SHOPS:
            create_shop(code, f"{code.title()} Records", {"ECS_WEBHOOK_NOTIFICATION_URL": NOTIFY.format(code=code),
                                                          "SHOP_ACCENT_COLOUR": "#1d6fa5", "ECS_LOCATION_ID": "L1"},
                        {"ECS_WEBHOOK_SIGNATURE_KEYS": [f"{code}-webhook-key"]})
        registry.snapshot(app)
    yield app
    drop_shops(app)


def seed(app: Flask, code: str) -> dict[str, Any]:
    """One row (at least) in the tables the issue names, every text carrying the shop's marker."""
    mark = marker(code)
    with app.app_context(), use_shop(code):
        genre = Genre(name=f"{mark} Genre", slug=f"{code}-genre")
        fmt = Format(name=f"{mark[:30]} Fmt", slug=f"{code}-fmt")
        item = Item(ecs_id=f"{code}-item", name=f"{mark} Record", artist=mark, title=f"{mark} Title",
                    price_amount=2500, stock=3, search_text=f"{mark.lower()} record")
        item.variations.append(ItemVariation(ecs_id=f"{code}-var", name="LP", price_amount=2500))
        customer = Customer(email=f"buyer@{code}.example", name=f"{mark} Buyer", password_hash=password_hash(),
                            email_confirmed_at=utcnow())
        staff = StaffMember(email=f"staff@{code}.example", name=f"{mark} Staff", role="admin",
                            password_hash=password_hash())
        db.session.add_all([genre, fmt, item, customer, staff])
        db.session.flush()
        db.session.add_all([
            StockLevel(variation_id=item.variations[0].id, location_id="L1", quantity=3),
            ItemDetail(item_id=item.id, staff_pick=f"{mark} pick", notes=f"{mark} notes"),
            WishlistEntry(customer_id=customer.id, item_id=item.id),
            Cart(token_hash=f"{code}-cart-hash", customer_id=customer.id, lines={str(item.variations[0].id): {
                "quantity": 1, "price": 2500}}),
            Order(number=f"{code.upper()}-0001", email=customer.email, customer_id=customer.id, status="paid",
                  currency="USD", subtotal_amount=2500, total_amount=2500, checkout_key=f"{code}-ck",
                  idempotency_key=f"{code}-ik", staff_note=mark),
            EventInquiry(tracking_id=f"EV-{code[:4].upper()}-0001", name=f"{mark} Guest", email=f"ev@{code}.example",
                         event_type="other", preferred_date=date.today(), message=mark),
            SyncRun(kind="full", status="succeeded", started_by=mark),
            WebhookEvent(event_id=f"{code}-event", event_type="catalog.version.updated", payload={"m": mark},
                         status="dead", last_error=mark),
            AuditEntry(actor_kind="staff", actor_id=staff.id, actor_label=mark, action="test.seeded"),
            ContentPage(slug=f"{code}-about", title=f"{mark} About", body=mark, body_format="markdown",
                        body_html=render_body(mark, "markdown"), published=True, show_in_header=True,
                        show_in_footer=True),
        ])
        db.session.commit()
        token = issue_token("customer", customer.id, 3600)
        return {"customer_id": customer.id, "staff_id": staff.id, "item_id": item.id, "token": token.token,
                "email": customer.email, "staff_email": staff.email, "order": f"{code.upper()}-0001",
                "tracking": f"EV-{code[:4].upper()}-0001", "slug": f"{code}-about"}
