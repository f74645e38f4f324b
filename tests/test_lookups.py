"""Lookup tables: genres (ECS ones read-only; deleting one in use asks for a replacement) and formats,
on the back-office pages and the staff API, each change audited once with its actor."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from storefront.audit.models import AuditEntry
from storefront.catalog.models import Format, Genre, Item, ItemGenre
from storefront.extensions import db
from tests.support.accounts import bearer, install_test_login, login, make_customer, make_staff
from tests.support.factories import make_genre, make_item, revision
from tests.support.pages import csrf_token, soup


@pytest.fixture
def staff_app(make_app):
    app = make_app()
    install_test_login(app)
    return app


def staff_client(app):
    staff = make_staff(app)
    client = app.test_client()
    login(client, staff, password_step=False)
    return client, staff


def audits(app, prefix: str) -> list[AuditEntry]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action.like(f"{prefix}%"))
                                       .order_by(AuditEntry.id)))
        db.session.expunge_all()
        return rows


def genre_names(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Genre.name).order_by(Genre.name)))


def staff_genre_ids(app, item_id: int) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(ItemGenre.genre_id).where(ItemGenre.item_id == item_id,
                                                                       ItemGenre.source == "staff")))


def tag(app, item_id: int, genre_id: int) -> None:
    with app.app_context():
        db.session.add(ItemGenre(item_id=item_id, genre_id=genre_id, source="staff"))
        db.session.commit()


def post(client, path: str, **data: str):
    return client.post(path, data={"csrf_token": csrf_token(client, "/staff/genres"), **data})


# --- access -----------------------------------------------------------------------------------
def test_pages_refuse_anonymous_visitors_and_customers(staff_app):
    genre = make_genre("House", app=staff_app).id
    anonymous = staff_app.test_client()
    for path in ("/staff/genres", "/staff/formats"):
        response = anonymous.get(path)
        assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/staff/login"
    response = anonymous.post(f"/staff/genres/{genre}/delete",
                              data={"csrf_token": csrf_token(anonymous, "/staff/login")})
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/staff/login"
    customer = staff_app.test_client()
    login(customer, make_customer(staff_app), password_step=False)
    assert customer.get("/staff/genres").status_code == 403
    assert customer.post(f"/staff/genres/{genre}/delete",
                         data={"csrf_token": csrf_token(customer, "/")}).status_code == 403
    assert genre_names(staff_app) == ["House"] and audits(staff_app, "genre.") == []


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/v1/staff/genres"), ("POST", "/api/v1/staff/genres"),
                                              ("PUT", "/api/v1/staff/genres/{id}"),
                                              ("DELETE", "/api/v1/staff/genres/{id}"),
                                              ("GET", "/api/v1/staff/formats"), ("POST", "/api/v1/staff/formats")])
def test_api_refuses_anonymous_and_customer_tokens(staff_app, method, path):
    url = path.format(id=make_genre("House", app=staff_app).id)
    client = staff_app.test_client()
    body = {"name": "Techno"} if method in ("POST", "PUT") else None
    assert client.open(url, method=method, json=body).status_code == 401
    customer = client.open(url, method=method, json=body, headers=bearer(staff_app, kind="customer", subject_id=1))
    assert customer.status_code == 403
    assert genre_names(staff_app) == ["House"]


# --- genres on the page -------------------------------------------------------------------------
def test_genre_page_lists_usage_and_marks_ecs_genres_read_only(staff_app):
    ecs = make_genre("Electronic", app=staff_app, ecs=True).id
    house = make_genre("House", app=staff_app).id
    item = make_item(app=staff_app, genres=(ecs,)).id
    tag(staff_app, item, house)
    make_item(app=staff_app, title="Other", genres=(ecs,))
    client, _staff = staff_client(staff_app)
    page = soup(client.get("/staff/genres"))
    rows = {int(r["data-genre-id"]): r for r in page.select("tr[data-genre-id]")}
    assert rows[ecs].find_all("td")[1].get_text(strip=True) == "2"
    assert rows[house].find_all("td")[1].get_text(strip=True) == "1"
    assert rows[ecs].find("form") is None and "read-only" in rows[ecs].get_text()
    assert len(rows[house].find_all("form")) == 2
    assert "commerce system" in page.get_text()


def test_create_and_rename_a_genre(staff_app):
    client, staff = staff_client(staff_app)
    response = post(client, "/staff/genres", name="  Deep   House ")
    assert response.status_code == 303
    with staff_app.app_context():
        genre = db.session.scalar(select(Genre).where(Genre.name == "Deep House"))
        genre_id, slug = genre.id, genre.slug
    assert slug == "deep-house"
    item = make_item(app=staff_app, artist="The Persuader", title="Stockholm").id
    tag(staff_app, item, genre_id)
    before = revision(staff_app)

    assert post(client, f"/staff/genres/{genre_id}/rename", name="Tech House").status_code == 303
    with staff_app.app_context():
        genre = db.session.get(Genre, genre_id)
        assert (genre.name, genre.slug) == ("Tech House", "tech-house")
        assert "Tech House" in db.session.get(Item, item).search_text
    assert revision(staff_app) == before + 1

    created, renamed = audits(staff_app, "genre.")
    assert (created.action, created.actor_id, created.details) == ("genre.create", staff.id, {"name": "Deep House"})
    assert (renamed.action, renamed.actor_id) == ("genre.rename", staff.id)
    assert renamed.details == {"from": "Deep House", "to": "Tech House", "items": 1}


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "house", "Écran"])
def test_bad_genre_names_are_refused_and_change_nothing(staff_app, name):
    make_genre("House", app=staff_app)
    make_genre("Écran", app=staff_app) # SQLite's lower() leaves É alone: the duplicate must still be a 409
    client, _staff = staff_client(staff_app)
    response = post(client, "/staff/genres", name=name)
    assert response.status_code in (409, 422)
    assert soup(response).select_one("#new-error").get_text(strip=True)
    assert sorted(genre_names(staff_app)) == ["House", "Écran"] and audits(staff_app, "genre.") == []


def test_ecs_genres_cannot_be_renamed_or_deleted(staff_app):
    ecs = make_genre("Electronic", app=staff_app, ecs=True).id
    client, _staff = staff_client(staff_app)
    response = post(client, f"/staff/genres/{ecs}/rename", name="Electronica")
    assert response.status_code == 409 and "commerce system" in soup(response).get_text()
    assert post(client, f"/staff/genres/{ecs}/delete").status_code == 409
    headers = bearer(staff_app, make_staff(staff_app))
    api = staff_app.test_client()
    put = api.put(f"/api/v1/staff/genres/{ecs}", json={"name": "Electronica"}, headers=headers)
    assert put.status_code == 409 and put.get_json()["error"]["code"] == "genre_managed_by_ecs"
    assert api.delete(f"/api/v1/staff/genres/{ecs}", headers=headers).status_code == 409
    assert genre_names(staff_app) == ["Electronic"] and audits(staff_app, "genre.") == []


def test_deleting_a_genre_in_use_asks_for_a_replacement(staff_app):
    old = make_genre("Electro House", app=staff_app).id
    new = make_genre("House", app=staff_app).id
    first, second = make_item(app=staff_app, title="First").id, make_item(app=staff_app, title="Second").id
    tag(staff_app, first, old)
    tag(staff_app, second, old)
    tag(staff_app, second, new)  # already has the replacement
    client, staff = staff_client(staff_app)

    step = post(client, f"/staff/genres/{old}/delete")
    assert step.status_code == 200
    page = soup(step)
    assert "2 item(s)" in page.get_text()
    options = {o["value"] for o in page.select("select[name=replace_with] option") if o["value"]}
    assert options == {str(new)}
    assert genre_names(staff_app) == ["Electro House", "House"] and audits(staff_app, "genre.") == []

    before = revision(staff_app)
    done = post(client, f"/staff/genres/{old}/delete", replace_with=str(new))
    assert done.status_code == 303
    assert genre_names(staff_app) == ["House"]
    assert staff_genre_ids(staff_app, first) == {new} and staff_genre_ids(staff_app, second) == {new}
    with staff_app.app_context():
        assert "Electro House" not in db.session.get(Item, first).search_text
        assert "House" in db.session.get(Item, first).search_text
    assert revision(staff_app) == before + 1
    [entry] = audits(staff_app, "genre.")
    assert (entry.action, entry.actor_id, entry.target_id) == ("genre.delete", staff.id, str(old))
    assert entry.details == {"name": "Electro House", "items": 2, "replaced_with": "House"}


def test_an_unused_genre_is_deleted_at_once(staff_app):
    genre = make_genre("Polka", app=staff_app).id
    client, _staff = staff_client(staff_app)
    assert post(client, f"/staff/genres/{genre}/delete").status_code == 303
    assert genre_names(staff_app) == []
    assert [a.action for a in audits(staff_app, "genre.")] == ["genre.delete"]
    assert post(client, f"/staff/genres/{genre}/delete").status_code == 404


# --- genres in the API --------------------------------------------------------------------------
def test_genre_api_create_rename_list_delete(staff_app):
    staff = make_staff(staff_app)
    headers = bearer(staff_app, staff)
    client = staff_app.test_client()
    created = client.post("/api/v1/staff/genres", json={"name": "Dub Techno"}, headers=headers)
    assert created.status_code == 201
    genre = created.get_json()
    assert genre == {"id": genre["id"], "name": "Dub Techno", "slug": "dub-techno", "source": "staff",
                     "editable": True, "items": 0, "staff_items": 0, "ecs_items": 0}
    duplicate = client.post("/api/v1/staff/genres", json={"name": "dub techno"}, headers=headers)
    assert duplicate.status_code == 409 and duplicate.get_json()["error"]["code"] == "name_taken"
    empty = client.post("/api/v1/staff/genres", json={"name": 7}, headers=headers)
    assert empty.status_code == 422 and empty.get_json()["error"]["details"][0]["field"] == "name"

    renamed = client.put(f"/api/v1/staff/genres/{genre['id']}", json={"name": "Dub"}, headers=headers)
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Dub"
    listed = client.get("/api/v1/staff/genres", headers=headers).get_json()["genres"]
    assert [g["name"] for g in listed] == ["Dub"]

    other = client.post("/api/v1/staff/genres", json={"name": "Techno"}, headers=headers).get_json()
    item = make_item(app=staff_app).id
    tag(staff_app, item, genre["id"])
    refused = client.delete(f"/api/v1/staff/genres/{genre['id']}", headers=headers)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "genre_in_use"
    assert client.delete(f"/api/v1/staff/genres/{genre['id']}?replace_with={genre['id']}",
                         headers=headers).status_code == 422
    assert client.delete(f"/api/v1/staff/genres/{genre['id']}?replace_with=abc", headers=headers).status_code == 422
    deleted = client.delete(f"/api/v1/staff/genres/{genre['id']}?replace_with={other['id']}", headers=headers)
    assert deleted.status_code == 200
    assert deleted.get_json() == {"deleted": genre["id"], "items_moved": 1, "replaced_with": other["id"]}
    assert staff_genre_ids(staff_app, item) == {other["id"]}
    assert client.put("/api/v1/staff/genres/999999", json={"name": "x"}, headers=headers).status_code == 404

    actions = [(a.action, a.actor_id) for a in audits(staff_app, "genre.")]
    assert actions == [("genre.create", staff.id), ("genre.rename", staff.id), ("genre.create", staff.id),
                       ("genre.delete", staff.id)]


# --- formats ------------------------------------------------------------------------------------
def test_formats_page_and_api(staff_app):
    make_item(app=staff_app, title="An LP")  # format "LP"
    client, staff = staff_client(staff_app)
    token = csrf_token(client, "/staff/formats")
    assert client.post("/staff/formats", data={"csrf_token": token, "name": "LP"}).status_code == 303
    duplicate = client.post("/staff/formats", data={"csrf_token": token, "name": "lp"})
    assert duplicate.status_code == 409
    page = soup(client.get("/staff/formats"))
    [row] = page.select("tr[data-format-id]")
    format_id = int(row["data-format-id"])
    assert row.find_all("td")[1].get_text(strip=True) == "1"

    assert client.post(f"/staff/formats/{format_id}/rename",
                       data={"csrf_token": token, "name": "12\" LP"}).status_code == 303
    headers = bearer(staff_app, staff)
    api = staff_app.test_client()
    listed = api.get("/api/v1/staff/formats", headers=headers).get_json()["formats"]
    assert listed == [{"id": format_id, "name": "12\" LP", "slug": "12-lp", "items": 0}]
    created = api.post("/api/v1/staff/formats", json={"name": "Cassette"}, headers=headers)
    assert created.status_code == 201
    assert api.put(f"/api/v1/staff/formats/{created.get_json()['id']}", json={"name": "Tape"},
                   headers=headers).status_code == 200
    assert api.delete(f"/api/v1/staff/formats/{created.get_json()['id']}", headers=headers).status_code == 200
    assert client.post(f"/staff/formats/{format_id}/delete", data={"csrf_token": token}).status_code == 303
    with staff_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Format)) == 0
        assert db.session.scalar(select(Item.format)) == "LP"  # the item's ECS format is untouched
    actions = [a.action for a in audits(staff_app, "format.")]
    assert actions == ["format.create", "format.rename", "format.create", "format.rename", "format.delete",
                       "format.delete"]
