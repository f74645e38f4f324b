"""What Square's catalog says about selling an item at the shop's location: presence at locations,
location overrides (price, inventory tracking), archived items and online visibility. Items the
location cannot sell are not listed; a location's price is the price; untracked stock is always
available."""

from __future__ import annotations

from typing import Any

import pytest

from storefront.sync.mapping import map_item_page, parse_item
from tests.support.square_schema import validate

HERE, ELSEWHERE = "LSHOP", "LWAREHOUSE"


def variation(vid: str, price: int, **extra: Any) -> dict[str, Any]:
    data = {"item_id": "ITEM1", "name": "LP", "pricing_type": "FIXED_PRICING",
            "price_money": {"amount": price, "currency": "USD"}, **extra.pop("data", {})}
    return {"type": "ITEM_VARIATION", "id": vid, "version": 1, "present_at_all_locations": True,
            "item_variation_data": data, **extra}


def item(*variations: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data = {"name": "Vera Bergstrom — Live in Marseille", "variations": list(variations), **extra.pop("data", {})}
    obj = {"type": "ITEM", "id": "ITEM1", "version": 1, "present_at_all_locations": True, "item_data": data, **extra}
    validate(obj, "CatalogObject", strict=False)  # each case is a catalog object Square could send
    return obj


CASES = [
    ("present everywhere", item(variation("V1", 1999)), False, {"V1": (1999, False)}),
    ("absent at the shop", item(variation("V1", 1999), absent_at_location_ids=[HERE]), True, None),
    ("only at another location", item(variation("V1", 1999), present_at_all_locations=False,
                                      present_at_location_ids=[ELSEWHERE]), True, None),
    ("only at the shop", item(variation("V1", 1999), present_at_all_locations=False,
                              present_at_location_ids=[HERE]), False, {"V1": (1999, False)}),
    ("archived", item(variation("V1", 1999), data={"is_archived": True}), True, None),
    ("hidden online", item(variation("V1", 1999), data={"ecom_visibility": "HIDDEN"}), True, None),
    ("a location price", item(variation("V1", 1999, data={"location_overrides": [
        {"location_id": ELSEWHERE, "price_money": {"amount": 2999, "currency": "USD"}},
        {"location_id": HERE, "price_money": {"amount": 1499, "currency": "USD"}}]})), False, {"V1": (1499, False)}),
    # Square marks a tracked variation sold out when its count reaches zero: it stays listed ("Sold out").
    ("sold out here", item(variation("V1", 1999, data={"location_overrides": [
        {"location_id": HERE, "sold_out": True}]})), False, {"V1": (1999, False)}),
    ("a format absent here", item(variation("V1", 1999, absent_at_location_ids=[HERE]), variation("V2", 1299)),
     False, {"V1": (1999, True), "V2": (1299, False)}),
]


@pytest.mark.parametrize(("case", "obj", "hidden", "variations"), CASES, ids=[c[0] for c in CASES])
def test_what_the_shops_location_can_sell(case, obj, hidden, variations):
    mapped = parse_item(obj, HERE)
    assert mapped.is_deleted is hidden, case
    if variations is not None:
        assert {v.ecs_id: (v.price_amount, v.is_deleted) for v in mapped.variations} == variations


@pytest.mark.parametrize(("overrides", "sold_out"), [
    ([], False),
    ([{"location_id": HERE, "sold_out": True}], True),
    ([{"location_id": ELSEWHERE, "sold_out": True}], False),
    ([{"location_id": HERE, "sold_out": False}], False),
])
def test_a_variation_marked_sold_out_here_is_read_as_such(overrides, sold_out):
    """Square's ``location_overrides[].sold_out``: set by Square at zero, or by the seller with stock left."""
    mapped = parse_item(item(variation("V1", 1999, data={"location_overrides": overrides})), HERE)
    assert mapped.variations[0].sold_out is sold_out and mapped.is_deleted is False


@pytest.mark.parametrize(("channels", "listed"), [(None, True), ([], True), (["CH-ONLINE"], True),
                                                  (["CH-POS", "CH-ONLINE"], True), (["CH-POS"], False)])
def test_an_item_off_the_shops_sales_channel_is_not_listed(channels, listed):
    from storefront.sync.fields import Mapper, preset

    data = {} if channels is None else {"channels": channels}
    mapper = Mapper(preset("storefront-keys"), channel_id="CH-ONLINE")
    assert parse_item(item(variation("V1", 1999), data=data), HERE, mapper).is_deleted is not listed
    # Without a channel configured, channels are not checked.
    assert parse_item(item(variation("V1", 1999), data=data), HERE).is_deleted is False


def test_without_a_location_everything_is_read_as_before():
    absent = item(variation("V1", 1999), absent_at_location_ids=[HERE])
    assert parse_item(absent).is_deleted is False


def test_an_unsellable_item_is_not_a_mapping_failure():
    page = map_item_page([item(variation("V1", 1999, absent_at_location_ids=[HERE]))], HERE)
    assert page.failures == [] and page.items[0].is_deleted


def test_a_sync_stops_listing_what_the_location_cannot_sell(make_app, sandbox):
    """Over HTTP: archive one record and make another absent at the shop's location in the sandbox;
    the incremental sync takes both off the shop (and a full sync agrees)."""
    from sqlalchemy import select

    from storefront.catalog.models import Item
    from storefront.extensions import db
    from tests.support.ecs import ecs_config
    from tests.support.sync import run_sync

    app = make_app(**ecs_config(sandbox))
    with app.app_context():
        assert run_sync().status == "succeeded"
        ids = list(db.session.scalars(select(Item.ecs_id).where(Item.kind == "record", Item.is_deleted.is_(False))
                                      .order_by(Item.id).limit(3)))
        location = sandbox.control("GET", "state/summary")["location_id"]
        sandbox.control("PATCH", f"catalog/{ids[0]}", json={"is_archived": True})
        sandbox.control("PATCH", f"catalog/{ids[1]}", json={"absent_at_location_ids": [location]})
        run = run_sync("incremental")
        assert run.status == "succeeded", run.message
        listed = dict(db.session.execute(select(Item.ecs_id, Item.is_deleted).where(Item.ecs_id.in_(ids))).all())
        assert listed == {ids[0]: True, ids[1]: True, ids[2]: False}
        assert run_sync().status == "succeeded"
        again = dict(db.session.execute(select(Item.ecs_id, Item.is_deleted).where(Item.ecs_id.in_(ids))).all())
        assert again == listed


@pytest.mark.parametrize(("data", "tracked"), [
    ({}, True),
    ({"track_inventory": False}, False),
    ({"track_inventory": True, "location_overrides": [{"location_id": HERE, "track_inventory": False}]}, False),
    ({"track_inventory": False, "location_overrides": [{"location_id": ELSEWHERE, "track_inventory": True}]}, False),
])
def test_whether_the_ecs_counts_a_variations_stock_here(data, tracked):
    assert parse_item(item(variation("V1", 1999, data=data)), HERE).variations[0].track_inventory is tracked


def test_a_record_the_ecs_does_not_count_is_always_buyable_and_never_held(live_shop, sandbox):
    """Square's `track_inventory: false`: no count at all, yet listed as available, bought without a hold."""
    import requests
    from sqlalchemy import func, select

    from storefront.catalog.models import Item, ItemVariation
    from storefront.catalog.stock import UNTRACKED_STOCK
    from storefront.extensions import db
    from storefront.orders.models import Reservation
    from tests.support.checkout import SUCCESS_CARD, customer_checkout, order_status, pay, wait_for
    from tests.support.sync import run_sync

    app, base = live_shop
    created = sandbox.control("POST", "catalog/items", json={
        "artist": "The Uncounted", "title": "Pressed on Demand", "format": "LP",
        "variations": [{"name": "LP", "amount": 2400, "track_inventory": False}]})
    item_ecs_id = next(o["id"] for o in created["objects"] if o["type"] == "ITEM")
    with app.app_context():
        assert run_sync("incremental").status == "succeeded"
        variation_id, stock = db.session.execute(
            select(ItemVariation.id, Item.stock).join(Item).where(Item.ecs_id == item_ecs_id)).one()
        assert stock == UNTRACKED_STOCK
    assert "Sold out" not in requests.get(f"{base}/catalog?q=Uncounted").text
    http, checkout = customer_checkout(app, base, "ondemand@example.com", [variation_id])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reservation)
                                 .where(Reservation.variation_id == variation_id)) == 0
    assert pay(http, checkout["payment_url"], SUCCESS_CARD).status_code == 303
    wait_for(lambda: order_status(app, checkout["order"]["number"]) == "paid")
