"""Pre-orders: a record whose release date (read by the field mapping) is still to come sells as a
pre-order, its order ships on that day and waits apart from the orders to ship until then."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from storefront.catalog.models import Item
from storefront.extensions import db
from storefront.orders.fulfilment import orders_to_ship, preorders_waiting
from storefront.orders.models import Order
from storefront.web.pagination import PageRequest
from tests.support.checkout import customer_checkout, two_records_in_stock
from tests.support.ecs import ecs_config
from tests.support.factories import make_item
from tests.support.pages import soup
from tests.support.sync import run_sync


def test_the_seller_demo_has_pre_orders_mapped_from_its_release_date_attribute(make_app, sandbox):
    sandbox.reset(items=60, shape="seller")
    app = make_app(**ecs_config(sandbox))
    with app.app_context():
        assert run_sync().status == "succeeded"
        dates = db.session.scalars(select(Item.release_date).where(Item.release_date.is_not(None))).all()
    assert dates and all(d > date.today() for d in dates)


def test_a_pre_order_says_so_on_its_card_and_page(app, client):
    with app.app_context():
        coming = make_item(artist="Soon", title="Forthcoming", release_date=date.today() + timedelta(days=30))
        out = make_item(artist="Now", title="Already Out", release_date=date.today() - timedelta(days=3))
        db.session.commit()
        coming_id, out_id = coming.id, out.id
    listing = soup(client.get("/catalog?sort=title"))
    cards = {c.select_one(".product-title").get_text(strip=True): c for c in listing.select(".product-card")}
    assert cards["Forthcoming"].select_one(".preorder") is not None
    assert cards["Already Out"].select_one(".preorder") is None
    page = soup(client.get(f"/catalog/{coming_id}"))
    assert "Pre-order — ships" in page.select_one(".preorder").get_text()
    assert page.select_one("form.add-to-cart button").get_text(strip=True) == "Pre-order"
    assert soup(client.get(f"/catalog/{out_id}")).select_one(".preorder") is None


def test_a_pre_order_ships_on_its_release_date_and_waits_apart(live_shop, sandbox):
    app, base = live_shop
    (variation_id, _ecs, _stock), (other_id, _e, _s) = two_records_in_stock(app)
    release = date.today() + timedelta(days=21)
    with app.app_context():
        item_id = db.session.scalar(select(Item.id).join(Item.variations).where(Item.variations.any(id=variation_id)))
        db.session.execute(update(Item).where(Item.id == item_id).values(release_date=release))
        db.session.commit()
    _http, preorder = customer_checkout(app, base, "early@example.com", [variation_id, other_id])
    _http, plain = customer_checkout(app, base, "later@example.com", [other_id])
    with app.app_context():
        orders = {o.number: o for o in db.session.scalars(select(Order))}
        assert orders[preorder["order"]["number"]].ships_on == release
        assert orders[plain["order"]["number"]].ships_on is None
        db.session.execute(update(Order).values(status="paid"))
        db.session.commit()
        to_ship, _total = orders_to_ship(PageRequest(page=1, limit=50))
        assert [o.number for o in to_ship] == [plain["order"]["number"]]
        assert [o.number for o in preorders_waiting()] == [preorder["order"]["number"]]
        db.session.execute(update(Order).values(ships_on=date.today()))  # release day
        db.session.commit()
        to_ship, _total = orders_to_ship(PageRequest(page=1, limit=50))
        assert len(to_ship) == 2 and preorders_waiting() == []
