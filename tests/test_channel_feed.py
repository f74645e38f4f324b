"""The Google product feed: its attributes, formats and skipped offers; the feed URL with its
opaque token, ETag and 304; and the back-office pages that run the connector."""

from __future__ import annotations

import csv
import io
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from storefront.channels.adapters import Offer
from storefront.channels.google_feed import G_NS, build_feed, google_price, valid_gtin
from storefront.channels.models import ChannelConnector, ChannelSyncJob
from storefront.extensions import db
from tests.support.accounts import bearer, login, make_staff
from tests.support.channels import API
from tests.support.pages import csrf_token, soup


def offer(**fields) -> Offer:
    base = {"key": "VAR1#1", "item_id": 1, "variation_id": 1, "title": "Can – Tago Mago", "artist": "Can",
            "release_title": "Tago Mago", "description": "Double LP.", "price_amount": 3200, "currency": "USD",
            "media_grade": "VG+", "sleeve_grade": "VG", "condition": "used", "barcode": "4006381333931",
            "label": "United Artists", "catalog_number": "UAS 29 211", "format": "LP", "genres": ("Rock",),
            "image_url": "https://shop.example/media/x/600.jpg", "link": "https://shop.example/catalog/1/can"}
    return Offer(**{**base, **fields})


def items(body: bytes) -> list[dict[str, str]]:
    root = ET.fromstring(body)
    return [{child.tag.replace(f"{{{G_NS}}}", ""): child.text for child in item} for item in root.iter("item")]


def test_xml_feed_has_googles_attributes():
    result = build_feed([offer()], fmt="xml", shop_title="Groove Cellar", shop_link="https://shop.example")
    assert result.content_type.startswith("application/xml") and result.included == 1
    (entry,) = items(result.body)
    assert entry["id"] == "VAR1#1" and entry["availability"] == "in_stock" and entry["price"] == "32.00 USD"
    assert entry["condition"] == "used" and entry["gtin"] == "4006381333931"
    assert entry["google_product_category"] == "855" and entry["product_type"] == "Music > LP > Rock"
    assert "Media: VG+, Sleeve: VG" in entry["description"]
    assert "identifier_exists" not in entry


def test_no_valid_gtin_and_no_mpn_means_identifier_exists_no():
    (entry,) = items(build_feed([offer(barcode="123", catalog_number="")], fmt="xml", shop_title="S",
                                shop_link="https://s").body)
    assert "gtin" not in entry and entry["identifier_exists"] == "no"


@pytest.mark.parametrize("amount, currency, expected", [(1250, "USD", "12.50 USD"), (1999, "JPY", "1999 JPY"),
                                                        (12500, "KWD", "12.500 KWD")])
def test_prices_use_the_currencys_decimals(amount, currency, expected):
    assert google_price(amount, currency) == expected


def test_gtin_check_digits():
    assert valid_gtin("4006381333931") and valid_gtin("036000291452") and valid_gtin("96385074")
    assert not valid_gtin("4006381333932") and not valid_gtin("abc") and not valid_gtin("12345")


def test_offers_google_would_refuse_are_skipped_with_reasons():
    result = build_feed([offer(), offer(key="VAR2#1", image_url="")], fmt="xml", shop_title="S", shop_link="https://s")
    assert result.included == 1 and result.skipped == [("VAR2#1", ["CHN-010: image_link is required"])]


def test_hostile_text_stays_well_formed_and_one_line():
    nasty = offer(title="<script>alert(1)</script> ]]> \x01\x0b tab\there", description="line\nbreak\r\n\tx")
    entry = items(build_feed([nasty], fmt="xml", shop_title="S", shop_link="https://s").body)[0]
    assert entry["title"] == "<script>alert(1)</script> ]]> tab here"
    rows = list(csv.reader(io.StringIO(build_feed([nasty], fmt="tsv", shop_title="S",
                                                  shop_link="https://s").body.decode()), delimiter="\t"))
    assert len(rows) == 2 and rows[0][0] == "id" and rows[1][2] == "line break x Media: VG+, Sleeve: VG"


def test_long_titles_are_cut_on_a_word_and_the_etag_follows_the_content():
    long = offer(title="word " * 60)
    entry = items(build_feed([long], fmt="xml", shop_title="S", shop_link="https://s").body)[0]
    assert len(entry["title"]) <= 150 and not entry["title"].endswith(" ")
    one = build_feed([offer()], fmt="xml", shop_title="S", shop_link="https://s")
    assert one.etag == build_feed([offer()], fmt="xml", shop_title="S", shop_link="https://s").etag
    assert one.etag != build_feed([offer(price_amount=3300)], fmt="xml", shop_title="S", shop_link="https://s").etag


