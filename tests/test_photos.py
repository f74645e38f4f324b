"""Staff photos: upload safety (by content), clean re-encoding, the pages' covers, the API, the back
office form, and the CatalogImage sent to the ECS sandbox over HTTP (CreateCatalogImage)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from storefront.catalog.models import Item, ItemDetail
from storefront.extensions import db
from storefront.photos.models import ItemPhoto
from storefront.photos.storage import storage
from tests.support.accounts import bearer, install_test_login, login, make_staff
from tests.support.ecs import ecs_config
from tests.support.pages import csrf_token, soup
from tests.support.sync import run_sync

GPS_TAG = 0x8825


def jpeg_with_gps(size: tuple[int, int] = (900, 700)) -> bytes:
    image = Image.new("RGB", size, (200, 60, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_TAG] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 7.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (400, 400), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 120, 200, 128) if mode == "RGBA" else (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def png_bomb(side: int = 20_000) -> bytes:
    """A real PNG header claiming side × side pixels of 1-bit grey (tiny on disk, 400 MP decoded)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + b"\x00" * (side // 8)
    raw = zlib.compress(row * 64, 9)  # only a few rows of data: the header is what must stop it
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


@pytest.fixture
def shop(make_app, sandbox, tmp_path):
    app = make_app(**ecs_config(sandbox))
    install_test_login(app)
    with app.app_context():
        run_sync("full")
        item = db.session.scalars(select(Item).where(Item.is_deleted.is_(False)).order_by(Item.id)).first()
        item_id, variation_id = item.id, item.variations[0].id
    staff = make_staff(app)
    return app, item_id, variation_id, staff


def upload(client, app, staff, item_id, data: bytes, name: str = "photo.jpg", **form):
    return client.post(f"/api/v1/staff/items/{item_id}/images", headers=bearer(app, staff),
                       data={"file": (io.BytesIO(data), name), **form}, content_type="multipart/form-data")


def stored_keys(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(ItemPhoto.key)))


def stored_files(app) -> list[Path]:
    root = Path(app.instance_path) / "photos"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("case", ["renamed_text", "polyglot_html", "polyglot_zip", "bomb", "svg", "too_big", "gif"])
def test_refused_uploads_store_nothing(shop, case):
    app, item_id, _variation_id, staff = shop
    jpeg = jpeg_with_gps()
    data, name, status, words = {
        "renamed_text": (b"#!/bin/sh\necho hello\n" * 50, "photo.jpg", 422, "not a JPEG, PNG or WebP"),
        "polyglot_html": (jpeg + b"<html><script>alert(1)</script></html>", "photo.jpg", 422, "polyglot"),
        "polyglot_zip": (jpeg + b"PK\x03\x04" + b"\x00" * 400, "photo.jpg", 422, "polyglot"),
        "bomb": (png_bomb(), "bomb.png", 422, "megapixels"),
        "svg": (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>', "a.svg", 422,
                "SVG"),
        "too_big": (jpeg + b"\x00" * (30 * 1024 * 1024), "huge.jpg", 413, "limited to 20 MB"),
        "gif": (Image.new("RGB", (50, 50)).tobytes(), "x.gif", 422, "not a JPEG"),
    }[case]
    if case == "gif":
        out = io.BytesIO()
        Image.new("RGB", (50, 50)).save(out, "GIF")
        data = out.getvalue()
    client = app.test_client()
    response = upload(client, app, staff, item_id, data, name)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert words in error["message"]
    assert stored_keys(app) == [] and stored_files(app) == []


def test_a_photo_is_re_encoded_without_metadata_and_cut_to_page_sizes(shop):
    app, item_id, variation_id, staff = shop
    client = app.test_client()
    response = upload(client, app, staff, item_id, jpeg_with_gps((3000, 2400)), "IMG_0001.JPG",
                      variation_id=str(variation_id), caption="  small   seam split ")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["variation_id"] == variation_id and body["caption"] == "small seam split"
    assert (body["width"], body["height"]) == (2000, 1600)  # at most 2,000 px on the long side
    full = client.get(body["url"])
    assert full.status_code == 200 and full.mimetype == "image/jpeg"
    assert "immutable" in full.headers["Cache-Control"]
    with Image.open(io.BytesIO(full.data)) as picture:
        exif = picture.getexif()
        assert GPS_TAG not in exif and not exif.get_ifd(GPS_TAG) and 0x010F not in exif
        assert "icc_profile" not in picture.info
    product = soup(client.get(f"/catalog/{item_id}", follow_redirects=True))
    beside = product.select(f'.variation[data-variation-id="{variation_id}"] .copy-photos img')
    assert len(beside) == 1 and body["url"].split("/")[3] in beside[0]["src"]  # shown beside its copy
    for width, url in body["thumbnails"].items():
        with Image.open(io.BytesIO(client.get(url).data)) as thumb:
            assert thumb.size == (int(width), int(width))
    assert client.get(body["url"], headers={"If-None-Match": full.headers["ETag"]}).status_code == 304
    # a transparent PNG comes out as a JPEG on white
    png = upload(client, app, staff, item_id, png_bytes(), "sleeve.png")
    assert png.status_code == 201
    with Image.open(io.BytesIO(client.get(png.get_json()["url"]).data)) as picture:
        assert picture.format == "JPEG" and picture.mode == "RGB"


