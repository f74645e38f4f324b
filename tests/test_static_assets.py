"""htmx and the stylesheet: fingerprinted URLs, cached for a year, sent gzip-compressed."""

from __future__ import annotations

import gzip
import re

from bs4 import BeautifulSoup


def page_assets(client) -> list[str]:
    page = BeautifulSoup(client.get("/").data, "html.parser")
    return [tag.get("href") or tag.get("src") for tag in page.select("link[rel=stylesheet], script[src]")]


def test_pages_link_fingerprinted_assets(client):
    urls = page_assets(client)
    assert any("/static/js/htmx-" in url for url in urls) and any("shop.css" in url for url in urls)
    assert all(re.search(r"\?v=[0-9a-f]{16}$", url) for url in urls)


def test_fingerprinted_asset_is_immutable_and_compressed(client):
    htmx = next(url for url in page_assets(client) if "htmx" in url)
    response = client.get(htmx, headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in response.headers["Vary"]
    body = gzip.decompress(response.data)
    assert b"htmx" in body and len(response.data) < len(body) / 2
    plain = client.get(htmx)
    assert "Content-Encoding" not in plain.headers and plain.data == body


def test_unversioned_or_stale_urls_revalidate_and_answer_304(client):
    css = next(url for url in page_assets(client) if "shop.css" in url)
    stale = client.get(css.split("?")[0] + "?v=0000000000000000")
    assert stale.headers["Cache-Control"] == "public, max-age=300"
    again = client.get(css, headers={"If-None-Match": stale.headers["ETag"]})
    assert again.status_code == 304


def test_missing_and_escaping_paths_are_404(client):
    assert client.get("/static/css/nope.css").status_code == 404
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/%2e%2e/app.py").status_code == 404
