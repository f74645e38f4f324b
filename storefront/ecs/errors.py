"""Typed errors for commerce-system calls, carrying Square's error list."""

from __future__ import annotations

from typing import Any


class ECSError(Exception):
    """Base: ``status`` is the HTTP status (0 when no response), ``errors`` Square's error objects."""

    def __init__(self, message: str, *, status: int = 0, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors or []

    @property
    def code(self) -> str | None:
        """The first error's Square code (e.g. ``RATE_LIMITED``), or None."""
        return self.errors[0].get("code") if self.errors else None


class ECSBadRequest(ECSError):
    """400: the request was refused (missing field, bad cursor …)."""


class ECSAuthError(ECSError):
    """401/403: the access token is wrong or lacks permission."""


class ECSNotFound(ECSError):
    """404."""


class ECSConflict(ECSError):
    """409."""


class ECSRateLimited(ECSError):
    """429 RATE_LIMITED, still after every retry."""


class ECSServerError(ECSError):
    """5xx, still after every retry."""


class ECSUnavailable(ECSError):
    """No answer: connection refused, DNS, timeout — after every retry."""


class ECSRepeatedCursor(ECSError):
    """A paged walk got back a cursor it had already followed: going on would loop forever."""
