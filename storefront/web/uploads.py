"""Routes that take file uploads get a larger body limit than the app's 1 MB default.

The limit must be raised before anything reads the form (the NUL guard does, for every request),
so this hook is registered ahead of it. A body over the route's limit is refused at once with 413
and a clear message, before it is read; a caller with neither a token nor a session keeps the
small limit (the route refuses them anyway, and should not parse megabytes first).
"""

from __future__ import annotations

from flask import Flask, abort, current_app, request

_UPLOAD_ENDPOINTS: dict[str, str] = {}  # endpoint → setting holding its byte limit
_FORM_ALLOWANCE = 256 * 1024  # the form's other fields and the multipart framing


def allow_uploads(endpoint: str, limit_setting: str) -> None:
    """Let ``endpoint`` take a body of up to ``app.config[limit_setting]`` bytes (plus the form)."""
    _UPLOAD_ENDPOINTS[endpoint] = limit_setting


def init_app(app: Flask) -> None:
    @app.before_request
    def upload_limits() -> None:
        setting = _UPLOAD_ENDPOINTS.get(request.endpoint or "")
        cookie = current_app.config["SESSION_COOKIE_NAME"]
        signed_in = request.headers.get("Authorization") or request.cookies.get(cookie)
        if setting is None or not signed_in:  # an anonymous body stays small: it is refused unread anyway
            return
        limit = int(current_app.config[setting])
        if (request.content_length or 0) > limit + _FORM_ALLOWANCE:
            abort(413, description=f"Uploads here are limited to {limit // (1024 * 1024)} MB.")
        request.max_content_length = limit + _FORM_ALLOWANCE
