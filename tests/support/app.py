"""The app fixtures: an app on a real database (SQLite by default, PostgreSQL via DATABASE_URL),
a client and a CLI runner.

* ``DATABASE_URL`` set → every database test runs on that database (the schema is rebuilt once
  per session and tables are emptied between tests). Unset → a fresh SQLite file per test.
* ``REDIS_URL`` set → the app under test is configured with it (rate limits in Redis).
* ``make_app(**config)`` builds more apps on this test's database; ``app`` is the first one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from storefront import create_app
from storefront.catalog import revision_feed
from storefront.extensions import db, limiter
from storefront.shops.context import DEFAULT_SHOP, use_shop
from storefront.tasks.periodic import stop_all as stop_periodic_runners
from storefront.tasks.queue import shutdown_in_process_runners
from tests.support.services import database_url_from_env, postgres_problem, service_missing
from tests.support.shops import drop_shops


def base_config(database_url: str, **extra: Any) -> dict[str, Any]:
    """The settings every test app starts from (testing, in-process jobs, no ECS listening)."""
    config: dict[str, Any] = {
        "ENV_NAME": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "JOBS_MODE": "sync",
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "ECS_BASE_URL": "http://127.0.0.1:9",  # nothing listens: tests that need the ECS start one
        # Workers in other processes change the catalog in some tests: read the revision every time
        # (test_catalog_pages checks the production setting's own behaviour).
        "CATALOG_REVISION_TTL_SECONDS": 0,
    }
    if config["REDIS_URL"] is None:
        config["RATELIMIT_STORAGE_URI"] = "memory://"
    config.update(extra)
    return config


def empty_all_tables() -> None:
    """Delete every row (children first) so the next test starts clean."""
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(scope="session")
def shared_database_url() -> Iterator[str | None]:
    """The server database named by DATABASE_URL, schema built once for the session."""
    url = database_url_from_env()
    if url is None or url.startswith("sqlite"):
        yield url
        return
    problem = postgres_problem(url)
    if problem:
        service_missing("DATABASE_URL database", problem)
    app = create_app(base_config(url))
    drop_shops(app)  # a run that died half-way may have left shops behind (their data access fails closed)
    with app.app_context(), use_shop(DEFAULT_SHOP):
        db.drop_all()
        db.create_all()
    yield url
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_app(tmp_path: Path, shared_database_url: str | None) -> Iterator[Any]:
    """Factory for apps on this test's database; extra config as keyword arguments."""
    apps: list[Flask] = []
    url = shared_database_url or f"sqlite:///{tmp_path / 'test.db'}"

    def factory(**overrides: Any) -> Flask:
        overrides.setdefault("INSTANCE_PATH", str(tmp_path / "instance"))
        app = create_app(base_config(url, **overrides))
        apps.append(app)
        if len(apps) == 1:
            with app.app_context():
                if shared_database_url:
                    empty_all_tables()
                else:
                    db.create_all()
            if app.config["REDIS_URL"]:
                # Flask-Limiter keeps the first app's RATELIMIT_KEY_PREFIX for the process, so with
                # Redis the counters would carry over from test to test: start each test at zero.
                limiter.reset()
        return app

    yield factory
    for app in apps:
        revision_feed.stop(app)
        runner = app.extensions.get("jobs_runner")
        if runner:
            runner.wait(timeout=30)
            runner.pool.shutdown(wait=True)
        with app.app_context(), use_shop(DEFAULT_SHOP):  # the shared database's tables: the default shop's
            db.session.remove()
            if shared_database_url:
                empty_all_tables()
            db.engine.dispose()


@pytest.fixture(autouse=True)
def no_background_threads_outlive_the_test() -> Iterator[None]:
    """Any app a test built (with ``make_app`` or ``create_app``) stops its job pool and timer when the
    test ends: a leftover thread would run jobs against a later test's database."""
    yield
    stop_periodic_runners()
    shutdown_in_process_runners()


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
