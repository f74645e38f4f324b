"""The forked page fetcher of a full sync: same result as reading in-process, and a child that
fails or dies never fails the sync (the runner reads on from where it stopped)."""

from __future__ import annotations

import logging
import os
import time

import pytest

from storefront.ecs.client import CatalogPage
from storefront.ecs.errors import ECSServerError
from storefront.sync import fetcher
from storefront.sync.fetcher import FetchedPage, FetchStopped, fetch_in_child
from tests.support.ecs import ecs_config
from tests.support.sync import ecs_snapshot, local_snapshot, run_sync

pytestmark = pytest.mark.skipif(not fetcher.fork_available(), reason="this platform has no fork()")


def item(n: int) -> dict:
    return {"type": "ITEM", "id": f"I{n}", "version": 1,
            "item_data": {"name": f"Artist — Title {n}", "variations": [
                {"type": "ITEM_VARIATION", "id": f"V{n}", "version": 1,
                 "item_variation_data": {"name": "LP", "price_money": {"amount": 1000 + n, "currency": "USD"}}}]}}


class ScriptedClient:
    """Three pages; what happens on the second one is up to the test."""

    on_second_page = "serve"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def list_catalog(self, *, cursor=None, types="ITEM"):
        if cursor == "c2" and self.on_second_page == "raise":
            raise ECSServerError("upstream is down", status=503)
        if cursor == "c2" and self.on_second_page == "die":
            os._exit(3)
        if cursor == "c2" and self.on_second_page == "hang":
            time.sleep(120)
        pages = {None: ([item(1), item(2), {"type": "ITEM", "id": "BAD"}], "c2"), "c2": ([item(3)], "c3"),
                 "c3": ([item(4)], None)}
        objects, next_cursor = pages[cursor]
        return CatalogPage(objects, next_cursor)


def scripted(behaviour: str):
    def make():
        client = ScriptedClient()
        client.on_second_page = behaviour
        return client
    return make


def test_the_child_sends_every_page_mapped_in_order():
    messages = list(fetch_in_child(scripted("serve")))
    assert all(isinstance(m, FetchedPage) for m in messages)
    assert [m.cursor for m in messages] == ["c2", "c3", None]
    first = messages[0]
    assert first.objects == 3 and first.page.seen_ids == ["I1", "I2", "BAD"]
    assert [v.ecs_id for v in first.page.items] == ["I1", "I2"]
    assert first.page.items[1].variations[0].price_amount == 1002
    assert [f["ecs_id"] for f in first.page.failures] == ["BAD"]


def test_a_failing_child_says_which_page_to_read_next():
    messages = list(fetch_in_child(scripted("raise")))
    assert isinstance(messages[0], FetchedPage)
    assert messages[1] == FetchStopped("c2", "ECSServerError: upstream is down")
    assert len(messages) == 2


def test_a_child_that_dies_is_noticed():
    messages = list(fetch_in_child(scripted("die")))
    assert isinstance(messages[0], FetchedPage)
    stopped = messages[1]
    assert isinstance(stopped, FetchStopped) and stopped.cursor == "c2"
    assert "exit code 3" in stopped.reason


def test_closing_early_stops_the_child():
    pages = fetch_in_child(scripted("hang"))
    assert isinstance(next(pages), FetchedPage)
    pages.close()  # an aborted sync: the child, stuck on the next page, is stopped, not waited for
    assert not [p for p in __import__("multiprocessing").active_children() if p.name == "sync-fetch"]


@pytest.mark.parametrize("fetch_process", [True, False], ids=["forked-fetcher", "thread-fetcher"])
def test_both_ways_of_reading_ahead_give_the_ecs_catalog(make_app, sandbox, fetch_process):
    sandbox.reset(items=250)
    app = make_app(**ecs_config(sandbox, SYNC_FETCH_PROCESS=fetch_process))
    with app.app_context():
        run = run_sync()
        assert run.status == "succeeded", run.message
        assert (run.items_created, run.pages) == (len(ecs_snapshot(sandbox)), 3)
        assert local_snapshot() == ecs_snapshot(sandbox)


def test_the_sync_reads_on_itself_when_the_child_dies(make_app, sandbox, monkeypatch, caplog):
    """The child sends the first page and dies; the runner reads the rest and the sync succeeds."""
    sandbox.reset(items=250)
    real_child = fetcher._child

    def first_page_then_die(make_client, out, location_id=None, mapper=None):
        class OnePage:
            def __init__(self):
                self.client = make_client()
                self.calls = 0

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.client.close()

            def list_catalog(self, **kwargs):
                self.calls += 1
                if self.calls > 1:
                    os._exit(9)
                return self.client.list_catalog(**kwargs)
        real_child(OnePage, out, location_id, mapper)

    monkeypatch.setattr(fetcher, "_child", first_page_then_die)
    app = make_app(**ecs_config(sandbox))
    with app.app_context(), caplog.at_level(logging.WARNING, logger="storefront.sync"):
        run = run_sync()
        assert run.status == "succeeded", run.message
        assert local_snapshot() == ecs_snapshot(sandbox)
    assert "the fetch process stopped" in caplog.text and "exit code 9" in caplog.text
