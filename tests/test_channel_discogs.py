"""The Discogs Marketplace connector against the local Discogs sandbox over HTTP: one listing per
graded copy, prices and grades as Discogs wants them, the rate limit kept under 429 bursts, outages
ending in CHN-021 and a retry that completes, conflicts, adoption of a listing a lost answer hid,
and a seller's token that never shows."""

from __future__ import annotations

import json
import logging
from collections import Counter

import pytest
import requests
from sqlalchemy import select

from storefront.audit.models import AuditEntry
from storefront.catalog.models import Item, ItemVariation
from storefront.channels.connectors import ConnectorInvalid, create_connector
from storefront.channels.models import ChannelConflict, ChannelConnector, ChannelListing, ChannelSyncJob
from storefront.channels.sales import poll_all
from storefront.channels.syncing import get_job, resolve_conflict, retry, start_sync
from storefront.discogs.errors import DiscogsAuthError, DiscogsInvalidRequest
from storefront.discogs.marketplace import MarketplaceClient
from storefront.extensions import db
from storefront.webhooks.models import WebhookEvent
from tests.support.accounts import bearer, login, make_staff
from tests.support.channels import API, DISCOGS_TOKEN, discogs_connector_payload, give_release_ids, stock
from tests.support.factories import make_item

AGENT = "StorefrontTests/1.0 +https://shop.example"


@pytest.fixture
def discogs_shop(make_app, discogs_sandbox):
    """Three graded records in stock (two copies, one copy, one copy), all matched to Discogs releases."""
    app = make_app(ECS_LOCATION_ID="LTEST", PUBLIC_BASE_URL="https://shop.example", CHANNEL_DISCOGS_RATE_WINDOW=1.0)
    with app.app_context():
        stock(make_item(artist="Nina Simone", title="Pastel Blues", price=2500), 2, grade="VG+")
        stock(make_item(artist="Can", title="Tago Mago", price=3299), 1, grade="NM")
        stock(make_item(artist="Sun Ra", title="Lanquidity", price=4000), 1, grade="VG")
        db.session.commit()
        give_release_ids()
    return app, discogs_sandbox


def _connector(code: str = "discogs") -> ChannelConnector:
    return db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == code))


def _full_sync(app, code: str = "discogs"):
    with app.app_context():
        job = start_sync(_connector(code), "full", run_now=True)
        db.session.refresh(job)
        return job


def test_the_client_speaks_discogs_marketplace(discogs_sandbox):
    client = MarketplaceClient(DISCOGS_TOKEN, user_agent=AGENT, api_base=discogs_sandbox.base_url)
    assert client.identity()["username"] == "groove-cellar"
    fields = {"release_id": 249504, "condition": "Very Good Plus (VG+)", "sleeve_condition": "Very Good (VG)",
              "price": 24.5, "status": "For Sale", "external_id": "V1#1", "comments": "Light marks"}
    listing_id = client.create_listing(fields)
    shown = client.listing(listing_id)
    assert shown["price"] == {"currency": "USD", "value": 24.5} and shown["external_id"] == "V1#1"
    assert shown["status"] == "For Sale" and shown["release"]["id"] == 249504
    client.edit_listing(listing_id, {**fields, "price": 20.0})
    assert client.listing(listing_id)["price"]["value"] == 20.0
    inventory = client.inventory("groove-cellar")
    assert [row["id"] for row in inventory["listings"]] == [listing_id]
    client.delete_listing(listing_id)
    assert discogs_sandbox.listings() == []
    with pytest.raises(DiscogsInvalidRequest):
        client.create_listing({**fields, "condition": "Great"})  # refused before anything is sent
    with pytest.raises(DiscogsAuthError):
        MarketplaceClient("wrong-token", user_agent=AGENT, api_base=discogs_sandbox.base_url).identity()


def test_the_sandbox_refuses_like_discogs(discogs_sandbox):
    base = discogs_sandbox.base_url
    auth = {"Authorization": f"Discogs token={DISCOGS_TOKEN}", "User-Agent": AGENT}
    missing = requests.post(f"{base}/marketplace/listings", json={"release_id": 1}, headers=auth, timeout=5)
    assert missing.status_code == 422 and "condition" in missing.json()["message"]
    assert missing.headers["X-Discogs-Ratelimit"] == "60"
    assert int(missing.headers["X-Discogs-Ratelimit-Remaining"]) < 60
    no_agent = requests.get(f"{base}/oauth/identity", headers={**auth, "User-Agent": ""}, timeout=5)
    assert no_agent.status_code == 403
    assert requests.get(f"{base}/oauth/identity", timeout=5).status_code == 401
    assert discogs_sandbox.listings() == []


@pytest.mark.parametrize("api_base", ["http://evil.example", "https://user:pw@api.discogs.com", "ftp://x"])
def test_an_api_root_that_would_leak_the_token_is_refused(discogs_shop, api_base):
    app, sandbox = discogs_shop
    with app.app_context():
        with pytest.raises(ConnectorInvalid) as refused:
            create_connector({**discogs_connector_payload(sandbox), "settings": {"api_base": api_base}})
        assert "settings.api_base" in refused.value.errors
        assert db.session.scalar(select(db.func.count()).select_from(ChannelConnector)) == 0


