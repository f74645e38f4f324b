"""A client-side moving-window rate limiter: never more than ``limit`` grants in any ``window`` seconds."""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from collections.abc import Callable

from storefront.discogs.errors import DiscogsRateLimited

MIN_WAIT = 0.001  # guards against a zero-length sleep from float rounding


class MovingWindowLimiter:
    """Grants are stamped on ``clock``; a caller waits (with ``sleep``) until the oldest grant leaves the window.

    ``pause`` holds every grant back for a while (the server said no requests remain)."""

    def __init__(self, limit: int, window: float, *, clock: Callable[[], float],
                 sleep: Callable[[float], None]) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("rate limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._stamps: deque[float] = deque()
        self._paused_until = float("-inf")

    def acquire(self, max_wait: float | None = None) -> float:
        """Wait for a slot and take it; returns the grant's time. Raises ``DiscogsRateLimited`` rather than
        wait more than ``max_wait`` seconds in all."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._stamps and self._stamps[0] <= now - self.window:
                    self._stamps.popleft()
                if now < self._paused_until:
                    wait = self._paused_until - now
                elif len(self._stamps) >= self.limit:
                    wait = self._stamps[0] + self.window - now
                else:
                    self._stamps.append(now)
                    return now
            wait = max(wait, MIN_WAIT)
            if max_wait is not None and waited + wait > max_wait:
                raise DiscogsRateLimited(f"Discogs rate limit: next slot in {wait:.1f}s, over {max_wait:g}s allowed")
            self._sleep(wait)
            waited += wait

    def pause(self, seconds: float) -> None:
        """Grant nothing for ``seconds`` from now."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


_SHARED: dict[tuple[str, str], MovingWindowLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(token: str | None, api_base: str, limit: int, window: float, *,
                   clock: Callable[[], float], sleep: Callable[[float], None]) -> MovingWindowLimiter:
    """One limiter per Discogs token (and API root) in this process: Discogs counts requests per token,
    so the enrichment lookups and every channel connector using the same token draw on one budget.
    The smallest ``limit`` asked for wins (a connector may be set to leave room for others)."""
    key = (hashlib.sha256((token or "").encode()).hexdigest(), api_base)
    with _SHARED_LOCK:
        limiter = _SHARED.get(key)
        if limiter is None or limiter.window != window:
            limiter = _SHARED[key] = MovingWindowLimiter(limit, window, clock=clock, sleep=sleep)
        elif limit < limiter.limit:
            limiter.limit = limit
        return limiter
