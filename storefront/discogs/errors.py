"""Typed errors for Discogs API calls."""

from __future__ import annotations


class DiscogsError(Exception):
    """Base: ``status`` is the HTTP status (0 when there was no response)."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class DiscogsNotConfigured(DiscogsError):
    """The call needs a Discogs token and the client has none."""


class DiscogsInvalidRequest(DiscogsError, ValueError):
    """The arguments were refused before sending (or Discogs answered 400/422)."""


class DiscogsAuthError(DiscogsError):
    """401/403: the token is wrong or lacks permission."""


class DiscogsNotFound(DiscogsError):
    """404: no such release, master or label."""


class DiscogsRateLimited(DiscogsError):
    """429 after every retry, or the limiter would have had to wait longer than ``max_wait``."""


class DiscogsUnavailable(DiscogsError):
    """Timeout, no connection, or 5xx after every retry."""


class DiscogsTimeout(DiscogsUnavailable):
    """Discogs did not answer within the client's timeout."""
