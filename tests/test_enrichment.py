"""Back office enrichment pages: the item list and its filters, the dashboard cards, the enrichment form
(validation, audit, search text), and enrichment from Discogs (recorded responses) surviving a full sync."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from storefront.audit.models import AuditEntry
from storefront.catalog.models import Genre, Item, ItemDetail, ItemGenre
from storefront.extensions import db
from tests.support.accounts import install_test_login, login, make_customer, make_staff
from tests.support.discogs import install_fake_discogs
from tests.support.ecs import ecs_config
from tests.support.factories import make_genre, make_item, revision
from tests.support.pages import csrf_token, soup

PAGES = ("/staff/items", "/staff/items/{id}", "/staff/items/{id}/discogs?q=x", "/staff/items/{id}/discogs/1")


@pytest.fixture
def staff_app(make_app):
    app = make_app()
    install_test_login(app)
    return app




def staff_client(app, role: str = "staff"):
    staff = make_staff(app, role=role)
    client = app.test_client()
    login(client, staff, password_step=False)
    return client, staff


def audit_rows(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        db.session.expunge_all()
        return rows



def listed(response) -> list[int]:
    return [int(row["data-item-id"]) for row in soup(response).select("tr[data-item-id]")]


def form_data(page) -> dict[str, object]:
    """The enrichment form's fields as a browser would post them."""
    form = soup(page).find("form", id="enrichment-form")
    data: dict[str, object] = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name:
            continue
        if field.name == "textarea":
            data[name] = field.get_text()
        elif field.name == "select":
            data[name] = [o["value"] for o in field.find_all("option") if o.has_attr("selected")]
        elif field.get("type") == "checkbox":
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        else:
            data[name] = field.get("value", "")
    return data


# --- access -----------------------------------------------------------------------------------
def test_pages_refuse_anonymous_visitors_and_customers(staff_app):
    item_id = make_item(app=staff_app).id
    anonymous = staff_app.test_client()
    for path in PAGES:
        response = anonymous.get(path.format(id=item_id))
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/staff/login"
    response = anonymous.post(f"/staff/items/{item_id}", data={"csrf_token": csrf_token(anonymous, "/staff/login"),
                                                              "label": "Svek"})
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/staff/login"

    customer = staff_app.test_client()
    login(customer, make_customer(staff_app), password_step=False)
    for path in PAGES:
        assert customer.get(path.format(id=item_id)).status_code == 403
    response = customer.post(f"/staff/items/{item_id}", data={"csrf_token": csrf_token(customer, "/"),
                                                             "label": "Svek"})
    assert response.status_code == 403
    with staff_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ItemDetail)) == 0


# --- the item list ----------------------------------------------------------------------------
def test_item_list_filters_by_missing_enrichment_genre_stock_and_search(staff_app):
    house = make_genre("House", app=staff_app).id
    stockholm = make_item(app=staff_app, title="Stockholm", artist="The Persuader", stock=1, genres=(house,)).id
    islands = make_item(app=staff_app, title="City Of Islands", artist="The Persuader", stock=9).id
    darwinia = make_item(app=staff_app, title="Darwinia Soundtrack", artist="Trash80", stock=0).id
    client, staff = staff_client(staff_app)
    token = csrf_token(client, f"/staff/items/{islands}")
    assert client.post(f"/staff/items/{islands}", data={"csrf_token": token, "label": "Svek"}).status_code == 303

    assert set(listed(client.get("/staff/items"))) == {stockholm, islands, darwinia}
    assert set(listed(client.get("/staff/items?missing=1"))) == {stockholm, darwinia}
    assert listed(client.get(f"/staff/items?genre={house}")) == [stockholm]
    assert listed(client.get("/staff/items?stock=low")) == [stockholm]
    assert listed(client.get("/staff/items?stock=out")) == [darwinia]
    assert listed(client.get("/staff/items?q=darwin")) == [darwinia]
    assert listed(client.get("/staff/items?q=svek")) == [islands]  # enrichment is searchable at once
    page = client.get("/staff/items?missing=1")
    states = {int(r["data-item-id"]): r.select_one(".enrichment-state").get_text(" ", strip=True)
              for r in soup(page).select("tr[data-item-id]")}
    assert all("missing" in s for s in states.values())

    partial = client.get("/staff/items?q=darwin", headers={"HX-Request": "true", "HX-Target": "item-results"})
    assert partial.get_data(as_text=True).lstrip().startswith('<section id="item-results"')
    assert "HX-Request" in partial.headers["Vary"]

    bad = client.get("/staff/items?stock=lots&genre=x")
    assert bad.status_code == 422
    assert "stock must be one of" in soup(bad).get_text()


