"""Cover images from the ECS, over HTTP: the sandbox's CatalogImage objects, synced onto items,
served resized by the shop's media route and shown on cards and product pages."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup
from flask import Flask
from PIL import Image
from sqlalchemy import select

from storefront.catalog import revision as catalog_revision
from storefront.catalog.models import Item, ItemDetail
from storefront.extensions import db
from tests.support.ecs import SANDBOX_TOKEN, Sandbox, ecs_config
from tests.support.live_server import live_server
from tests.support.sync import run_sync

Shop = tuple[Flask, str]


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


@pytest.fixture
def shop(make_app, sandbox: Sandbox) -> Iterator[Shop]:
    """The storefront on a real socket after a full sync from the sandbox (no webhooks: syncs run
    only when a test asks)."""
    def build(base_url: str) -> Flask:
        return make_app(**ecs_config(sandbox), SERVER_NAME=None, PUBLIC_BASE_URL=base_url,
                        PREFERRED_URL_SCHEME="http")

    with live_server(build) as (app, base_url), app.app_context():
        run = run_sync("full")
        assert run.status == "succeeded", run.message
        yield app, base_url


def ecs_items(sandbox: Sandbox) -> dict[str, dict]:
    """The sandbox's live ITEM objects by id, read from its Square API."""
    items, cursor = {}, None
    while True:
        response = requests.get(f"{sandbox.base_url}/v2/catalog/list", timeout=30,
                                params={"types": "ITEM", **({"cursor": cursor} if cursor else {})},
                                headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"})
        body = response.json()
        items.update((o["id"], o) for o in body.get("objects", []) if not o.get("is_deleted"))
        cursor = body.get("cursor")
        if not cursor:
            return items


def expected_refs(obj: dict) -> list[tuple[str, str]]:
    data = obj["item_data"]
    refs = [(i, "") for i in data.get("image_ids") or []]
    for variation in data["variations"]:
        refs += [(i, variation["id"]) for i in variation["item_variation_data"].get("image_ids") or []]
    return refs


def a_record(with_variation_image: bool = False) -> Item:
    for item in db.session.scalars(select(Item).where(Item.kind == "record", Item.is_deleted.is_(False))
                                   .order_by(Item.id)):
        if len(item.ecs_images) == (2 if with_variation_image else 1):
            return item
    raise AssertionError("the demo catalog has no such record")


def test_a_full_sync_stores_every_items_images_in_order(shop, sandbox):
    remote = ecs_items(sandbox)
    items = db.session.scalars(select(Item).where(Item.is_deleted.is_(False))).all()
    with_images = [i for i in items if i.ecs_images]
    assert len(with_images) >= 40 and any(len(i.ecs_images) > 1 for i in items)
    for item in items:
        stored = [(i["id"], i.get("variation_id", "")) for i in item.ecs_images]
        assert stored == expected_refs(remote[item.ecs_id])
        for image in item.ecs_images:
            assert image["url"] == f"{sandbox.base_url}/images/{image['id']}.jpg"


def test_the_sandbox_serves_a_different_sleeve_per_release(shop, sandbox):
    first, second = [a_record().ecs_images[0]["url"],
                     a_record(with_variation_image=True).ecs_images[0]["url"]]
    covers = [requests.get(url, timeout=30) for url in (first, second)]
    assert [c.headers["Content-Type"] for c in covers] == ["image/jpeg", "image/jpeg"]
    assert covers[0].content != covers[1].content
    assert Image.open(io.BytesIO(covers[0].content)).size == (600, 600)
    again = requests.get(first, headers={"If-None-Match": covers[0].headers["ETag"]}, timeout=30)
    assert again.status_code == 304


def test_cards_show_covers_with_dimensions_srcset_and_lazy_loading(shop):
    _app, base = shop
    response = requests.get(f"{base}/catalog", timeout=30)
    assert response.status_code == 200
    cards = soup(response.text).select("li.product-card")
    images = [card.select_one("img.cover") for card in cards]
    assert cards and all(images)
    # The first cover is what a phone paints largest: fetched at once; the rest lazily.
    assert images[0].get("fetchpriority") == "high" and not images[0].has_attr("loading")
    for img in images:
        assert img["src"].startswith("/media/ecs/") and img["src"].endswith("/320.jpg")
        assert (img["width"], img["height"]) == ("320", "320")
        assert img is images[0] or img["loading"] == "lazy"
        assert [part.split()[1] for part in img["srcset"].split(", ")] == ["160w", "320w", "640w"]
        assert img["sizes"] and img["alt"].startswith("Cover of ")
    policy = response.headers["Content-Security-Policy"]
    assert "img-src 'self'" in policy  # the covers are the shop's own URLs


def test_the_product_page_leads_with_its_cover_eagerly_and_shows_the_variation_sleeve(shop):
    _app, base = shop
    item = a_record(with_variation_image=True)
    page = soup(requests.get(f"{base}/catalog/{item.id}", timeout=30).text)
    main, extra = page.select(".product-media img")
    assert main["src"] == f"/media/ecs/{item.ecs_images[0]['id']}/640.jpg"
    assert (main["width"], main["height"], main["loading"]) == ("640", "640", "eager")
    assert "640w" in main["srcset"] and main["sizes"]
    assert extra["src"].startswith(f"/media/ecs/{item.ecs_images[1]['id']}/")
    assert extra["loading"] == "lazy" and "sleeve" in extra["alt"]
    for img in (main, extra):
        assert requests.get(base + img["src"], timeout=30).status_code == 200


def test_the_media_route_resizes_by_content_and_caches_immutably(shop):
    app, base = shop
    image_id = a_record().ecs_images[0]["id"]
    for width in (160, 320, 640):
        response = requests.get(f"{base}/media/ecs/{image_id}/{width}.jpg", timeout=30)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "image/jpeg"
        assert "immutable" in response.headers["Cache-Control"]
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert Image.open(io.BytesIO(response.content)).size == (width, width)
    etag = response.headers["ETag"]
    again = requests.get(f"{base}/media/ecs/{image_id}/640.jpg", headers={"If-None-Match": etag}, timeout=30)
    assert again.status_code == 304 and not again.content
    cached = Path(app.instance_path) / "media-cache" / "ecs" / image_id
    assert sorted(p.name for p in cached.iterdir()) == ["160.jpg", "320.jpg", "640.jpg", "source"]


@pytest.mark.parametrize("path, status", [
    ("/media/ecs/NOSUCHIMAGE0000000000000/320.jpg", 404),  # not in the catalog
    ("/media/ecs/{id}/500.jpg", 400),  # not an allowed width
    ("/media/ecs/{id}/0.jpg", 400),
    ("/media/ecs/{id}.x/320.jpg", 404),  # not an id's shape
    ("/media/ecs/..%2F..%2Fapp/320.jpg", 404),  # never matches the route
    ("/media/ecs/https%3A%2F%2Fexample.com%2Fx.png/320.jpg", 404),  # a URL is never an id
])
def test_the_media_route_refuses_what_the_catalog_does_not_reference(shop, path, status):
    _app, base = shop
    response = requests.get(base + path.format(id=a_record().ecs_images[0]["id"]), timeout=30)
    assert response.status_code == status
    assert response.text.strip()
    if "%2F" not in path:  # the route's own answers say why in plain text
        assert response.headers["Content-Type"].startswith("text/plain")
        assert "no-store" in response.headers["Cache-Control"]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 600), (200, 40, 90)).save(out, "PNG")
    return out.getvalue()


