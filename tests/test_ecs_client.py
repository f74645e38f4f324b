"""The Square client on the wire: every request it sends validates against Square's OpenAPI spec;
cursors, retries with jittered backoff, Retry-After, typed errors, idempotency keys. A tiny local
Square stand-in answers from a script or with the spec's own examples; the last tests run the
same calls against the stateful ECS sandbox and validate its responses too."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import requests
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from storefront.ecs import (
    ECSAuthError,
    ECSBadRequest,
    ECSConflict,
    ECSError,
    ECSNotFound,
    ECSRateLimited,
    ECSServerError,
    ECSUnavailable,
    SquareClient,
)
from storefront.ecs.client import CursorTrail, instant_ns, later_time
from storefront.ecs.errors import ECSRepeatedCursor
from storefront.sync.mapping import parse_timestamp
from tests.support.ecs import SANDBOX_TOKEN
from tests.support.square_schema import (
    errors,
    example,
    operation,
    request_schema_name,
    response_schema_name,
    spec,
    validate,
)

TOKEN = "test-access-token"
USED = {("GET", "/v2/locations"), ("GET", "/v2/catalog/list"), ("POST", "/v2/catalog/search"),
        ("GET", "/v2/catalog/object/{object_id}"), ("GET", "/v2/inventory/{catalog_object_id}"),
        ("POST", "/v2/inventory/counts/batch-retrieve"), ("POST", "/v2/inventory/changes/batch-create"),
        ("POST", "/v2/online-checkout/payment-links"), ("GET", "/v2/orders/{order_id}"),
        ("DELETE", "/v2/online-checkout/payment-links/{id}"), ("POST", "/v2/orders/calculate"),
        ("POST", "/v2/refunds"), ("GET", "/v2/refunds/{refund_id}")}
TEMPLATES = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path) for path in spec()["paths"]]


def spec_template(path: str) -> str | None:
    """The spec path template a concrete path belongs to (a literal path beats a templated one)."""
    matches = [template for pattern, template in TEMPLATES if pattern.match(path)]
    return min(matches, key=lambda t: t.count("{")) if matches else None


def square_errors(category: str, code: str, detail: str = "", field_name: str | None = None) -> dict[str, Any]:
    error = {"category": category, "code": code, "detail": detail or code.lower()}
    if field_name:
        error["field"] = field_name
    return {"errors": [error]}


RATE_LIMITED = square_errors("RATE_LIMIT_ERROR", "RATE_LIMITED")
INTERNAL = square_errors("API_ERROR", "INTERNAL_SERVER_ERROR")


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # None: the spec's example response for the endpoint
    headers: dict[str, str] = field(default_factory=dict)
    raw: str | None = None  # a non-JSON body, sent as-is
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    template: str | None
    args: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        return None


class StubSquare:
    """Records every request; answers from ``script[(method, path)]`` in order, else the spec's example."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.script: dict[tuple[str, str], list[Reply]] = {}
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def reply(self, method: str, path: str, *replies: Reply) -> None:
        """Queue replies; scripted bodies are checked against the spec so the script itself is honest."""
        template = spec_template(path)
        assert template, path
        for reply in replies:
            if reply.raw is None and reply.body is not None and reply.status == 200:
                validate(reply.body, response_schema_name(method, template))
            elif reply.raw is None and reply.body is not None:
                for error in reply.body["errors"]:
                    validate(error, "Error")
        self.script.setdefault((method, path), []).extend(replies)

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        template = spec_template(request.path)
        data = request.get_data()
        with self._lock:
            self.seen.append(Seen(request.method, request.path, template, request.args.to_dict(flat=False),
                                  dict(request.headers), json.loads(data) if data else None))
            queue = self.script.get((request.method, request.path))
            reply = queue.pop(0) if queue else Reply()
        time.sleep(reply.delay)
        if reply.raw is not None:
            body = reply.raw
        elif reply.body is not None:
            body = json.dumps(reply.body)
        elif template:
            body = json.dumps(example(response_schema_name(request.method, template)))
        else:
            body, reply = json.dumps(square_errors("INVALID_REQUEST_ERROR", "NOT_FOUND")), Reply(404)
        return Response(body, status=reply.status, headers=reply.headers,
                        mimetype="application/json")(environ, start_response)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def stub() -> Iterator[StubSquare]:
    server = StubSquare()
    yield server
    server.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(stub: StubSquare, sleeps: list[float]) -> Iterator[Callable[..., SquareClient]]:
    clients: list[SquareClient] = []

    def make(**kwargs: Any) -> SquareClient:
        kwargs.setdefault("sleep", sleeps.append)
        clients.append(SquareClient(kwargs.pop("base_url", stub.url), TOKEN, **kwargs))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def change(kind: str, quantity: str) -> dict[str, Any]:
    if kind == "PHYSICAL_COUNT":
        return {"type": kind, "physical_count": {"catalog_object_id": "V1", "location_id": "L1", "state": "IN_STOCK",
                                                 "quantity": quantity, "occurred_at": "2025-09-01T10:00:00Z"}}
    return {"type": kind, "adjustment": {"catalog_object_id": "V1", "location_id": "L1", "from_state": "IN_STOCK",
                                         "to_state": "SOLD", "quantity": quantity,
                                         "occurred_at": "2025-09-01T10:00:00Z"}}


