"""Run a sandbox app on a background thread (tests, demos, benchmarks)."""

from __future__ import annotations

import threading
from types import TracebackType

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from storefront.ecs.sandbox.context import EXTENSION_KEY, Sandbox


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (a 1,000-page catalog walk would print 1,000 lines)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class SandboxServer:
    """A threaded werkzeug server in a daemon thread; ``base_url`` is where it listens."""

    def __init__(self, app: Flask, server: BaseWSGIServer) -> None:
        self.app = app
        self._server = server
        self.host, self.port = server.server_address[0], server.server_port
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"{app.name}-{self.port}", daemon=True)
        self._thread.start()

    @property
    def sandbox(self) -> Sandbox:
        return self.app.extensions[EXTENSION_KEY]

    def json(self, method: str, path: str, body: object = None) -> object:
        """Call the sandbox's control API (tests): the decoded JSON answer, or None for 204."""
        import requests  # noqa: PLC0415 (only tests call this)

        response = requests.request(method, self.base_url + path, json=body, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None

    def shutdown(self) -> None:
        """Stop serving, stop webhook workers and write the state file (if any)."""
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()
        ecs_state = self.app.extensions.get(EXTENSION_KEY)  # other sandboxes (Discogs) have nothing to close
        if ecs_state is not None:
            ecs_state.close()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.shutdown()


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0, *, access_log: bool = False) -> SandboxServer:
    """Serve ``app`` (threaded) on ``host:port`` (0 picks a free port) until ``shutdown()``."""
    handler = WSGIRequestHandler if access_log else _QuietHandler
    return SandboxServer(app, make_server(host, port, app, threaded=True, request_handler=handler))
