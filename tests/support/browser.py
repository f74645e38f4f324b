"""Helpers for the browser journeys: screenshots, waiting on the server, reading the shop's database."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import select

from storefront.extensions import db
from tests.support import PROJECT_ROOT
from tests.support.ecs import Sandbox

SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
T = TypeVar("T")


def database_label() -> str:
    """"sqlite" or "postgresql": screenshots of both CI passes are kept side by side."""
    url = os.environ.get("DATABASE_URL", "")
    return "postgresql" if url.startswith("postgres") else "sqlite"


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page PNG of ``page`` as test-artifacts/screenshots/<db>-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{database_label()}-{name}.png"
    page.screenshot(path=str(path), full_page=True, caret="initial")  # "hide" leaves style="" on inputs
    return path


def wait_until(predicate: Callable[[], T], timeout: float = 20.0, what: str = "condition") -> T:
    """Poll ``predicate`` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:g}s")
        time.sleep(0.1)


@dataclass
class Shop:
    """The storefront on a real socket, with the sandbox it talks to."""

    app: Flask
    base_url: str
    sandbox: Sandbox

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def query(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in an app context on a fresh session (sees what the server committed)."""
        with self.app.app_context():
            db.session.remove()
            try:
                return fn()
            finally:
                db.session.remove()

    def latest_email_body(self, to: str, kind: str | None = None) -> str | None:
        from storefront.notifications.models import OutboundEmail

        def newest() -> str | None:
            query = select(OutboundEmail.body).where(OutboundEmail.to == to)
            if kind:
                query = query.where(OutboundEmail.kind == kind)
            return db.session.scalar(query.order_by(OutboundEmail.id.desc()).limit(1))

        return self.query(newest)


def link_in(text: str, path_prefix: str) -> str:
    """The first absolute URL in ``text`` whose path starts with ``path_prefix``."""
    match = re.search(r"https?://[^\s<>\"']*" + re.escape(path_prefix) + r"[^\s<>\"']*", text)
    assert match, f"no {path_prefix} link in {text!r}"
    return match.group(0).rstrip(".,;:)")


def staff_sign_in(page: Any, email: str, password: str) -> None:
    """Sign in on the back office's login page (a staff member without two-factor)."""
    page.goto("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