def test_item_list_paginates(staff_app):
    ids = [make_item(app=staff_app, title=f"Record {n:02d}").id for n in range(30)]
    client, _staff = staff_client(staff_app)
    first, second = client.get("/staff/items"), client.get("/staff/items?page=2")
    assert len(listed(first)) == 25 and len(listed(second)) == 5
    assert set(listed(first)) | set(listed(second)) == set(ids)
    assert soup(first).select_one("a[rel=next]")["href"].endswith("page=2")


def test_dashboard_counts_items_missing_enrichment_and_low_stock(staff_app):
    make_item(app=staff_app, title="One left", stock=1)
    make_item(app=staff_app, title="Two left", stock=2)
    make_item(app=staff_app, title="Plenty", stock=3)
    make_item(app=staff_app, title="Sold out", stock=0)
    make_item(app=staff_app, title="A party", stock=1, kind="event")  # events are not records: neither card counts them
    client, _staff = staff_client(staff_app)
    page = soup(client.get("/staff/"))
    missing = page.select_one('[data-card="enrichment.missing"]')
    low = page.select_one('[data-card="catalog.low_stock"]')
    assert missing.select_one(".dashboard-value").get_text(strip=True) == "4"
    assert low.select_one(".dashboard-value").get_text(strip=True) == "2"
    assert missing.find("a")["href"] == "/staff/items"


