"""The catalog revision: the change counter that every catalog cache and ETag is keyed on.

Whatever changes what shoppers see in the catalog (a sync, a stock change, a staff edit of an item
or a genre) calls :func:`bump` in its own transaction. Listing snapshots, rendered fragments and
pages of an older revision are then never served, and browsers' ETags stop matching. The counter
is the ``SyncState.catalog_revision`` column, so every process sees a change.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app
from sqlalchemy import select, update

from storefront.extensions import db
from storefront.shops.context import shop_extensions
from storefront.sync.models import SyncState

_EXTENSION = "catalog_revision"
_listeners: list[Callable[[], None]] = []


def register_change_listener(listener: Callable[[], None]) -> None:
    """Call ``listener()`` inside every transaction that bumps the revision (sales channels use it
    to push the change out once the transaction commits)."""
    if listener not in _listeners:
        _listeners.append(listener)


def current() -> int:
    """The catalog's change counter (0 before the first sync).

    A web process trusts the value it read for ``CATALOG_REVISION_TTL_SECONDS`` (it keys the
    cached listings and the pages' ETags, so it is read on every catalog request): a change made
    by another process (a worker, another web process) shows within that time, one made in this
    process at once (:func:`bump` forgets the copy).
    """
    ttl = float(current_app.config.get("CATALOG_REVISION_TTL_SECONDS") or 0)
    now = time.monotonic()
    if ttl > 0:
        cached = shop_extensions(current_app).get(_EXTENSION)
        if cached is not None and cached[1] > now:
            return int(cached[0])
    value = int(db.session.scalar(select(SyncState.catalog_revision).where(SyncState.id == 1)) or 0)
    if ttl > 0:
        shop_extensions(current_app)[_EXTENSION] = (value, now + ttl)
    return value


def bump() -> None:
    """Mark the catalog changed (stock, prices, enrichment …) so cached listings and ETags renew. No commit."""
    forget()
    for listener in _listeners:
        listener()
    if db.session.scalar(select(SyncState.id).where(SyncState.id == 1)) is None:
        db.session.add(SyncState(id=1, catalog_revision=1))
        db.session.flush()
        return
    # One UPDATE … + 1 rather than read-modify-write: two processes bumping at once both count.
    db.session.execute(update(SyncState).where(SyncState.id == 1)
                       .values(catalog_revision=SyncState.catalog_revision + 1))


def forget() -> None:
    """Drop this process's copy of the revision: the next :func:`current` reads the database."""
    shop_extensions(current_app).pop(_EXTENSION, None)
