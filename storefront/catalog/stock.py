"""Stock levels from ECS inventory counts: shared by sync and the inventory webhook."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, insert, select, update

from storefront.catalog.models import Item, ItemVariation, StockLevel
from storefront.catalog.services import bump_catalog_revision
from storefront.extensions import db
from storefront.sync.mapping import parse_timestamp


@dataclass(frozen=True)
class StockOutcome:
    updated: int
    ignored_stale: int
    unknown: int
    item_ids: frozenset[int]


def apply_inventory_counts(counts: Iterable[dict[str, Any]], *, dry_run: bool = False) -> StockOutcome:
    """Write IN_STOCK counts; a count older than the one we hold is ignored (out-of-order events).

    Counts for variations we do not know are skipped (a sync will bring the item first).
    Does not commit.
    """
    latest: dict[tuple[str, str], tuple[int, Any]] = {}
    for count in counts:
        if count.get("state", "IN_STOCK") != "IN_STOCK" or not count.get("catalog_object_id"):
            continue
        try:
            quantity = int(float(count.get("quantity") or 0))
        except (TypeError, ValueError):
            continue
        key = (str(count["catalog_object_id"]), str(count.get("location_id") or ""))
        at = parse_timestamp(count.get("calculated_at"))
        previous = latest.get(key)
        if previous is None or (at and (previous[1] is None or at >= previous[1])):
            latest[key] = (quantity, at)
    if not latest:
        return StockOutcome(0, 0, 0, frozenset())

    ecs_ids = {k[0] for k in latest}
    variations = dict(db.session.execute(
        select(ItemVariation.ecs_id, ItemVariation.id).where(ItemVariation.ecs_id.in_(ecs_ids))).all())
    item_of = dict(db.session.execute(
        select(ItemVariation.id, ItemVariation.item_id).where(ItemVariation.id.in_(variations.values()))).all())
    existing = {
        (row.variation_id, row.location_id): row
        for row in db.session.execute(
            select(StockLevel.id, StockLevel.variation_id, StockLevel.location_id, StockLevel.quantity,
                   StockLevel.calculated_at).where(StockLevel.variation_id.in_(variations.values())))
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    stale = unknown = 0
    touched: set[int] = set()
    for (ecs_id, location_id), (quantity, at) in latest.items():
        variation_id = variations.get(ecs_id)
        if variation_id is None:
            unknown += 1
            continue
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
        touched.add(item_of[variation_id])
    if not dry_run:
        if inserts:
            db.session.execute(insert(StockLevel.__table__), inserts)  # Core: no per-row ORM bookkeeping
        if updates:
            db.session.execute(update(StockLevel), updates)
    return StockOutcome(len(inserts) + len(updates), stale, unknown, frozenset(touched))


def refresh_item_stock(location_id: str, item_ids: Iterable[int] | None = None) -> None:
    """Recompute ``Item.stock`` (sum over live variations at the shop location). No commit.

    Bumps the catalog revision too: listings, their rendered fragments and the pages' ETags
    are keyed by it, so a sold-out badge or the in-stock facet never outlives a stock change.
    """
    total = (
        select(func.coalesce(func.sum(StockLevel.quantity), 0))
        .join(ItemVariation, ItemVariation.id == StockLevel.variation_id)
        .where(and_(ItemVariation.item_id == Item.id, ItemVariation.is_deleted.is_(False),
                    StockLevel.location_id == location_id))
        .scalar_subquery()
    )
    statement = update(Item).values(stock=total)
    if item_ids is not None:
        ids = list(item_ids)
        if not ids:
            return
        for start in range(0, len(ids), 500):
            db.session.execute(statement.where(Item.id.in_(ids[start:start + 500])),
                               execution_options={"synchronize_session": False})
        bump_catalog_revision()
        return
    db.session.execute(statement, execution_options={"synchronize_session": False})
    bump_catalog_revision()
