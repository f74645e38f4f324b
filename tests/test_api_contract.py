"""Schemathesis against the app in-process (WSGI, no network): every /api/v1 operation, generated
inputs, zero server errors, and every response matching the OpenAPI document (status, content type,
required headers, body schema).

The app has a synced demo catalog, an order, an inquiry, dead-lettered webhook events, and valid
customer and (admin) staff bearer tokens so authenticated operations get past 401. DLQ routes are
reached through STAFF_API_IP_ALLOWLIST (requests come from 127.0.0.1). Examples per operation:
``CONTRACT_MAX_EXAMPLES`` (default 25).
"""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import update

from storefront import create_app
from storefront.api.openapi import build_document
from storefront.apitokens.services import authenticate, issue_token
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.inquiries.models import EventInquiry
from storefront.webhooks.models import WebhookEvent
from tests.support.accounts import make_customer, make_staff
from tests.support.app import base_config, empty_all_tables
from tests.support.contract import sync_catalog
from tests.support.discogs import install_fake_discogs
from tests.support.ecs import Sandbox, ecs_config

MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "25"))
GENEROUS = "100000 per minute"
# Values the seed data has, offered to the generator as examples (random ids rarely hit them).
PATH_EXAMPLES = {"tracking_id": "EV-TEST-0001"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


class Credentials:
    """Bearer tokens for the customer and the admin; re-issued when a test revoked them (logout, reset)."""

    def __init__(self, app: Flask, customer_id: int, staff_id: int) -> None:
        self.app = app
        self.subjects = {"customer": customer_id, "staff": staff_id}
        self.tokens: dict[str, str] = {}

    def token(self, kind: str) -> str:
        with self.app.app_context():
            current = self.tokens.get(kind)
            if current is None or authenticate(current, kind) is None:
                current = self.tokens[kind] = issue_token(kind, self.subjects[kind], 3600).token
            db.session.commit()
            db.session.remove()
        return current


def contract_config(sandbox: Sandbox, database_url: str, instance: Path) -> dict[str, Any]:
    limits = ("API_RATE_LIMIT", "ORDER_STATUS_RATE_LIMIT", "STAFF_LOGIN_RATE_LIMIT", "INQUIRY_RATE_LIMIT",
              "CUSTOMER_LOGIN_RATE_LIMIT_PER_IP", "CUSTOMER_LOGIN_RATE_LIMIT_PER_ACCOUNT",
              "CUSTOMER_EMAIL_RATE_LIMIT_PER_IP", "CUSTOMER_EMAIL_RATE_LIMIT_PER_ADDRESS")
    return base_config(database_url, **ecs_config(sandbox), **dict.fromkeys(limits, GENEROUS),
                        STAFF_API_IP_ALLOWLIST=["127.0.0.1"], INSTANCE_PATH=str(instance))


def seed(app: Flask, credentials: Credentials) -> dict[str, str]:
    """An order, an inquiry and dead webhook events, made through the API where there is one."""
    client = app.test_client()
    customer = {"Authorization": f"Bearer {credentials.token('customer')}"}
    cart_token = client.post("/api/v1/cart").get_json()["cart_token"]
    products = client.get("/api/v1/products?in_stock=true&limit=3").get_json()["products"]
    for product in products:
        added = client.post("/api/v1/cart/items", json={"item_id": product["id"]},
                            headers={"X-Cart-Token": cart_token})
        assert added.status_code == 200, added.get_json()
        client.post("/api/v1/wishlist", json={"item_id": product["id"]}, headers=customer)
    checkout = client.post("/api/v1/checkout", json={"cart_token": cart_token}, headers=customer)
    assert checkout.status_code == 201, checkout.get_json()
    inquiry = client.post("/api/v1/events/inquiry", json={
        "name": "Ada", "email": "ada@example.com", "eventType": "listening_session",
        "preferredDate": utcnow().date().replace(year=utcnow().year + 1).isoformat(),
        "message": "A listening evening for twelve people."})
    assert inquiry.status_code == 202, inquiry.get_json()
    with app.app_context():
        db.session.execute(update(EventInquiry).where(EventInquiry.tracking_id == inquiry.get_json()["tracking_id"])
                           .values(tracking_id=PATH_EXAMPLES["tracking_id"]))
        db.session.commit()
        db.session.remove()
    staff = {"Authorization": f"Bearer {credentials.token('staff')}"}
    for path, name in (("/api/v1/staff/genres", "Contract genre"), ("/api/v1/staff/formats", "Contract format")):
        assert client.post(path, json={"name": name}, headers=staff).status_code == 201
    with app.app_context():
        for n, status in enumerate(["dead", "dead", "failed", "discarded"], start=1):
            db.session.add(WebhookEvent(event_id=f"evt-contract-{n}", event_type="inventory.count.updated",
                                        payload={"type": "inventory.count.updated", "data": {"n": n}},
                                        status=status, attempts=5, last_error="boom", finished_at=utcnow()))
        db.session.commit()
        db.session.remove()
    cart_token = client.post("/api/v1/cart").get_json()["cart_token"]
    client.post("/api/v1/cart/items", json={"item_id": products[0]["id"]}, headers={"X-Cart-Token": cart_token})
    return {"cart_token": cart_token}


@pytest.fixture(scope="module")
def contract_app(tmp_path_factory: pytest.TempPathFactory, shared_database_url: str | None,
                 sandbox_server: Sandbox) -> Iterator[tuple[Flask, Credentials, dict[str, str]]]:
    sandbox_server.reset(items=60)
    folder = tmp_path_factory.mktemp("contract")
    url = shared_database_url or f"sqlite:///{folder / 'contract.db'}"
    app = create_app(contract_config(sandbox_server, url, folder / "instance"))
    with app.app_context():
        if shared_database_url:
            empty_all_tables()
        else:
            db.create_all()
    sync_catalog(app)
    install_fake_discogs(app)
    customer = make_customer(app, "contract-customer@example.com")
    admin = make_staff(app, "contract-admin@example.com", role="admin")
    credentials = Credentials(app, customer.id, admin.id)
    state = seed(app, credentials)
    yield app, credentials, state
    with app.app_context():
        db.session.remove()
        if shared_database_url:
            empty_all_tables()
        db.engine.dispose()


def request_headers(case: Any, credentials: Credentials, state: dict[str, str]) -> dict[str, str]:
    """Valid credentials for the operation's security requirement, and a real cart for cart routes."""
    headers: dict[str, str] = {}
    schemes = {name for requirement in case.operation.definition.raw.get("security", []) for name in requirement}
    if "customerBearer" in schemes:
        headers["Authorization"] = f"Bearer {credentials.token('customer')}"
    elif "staffBearer" in schemes:
        headers["Authorization"] = f"Bearer {credentials.token('staff')}"
    if case.headers and "X-Cart-Token" in case.headers:
        headers["X-Cart-Token"] = state["cart_token"]
    if case.operation.path == "/api/v1/checkout" and isinstance(case.body, dict) and "cart_token" in case.body:
        case.body["cart_token"] = state["cart_token"]
    return headers


def documented_schema() -> tuple[dict[str, Any], Any]:
    """The document of an app built at import (collection needs the operations before fixtures run),
    and the schemathesis schema made from it (with seed-data examples added to a copy)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "contract", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "RATELIMIT_STORAGE_URI": "memory://", "ENV_NAME": "testing",
                      "INSTANCE_PATH": str(Path(tempfile.gettempdir()) / "storefront-contract-instance")})
    config = schemathesis.Config.from_dict({
        "generation": {"max-examples": MAX_EXAMPLES, "mode": "all"},
        "phases": {"stateful": {"enabled": False}},
    })
    document = build_document(app)
    raw = copy.deepcopy(document)
    for operation in (op for ops in raw["paths"].values() for op in ops.values()):
        for param in operation.get("parameters", []):
            if param["name"] in PATH_EXAMPLES and param["in"] == "path":
                param["example"] = PATH_EXAMPLES[param["name"]]
    return copy.deepcopy(document), schemathesis.openapi.from_dict(raw, config=config)


DOCUMENT, schema = documented_schema()


def test_the_served_document_is_the_one_tested(contract_app: tuple[Flask, Credentials, dict[str, str]]) -> None:
    app, _credentials, _state = contract_app
    served = app.test_client().get("/api/v1/openapi.json").get_json()
    assert served == DOCUMENT
    assert served["paths"].keys() == schema.raw_schema["paths"].keys()


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=MAX_EXAMPLES)
def test_api_contract(case: Any, contract_app: tuple[Flask, Credentials, dict[str, str]]) -> None:
    app, credentials, state = contract_app
    case.call_and_validate(headers=request_headers(case, credentials, state), checks=CHECKS, app=app,
                           environ_base={"REMOTE_ADDR": "127.0.0.1"})
