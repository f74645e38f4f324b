"""Demo data that lives in the storefront's own database: the catalog (synced from the sandbox)
and logins for a demo staff member and a demo customer, printed on every start."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from storefront.accounts.services import ensure_customer
from storefront.catalog import revision as catalog_revision
from storefront.catalog.models import Item, ItemDetail
from storefront.coupons.models import Coupon
from storefront.coupons.services import find_coupon
from storefront.demo.content import ensure_demo_pages
from storefront.extensions import db
from storefront.shipping.models import ShippingMethod, ShippingZone
from storefront.staff.services import ensure_staff
from storefront.sync.runner import execute_run
from storefront.sync.services import SyncAlreadyRunning, active_run, create_run

DEMO_STAFF_EMAIL = "staff@demo.groovecellar.test"
DEMO_CUSTOMER_EMAIL = "shopper@demo.groovecellar.test"


def demo_credentials(instance: Path) -> dict[str, str]:
    """Passwords generated once per install and kept in instance/ (0600), never in the repo."""
    path = instance / "demo-credentials.json"
    if path.exists():
        return json.loads(path.read_text())
    creds = {"staff": secrets.token_urlsafe(12), "customer": secrets.token_urlsafe(12)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(creds, fh)
    return creds


def prepare_demo(app: Flask) -> Iterator[str]:
    """Sync the catalog from the sandbox and make sure the demo logins work; yields progress lines."""
    has_items = db.session.scalar(select(func.count()).select_from(Item)) or 0
    kind = "incremental" if has_items else "full"
    try:
        stale = active_run()
        if stale is not None:  # a demo stopped mid-sync: that run can never finish now
            stale.status, stale.active, stale.message = "failed", None, "Interrupted: the demo was stopped."
            db.session.commit()
        run = execute_run(create_run(kind, started_by="demo").id)
        yield f"catalog: {kind} sync {run.status} — {run.message}"
    except SyncAlreadyRunning as exc:
        yield f"catalog: {exc.message}"

    yield from ensure_demo_shipping()
    yield from ensure_demo_coupon()
    yield from ensure_demo_picks()
    yield from ensure_demo_pages()
    creds = demo_credentials(Path(app.instance_path))
    yield from _demo_staff(creds["staff"])
    yield from _demo_customer(creds["customer"])


def _demo_staff(password: str) -> Iterator[str]:
    ensure_staff(DEMO_STAFF_EMAIL, name="Demo Staff", role="admin", password=password)
    yield f"staff login:    {DEMO_STAFF_EMAIL} / {password}   (back office at /staff/)"


def _demo_customer(password: str) -> Iterator[str]:
    ensure_customer(DEMO_CUSTOMER_EMAIL, name="Demo Shopper", password=password)
    yield f"customer login: {DEMO_CUSTOMER_EMAIL} / {password}"


DEMO_SHIPPING = [
    ("United States", "US", [("USPS Media Mail", "per_unit", 450, 100, 0),
                             ("UPS Ground", "free_over", 895, 0, 10000)]),
    ("UK & Europe", "GB,IE,FR,DE,NL,BE,LU,ES,PT,IT,AT,DK,SE,FI,NO,PL,CZ,CH",
     [("Tracked airmail", "per_unit", 1400, 300, 0)]),
    ("Rest of the world", "*", [("Airmail", "per_unit", 2200, 400, 0)]),
]


def ensure_demo_shipping() -> Iterator[str]:
    """Zones, rates and local pickup for the demo shop (only when staff have set up none)."""
    if db.session.scalar(select(func.count()).select_from(ShippingMethod)):
        return
    for position, (name, countries, methods) in enumerate(DEMO_SHIPPING):
        zone = ShippingZone(name=name, countries=countries, position=position)
        for rank, (label, kind, amount, extra, free_over) in enumerate(methods):
            zone.methods.append(ShippingMethod(name=label, kind=kind, amount=amount, additional_amount=extra,
                                               free_over_amount=free_over, position=rank))
        db.session.add(zone)
    db.session.add(ShippingMethod(name="Collect from the shop (Tue–Sun, 11–7)", kind="pickup"))
    db.session.commit()
    yield "shipping: demo zones (US, UK & Europe, rest of world) and local pickup"


def ensure_demo_coupon() -> Iterator[str]:
    """A code to try in the demo: 10% off orders of $30 or more."""
    if find_coupon("CRATE10") is None:
        db.session.add(Coupon(code="CRATE10", kind="percent", percent=10, currency="USD", min_order_amount=3000))
        db.session.commit()
    yield "coupon: CRATE10 (10% off orders of $30 or more)"


DEMO_PICKS = (
    "Side B, track 2: the bass line alone is worth the price.",
    "We play this one every Saturday morning when the shutters go up.",
    "A reissue that sounds better than the original pressing. Rare.",
    "If you like your grooves dusty and your drums loud, start here.",
    "The one customers come back for. Quiet pressing, great sleeve.",
    "Put it on, turn the lights down, thank us later.",
)


def ensure_demo_picks() -> Iterator[str]:
    """A few staff picks with a note from the shop (only when staff have picked none)."""
    if db.session.scalar(select(func.count()).select_from(ItemDetail).where(ItemDetail.staff_pick != "")):
        return
    ids = list(db.session.scalars(select(Item.id).where(Item.kind == "record", Item.is_deleted.is_(False),
                                                        Item.stock > 0, Item.artist != "").order_by(Item.id)))
    chosen = ids[3::max(1, len(ids) // 8)][:8]
    for n, item_id in enumerate(chosen):
        detail = db.session.scalar(select(ItemDetail).where(ItemDetail.item_id == item_id))
        if detail is None:
            detail = ItemDetail(item_id=item_id, updated_by="demo")
            db.session.add(detail)
        detail.featured, detail.staff_pick = True, DEMO_PICKS[n % len(DEMO_PICKS)]
    catalog_revision.bump()
    db.session.commit()
    yield f"staff picks: {len(chosen)} records picked by the demo staff"
