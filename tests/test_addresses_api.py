"""/api/v1/customer/addresses: the address book with a customer token, isolation, bad input, the contract."""

from __future__ import annotations

import pytest

from storefront.accounts import addresses as book
from tests.support.accounts import bearer, make_customer, make_staff
from tests.support.contract import Contract

URL = "/api/v1/customer/addresses"
LONDON = {"name": "Ada Lovelace", "line1": "12 Marylebone Road", "city": "London", "postcode": "nw15lr",
          "country": "gb"}
BERLIN = {"name": "Clara Schumann", "line1": "Unter den Linden 1", "line2": None, "city": "Berlin",
          "postcode": "10115", "country": "DE", "phone": "+49 30 1234567"}


def customer_with_token(app, email: str) -> tuple[int, dict[str, str]]:
    customer = make_customer(app, email)
    return customer.id, bearer(app, kind="customer", subject_id=customer.id)


@pytest.fixture
def contract(app) -> Contract:
    return Contract(app)


def saved(app, customer_id: int) -> list[dict]:
    with app.app_context():
        return [{**a.as_dict(), "id": a.id, "is_default": a.is_default} for a in book.list_addresses(customer_id)]


def test_a_customer_token_is_required(app, client, contract):
    response = client.get(URL)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    contract.check(response)
    staff = bearer(app, make_staff(app))
    response = client.post(URL, json=LONDON, headers=staff)
    assert response.status_code == 403 and contract.check(response)["error"]["code"] == "forbidden"
    assert client.delete(f"{URL}/1", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_create_list_update_make_default_and_delete(app, client, contract):
    customer_id, auth = customer_with_token(app, "ada@example.com")
    assert contract.check(client.get(URL, headers=auth)) == {"addresses": [], "max_addresses": 20}
    created = client.post(URL, json=LONDON, headers=auth)
    assert created.status_code == 201
    london = contract.check(created)["address"]
    assert (london["postcode"], london["country"], london["country_name"], london["is_default"]) == \
        ("NW1 5LR", "GB", "United Kingdom", True)
    assert (london["line2"], london["phone"]) == ("", "")
    assert london["lines"] == ["Ada Lovelace", "12 Marylebone Road", "London", "NW1 5LR", "United Kingdom"]
    berlin = contract.check(client.post(URL, json={**BERLIN, "is_default": True}, headers=auth))["address"]
    assert berlin["is_default"] and berlin["lines"][2] == "10115 Berlin"

    listed = contract.check(client.get(URL, headers=auth))["addresses"]
    assert [(a["id"], a["is_default"]) for a in listed] == [(berlin["id"], True), (london["id"], False)]

    response = client.put(f"{URL}/{london['id']}", json={**LONDON, "line2": "Flat 2"}, headers=auth)
    assert response.status_code == 200
    updated = contract.check(response)["address"]
    assert updated["line2"] == "Flat 2" and updated["is_default"] is False and updated["id"] == london["id"]

    response = client.post(f"{URL}/{london['id']}/default", headers=auth)
    assert response.status_code == 200 and contract.check(response)["address"]["is_default"] is True
    assert [a["is_default"] for a in saved(app, customer_id)] == [True, False]

    response = client.delete(f"{URL}/{london['id']}", headers=auth)
    assert response.status_code == 204 and contract.check(response) is None
    assert [(a["id"], a["is_default"]) for a in saved(app, customer_id)] == [(berlin["id"], True)]
    assert client.delete(f"{URL}/{london['id']}", headers=auth).status_code == 404


def test_another_customers_address_is_a_404(app, client, contract):
    ada_id, ada = customer_with_token(app, "ada@example.com")
    target = client.post(URL, json=LONDON, headers=ada).get_json()["address"]["id"]
    before = saved(app, ada_id)
    clara_id, clara = customer_with_token(app, "clara@example.com")
    client.post(URL, json=BERLIN, headers=clara)
    assert [a["city"] for a in client.get(URL, headers=clara).get_json()["addresses"]] == ["Berlin"]
    for response in (client.put(f"{URL}/{target}", json=BERLIN, headers=clara),
                     client.put(f"{URL}/{target}", json={"name": ""}, headers=clara),  # not a 422: a 404
                     client.post(f"{URL}/{target}/default", headers=clara),
                     client.delete(f"{URL}/{target}", headers=clara)):
        assert response.status_code == 404
        error = contract.check(response)["error"]
        assert error["code"] == "not_found" and error["message"] == book.NOT_FOUND_MESSAGE
    assert saved(app, ada_id) == before
    assert [a["city"] for a in saved(app, clara_id)] == ["Berlin"]


@pytest.mark.parametrize(("path", "method"), [
    ("/999999", "put"), ("/999999/default", "post"), ("/999999", "delete"), ("/99999999999", "delete"),
    ("/abc", "delete"), ("/-1/default", "post"),
])
def test_unknown_ids_are_404(app, client, path, method):
    _customer_id, auth = customer_with_token(app, "ada@example.com")
    response = getattr(client, method)(URL + path, json=LONDON, headers=auth)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("body", "fields"), [
    ({}, ["name", "line1", "city", "country"]),
    ({**LONDON, "country": "XX"}, ["country"]),
    ({**LONDON, "country": "GBR"}, ["country"]),
    ({**LONDON, "name": "   "}, ["name"]),
    ({**LONDON, "name": 42}, ["name"]),
    ({**LONDON, "line1": ["12", "Marylebone Road"]}, ["line1"]),
    ({**LONDON, "city": {"name": "London"}}, ["city"]),
    ({**LONDON, "line2": "x" * 201, "phone": "1" * 41}, ["line2", "phone"]),
    ({**LONDON, "name": "Ada\nLovelace"}, ["name"]),
    ({**LONDON, "line1": "12 Marylebone Road\u202e"}, ["line1"]),
    ({**LONDON, "postcode": "<script>"}, ["postcode"]),
    ({**LONDON, "phone": "ring twice"}, ["phone"]),
    ({**LONDON, "is_default": "yes"}, ["is_default"]),
    ({**LONDON, "is_default": 1}, ["is_default"]),
])
def test_bad_input_is_a_422_naming_each_field_and_saves_nothing(app, client, contract, body, fields):
    customer_id, auth = customer_with_token(app, "ada@example.com")
    response = client.post(URL, json=body, headers=auth)
    assert response.status_code == 422
    error = contract.check(response)["error"]
    assert error["code"] == "validation_error"
    assert [d["field"] for d in error["details"]] == fields
    assert saved(app, customer_id) == []


