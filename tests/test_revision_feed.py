"""The catalog change feed on a real PostgreSQL: a web process hears of another process's committed
catalog change at once (LISTEN/NOTIFY), never of a rolled-back one, asks the database nothing while
no notice comes, and distrusts every copy it holds after its connection drops and comes back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text, update

from storefront import create_app
from storefront.catalog import revision as catalog_revision
from storefront.catalog import revision_feed
from storefront.content.services import create_page, navigation
from storefront.extensions import db
from storefront.sync.models import SyncState
from tests.support.app import base_config

FEED_APP = "storefront catalog feed"


@pytest.fixture
def processes(scratch_postgres: str, tmp_path: Any) -> Iterator[tuple[Flask, Flask]]:
    """A web process (trusts its copy for a minute unless told) and a worker (reads every time) on
    one new database."""
    web = create_app(base_config(scratch_postgres, INSTANCE_PATH=str(tmp_path / "web"),
                                 CATALOG_REVISION_TTL_SECONDS=60, CATALOG_REVISION_LISTEN_SECONDS=60))
    worker = create_app(base_config(scratch_postgres, INSTANCE_PATH=str(tmp_path / "worker")))
    with worker.app_context():
        db.create_all()
        catalog_revision.bump()
        db.session.commit()
    yield web, worker
    revision_feed.stop(web)
    for app in (web, worker):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def in_request(app: Flask, fn: Callable[[], Any]) -> Any:  # noqa: ANN401
    with app.test_request_context("/catalog"):
        try:
            return fn()
        finally:
            db.session.remove()


def listening_feed(app: Flask) -> revision_feed.RevisionFeed:
    feed = in_request(app, lambda: revision_feed.feed_for(app, db.engine))
    assert feed is not None and feed.wait_listening(10), "the feed never started listening"
    return feed


def raise_without_notice(worker: Flask, by: int) -> None:
    """A change that sends no notice (straight to the table, not through ``bump``)."""
    with worker.app_context():
        db.session.execute(update(SyncState).values(catalog_revision=SyncState.catalog_revision + by))
        db.session.commit()


def eventually(fn: Callable[[], Any], expected: Any, seconds: float = 10) -> Any:  # noqa: ANN401
    deadline = time.monotonic() + seconds
    while (value := fn()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return value


@pytest.mark.postgres
def test_a_committed_change_shows_at_once_a_rolled_back_one_never_and_no_notice_means_no_query(processes):
    web, worker = processes
    feed = listening_feed(web)
    first = in_request(web, catalog_revision.current)

    with worker.app_context():
        catalog_revision.bump()
        db.session.rollback()  # never committed: PostgreSQL drops its notice
        catalog_revision.bump()
        db.session.commit()
    assert eventually(lambda: in_request(web, catalog_revision.current), first + 1) == first + 1
    # notices arrive in commit order: the committed one came, so a rolled-back one would have too
    assert feed.stamp("default") == (1, 1)

    raise_without_notice(worker, 5)  # no notice: the web process keeps its copy,
    time.sleep(0.3)
    assert in_request(web, catalog_revision.current) == first + 1  # so it did not ask the database


@pytest.mark.postgres
def test_a_content_page_saved_elsewhere_joins_the_navigation_at_once(processes):
    web, worker = processes
    listening_feed(web)
    assert in_request(web, navigation) == ()
    with worker.app_context():
        create_page({"slug": "opening-hours", "title": "Opening hours", "body": "Tue–Sat 11–7",
                     "body_format": "markdown", "published": "y", "show_in_header": "y"})
        db.session.commit()
    titles = eventually(lambda: [entry.title for entry in in_request(web, navigation)], ["Opening hours"])
    assert titles == ["Opening hours"]


@pytest.mark.postgres
def test_after_the_feed_connection_drops_and_returns_every_copy_is_read_again(processes):
    web, worker = processes
    feed = listening_feed(web)
    first = in_request(web, catalog_revision.current)
    raise_without_notice(worker, 5)
    with worker.app_context():
        killed = db.session.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :name AND datname = current_database()"), {"name": FEED_APP}).scalar()
        db.session.commit()
    assert killed == 1
    # The change sent no notice, and the copy would be trusted for a minute — but a notice may have
    # been missed while the feed was away, so the reconnected feed starts a new epoch.
    assert eventually(lambda: feed.stamp("default") is not None and feed.stamp("default")[0], 2) == 2
    assert in_request(web, catalog_revision.current) == first + 5


def test_only_postgresql_listens_and_only_when_asked_to(make_app):
    app = make_app(CATALOG_REVISION_TTL_SECONDS=1, CATALOG_REVISION_LISTEN_SECONDS=60)
    on_postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert (in_request(app, lambda: revision_feed.feed_for(app, db.engine)) is not None) is on_postgres
    off = make_app(CATALOG_REVISION_TTL_SECONDS=1, CATALOG_REVISION_LISTEN_SECONDS=0)
    assert in_request(off, lambda: revision_feed.feed_for(off, db.engine)) is None


def test_a_change_rolled_back_in_this_process_leaves_no_copy_behind(make_app):
    """The bumping transaction sees its own change, but a process that keeps its copy for a minute
    must not keep one that rolls back (it would send no notice to correct it)."""
    app = make_app(CATALOG_REVISION_TTL_SECONDS=60, CATALOG_REVISION_LISTEN_SECONDS=60)
    with app.test_request_context("/catalog"):
        catalog_revision.bump()
        db.session.commit()
        first = catalog_revision.current()
        catalog_revision.bump()
        assert catalog_revision.current() == first + 1
        db.session.rollback()
        assert catalog_revision.current() == first
        catalog_revision.bump()
        db.session.commit()
        assert catalog_revision.current() == first + 1
        db.session.remove()
