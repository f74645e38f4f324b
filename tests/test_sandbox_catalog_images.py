"""The sandbox's CreateCatalogImage over HTTP, checked against Square's OpenAPI document: the
multipart request the client sends, the response, attachment to items and variations, is_primary,
idempotency and the errors Square documents."""

from __future__ import annotations

import io
import json

import requests
from PIL import Image

from storefront.ecs.client import SquareClient
from tests.support.ecs import SANDBOX_TOKEN
from tests.support.square_schema import validate

AUTH = {"Authorization": f"Bearer {SANDBOX_TOKEN}", "Square-Version": "2025-08-20"}


def jpeg(color: tuple[int, int, int] = (30, 90, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(out, "JPEG")
    return out.getvalue()


def first_item(sandbox) -> dict:
    body = requests.get(f"{sandbox.base_url}/v2/catalog/list", params={"types": "ITEM"}, headers=AUTH).json()
    return body["objects"][0]


def post(sandbox, request: dict | str, data: bytes | None, filename: str = "a.jpg") -> requests.Response:
    files = {"request": (None, request if isinstance(request, str) else json.dumps(request), "application/json")}
    if data is not None:
        files["image_file"] = (filename, data, "image/jpeg")
    return requests.post(f"{sandbox.base_url}/v2/catalog/images", files=files, headers=AUTH, timeout=10)


def test_client_request_and_response_follow_square(sandbox):
    item = first_item(sandbox)
    client = SquareClient(sandbox.base_url, SANDBOX_TOKEN)
    sent: list[requests.PreparedRequest] = []
    client.session.hooks["response"].append(lambda r, *a, **k: sent.append(r.request))
    image = client.create_catalog_image("key-1", object_id=item["id"], data=jpeg(), filename="x.jpg", caption="Front")
    request_part = [part for part in sent[0].body.split(b"\r\n\r\n")][1].split(b"\r\n--")[0]
    validate(json.loads(request_part), "CreateCatalogImageRequest")
    assert sent[0].headers["Content-Type"].startswith("multipart/form-data; boundary=")
    validate({"image": image}, "CreateCatalogImageResponse")
    assert image["image_data"]["url"].startswith(sandbox.base_url + "/images/")
    again = client.create_catalog_image("key-1", object_id=item["id"], data=jpeg(), filename="x.jpg", caption="Front")
    assert again["id"] == image["id"]  # the same key and request: the same image, not a second one
    after = requests.get(f"{sandbox.base_url}/v2/catalog/object/{item['id']}", headers=AUTH).json()["object"]
    assert after["item_data"]["image_ids"][-1] == image["id"]  # appended (not primary)
    assert after["item_data"]["image_ids"].count(image["id"]) == 1
    assert requests.get(image["image_data"]["url"]).content == jpeg()


def test_primary_and_variation_images(sandbox):
    item = first_item(sandbox)
    variation_id = item["item_data"]["variations"][0]["id"]
    primary = post(sandbox, {"idempotency_key": "p", "object_id": item["id"], "is_primary": True,
                             "image": {"type": "IMAGE", "id": "#new", "image_data": {"caption": "c"}}}, jpeg())
    assert primary.status_code == 200
    found = requests.get(f"{sandbox.base_url}/v2/catalog/object/{item['id']}", headers=AUTH).json()["object"]
    assert found["item_data"]["image_ids"][0] == primary.json()["image"]["id"]
    on_copy = post(sandbox, {"idempotency_key": "v", "object_id": variation_id,
                             "image": {"type": "IMAGE", "id": "#new"}}, jpeg((1, 2, 3)))
    assert on_copy.status_code == 200
    variation = requests.get(f"{sandbox.base_url}/v2/catalog/object/{variation_id}", headers=AUTH).json()["object"]
    assert on_copy.json()["image"]["id"] in variation["item_variation_data"]["image_ids"]
    unattached = post(sandbox, {"idempotency_key": "u", "image": {"type": "IMAGE", "id": "#x"}}, jpeg())
    assert unattached.status_code == 200


def test_errors(sandbox):
    item = first_item(sandbox)
    good = {"idempotency_key": "e", "object_id": item["id"], "image": {"type": "IMAGE", "id": "#n"}}
    cases = [
        (post(sandbox, good, None), 400, "MISSING_REQUIRED_PARAMETER"),
        (post(sandbox, {**good, "idempotency_key": "k" * 129}, jpeg()), 400, "VALUE_TOO_LONG"),
        (post(sandbox, {**good, "object_id": "NOPE"}, jpeg()), 404, "NOT_FOUND"),
        (post(sandbox, {**good, "image": {"type": "ITEM", "id": "#n"}}, jpeg()), 400, "INVALID_VALUE"),
        (post(sandbox, good, b"not a picture at all"), 400, "INVALID_VALUE"),
        (post(sandbox, "{broken", jpeg()), 400, "BAD_REQUEST"),
        (requests.post(f"{sandbox.base_url}/v2/catalog/images", json=good, headers=AUTH), 400, "INVALID_CONTENT_TYPE"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, (code, response.text)
        validate(response.json(), "CreateCatalogImageResponse")
        assert response.json()["errors"][0]["code"] == code
    reused = post(sandbox, {**good, "idempotency_key": "same"}, jpeg())
    assert reused.status_code == 200
    conflict = post(sandbox, {**good, "idempotency_key": "same"}, jpeg((9, 9, 9)))  # other file, same key
    assert conflict.status_code == 400
