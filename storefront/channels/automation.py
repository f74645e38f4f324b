"""Keeping channels in step without anyone pressing a button.

* A catalog change (the revision bumps: a sync, a stock webhook, a sale, a staff edit) queues
  ``jobs.channels.push_channel_changes`` once its transaction commits — only in a process that
  knows of connectors (checked at most every 30 s), so a shop without channels pays nothing.
* That job starts an incremental sync on every enabled connector whose last one started from an
  older revision. The scheduler runs it too, which catches what a lost enqueue missed.
"""

from __future__ import annotations

import logging
import time

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from storefront.catalog import revision
from storefront.channels.adapters import ChannelError
from storefront.channels.models import ChannelConnector
from storefront.channels.syncing import start_sync
from storefront.extensions import db
from storefront.shops.context import shop_extensions
from storefront.tasks import enqueue

log = logging.getLogger("storefront.channels")
PRESENT_KEY = "channels_present"
PRESENT_TTL = 30.0
CHANGED_KEY = "channels_catalog_changed"
PUSH_JOB_ID = "channel-push-changes"


def _channels_present() -> bool:
    cached = shop_extensions(current_app).get(PRESENT_KEY)
    now = time.monotonic()
    if cached is not None and cached[1] > now:
        return bool(cached[0])
    present = db.session.scalar(select(ChannelConnector.id).where(ChannelConnector.status != "disabled")
                                .limit(1)) is not None
    shop_extensions(current_app)[PRESENT_KEY] = (present, now + PRESENT_TTL)
    return present


def note_catalog_change() -> None:
    """The revision listener: remember the change on the session when there are channels to tell."""
    if has_app_context() and _channels_present():
        db.session.info[CHANGED_KEY] = True


@event.listens_for(Session, "after_commit")
def _push_after_commit(session: Session) -> None:
    if not session.info.pop(CHANGED_KEY, False) or not has_app_context():
        return
    try:
        enqueue("jobs.channels.push_channel_changes", queue="default", job_id=PUSH_JOB_ID, retries=1)
    except Exception:  # the change is committed; the scheduled push picks it up
        log.exception("could not queue the channel push")


@event.listens_for(Session, "after_soft_rollback")
def _forget_change(session: Session, previous_transaction: object) -> None:
    if not getattr(previous_transaction, "nested", False):
        session.info.pop(CHANGED_KEY, None)


def push_catalog_changes() -> dict[str, str]:
    """Start an incremental sync per enabled connector behind the catalog; what happened per connector."""
    revision.forget()
    now = revision.current()
    outcome: dict[str, str] = {}
    for connector in db.session.scalars(select(ChannelConnector).where(ChannelConnector.status == "active")
                                        .order_by(ChannelConnector.id)).all():
        if connector.synced_revision == now:
            outcome[connector.code] = "current"
            continue
        try:
            job = start_sync(connector, "incremental", started_by="catalog change")
        except ChannelError as exc:
            outcome[connector.code] = exc.code  # CHN-090: a sync is running; the next push follows it
            continue
        connector.synced_revision = now
        db.session.commit()
        outcome[connector.code] = job.job_id
    return outcome


def init_app() -> None:
    revision.register_change_listener(note_catalog_change)
