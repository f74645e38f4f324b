"""Only ever redirect to our own pages."""

from __future__ import annotations

from urllib.parse import urlsplit


def local_path(target: str | None, *, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default`` (no //host, schemes or backslashes)."""
    if not target or len(target) > 2000:
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
