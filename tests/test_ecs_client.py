"""The Square client against the sandbox over HTTP; every request it sends and every response
the sandbox returns validates against Square's OpenAPI spec. Plus retries and typed errors."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from ecs_fixtures import SANDBOX_TOKEN
from square_schema import request_schema_name, response_schema_name, spec, validate
from storefront.ecs import ECSBadRequest, ECSNotFound, ECSRateLimited, ECSServerError, ECSUnavailable, SquareClient

TEMPLATES = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path) for path in spec()["paths"]]


def spec_path(path: str) -> str:
    matches = [template for pattern, template in TEMPLATES if pattern.match(path)]
    assert matches, f"{path} is not a Square endpoint"
    return min(matches, key=lambda t: t.count("{"))  # the literal path wins over a templated one


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any, int, Any]] = []

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        body = json.loads(request.body) if request.body else None
        path = requests.utils.urlparse(request.url).path
        self.calls.append((request.method, path, body, response.status_code, response.json()))


@pytest.fixture
def recorded_client(sandbox):
    recorder = Recorder()
    session = requests.Session()
    session.hooks["response"].append(recorder.hook)
    client = SquareClient(sandbox.base_url, SANDBOX_TOKEN, session=session, max_retries=0)
    yield client, recorder
    client.close()


def test_every_endpoint_used_speaks_squares_wire_format(recorded_client, sandbox):
    client, recorder = recorded_client
    sandbox.reset(items=150)
    location = client.list_locations()[0]["id"]
    page = client.list_catalog(types="ITEM,CATEGORY")
    assert len(page.objects) == 100 and page.cursor
    client.list_catalog(cursor=page.cursor, types="ITEM,CATEGORY")
    search = client.search_catalog_objects(object_types=["ITEM"], include_deleted_objects=True,
                                           include_related_objects=True, limit=5)
    assert search.latest_time
    item = next(o for o in page.objects if o["type"] == "ITEM")
    variation_id = item["item_data"]["variations"][0]["id"]
    client.retrieve_catalog_object(item["id"], include_related_objects=True)
    counts = client.retrieve_inventory_count(variation_id, location_ids=[location])
    before = int(counts[0]["quantity"])
    client.batch_retrieve_inventory_counts([variation_id], location_ids=[location], states=["IN_STOCK"])
    change = {"type": "PHYSICAL_COUNT", "physical_count": {
        "catalog_object_id": variation_id, "location_id": location, "state": "IN_STOCK",
        "quantity": str(before + 3), "occurred_at": "2026-11-23T10:00:00Z"}}
    client.batch_change_inventory("test-change-1", [change])
    link = client.create_payment_link(
        "test-link-1", order={"location_id": location, "line_items": [
            {"catalog_object_id": variation_id, "quantity": "1"}]},
        redirect_url="http://127.0.0.1/return", buyer_email="shopper@example.com", description="test")
    order = client.retrieve_order(link["payment_link"]["order_id"])
    assert order["id"] == link["payment_link"]["order_id"]

    used = set()
    for method, path, body, status, response in recorder.calls:
        template = spec_path(path)
        used.add((method, template))
        assert status == 200, (method, path, response)
        if body is not None:
            validate(body, request_schema_name(method, template))
        validate(response, response_schema_name(method, template))
    assert used == {
        ("GET", "/v2/locations"), ("GET", "/v2/catalog/list"), ("POST", "/v2/catalog/search"),
        ("GET", "/v2/catalog/object/{object_id}"), ("GET", "/v2/inventory/{catalog_object_id}"),
        ("POST", "/v2/inventory/counts/batch-retrieve"), ("POST", "/v2/inventory/changes/batch-create"),
        ("POST", "/v2/online-checkout/payment-links"), ("GET", "/v2/orders/{order_id}"),
    }


def test_same_idempotency_key_returns_the_same_payment_link(recorded_client):
    client, _ = recorded_client
    location = client.list_locations()[0]["id"]
    item = next(o for o in client.list_catalog(types="ITEM").objects)
    order = {"location_id": location, "line_items": [
        {"catalog_object_id": item["item_data"]["variations"][0]["id"], "quantity": "1"}]}
    first = client.create_payment_link("same-key", order=order, redirect_url="http://127.0.0.1/r")
    second = client.create_payment_link("same-key", order=order, redirect_url="http://127.0.0.1/r")
    assert first["payment_link"]["id"] == second["payment_link"]["id"]


def test_square_errors_become_typed_exceptions(recorded_client):
    client, _ = recorded_client
    with pytest.raises(ECSNotFound):
        client.retrieve_order("does-not-exist")
    with pytest.raises(ECSBadRequest) as info:
        client.list_catalog(cursor="not-a-real-cursor")
    assert info.value.errors and info.value.code
    with pytest.raises(ValueError):
        client.batch_change_inventory("", [])


def test_rate_limits_and_server_errors_are_retried_with_backoff(sandbox):
    sandbox.control("POST", "faults", json={"rules": [
        {"path_prefix": "/v2/catalog/list", "kind": "rate_limit", "times": 2},
        {"path_prefix": "/v2/locations", "kind": "server_error", "times": 1}]})
    sleeps: list[float] = []
    client = SquareClient(sandbox.base_url, SANDBOX_TOKEN, max_retries=3, backoff_base=0.5, backoff_cap=4,
                          sleep=sleeps.append)
    assert client.list_catalog().objects
    assert client.list_locations()
    assert client.stats["retries"] == 3 and len(sleeps) == 3
    assert all(0 <= s <= 4 for s in sleeps)
    client.close()


def test_retries_are_bounded(sandbox):
    sandbox.control("POST", "faults", json={"rules": [
        {"path_prefix": "/v2/catalog/list", "kind": "rate_limit", "times": 10},
        {"path_prefix": "/v2/locations", "kind": "server_error", "times": 10}]})
    client = SquareClient(sandbox.base_url, SANDBOX_TOKEN, max_retries=2, sleep=lambda _s: None)
    with pytest.raises(ECSRateLimited):
        client.list_catalog()
    with pytest.raises(ECSServerError):
        client.list_locations()
    assert client.stats["requests"] == 6
    client.close()


def test_no_answer_becomes_ecs_unavailable():
    client = SquareClient("http://127.0.0.1:9", "token", max_retries=1, sleep=lambda _s: None, timeout=1)
    with pytest.raises(ECSUnavailable):
        client.list_locations()
    client.close()


class _RetryAfterHandler(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits += 1
        if type(self).hits == 1:
            body = json.dumps({"errors": [{"category": "RATE_LIMIT_ERROR", "code": "RATE_LIMITED"}]}).encode()
            self.send_response(429)
            self.send_header("Retry-After", "3")
        else:
            body = json.dumps({"locations": [{"id": "L1"}]}).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_retry_after_header_is_honoured():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RetryAfterHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sleeps: list[float] = []
    try:
        client = SquareClient(f"http://127.0.0.1:{server.server_port}", "t", backoff_cap=8, sleep=sleeps.append)
        assert client.list_locations() == [{"id": "L1"}]
        assert sleeps and sleeps[0] >= 3
        client.close()
    finally:
        server.shutdown()
        server.server_close()
