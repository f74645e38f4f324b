"""`flask db upgrade` builds the schema on SQLite and PostgreSQL, and matches the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storefront import create_app
from storefront.catalog.search import include_name, include_object
from storefront.extensions import db


def upgrade_and_compare(database_url: str, tmp_path) -> None:
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": database_url})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        with db.engine.connect() as conn:
            # the same filters env.py gives autogenerate: the search index is not a model object
            context = MigrationContext.configure(conn, opts={"include_name": include_name,
                                                             "include_object": include_object})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        db.engine.dispose()


def test_upgrade_on_sqlite_builds_the_whole_schema(tmp_path):
    upgrade_and_compare(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path)


@pytest.mark.postgres
def test_upgrade_on_postgresql_builds_the_whole_schema(tmp_path, scratch_postgres):
    upgrade_and_compare(scratch_postgres, tmp_path)


def test_upgrading_an_older_sqlite_install_switches_the_search_insert_trigger(tmp_path):
    """Installs made before bulk loads had an unconditional FTS insert trigger and no marker table."""
    from storefront.catalog import search
    from storefront.catalog.models import Item

    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"})
    cli = app.test_cli_runner()

    def trigger_sql() -> str:
        with db.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'items_fts_ai'").scalar_one()

    def add_item(n: int) -> None:
        with db.engine.begin() as conn:
            conn.execute(Item.__table__.insert(), [{"ecs_id": f"OLD-{n}", "name": f"n{n}",
                                                    "search_text": f"quokka{n}"}])

    def matches(word: str) -> int:
        with db.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM items_fts WHERE items_fts MATCH ?", (word,)).scalar()

    assert cli.invoke(args=["db", "upgrade", "f5c2cd954fbd"]).exit_code == 0
    with app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER items_fts_ai")
            conn.exec_driver_sql(f"DROP TABLE {search.FTS_DEFERRED}")
            conn.exec_driver_sql("CREATE TRIGGER items_fts_ai AFTER INSERT ON items BEGIN INSERT INTO "
                                 "items_fts(rowid, search_text) VALUES (new.id, new.search_text); END")
        add_item(1)
        result = cli.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert search.FTS_DEFERRED in trigger_sql()
        add_item(2)
        assert (matches("quokka1"), matches("quokka2")) == (1, 1)

        result = cli.invoke(args=["db", "downgrade", "f5c2cd954fbd"])
        assert result.exit_code == 0, result.output
        assert search.FTS_DEFERRED not in trigger_sql()
        add_item(3)
        assert matches("quokka3") == 1
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO items_fts(items_fts) VALUES ('integrity-check')")
        db.engine.dispose()
