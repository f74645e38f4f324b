"""Serve the storefront app over real HTTP in a background thread (webhooks need a real URL)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server


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
