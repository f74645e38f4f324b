"""Wantlists and back-in-stock alerts: follow from the product page (customer at once, guest after a
double opt-in), copies brought in stock by signed inventory webhooks are matched (grade, price) into
pending alerts, one digest email per shopper per window, unsubscribe links without login, the
staff demand page, and two digest runs at once sending one email."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from email.message import EmailMessage

import pytest
import requests
from sqlalchemy import func, select, update

from storefront.catalog.models import Item, ItemVariation
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.notifications.services import _message
from storefront.sync.services import SyncAlreadyRunning
from storefront.wantlist.models import WantlistAlert, WantlistEntry, WantlistRecipient
from storefront.wantlist.services import send_digests
from storefront.webhooks.models import WebhookEvent
from tests.support.accounts import PASSWORD, install_test_login, login, make_customer, make_staff
from tests.support.checkout import wait_for
from tests.support.emails import link_path, sent_emails
from tests.support.pages import csrf_token, soup
from tests.support.sync import run_sync
from tests.support.webhooks import count, deliver, inventory_event, webhook_config

DIGEST = "wantlist.digest"


@pytest.fixture
def app(make_app):
    app = make_app(**webhook_config())
    install_test_login(app)
    return app


@pytest.fixture
def shop(app):
    """Three records, sold out: V1 (Sade, new), V2 (Sade, used VG), V3 (Can, used NM, $45)."""
    with app.app_context():
        specs = [("I1", "V1", "Sade", "Diamond Life", "new", "", 1999),
                 ("I2", "V2", "Sade", "Promise", "used", "VG", 1500),
                 ("I3", "V3", "Can", "Tago Mago", "used", "NM", 4500)]
        ids = {}
        for item_ecs, var_ecs, artist, title, condition, grade, price in specs:
            item = Item(ecs_id=item_ecs, name=f"{artist} - {title}", artist=artist, title=title,
                        price_amount=price, stock=0, search_text=f"{artist} {title}".lower(),
                        first_seen_at=utcnow() - timedelta(days=30))
            item.variations.append(ItemVariation(ecs_id=var_ecs, name="LP", ordinal=0, price_amount=price,
                                                 condition=condition, media_grade=grade))
            db.session.add(item)
            db.session.flush()
            ids[var_ecs] = item.id
        db.session.commit()
    return ids


class Clock:
    """Each webhook count a little later than the last (older counts are ignored as stale)."""

    def __init__(self) -> None:
        self.at = 0.0

    def restock(self, client, variation: str, quantity: int) -> None:
        self.at += 10
        response = deliver(client, inventory_event(count(variation, quantity, self.at)))
        assert response.status_code == 200, response.get_data(as_text=True)


@pytest.fixture
def clock():
    return Clock()


def follow(client, item_id: int, **fields: str):
    data = {"csrf_token": csrf_token(client, "/wantlist/new?kind=artist"), "kind": "release",
            "item_id": str(item_id), **fields}
    return client.post("/wantlist/follow", data=data)


def alerts(app) -> list[WantlistAlert]:
    with app.app_context():
        rows = list(db.session.scalars(select(WantlistAlert).order_by(WantlistAlert.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def digest(app, *, minutes_later: float = 0) -> int:
    with app.app_context():
        return send_digests(utcnow() + timedelta(minutes=minutes_later))


def mime(app, email) -> EmailMessage:
    with app.app_context():
        return _message(email)


def logged_in(app, email: str):
    customer = make_customer(app, email)
    client = app.test_client()
    login(client, customer, password_step=False)
    return client, customer


def test_a_followed_release_back_in_stock_sends_one_digest_per_window(app, shop, clock):
    shopper, customer = logged_in(app, "ada@example.com")
    assert follow(shopper, shop["V1"], next="/").status_code == 303
    webhooks = app.test_client()

    clock.restock(webhooks, "V1", 2)  # 0 → 2: a copy is back
    clock.restock(webhooks, "V1", 0)
    clock.restock(webhooks, "V1", 1)  # a second restock in the same window: the same pending digest
    assert [(a.item_id, a.grade) for a in alerts(app)] == [(shop["V1"], "M")]
    assert sent_emails(app, DIGEST) == []  # the webhook only records; the digest job sends

    assert digest(app) == 1
    [email] = sent_emails(app, DIGEST)
    assert email.to == "ada@example.com" and "Diamond Life" in email.subject
    assert f"http://127.0.0.1:5000/catalog/{shop['V1']}/sade-diamond-life" in email.body
    assert "/wantlist/unsubscribe/" in email.body and "Stop all wantlist emails" in email.body
    assert mime(app, email)["List-Unsubscribe"].startswith("<http://127.0.0.1:5000/wantlist/unsubscribe/")
    assert digest(app) == 0  # a retry, or the next run: nothing left

    clock.restock(webhooks, "V1", 0)
    clock.restock(webhooks, "V1", 3)  # back again within the window: waits for the next one
    assert digest(app) == 0 and len(sent_emails(app, DIGEST)) == 1
    assert digest(app, minutes_later=61) == 1
    assert len(sent_emails(app, DIGEST)) == 2


def test_one_digest_lists_every_match_of_the_window(app, shop, clock):
    shopper, _customer = logged_in(app, "ben@example.com")
    follow(shopper, shop["V1"])
    data = {"csrf_token": csrf_token(shopper, "/wantlist/new?kind=artist"), "kind": "artist", "artist": "  sADE "}
    assert shopper.post("/wantlist/follow", data=data).status_code == 303
    webhooks = app.test_client()
    clock.restock(webhooks, "V1", 1)
    clock.restock(webhooks, "V2", 1)
    assert len(alerts(app)) == 3  # V1 for the release and the artist, V2 for the artist
    assert digest(app) == 1
    [email] = sent_emails(app, DIGEST)
    assert "Diamond Life" in email.body and "Promise" in email.body and "anything by sADE" in email.body


def test_a_copy_below_the_minimum_grade_or_over_the_maximum_price_sends_nothing(app, shop, clock):
    shopper, _customer = logged_in(app, "cy@example.com")
    follow(shopper, shop["V2"], min_grade="VG+")  # the copy is VG
    follow(shopper, shop["V3"], max_price="40")  # the copy is $45
    webhooks = app.test_client()
    clock.restock(webhooks, "V2", 1)
    clock.restock(webhooks, "V3", 1)
    assert alerts(app) == []
    assert digest(app) == 0 and sent_emails(app, DIGEST) == []


def test_a_copy_at_the_minimum_grade_and_price_matches(app, shop, clock):
    shopper, _customer = logged_in(app, "dee@example.com")
    follow(shopper, shop["V2"], min_grade="VG")
    follow(shopper, shop["V3"], min_grade="VG+", max_price="45.00")
    webhooks = app.test_client()
    clock.restock(webhooks, "V2", 1)
    clock.restock(webhooks, "V3", 1)
    assert sorted(a.grade for a in alerts(app)) == ["NM", "VG"]


def guest_follow(app, item_id: int, email: str):
    client = app.test_client()
    data = {"csrf_token": csrf_token(client, "/wantlist/new?kind=artist"), "kind": "release",
            "item_id": str(item_id), "email": email}
    response = client.post("/wantlist/follow", data=data)
    return response, client.get(response.headers["Location"]) if response.status_code == 303 else None


def test_a_guest_must_confirm_by_the_emailed_link_first(app, shop, clock):
    make_customer(app, "member@example.com")
    first, first_page = guest_follow(app, shop["V1"], "Guest@Example.com")
    known, known_page = guest_follow(app, shop["V1"], "member@example.com")
    # The same answer whether or not the address has an account or entries: nothing to enumerate.
    assert first.status_code == known.status_code == 303 and first.headers["Location"] == known.headers["Location"]
    assert soup(first_page).select_one("main").get_text() == soup(known_page).select_one("main").get_text()
    again, _page = guest_follow(app, shop["V1"], "guest@example.com")
    assert again.headers["Location"] == first.headers["Location"]
    confirmations = sent_emails(app, "wantlist.confirm")
    assert [e.to for e in confirmations] == ["guest@example.com", "member@example.com"]  # not resent at once

    clock.restock(app.test_client(), "V1", 1)
    assert alerts(app) == [] and digest(app) == 0  # unconfirmed: nothing is sent

    path = link_path(confirmations[0])
    stranger = app.test_client()
    page = stranger.get(path)
    assert page.status_code == 200 and soup(page).select_one("#wantlist-confirm-button")
    with app.app_context():  # opening the link changes nothing
        assert db.session.scalar(select(func.count()).where(WantlistEntry.confirmed_at.is_not(None))) == 0
    assert stranger.post(path, data={}).status_code == 400  # CSRF
    confirmed = stranger.post(path, data={"csrf_token": soup(page).select_one("input[name=csrf_token]")["value"]})
    assert confirmed.status_code == 200 and soup(confirmed).select_one("#wantlist-confirmed")
    assert stranger.post(path, data={"csrf_token": csrf_token(stranger, path + "x")}).status_code in (400, 404)

    clock.restock(app.test_client(), "V1", 0)
    clock.restock(app.test_client(), "V1", 2)
    assert digest(app) == 1
    assert [e.to for e in sent_emails(app, DIGEST)] == ["guest@example.com"]


def test_the_guest_form_is_rate_limited_and_validated(make_app, shop):
    app = make_app(**webhook_config(WANTLIST_RATE_LIMIT="2 per hour"))
    with app.app_context():
        item_id = db.session.scalar(select(Item.id).where(Item.ecs_id == "I1"))
    bad, _page = guest_follow(app, item_id, "not-an-email")
    assert bad.status_code == 422 and "valid email" in bad.get_data(as_text=True)
    ok, _page = guest_follow(app, item_id, "x@example.com")
    assert ok.status_code == 303
    limited, _page = guest_follow(app, item_id, "y@example.com")
    assert limited.status_code == 429
    client = app.test_client()
    no_csrf = client.post("/wantlist/follow", data={"kind": "release", "item_id": str(item_id),
                                                    "email": "z@example.com"})
    assert no_csrf.status_code == 400


def test_unsubscribe_links_work_without_logging_in_and_only_on_post(app, shop, clock):
    shopper, _customer = logged_in(app, "eve@example.com")
    follow(shopper, shop["V1"])
    follow(shopper, shop["V3"])
    webhooks = app.test_client()
    clock.restock(webhooks, "V1", 1)
    clock.restock(webhooks, "V3", 1)
    digest(app)
    [email] = sent_emails(app, DIGEST)
    links = [link_path(email, i) for i in range(email.body.count("http"))]
    unsubscribe = [p for p in links if "/wantlist/unsubscribe/" in p]
    one, everything = unsubscribe[0], unsubscribe[-1]

    stranger = app.test_client()  # not logged in
    page = stranger.get(one)
    assert page.status_code == 200 and soup(page).select_one("#wantlist-unsubscribe-button")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WantlistEntry)) == 2  # GET changes nothing
    assert stranger.post(one, data={}).status_code == 400  # CSRF-protected
    token = soup(page).select_one("input[name=csrf_token]")["value"]
    done = stranger.post(one, data={"csrf_token": token})
    assert done.status_code == 200 and soup(done).select_one("#wantlist-unsubscribed")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WantlistEntry)) == 1
    stranger.post(everything, data={"csrf_token": csrf_token(stranger, everything)})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WantlistEntry)) == 0
    assert stranger.get("/wantlist/unsubscribe/forged-token").status_code == 404


def test_the_account_page_lists_entries_with_remove(app, shop):
    shopper, _customer = logged_in(app, "fay@example.com")
    follow(shopper, shop["V1"], min_grade="NM", max_price="30")
    page = shopper.get("/wantlist")
    [row] = soup(page).select("tr[data-entry-id]")
    assert "Diamond Life" in row.get_text() and "NM or better" in row.get_text()
    form = row.select_one("form")
    response = shopper.post(form["action"], data={"csrf_token": csrf_token(shopper, "/wantlist")})
    assert response.status_code == 303
    assert soup(shopper.get("/wantlist")).select("tr[data-entry-id]") == []
    assert app.test_client().get("/wantlist").status_code == 303  # guests are sent to log in


def test_product_and_catalog_pages_offer_the_controls(app, shop, clock):
    client = app.test_client()
    page = soup(client.get(f"/catalog/{shop['V1']}"))
    form = page.select_one("form.wantlist-follow-form")
    assert form is not None and form.select_one("input[name=email]") is not None
    assert "secondary" not in (form.select_one("button")["class"] if form.select_one("button").has_attr("class")
                               else [])  # sold out: the main action
    listing = soup(client.get("/catalog?q=tago"))
    link = listing.select_one(".save-search a")
    assert link is not None and "secondary" in link["class"]
    assert soup(client.get("/catalog")).select_one(".save-search") is None

    shopper, _customer = logged_in(app, "gus@example.com")
    form_page = shopper.get(link["href"])
    assert form_page.status_code == 200
    hidden = soup(form_page).select_one("input[name=search]")["value"]
    data = {"csrf_token": csrf_token(shopper, "/wantlist"), "kind": "search", "search": hidden}
    assert shopper.post("/wantlist/follow", data=data).status_code == 303
    clock.restock(app.test_client(), "V3", 1)  # Can - Tago Mago: found by the saved search
    clock.restock(app.test_client(), "V1", 1)  # not
    assert [a.item_id for a in alerts(app)] == [shop["V3"]]


def test_staff_see_demand_per_release(app, shop):
    for n, grade in enumerate(["NM", "VG+", ""]):
        shopper, _customer = logged_in(app, f"fan{n}@example.com")
        follow(shopper, shop["V3"], min_grade=grade, max_price="50" if grade else "")
    shopper, _customer = logged_in(app, "solo@example.com")
    follow(shopper, shop["V1"])
    guest_follow(app, shop["V1"], "unconfirmed@example.com")  # not counted until confirmed
    staff_client = app.test_client()
    login(staff_client, make_staff(app), password_step=False)
    page = soup(staff_client.get("/staff/demand/"))
    rows = page.select("tr[data-item-id]")
    assert [int(r["data-item-id"]) for r in rows] == [shop["V3"], shop["V1"]]
    assert rows[0].select_one(".demand-followers").get_text() == "3"
    assert "NM" in rows[0].get_text() and "VG+" in rows[0].get_text()
    assert any(a.get_text() == "Demand" for a in page.select(".staff-nav a"))
    assert app.test_client().get("/staff/demand/").status_code in (302, 303)


def test_two_digest_runs_at_once_send_one_email(app, shop, clock):
    for n in range(3):
        shopper, _customer = logged_in(app, f"race{n}@example.com")
        follow(shopper, shop["V1"])
    clock.restock(app.test_client(), "V1", 1)
    assert len(alerts(app)) == 3
    barrier = threading.Barrier(2)
    results: list[object] = []

    def run() -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                results.append(send_digests())
            except Exception as exc:  # a database error is a failure of the test
                results.append(repr(exc))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 3, results  # however the two runs shared the shoppers, each got one email
    assert sorted(e.to for e in sent_emails(app, DIGEST)) == [f"race{n}@example.com" for n in range(3)]
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(WantlistAlert.digest_token.is_(None))) == 0


def test_a_stolen_window_is_not_taken_twice(app, shop, clock):
    """The claim is a conditional UPDATE: a run that lost the race (or a retry) finds the window taken."""
    shopper, _customer = logged_in(app, "hal@example.com")
    follow(shopper, shop["V1"])
    clock.restock(app.test_client(), "V1", 1)
    with app.app_context():
        db.session.execute(update(WantlistRecipient).values(last_digest_at=utcnow()))
        db.session.commit()
    assert digest(app) == 0 and digest(app, minutes_later=30) == 0
    assert digest(app, minutes_later=60) == 1


# --- over HTTP: the ECS sandbox's signed webhooks and a sync ------------------------------------------

def _stock(app, ecs_id: str) -> int:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(Item.stock).join(ItemVariation).where(ItemVariation.ecs_id == ecs_id))


def _pending(app) -> int:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(func.count()).select_from(WantlistAlert)
                                 .where(WantlistAlert.digest_token.is_(None))) or 0


def _processed_inventory_events(app) -> int:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(func.count()).select_from(WebhookEvent).where(
            WebhookEvent.event_type == "inventory.count.updated", WebhookEvent.status == "processed")) or 0


def test_a_wanted_release_arriving_by_the_sandbox_webhook_is_emailed_once_per_window(live_shop, sandbox):
    app, base = live_shop
    with app.app_context():
        single = (select(ItemVariation.item_id).where(ItemVariation.is_deleted.is_(False))
                  .group_by(ItemVariation.item_id).having(func.count() == 1))
        item_id, ecs_id = db.session.execute(
            select(Item.id, ItemVariation.ecs_id).join(ItemVariation)
            .where(Item.kind == "record", Item.stock > 0, Item.stock < 999, Item.id.in_(single),
                   ItemVariation.track_inventory.is_(True), ItemVariation.sold_out.is_(False))
            .order_by(Item.id).limit(1)).one()
    make_customer(app, "live@example.com")
    token = requests.post(f"{base}/api/v1/customer/login",
                          json={"email": "live@example.com", "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {token['token']}"}
    made = requests.post(f"{base}/api/v1/wantlist", json={"kind": "release", "item_id": item_id}, headers=auth)
    assert made.status_code == 201, made.text

    sandbox.control("POST", f"inventory/{ecs_id}", json={"quantity": 0})  # sold out…
    wait_for(lambda: _stock(app, ecs_id) == 0)
    assert _pending(app) == 0
    sandbox.control("POST", f"inventory/{ecs_id}", json={"quantity": 2})  # …and back: a signed webhook
    wait_for(lambda: _pending(app) == 1)
    delivered = _processed_inventory_events(app)
    sandbox.control("POST", f"inventory/{ecs_id}", json={"quantity": 0})  # a second restock, same window
    sandbox.control("POST", f"inventory/{ecs_id}", json={"quantity": 1})
    wait_for(lambda: _processed_inventory_events(app) >= delivered + 2 and _stock(app, ecs_id) == 1)
    app.extensions["jobs_runner"].wait(timeout=20)
    assert _pending(app) == 1  # the same copy waits once for the digest

    assert digest(app) == 1
    [email] = sent_emails(app, DIGEST)
    assert email.to == "live@example.com" and f"{base}/catalog/{item_id}" in email.body
    assert digest(app) == 0

    sandbox.control("POST", f"inventory/{ecs_id}", json={"quantity": 0})
    wait_for(lambda: _stock(app, ecs_id) == 0)
    sandbox.control("POST", f"inventory/{ecs_id}", json={"quantity": 4})
    wait_for(lambda: _pending(app) == 1)
    assert digest(app) == 0  # within the window
    assert digest(app, minutes_later=61) == 1
    assert len(sent_emails(app, DIGEST)) == 2


def test_a_new_in_stock_record_brought_by_a_sync_matches_an_artist(live_shop, sandbox):
    app, base = live_shop
    make_customer(app, "newcomer@example.com")
    token = requests.post(f"{base}/api/v1/customer/login",
                          json={"email": "newcomer@example.com", "password": PASSWORD}).json()["token"]
    made = requests.post(f"{base}/api/v1/wantlist", headers={"Authorization": f"Bearer {token}"},
                         json={"kind": "artist", "artist": "the newcomers", "max_price": 3000})
    assert made.status_code == 201, made.text
    created = sandbox.control("POST", "catalog/items", json={
        "artist": "The Newcomers", "title": "First Light", "format": "LP",
        "variations": [{"name": "LP", "amount": 2500}, {"name": "Deluxe LP", "amount": 4500}]})
    for obj in created["objects"]:
        if obj["type"] == "ITEM_VARIATION":
            sandbox.control("POST", f"inventory/{obj['id']}", json={"quantity": 3})
    # the sandbox's catalog.version.updated webhook may have started the same sync first
    with app.app_context(), contextlib.suppress(SyncAlreadyRunning):
        assert run_sync("incremental").status == "succeeded"
    wait_for(lambda: _pending(app) == 1)  # the $25 copy; the $45 one is over the maximum
    app.extensions["jobs_runner"].wait(timeout=20)
    assert [a.price_amount for a in alerts(app)] == [2500]