ORDER = {"location_id": "L1", "reference_id": "web-1001",
         "line_items": [{"catalog_object_id": "V1", "quantity": "2"}]}


def test_every_request_matches_squares_spec(stub: StubSquare, make_client: Callable[..., SquareClient]) -> None:
    client = make_client()
    assert client.list_locations() == example("ListLocationsResponse")["locations"]
    assert client.list_catalog().objects == example("ListCatalogResponse")["objects"]
    assert len(list(client.iter_catalog(types="ITEM"))) == 1
    client.search_catalog_objects(begin_time="2025-09-01T00:00:00Z", object_types=["ITEM", "CATEGORY"],
                                  include_deleted_objects=True, include_related_objects=True, limit=100)
    client.search_catalog_objects()
    assert client.retrieve_catalog_object("W62UWFY35CWMYGVWK6TWJDNI", include_related_objects=True)["object"]
    assert client.retrieve_inventory_count("V1", location_ids=["L1", "L2"])[0]["quantity"] == "22"
    client.batch_retrieve_inventory_counts(["V1", "V2"], location_ids=["L1"], states=["IN_STOCK", "SOLD"],
                                           updated_after="2025-09-01T00:00:00Z")
    client.batch_retrieve_inventory_counts(None, location_ids=["L1"])
    assert client.batch_change_inventory("chg-1", [change("PHYSICAL_COUNT", "5"), change("ADJUSTMENT", "1")])
    link = client.create_payment_link("link-1", order=ORDER, redirect_url="https://shop.example/thanks",
                                      buyer_email="shopper@example.com", description="Order web-1001")
    assert link["payment_link"]["url"] and "related_resources" in link
    client.create_payment_link("link-2", order=ORDER, redirect_url="https://shop.example/thanks")
    client.create_payment_link(
        "link-3", order={**ORDER, "taxes": [{"uid": "t", "name": "Sales tax", "percentage": "8.875",
                                             "type": "ADDITIVE", "scope": "ORDER"}],
                         "discounts": [{"uid": "d", "name": "Coupon SPIN10", "type": "FIXED_PERCENTAGE",
                                        "percentage": "10", "scope": "ORDER"}]},
        redirect_url="https://shop.example/thanks", buyer_email="shopper@example.com",
        shipping_fee={"name": "Royal Mail Tracked", "charge": {"amount": 1500, "currency": "USD"}},
        buyer_address={"address_line_1": "12 St James's Square", "locality": "London", "postal_code": "SW1Y 4JH",
                       "country": "GB", "first_name": "Ada", "last_name": "Lovelace"})
    assert client.retrieve_order("o4b7saqp4HzhNttf5AJxC0Srjd4F")["id"]
    assert client.calculate_order(ORDER)
    client.delete_payment_link("PKVT6XGJZXYUP3NZ")
    assert client.refund_payment("refund-1", payment_id="R2B3Z8WMVt3EAmzYWLZvz7Y69EbZY", amount=500,
                                 currency="USD", reason="Sleeve split")["id"]
    assert client.get_payment_refund("R2B3Z8WMVt3EAmzYWLZvz7Y69EbZY_refund")["id"]

    assert {(s.method, s.template) for s in stub.seen} == USED
    for seen in stub.seen:
        op = operation(seen.method, seen.template)
        params = {p["name"]: p["schema"] for p in op.get("parameters", []) if p["in"] == "query"}
        for name, values in seen.args.items():
            assert name in params and len(values) == 1, (seen.path, name)
            if params[name]["type"] == "boolean":
                assert values[0] in ("true", "false")
        if seen.method == "POST":
            validate(seen.body, request_schema_name(seen.method, seen.template))
        else:
            assert seen.body is None
        assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
        assert seen.headers["Square-Version"] == "2025-08-20"
        assert seen.headers["Accept"] == "application/json"
        assert seen.headers["User-Agent"].startswith("storefront/")
        if seen.body is not None:
            assert seen.headers["Content-Type"] == "application/json"
    link_body = next(s.body for s in stub.seen if s.body and s.body.get("idempotency_key") == "link-1")
    assert link_body["checkout_options"] == {"redirect_url": "https://shop.example/thanks"}
    assert link_body["pre_populated_data"] == {"buyer_email": "shopper@example.com"}


