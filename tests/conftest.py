"""Shared fixtures: an app on a real database (SQLite by default, PostgreSQL via DATABASE_URL),
a client, a CLI runner, and real Redis for job tests.

* ``DATABASE_URL`` set → every database test runs on that database (the schema is rebuilt once
  per session and tables are emptied between tests). Unset → a fresh SQLite file per test.
* ``REDIS_URL`` set → the app under test is configured with it (rate limits in Redis).
* Tests marked ``redis`` use ``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``) and
  tests marked ``postgres`` use ``TEST_POSTGRES_URL``; on a bare machine they skip with the
  reason, in CI (``CI=true``) a missing service is a failure.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from storefront import create_app
from storefront.config import normalise_database_url
from storefront.extensions import db, limiter

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
DEFAULT_TEST_REDIS = "redis://127.0.0.1:6379/15"
DEFAULT_TEST_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def service_missing(what: str, reason: str) -> None:
    """Skip on a bare machine; fail in CI, where every service must be there."""
    message = f"{what} not available: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: a missing service is a failure, not a skip)")
    pytest.skip(message)


def database_url_from_env() -> str | None:
    url = os.environ.get("DATABASE_URL")
    return normalise_database_url(url) if url else None


def test_redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or DEFAULT_TEST_REDIS


def postgres_url() -> str:
    env_url = database_url_from_env()
    if env_url and env_url.startswith("postgresql"):
        return env_url
    return normalise_database_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES))


def _reachable_postgres(url: str) -> str | None:
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"


@pytest.fixture(scope="session")
def shared_database_url() -> Iterator[str | None]:
    """The server database named by DATABASE_URL, schema built once for the session."""
    url = database_url_from_env()
    if url is None or url.startswith("sqlite"):
        yield url
        return
    problem = _reachable_postgres(url)
    if problem:
        service_missing("DATABASE_URL database", problem)
    app = create_app(_base_config(url))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield url
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _base_config(database_url: str, **extra: Any) -> dict[str, Any]:
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


@pytest.fixture
def make_app(tmp_path: Path, shared_database_url: str | None,
             request: pytest.FixtureRequest) -> Iterator[Any]:
    """Factory for apps on this test's database; extra config as keyword arguments."""
    apps: list[Flask] = []
    url = shared_database_url or f"sqlite:///{tmp_path / 'test.db'}"

    def factory(**overrides: Any) -> Flask:
        overrides.setdefault("INSTANCE_PATH", str(tmp_path / "instance"))
        app = create_app(_base_config(url, **overrides))
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
        runner = app.extensions.get("jobs_runner")
        if runner:
            runner.wait(timeout=30)
            runner.pool.shutdown(wait=True)
        with app.app_context():
            db.session.remove()
            if shared_database_url:
                empty_all_tables()
            db.engine.dispose()


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


@pytest.fixture
def redis_url() -> str:
    """A real Redis for job tests, emptied first (a dedicated test database number)."""
    from redis import Redis

    url = test_redis_url()
    conn = Redis.from_url(url, socket_connect_timeout=1)
    try:
        conn.ping()
    except Exception as exc:
        service_missing("Redis", f"{url}: {exc}")
    conn.flushdb()
    conn.close()
    return url


def soup(response: Any) -> BeautifulSoup:
    """Parse an HTML response."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


_CSRF_IN_HEADERS = re.compile(r'"X-CSRFToken":\s*"([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token a browser would send, read from a rendered page."""
    page = client.get(path)
    html = page.get_data(as_text=True)
    field = BeautifulSoup(html, "html.parser").find("input", attrs={"name": "csrf_token"})
    if field is not None:
        return str(field["value"])
    match = _CSRF_IN_HEADERS.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


from ecs_fixtures import sandbox, sandbox_server  # noqa: E402,F401  (shared ECS sandbox fixtures)
