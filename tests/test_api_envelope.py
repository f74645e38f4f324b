"""The /api/v1 skeleton: error envelope, request ids, rate-limit headers, ETags, pagination."""

from __future__ import annotations

import logging

import pytest
from flask import jsonify, request

from storefront.api.body import json_object
from storefront.extensions import csrf
from storefront.web.pagination import page_request, pagination_dict


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.is_json
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "details", "request_id"}
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    return error


def _echo_route(app):
    def echo():
        return jsonify(received=json_object())

    app.add_url_rule("/api/v1/_echo", "echo", csrf.exempt(echo), methods=["POST"])

    def paged():
        req = page_request(request.args, default_limit=10, max_limit=50)
        return jsonify(pagination=pagination_dict(req, total=95))

    app.add_url_rule("/api/v1/_paged", "paged", paged)


def test_unknown_api_route_gets_404_envelope(client):
    assert_envelope(client.get("/api/v1/nope"), 404, "not_found")


def test_wrong_method_gets_405_envelope_with_allow(client):
    response = client.delete("/api/v1/health")
    assert_envelope(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_malformed_json_gets_400_envelope(app, client):
    _echo_route(app)
    response = client.post("/api/v1/_echo", data="{not json", content_type="application/json")
    assert_envelope(response, 400, "invalid_json")
    response = client.post("/api/v1/_echo", data="[1, 2]", content_type="application/json")
    assert_envelope(response, 400, "invalid_json")
    response = client.post("/api/v1/_echo", data="a=b")
    assert_envelope(response, 415, "unsupported_media_type")
    ok = client.post("/api/v1/_echo", json={"a": 1})
    assert ok.status_code == 200 and ok.get_json() == {"received": {"a": 1}}


def test_pagination_validation_gets_422_with_field_details(app, client):
    _echo_route(app)
    error = assert_envelope(client.get("/api/v1/_paged?page=0&limit=500"), 422, "validation_error")
    fields = {d["field"] for d in error["details"]}
    assert fields == {"page", "limit"}
    body = client.get("/api/v1/_paged?page=2&limit=10").get_json()
    assert body["pagination"] == {"page": 2, "limit": 10, "total": 95, "pages": 10,
                                  "has_next": True, "has_prev": True}


def test_unhandled_error_gets_500_envelope_without_internals(app, client):
    def explode():
        raise RuntimeError("database password is hunter2")

    app.add_url_rule("/api/v1/_boom", "boom", explode)
    response = client.get("/api/v1/_boom")
    error = assert_envelope(response, 500, "internal_error")
    assert "hunter2" not in response.get_data(as_text=True)
    assert error["request_id"]


def test_request_id_is_echoed_when_well_formed_and_replaced_otherwise(client):
    good = "req-0123456789abcdef"
    assert client.get("/api/v1/nope", headers={"X-Request-ID": good}).headers["X-Request-ID"] == good
    bad = client.get("/api/v1/nope", headers={"X-Request-ID": "<script>"})
    assert bad.headers["X-Request-ID"] != "<script>" and len(bad.headers["X-Request-ID"]) == 32
    assert bad.get_json()["error"]["request_id"] == bad.headers["X-Request-ID"]
    assert client.get("/").headers["X-Request-ID"]


def test_request_id_is_in_log_lines(app, client, caplog):
    def logs():
        app.logger.warning("something worth knowing")
        return jsonify(ok=True)

    app.add_url_rule("/api/v1/_logs", "logs", logs)
    handler = app.logger.handlers[0]
    records: list[logging.LogRecord] = []
    capture = logging.Handler()
    capture.emit = records.append  # type: ignore[method-assign]
    for f in handler.filters:
        capture.addFilter(f)
    app.logger.addHandler(capture)
    try:
        response = client.get("/api/v1/_logs", headers={"X-Request-ID": "trace-abcdef123456"})
    finally:
        app.logger.removeHandler(capture)
    assert response.status_code == 200
    assert [r.request_id for r in records] == ["trace-abcdef123456"]
    assert "trace-abcdef123456" in handler.format(records[0])


def test_rate_limited_burst_gets_429_envelope_and_headers(make_app):
    app = make_app(API_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = []
    for _ in range(4):
        response = client.get("/api/v1/health")
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
    assert_envelope(response, 429, "rate_limited")
    assert response.headers["X-RateLimit-Limit"] == "3"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Reset"]) > 0
    assert int(response.headers["Retry-After"]) > 0


def test_html_pages_get_the_429_page_not_json(app, client):
    from storefront.extensions import limiter

    def limited():
        return "ok"

    app.add_url_rule("/_limited", "limited", limiter.limit("1 per minute")(limited))
    assert client.get("/_limited").status_code == 200
    response = client.get("/_limited")
    assert response.status_code == 429
    assert "Too many requests" in response.get_data(as_text=True)
    assert not response.is_json


@pytest.mark.parametrize("path", ["/api/v1/_etag"])
def test_get_sends_etag_and_honours_if_none_match(app, client, path):
    app.add_url_rule(path, "etag", lambda: jsonify(items=[1, 2, 3]))
    first = client.get(path)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.get_json() == {"items": [1, 2, 3]}


@pytest.mark.parametrize("method, path, kwargs", [
    ("GET", "/api/v1/products", {"query_string": {"q": "miles\x00davis"}}),
    ("POST", "/api/v1/events/inquiry", {"json": {"name": "A\x00da", "email": "ada@example.com"}}),
    ("POST", "/api/v1/customer/login", {"data": '{"email": "a@example.com\\u0000", "password": "x"}',
                                        "content_type": "application/json"}),
])
def test_nul_characters_are_a_400_envelope_not_a_database_error(client, method, path, kwargs):
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request" and "NUL" in error["message"] and error["request_id"]


def test_nul_characters_in_a_page_query_get_the_shop_error_page(client):
    response = client.get("/catalog", query_string={"q": "a\x00b"})
    assert response.status_code == 400 and b"<html" in response.data and b"NUL" in response.data