def test_production_talks_to_discogs_itself_only(make_app, discogs_sandbox):
    app = make_app()
    app.config["ENV_NAME"] = "production"  # (a production app needs real ECS secrets to start at all)
    with app.app_context():
        with pytest.raises(ConnectorInvalid) as refused:
            create_connector(discogs_connector_payload(discogs_sandbox), test=False)  # http://127.0.0.1:…
        assert "settings.api_base" in refused.value.errors
        with pytest.raises(ConnectorInvalid) as refused:
            create_connector({**discogs_connector_payload(discogs_sandbox),
                              "settings": {"api_base": "https://discogs.example"}}, test=False)
        assert refused.value.errors["settings.api_base"] == ["must be https://api.discogs.com in production"]
        assert db.session.scalar(select(db.func.count()).select_from(ChannelConnector)) == 0


def test_a_full_sync_lists_every_graded_copy_once_as_discogs_wants_it(discogs_shop):
    app, sandbox = discogs_shop
    with app.app_context():
        _, result = create_connector(discogs_connector_payload(sandbox))
        assert result["success"] is True and result["channel_info"]["username"] == "groove-cellar"
    job = _full_sync(app)
    assert job.status == "completed" and job.created_count == 4 and job.failed_count == 0
    listed = sandbox.listings("For Sale")
    assert sorted(Counter(row["external_id"] for row in listed).values()) == [1, 1, 1, 1]
    by_price = {row["price"]: row for row in listed}
    assert set(by_price) == {25.0, 32.99, 40.0}
    assert by_price[32.99]["condition"] == "Near Mint (NM or M-)"
    assert by_price[40.0]["condition"] == "Very Good (VG)"
    assert _full_sync(app).created_count == 0  # a second full sync updates, never duplicates
    assert len(sandbox.listings()) == 4


def test_a_copy_without_a_release_id_fails_alone_with_chn_010(discogs_shop):
    app, sandbox = discogs_shop
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.artist == "Can"))
        item.detail.discogs_release_id = None
        db.session.commit()
        create_connector(discogs_connector_payload(sandbox), test=False)
    job = _full_sync(app)
    assert job.status == "completed_with_errors" or job.failed_count == 1
    assert [f["error_code"] for f in job.failures] == ["CHN-010"]
    assert len(sandbox.listings()) == 3


def test_429_bursts_keep_the_connector_under_the_limit_and_the_job_completes(make_app, discogs_sandbox):
    app = make_app(ECS_LOCATION_ID="LTEST", PUBLIC_BASE_URL="https://shop.example", CHANNEL_DISCOGS_RATE_WINDOW=1.0)
    with app.app_context():
        for n in range(30):
            stock(make_item(artist=f"Artist {n}", title=f"Record {n}", price=1500 + n), 3, grade="VG+")
        db.session.commit()
        give_release_ids()
        create_connector(discogs_connector_payload(discogs_sandbox), test=False)
    discogs_sandbox.control("PUT", "/_sandbox/faults", {"rules": [
        {"path_prefix": "/marketplace/listings", "kind": "rate_limit", "every": 7, "retry_after": 0}]})
    job = _full_sync(app)
    stats = discogs_sandbox.stats()
    assert job.status == "completed" and job.created_count == 90, job.failures
    assert stats["listings"] == {"For Sale": 90}
    assert stats["busiest_window"] <= 60  # never more than Discogs' 60 per window
    assert stats["requests"] >= 90  # every copy went out, 429s included


def test_an_outage_ends_in_chn_021_and_the_retry_completes_the_failed_copies(discogs_shop):
    app, sandbox = discogs_shop
    with app.app_context():
        create_connector(discogs_connector_payload(sandbox), test=False)
    sandbox.control("PUT", "/_sandbox/faults", {"rules": [
        {"path_prefix": "/marketplace/listings", "method": "POST", "kind": "server_error", "status": 503}]})
    failed = _full_sync(app)
    assert failed.failed_count == 4 and {f["error_code"] for f in failed.failures} == {"CHN-021"}
    assert sandbox.listings() == []
    sandbox.control("DELETE", "/_sandbox/faults")
    with app.app_context():
        again = retry(get_job(_connector(), failed.job_id))  # in-process jobs: it runs now
        db.session.refresh(again)
        assert again.sync_type == "retry" and again.status == "completed" and again.created_count == 4
    assert len(sandbox.listings("For Sale")) == 4


