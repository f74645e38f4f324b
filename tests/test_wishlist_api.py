"""GET/POST/DELETE /api/v1/wishlist with a customer token, and the shared list as JSON."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.wishlist import services
from storefront.wishlist.models import WishlistEntry
from tests.support.accounts import bearer, make_customer, make_staff
from tests.support.factories import make_item

URL = "/api/v1/wishlist"


def customer_with_token(app, email: str) -> tuple[int, dict[str, str]]:
    customer = make_customer(app, email)
    return customer.id, bearer(app, kind="customer", subject_id=customer.id)


def saved_ids(app, customer_id: int) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(WishlistEntry.item_id).where(WishlistEntry.customer_id == customer_id)))


@pytest.fixture
def items(app) -> dict[str, int]:
    return {"in": make_item(app=app, name="Blue Train", price=2899).id,
            "out": make_item(app=app, name="Kind of Blue", stock=0).id,
            "gone": make_item(app=app, name="Deleted Record", deleted=True).id}


def test_a_customer_token_is_required(app, client):
    assert client.get(URL).status_code == 401
    assert client.get(URL).headers["WWW-Authenticate"].startswith("Bearer")
    staff = bearer(app, make_staff(app))
    response = client.post(URL, json={"item_id": 1}, headers=staff)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"


def test_add_list_and_remove(app, client, items):
    customer_id, auth = customer_with_token(app, "a@example.com")
    created = client.post(URL, json={"item_id": items["in"]}, headers=auth)
    assert created.status_code == 201
    assert created.get_json()["item"]["price"] == {"amount": 2899, "currency": "USD", "formatted": "$28.99"}
    assert client.post(URL, json={"item_id": items["in"]}, headers=auth).status_code == 200  # already there
    assert client.post(URL, json={"item_id": str(items["out"])}, headers=auth).status_code == 201
    body = client.get(URL, headers=auth).get_json()
    assert [i["item_id"] for i in body["items"]] == [items["out"], items["in"]]
    sold_out = body["items"][0]
    assert (sold_out["in_stock"], sold_out["available"], sold_out["name"]) == (False, True, "Kind of Blue")
    assert body["pagination"]["total"] == 2
    page = client.get(f"{URL}?limit=1&page=2", headers=auth).get_json()
    assert [i["item_id"] for i in page["items"]] == [items["in"]] and page["pagination"]["has_prev"] is True
    assert client.delete(f"{URL}/{items['in']}", headers=auth).status_code == 204
    assert client.delete(f"{URL}/{items['in']}", headers=auth).status_code == 404
    assert saved_ids(app, customer_id) == {items["out"]}


def test_a_deleted_item_already_on_the_list_is_reported_unavailable(app, client, items):
    customer_id, auth = customer_with_token(app, "b@example.com")
    with app.app_context():
        db.session.add(WishlistEntry(customer_id=customer_id, item_id=items["gone"]))
        db.session.commit()
    [line] = client.get(URL, headers=auth).get_json()["items"]
    assert (line["available"], line["in_stock"], line["price"]) == (False, False, None)


@pytest.mark.parametrize(("body", "status"), [
    ({"item_id": "abc"}, 422), ({}, 422), ({"item_id": True}, 422), ({"item_id": 1.5}, 422),
    ({"item_id": -1}, 422), ({"item_id": 987654}, 404),
    # beyond the 32-bit id columns (a database error on PostgreSQL if it got that far); unicode digits
    ({"item_id": 777777163393669652}, 422), ({"item_id": "777777163393669652"}, 422), ({"item_id": "²"}, 422),
])
def test_bad_item_ids_change_nothing(app, client, items, body, status):
    customer_id, auth = customer_with_token(app, "c@example.com")
    response = client.post(URL, json=body, headers=auth)
    assert response.status_code == status
    error = response.get_json()["error"]
    if status == 422:
        assert error["details"][0]["field"] == "item_id"
    assert saved_ids(app, customer_id) == set()


def test_deleted_items_cannot_be_added_and_bad_delete_ids(app, client, items):
    customer_id, auth = customer_with_token(app, "d@example.com")
    assert client.post(URL, json={"item_id": items["gone"]}, headers=auth).status_code == 404
    assert client.delete(f"{URL}/abc", headers=auth).status_code == 422
    assert client.delete(f"{URL}/777777163393669652", headers=auth).status_code == 422
    assert client.delete(f"{URL}/²", headers=auth).status_code == 422
    assert client.post(URL, data="item_id=1", headers=auth,
                       content_type="application/x-www-form-urlencoded").status_code == 415
    assert saved_ids(app, customer_id) == set()


def test_another_customer_can_neither_read_nor_change_my_list(app, client, items):
    me, my_auth = customer_with_token(app, "me@example.com")
    them, their_auth = customer_with_token(app, "them@example.com")
    client.post(URL, json={"item_id": items["in"]}, headers=my_auth)
    assert client.get(URL, headers=their_auth).get_json()["items"] == []
    assert client.delete(f"{URL}/{items['in']}", headers=their_auth).status_code == 404
    assert saved_ids(app, me) == {items["in"]} and saved_ids(app, them) == set()


def test_the_shared_list_as_json(app, client, items):
    customer_id, auth = customer_with_token(app, "e@example.com")
    for key in ("in", "out"):
        client.post(URL, json={"item_id": items[key]}, headers=auth)
    with app.app_context():
        db.session.add(WishlistEntry(customer_id=customer_id, item_id=items["gone"]))
        db.session.commit()
        token = services.start_sharing(customer_id)
    response = client.get(f"{URL}/shared/{token}")
    assert response.status_code == 200
    assert {i["item_id"] for i in response.get_json()["items"]} == {items["in"], items["out"]}
    assert "e@example.com" not in response.get_data(as_text=True)
    with app.app_context():
        services.stop_sharing(customer_id)
    assert client.get(f"{URL}/shared/{token}").status_code == 404
    assert client.get(f"{URL}/shared/not-a-token").status_code == 404
