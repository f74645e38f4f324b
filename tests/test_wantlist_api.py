"""The wantlist API: a customer token's own entries only (another customer's id is a 404, never
shown), 422 in the error envelope for a bad kind, grade, price or target, 404 for a release not sold."""

from __future__ import annotations

import pytest

from tests.support.accounts import customer_bearer, make_customer
from tests.support.factories import make_item


@pytest.fixture
def shop(app):
    return {"record": make_item(app=app, artist="Nina Simone", title="Pastel Blues", stock=0).id,
            "gone": make_item(app=app, title="Withdrawn", deleted=True).id}


@pytest.fixture
def alice(app, client):
    make_customer(app, "alice@example.com")
    return customer_bearer(client, "alice@example.com")


@pytest.fixture
def bob(app, client):
    make_customer(app, "bob@example.com")
    return customer_bearer(client, "bob@example.com")


def test_a_customer_follows_lists_and_removes(client, shop, alice):
    made = client.post("/api/v1/wantlist", headers=alice,
                       json={"kind": "release", "item_id": shop["record"], "min_grade": "vg+", "max_price": 2500})
    assert made.status_code == 201 and made.headers["Location"].endswith("/api/v1/wantlist")
    entry = made.get_json()["entry"]
    assert entry["kind"] == "release" and entry["item"]["id"] == shop["record"] and entry["min_grade"] == "VG+"
    assert entry["max_price"]["amount"] == 2500 and entry["artist"] is None and entry["search"] is None
    again = client.post("/api/v1/wantlist", headers=alice,
                        json={"kind": "release", "item_id": shop["record"], "min_grade": "NM"})
    assert again.status_code == 200 and again.get_json()["entry"]["id"] == entry["id"]
    assert again.get_json()["entry"]["min_grade"] == "NM" and again.get_json()["entry"]["max_price"] is None
    artist = client.post("/api/v1/wantlist", headers=alice, json={"kind": "artist", "artist": "Nina Simone"})
    search = client.post("/api/v1/wantlist", headers=alice,
                         json={"kind": "search", "search": "?q=blues&format=LP&page=3&sort=title&max_price=30"})
    assert artist.status_code == search.status_code == 201
    assert search.get_json()["entry"]["search"] == "q=blues&format=LP&max_price=30"

    listing = client.get("/api/v1/wantlist", headers=alice).get_json()
    assert [e["kind"] for e in listing["entries"]] == ["search", "artist", "release"]
    assert listing["pagination"]["total"] == 3
    assert client.delete(f"/api/v1/wantlist/{entry['id']}", headers=alice).status_code == 204
    assert client.delete(f"/api/v1/wantlist/{entry['id']}", headers=alice).status_code == 404
    assert len(client.get("/api/v1/wantlist", headers=alice).get_json()["entries"]) == 2


@pytest.mark.parametrize(("body", "fields"), [
    ({"kind": "label"}, {"kind"}),
    ({}, {"kind"}),
    ({"kind": "release"}, {"item_id"}),
    ({"kind": "release", "item_id": "x", "min_grade": "EX", "max_price": -1}, {"item_id", "min_grade", "max_price"}),
    ({"kind": "release", "item_id": 1, "max_price": 12.5}, {"max_price"}),
    ({"kind": "release", "item_id": 1, "max_price": True}, {"max_price"}),
    ({"kind": "release", "item_id": 1, "max_price": "2500"}, {"max_price"}),
    ({"kind": "artist", "artist": "   "}, {"artist"}),
    ({"kind": "artist", "artist": "x" * 256}, {"artist"}),
    ({"kind": "search", "search": ""}, {"search"}),
    ({"kind": "search", "search": "sort=title"}, {"search"}),
    ({"kind": "search", "search": "q=a&min_grade=EX"}, {"search"}),
    ({"kind": "artist", "artist": "Can", "min_grade": 3}, {"min_grade"}),
])
def test_invalid_entries_are_422_naming_the_fields(client, shop, alice, body, fields):
    response = client.post("/api/v1/wantlist", headers=alice, json=body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and error["request_id"]
    assert {d["field"] for d in error["details"]} == fields
    assert client.get("/api/v1/wantlist", headers=alice).get_json()["entries"] == []


def test_a_release_not_sold_is_404(client, shop, alice):
    for item_id in (shop["gone"], 999_999):
        response = client.post("/api/v1/wantlist", headers=alice, json={"kind": "release", "item_id": item_id})
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_customers_never_see_or_delete_each_others_entries(client, shop, alice, bob):
    mine = client.post("/api/v1/wantlist", headers=alice, json={"kind": "artist", "artist": "Can"}).get_json()
    entry_id = mine["entry"]["id"]
    assert client.get("/api/v1/wantlist", headers=bob).get_json()["entries"] == []
    refused = client.delete(f"/api/v1/wantlist/{entry_id}", headers=bob)
    unknown = client.delete("/api/v1/wantlist/987654", headers=bob)
    assert refused.status_code == unknown.status_code == 404
    assert refused.get_json()["error"]["message"] == unknown.get_json()["error"]["message"]
    assert [e["id"] for e in client.get("/api/v1/wantlist", headers=alice).get_json()["entries"]] == [entry_id]
    # Bob following the same artist makes his own entry, not a view of Alice's.
    his = client.post("/api/v1/wantlist", headers=bob, json={"kind": "artist", "artist": "can"})
    assert his.status_code == 201 and his.get_json()["entry"]["id"] != entry_id


def test_the_api_needs_a_customer_token(client, app):
    assert client.get("/api/v1/wantlist").status_code == 401
    assert client.post("/api/v1/wantlist", json={"kind": "artist", "artist": "Can"}).status_code == 401
    assert client.delete("/api/v1/wantlist/1").status_code == 401
    response = client.get("/api/v1/wantlist", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
