"""The sync's bulk write paths: plain-row executemany and search indexing of a bulk load.

Run on SQLite in the first CI pass and on PostgreSQL in the second (the app's database).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from storefront.catalog import search
from storefront.catalog.models import Item, StockLevel
from storefront.db.bulkinsert import insert_many
from storefront.extensions import db


def found(q: str) -> list[str]:
    """Titles of the items the full-text index matches for ``q`` (the index itself, no caches)."""
    ids, _scores = search.matching_ids(q, db.engine.dialect.name)
    return db.session.scalars(select(Item.title).where(Item.id.in_([int(i) for i in ids]))
                              .order_by(Item.title)).all()


def item_row(n: int, **fields) -> dict:
    row = {"ecs_id": f"BULK-{n}", "name": f"Bulk Artist {n} — Record {n}", "artist": f"Bulk Artist {n}",
           "title": f"Record {n}", "search_text": f"Bulk Artist {n} Record {n} zanzibar{n}",
           "price_amount": 1500 + n, "is_deleted": False, "description": f"Pressing {n}",
           "ecs_updated_at": datetime(2026, 5, 1, 12, 30, n, 250_000, tzinfo=UTC)}
    row.update(fields)
    return row


def read_back(ecs_ids: list[str]) -> list[tuple]:
    db.session.expire_all()
    items = db.session.scalars(select(Item).where(Item.ecs_id.in_(ecs_ids)).order_by(Item.ecs_id)).all()
    return [(i.ecs_id, i.name, i.artist, i.title, i.price_amount, i.is_deleted, i.ecs_updated_at, i.stock,
             i.currency, i.kind, i.description) for i in items]


def test_insert_many_stores_what_sqlalchemy_core_stores(app_ctx):
    other_zone = timezone(timedelta(hours=-5))
    rows = [item_row(1), item_row(2, is_deleted=True, price_amount=None),
            item_row(3, ecs_updated_at=datetime(2026, 5, 1, 7, 30, tzinfo=other_zone)),
            # what a COPY stream must escape: tabs, newlines, backslashes, its NULL and end markers
            item_row(4, title="\\.", description="tab\there\nnew line \\ \\N \r 'q' \"dq\" ünïcødé 🎵 ,;|")]
    insert_many(db.session.connection(), Item.__table__, rows)
    core_rows = [{**r, "ecs_id": r["ecs_id"].replace("BULK", "CORE")} for r in rows]
    db.session.execute(insert(Item.__table__), core_rows)
    db.session.commit()
    ours = read_back([r["ecs_id"] for r in rows])
    theirs = read_back([r["ecs_id"] for r in core_rows])
    assert [row[1:] for row in ours] == [row[1:] for row in theirs]
    # the model's defaults were applied and the datetimes came back as the same instants, in UTC
    assert [row[7:10] for row in ours] == [(0, "USD", "record")] * 4
    assert ours[3][3] == "\\." and ours[3][10].startswith("tab\there\nnew line \\ \\N \r")
    assert ours[2][6] == datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
    first_seen = db.session.scalars(select(Item.first_seen_at).where(Item.ecs_id.like("BULK-%"))).all()
    assert len(set(first_seen)) == 1 and first_seen[0].tzinfo is not None  # one timestamp for the batch


def test_insert_many_takes_nothing_and_refuses_mismatched_rows(app_ctx):
    insert_many(db.session.connection(), Item.__table__, [])
    assert db.session.scalar(select(Item.id)) is None
    with pytest.raises(KeyError):
        insert_many(db.session.connection(), Item.__table__, [item_row(1), {"ecs_id": "x"}])
    db.session.rollback()


def test_insert_many_converts_each_distinct_value(app_ctx):
    """Rows sharing a timestamp (a sync's stock counts) are converted once; values stay correct."""
    item = Item(ecs_id="STOCK-ITEM", name="n", search_text="n")
    db.session.add(item)
    db.session.flush()
    from storefront.catalog.models import ItemVariation
    variations = [ItemVariation(ecs_id=f"STOCK-V{n}", item_id=item.id) for n in range(3)]
    db.session.add_all(variations)
    db.session.flush()
    at = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    insert_many(db.session.connection(), StockLevel.__table__, [
        {"variation_id": v.id, "location_id": "L1", "quantity": n, "calculated_at": at if n < 2 else None}
        for n, v in enumerate(variations)])
    db.session.commit()
    stored = db.session.execute(select(StockLevel.quantity, StockLevel.calculated_at)
                                .order_by(StockLevel.quantity)).all()
    assert stored == [(0, at), (1, at), (2, None)]


def test_a_bulk_load_is_searchable_when_it_ends(app_ctx):
    connection = db.session.connection()
    with search.bulk_item_inserts(connection):
        insert_many(connection, Item.__table__, [item_row(n) for n in range(1, 6)])
    db.session.commit()
    assert found("zanzibar3") == ["Record 3"]
    assert len(found("bulk")) == 5
    # and an ordinary insert afterwards is indexed by the trigger as before
    db.session.execute(insert(Item.__table__), [item_row(9)])
    db.session.commit()
    assert found("zanzibar9") == ["Record 9"]
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("INSERT INTO items_fts(items_fts) VALUES ('integrity-check')"))
        assert db.session.scalar(text(f"SELECT count(*) FROM {search.FTS_DEFERRED}")) == 0


