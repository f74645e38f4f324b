"""A full sync's ITEM pages, fetched and mapped ahead of the writer in a second process.

Reading a ListCatalog page (HTTP, JSON decoding) and mapping its items is about as much CPU as
writing them; in one process both share one interpreter lock, so a sync was twice as slow as it
had to be. Here a forked child pages through the catalog with its own client and sends each page,
already mapped (:class:`MappedPage`), through a pipe, while the parent writes the previous one.

The child touches no database and inherits nothing it uses but its settings: it builds its own
HTTP session, talks only to the ECS and the pipe, and leaves by ``os._exit`` (multiprocessing's
way), so the parent's pooled database connections are never closed or written to from it. The
pipe holds about one page, so the child runs one page ahead at most. On any error it reports the
cursor it was reading and stops; the runner then goes on from that cursor in its own process with
its usual resume-and-backoff handling, so a failing child never makes a sync fail. Where ``fork``
is missing or unsafe (Windows, macOS) the runner reads ahead with a thread instead.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import sys
import warnings
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

from storefront.ecs.client import CursorTrail, SquareClient
from storefront.sync.fields import Mapper
from storefront.sync.mapping import MappedPage, map_item_page

log = logging.getLogger("storefront.sync")
POLL_SECONDS = 1.0


class FetchedPage(NamedTuple):
    page: MappedPage
    objects: int  # objects on the page, mapped or not
    cursor: str | None  # the next page's cursor; None at the end


class FetchStopped(NamedTuple):
    cursor: str | None  # the page that could not be read: go on from here
    reason: str


def fork_available() -> bool:
    """Linux and the BSDs. macOS offers fork, but its system frameworks are not safe in a forked
    child (requests' proxy lookup can crash there), so it reads ahead with the thread."""
    return sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods()


def _child(make_client: Callable[[], SquareClient], out: Connection, location_id: str | None = None,
           mapper: Mapper | None = None) -> None:
    # The child inherits the parent's whole heap; without this every full collection would walk
    # (and, touching reference counts, copy) all of it while the pages' objects come and go.
    gc.freeze()
    cursor: str | None = None
    trail = CursorTrail("ListCatalog (items)")
    try:
        with make_client() as client:
            while True:
                page = client.list_catalog(cursor=cursor, types="ITEM")
                trail.follow(page.cursor)  # a repeat stops here; the parent reading on meets it too and fails
                out.send(FetchedPage(map_item_page(page.objects, location_id, mapper), len(page.objects), page.cursor))
                cursor = page.cursor
                if not cursor:
                    return
    except BaseException as exc:  # noqa: BLE001 — reported to the parent, which carries on itself
        with contextlib.suppress(OSError):  # the parent has gone
            out.send(FetchStopped(cursor, f"{type(exc).__name__}: {exc}"[:300]))
    finally:
        out.close()


def fetch_in_child(make_client: Callable[[], SquareClient], location_id: str | None = None,
                   mapper: Mapper | None = None) -> Iterator[FetchedPage | FetchStopped]:
    """Yield the catalog's ITEM pages from a forked child, in order; the last thing yielded is the
    final page (cursor None) or a :class:`FetchStopped` saying where to go on. Closing the
    generator early (an aborted sync) stops the child."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(make_client, send, location_id, mapper), name="sync-fetch",
                              daemon=True)
    with warnings.catch_warnings():
        # Python 3.12+ warns about fork() in a process with threads (a web server's, a test
        # runner's). The child above uses no lock it inherits: it builds its own client and
        # only talks to the ECS and the pipe.
        warnings.simplefilter("ignore", DeprecationWarning)
        process.start()
    send.close()
    cursor: str | None = None

    def ended() -> FetchStopped:
        process.join(5)
        return FetchStopped(cursor, f"the fetch process ended (exit code {process.exitcode})")

    try:
        while True:
            if not receive.poll(POLL_SECONDS):
                if process.is_alive():
                    continue
                if not receive.poll(0):
                    yield ended()
                    return
            try:
                message: Any = receive.recv()
            except EOFError:
                yield ended()
                return
            yield message
            if isinstance(message, FetchStopped) or not message.cursor:
                return
            cursor = message.cursor
    finally:
        receive.close()
        if process.is_alive():
            process.terminate()
        process.join(5)
