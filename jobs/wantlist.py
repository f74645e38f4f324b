"""Wantlist jobs: match copies that came back in stock, send the digests (queue "default"/"notifications")."""

from __future__ import annotations

from typing import Any

from jobs.runtime import job
from storefront.wantlist.services import match_restocks as match
from storefront.wantlist.services import send_digests as send


@job
def match_restocks(pairs: list[Any]) -> int:
    """Record pending alerts for the [variation_id, location_id] pairs that came in stock; returns how many."""
    return match(pairs)


@job
def send_digests() -> int:
    """Email each shopper whose digest window has passed what matched meanwhile (scheduled every minute)."""
    return send()
