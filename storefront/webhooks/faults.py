"""Test-only failure injection for webhook handlers (the chaos test); inert outside ENV_NAME=testing.

With ``WEBHOOK_FAULT_INJECTION_RATE`` = r, a share r of events (chosen by a hash of the event
id, so every worker process agrees) fail their first k attempts, k spread over 1…max attempts:
most recover through retries, about r / WEBHOOK_MAX_ATTEMPTS end up dead.
"""

from __future__ import annotations

import hashlib

from flask import Flask


class InjectedFault(RuntimeError):
    """A handler failure injected on purpose by a test."""


def failing_attempts(app: Flask, event_id: str) -> int:
    """How many leading attempts of this event the injection fails (0 = none)."""
    rate = float(app.config.get("WEBHOOK_FAULT_INJECTION_RATE") or 0)
    if rate <= 0 or app.config.get("ENV_NAME") != "testing":
        return 0
    point = int.from_bytes(hashlib.sha256(event_id.encode()).digest()[:8], "big") / 2**64
    if point >= rate:
        return 0
    max_attempts = max(1, int(app.config["WEBHOOK_MAX_ATTEMPTS"]))
    return 1 + min(max_attempts - 1, int(point / rate * max_attempts))


def maybe_fail(app: Flask, event_id: str, attempt: int) -> None:
    """Raise :class:`InjectedFault` when the test configuration says this attempt fails."""
    if attempt <= failing_attempts(app, event_id):
        raise InjectedFault(f"injected handler failure (attempt {attempt})")
