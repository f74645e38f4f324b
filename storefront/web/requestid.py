"""Request ids: accepted from the client when well-formed, generated otherwise, logged everywhere."""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")


def current_request_id() -> str | None:
    """The id of the request being served (assigned on first use), or None outside a request."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if _WELL_FORMED.match(incoming) else uuid.uuid4().hex
    return g.request_id


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


def init_app(app: Flask) -> None:
    # Other before_request hooks (the rate limiter's) may answer first, so the id is assigned
    # lazily by whichever code needs it first and echoed on the way out.
    @app.after_request
    def echo_request_id(response: Response) -> Response:
        response.headers[HEADER] = current_request_id() or uuid.uuid4().hex
        return response


def configure_logging(app: Flask) -> None:
    """Log lines carry the request id; one handler on the app logger, set up once."""
    if any(isinstance(f, RequestIdFilter) for h in app.logger.handlers for f in h.filters):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    handler.addFilter(RequestIdFilter())
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(logging.INFO if app.config["ENV_NAME"] != "testing" else logging.WARNING)
    app.logger.propagate = False
    storefront_logger = logging.getLogger("storefront")
    storefront_logger.handlers[:] = [handler]
    storefront_logger.setLevel(app.logger.level)
    storefront_logger.propagate = False