class _LyingHandler(BaseHTTPRequestHandler):
    """Answers with HTML that claims to be a JPEG, except /real.html: a PNG that claims to be HTML."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        real = self.path.startswith("/real")
        body = _png() if real else b"<!doctype html><html><body><script>alert(1)</script></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if real else "image/jpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def html_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LyingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_body_that_is_not_an_image_is_refused_with_a_4xx(shop, sandbox, html_server):
    _app, base = shop
    item = a_record()
    changed = sandbox.control("POST", f"catalog/{item.ecs_id}/image", json={"url": f"{html_server}/cover.jpg"})
    assert run_sync("incremental").status == "succeeded"
    new_id = changed["objects"][0]["id"]
    db.session.refresh(item)
    assert item.ecs_images[0] == {"id": new_id, "url": f"{html_server}/cover.jpg"}
    for _ in range(2):  # refused again, never cached as a picture
        response = requests.get(f"{base}/media/ecs/{new_id}/320.jpg", timeout=30)
        assert response.status_code == 415
        assert "not an image" in response.text


def test_the_content_decides_not_the_name_or_content_type(shop, sandbox, html_server):
    _app, base = shop
    changed = sandbox.control("POST", f"catalog/{a_record().ecs_id}/image", json={"url": f"{html_server}/real.html"})
    assert run_sync("incremental").status == "succeeded"
    response = requests.get(f"{base}/media/ecs/{changed['objects'][0]['id']}/160.jpg", timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(response.content))
    assert (picture.format, picture.size) == ("JPEG", (160, 160))  # a 900×600 PNG, cut square


def test_an_incremental_sync_after_an_image_change_shows_the_new_cover(shop, sandbox):
    _app, base = shop
    item = a_record()
    old_id = item.ecs_images[0]["id"]
    changed = sandbox.control("POST", f"catalog/{item.ecs_id}/image", json={})
    new_id = changed["objects"][0]["id"]
    assert new_id != old_id
    run = run_sync("incremental")
    assert run.status == "succeeded", run.message
    page = requests.get(f"{base}/catalog/{item.id}", timeout=30).text
    assert f"/media/ecs/{new_id}/640.jpg" in page and old_id not in page
    listing = requests.get(f"{base}/catalog", params={"q": item.title}, timeout=30).text
    assert f"/media/ecs/{new_id}/320.jpg" in listing
    cover = requests.get(f"{base}/media/ecs/{new_id}/320.jpg", timeout=30)
    assert cover.status_code == 200 and Image.open(io.BytesIO(cover.content)).size == (320, 320)
    assert requests.get(f"{base}/media/ecs/{old_id}/320.jpg", timeout=30).status_code == 404  # never fetched


def test_enrichment_images_are_the_fallback_and_the_placeholder_stays_without_any(shop):
    _app, base = shop
    with_enrichment, bare = [i for i in db.session.scalars(select(Item).where(Item.kind == "record")
                                                           .order_by(Item.id)) if i.ecs_images][:2]
    with_enrichment.ecs_images, bare.ecs_images = [], []
    db.session.add(ItemDetail(item_id=with_enrichment.id, images=[
        {"type": "primary", "uri": "https://i.discogs.com/cover.jpg", "uri150": "https://i.discogs.com/cover-150.jpg",
         "width": 600, "height": 600}]))
    db.session.commit()
    catalog_revision.bump()
    db.session.commit()
    page = soup(requests.get(f"{base}/catalog/{with_enrichment.id}", timeout=30).text)
    img = page.select_one(".product-media img")
    assert (img["src"], img["width"], img["height"]) == ("https://i.discogs.com/cover.jpg", "600", "600")
    assert not img.get("srcset")
    page = soup(requests.get(f"{base}/catalog/{bare.id}", timeout=30).text)
    assert not page.select(".product-media img") and page.select(".product-media .cover-placeholder")
    # With ECS images too, the ECS's cover leads and the staff's picture follows it.
    with_enrichment.ecs_images = [{"id": "IMG1", "url": "https://x.test/1.jpg"}]
    db.session.commit()
    catalog_revision.bump()
    db.session.commit()
    page = soup(requests.get(f"{base}/catalog/{with_enrichment.id}", timeout=30).text)
    assert [i["src"] for i in page.select(".product-media img")] == ["/media/ecs/IMG1/640.jpg",
                                                                    "https://i.discogs.com/cover.jpg"]
    listing = soup(requests.get(f"{base}/catalog", params={"q": bare.title}, timeout=30).text)
    card = listing.select_one(f'li.product-card[data-item-id="{bare.id}"]')
    assert card.select_one(".cover-placeholder") and not card.select("img")