@pytest.mark.parametrize(("kwargs", "status", "code"), [
    ({"data": "name=Ada", "content_type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
    ({"data": "{not json", "content_type": "application/json"}, 400, "invalid_json"),
    ({"json": ["name", "Ada"]}, 400, "invalid_json"),
    ({"json": "Ada"}, 400, "invalid_json"),
])
def test_a_body_that_is_not_a_json_object_is_refused(app, client, contract, kwargs, status, code):
    customer_id, auth = customer_with_token(app, "ada@example.com")
    response = client.post(URL, headers=auth, **kwargs)
    assert response.status_code == status and contract.check(response)["error"]["code"] == code
    address_id = client.post(URL, json=LONDON, headers=auth).get_json()["address"]["id"]
    response = client.put(f"{URL}/{address_id}", headers=auth, **kwargs)
    assert response.status_code == status
    assert [a["postcode"] for a in saved(app, customer_id)] == ["NW1 5LR"]


def test_put_validates_and_keeps_the_old_address_on_bad_input(app, client, contract):
    customer_id, auth = customer_with_token(app, "ada@example.com")
    address_id = client.post(URL, json=LONDON, headers=auth).get_json()["address"]["id"]
    before = saved(app, customer_id)
    response = client.put(f"{URL}/{address_id}", json={**BERLIN, "country": "Germany"}, headers=auth)
    assert response.status_code == 422 and contract.check(response)["error"]["details"][0]["field"] == "country"
    assert saved(app, customer_id) == before


def test_a_full_book_is_a_409(app, client, contract):
    customer_id, auth = customer_with_token(app, "ada@example.com")
    with app.app_context():
        for n in range(book.MAX_ADDRESSES):
            book.create_address(customer_id, {**LONDON, "line1": f"{n} Marylebone Road"})
    response = client.post(URL, json=BERLIN, headers=auth)
    assert response.status_code == 409
    assert contract.check(response)["error"]["code"] == "address_book_full"
    assert len(client.get(URL, headers=auth).get_json()["addresses"]) == book.MAX_ADDRESSES


def test_the_list_answers_if_none_match_with_304(app, client):
    _customer_id, auth = customer_with_token(app, "ada@example.com")
    client.post(URL, json=LONDON, headers=auth)
    first = client.get(URL, headers=auth)
    again = client.get(URL, headers={**auth, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
