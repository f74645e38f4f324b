"""PostgreSQL: every web process hears of a catalog change the moment it commits (LISTEN/NOTIFY).

:func:`storefront.catalog.revision.bump` sends ``NOTIFY storefront_catalog, '<shop code>'`` in the
changing transaction; PostgreSQL delivers it only if that transaction commits. A web process keeps
one connection LISTENing in a daemon thread (started on its first catalog request, again after a
fork) and counts the notices per shop. A process's copy of a shop's revision carries the count it
was read under: while the process is listening, the copy is trusted until a notice for that shop
arrives (or ``CATALOG_REVISION_LISTEN_SECONDS``, a safety net) — no query per shop per second,
however many shops the process serves, and changes show at once instead of within
``CATALOG_REVISION_TTL_SECONDS``. Whenever the connection is down the process falls back to that
short poll, and every (re)connect starts a new epoch, so a notice missed meanwhile cannot leave a
stale copy behind.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)

CHANNEL = "storefront_catalog"
_EXTENSION = "catalog_revision_feed"
_lock = threading.Lock()

# What a copy of a revision was read under: (connection epoch, notices for the shop so far).
Stamp = tuple[int, int]


class RevisionFeed:
    """One process's LISTEN connection and the notices it has counted."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.pid = os.getpid()
        self._notices: dict[str, int] = {}
        self._epoch = 0
        self._listened = False
        self._listening = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="catalog-revision-feed", daemon=True)
        self._thread.start()

    def stamp(self, code: str) -> Stamp | None:
        """Where the shop's notices stand now; None while not listening (trust nothing for long)."""
        if not self._listening.is_set():
            return None
        return self._epoch, self._notices.get(code, 0)

    def wait_listening(self, timeout: float) -> bool:
        return self._listening.wait(timeout)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)

    def _run(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            try:
                self._listen()
            except Exception:  # noqa: BLE001 — any failure: poll meanwhile, reconnect later
                log.warning("catalog change feed lost its connection; polling until it is back", exc_info=True)
            finally:
                self._listening.clear()
            backoff = 1.0 if self._listened else min(backoff * 2, 30.0)  # a connection that worked: retry soon
            self._listened = False
            self._stopping.wait(backoff)

    def _listen(self) -> None:
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True, application_name="storefront catalog feed") as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self._epoch += 1  # copies read before this moment may have missed a notice
            self._listening.set()
            self._listened = True
            while not self._stopping.is_set():
                for notice in conn.notifies(timeout=1.0):
                    self._notices[notice.payload] = self._notices.get(notice.payload, 0) + 1


def feed_for(app: Flask, engine: Any) -> RevisionFeed | None:  # noqa: ANN401
    """This process's feed for the app's PostgreSQL database (started on first use), or None where
    there is none: SQLite, listening switched off, or caching off altogether."""
    if engine.dialect.name != "postgresql" or not _wanted(app):
        return None
    feed: RevisionFeed | None = app.extensions.get(_EXTENSION)
    if feed is not None and feed.pid == os.getpid():
        return feed
    with _lock:
        feed = app.extensions.get(_EXTENSION)
        if feed is None or feed.pid != os.getpid():  # a forked child does not inherit the thread
            conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            feed = app.extensions[_EXTENSION] = RevisionFeed(conninfo)
    return feed


def stop(app: Flask) -> None:
    feed: RevisionFeed | None = app.extensions.pop(_EXTENSION, None)
    if feed is not None:
        feed.stop()


def _wanted(app: Flask) -> bool:
    return (float(app.config.get("CATALOG_REVISION_TTL_SECONDS") or 0) > 0
            and float(app.config.get("CATALOG_REVISION_LISTEN_SECONDS") or 0) > 0)


def notify(session: Any, code: str) -> None:  # noqa: ANN401
    """Queue the notice in the session's transaction (PostgreSQL sends it on commit, never on rollback)."""
    from sqlalchemy import text

    session.execute(text("SELECT pg_notify(:channel, :code)"), {"channel": CHANNEL, "code": code})
