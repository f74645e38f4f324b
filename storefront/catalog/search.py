"""Full-text search over ``items.search_text``: the index DDL per dialect and safe query building.

* SQLite: an FTS5 external-content table ``items_fts`` (rowid = ``items.id``) kept in step by
  triggers; relevance is ``bm25``. A bulk load switches the insert trigger off for its own
  transaction and indexes the new rows in one statement (:func:`bulk_item_inserts`).
* PostgreSQL: a GIN index on ``to_tsvector('simple', search_text)``; relevance is ``ts_rank``.

A search that finds nothing is tried once more with its unknown words corrected to the closest
artist or title word (one edit away; :mod:`storefront.catalog.spelling`).

Shopper input never reaches the FTS syntax: every term is quoted as a literal (FTS5 string /
tsquery lexeme), terms are ANDed, and the last one matches as a prefix.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from sqlalchemy import DDL, ColumnElement, Table, bindparam, column, event, func, literal_column, select, text
from sqlalchemy import table as sql_table
from sqlalchemy.engine import Connection

from storefront.catalog import spelling
from storefront.extensions import db

FTS_TABLE = "items_fts"
FTS_DEFERRED = "items_fts_deferred"  # holds a row only inside a bulk load's own transaction
PG_INDEX = "ix_items_search_tsv"
PG_VECTOR = "to_tsvector('simple'::regconfig, search_text)"  # must match the index expression exactly
MAX_TERMS = 12

# Plain literals on purpose: this is the DDL the migration runs, readable as it stands.
_SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS items_fts USING fts5("
    "search_text, content='items', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TABLE IF NOT EXISTS items_fts_deferred (id INTEGER PRIMARY KEY)",
    "CREATE TRIGGER IF NOT EXISTS items_fts_ai AFTER INSERT ON items "
    "WHEN NOT EXISTS (SELECT 1 FROM items_fts_deferred) BEGIN "
    "INSERT INTO items_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS items_fts_ad AFTER DELETE ON items BEGIN "
    "INSERT INTO items_fts(items_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS items_fts_au AFTER UPDATE OF search_text ON items BEGIN "
    "INSERT INTO items_fts(items_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO items_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)
_SQLITE_REBUILD = "INSERT INTO items_fts(items_fts) VALUES ('rebuild')"
_SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS items_fts_ai",
    "DROP TRIGGER IF EXISTS items_fts_ad",
    "DROP TRIGGER IF EXISTS items_fts_au",
    "DROP TABLE IF EXISTS items_fts",
    "DROP TABLE IF EXISTS items_fts_deferred",
)
_PG_CREATE = ("CREATE INDEX IF NOT EXISTS ix_items_search_tsv ON items USING gin "
              "(to_tsvector('simple'::regconfig, search_text))",)
_PG_DROP = ("DROP INDEX IF EXISTS ix_items_search_tsv",)
_CREATE = {"sqlite": _SQLITE_CREATE, "postgresql": _PG_CREATE}
_DROP = {"sqlite": _SQLITE_DROP, "postgresql": _PG_DROP}


# --- DDL -----------------------------------------------------------------------------------
def create_search_index(connection: Connection) -> None:
    """Create the full-text index for this connection's dialect and fill it from existing rows.

    Idempotent; call it from the migration that adds search (``op.get_bind()``).
    """
    dialect = connection.dialect.name
    for statement in _CREATE.get(dialect, ()):
        connection.exec_driver_sql(statement)
    if dialect == "sqlite":
        connection.exec_driver_sql(_SQLITE_REBUILD)


def drop_search_index(connection: Connection) -> None:
    """Remove the full-text index (the migration's downgrade)."""
    for statement in _DROP.get(connection.dialect.name, ()):
        connection.exec_driver_sql(statement)


@contextmanager
def bulk_item_inserts(connection: Connection) -> Iterator[None]:
    """Insert many items in this block; they are searchable when it ends (same transaction).

    On SQLite the per-row ``AFTER INSERT`` trigger costs more than the insert itself when a sync
    writes thousands of items, so the block switches it off with a marker row and then indexes
    every row added since in one ``INSERT … SELECT``. The marker is written and removed inside
    the caller's transaction, so no other connection ever sees it: their inserts are indexed by
    the trigger as always, and a rollback takes the marker and the rows away together. Holding
    the write lock from the marker on, the rows with an id above the largest one before the
    block are exactly the rows it inserted. On PostgreSQL the GIN index needs no help.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql(f"INSERT INTO {FTS_DEFERRED} (id) VALUES (1)")  # noqa: S608 (constant)
    before = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM items").scalar_one()
    try:
        yield
    finally:
        connection.exec_driver_sql(f"DELETE FROM {FTS_DEFERRED}")  # noqa: S608 (constant)
    connection.exec_driver_sql(
        f"INSERT INTO {FTS_TABLE}(rowid, search_text) SELECT id, search_text FROM items WHERE id > ?",  # noqa: S608
        (before,))


def attach_search_index(items: Table) -> None:
    """Build/drop the index with ``items`` so ``db.create_all()``/``drop_all()`` include it."""
    for dialect, statements in _CREATE.items():
        for statement in statements:
            event.listen(items, "after_create", DDL(statement).execute_if(dialect=dialect))
    for dialect, statements in _DROP.items():
        for statement in statements:
            event.listen(items, "before_drop", DDL(statement).execute_if(dialect=dialect))


def is_search_index_object(name: str | None, type_: str) -> bool:
    """True for the index's own tables/index, which the models do not declare (Alembic filters)."""
    if not name:
        return False
    return (type_ == "table" and name.startswith(FTS_TABLE)) or (type_ == "index" and name == PG_INDEX)


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic ``include_name`` hook: keep autogenerate/compare away from the search index."""
    return not is_search_index_object(name, type_)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic ``include_object`` hook, same purpose as ``include_name``."""
    return not (reflected and compare_to is None and is_search_index_object(name, type_))


# --- queries -------------------------------------------------------------------------------
def search_terms(q: str) -> list[str]:
    """Whitespace-separated terms holding at least one letter or digit (at most ``MAX_TERMS``)."""
    return [term for term in q.split() if any(ch.isalnum() for ch in term)][:MAX_TERMS]


def fts5_query(terms: Sequence[str]) -> str:
    """An FTS5 MATCH string: each term a quoted string, ANDed, the last one a prefix."""
    quoted = ['"' + term.replace('"', '""') + '"' for term in terms]
    if quoted:
        quoted[-1] += "*"
    return " AND ".join(quoted)


def pg_tsquery(terms: Sequence[str]) -> str:
    """A ``to_tsquery`` string: each term a quoted lexeme (phrase), ANDed, the last one a prefix."""
    quoted = ["'" + term.replace("\\", "\\\\").replace("'", "''") + "'" for term in terms]
    if quoted:
        quoted[-1] += ":*"
    return " & ".join(quoted)


def text_condition(item: Any, q: str, dialect: str) -> ColumnElement[bool]:
    """A WHERE clause: items of the mapped ``item`` class matching ``q`` (staff item search)."""
    terms = search_terms(q)
    if not terms:  # nothing searchable (only punctuation): match nothing rather than everything
        return literal_column("1") == literal_column("0")
    if dialect == "postgresql":
        tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), bindparam("tsq", pg_tsquery(terms)))
        return literal_column(PG_VECTOR).op("@@")(tsquery)
    fts = sql_table(FTS_TABLE, column("rowid"))
    match = literal_column(FTS_TABLE).op("MATCH")(bindparam("fts", fts5_query(terms)))
    return item.id.in_(select(fts.c.rowid).where(match))


