"""search index: bulk loads index their rows in one statement (SQLite)

The FTS5 insert trigger now fires only when ``items_fts_deferred`` is empty; a bulk load puts a
marker row there inside its own transaction and indexes its rows itself
(``storefront.catalog.search.bulk_item_inserts``). PostgreSQL is unchanged.

Revision ID: 8c1d2e3f4a5b
Revises: f5c2cd954fbd
Create Date: 2026-11-30 15:45:00.000000

"""
from alembic import op

from storefront.catalog.search import create_search_index

# revision identifiers, used by Alembic.
revision = '8c1d2e3f4a5b'
down_revision = 'f5c2cd954fbd'
branch_labels = None
depends_on = None

_OLD_INSERT_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS items_fts_ai AFTER INSERT ON items BEGIN "
    "INSERT INTO items_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS items_fts_ai")
    create_search_index(bind)  # the marker table and the new trigger; rebuilds the index


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS items_fts_ai")
    op.execute("DROP TABLE IF EXISTS items_fts_deferred")
    op.execute(_OLD_INSERT_TRIGGER)
