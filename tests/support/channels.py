"""Sales-channel tests: a shop with graded records in stock at its location (the ``shop`` fixture)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.catalog.models import ItemVariation, StockLevel
from storefront.extensions import db
from tests.support.factories import make_item

LOCATION = "LTEST"
API = "/api/v1/staff/channel-connectors"


def stock(item, quantity: int, *, grade: str = "VG+") -> None:  # noqa: ANN001
    """``quantity`` copies of each of the item's variations at the shop's location, graded ``grade``."""
    for variation in db.session.scalars(select(ItemVariation).where(ItemVariation.item_id == item.id)):
        db.session.add(StockLevel(variation_id=variation.id, location_id=LOCATION, quantity=quantity))
        variation.media_grade, variation.condition = grade, "used" if grade else "new"


@pytest.fixture
def shop(make_app):  # noqa: ANN001, ANN201
    """Three records: two copies of one, one of another, none of the third."""
    app = make_app(ECS_LOCATION_ID=LOCATION, PUBLIC_BASE_URL="https://shop.example")
    with app.app_context():
        stock(make_item(artist="Nina Simone", title="Pastel Blues", price=2500), 2)
        stock(make_item(artist="Can", title="Tago Mago", price=3200, barcode="4006381333931"), 1)
        stock(make_item(artist="Sold Out", title="Nothing Left", price=1000), 0)
        db.session.commit()
    return app
