"""Sandbox time: a strictly increasing microsecond clock and RFC 3339 formatting."""

from __future__ import annotations

import time
from datetime import UTC, datetime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_us() -> int:
    """Wall-clock time in microseconds since the Unix epoch."""
    return time.time_ns() // 1000


def rfc3339(us: int) -> str:
    """Format microseconds since the epoch as RFC 3339 UTC with microsecond precision."""
    seconds, micros = divmod(us, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{micros:06d}Z"


def parse_rfc3339(value: str) -> int:
    """Parse an RFC 3339 timestamp into microseconds since the epoch; ``ValueError`` if malformed."""
    if not isinstance(value, str) or "T" not in value:
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "." in text:  # Python accepts at most 6 fraction digits; Square sends up to 9.
        head, _, rest = text.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        text = f"{head}.{(digits or '0')[:6]}{rest}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a zone: {value!r}")
    delta = parsed - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class VersionClock:
    """Hands out strictly increasing microsecond stamps (the catalog ``version``); not locked itself."""

    def __init__(self, last: int = 0) -> None:
        self.last = last

    def tick(self) -> int:
        """The next stamp: the wall clock, or one more than the last stamp if the clock lags."""
        stamp = max(now_us(), self.last + 1)
        self.last = stamp
        return stamp
