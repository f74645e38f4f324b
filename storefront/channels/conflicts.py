"""Conflicts: a listing edited on the channel since we last published it.

Before a sync overwrites a listing it reads the channel's side; a compared field that differs
from what we last sent was changed there, so the sync records a conflict (per field, with the
locale) and leaves that listing alone until staff resolve it: ``pim_wins`` (ours goes out),
``channel_wins`` (the channel's value is kept and pinned for that listing) or ``merged`` with
``field_overrides`` choosing per field ("pim", "channel" or an explicit value).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select

from storefront.channels.adapters import ChannelAdapter, ChannelError, ListingRef, Offer
from storefront.channels.models import ChannelConflict, ChannelConnector, ChannelListing
from storefront.db.timestamps import utcnow
from storefront.extensions import db

COMPARED_FIELDS = ("price_amount", "title")
RESOLUTIONS = ("pim_wins", "channel_wins", "merged")


def open_conflict_for(row: ChannelListing) -> ChannelConflict | None:
    return db.session.scalar(select(ChannelConflict).where(ChannelConflict.listing_pk == row.id,
                                                           ChannelConflict.status == "open"))


def pinned(offer: Offer, row: ChannelListing) -> Offer:
    """The offer with the values staff chose to keep from the channel for this listing."""
    pins = {k: v for k, v in (row.extra or {}).get("pinned", {}).items() if k in COMPARED_FIELDS}
    return dataclasses.replace(offer, **pins) if pins else offer


def detect_conflict(connector: ChannelConnector, adapter: ChannelAdapter, row: ChannelListing,
                    offer: Offer) -> str:
    """"ok" (safe to update), "conflict" (recorded), "sold" (sold on the channel: leave it to the
    sales poll) or "gone" (the listing vanished there: publish it anew)."""
    assert row.listing_id
    remote = adapter.fetch(ListingRef(row.listing_id, row.status, dict(row.extra or {})))
    if remote is None:
        return "gone"
    if str(remote.get("status", "")).lower() == "sold":
        return "sold"
    fields = {}
    for name in COMPARED_FIELDS:
        if name not in remote or name not in (row.published or {}):
            continue
        theirs, sent, ours = remote[name], row.published[name], getattr(offer, name)
        if theirs != sent and theirs != ours:
            fields[name] = {"pim": ours, "channel": theirs, "last_published": sent, "locale": offer.locale}
    if not fields:
        return "ok"
    db.session.add(ChannelConflict(connector_id=connector.id, listing_pk=row.id, offer_key=row.offer_key,
                                   fields=fields))
    db.session.commit()
    return "conflict"


def list_conflicts(connector: ChannelConnector, *, status: str | None = "open") -> list[ChannelConflict]:
    stmt = select(ChannelConflict).where(ChannelConflict.connector_id == connector.id).order_by(ChannelConflict.id)
    if status:
        stmt = stmt.where(ChannelConflict.status == status)
    return list(db.session.scalars(stmt))


def get_conflict(connector: ChannelConnector, conflict_id: int) -> ChannelConflict:
    conflict = db.session.get(ChannelConflict, conflict_id) if isinstance(conflict_id, int) else None
    if conflict is None or conflict.connector_id != connector.id:
        raise ChannelError("CHN-040", f"No conflict {conflict_id} on connector {connector.code}.")
    return conflict


def chosen_values(conflict: ChannelConflict, resolution: str, overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per field: {"source": pim|channel|override, "value": …}; raises ValueError on a bad override."""
    out: dict[str, dict[str, Any]] = {}
    for name, values in conflict.fields.items():
        if resolution == "pim_wins":
            choice: Any = "pim"
        elif resolution == "channel_wins":
            choice = "channel"
        else:
            choice = overrides.get(name, "pim")
        if choice in ("pim", "channel"):
            out[name] = {"source": choice, "value": values[choice]}
        else:
            out[name] = {"source": "override", "value": _checked(name, choice)}
    unknown = set(overrides) - set(conflict.fields)
    if unknown:
        raise ValueError(f"field_overrides names fields not in conflict: {', '.join(sorted(unknown))}")
    return out


def _checked(name: str, value: Any) -> Any:
    if name == "price_amount":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 10**9:
            raise ValueError("price_amount override must be a positive whole number of minor units")
    elif not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise ValueError(f"{name} override must be text of 1 to 255 characters")
    return value


def mark_resolved(conflict: ChannelConflict, row: ChannelListing, resolution: str,
                  chosen: dict[str, dict[str, Any]], actor_label: str) -> None:
    """Pin the non-PIM values on the listing and close the conflict (not committed)."""
    pins = dict((row.extra or {}).get("pinned", {}))
    for name, choice in chosen.items():
        if choice["source"] == "pim":
            pins.pop(name, None)
        else:
            pins[name] = choice["value"]
    row.extra = {**(row.extra or {}), "pinned": pins}
    # The channel's values are now known and answered: only a later edit there is a new conflict.
    row.published = {**(row.published or {}), **{name: v["channel"] for name, v in conflict.fields.items()}}
    row.fingerprint = ""  # publish again whatever the offer says
    conflict.status, conflict.resolution, conflict.resolved_at = "resolved", resolution, utcnow()
    conflict.resolved_values = {name: choice["value"] for name, choice in chosen.items()}
    conflict.resolved_by = actor_label[:255]