def catalog_object(object_id: str) -> dict[str, Any]:
    return {"type": "CATEGORY", "id": object_id, "version": 1, "category_data": {"name": object_id}}


def count(object_id: str) -> dict[str, Any]:
    return {"catalog_object_id": object_id, "catalog_object_type": "ITEM_VARIATION", "state": "IN_STOCK",
            "location_id": "L1", "quantity": "1", "calculated_at": "2025-09-01T10:00:00Z"}


def test_cursors_are_followed(stub: StubSquare, make_client: Callable[..., SquareClient]) -> None:
    client = make_client()
    stub.reply("GET", "/v2/catalog/list", Reply(body={"objects": [catalog_object("A")], "cursor": "c1"}),
               Reply(body={"objects": [catalog_object("B")], "cursor": "c2"}), Reply(body={"objects": []}))
    pages = list(client.iter_catalog())
    assert [[o["id"] for o in p.objects] for p in pages] == [["A"], ["B"], []]
    assert [s.args.get("cursor") for s in stub.seen] == [None, ["c1"], ["c2"]]

    stub.seen.clear()
    stub.reply("GET", "/v2/inventory/V1", Reply(body={"counts": [count("V1")], "cursor": "i1"}),
               Reply(body={"counts": [count("V1")]}))
    assert len(client.retrieve_inventory_count("V1")) == 2
    assert stub.seen[1].args["cursor"] == ["i1"]

    stub.seen.clear()
    stub.reply("POST", "/v2/catalog/search", Reply(body={
        "objects": [catalog_object("C")], "related_objects": [catalog_object("R")], "cursor": "s1",
        "latest_time": "2025-09-01T10:00:00.123Z"}))
    page = client.search_catalog_objects(begin_time="2025-09-01T00:00:00Z")
    assert (page.cursor, page.latest_time, page.related_objects[0]["id"]) == ("s1", "2025-09-01T10:00:00.123Z", "R")


def test_batch_inventory_ids_are_chunked_and_cursors_followed(stub: StubSquare,
                                                              make_client: Callable[..., SquareClient]) -> None:
    ids = [f"V{i}" for i in range(2500)]
    stub.reply("POST", "/v2/inventory/counts/batch-retrieve", Reply(body={"counts": [count("A")], "cursor": "b1"}),
               *(Reply(body={"counts": [count(x)]}) for x in "BCD"))
    counts = make_client().batch_retrieve_inventory_counts(ids + ids[:10], location_ids=["L1"])
    assert [c["catalog_object_id"] for c in counts] == ["A", "B", "C", "D"]
    bodies = [s.body for s in stub.seen]
    assert [len(b["catalog_object_ids"]) for b in bodies] == [1000, 1000, 1000, 500]
    assert [b.get("cursor") for b in bodies] == [None, "b1", None, None]
    assert sum((b["catalog_object_ids"] for b in bodies[1:]), []) == ids
    for body in bodies:
        validate(body, "BatchRetrieveInventoryCountsRequest")


def test_idempotency_key_is_required(stub: StubSquare, make_client: Callable[..., SquareClient]) -> None:
    client = make_client()
    with pytest.raises(ValueError):
        client.batch_change_inventory("", [change("PHYSICAL_COUNT", "1")])
    with pytest.raises(ValueError):
        client.create_payment_link("", order=ORDER, redirect_url="https://shop.example/thanks")
    assert stub.seen == []


@pytest.mark.parametrize(("failure", "kind"), [(Reply(429, RATE_LIMITED), ECSRateLimited),
                                               (Reply(503, INTERNAL), ECSServerError)])
