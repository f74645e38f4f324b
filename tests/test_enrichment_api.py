"""Staff enrichment JSON: product details (GET / PUT), Discogs search and the release suggestion."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.audit.models import AuditEntry
from storefront.catalog.models import Genre, ItemDetail, ItemGenre
from storefront.extensions import db
from tests.support.accounts import bearer, make_staff
from tests.support.discogs import install_fake_discogs
from tests.support.factories import make_genre, make_item, revision

ROUTES = [("GET", "/api/v1/staff/product-details/{id}"), ("PUT", "/api/v1/staff/product-details/{id}"),
          ("GET", "/api/v1/staff/discogs-search?q=trash80"),
          ("GET", "/api/v1/staff/product-details/{id}/discogs/3329867")]

GOOD = {"artists": ["The Persuader"], "label": "Svek", "catalog_number": "SK032", "year": 1999,
        "styles": ["Deep House"], "format_details": '2 × Vinyl, 12"',
        "tracklist": [{"position": "A", "title": "Östermalm", "duration": "4:45"}],
        "notes": "Swedish deep house.", "images": ["https://img.discogs.com/R-1.jpeg"], "featured": True,
        "staff_pick": "A classic.", "discogs_release_id": 1}


@pytest.fixture
def api_app(make_app):
    return make_app()


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(ItemDetail)),
                db.session.scalar(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "enrichment.update")))


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_routes_refuse_anonymous_and_customer_tokens(api_app, method, path):
    item_id = make_item(app=api_app).id
    url = path.format(id=item_id)
    client = api_app.test_client()
    anonymous = client.open(url, method=method, json=GOOD if method == "PUT" else None)
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "unauthorized"
    customer = client.open(url, method=method, json=GOOD if method == "PUT" else None,
                           headers=bearer(api_app, kind="customer", subject_id=3))
    assert customer.status_code == 403 and customer.get_json()["error"]["code"] == "forbidden"
    assert counts(api_app) == (0, 0)


def test_get_and_put_product_details(api_app):
    house = make_genre("House", app=api_app).id
    ecs_genre = make_genre("Electronic", app=api_app, ecs=True).id
    item_id = make_item(app=api_app, genres=(ecs_genre,)).id
    staff = make_staff(api_app)
    headers = bearer(api_app, staff)
    client = api_app.test_client()

    empty = client.get(f"/api/v1/staff/product-details/{item_id}", headers=headers)
    assert empty.status_code == 200
    body = empty.get_json()
    assert body["enriched"] is False and body["artists"] == [] and body["year"] is None
    assert body["genres"] == [{"id": ecs_genre, "name": "Electronic", "slug": "electronic", "source": "ecs"}]

    before = revision(api_app)
    response = client.put(f"/api/v1/staff/product-details/{item_id}", json={**GOOD, "genre_ids": [house]},
                          headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["enriched"] is True and body["updated_by"] == staff.email
    assert body["tracklist"] == GOOD["tracklist"] and body["images"] == GOOD["images"]
    assert body["genre_ids"] == [house]
    assert {(g["name"], g["source"]) for g in body["genres"]} == {("Electronic", "ecs"), ("House", "staff")}
    assert "label" in body["changed"] and "genre_ids" in body["changed"]
    assert revision(api_app) == before + 1

    with api_app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "enrichment.update"))
        assert (entry.actor_kind, entry.actor_id, entry.target_id) == ("staff", staff.id, str(item_id))

    again = client.get(f"/api/v1/staff/product-details/{item_id}", headers=headers)
    assert {k: again.get_json()[k] for k in GOOD} == GOOD
    assert again.headers.get("ETag")

    # PUT replaces: omitted fields are cleared; the ECS genre stays.
    client.put(f"/api/v1/staff/product-details/{item_id}", json={"label": "Svek"}, headers=headers)
    body = client.get(f"/api/v1/staff/product-details/{item_id}", headers=headers).get_json()
    assert body["label"] == "Svek" and body["artists"] == [] and body["genre_ids"] == []
    assert [g["name"] for g in body["genres"]] == ["Electronic"]
    with api_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ItemGenre)
                                 .where(ItemGenre.item_id == item_id)) == 1


@pytest.mark.parametrize(("payload", "fields"), [
    ({"year": 1899}, {"year"}),
    ({"year": "1999x"}, {"year"}),
    ({"images": ["https://evil.example/a.jpg", "javascript:alert(1)"]}, {"images[0]", "images[1]"}),
    ({"artists": "The Persuader"}, {"artists"}),
    ({"tracklist": [{"position": "A", "title": "", "duration": "4:45"}]}, {"tracklist[0]"}),
    ({"featured": "yes"}, {"featured"}),
    ({"genre_ids": [987654]}, {"genre_ids"}),
    ({"colour": "red"}, {"colour"}),
    ({"notes": "x" * 10_001, "staff_pick": "y" * 2001}, {"notes", "staff_pick"}),
])
def test_bad_input_is_422_with_details_and_changes_nothing(api_app, payload, fields):
    item_id = make_item(app=api_app).id
    headers = bearer(api_app, make_staff(api_app))
    response = api_app.test_client().put(f"/api/v1/staff/product-details/{item_id}",
                                         json={**GOOD, **payload}, headers=headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert {d["field"] for d in error["details"]} == fields
    assert counts(api_app) == (0, 0)


def test_unknown_items_and_bodies_that_are_not_json(api_app):
    item_id = make_item(app=api_app).id
    headers = bearer(api_app, make_staff(api_app))
    client = api_app.test_client()
    assert client.get("/api/v1/staff/product-details/999999", headers=headers).status_code == 404
    missing = client.put("/api/v1/staff/product-details/999999", json=GOOD, headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    assert client.put(f"/api/v1/staff/product-details/{item_id}", data="label=x",
                      headers=headers).status_code == 415
    broken = client.put(f"/api/v1/staff/product-details/{item_id}", data="{", headers=headers,
                        content_type="application/json")
    assert broken.status_code == 400
    assert counts(api_app) == (0, 0)


def test_discogs_search_without_a_token_is_a_409_not_an_outage(api_app):
    headers = bearer(api_app, make_staff(api_app))
    response = api_app.test_client().get("/api/v1/staff/discogs-search?q=trash80", headers=headers)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "discogs_not_configured"
    assert error["message"] == "Discogs search is off: set STOREFRONT_DISCOGS_TOKEN"


def test_discogs_search_and_suggestion_feed_a_put(api_app):
    electronic = make_genre("Electronic", app=api_app).id
    item_id = make_item(app=api_app, title="Darwinia Soundtrack", artist="Trash80").id
    fake = install_fake_discogs(api_app)
    staff = make_staff(api_app)
    headers = bearer(api_app, staff)
    client = api_app.test_client()

    assert client.get("/api/v1/staff/discogs-search", headers=headers).status_code == 422
    found = client.get("/api/v1/staff/discogs-search?artist=trash80&title=icarus", headers=headers)
    assert found.status_code == 200
    body = found.get_json()
    assert body["pagination"]["items"] == 13
    icarus = body["results"][0]
    assert icarus == {"id": 1743771, "title": "Trash80 - Icarus", "year": 2008, "country": "US",
                      "labels": ["8bitpeoples"], "catno": "8BP086", "formats": ["CDr"], "genres": ["Electronic"],
                      "styles": ["Electro", "Chiptune"],
                      "thumb": "https://api.discogs.com/image/R-90-1743771-1272253277.gif",
                      "uri": "https://www.discogs.com/Trash80-Icarus/release/1743771"}
    assert all(r["id"] != 95780 for r in body["results"])  # the artist hit
    sent = fake.requests[-1]
    assert sent.url.startswith("https://api.discogs.com/database/search?")
    assert "artist=trash80" in sent.url and "title=icarus" in sent.url and "type=release" in sent.url

    suggestion = client.get(f"/api/v1/staff/product-details/{item_id}/discogs/3329867", headers=headers)
    assert suggestion.status_code == 200
    data = suggestion.get_json()
    assert data["release"]["artist_display"] == "Trash80 & Dma-Sc"
    suggested = data["suggested"]
    assert suggested["artists"] == ["Trash80", "Dma-Sc"] and suggested["year"] == 2005
    assert suggested["genre_ids"] == [electronic] and suggested["discogs_release_id"] == 3329867
    assert suggested["images"] == [] and any("left out" in n for n in data["notes"])
    assert counts(api_app) == (0, 0)  # a suggestion saves nothing

    saved = client.put(f"/api/v1/staff/product-details/{item_id}", json=suggested, headers=headers)
    assert saved.status_code == 200
    assert saved.get_json()["tracklist"][0] == {"position": "1", "title": "Visitors From Dreams",
                                                "duration": "5:30"}
    product = client.get(f"/api/v1/products/{item_id}").get_json()["product"]
    assert "Dma-Sc" in repr(product) and "Visitors From Dreams" in repr(product)
    assert counts(api_app) == (1, 1)

    missing = client.get(f"/api/v1/staff/product-details/{item_id}/discogs/424242", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "discogs_release_not_found"


@pytest.mark.parametrize(("statuses", "status", "code"), [((429, 429), 503, "discogs_rate_limited"),
                                                          ((502, 502), 502, "discogs_unavailable"),
                                                          ((401,), 502, "discogs_unavailable")])
def test_discogs_failures_are_clear_errors(api_app, statuses, status, code):
    fake = install_fake_discogs(api_app)
    fake.fail_next(*statuses)
    headers = bearer(api_app, make_staff(api_app))
    response = api_app.test_client().get("/api/v1/staff/discogs-search?q=trash80", headers=headers)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_genre_filter_uses_live_genres_only(api_app):
    gone = make_genre("Gone", app=api_app, ecs=True).id
    with api_app.app_context():
        db.session.get(Genre, gone).is_deleted = True
        db.session.commit()
    item_id = make_item(app=api_app).id
    headers = bearer(api_app, make_staff(api_app))
    response = api_app.test_client().put(f"/api/v1/staff/product-details/{item_id}",
                                         json={"genre_ids": [gone]}, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == [{"field": "genre_ids", "message": f"no such genre: {gone}"}]