@pytest.fixture
def feed_shop(shop):
    headers = bearer(shop, make_staff(shop, "feed-admin@example.com", role="admin"))
    client = shop.test_client()
    created = client.post(API, json={"code": "google", "name": "Google", "channel_type": "google_feed"},
                          headers=headers)
    assert created.status_code == 201
    return shop, headers, created.get_json()["data"]["feed_url"]


def test_the_feed_url_serves_the_synced_copies_with_an_etag(feed_shop):
    shop, headers, url = feed_shop
    client = shop.test_client()
    path = url.replace("https://shop.example", "")
    assert items(client.get(path).data) == []  # nothing synced yet
    client.post(f"{API}/google/sync", json={"sync_type": "full"}, headers=headers)
    with shop.app_context():
        # the factory records have no cover: give them one so Google would take them
        from storefront.catalog.models import Item
        for item in db.session.scalars(select(Item)):
            item.ecs_images = [{"id": f"IMG{item.id}"}]
        db.session.commit()
    client.post(f"{API}/google/sync", json={"sync_type": "full"}, headers=headers)
    response = client.get(path)
    assert response.status_code == 200 and response.headers["ETag"]
    entries = items(response.data)
    assert len(entries) == 3 and len({e["id"] for e in entries}) == 3
    assert all(e["image_link"].startswith("https://shop.example/media/") for e in entries)
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    tsv = client.get(path.replace(".xml", ".tsv"))
    assert tsv.status_code == 200 and tsv.data.decode().count("\n") == 4


def test_a_wrong_token_or_format_is_a_404(feed_shop):
    shop, _headers, url = feed_shop
    client = shop.test_client()
    assert client.get("/feeds/google/not-the-token.xml").status_code == 404
    assert client.get(url.replace("https://shop.example", "").replace(".xml", ".pdf")).status_code == 404


def test_the_back_office_connects_syncs_and_shows_the_connector(shop):
    admin = make_staff(shop, "bo-admin@example.com", role="admin")
    client = shop.test_client()
    login(client, admin)
    page = soup(client.get("/staff/channels/"))
    assert page.select_one("form.channel-form") is not None
    token = page.select_one("input[name=csrf_token]")["value"]
    bad = client.post("/staff/channels/", data={"csrf_token": token, "channel_type": "google_feed", "code": "X X",
                                                "name": ""})
    assert bad.status_code == 422 and soup(bad).select(".field-error")
    made = client.post("/staff/channels/", data={"csrf_token": token, "channel_type": "google_feed",
                                                 "code": "google", "name": "Google Shopping",
                                                 "settings.format": "xml"})
    assert made.status_code == 303 and made.headers["Location"].endswith("/staff/channels/google")
    synced = client.post("/staff/channels/google/sync", data={"csrf_token": token, "sync_type": "full"},
                         headers={"HX-Request": "true"})
    assert synced.status_code == 200 and "3 of 3 copies" in soup(synced).get_text(" ", strip=True)
    detail = soup(client.get("/staff/channels/google"))
    assert detail.select_one(".listed-count").get_text(strip=True) == "3"
    assert detail.select_one(".feed-url").get_text().startswith("https://shop.example/feeds/google/")
    assert client.post("/staff/channels/google/sync", data={"sync_type": "full"}).status_code == 400  # no CSRF


def test_staff_see_the_channels_but_cannot_change_them(shop):
    clerk = make_staff(shop, "bo-clerk@example.com", role="staff")
    with shop.app_context():
        db.session.add(ChannelConnector(code="google", name="Google", channel_type="google_feed", settings={},
                                        mappings={}, credentials="", feed_token="tok"))
        db.session.commit()
    client = shop.test_client()
    login(client, clerk)
    page = soup(client.get("/staff/channels/"))
    assert page.select_one("form.channel-form") is None and "Google" in page.get_text()
    assert soup(client.get("/staff/channels/google")).select_one("form[action$='/sync']") is None
    data = {"csrf_token": csrf_token(client, "/"), "sync_type": "full"}  # a valid token: only the role refuses
    assert client.post("/staff/channels/google/sync", data=data).status_code == 403
    with shop.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ChannelSyncJob)) == 0