def test_photo_goes_to_the_ecs_and_comes_back_as_the_same_cover(shop, sandbox):
    app, item_id, _variation_id, staff = shop
    client = app.test_client()
    body = upload(client, app, staff, item_id, jpeg_with_gps(), caption="Sleeve, front").get_json()
    listed = client.get(f"/api/v1/staff/items/{item_id}/images", headers=bearer(app, staff)).get_json()["images"]
    assert [p["id"] for p in listed] == [body["id"]]
    ecs = listed[0]["ecs"]
    assert ecs["status"] == "pushed" and ecs["image_id"], ecs  # JOBS_MODE=sync: the job ran already
    with app.app_context():
        ecs_item_id = db.session.get(Item, item_id).ecs_id
    found = sandbox.http.get(f"{sandbox.base_url}/v2/catalog/object/{ecs_item_id}",
                             headers={"Authorization": "Bearer sandbox-token"}).json()["object"]
    assert ecs["image_id"] in found["item_data"]["image_ids"]
    image = sandbox.http.get(f"{sandbox.base_url}/v2/catalog/object/{ecs['image_id']}",
                             headers={"Authorization": "Bearer sandbox-token"}).json()["object"]
    assert image["type"] == "IMAGE" and image["image_data"]["caption"] == "Sleeve, front"
    served = sandbox.http.get(image["image_data"]["url"])
    assert served.status_code == 200 and served.content == client.get(body["url"]).data  # the till has our file

    # After a sync the ECS lists the image too: the page shows it once, from the shop's own files.
    with app.app_context():
        run_sync("incremental")
    page = soup(client.get(f"/catalog/{item_id}", follow_redirects=True))
    sources = [img["src"] for img in page.select(".product-media img")]
    assert sum(f"/media/photos/{body['thumbnails']['640'].split('/')[3]}/" in s for s in sources) == 1
    assert not any(ecs["image_id"] in s for s in sources)

    # Removing it removes the files and the ECS's CatalogImage.
    assert client.delete(f"/api/v1/staff/items/{item_id}/images/{body['id']}",
                         headers=bearer(app, staff)).status_code == 204
    assert client.get(body["url"]).status_code == 404 and stored_files(app) == []
    gone = sandbox.http.get(f"{sandbox.base_url}/v2/catalog/object/{ecs['image_id']}",
                            headers={"Authorization": "Bearer sandbox-token"})
    assert gone.status_code == 404


def test_photo_is_the_cover_of_an_item_without_one(shop):
    app, item_id, _variation_id, staff = shop
    with app.app_context():
        item = db.session.get(Item, item_id)
        item.ecs_images = []
        title = item.title
        db.session.commit()
    client = app.test_client()
    body = upload(client, app, staff, item_id, jpeg_with_gps()).get_json()
    key = body["url"].split("/")[3]
    listing = soup(client.get("/catalog", query_string={"q": title}))
    card_covers = [img["src"] for img in listing.select(f'[data-item-id="{item_id}"] img')]
    assert card_covers and f"/media/photos/{key}/" in card_covers[0]


