"""Static assets: fingerprinted URLs served with immutable caching, text assets gzip-compressed.

``asset_url("css/shop.css")`` is ``/static/css/shop.css?v=<content hash>``: a request carrying the
current hash may be cached for a year (``immutable``); a new deploy changes the hash, so browsers
fetch the new file at once. CSS, JavaScript and SVG go out gzip-compressed to clients that accept
it (compressed once per file version and kept in memory: a handful of small files).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, current_app, request, url_for
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=300"
COMPRESSIBLE = ("text/css", "text/javascript", "application/javascript", "image/svg+xml", "text/plain")
MIN_COMPRESS_BYTES = 1024


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    digest: str
    mimetype: str
    mtime: float


def _load(path: Path, mtime: float) -> Asset:
    body = path.read_bytes()
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    compress = mimetype.startswith(COMPRESSIBLE) and len(body) >= MIN_COMPRESS_BYTES
    return Asset(body=body, gzipped=gzip.compress(body, 9, mtime=0) if compress else None,
                 digest=hashlib.sha256(body).hexdigest()[:16], mimetype=mimetype, mtime=mtime)


def asset(app: Flask, filename: str) -> Asset | None:
    """The static file ``filename`` (None when missing), reloaded when it changes on disk."""
    joined = safe_join(str(app.static_folder), filename)
    path = Path(joined) if joined else None
    if path is None or not path.is_file():
        return None
    cache: dict[str, Asset] = app.extensions.setdefault("static_assets", {})
    mtime = path.stat().st_mtime
    known = cache.get(filename)
    if known is None or known.mtime != mtime:
        known = cache[filename] = _load(path, mtime)
    return known


def asset_url(filename: str) -> str:
    """URL of a static file with its content hash, so it can be cached for good."""
    found = asset(current_app, filename)
    return url_for("static", filename=filename, v=found.digest) if found else url_for("static", filename=filename)


def serve(app: Flask, filename: str) -> Response:
    """The static view: immutable when the URL carries the current hash, gzip when accepted."""
    found = asset(app, filename)
    if found is None:
        abort(404)
    use_gzip = found.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", "")
    response = Response(found.gzipped if use_gzip else found.body, mimetype=found.mimetype)
    if use_gzip:
        response.headers["Content-Encoding"] = "gzip"
    if found.gzipped is not None:
        response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = IMMUTABLE if request.args.get("v") == found.digest else REVALIDATE
    response.set_etag(found.digest + ("-gz" if use_gzip else ""))
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["asset_url"] = asset_url
