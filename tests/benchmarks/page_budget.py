"""Lighthouse-style first-view budget: bytes transferred and requests for a page and what it loads.

    .venv/bin/python -m tests.benchmarks.page_budget http://127.0.0.1:8000/catalog http://127.0.0.1:8000/catalog/1

Counts the HTML plus every stylesheet, script and eager image the page references (as a browser with
an empty cache would fetch them), with the bytes as sent on the wire (Content-Length, or body size).
Lazy images (a record shop's card covers) are counted apart: ``lazy_images`` says how many the page
has; a browser fetches only those near the viewport. The budget applies to the rest.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from urllib.parse import urljoin

import requests
from bs4 import BeautifulSoup

BUDGET_BYTES = 150_000
BUDGET_REQUESTS = 10


@dataclass(frozen=True)
class PageWeight:
    url: str
    requests: int
    bytes: int
    html_bytes: int
    lazy_images: int = 0

    @property
    def within_budget(self) -> bool:
        return self.bytes <= BUDGET_BYTES and self.requests <= BUDGET_REQUESTS


def _size(response: requests.Response) -> int:
    return int(response.headers.get("Content-Length") or len(response.content))


def first_view(url: str, session: requests.Session | None = None) -> PageWeight:
    http = session or requests.Session()
    http.headers["Accept-Encoding"] = "gzip, deflate, br"
    page = http.get(url, timeout=30)
    page.raise_for_status()
    soup = BeautifulSoup(page.text, "html.parser")
    assets = {urljoin(url, tag.get("href")) for tag in soup.find_all("link", rel="stylesheet")}
    assets |= {urljoin(url, tag["src"]) for tag in soup.find_all("script", src=True)}
    images = soup.find_all("img", src=True)
    assets |= {urljoin(url, tag["src"]) for tag in images if tag.get("loading") != "lazy"}
    lazy = {urljoin(url, tag["src"]) for tag in images if tag.get("loading") == "lazy"}
    total = _size(page)
    for asset in sorted(assets):
        total += _size(http.get(asset, timeout=30))
    return PageWeight(url, 1 + len(assets), total, _size(page), len(lazy))


if __name__ == "__main__":
    for target in sys.argv[1:]:
        weight = first_view(target)
        verdict = "within" if weight.within_budget else "OVER"
        print(f"{target}: {weight.requests} requests, {weight.bytes:,} bytes (HTML {weight.html_bytes:,}) — "
              f"{verdict} budget ({BUDGET_REQUESTS} requests, {BUDGET_BYTES:,} bytes)")
