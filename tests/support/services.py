"""Real services for the tests that need them: PostgreSQL and Redis.

Tests marked ``redis`` use ``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``) and tests marked
``postgres`` use ``TEST_POSTGRES_URL``; on a bare machine they skip with the reason, in CI (``CI=true``)
a missing service is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storefront.config import normalise_database_url
from storefront.shops.databases import drop_shop_roles

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


def redis_test_url() -> str:
    return os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or DEFAULT_TEST_REDIS


def postgres_url() -> str:
    """DATABASE_URL when it names PostgreSQL, else ``TEST_POSTGRES_URL`` (or the default)."""
    env_url = database_url_from_env()
    if env_url and env_url.startswith("postgresql"):
        return env_url
    return normalise_database_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES))


def postgres_problem(url: str) -> str | None:
    """None when the database at ``url`` answers, else why not (one line)."""
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"


@pytest.fixture
def redis_url() -> str:
    """A real Redis for job tests, emptied first (a dedicated test database number)."""
    from redis import Redis

    url = redis_test_url()
    conn = Redis.from_url(url, socket_connect_timeout=1)
    try:
        conn.ping()
    except Exception as exc:
        service_missing("Redis", f"{url}: {exc}")
    conn.flushdb()
    conn.close()
    return url


@pytest.fixture
def scratch_postgres() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database of its own (dropped afterwards): for tests that
    build a schema their own way or need a database no other test touches."""
    url = make_url(postgres_url())
    problem = postgres_problem(url.render_as_string(hide_password=False))
    if problem:
        service_missing("PostgreSQL", problem)
    name = f"storefront_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        drop_shop_roles(admin, dropped_database=name)  # roles outlive the database
        admin.dispose()