def test_api_validation_and_auth(shop):
    app, item_id, _variation_id, staff = shop
    client = app.test_client()
    jpeg = jpeg_with_gps()
    assert client.post(f"/api/v1/staff/items/{item_id}/images",
                       data={"file": (io.BytesIO(jpeg), "a.jpg")}).status_code == 401
    missing = client.post(f"/api/v1/staff/items/{item_id}/images", headers=bearer(app, staff), data={},
                          content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.get_json()["error"]["details"][0]["field"] == "file"
    assert upload(client, app, staff, 999_999, jpeg).status_code == 404
    wrong_copy = upload(client, app, staff, item_id, jpeg, variation_id="999999")
    assert wrong_copy.status_code == 422 and wrong_copy.get_json()["error"]["details"][0]["field"] == "variation_id"
    assert upload(client, app, staff, item_id, jpeg, caption="x" * 300).status_code == 422
    assert client.delete(f"/api/v1/staff/items/{item_id}/images/12345", headers=bearer(app, staff)).status_code == 404
    # an anonymous 30 MB body is refused with the small default limit, before it is read
    anonymous = client.post(f"/api/v1/staff/items/{item_id}/images",
                            data={"file": (io.BytesIO(b"\xff" * (3 * 1024 * 1024)), "a.jpg")})
    assert anonymous.status_code in (401, 413)
    assert stored_keys(app) == []


def test_back_office_upload_form(shop):
    app, item_id, variation_id, staff = shop
    client = app.test_client()
    login(client, staff, password_step=False)
    page = f"/staff/items/{item_id}"
    token = csrf_token(client, page)
    no_csrf = client.post(f"{page}/photos", data={"file": (io.BytesIO(jpeg_with_gps()), "a.jpg")},
                          content_type="multipart/form-data")
    assert no_csrf.status_code == 400 and stored_keys(app) == []
    bad = client.post(f"{page}/photos", data={"csrf_token": token, "file": (io.BytesIO(b"GIF89a not really"), "a.jpg")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert "not a JPEG, PNG or WebP" in bad.get_data(as_text=True) and stored_keys(app) == []
    ok = client.post(f"{page}/photos", data={"csrf_token": token, "variation_id": str(variation_id),
                                             "caption": "Label side B",
                                             "file": (io.BytesIO(jpeg_with_gps()), "copy.jpg")},
                     content_type="multipart/form-data", follow_redirects=True)
    html = soup(ok)
    assert "Photo added." in ok.get_data(as_text=True)
    tiles = html.select("#photos .photo-tile")
    assert len(tiles) == 1 and "Label side B" in tiles[0].get_text() and "On the till" in tiles[0].get_text()
    photo_id = int(tiles[0].select_one("form")["action"].split("/")[-2])
    client.post(f"{page}/photos/{photo_id}/delete", data={"csrf_token": token})
    assert stored_keys(app) == []
    with app.app_context():
        assert db.session.scalar(select(ItemDetail.photos).where(ItemDetail.item_id == item_id)) == []


def test_s3_compatible_bucket(make_app, sandbox, tmp_path):
    moto_server = pytest.importorskip("moto.server")
    import boto3

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
        s3.create_bucket(Bucket="shop-photos")
        app = make_app(**ecs_config(sandbox), PHOTO_S3_BUCKET="shop-photos", PHOTO_S3_ENDPOINT_URL=endpoint,
                       PHOTO_S3_ACCESS_KEY_ID="test", PHOTO_S3_SECRET_ACCESS_KEY="test", PHOTO_PUSH_TO_ECS=False)
        with app.app_context():
            run_sync("full")
            item_id = db.session.scalars(select(Item.id).order_by(Item.id)).first()
        staff = make_staff(app)
        client = app.test_client()
        body = upload(client, app, staff, item_id, jpeg_with_gps()).get_json()
        assert body["ecs"]["status"] == "off"
        key = body["url"].split("/")[3]
        names = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="shop-photos")["Contents"])
        assert names == sorted(f"photos/{key}/{n}" for n in ("160.jpg", "320.jpg", "640.jpg", "full.jpg"))
        assert client.get(body["url"]).data == s3.get_object(Bucket="shop-photos", Key=f"photos/{key}/full.jpg")[
            "Body"].read()
        assert not (Path(app.instance_path) / "photos").exists()
        client.delete(f"/api/v1/staff/items/{item_id}/images/{body['id']}", headers=bearer(app, staff))
        assert "Contents" not in s3.list_objects_v2(Bucket="shop-photos")
        with app.app_context():
            assert storage().get(key, "full.jpg") is None
    finally:
        server.stop()


def test_discogs_images_chosen_in_enrichment_are_stored_like_photos(shop):
    from tests.support.discogs import install_fake_discogs

    app, item_id, _variation_id, staff = shop
    install_fake_discogs(app)
    client = app.test_client()
    headers = bearer(app, staff)
    images = ["https://i.discogs.com/front.jpg", "https://i.discogs.com/back.jpg", "https://i.discogs.com/missing.jpg"]
    saved = client.put(f"/api/v1/staff/product-details/{item_id}", headers=headers, json={"images": images})
    assert saved.status_code == 200, saved.get_json()
    listed = client.get(f"/api/v1/staff/items/{item_id}/images", headers=headers).get_json()["images"]
    assert sorted(p["source"] for p in listed) == ["discogs", "discogs"]  # the missing one is skipped
    assert all(p["ecs"]["status"] == "off" for p in listed)  # Discogs images stay in the shop
    page = soup(client.get(f"/catalog/{item_id}", follow_redirects=True))
    sources = [img["src"] for img in page.select(".product-media img")]
    assert not any("i.discogs.com/front" in s or "i.discogs.com/back" in s for s in sources)
    assert sum("/media/photos/" in s for s in sources) == 2
    # dropping one from the enrichment drops its stored copy
    client.put(f"/api/v1/staff/product-details/{item_id}", headers=headers, json={"images": images[:1]})
    listed = client.get(f"/api/v1/staff/items/{item_id}/images", headers=headers).get_json()["images"]
    assert len(listed) == 1 and len(stored_files(app)) == 4


def test_multipart_parts_without_a_name_or_with_nul_are_client_errors(shop):
    """Schemathesis found a 500: a part whose name cannot be read came back with a None key."""
    app, item_id, _variation_id, staff = shop
    client = app.test_client()
    boundary = "b0undary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="%0A"\r\n\r\nnull\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.zip"\r\n\r\nPK\x03\x04zip\r\n'
            f'--{boundary}--\r\n').encode()
    response = client.post(f"/api/v1/staff/items/{item_id}/images", data=body, headers=bearer(app, staff),
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422 and response.get_json()["error"]["details"][0]["field"] == "file"
    nul = upload(client, app, staff, item_id, jpeg_with_gps(), caption="bad\x00caption")
    assert nul.status_code == 400 and stored_keys(app) == []
