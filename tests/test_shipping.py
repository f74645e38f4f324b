"""Shipping zones and methods: which rates an address gets, what they charge, and the staff page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.audit.models import AuditEntry
from storefront.core.errors import ValidationError
from storefront.extensions import db
from storefront.shipping.models import ShippingMethod, ShippingZone
from storefront.shipping.services import choose_rate, method_charge, rates_for, shipping_enabled
from tests.support.accounts import login, make_staff
from tests.support.pages import csrf_token, soup


def _shop_zones() -> None:
    us = ShippingZone(name="United States", countries="US", position=0)
    us.methods.append(ShippingMethod(name="Media Mail", kind="per_unit", amount=500, additional_amount=100))
    us.methods.append(ShippingMethod(name="Ground", kind="free_over", amount=895, free_over_amount=10000, position=1))
    london = ShippingZone(name="Central London courier", countries="GB", postcodes="EC,WC", position=1)
    london.methods.append(ShippingMethod(name="Bike courier", kind="flat", amount=700))
    uk = ShippingZone(name="United Kingdom", countries="GB", position=2)
    uk.methods.append(ShippingMethod(name="Royal Mail Tracked", kind="per_unit", amount=1400, additional_amount=300))
    ca = ShippingZone(name="California", countries="US", regions="CA", position=-1)
    ca.methods.append(ShippingMethod(name="Local delivery", kind="flat", amount=300))
    world = ShippingZone(name="Everywhere else", countries="*", position=9)
    world.methods.append(ShippingMethod(name="Airmail", kind="flat", amount=2500))
    world.methods.append(ShippingMethod(name="Retired", kind="flat", amount=1, active=False))
    db.session.add_all([us, london, uk, ca, world,
                        ShippingMethod(name="Collect from the shop", kind="pickup")])
    db.session.commit()


@pytest.mark.parametrize("kind, amount, extra, free_over, units, subtotal, expected", [
    ("flat", 500, 0, 0, 3, 6000, 500),
    ("per_unit", 500, 100, 0, 1, 2000, 500),  # first record $5
    ("per_unit", 500, 100, 0, 4, 8000, 800),  # … each further one $1
    ("free_over", 895, 0, 10000, 2, 9999, 895),
    ("free_over", 895, 0, 10000, 2, 10000, 0),
    ("pickup", 0, 0, 0, 5, 9000, 0),
    ("per_unit", 500, 100, 0, 0, 0, 0),
])
def test_method_charges(kind, amount, extra, free_over, units, subtotal, expected):
    method = ShippingMethod(name="m", kind=kind, amount=amount, additional_amount=extra, free_over_amount=free_over)
    assert method_charge(method, units=units, subtotal=subtotal) == expected


@pytest.mark.parametrize("address, expected", [
    ({"country": "US", "region": "NY"}, ["Media Mail", "Ground", "Collect from the shop"]),
    ({"country": "US", "region": "CA"}, ["Local delivery", "Collect from the shop"]),
    ({"country": "GB", "postcode": "ec1a 1bb"}, ["Bike courier", "Collect from the shop"]),
    ({"country": "GB", "postcode": "M1 1AE"}, ["Royal Mail Tracked", "Collect from the shop"]),
    ({"country": "JP"}, ["Airmail", "Collect from the shop"]),
    (None, ["Collect from the shop"]),
])
def test_zone_matching_orders_rates_cheapest_first_then_pickup(app_ctx, address, expected):
    _shop_zones()
    rates = rates_for(address, units=2, subtotal=4000)
    assert [r.name for r in rates] == expected
    assert rates[-1].is_pickup and rates[-1].amount == 0


def test_free_shipping_coupon_zeroes_every_rate(app_ctx):
    _shop_zones()
    assert {r.amount for r in rates_for({"country": "GB"}, units=3, subtotal=1, free_shipping=True)} == {0}


def test_a_country_no_zone_covers_gets_a_clear_message(app_ctx):
    zone = ShippingZone(name="UK", countries="GB")
    zone.methods.append(ShippingMethod(name="Royal Mail", kind="flat", amount=400))
    db.session.add(zone)
    db.session.commit()
    assert [r.name for r in rates_for({"country": "FR"}, units=1, subtotal=100)] == []
    with pytest.raises(ValidationError) as caught:
        choose_rate({"country": "FR"}, zone.methods[0].id, units=1, subtotal=100)
    assert caught.value.message == "Sorry, we don't ship to that country yet."
    assert choose_rate({"country": "GB"}, zone.methods[0].id, units=1, subtotal=100).amount == 400
    with pytest.raises(ValidationError):
        choose_rate({"country": "GB"}, None, units=1, subtotal=100)


def test_no_methods_means_the_shop_does_not_ship(app_ctx):
    assert shipping_enabled() is False
    _shop_zones()
    assert shipping_enabled() is True


def test_staff_manage_zones_and_methods_with_audit_and_clear_errors(app):
    client = app.test_client()
    login(client, make_staff(app, "ship@example.com"))
    token = csrf_token(client, "/staff/shipping/")
    page = client.post("/staff/shipping/zones", data={"csrf_token": token, "name": "UK", "countries": "gb, ie"})
    assert page.status_code == 303
    with app.app_context():
        zone = db.session.scalar(select(ShippingZone))
        assert zone.countries == "GB,IE"
        zone_id = zone.id
    added = client.post("/staff/shipping/methods", data={
        "csrf_token": token, "zone_id": zone_id, "name": "Tracked", "kind": "per_unit", "amount": "14.00",
        "additional_amount": "3", "free_over_amount": "0", "active": "on", "active_present": "1"})
    assert added.status_code == 303
    shown = client.get("/staff/shipping/")
    assert "Tracked" in shown.text and "$14.00 + $3.00 each further" in soup(shown).get_text(" ")

    bad = client.post("/staff/shipping/zones", data={"csrf_token": token, "name": "", "countries": "XX, *"})
    assert bad.status_code == 400
    text = soup(bad).get_text(" ")
    assert "Unknown country code(s): XX" in text and "Give the zone a name" in text
    bad_money = client.post("/staff/shipping/methods", data={
        "csrf_token": token, "zone_id": zone_id, "name": "Odd", "kind": "flat", "amount": "4.505"})
    assert bad_money.status_code == 400 and "Enter an amount like 4.50." in bad_money.text
    pickup_in_zone = client.post("/staff/shipping/methods", data={
        "csrf_token": token, "zone_id": zone_id, "name": "Pickup", "kind": "pickup"})
    assert pickup_in_zone.status_code == 400
    assert client.post("/staff/shipping/zones", data={"name": "No token", "countries": "FR"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ShippingMethod)) == 1
        assert db.session.scalar(select(func.count()).select_from(ShippingZone)) == 1
        actions = [a for (a,) in db.session.execute(select(AuditEntry.action).where(
            AuditEntry.action.like("shipping.%")).order_by(AuditEntry.id))]
        assert actions == ["shipping.zone_saved", "shipping.method_saved"]

    assert client.post(f"/staff/shipping/zones/{zone_id}/delete", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ShippingMethod)) == 0  # cascade


def test_shipping_pages_refuse_anonymous_and_customers(app):
    client = app.test_client()
    assert client.get("/staff/shipping/").status_code in (302, 303, 401)