def test_a_listing_a_lost_answer_hid_is_adopted_not_duplicated(discogs_shop):
    app, sandbox = discogs_shop
    client = MarketplaceClient(DISCOGS_TOKEN, user_agent=AGENT, api_base=sandbox.base_url)
    with app.app_context():
        create_connector(discogs_connector_payload(sandbox), test=False)
        key = db.session.scalar(select(ItemVariation.ecs_id).join(Item).where(Item.artist == "Can")) + "#1"
    # Discogs made this listing, but its answer never reached us (a timeout): the key is on it.
    orphan = client.create_listing({"release_id": 1002, "condition": "Near Mint (NM or M-)", "price": 1.0,
                                    "status": "For Sale", "external_id": key})
    job = _full_sync(app)
    assert job.created_count == 3 and job.updated_count == 1
    assert len(sandbox.listings()) == 4
    assert sandbox.market.listings[orphan]["price"] == 32.99
    with app.app_context():
        adopted = db.session.scalar(select(ChannelListing.listing_id).where(ChannelListing.offer_key == key))
        assert adopted == str(orphan)


def test_a_price_edited_on_discogs_raises_a_conflict_that_staff_resolve(discogs_shop):
    app, sandbox = discogs_shop
    with app.app_context():
        create_connector(discogs_connector_payload(sandbox), test=False)
    _full_sync(app)
    target = next(row for row in sandbox.listings() if row["price"] == 40.0)
    sandbox.control("POST", f"/_sandbox/listings/{target['id']}", {"price": 45.0})  # the seller, on discogs.com
    with app.app_context():
        variation = db.session.scalar(select(ItemVariation).join(Item).where(Item.artist == "Sun Ra"))
        variation.price_amount = 3800  # and our price changed too
        db.session.commit()
        job = start_sync(_connector(), "incremental", run_now=True)
        db.session.refresh(job)
        assert job.conflicts_count == 1
        conflict = db.session.scalar(select(ChannelConflict))
        assert conflict.fields["price_amount"]["channel"] == 4500 and conflict.fields["price_amount"]["pim"] == 3800
        assert sandbox.market.listings[target["id"]]["price"] == 45.0  # left alone until resolved
        resolve_conflict(_connector(), conflict, "pim_wins", {}, actor_label="test")
    assert sandbox.market.listings[target["id"]]["price"] == 38.0


def test_the_token_never_shows_in_answers_pages_logs_jobs_or_the_inbox(discogs_shop, caplog):
    app, sandbox = discogs_shop
    caplog.set_level(logging.DEBUG)
    staff = make_staff(app, "dg-admin@example.com", role="admin")
    headers = bearer(app, staff)
    client = app.test_client()
    created = client.post(API, json=discogs_connector_payload(sandbox), headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["data"]["credentials"] == {"token": "set"}
    sandbox.control("PUT", "/_sandbox/faults", {"rules": [
        {"path_prefix": "/marketplace/listings", "method": "POST", "kind": "server_error", "status": 500,
         "times": 2}]})
    answers = [created.get_data(as_text=True)]
    answers += [client.get(f"{API}{path}", headers=headers).get_data(as_text=True)
                for path in ("", "/discogs", "/discogs/mappings")]
    answers.append(client.post(f"{API}/discogs/test", headers=headers).get_data(as_text=True))
    synced = client.post(f"{API}/discogs/sync", json={"sync_type": "full"}, headers=headers)
    answers.append(synced.get_data(as_text=True))
    answers.append(client.get(f"{API}/discogs/sync", headers=headers).get_data(as_text=True))
    sandbox.control("POST", "/_sandbox/buy", {"listing_ids": [sandbox.listings("For Sale")[0]["id"]]})
    with app.app_context():
        poll_all()  # the sale goes through the inbox (its payload is what the DLQ would hold)
    browser = app.test_client()
    login(browser, staff)
    answers += [browser.get(path).get_data(as_text=True) for path in ("/staff/channels", "/staff/channels/discogs")]
    with app.app_context():
        stored = [json.dumps(row.failures) for row in db.session.scalars(select(ChannelSyncJob))]
        stored += [json.dumps(row.payload) for row in db.session.scalars(select(WebhookEvent))]
        stored += [json.dumps(row.details) for row in db.session.scalars(select(AuditEntry))]
        assert any("CHN-021" in text for text in stored)  # the failures were recorded…
        assert any("channel-sale" in row.event_id for row in db.session.scalars(select(WebhookEvent)))
    logged = [record.getMessage() + (record.exc_text or "") for record in caplog.records]
    haystack = "\n".join(answers + stored + logged)
    assert DISCOGS_TOKEN not in haystack  # …and the token is in none of it


def test_merch_is_not_offered_on_discogs_and_is_no_failure(discogs_shop):
    app, sandbox = discogs_shop
    with app.app_context():
        stock(make_item(artist="", title="Groove Cellar tote bag", format="", price=1800), 3, grade="")
        db.session.commit()
        give_release_ids()  # even with an id, a tote bag is not a release
        create_connector(discogs_connector_payload(sandbox), test=False)
    job = _full_sync(app)
    assert job.status == "completed" and job.failed_count == 0 and job.created_count == 4
    assert all(row["price"] != 18.0 for row in sandbox.listings())
