"""Refuse text no column can hold: a NUL character in the URL, query, form or JSON body is a 400.

PostgreSQL text cannot contain NUL (0x00), so such input would otherwise surface as a database
error (a 500) deep inside whichever service first stored or compared it. Checking once, before
any view runs, keeps every route's answer a clear client error on both databases. The webhook
receiver is left alone: it must check the signature before it looks at the body at all.
"""

from __future__ import annotations

from flask import Flask, abort, request

_NUL = "\x00"
_JSON_NUL = (b"\\u0000", b"\x00")
_EXEMPT_PREFIXES = ("/webhooks/",)
MESSAGE = "The request contains a NUL character, which no field accepts."


def has_nul_bytes() -> bool:
    """True when the path, query string, form fields or JSON body carry a NUL character."""
    if _NUL in request.path:
        return True
    raw_query = request.query_string
    if (b"\x00" in raw_query or b"%00" in raw_query) and any(
            _NUL in k or _NUL in v for k, v in request.args.items(multi=True)):
        return True
    if request.mimetype == "application/x-www-form-urlencoded" or request.mimetype == "multipart/form-data":
        # a multipart part with no usable name comes back with a None key: nothing to check there
        return any(_NUL in (k or "") or _NUL in (v or "") for k, v in request.form.items(multi=True))
    if request.is_json:
        body = request.get_data(cache=True)
        return any(marker in body for marker in _JSON_NUL)
    return False


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul_bytes() -> None:
        if not request.path.startswith(_EXEMPT_PREFIXES) and has_nul_bytes():
            abort(400, description=MESSAGE)
