"""A fake api.discogs.com for enrichment and lookup tests: a ``requests`` transport adapter serving the
recorded Discogs responses in ``tests/reference/discogs`` (no network), mounted on a real DiscogsClient
the app uses::

    fake = install_fake_discogs(app)          # app.extensions["discogs_client"] now talks to the recordings
    fake.fail_next(429)                       # script a failure
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from flask import Flask
from PIL import Image
from requests.adapters import BaseAdapter

from storefront.discogs import DiscogsClient
from tests.support import REFERENCE_DIR


def fixtures_dir() -> Path:
    """The recorded responses: ``tests/reference/discogs`` (see tests/reference/README.md)."""
    return REFERENCE_DIR / "discogs"


class FixtureDiscogs(BaseAdapter):
    """Answers /releases/{id} and /database/search from the recorded files; records every request."""

    def __init__(self, directory: Path | None = None) -> None:
        super().__init__()
        self.directory = directory or fixtures_dir()
        self.requests: list[requests.PreparedRequest] = []
        self.scripted: list[int] = []

    def fail_next(self, *statuses: int) -> None:
        """Answer the next requests with these statuses (then go back to the fixtures)."""
        self.scripted.extend(statuses)

    def _file(self, path: str, params: dict[str, str]) -> Path | None:
        if path.startswith("/releases/"):
            return self.directory / f"releases_{path.rsplit('/', 1)[1]}.json"
        if path == "/database/search":
            if params.get("artist", "").lower() == "trash80" and params.get("title", "").lower() == "icarus":
                return self.directory / "database_search_artist_trash80_title_icarus_per_page_50_page_1.json"
            if params.get("q", "").lower() == "trash80":
                return self.directory / "database_search_q_trash80_per_page_50_page_1.json"
            return None
        return None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.requests.append(request)
        parts = urlsplit(request.url or "")
        params = dict(parse_qsl(parts.query))
        if self.scripted:
            status = self.scripted.pop(0)
            return self._response(request, status, {"message": f"scripted {status}"}, {"Retry-After": "1"})
        if parts.hostname == "i.discogs.com":  # Discogs' image host: a picture per path
            return self._image(request, parts.path)
        if parts.hostname != "api.discogs.com":
            return self._response(request, 418, {"message": "the fake only serves api.discogs.com"})
        file = self._file(parts.path, params)
        if parts.path == "/database/search" and file is None:
            body: dict[str, Any] = {"pagination": {"page": 1, "pages": 0, "items": 0, "per_page": 25}, "results": []}
            return self._response(request, 200, body)
        if file is None or not file.exists():
            return self._response(request, 404, {"message": "Release not found."})
        return self._response(request, 200, json.loads(file.read_text()))

    @staticmethod
    def _image(request: requests.PreparedRequest, path: str) -> requests.Response:
        response = requests.Response()
        if "missing" in path:
            response.status_code, response._content = 404, b"not found"
        else:
            out = io.BytesIO()
            shade = sum(path.encode()) % 200
            Image.new("RGB", (600, 600), (shade, 80, 200 - shade)).save(out, "JPEG")
            response.status_code, response._content = 200, out.getvalue()
            response.headers["Content-Type"] = "image/jpeg"
        response.raw = io.BytesIO(response._content)
        response.url, response.request = request.url or "", request
        return response

    @staticmethod
    def _response(request: requests.PreparedRequest, status: int, body: dict[str, Any],
                  headers: dict[str, str] | None = None) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.headers.update({"Content-Type": "application/json", "X-Discogs-Ratelimit": "60",
                                 "X-Discogs-Ratelimit-Used": "1", "X-Discogs-Ratelimit-Remaining": "59",
                                 **(headers or {})})
        response.url = request.url or ""
        response.request = request
        response.reason = "OK" if status == 200 else "Error"
        return response

    def close(self) -> None:  # pragma: no cover - nothing to release
        pass


def install_fake_discogs(app: Flask, *, token: str | None = "test-discogs-token") -> FixtureDiscogs:
    """Give ``app`` a real DiscogsClient whose transport is the fixture adapter (no sleeping, no cache)."""
    fake = FixtureDiscogs()
    session = requests.Session()
    session.mount("https://", fake)
    session.mount("http://", fake)
    app.extensions["discogs_client"] = DiscogsClient(
        token, user_agent="StorefrontTests/1.0 +https://shop.example", session=session, sleep=lambda _s: None,
        cache_ttl=0, max_retries=1, max_wait=5.0)
    return fake
