"""Serve the storefront app over real HTTP in a background thread (webhooks need a real URL).

``live_server(build)`` picks the port first, so the app's config can name its own URL; ``AppServer(app)``
serves an app that is already built, on any free port. The ``live_shop`` fixture is the storefront served
like that, synced from the ECS sandbox and receiving its webhooks: ``(app, base_url)``."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from storefront.sync.runner import execute_run
from storefront.sync.services import create_run
from tests.support.ecs import SANDBOX_SIGNATURE_KEY, Sandbox, ecs_config


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(build: Callable[[str], Flask]) -> Iterator[tuple[Flask, str]]:
    """``build(base_url)`` makes the app (so its config can name its own URL); yields (app, base_url)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = build(base_url)
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield app, base_url
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


class AppServer:
    """The storefront on a real socket (threaded werkzeug server in a daemon thread)."""

    def __init__(self, app: Flask) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()


@pytest.fixture
def live_shop(make_app: Any, sandbox: Sandbox) -> Iterator[tuple[Flask, str]]:
    """The storefront served over HTTP, synced from the sandbox, receiving its webhooks."""
    def build(base_url: str) -> Flask:
        return make_app(**ecs_config(sandbox), JOBS_MODE="thread", SERVER_NAME=None,
                        ECS_WEBHOOK_NOTIFICATION_URL=f"{base_url}/webhooks/square", PUBLIC_BASE_URL=base_url,
                        PREFERRED_URL_SCHEME="http", CHECKOUT_RESERVATION_MINUTES=15,
                        ECS_DECREMENTS_STOCK_ON_PAYMENT=True)

    with live_server(build) as (app, base_url):
        sandbox.control("POST", "webhooks/config", json={"url": f"{base_url}/webhooks/square",
                                                         "signature_key": SANDBOX_SIGNATURE_KEY})
        with app.app_context():
            run = execute_run(create_run("full").id)
            assert run.status == "succeeded", run.message
        yield app, base_url
        sandbox.control("POST", "webhooks/config", json={"url": None})