def test_a_failed_bulk_load_leaves_no_marker_and_no_rows(app_ctx):
    connection = db.session.connection()
    with pytest.raises(RuntimeError), search.bulk_item_inserts(connection):
        insert_many(connection, Item.__table__, [item_row(1)])
        raise RuntimeError("the page could not be written")
    db.session.rollback()
    assert db.session.scalar(select(Item.id)) is None
    db.session.execute(insert(Item.__table__), [item_row(2)])
    db.session.commit()
    assert found("zanzibar2") == ["Record 2"]
    if db.engine.dialect.name == "sqlite":
        assert db.session.scalar(text(f"SELECT count(*) FROM {search.FTS_DEFERRED}")) == 0
        db.session.execute(text("INSERT INTO items_fts(items_fts) VALUES ('integrity-check')"))


def test_rows_another_connection_writes_after_a_bulk_load_are_indexed(app_ctx):
    """The marker lives only in the bulk load's transaction: other writers keep the trigger."""
    connection = db.session.connection()
    with search.bulk_item_inserts(connection):
        insert_many(connection, Item.__table__, [item_row(1)])
    db.session.commit()
    with db.engine.begin() as other:
        other.execute(insert(Item.__table__), [item_row(2)])
    assert found("zanzibar1") == ["Record 1"]
    assert found("zanzibar2") == ["Record 2"]


def test_sqlite_connections_get_the_write_settings(app_ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        read = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "cache_size", "wal_autocheckpoint")}
    assert read == {"journal_mode": "wal", "synchronous": 1, "cache_size": -32768, "wal_autocheckpoint": 10000}


def test_a_failed_insert_raises_sqlalchemys_own_error_and_changes_nothing(app_ctx):
    """The same exception on both databases (PostgreSQL's COPY path too): callers catch SQLAlchemy's."""
    insert_many(db.session.connection(), Item.__table__, [item_row(1)])
    db.session.commit()
    with pytest.raises(IntegrityError):
        insert_many(db.session.connection(), Item.__table__, [item_row(2), item_row(1)])
    db.session.rollback()
    assert db.session.scalars(select(Item.ecs_id).order_by(Item.ecs_id)).all() == ["BULK-1"]
    insert_many(db.session.connection(), Item.__table__, [item_row(3)])  # the session goes on working
    db.session.commit()
    assert db.session.scalars(select(Item.ecs_id).order_by(Item.ecs_id)).all() == ["BULK-1", "BULK-3"]
