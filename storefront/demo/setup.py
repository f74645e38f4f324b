"""Demo data that lives in the storefront's own database."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask


def prepare_demo(app: Flask) -> Iterator[str]:
    """Load what the demo needs; yields one line of progress per step."""
    yield "demo ready"
