"""The channel-connector core over the Google product feed connector (no network channel needed):
connectors with write-only encrypted credentials, mappings, sync jobs with counts, CHN codes,
permissions by role, and the API's own error shapes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from storefront.audit.models import AuditEntry
from storefront.catalog.models import StockLevel
from storefront.channels import vault
from storefront.channels.mappings import price_for, title_for, validate
from storefront.channels.models import ChannelConnector, ChannelListing, ChannelSyncJob
from storefront.extensions import db
from tests.support.accounts import bearer, make_staff
from tests.support.channels import API


@pytest.fixture
def admin(shop):
    return bearer(shop, make_staff(shop, "chan-admin@example.com", role="admin"))


@pytest.fixture
def clerk(shop):
    return bearer(shop, make_staff(shop, "chan-clerk@example.com", role="staff"))


def create_feed(client, headers, code: str = "google", **extra):
    body = {"code": code, "name": "Google Shopping", "channel_type": "google_feed", **extra}
    return client.post(API, json=body, headers=headers)


def test_a_feed_connector_is_created_tested_and_listed(shop, admin):
    client = shop.test_client()
    created = create_feed(client, admin)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["data"]["code"] == "google" and body["data"]["status"] == "active"
    assert body["test_result"]["success"] is True
    assert body["data"]["feed_url"].startswith("https://shop.example/feeds/google/")
    assert created.headers["Location"].endswith(f"{API}/google")
    listing = client.get(API, headers=admin, query_string={"channel_type": "google_feed"}).get_json()
    assert [c["code"] for c in listing["data"]] == ["google"]
    assert listing["meta"] == {"current_page": 1, "last_page": 1, "per_page": 20, "total": 1}
    assert client.get(API, headers=admin, query_string={"channel_type": "shopify"}).get_json()["meta"]["total"] == 0


def test_validation_errors_use_the_connector_api_shape_and_change_nothing(shop, admin):
    client = shop.test_client()
    bad = client.post(API, json={"code": "Bad Code!", "channel_type": "google_feed", "name": "",
                                 "settings": {"format": "pdf"}, "mappings": {"title_template": "{nope}"}},
                      headers=admin)
    assert bad.status_code == 422
    body = bad.get_json()
    assert body["message"] == "The given data was invalid."
    assert set(body["errors"]) >= {"code", "name", "settings.format", "mappings.title_template"}
    assert all(isinstance(v, list) and v for v in body["errors"].values())
    unknown = client.post(API, json={"code": "x1", "channel_type": "ebay", "name": "n"}, headers=admin)
    assert unknown.status_code == 422 and "channel_type" in unknown.get_json()["errors"]
    extra = client.post(API, json={"code": "gf", "channel_type": "google_feed", "name": "Feed",
                                   "credentials": {"token": "x"}}, headers=admin)
    assert extra.status_code == 422 and "credentials.token" in extra.get_json()["errors"]
    with shop.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ChannelConnector)) == 0


def test_a_duplicate_code_is_chn_002_and_an_unknown_one_chn_001(shop, admin):
    client = shop.test_client()
    assert create_feed(client, admin).status_code == 201
    again = create_feed(client, admin)
    assert again.status_code == 409 and again.get_json()["error_code"] == "CHN-002"
    missing = client.get(f"{API}/nope", headers=admin)
    assert missing.status_code == 404 and missing.get_json()["error_code"] == "CHN-001"


def test_credentials_are_encrypted_at_rest_and_never_returned(shop, admin):
    secret = "discogs-TOKEN-abc123-very-secret"
    with shop.app_context():  # a Discogs connector whose API root answers nothing (port 9: discard)
        db.session.add(ChannelConnector(code="dg", name="Discogs", channel_type="discogs",
                                        settings={"api_base": "http://127.0.0.1:9"},
                                        mappings={}, credentials=vault.seal({"token": secret})))
        db.session.commit()
        stored = db.session.scalar(select(ChannelConnector.credentials).where(ChannelConnector.code == "dg"))
        assert secret not in stored and vault.unseal(stored) == {"token": secret}
    client = shop.test_client()
    for response in (client.get(f"{API}/dg", headers=admin), client.get(API, headers=admin),
                     client.patch(f"{API}/dg", json={"credentials": {"token": "new-secret-value"}}, headers=admin),
                     client.post(f"{API}/dg/test", headers=admin)):
        assert response.status_code == 200, response.get_json()
        assert secret not in response.get_data(as_text=True)
        assert "new-secret-value" not in response.get_data(as_text=True)
    assert client.get(f"{API}/dg", headers=admin).get_json()["data"]["credentials"] == {"token": "set"}
    tested = client.post(f"{API}/dg/test", headers=admin).get_json()
    assert tested["success"] is False and tested["error_code"] == "CHN-021"
    with shop.app_context():
        stored = db.session.scalar(select(ChannelConnector.credentials).where(ChannelConnector.code == "dg"))
        assert vault.unseal(stored) == {"token": "new-secret-value"}
        audit_rows = db.session.scalars(select(AuditEntry)).all()
        assert {row.action for row in audit_rows} >= {"channel.connector.updated"}
        assert all(secret not in json.dumps(row.details) and "new-secret-value" not in json.dumps(row.details)
                   for row in audit_rows)


def test_a_malformed_channel_url_is_a_422_not_a_500(shop, admin):
    with shop.app_context():
        db.session.add(ChannelConnector(code="sh", name="Shopify", channel_type="shopify", settings={},
                                        mappings={}, credentials=""))
        db.session.commit()
    response = shop.test_client().patch(f"{API}/sh", json={"settings": {"base_url": "http://["}}, headers=admin)
    assert response.status_code == 422 and "settings.base_url" in response.get_json()["errors"]


def test_keys_rotate_old_ciphertext_still_reads(shop):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with shop.app_context():
        shop.config["CHANNEL_CREDENTIAL_KEYS"] = [old]
        sealed = vault.seal({"token": "t"})
        shop.config["CHANNEL_CREDENTIAL_KEYS"] = [new, old]
        assert vault.unseal(sealed) == {"token": "t"}
        rotated = vault.rotate(sealed)
        shop.config["CHANNEL_CREDENTIAL_KEYS"] = [new]
        assert vault.unseal(rotated) == {"token": "t"}
        with pytest.raises(vault.CredentialsUnreadable):
            vault.unseal(sealed)


def test_staff_may_look_but_only_admins_change(shop, admin, clerk):
    client = shop.test_client()
    refused = create_feed(client, clerk)
    assert refused.status_code == 403
    assert refused.get_json()["required_permission"] == "channel_connector.connectors.create"
    assert create_feed(client, admin).status_code == 201
    assert client.get(f"{API}/google", headers=clerk).status_code == 200
    assert client.post(f"{API}/google/sync", json={}, headers=clerk).status_code == 403
    assert client.get(API).status_code == 401


def test_a_full_sync_lists_every_copy_in_stock_exactly_once(shop, admin):
    client = shop.test_client()
    create_feed(client, admin)
    started = client.post(f"{API}/google/sync", json={"sync_type": "full"}, headers=admin)
    assert started.status_code == 202
    body = started.get_json()
    assert set(body) == {"job_id", "status", "sync_type", "estimated_products", "queue_position"}
    assert body["sync_type"] == "full" and body["estimated_products"] == 3
    job = client.get(f"{API}/google/sync/{body['job_id']}", headers=admin).get_json()
    assert job["status"] == "completed"
    assert job["counts"]["created"] == 3 and job["counts"]["failed"] == 0
    assert job["error_summary"] == {"total": 0, "by_code": []}
    with shop.app_context():
        keys = db.session.scalars(select(ChannelListing.offer_key).where(ChannelListing.status == "listed")).all()
    assert len(keys) == len(set(keys)) == 3  # two copies of one record, one of the other, none of the sold-out
    again = client.post(f"{API}/google/sync", json={"sync_type": "incremental"}, headers=admin).get_json()
    assert client.get(f"{API}/google/sync/{again['job_id']}", headers=admin).get_json()["counts"]["created"] == 0


def test_a_copy_leaving_stock_is_withdrawn_by_the_next_incremental_sync(shop, admin):
    client = shop.test_client()
    create_feed(client, admin)
    client.post(f"{API}/google/sync", json={"sync_type": "full"}, headers=admin)
    with shop.app_context():
        db.session.execute(update(StockLevel).where(StockLevel.quantity == 2).values(quantity=1))
        db.session.commit()
    job = client.post(f"{API}/google/sync", json={"sync_type": "incremental"}, headers=admin).get_json()
    done = client.get(f"{API}/google/sync/{job['job_id']}", headers=admin).get_json()
    assert done["counts"]["withdrawn"] == 1
    with shop.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ChannelListing)
                                 .where(ChannelListing.status == "listed")) == 2


def test_a_second_sync_while_one_runs_is_chn_090(shop, admin):
    client = shop.test_client()
    create_feed(client, admin)
    with shop.app_context():
        connector = db.session.scalar(select(ChannelConnector))
        db.session.add(ChannelSyncJob(job_id="held", connector_id=connector.id, active=connector.id,
                                      sync_type="full", status="running"))
        db.session.commit()
    busy = client.post(f"{API}/google/sync", json={"sync_type": "full"}, headers=admin)
    assert busy.status_code == 409 and busy.get_json()["error_code"] == "CHN-090"


def test_a_bad_sync_request_is_422_in_the_api_shape(shop, admin):
    client = shop.test_client()
    create_feed(client, admin)
    for payload, field in (({"sync_type": "sideways"}, "sync_type"), ({"sync_type": "products"}, "product_ids"),
                           ({"sync_type": "full", "product_ids": ["a"]}, "product_ids")):
        response = client.post(f"{API}/google/sync", json=payload, headers=admin)
        assert response.status_code == 422 and field in response.get_json()["errors"]
    assert client.post(f"{API}/google/sync", data="not json", content_type="application/json",
                       headers=admin).status_code == 422


def test_a_retry_with_nothing_failed_is_chn_061(shop, admin):
    client = shop.test_client()
    create_feed(client, admin)
    job = client.post(f"{API}/google/sync", json={"sync_type": "full"}, headers=admin).get_json()
    retry = client.post(f"{API}/google/sync/{job['job_id']}/retry", headers=admin)
    assert retry.status_code == 422 and retry.get_json()["error_code"] == "CHN-061"
    assert client.get(f"{API}/google/sync/nope", headers=admin).get_json()["error_code"] == "CHN-060"


def test_mappings_are_validated_saved_and_applied(shop, admin):
    client = shop.test_client()
    create_feed(client, admin)
    bad = client.put(f"{API}/google/mappings", json={"price": {"rounding": "x.95"}, "locale_map": {"en": 3}},
                     headers=admin)
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"price.rounding", "locale_map"}
    mapping = {"title_template": "{artist} – {title} ({media_grade})",
               "price": {"tax_inclusive_rate": 20, "rounding": "x.99"}, "locale_map": {"en_US": "en-GB"}}
    saved = client.put(f"{API}/google/mappings", json=mapping, headers=admin)
    assert saved.status_code == 200
    assert client.get(f"{API}/google/mappings", headers=admin).get_json()["data"]["price"]["rounding"] == "x.99"


def test_price_and_title_transformations():
    mapping, errors = validate({"price": {"tax_inclusive_rate": 20, "rounding": "x.99"}})
    assert errors == {}
    assert price_for(2500, mapping) == 2999      # 25.00 + 20 % = 30.00 → the nearest .99
    assert price_for(2400, mapping) == 2899      # 28.80 → 28.99
    assert price_for(1999, validate({"price": {"rounding": "whole"}})[0]) == 2000
    assert price_for(1999, validate({})[0]) == 1999
    assert price_for(1500, validate({"price": {"rounding": "x.99"}})[0], exponent=0) == 1500
    assert price_for(1249, validate({"price": {"rounding": "x.49"}})[0]) == 1249
    assert price_for(1260, validate({"price": {"rounding": "x.49"}})[0]) == 1249
    assert price_for(40, validate({"price": {"rounding": "x.99"}})[0]) == 99
    title = title_for({"artist": "Can", "title": "Tago Mago", "media_grade": ""},
                      validate({"title_template": "{artist} – {title} ({media_grade})"})[0])
    assert title == "Can – Tago Mago"


def test_a_catalog_change_pushes_an_incremental_sync_to_each_connector(shop, admin):
    from storefront.catalog import revision
    from storefront.channels.automation import push_catalog_changes

    client = shop.test_client()
    create_feed(client, admin)
    client.post(f"{API}/google/sync", json={"sync_type": "full"}, headers=admin)
    with shop.app_context():
        db.session.execute(update(StockLevel).where(StockLevel.quantity == 1).values(quantity=0))
        revision.bump()
        db.session.commit()  # after the commit the push job runs (in-process jobs here) …
        jobs = db.session.scalars(select(ChannelSyncJob).order_by(ChannelSyncJob.id)).all()
        assert [j.sync_type for j in jobs] == ["full", "incremental"]
        assert jobs[-1].withdrawn_count == 1 and jobs[-1].status == "completed"
        assert push_catalog_changes() == {"google": "current"}  # … and nothing is left behind