# --- the enrichment form ------------------------------------------------------------------------
def test_saving_the_form_stores_the_enrichment_with_one_audit_row(staff_app):
    electronic = make_genre("Electronic", app=staff_app).id
    item_id = make_item(app=staff_app, artist="The Persuader", title="Stockholm").id
    client, staff = staff_client(staff_app)
    page = client.get(f"/staff/items/{item_id}")
    assert page.status_code == 200
    ecs = soup(page).select_one(".ecs-data").get_text(" ", strip=True)
    assert "The Persuader" in ecs and "read-only" in ecs
    before = revision(staff_app)

    data = form_data(page)
    data.update({"artists": "The Persuader\nJesper Dahlbäck", "label": "Svek", "catalog_number": "SK032",
                 "year": "1999", "genre_ids": [str(electronic)], "styles": "Deep House, Tech House",
                 "format_details": '2 × Vinyl, 12"', "tracklist": "A Östermalm 4:45\nB1 Vasastaden 6:11\n- Outro",
                 "notes": "Pressed in Sweden.", "images": "https://i.discogs.com/abc/R-1.jpeg",
                 "featured": "1", "staff_pick": "Deep, warm and Swedish."})
    response = client.post(f"/staff/items/{item_id}", data=data)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/staff/items/{item_id}")
    assert "Saved" in client.get(f"/staff/items/{item_id}").get_data(as_text=True)

    with staff_app.app_context():
        detail = db.session.scalar(select(ItemDetail).where(ItemDetail.item_id == item_id))
        assert detail.artists == ["The Persuader", "Jesper Dahlbäck"]
        assert (detail.label, detail.catalog_number, detail.year) == ("Svek", "SK032", 1999)
        assert detail.styles == ["Deep House", "Tech House"]
        assert detail.tracklist == [{"position": "A", "title": "Östermalm", "duration": "4:45"},
                                    {"position": "B1", "title": "Vasastaden", "duration": "6:11"},
                                    {"position": "", "title": "Outro", "duration": ""}]
        assert detail.images == [{"uri": "https://i.discogs.com/abc/R-1.jpeg", "type": "primary"}]
        assert detail.featured is True and detail.staff_pick == "Deep, warm and Swedish."
        assert detail.updated_by == staff.email
        staff_genres = list(db.session.scalars(select(ItemGenre.genre_id).where(
            ItemGenre.item_id == item_id, ItemGenre.source == "staff")))
        assert staff_genres == [electronic]
        text = db.session.get(Item, item_id).search_text
        assert "Svek" in text and "Vasastaden" in text and "Electronic" in text
    assert revision(staff_app) == before + 1

    [entry] = audit_rows(staff_app, "enrichment.update")
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == ("staff", staff.id, staff.email)
    assert (entry.target_type, entry.target_id) == ("item", str(item_id))
    assert set(entry.details["changed"]) == {"artists", "label", "catalog_number", "year", "genre_ids", "styles",
                                             "format_details", "tracklist", "notes", "images", "featured",
                                             "staff_pick"}

    # The form shows what was saved; saving it unchanged writes nothing.
    again = client.get(f"/staff/items/{item_id}")
    assert soup(again).find("textarea", attrs={"name": "tracklist"}).get_text() == \
        "A Östermalm 4:45\nB1 Vasastaden 6:11\n- Outro"
    assert client.post(f"/staff/items/{item_id}", data=form_data(again)).status_code == 303
    assert len(audit_rows(staff_app, "enrichment.update")) == 1
    assert revision(staff_app) == before + 1

    # A one-field change audits just that field.
    data = form_data(again)
    data["label"] = "Svek Records"
    client.post(f"/staff/items/{item_id}", data=data)
    rows = audit_rows(staff_app, "enrichment.update")
    assert len(rows) == 2 and max(rows, key=lambda r: r.id).details["changed"] == ["label"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("year", "1850", "between 1900 and"),
    ("year", "nineteen", "whole number"),
    ("images", "https://evil.example/x.jpg", "is not an https://i.discogs.com/"),
    ("images", "http://i.discogs.com/x.jpg", "is not an https://i.discogs.com/"),
    ("label", "x" * 256, "longer than 255"),
    ("catalog_number", "x" * 65, "longer than 64"),
    ("tracklist", "A1 Song 3:99\nB1 Fine 4:00", "duration"),
    ("genre_ids", ["999999"], "no such genre"),
])
def test_invalid_input_re_renders_the_form_and_changes_nothing(staff_app, field, value, message):
    item_id = make_item(app=staff_app).id
    client, _staff = staff_client(staff_app)
    before = revision(staff_app)
    data = form_data(client.get(f"/staff/items/{item_id}"))
    data.update({"label": "Svek", field: value})
    response = client.post(f"/staff/items/{item_id}", data=data)
    assert response.status_code == 422
    page = soup(response)
    error = page.select_one(f"#{field}-error")
    assert error is not None and message in error.get_text()
    assert page.find("input", attrs={"name": "label"})["value"] == ("Svek" if field != "label" else value)
    with staff_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ItemDetail)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "enrichment.update")) == 0
    assert revision(staff_app) == before


def test_unknown_item_is_404(staff_app):
    client, _staff = staff_client(staff_app)
    assert client.get("/staff/items/424242").status_code == 404
    token = csrf_token(client, "/staff/items")
    assert client.post("/staff/items/424242", data={"csrf_token": token}).status_code == 404


# --- Discogs ------------------------------------------------------------------------------------
def test_without_a_token_the_page_says_discogs_search_is_off(staff_app):
    item_id = make_item(app=staff_app).id
    client, _staff = staff_client(staff_app)
    page = soup(client.get(f"/staff/items/{item_id}"))
    assert page.select_one("#discogs-off").get_text(strip=True) == \
        "Discogs search is off: set STOREFRONT_DISCOGS_TOKEN"
    assert page.select_one("form.discogs-form") is None
    response = client.get(f"/staff/items/{item_id}/discogs?q=trash80")
    assert response.status_code == 409
    assert "Discogs search is off: set STOREFRONT_DISCOGS_TOKEN" in soup(response).get_text()


