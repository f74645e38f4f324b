"""Stock levels from ECS inventory counts: shared by sync and the inventory webhook.

Copies that come back in stock (a count going from zero, or none, to more than zero — a restock
event, a sync's new in-stock variation, a refund put back) are noted on the session; once the
transaction commits, every job registered with :func:`register_restock_job` is enqueued with
those ``[variation_id, location_id]`` pairs (wantlist alerts match them there, not here, so a
webhook stays fast). A rollback forgets them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import has_app_context
from sqlalchemy import Select, and_, case, event, exists, func, literal, select, update
from sqlalchemy.orm import Session

from storefront.catalog import revision as catalog_revision
from storefront.catalog.models import Item, ItemVariation, StockLevel
from storefront.db.bulkinsert import insert_many
from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db
from storefront.sync.mapping import parse_timestamp
from storefront.tasks import enqueue

log = logging.getLogger("storefront.catalog.stock")

WHOLE_TABLE_ABOVE = 2000
RESTOCKED_KEY = "catalog_restocked_copies"  # Session.info: {(variation_id, location_id)} not yet committed
RESTOCK_CHUNK = 2000  # pairs per enqueued job (a first full sync brings every copy in stock)
_restock_jobs: list[str] = []
# Item.stock of an item with a variation the ECS does not count: always available (never "only N left").
UNTRACKED_STOCK = 999
RESTOCK_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class StockOutcome:
    updated: int
    ignored_stale: int
    unknown: int
    item_ids: frozenset[int]


Counts = dict[tuple[str, str], tuple[int, Any]]  # (variation ecs_id, location id) → (quantity, calculated_at)


def latest_counts(counts: Iterable[dict[str, Any]]) -> Counts:
    """The newest IN_STOCK count per variation and location (a batch may hold several)."""
    latest: Counts = {}
    parsed_at: dict[str, Any] = {}  # a full sync's counts share a handful of timestamps
    for count in counts:
        if count.get("state", "IN_STOCK") != "IN_STOCK" or not count.get("catalog_object_id"):
            continue
        try:
            quantity = int(float(count.get("quantity") or 0))
        except (TypeError, ValueError):
            continue
        key = (str(count["catalog_object_id"]), str(count.get("location_id") or ""))
        raw_at = count.get("calculated_at")
        raw_at = raw_at if isinstance(raw_at, str) else ""
        at = parsed_at[raw_at] if raw_at in parsed_at else parsed_at.setdefault(raw_at, parse_timestamp(raw_at))
        previous = latest.get(key)
        if previous is None or (at and (previous[1] is None or at >= previous[1])):
            latest[key] = (quantity, at)
    return latest


def quantities_at(latest: Counts, location_id: str) -> dict[str, int]:
    """Variation ecs_id → quantity at one location."""
    return {ecs_id: quantity for (ecs_id, location), (quantity, _at) in latest.items() if location == location_id}


def apply_inventory_counts(counts: Iterable[dict[str, Any]], *, dry_run: bool = False) -> StockOutcome:
    """Write IN_STOCK counts; a count older than the one we hold is ignored (out-of-order events).

    Counts for variations we do not know are skipped (a sync will bring the item first).
    Does not commit.
    """
    return apply_latest_counts(latest_counts(counts), dry_run=dry_run)


def apply_latest_counts(latest: Counts, *, dry_run: bool = False) -> StockOutcome:
    """:func:`apply_inventory_counts` for counts already reduced by :func:`latest_counts`."""
    if not latest:
        return StockOutcome(0, 0, 0, frozenset())

    ecs_ids = {k[0] for k in latest}
    # Core, not ORM, selects: a full sync reads every variation and stock level here, and the
    # ORM's per-row machinery was most of this function's time at 100,000 items.
    connection = db.session.connection()
    variation, level = ItemVariation.__table__.c, StockLevel.__table__.c
    variations = {ecs_id: (variation_id, item_id) for ecs_id, variation_id, item_id in connection.execute(
        _narrowed(select(variation.ecs_id, variation.id, variation.item_id), variation.ecs_id, ecs_ids))
        if ecs_id in ecs_ids}
    variation_ids = {variation_id for variation_id, _item in variations.values()}
    existing = {
        (row.variation_id, row.location_id): row
        for row in connection.execute(_narrowed(
            select(level.id, level.variation_id, level.location_id, level.quantity, level.calculated_at),
            level.variation_id, variation_ids))
        if row.variation_id in variation_ids
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    stale = unknown = 0
    touched: set[int] = set()
    restocked: set[tuple[int, str]] = set()
    for (ecs_id, location_id), (quantity, at) in latest.items():
        if ecs_id not in variations:
            unknown += 1
            continue
        variation_id, item_id = variations[ecs_id]
        current = existing.get((variation_id, location_id))
        if current is None:
            inserts.append({"variation_id": variation_id, "location_id": location_id,
                            "quantity": quantity, "calculated_at": at})
        elif current.calculated_at and at and at < current.calculated_at:
            stale += 1
            continue
        elif current.quantity != quantity or current.calculated_at != at:
            updates.append({"id": current.id, "quantity": quantity, "calculated_at": at})
        else:
            continue
        touched.add(item_id)
        if quantity > 0 and (current is None or current.quantity <= 0):
            restocked.add((variation_id, location_id))
    if not dry_run:
        note_restocked(restocked)
        if inserts:
            insert_many(db.session.connection(), StockLevel.__table__, inserts)
        if updates:
            updates.sort(key=lambda row: row["id"])  # one lock order for every writer (see refresh_item_stock)
            db.session.execute(update(StockLevel), updates)
    return StockOutcome(len(inserts) + len(updates), stale, unknown, frozenset(touched))


def _narrowed(query: Select[Any], column: Any, values: set[Any]) -> Select[Any]:
    """``query`` limited to ``column IN values`` — unless there are so many values (a full sync's
    counts) that reading the table and filtering in Python is cheaper than binding them all."""
    return query if len(values) > WHOLE_TABLE_ABOVE else query.where(column.in_(values))


def refresh_item_stock(location_id: str, item_ids: Iterable[int] | None = None) -> None:
    """Recompute ``Item.stock`` (sum over live variations at the shop location; UNTRACKED_STOCK when
    one of them is not counted by the ECS, so it is always available). No commit.

    Bumps the catalog revision too: listings, their rendered fragments and the pages' ETags
    are keyed by it, so a sold-out badge or the in-stock facet never outlives a stock change.
    """
    counted = (
        select(func.coalesce(func.sum(StockLevel.quantity), 0))
        .join(ItemVariation, ItemVariation.id == StockLevel.variation_id)
        .where(and_(ItemVariation.item_id == Item.id, ItemVariation.is_deleted.is_(False),
                    ItemVariation.sold_out.is_(False), ItemVariation.track_inventory.is_(True),
                    StockLevel.location_id == location_id))
        .scalar_subquery()
    )
    uncounted = exists().where(ItemVariation.item_id == Item.id, ItemVariation.is_deleted.is_(False),
                               ItemVariation.sold_out.is_(False), ItemVariation.track_inventory.is_(False))
    total = case((uncounted, UNTRACKED_STOCK), else_=counted)
    # Back from zero: "back in stock" on the home page (an item first seen within the hour is new
    # in, not back: a first sync fills its stock after inserting it).
    now = utcnow()
    restocked = case((and_(Item.stock <= 0, total > 0, Item.first_seen_at < now - RESTOCK_AFTER),
                      literal(now, UTCDateTime())), else_=Item.restocked_at)
    # Only rows whose count differs: an UPDATE writes a new row version, and on PostgreSQL every
    # index entry with it (the search index too), whether or not the value changed.
    statement = update(Item).values(stock=total, restocked_at=restocked).where(Item.stock != total)
    if item_ids is not None:
        ids = sorted(item_ids)
        if not ids:
            return
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            # Lock the rows in id order first: an UPDATE locks them in whatever order its plan
            # reads them, and two transactions reading the same rows in different orders deadlock
            # (a payment's sale and the inventory webhook it causes touch the same items).
            # SQLite, with one writer at a time, ignores FOR UPDATE.
            db.session.execute(select(Item.id).where(Item.id.in_(chunk)).order_by(Item.id).with_for_update())
            _note_items_back(location_id, total, Item.id.in_(chunk))
            db.session.execute(statement.where(Item.id.in_(chunk)),
                               execution_options={"synchronize_session": False})
        catalog_revision.bump()
        return
    _note_items_back(location_id, total, None)
    db.session.execute(statement, execution_options={"synchronize_session": False})
    catalog_revision.bump()


def _note_items_back(location_id: str, total: Any, where: Any) -> None:
    """Items about to go from no stock to some (a count back, or a copy no longer marked sold out in
    the ECS — a sync clears that after the count): their live copies are noted as restocked."""
    if not _restock_jobs:
        return
    query = select(Item.id).where(Item.stock <= 0, total > 0)
    back = list(db.session.scalars(query if where is None else query.where(where)))
    for start in range(0, len(back), 500):
        copies = db.session.scalars(select(ItemVariation.id).where(
            ItemVariation.item_id.in_(back[start:start + 500]), ItemVariation.is_deleted.is_(False)))
        note_restocked((variation_id, location_id) for variation_id in copies)


def confirm_counts(client: Any, variation_ecs_ids: list[str], location_id: str) -> StockOutcome:
    """Read the ECS's IN_STOCK counts of some variations and store them (after we changed them
    there: a sale, a return). Does not commit."""
    counts = client.batch_retrieve_inventory_counts(variation_ecs_ids, location_ids=[location_id],
                                                    states=["IN_STOCK"])
    outcome = apply_inventory_counts(counts)
    refresh_item_stock(location_id, outcome.item_ids)
    return outcome


# --- copies back in stock → jobs after commit -------------------------------------------------------

def register_restock_job(job: str) -> None:
    """Enqueue the job ``job`` (a dotted name) with the restocked pairs after each commit that has some."""
    if job not in _restock_jobs:
        _restock_jobs.append(job)


def note_restocked(pairs: Iterable[tuple[int, str]]) -> None:
    """Remember copies that came in stock in the current transaction (enqueued once it commits)."""
    pairs = set(pairs)
    if pairs and _restock_jobs:
        db.session.info.setdefault(RESTOCKED_KEY, set()).update(pairs)


@event.listens_for(Session, "after_commit")
def _enqueue_restocked(session: Session) -> None:
    pairs = session.info.pop(RESTOCKED_KEY, None)
    if not pairs or not has_app_context():
        return
    ordered = [[variation_id, location_id] for variation_id, location_id in sorted(pairs)]
    for job in list(_restock_jobs):
        for start in range(0, len(ordered), RESTOCK_CHUNK):
            try:  # the stock change is committed; a lost alert must not fail the webhook or the sync
                enqueue(job, ordered[start:start + RESTOCK_CHUNK], queue="default")
            except Exception:
                log.exception("could not enqueue %s for %d restocked copies", job, len(ordered))


@event.listens_for(Session, "after_soft_rollback")
def _forget_restocked(session: Session, previous_transaction: Any) -> None:
    if not previous_transaction.nested:  # a savepoint's rollback leaves the outer transaction's notes
        session.info.pop(RESTOCKED_KEY, None)
