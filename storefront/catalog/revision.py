"""The catalog revision: the change counter that every catalog cache and ETag is keyed on.

Whatever changes what shoppers see in the catalog (a sync, a stock change, a staff edit of an item
or a genre) calls :func:`bump` in its own transaction. Listing snapshots, rendered fragments and
pages of an older revision are then never served, and browsers' ETags stop matching. The counter
is the ``SyncState.catalog_revision`` column, so every process sees a change: on PostgreSQL the
moment it commits (:mod:`storefront.catalog.revision_feed`), elsewhere within
``CATALOG_REVISION_TTL_SECONDS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, current_app, has_request_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, SessionTransaction

from storefront.catalog import revision_feed
from storefront.extensions import db
from storefront.shops.context import current_shop_code, shop_extensions
from storefront.sync.models import SyncState

_EXTENSION = "catalog_revision"
_PENDING = "catalog_revision_bumped"  # session.info: this transaction bumped and has not ended
_listeners: list[Callable[[], None]] = []


def register_change_listener(listener: Callable[[], None]) -> None:
    """Call ``listener()`` inside every transaction that bumps the revision (sales channels use it
    to push the change out once the transaction commits)."""
    if listener not in _listeners:
        _listeners.append(listener)


def current() -> int:
    """The catalog's change counter (0 before the first sync).

    A web process keeps the value it read (it keys the cached listings and the pages' ETags, so it
    is asked for on every catalog request): on PostgreSQL until the change feed reports a change of
    this shop (``CATALOG_REVISION_LISTEN_SECONDS`` at most), otherwise — or while the feed is down —
    for ``CATALOG_REVISION_TTL_SECONDS``. A change made in this process shows at once (:func:`bump`
    forgets the copy).
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    ttl = float(app.config.get("CATALOG_REVISION_TTL_SECONDS") or 0)
    if ttl <= 0 or db.session.info.get(_PENDING):
        # A value this transaction bumped is not kept: it may yet roll back (and send no notice).
        return _read()
    # Only web processes listen: a job's work-horse process lives for one job.
    feed = revision_feed.feed_for(app, app.extensions["sqlalchemy"].engine) if has_request_context() else None
    stamp = feed.stamp(current_shop_code()) if feed is not None else None  # before reading: a notice
    now = time.monotonic()                                                  # during the read is not lost
    cached = shop_extensions(app).get(_EXTENSION)
    if cached is not None:
        value, read_at, read_under = cached
        if stamp is None and now < read_at + ttl:
            return int(value)
        listen = float(app.config.get("CATALOG_REVISION_LISTEN_SECONDS") or 0)
        if stamp is not None and read_under == stamp and now < read_at + max(ttl, listen):
            return int(value)
    value = _read()
    shop_extensions(app)[_EXTENSION] = (value, now, stamp)
    return value


def _read() -> int:
    return int(db.session.scalar(select(SyncState.catalog_revision).where(SyncState.id == 1)) or 0)


def bump(*, call_listeners: bool = True) -> None:
    """Mark the catalog changed (stock, prices, enrichment …) so cached listings and ETags renew. No commit.

    ``call_listeners=False``: a change to what every page shows but to no record (the content pages
    in the navigation) — the caches renew, the change listeners (sales channels) are not called.
    """
    forget()
    db.session.info[_PENDING] = True
    if call_listeners:
        for listener in _listeners:
            listener()
    if db.session.get_bind().dialect.name == "postgresql":
        revision_feed.notify(db.session, current_shop_code())
    if db.session.scalar(select(SyncState.id).where(SyncState.id == 1)) is None:
        db.session.add(SyncState(id=1, catalog_revision=1))
        db.session.flush()
        return
    # One UPDATE … + 1 rather than read-modify-write: two processes bumping at once both count.
    db.session.execute(update(SyncState).where(SyncState.id == 1)
                       .values(catalog_revision=SyncState.catalog_revision + 1))


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    """Committed or rolled back, the bump is settled: reads may be kept again."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def forget() -> None:
    """Drop this process's copy of the revision: the next :func:`current` reads the database."""
    shop_extensions(current_app).pop(_EXTENSION, None)