def test_discogs_errors_become_a_clear_message(staff_app):
    item_id = make_item(app=staff_app).id
    fake = install_fake_discogs(staff_app)
    client, _staff = staff_client(staff_app)
    htmx = {"HX-Request": "true", "HX-Target": "discogs-results"}
    fake.fail_next(429, 429)  # the first try and the one retry
    response = client.get(f"/staff/items/{item_id}/discogs?q=trash80", headers=htmx)
    assert response.status_code == 200  # HTMX swaps it in place
    assert "rate limiting" in soup(response).select_one(".discogs-error").get_text()
    fake.fail_next(503, 503)
    response = client.get(f"/staff/items/{item_id}/discogs?q=trash80")
    assert response.status_code == 502
    assert "not answering" in soup(response).select_one(".discogs-error").get_text()
    response = client.get(f"/staff/items/{item_id}/discogs?q=", headers=htmx)
    assert "Enter at least one of" in soup(response).select_one(".discogs-error").get_text()
    missing = client.get(f"/staff/items/{item_id}/discogs/999", headers={"HX-Request": "true",
                                                                         "HX-Target": "enrichment-form"})
    assert "Discogs has no such release" in soup(missing).get_text()
    with staff_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ItemDetail)) == 0


def test_enrichment_from_discogs_shows_on_the_shop_and_survives_a_full_sync(make_app, sandbox):
    from storefront.sync.runner import execute_run
    from storefront.sync.services import create_run

    app = make_app(**ecs_config(sandbox))
    install_test_login(app)
    with app.app_context():
        execute_run(create_run("full").id)
        item = db.session.scalar(select(Item).where(Item.kind == "record", Item.is_deleted.is_(False))
                                 .order_by(Item.id).limit(1))
        item_id, ecs_genres = item.id, {g.id for g in item.genres}
        electronic = db.session.scalar(select(Genre.id).where(func.lower(Genre.name) == "electronic"))
        if electronic is None:
            db.session.add(Genre(name="Electronic", slug="electronic-staff"))
            db.session.commit()
            electronic = db.session.scalar(select(Genre.id).where(Genre.name == "Electronic"))
    fake = install_fake_discogs(app)
    client, staff = staff_client(app)

    # The item page offers a Discogs search prefilled from the item.
    page = soup(client.get(f"/staff/items/{item_id}"))
    search_form = page.select_one("form.discogs-form")
    assert search_form["hx-get"] == f"/staff/items/{item_id}/discogs"
    assert search_form.find("input", attrs={"name": "artist"})["value"]

    # Search (HTMX): a partial result list.
    results = client.get(f"/staff/items/{item_id}/discogs?q=trash80",
                         headers={"HX-Request": "true", "HX-Target": "discogs-results"})
    assert results.status_code == 200
    html = results.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="discogs-results"')
    hits = {int(li["data-release-id"]): li for li in soup(results).select("li.discogs-result")}
    assert 95780 not in hits  # the artist hit is not a release
    darwinia = hits[3329867]
    assert "Trash80 & Dma-Sc - Darwinia Soundtrack" in darwinia.get_text()
    assert "2005" in darwinia.get_text() and "Not On Label" in darwinia.get_text()
    use = darwinia.find("form")
    assert use["hx-get"] == f"/staff/items/{item_id}/discogs/3329867" and use["hx-target"] == "#enrichment-form"
    sent = fake.requests[-1]
    assert sent.headers["Authorization"] == "Discogs token=test-discogs-token"
    assert sent.headers["User-Agent"].startswith("StorefrontTests/1.0")

    # Without JavaScript the same search is a full page.
    full = client.get(f"/staff/items/{item_id}/discogs?q=trash80")
    assert soup(full).find("h1") is not None and soup(full).select("li.discogs-result")

    # Choose the release: the form comes back prefilled, nothing saved yet.
    chosen = client.get(use["hx-get"], headers={"HX-Request": "true", "HX-Target": "enrichment-form"})
    assert chosen.status_code == 200
    form = soup(chosen).find("form", id="enrichment-form")
    assert form is not None and soup(chosen).find("h1") is None  # the partial only
    assert "nothing is saved yet" in form.get_text()
    assert "image(s) left out" in form.get_text()
    values = form_data(chosen)
    assert values["artists"] == "Trash80\nDma-Sc"
    assert values["label"] == "Not On Label" and values["catalog_number"] == ""
    assert values["year"] == "2005" and values["discogs_release_id"] == "3329867"
    assert values["tracklist"].splitlines()[0] == "1 Visitors From Dreams 5:30"
    assert values["styles"] == "Modern Classical, Chiptune, Breaks, Ambient"
    assert values["format_details"] == "6 × File, MP3, Album, 320 kbps"
    assert str(electronic) in values["genre_ids"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ItemDetail)) == 0
    assert audit_rows(app, "enrichment.update") == []

    # Staff review, add a picture and a pick, and save.
    values.update({"staff_pick": "Chiptune that breathes.", "images": "https://i.discogs.com/x/R-3329867.jpeg"})
    values["csrf_token"] = csrf_token(client, f"/staff/items/{item_id}")
    saved = client.post(f"/staff/items/{item_id}", data=values)
    assert saved.status_code == 303
    [entry] = audit_rows(app, "enrichment.update")
    assert entry.actor_id == staff.id and entry.details["discogs_release_id"] == 3329867

    def shop_shows_it() -> None:
        product = client.get(f"/catalog/{item_id}")
        assert product.status_code == 200
        text = soup(product).get_text(" ", strip=True)
        assert "Trash80" in text and "Not On Label" in text and "Visitors From Dreams" in text
        assert "Chiptune that breathes." in text
        # the chosen Discogs image is stored by the shop (a job after the save) and shown from there
        assert soup(product).find("img", src="https://i.discogs.com/x/R-3329867.jpeg") is None
        assert soup(product).select_one('.product-media img[src^="/media/photos/"]') is not None
        body = client.get(f"/api/v1/products/{item_id}").get_json()["product"]
        flat = repr(body)
        for expected in ("Trash80", "Dma-Sc", "Not On Label", "Visitors From Dreams", "Chiptune that breathes.",
                         "https://i.discogs.com/x/R-3329867.jpeg"):
            assert expected in flat, expected

    shop_shows_it()

    # A later full sync leaves the enrichment (and the staff genre) alone.
    with app.app_context():
        execute_run(create_run("full").id)
        detail = db.session.scalar(select(ItemDetail).where(ItemDetail.item_id == item_id))
        assert detail.discogs_release_id == 3329867 and detail.artists == ["Trash80", "Dma-Sc"]
        assert detail.staff_pick == "Chiptune that breathes."
        assert electronic in set(db.session.scalars(select(ItemGenre.genre_id).where(
            ItemGenre.item_id == item_id, ItemGenre.source == "staff")))
        assert {g for g in db.session.scalars(select(ItemGenre.genre_id).where(
            ItemGenre.item_id == item_id, ItemGenre.source == "ecs"))} == ecs_genres
        assert "Visitors From Dreams" in db.session.get(Item, item_id).search_text
    shop_shows_it()


def test_the_client_is_built_from_settings(make_app):
    from storefront.enrichment.discogs import discogs_client

    app = make_app(DISCOGS_TOKEN="abc123", PUBLIC_BASE_URL="https://shop.example")
    install_test_login(app)
    with app.test_request_context():
        client = discogs_client()
        assert client.configured and client is discogs_client()
        assert client.user_agent == "GrooveCellarRecords-Storefront/1.0 +https://shop.example"
    staff_client_, _staff = staff_client(app)
    page = soup(staff_client_.get(f"/staff/items/{make_item(app=app).id}"))
    assert page.select_one("form.discogs-form") is not None and page.select_one("#discogs-off") is None


def test_a_malformed_token_turns_search_off_instead_of_failing(make_app):
    app = make_app(DISCOGS_TOKEN="two words")
    install_test_login(app)
    client, _staff = staff_client(app)
    item_id = make_item(app=app).id
    assert client.get(f"/staff/items/{item_id}").status_code == 200
    response = client.get(f"/staff/items/{item_id}/discogs?q=x")
    assert response.status_code == 409 and "check STOREFRONT_DISCOGS_TOKEN" in soup(response).get_text()
