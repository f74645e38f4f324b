"""Reading rendered pages the way a browser would: the parsed HTML and the CSRF token."""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup
from flask.testing import FlaskClient

_CSRF_IN_HEADERS = re.compile(r'"X-CSRFToken":\s*"([^"]+)"')


def soup(response: Any) -> BeautifulSoup:
    """Parse an HTML response."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token a browser would send, read from a rendered page."""
    page = client.get(path)
    html = page.get_data(as_text=True)
    field = BeautifulSoup(html, "html.parser").find("input", attrs={"name": "csrf_token"})
    if field is not None:
        return str(field["value"])
    match = _CSRF_IN_HEADERS.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)
