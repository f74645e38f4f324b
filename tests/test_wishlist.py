"""Wishlist pages: guest list in the session, merge on login, HTMX toggles, removal, sharing read-only."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import render_template_string
from sqlalchemy import select

from storefront.accounts.models import Customer
from storefront.catalog.models import Item
from storefront.extensions import db
from storefront.wishlist.models import WishlistEntry
from tests.support.accounts import login, make_customer
from tests.support.factories import make_item
from tests.support.pages import csrf_token, soup

HX = {"HX-Request": "true"}


def saved_ids(app, customer_id: int) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(WishlistEntry.item_id).where(WishlistEntry.customer_id == customer_id)))


def post(client, path: str, item_id: object, *, headers: dict[str, str] | None = None, **extra: str):
    data = {"csrf_token": csrf_token(client, "/wishlist"), "item_id": str(item_id), **extra}
    return client.post(path, data=data, headers=headers or {})


def page_item_ids(response) -> list[int]:
    return [int(li["data-item-id"]) for li in soup(response).select("li.wishlist-line")]


@pytest.fixture
def app(make_app, request):
    return make_app(**getattr(request, "param", {}))


@pytest.fixture
def items(app) -> dict[str, int]:
    return {"kraftwerk": make_item(app=app, title="Computer World", price=2999).id,
            "sade": make_item(app=app, title="Diamond Life", price=1999, stock=0).id,
            "gone": make_item(app=app, title="Withdrawn Pressing", deleted=True).id,
            "can": make_item(app=app, title="Tago Mago", price=3499).id}


def test_a_guest_keeps_a_list_with_current_price_and_stock(client, items):
    response = post(client, "/wishlist/add", items["kraftwerk"], next="/wishlist")
    assert response.status_code == 303 and response.headers["Location"] == "/wishlist"
    assert post(client, "/wishlist/add", items["sade"]).status_code == 303
    page = client.get("/wishlist")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    assert page_item_ids(page) == [items["sade"], items["kraftwerk"]]
    lines = {int(li["data-item-id"]): li for li in soup(page).select("li.wishlist-line")}
    assert "$29.99" in lines[items["kraftwerk"]].get_text() and "In stock" in lines[items["kraftwerk"]].get_text()
    assert lines[items["sade"]].select_one(".badge.sold-out").get_text(strip=True) == "Sold out"
    assert "Log in" in soup(page).select_one(".lead").get_text()


def test_htmx_toggles_flip_between_add_and_remove(client, items):
    added = post(client, "/wishlist/add", items["can"], headers=HX, next="/catalog/records/7")
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and "<html" not in html and "HX-Request" in added.headers["Vary"]
    form = soup(added).find("form")
    assert form["action"] == "/wishlist/remove" and form["hx-post"] == "/wishlist/remove"
    assert form.find("button").get_text(strip=True) == "In your wishlist — remove"
    assert form.find("input", attrs={"name": "next"})["value"] == "/catalog/records/7"
    removed = post(client, "/wishlist/remove", items["can"], headers=HX)
    form = soup(removed).find("form")
    assert form["action"] == "/wishlist/add" and form.find("button").get_text(strip=True) == "Add to wishlist"
    assert page_item_ids(client.get("/wishlist")) == []


def test_the_toggle_partial_and_wishlist_item_ids_for_product_pages(app, client, items):
    """The product page includes wishlist/_toggle.html; membership comes from wishlist_item_ids()."""
    def product(item_id: int) -> str:
        with app.app_context():
            item = db.session.get(Item, item_id)
            return render_template_string(
                '{{ wishlist_item_ids()|sort|join(",") }}|{% include "wishlist/_toggle.html" %}', item=item)

    app.add_url_rule("/_test/product/<int:item_id>", "test_product", product)
    post(client, "/wishlist/add", items["kraftwerk"])
    ids, _, toggle = client.get(f"/_test/product/{items['kraftwerk']}").get_data(as_text=True).partition("|")
    assert ids == str(items["kraftwerk"])
    assert soup_text(toggle) == "In your wishlist — remove"
    _, _, toggle = client.get(f"/_test/product/{items['can']}").get_data(as_text=True).partition("|")
    assert soup_text(toggle) == "Add to wishlist"
    assert "/_test/product/" in toggle  # a no-JS post comes back to the product page


def soup_text(html: str) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser").find("button").get_text(strip=True)


def test_guest_list_merges_into_the_account_on_login(app, client, items):
    customer_id = make_customer(app, "mia@example.com").id
    with app.app_context():
        db.session.add(WishlistEntry(customer_id=customer_id, item_id=items["can"]))
        db.session.commit()
    for key in ("kraftwerk", "can", "sade"):
        post(client, "/wishlist/add", items[key])
    with app.app_context():  # an item withdrawn while it sat on the guest list is not merged
        db.session.get(Item, items["sade"]).is_deleted = True
        db.session.commit()
    assert login(client, "mia@example.com", kind="customer").status_code == 303
    assert saved_ids(app, customer_id) == {items["kraftwerk"], items["can"]}
    with client.session_transaction() as session:
        assert "guest_wishlist" not in session
    page = client.get("/wishlist")
    assert set(page_item_ids(page)) == {items["kraftwerk"], items["can"]}
    assert soup(page).find(id="share-heading") is not None


def test_removing_from_the_wishlist_page(app, client, items):
    customer_id = make_customer(app, "ola@example.com").id
    assert login(client, "ola@example.com", kind="customer").status_code == 303
    post(client, "/wishlist/add", items["kraftwerk"])
    post(client, "/wishlist/add", items["can"])
    response = post(client, "/wishlist/remove", items["kraftwerk"], headers={**HX, "HX-Target": "wishlist"})
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert page_item_ids(response) == [items["can"]]
    plain = post(client, "/wishlist/remove", items["can"], next="/wishlist")
    assert plain.status_code == 303 and plain.headers["Location"] == "/wishlist"
    assert saved_ids(app, customer_id) == set()
    assert "Your wishlist is empty" in soup(client.get("/wishlist")).get_text()


def test_deleted_items_show_as_no_longer_available_and_can_be_removed(app, client, items):
    customer_id = make_customer(app, "kai@example.com").id
    with app.app_context():
        db.session.add(WishlistEntry(customer_id=customer_id, item_id=items["gone"]))
        db.session.commit()
    assert login(client, "kai@example.com", kind="customer").status_code == 303
    line = soup(client.get("/wishlist")).select_one(f'li[data-item-id="{items["gone"]}"]')
    assert "No longer available" in line.get_text() and "$" not in line.get_text()
    assert post(client, "/wishlist/remove", items["gone"]).status_code == 303
    assert saved_ids(app, customer_id) == set()


@pytest.mark.parametrize(("item_id", "status"), [("abc", 422), ("", 422), ("-3", 422), ("99999", 404)])
def test_bad_item_ids_are_refused_and_change_nothing(client, items, item_id, status):
    post(client, "/wishlist/add", items["can"])
    assert post(client, "/wishlist/add", item_id).status_code == status
    assert post(client, "/wishlist/add", item_id, headers=HX).status_code == status
    assert post(client, "/wishlist/remove", item_id).status_code == status
    assert page_item_ids(client.get("/wishlist")) == [items["can"]]


def test_deleted_items_cannot_be_added(app, client, items):
    customer_id = make_customer(app, "lee@example.com").id
    assert post(client, "/wishlist/add", items["gone"]).status_code == 404
    assert login(client, "lee@example.com", kind="customer").status_code == 303
    assert post(client, "/wishlist/add", items["gone"]).status_code == 404
    assert saved_ids(app, customer_id) == set()


def test_the_guest_list_is_bounded(make_app):
    app = make_app(WISHLIST_MAX_GUEST_ITEMS=2)
    client = app.test_client()
    ids = [make_item(app=app, title=f"Record {n}").id for n in range(3)]
    for item_id in ids[:2]:
        post(client, "/wishlist/add", item_id)
    response = post(client, "/wishlist/add", ids[2], headers=HX)
    assert "full" in soup(response).select_one(".field-error").get_text()
    assert soup(response).find("button").get_text(strip=True) == "Add to wishlist"
    plain = post(client, "/wishlist/add", ids[2])
    assert plain.status_code == 303
    assert set(page_item_ids(client.get("/wishlist"))) == set(ids[:2])


def test_posts_need_the_csrf_token(client, items):
    assert client.post("/wishlist/add", data={"item_id": items["can"]}).status_code == 400
    assert page_item_ids(client.get("/wishlist")) == []


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_next_only_goes_to_local_pages(client, items, target):
    response = post(client, "/wishlist/add", items["can"], next=target)
    assert response.headers["Location"] == "/wishlist"


def test_another_customer_neither_sees_nor_changes_my_list(app, items):
    me, them = make_customer(app, "me@example.com").id, make_customer(app, "them@example.com").id
    mine, theirs = app.test_client(), app.test_client()
    assert login(mine, "me@example.com", kind="customer").status_code == 303
    assert login(theirs, "them@example.com", kind="customer").status_code == 303
    post(mine, "/wishlist/add", items["kraftwerk"])
    assert page_item_ids(theirs.get("/wishlist")) == []
    post(theirs, "/wishlist/remove", items["kraftwerk"])  # acts on their own (empty) list
    assert post(theirs, "/wishlist/share/revoke", "").status_code == 303
    assert saved_ids(app, me) == {items["kraftwerk"]} and saved_ids(app, them) == set()


def _share_url(client) -> str:
    field = soup(client.get("/wishlist")).find(id="share-link")
    if field is None:
        return ""
    assert field["value"].startswith("https://shop.example/wishlist/shared/")  # PUBLIC_BASE_URL, not the Host header
    return urlsplit(field["value"]).path


@pytest.mark.parametrize("app", [{"PUBLIC_BASE_URL": "https://shop.example"}], indirect=True)
def test_a_shared_link_is_read_only_and_revocable(app, client, items):
    make_customer(app, "zoe@example.com")
    assert login(client, "zoe@example.com", kind="customer").status_code == 303
    for key in ("kraftwerk", "sade"):
        post(client, "/wishlist/add", items[key])
    with app.app_context():
        db.session.add(WishlistEntry(customer_id=db.session.scalar(select(Customer.id)), item_id=items["gone"]))
        db.session.commit()
    assert _share_url(client) == ""
    assert post(client, "/wishlist/share", "").status_code == 303
    link = _share_url(client)
    assert link.startswith("/wishlist/shared/")
    assert post(client, "/wishlist/share", "").status_code == 303 and _share_url(client) == link  # stable

    visitor = app.test_client()
    shared = visitor.get(link)
    assert shared.status_code == 200 and shared.headers["Referrer-Policy"] == "no-referrer"
    assert set(page_item_ids(shared)) == {items["kraftwerk"], items["sade"]}  # withdrawn items hidden
    page = soup(shared).find(id="shared-wishlist")
    assert page.find("form") is None and page.find("button") is None
    assert "zoe@example.com" not in shared.get_data(as_text=True)
    assert visitor.get(link[:-2] + ("AA" if not link.endswith("AA") else "BB")).status_code == 404

    assert post(client, "/wishlist/share/revoke", "").status_code == 303
    assert visitor.get(link).status_code == 404
    post(client, "/wishlist/share", "")
    new_link = _share_url(client)
    assert new_link != link and visitor.get(new_link).status_code == 200
    assert visitor.get(link).status_code == 404


def test_guests_are_asked_to_log_in_to_share(client):
    response = post(client, "/wishlist/share", "")
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert target.path == "/account/login"
