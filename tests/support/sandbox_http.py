"""Talking to a running ECS sandbox in tests: its control API and a webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from storefront.ecs.sandbox import create_sandbox_app, serve_in_thread


class Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        return None


class Receiver:
    """A tiny webhook endpoint that records deliveries and can fail the first few."""

    def __init__(self) -> None:
        self.deliveries: list[dict[str, Any]] = []
        self.fail_first = 0
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks/square"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.deliveries.append({"body": request.get_data(), "headers": dict(request.headers)})
            status = 500 if len(self.deliveries) <= self.fail_first else 200
        return Response("", status=status)(environ, start_response)

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(d["body"]) for d in self.deliveries]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def control(http: requests.Session, server: Any, method: str, path: str, **kwargs: Any) -> Any:
    response = http.request(method, f"{server.base_url}/_sandbox/{path}", timeout=30, **kwargs)
    assert response.status_code < 300, response.text
    return response.json()


@contextmanager
def sandbox_server(*, token: str, items: int, seed: int, signature_key: str = "sandbox-signature-key",
                   webhook_workers: int = 1, catalog_shape: str = "legacy") -> Iterator[Any]:
    """A sandbox of ``items`` demo records (in ``catalog_shape``) served on a free port (for a
    module-scoped fixture)."""
    app = create_sandbox_app(access_token=token, signature_key=signature_key, demo_items=items, seed=seed,
                             webhook_workers=webhook_workers, catalog_shape=catalog_shape)
    with serve_in_thread(app) as server:
        yield server


@contextmanager
def sandbox_session(server: Any, *, token: str, items: int, seed: int) -> Iterator[requests.Session]:
    """A session authorised for ``server``, whose catalog is reset and faults cleared first."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        control(session, server, "POST", "reset", json={"items": items, "seed": seed, "shape": "legacy"})
        control(session, server, "DELETE", "faults")
        yield session