def matching_ids(q: str, dialect: str, *, with_scores: bool = False) -> tuple[Any, Any]:
    """Ids of the items matching ``q`` (a sorted NumPy array) and, when asked, their scores in the
    same order — lower is better (FTS5 ``bm25``; PostgreSQL's ``ts_rank`` negated)."""
    terms = search_terms(q)
    if not terms:
        return np.zeros(0, dtype=np.int64), (np.zeros(0) if with_scores else None)
    rows = _matching_rows(terms, dialect, with_scores)
    if not rows:  # a typo? try the closest words of the catalog's artists and titles
        corrected = spelling.correct(terms)
        if corrected:
            rows = _matching_rows(corrected, dialect, with_scores)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    scores = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows)) if with_scores else None
    return ids, scores


def _matching_rows(terms: Sequence[str], dialect: str, with_scores: bool) -> Sequence[Any]:
    if dialect == "postgresql":
        score = f"-ts_rank({PG_VECTOR}, to_tsquery('simple'::regconfig, :tsq))" if with_scores else "0"
        # only this module's constants are interpolated; the shopper's terms are bound as :tsq
        sql = (f"SELECT id, {score} FROM items WHERE {PG_VECTOR} @@ to_tsquery('simple'::regconfig, :tsq) "  # noqa: S608
               "ORDER BY id")
        rows = db.session.execute(text(sql), {"tsq": pg_tsquery(terms)}).all()
    else:
        score = f"bm25({FTS_TABLE})" if with_scores else "0"
        sql = f"SELECT rowid, {score} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts ORDER BY rowid"  # noqa: S608
        rows = db.session.execute(text(sql), {"fts": fts5_query(terms)}).all()
    return rows