def test_transient_failures_are_retried_then_succeed_or_give_up(
        stub: StubSquare, make_client: Callable[..., SquareClient], sleeps: list[float], failure: Reply,
        kind: type[ECSError], caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(max_retries=2)
    caplog.set_level(logging.DEBUG)
    stub.reply("GET", "/v2/locations", failure, Reply())
    assert client.list_locations()
    assert (client.stats["requests"], client.stats["retries"], len(sleeps)) == (2, 1, 1)

    stub.reply("GET", "/v2/catalog/list", failure, failure, failure, Reply())
    with pytest.raises(kind) as info:
        client.list_catalog()
    assert info.value.status == failure.status and info.value.errors == failure.body["errors"]
    assert info.value.code == failure.body["errors"][0]["code"]
    assert (client.stats["requests"], client.stats["retries"]) == (5, 3)
    assert TOKEN not in caplog.text


def test_backoff_is_exponential_full_jitter_and_capped(stub: StubSquare, make_client: Callable[..., SquareClient],
                                                       sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    stub.reply("GET", "/v2/locations", *[Reply(503, INTERNAL)] * 7, Reply())
    bounds: list[tuple[float, float]] = []
    monkeypatch.setattr("storefront.ecs.client.random.uniform", lambda a, b: bounds.append((a, b)) or b)
    make_client(max_retries=7, backoff_base=0.25, backoff_cap=4.0).list_locations()
    assert bounds == [(0, min(4.0, 0.25 * 2**i)) for i in range(7)]  # full jitter: uniform(0, ceiling)
    monkeypatch.undo()

    sleeps.clear()
    stub.reply("GET", "/v2/catalog/list", *[Reply(429, RATE_LIMITED)] * 7, Reply())
    make_client(max_retries=7, backoff_base=0.25, backoff_cap=4.0).list_catalog()
    assert len(sleeps) == 7 and len(set(sleeps)) > 1
    assert all(0 <= s <= min(4.0, 0.25 * 2**i) for i, s in enumerate(sleeps))


def test_retry_after_is_honoured_and_capped(stub: StubSquare, make_client: Callable[..., SquareClient],
                                            sleeps: list[float]) -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    stub.reply("GET", "/v2/locations", Reply(429, RATE_LIMITED, {"Retry-After": "3"}),
               Reply(429, RATE_LIMITED, {"Retry-After": "120"}), Reply(503, INTERNAL, {"Retry-After": soon}),
               Reply(429, RATE_LIMITED, {"Retry-After": "soon-ish"}), Reply())
    make_client(backoff_base=0.01, backoff_cap=8.0).list_locations()
    assert 3 <= sleeps[0] <= 8 and sleeps[1] == 8 and 3 <= sleeps[2] <= 5 and sleeps[3] <= 0.08


def test_no_answer_becomes_ecs_unavailable(make_client: Callable[..., SquareClient], sleeps: list[float],
                                           stub: StubSquare) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(base_url=f"http://127.0.0.1:{port}", max_retries=2)
    with pytest.raises(ECSUnavailable):
        client.list_locations()
    assert (client.stats["requests"], len(sleeps)) == (3, 2)

    stub.reply("GET", "/v2/locations", Reply(delay=1.0), Reply())  # a read timeout is retried too
    assert make_client(timeout=0.2, max_retries=1).list_locations()


@pytest.mark.parametrize(("status", "category", "code", "kind"), [
    (400, "INVALID_REQUEST_ERROR", "INVALID_CURSOR", ECSBadRequest),
    (401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", ECSAuthError),
    (403, "AUTHENTICATION_ERROR", "INSUFFICIENT_SCOPES", ECSAuthError),
    (404, "INVALID_REQUEST_ERROR", "NOT_FOUND", ECSNotFound),
    (409, "INVALID_REQUEST_ERROR", "CONFLICT", ECSConflict),
    (422, "INVALID_REQUEST_ERROR", "INVALID_VALUE", ECSError),
])
def test_square_errors_become_typed_exceptions(stub: StubSquare, make_client: Callable[..., SquareClient],
                                               status: int, category: str, code: str, kind: type[ECSError]) -> None:
    body = square_errors(category, code, "Something about the cursor", "cursor")
    stub.reply("GET", "/v2/catalog/list", Reply(status, body))
    with pytest.raises(kind) as info:
        make_client().list_catalog(cursor="bad")
    assert type(info.value) is kind and info.value.status == status
    assert info.value.errors == body["errors"] and info.value.code == code
    assert "Something about the cursor" in str(info.value) and TOKEN not in str(info.value)
    assert len(stub.seen) == 1  # a 4xx is never retried


def test_odd_answers_are_errors_too(stub: StubSquare, make_client: Callable[..., SquareClient]) -> None:
    client = make_client(max_retries=0)
    stub.reply("GET", "/v2/locations", Reply(502, raw="<html>bad gateway</html>"), Reply(raw="not json"),
               Reply(302, raw="", headers={"Location": "https://elsewhere.example/v2/locations"}),
               Reply(400, raw='["not", "an", "object"]'))
    with pytest.raises(ECSServerError) as info:
        client.list_locations()
    assert info.value.errors == [] and info.value.code is None
    with pytest.raises(ECSError, match="invalid JSON"):
        client.list_locations()
    with pytest.raises(ECSError) as redirect:  # redirects are never followed (the token would go along)
        client.list_locations()
    assert redirect.value.status == 302 and len(stub.seen) == 3
    with pytest.raises(ECSBadRequest):
        client.list_locations()


# Where the spec's own examples disagree with its own schemas (Square-Version 2025-08-20).
EXAMPLE_QUIRKS = {"SearchCatalogObjectsResponse": "'visibility' was unexpected",
                  "CreatePaymentLinkResponse": "'DIGITAL' is not one of",
                  "CalculateOrderRequest": "'idempotency_key' was unexpected"}


def messages(error: Any) -> Iterator[str]:
    """An error's message and those of its sub-errors (``anyOf`` from ``nullable`` nests them)."""
    yield error.message
    for sub in error.context or []:
        yield from messages(sub)


def test_spec_examples_validate_so_the_validator_is_not_too_strict() -> None:
    names = {response_schema_name(m, p) for m, p in USED} | {request_schema_name(m, p) for m, p in USED if m == "POST"}
    for name in sorted(names):
        found = [m for e in errors(example(name), name) for m in messages(e)]
        if name in EXAMPLE_QUIRKS:
            assert any(EXAMPLE_QUIRKS[name] in m for m in found), (name, found)
        else:
            assert found == [], (name, found)


def test_validator_catches_wrong_types_misspellings_and_missing_required_fields() -> None:
    good = {"idempotency_key": "k", "changes": [change("ADJUSTMENT", "1")], "ignore_unchanged_counts": True}
    validate(good, "BatchChangeInventoryRequest")
    validate({**good, "changes": None}, "BatchChangeInventoryRequest")  # nullable array
    validate({"checkout_options": {"redirect_url": None, "app_fee_money": None}}, "CreatePaymentLinkRequest")
    bad = [{"changes": []}, {**good, "idempotency_key": 7}, {"idempotancy_key": "k"}, {**good, "ignore_unchanged": 1},
           {**good, "changes": [{"type": "ADJUSTMENT", "adjustment": {"quantity": 1}}]},
           {**good, "changes": [{"type": "TELEPORT"}]}, {**good, "idempotency_key": None}]
    for instance in bad:
        assert errors(instance, "BatchChangeInventoryRequest"), instance
    assert errors({"order": {"line_items": []}}, "CreatePaymentLinkRequest")  # Order.location_id is required
    assert errors({"errors": [{"category": "API_ERROR"}]}, "ListLocationsResponse")  # Error.code is required
    assert not errors({"idempotency_key": "k", "future_field": 1}, "BatchChangeInventoryRequest", strict=False)


# Against the stateful sandbox (the sandbox fixtures of tests/support/ecs.py) ---------------------
class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any, int, Any]] = []

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        body = json.loads(request.body) if request.body else None
        path = requests.utils.urlparse(request.url).path
        self.calls.append((request.method, path, body, response.status_code, response.json()))


@pytest.fixture
def recorded_client(sandbox: Any) -> Iterator[tuple[SquareClient, Recorder]]:  # noqa: F811
    recorder = Recorder()
    session = requests.Session()
    session.hooks["response"].append(recorder.hook)
    with SquareClient(sandbox.base_url, SANDBOX_TOKEN, session=session, max_retries=0) as client:
        yield client, recorder


def test_sandbox_round_trip_speaks_squares_wire_format(recorded_client: tuple[SquareClient, Recorder],
                                                       sandbox: Any) -> None:  # noqa: F811
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
    before = int(client.retrieve_inventory_count(variation_id, location_ids=[location])[0]["quantity"])
    client.batch_retrieve_inventory_counts([variation_id], location_ids=[location], states=["IN_STOCK"])
    physical = {"type": "PHYSICAL_COUNT", "physical_count": {
        "catalog_object_id": variation_id, "location_id": location, "state": "IN_STOCK",
        "quantity": str(before + 3), "occurred_at": "2026-11-23T10:00:00Z"}}
    client.batch_change_inventory("test-change-1", [physical])
    order = {"location_id": location, "line_items": [{"catalog_object_id": variation_id, "quantity": "1"}]}
    link = client.create_payment_link("test-link-1", order=order, redirect_url="http://127.0.0.1/return",
                                      buyer_email="shopper@example.com", description="test")
    again = client.create_payment_link("test-link-1", order=order, redirect_url="http://127.0.0.1/return",
                                       buyer_email="shopper@example.com", description="test")
    assert again["payment_link"]["id"] == link["payment_link"]["id"]  # same key, same link
    assert client.retrieve_order(link["payment_link"]["order_id"])["id"] == link["payment_link"]["order_id"]
    taxed = {**order, "taxes": [{"uid": "t", "name": "Sales tax", "percentage": "8.875", "type": "ADDITIVE",
                                 "scope": "ORDER"}],
             "discounts": [{"uid": "d", "name": "Coupon SPIN10", "type": "FIXED_PERCENTAGE", "percentage": "10",
                            "scope": "ORDER"}]}
    priced = client.calculate_order(taxed)
    paid_link = client.create_payment_link(
        "test-link-2", order=taxed, redirect_url="http://127.0.0.1/return", buyer_email="shopper@example.com",
        shipping_fee={"name": "Royal Mail Tracked", "charge": {"amount": 1500, "currency": "USD"}},
        buyer_address={"address_line_1": "12 St James's Square", "locality": "London", "postal_code": "SW1Y 4JH",
                       "country": "GB", "first_name": "Ada", "last_name": "Lovelace"})["payment_link"]
    requests.post(paid_link["url"], data={"card_number": "4111 1111 1111 1111"}, allow_redirects=False, timeout=10)
    paid = client.retrieve_order(paid_link["order_id"])
    assert paid["total_money"]["amount"] == priced["total_money"]["amount"] + 1500  # + the shipping fee
    refund = client.refund_payment("test-refund-1", payment_id=paid["tenders"][0]["payment_id"], amount=500,
                                   currency="USD", reason="Sleeve split")
    assert client.get_payment_refund(refund["id"])["status"] == "COMPLETED"
    client.delete_payment_link(link["payment_link"]["id"])

    for method, path, body, status, response in recorder.calls:
        template = spec_template(path)
        assert status == 200, (method, path, response)
        if body is not None:
            validate(body, request_schema_name(method, template))
        validate(response, response_schema_name(method, template))
    assert {(method, spec_template(path)) for method, path, *_ in recorder.calls} == USED

    with pytest.raises(ECSNotFound):
        client.retrieve_order("does-not-exist")
    with pytest.raises(ECSBadRequest) as info:
        client.list_catalog(cursor="not-a-real-cursor")
    assert info.value.errors and info.value.code


def test_sandbox_faults_are_retried(sandbox: Any) -> None:  # noqa: F811
    sandbox.control("POST", "faults", json={"rules": [
        {"path_prefix": "/v2/catalog/list", "kind": "rate_limit", "times": 2},
        {"path_prefix": "/v2/locations", "kind": "server_error", "times": 5}]})
    sleeps: list[float] = []
    with SquareClient(sandbox.base_url, SANDBOX_TOKEN, max_retries=3, backoff_cap=4, sleep=sleeps.append) as client:
        assert client.list_catalog().objects
        with pytest.raises(ECSServerError):
            client.list_locations()
        assert client.stats["retries"] == 5 and all(0 <= s <= 4 for s in sleeps)


def test_a_deadline_bounds_the_whole_call_retries_included(sandbox: Any) -> None:  # noqa: F811
    """A web request's client gives up rather than wait past its deadline (here Retry-After: 30 > 2 s)."""
    sandbox.control("POST", "faults", json={"rules": [
        {"path_prefix": "/v2/locations", "kind": "rate_limit", "retry_after": 30, "times": 3}]})
    sleeps: list[float] = []
    with SquareClient(sandbox.base_url, SANDBOX_TOKEN, max_retries=5, backoff_cap=60, sleep=sleeps.append,
                      deadline=2.0) as client:
        with pytest.raises(ECSRateLimited):
            client.list_locations()
        assert client.stats["requests"] == 1 and sleeps == []
    with SquareClient(sandbox.base_url, SANDBOX_TOKEN, max_retries=5, backoff_cap=60, sleep=sleeps.append) as patient:
        assert patient.list_locations()  # without a deadline the same faults are waited out (sleep is faked)
        assert sleeps and min(sleeps) >= 30


# -- timestamps as instants; repeated cursors -----------------------------------------------------
@pytest.mark.parametrize(("current", "candidate", "later"), [
    ("2025-03-01T12:00:00.5Z", "2025-03-01T12:00:00.45Z", "2025-03-01T12:00:00.5Z"),  # strings would say .5 < .45
    ("2025-03-01T12:00:00.45Z", "2025-03-01T12:00:00.5Z", "2025-03-01T12:00:00.5Z"),
    ("2025-03-01T12:00:00Z", "2025-03-01T12:00:00.000001Z", "2025-03-01T12:00:00.000001Z"),
    ("2025-03-01T12:00:00.123456789Z", "2025-03-01T12:00:00.123456Z", "2025-03-01T12:00:00.123456789Z"),
    ("2025-03-01T12:00:00Z", "2025-03-01T13:30:00+02:00", "2025-03-01T12:00:00Z"),  # 11:30 UTC is earlier
    ("2025-03-01T12:00:00.500Z", "2025-03-01T12:00:00.5Z", "2025-03-01T12:00:00.500Z"),  # same instant: keep
    (None, "2025-03-01T12:00:00Z", "2025-03-01T12:00:00Z"),
    ("2025-03-01T12:00:00Z", None, "2025-03-01T12:00:00Z"),
    ("2025-03-01T12:00:00Z", "yesterday", "2025-03-01T12:00:00Z"),  # unreadable never wins
    ("garbage", "2025-03-01T12:00:00Z", "2025-03-01T12:00:00Z"),
])
def test_latest_time_is_compared_as_an_instant(current: str | None, candidate: str | None, later: str) -> None:
    assert later_time(current, candidate) == later


def test_timestamps_parse_with_any_fraction_digits() -> None:
    assert instant_ns("2019-10-29T17:26:16.808603647Z") - instant_ns("2019-10-29T17:26:16.8Z") == 8_603_647
    assert instant_ns("2019-10-29T17:26:16z") == instant_ns("2019-10-29T19:26:16.000+02:00")
    with pytest.raises(ValueError):
        instant_ns("2019-10-29")
    assert parse_timestamp("2019-10-29T17:26:16.808603647Z") == datetime(2019, 10, 29, 17, 26, 16, 808603, UTC)
    assert parse_timestamp("2019-10-29T17:26:16.5z") == datetime(2019, 10, 29, 17, 26, 16, 500000, UTC)


def test_a_repeated_cursor_ends_the_walk_with_a_clear_error(stub: StubSquare,
                                                            make_client: Callable[..., SquareClient]) -> None:
    stub.reply("GET", "/v2/catalog/list", Reply(body={"objects": [], "cursor": "c1"}),
               Reply(body={"objects": [], "cursor": "c2"}), Reply(body={"objects": [], "cursor": "c1"}))
    client = make_client()
    with pytest.raises(ECSRepeatedCursor, match="ListCatalog: the ECS returned a cursor it had already returned"):
        list(client.iter_catalog())
    assert [s.args.get("cursor") for s in stub.seen] == [None, ["c1"], ["c2"]]  # no fourth request

    stub.reply("POST", "/v2/inventory/counts/batch-retrieve", Reply(body={"cursor": "same"}),
               Reply(body={"cursor": "same"}))
    with pytest.raises(ECSRepeatedCursor, match="BatchRetrieveInventoryCounts"):
        client.batch_retrieve_inventory_counts(["V1"])


def test_a_cursor_trail_accepts_each_cursor_once() -> None:
    trail = CursorTrail("Walk")
    assert [trail.follow(c) for c in ("a", "b", None)] == ["a", "b", None]
    with pytest.raises(ECSRepeatedCursor, match="after 2 pages"):
        trail.follow("a")
