"""Checking real /api/v1 responses against the OpenAPI document, and apps with a synced demo catalog.

    contract = Contract(app)
    body = contract.check(client.get("/api/v1/products"))   # AssertionError naming what differs
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from jsonschema import Draft202012Validator
from werkzeug.test import TestResponse

from storefront.api.openapi import document, openapi_path
from storefront.extensions import db
from storefront.sync.runner import execute_run
from storefront.sync.services import create_run
from tests.support.ecs import Sandbox, ecs_config


def sync_catalog(app: Flask) -> None:
    """Run a full sync from the sandbox into ``app``'s database (the demo catalog)."""
    with app.app_context():
        run = execute_run(create_run("full").id)
        assert run.status == "succeeded", run.message
        db.session.remove()


def synced_app(make_app: Any, sandbox: Sandbox, **config: Any) -> Flask:
    """An app pointed at the sandbox with its catalog synced."""
    app = make_app(**ecs_config(sandbox), **config)
    sync_catalog(app)
    return app


class Contract:
    """The app's OpenAPI document, used to validate responses the test client got."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        with app.app_context():
            self.doc = document(app)
        self.adapter = app.url_map.bind("localhost")

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        """(OpenAPI path, operation object) documented for a concrete request."""
        rule, _args = self.adapter.match(path, method=method, return_rule=True)
        template = openapi_path(rule.rule)
        operations = self.doc["paths"].get(template)
        assert operations and method.lower() in operations, f"{method} {template} is not in the OpenAPI document"
        return template, operations[method.lower()]

    def documented_response(self, method: str, path: str, status: int) -> dict[str, Any]:
        template, operation = self.operation(method, path)
        response = operation["responses"].get(str(status))
        assert response is not None, (
            f"{method} {template} answered {status}, which its OpenAPI operation does not list "
            f"(documented: {', '.join(operation['responses'])})")
        ref = response.get("$ref")
        if ref:
            response = self.doc["components"]["responses"][ref.rsplit("/", 1)[-1]]
        return response

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        """A 2020-12 validator for ``schema`` whose ``#/components/...`` references resolve."""
        root = {"$ref": "#/$defs/target", "$defs": {"target": schema}, "components": self.doc["components"]}
        return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)

    def check_body(self, schema: dict[str, Any], body: Any, where: str) -> None:
        errors = sorted(self.validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
        assert not errors, f"{where} does not match its documented schema:\n" + "\n".join(
            f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10])

    def check(self, response: TestResponse) -> Any:
        """Assert ``response`` (status, headers, JSON body) matches the document; returns the parsed body."""
        request = response.request
        method, path, status = request.method, request.path, response.status_code
        documented = self.documented_response(method, path, status)
        where = f"{method} {path} → {status}"
        for name, header in documented.get("headers", {}).items():
            header = self.doc["components"]["headers"][header["$ref"].rsplit("/", 1)[-1]] if "$ref" in header \
                else header
            if header.get("required"):
                assert name in response.headers, f"{where} lacks the required {name} header"
        content = documented.get("content")
        if not content:
            assert not response.data, f"{where} has a body but the document says it has none"
            return None
        media_type, spec = next(iter(content.items()))
        assert response.mimetype == media_type, f"{where} is {response.mimetype}, documented {media_type}"
        if media_type != "application/json":
            return response.get_data(as_text=True)
        body = response.get_json()
        self.check_body(spec["schema"], body, where)
        return body
