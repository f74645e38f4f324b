"""Catalog sync against the ECS sandbox over HTTP: full, dry run, incremental, faults, concurrency."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

import pytest
from sqlalchemy import func, select, text

from storefront.catalog.models import Item, ItemDetail, ItemVariation, StockLevel
from storefront.ecs.client import SearchCatalogPage, SquareClient
from storefront.ecs.errors import ECSRepeatedCursor
from storefront.ecs.provider import ecs_client
from storefront.extensions import db
from storefront.sync.models import SyncRun
from storefront.sync.runner import execute_run
from storefront.sync.services import SyncAlreadyRunning, create_run, sync_state
from tests.support.ecs import ecs_config
from tests.support.sync import ecs_snapshot, local_snapshot, run_sync


@pytest.fixture
def synced_app(make_app, sandbox):
    return make_app(**ecs_config(sandbox))


def test_full_sync_makes_the_local_catalog_equal_to_the_ecs(synced_app, sandbox):
    with synced_app.app_context():
        run = run_sync()
        assert run.status == "succeeded", run.message
        assert run.items_created == 60 and run.failures_count == 0
        assert local_snapshot() == ecs_snapshot(sandbox)
        assert sync_state().latest_time
        genres = db.session.scalar(select(func.count()).select_from(Item).where(Item.genres.any()))
        assert genres == 60


def test_second_full_sync_changes_nothing(synced_app, sandbox):
    with synced_app.app_context():
        run_sync()
        before = local_snapshot()
        again = run_sync()
        assert again.status == "succeeded"
        assert (again.items_created, again.items_updated, again.items_deleted, again.stock_updates) == (0, 0, 0, 0)
        assert again.items_unchanged == 60
        assert local_snapshot() == before


def test_dry_run_reports_but_writes_nothing(synced_app, sandbox):
    with synced_app.app_context():
        run = run_sync(dry_run=True)
        assert run.status == "succeeded" and run.dry_run
        assert run.items_created == 60
        assert "Dry run" in run.message
        assert db.session.scalar(select(func.count()).select_from(Item)) == 0
        assert db.session.scalar(select(func.count()).select_from(StockLevel)) == 0


def test_full_sync_marks_items_missing_upstream_as_deleted(synced_app, sandbox):
    with synced_app.app_context():
        run_sync()
        gone = next(iter(local_snapshot()))
        sandbox.control("DELETE", f"catalog/{gone}")
        run = run_sync()
        assert run.items_deleted == 1
        assert db.session.scalar(select(Item.is_deleted).where(Item.ecs_id == gone)) is True
        assert local_snapshot() == ecs_snapshot(sandbox)


def test_incremental_sync_picks_up_exactly_a_price_change_and_a_deletion(synced_app, sandbox):
    with synced_app.app_context():
        run_sync()
        ids = sorted(local_snapshot())
        repriced, deleted = ids[3], ids[7]
        sandbox.control("POST", f"catalog/{repriced}/price", json={"amount": 4242})
        sandbox.control("DELETE", f"catalog/{deleted}")
        run = run_sync("incremental")
        assert run.status == "succeeded", run.message
        assert run.kind == "incremental"
        assert run.items_updated == 1 and run.items_deleted == 1 and run.items_created == 0
        item = db.session.scalar(select(Item).where(Item.ecs_id == repriced))
        assert 4242 in [v.price_amount for v in item.variations]
        assert db.session.scalar(select(Item.is_deleted).where(Item.ecs_id == deleted)) is True
        assert local_snapshot() == ecs_snapshot(sandbox)


def test_enrichment_survives_a_full_sync(synced_app, sandbox):
    with synced_app.app_context():
        run_sync()
        item = db.session.scalar(select(Item).order_by(Item.id).limit(1))
        db.session.add(ItemDetail(item_id=item.id, notes="Staff wrote this", staff_pick="Play it loud",
                                  artists=["Someone"]))
        db.session.commit()
        sandbox.control("POST", f"catalog/{item.ecs_id}/price", json={"amount": 999})
        run_sync()
        detail = db.session.scalar(select(ItemDetail).where(ItemDetail.item_id == item.id))
        assert detail.notes == "Staff wrote this" and detail.staff_pick == "Play it loud"
        assert "Play it loud" in db.session.scalar(select(Item.search_text).where(Item.id == item.id))


def test_only_one_sync_at_a_time(synced_app, sandbox):
    with synced_app.app_context():
        first = create_run("full", started_by="alice")
        with pytest.raises(SyncAlreadyRunning) as info:
            create_run("full", started_by="bob")
        assert f"run #{first.id}" in info.value.message and "alice" in info.value.message
        execute_run(first.id)
        assert create_run("full").id > first.id  # the slot is free again


def test_two_syncs_started_at_once_exactly_one_runs(synced_app, sandbox):
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def start() -> None:
        with synced_app.app_context():
            barrier.wait()
            try:
                run = create_run("full", started_by=threading.current_thread().name)
                outcomes.append(execute_run(run.id).status)
            except SyncAlreadyRunning:
                outcomes.append("409")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["409", "succeeded"]


def test_sync_completes_through_rate_limits_and_server_errors(make_app, sandbox):
    app = make_app(**ecs_config(sandbox, ECS_MAX_RETRIES=1))
    sandbox.control("POST", "faults", json={"rules": [
        {"path_prefix": "/v2/catalog/list", "kind": "rate_limit", "times": 4},
        {"path_prefix": "/v2/catalog/list", "kind": "server_error", "every": 3},
        {"path_prefix": "/v2/inventory", "kind": "rate_limit", "times": 2},
    ]})
    with app.app_context():
        run = run_sync()
        assert run.status == "succeeded", run.message
        sandbox.control("DELETE", "faults")
        assert local_snapshot() == ecs_snapshot(sandbox)
        assert ecs_client().stats["retries"] > 0


def test_sync_aborts_when_more_than_five_percent_of_items_fail(make_app, sandbox):
    app = make_app(**ecs_config(sandbox))
    with app.app_context():
        ids = sorted(o["id"] for p in ecs_client().iter_catalog(types="ITEM") for o in p.objects)
    for ecs_id in ids[:5]:  # 5 of 60 ≈ 8 %
        sandbox.control("POST", f"catalog/{ecs_id}/corrupt")
    with app.app_context():
        run = run_sync()
        assert run.status == "aborted"
        assert "5 of 60 items failed" in run.message
        assert {f["ecs_id"] for f in run.failures} == set(ids[:5])
        assert all(f["reason"] for f in run.failures)
        assert db.session.scalar(select(func.count()).select_from(Item).where(Item.is_deleted.is_(True))) == 0


@pytest.mark.slow
def test_full_sync_of_ten_thousand_items(make_app, sandbox):
    sandbox.reset(items=10_000, seed=11)
    app = make_app(**ecs_config(sandbox))
    try:
        with app.app_context():
            run = run_sync()
            assert run.status == "succeeded", run.message
            assert run.items_created == 10_000
            assert local_snapshot() == ecs_snapshot(sandbox)
            again = run_sync()
            assert (again.items_created, again.items_updated, again.items_deleted) == (0, 0, 0)
            assert db.session.scalar(select(func.count()).select_from(ItemVariation)) >= 10_000
    finally:
        sandbox.reset(items=60)


def test_a_growing_catalog_gets_fresh_planner_statistics_during_a_postgresql_sync(synced_app, sandbox, monkeypatch):
    """PostgreSQL replans the per-page lookups once the first items are in (inside the run's open
    transaction, not at its next commit) and again at ×10; SQLite only needs the ANALYZE at the
    end of a full sync."""
    import storefront.sync.runner as runner

    calls: list[tuple[bool, float]] = []
    real = runner.refresh_planner_statistics

    def spy(*, in_transaction: bool = False) -> None:
        real(in_transaction=in_transaction)
        if db.engine.dialect.name == "postgresql":  # what the planner now believes
            rows = db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'items'"))
            calls.append((in_transaction, rows))
            # the ANALYZE's short lock timeout does not outlive it in the run's transaction
            assert db.session.scalar(text("SELECT current_setting('lock_timeout')")) == "0"
        else:
            calls.append((in_transaction, -1))

    monkeypatch.setattr(runner, "refresh_planner_statistics", spy)
    monkeypatch.setattr(runner, "ANALYZE_FIRST_AT", 150)
    sandbox.reset(items=600)  # six pages, at least 540 of the items new
    try:
        with synced_app.app_context():
            run = run_sync()
            assert run.status == "succeeded", run.message
            postgres = db.engine.dialect.name == "postgresql"
    finally:
        sandbox.reset(items=60)
    if postgres:
        # once mid-run (the statistics then count the rows written so far), once at the end
        assert [in_tx for in_tx, _rows in calls] == [True, False]
        assert 150 <= calls[0][1] < 600 <= calls[1][1]
    else:
        assert calls == [(False, -1)]


def test_new_items_are_written_with_their_stock_when_the_counts_are_in(synced_app, sandbox):
    """The writer's head start: given the counts, new items are inserted with their stock (the
    sum over live variations), so the end-of-sync refresh has nothing left to rewrite."""
    from storefront.sync.writer import CatalogWriter

    with synced_app.app_context():
        ecs = ecs_snapshot(sandbox)
        writer = CatalogWriter(dry_run=False)
        writer.stock_on_hand = sandbox.inventory()
        for page in ecs_client().iter_catalog(types="ITEM"):
            writer.apply_items(page.objects)
        db.session.commit()
        stored = dict(db.session.execute(select(Item.ecs_id, Item.stock).where(Item.is_deleted.is_(False))).all())
        assert stored == {ecs_id: item["stock"] for ecs_id, item in ecs.items()}
        assert sum(stored.values()) > 0


class InlineExecutor:
    """A ThreadPoolExecutor stand-in that runs each task at once: the stock counts are in before
    the first item page is written, every time."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __enter__(self) -> InlineExecutor:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, fn, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 — handed to the caller, as an executor does
            future.set_exception(exc)
        return future


def test_the_final_stock_refresh_has_the_last_word_over_the_head_start(synced_app, sandbox, monkeypatch):
    """Even a wrong head start (here: every variation 999 on hand) ends equal to the ECS."""
    import storefront.sync.runner as runner

    used = []

    def wrong(latest, location_id):
        used.append(location_id)
        return {ecs_id: 999 for (ecs_id, _location) in latest}

    monkeypatch.setattr(runner, "ThreadPoolExecutor", InlineExecutor)
    monkeypatch.setattr(runner, "quantities_at", wrong)
    with synced_app.app_context():
        run = run_sync()
        assert run.status == "succeeded", run.message
        assert used, "the head start was never taken"
        assert local_snapshot() == ecs_snapshot(sandbox)


def test_a_mid_run_analyze_that_cannot_get_its_lock_is_skipped(synced_app, sandbox, monkeypatch, caplog):
    """Autovacuum (here: another transaction) holding the catalog tables' ANALYZE lock costs the
    run at most the lock timeout: it goes on with the old statistics and succeeds."""
    import storefront.sync.runner as runner

    with synced_app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: SQLite runs no ANALYZE during a sync")
    real = runner.refresh_planner_statistics
    seen = []

    def spy(*, in_transaction: bool = False) -> None:
        real(in_transaction=in_transaction)
        if in_transaction:
            seen.append(db.session.scalar(text("SELECT current_setting('lock_timeout')")))
            blocker.rollback()  # autovacuum is done: the final ANALYZE gets its lock

    monkeypatch.setattr(runner, "refresh_planner_statistics", spy)
    monkeypatch.setattr(runner, "ANALYZE_FIRST_AT", 150)
    sandbox.reset(items=600)
    try:
        with synced_app.app_context():
            with db.engine.connect() as other:
                blocker = other
                other.execute(text("LOCK TABLE item_genres IN SHARE UPDATE EXCLUSIVE MODE"))
                started = time.monotonic()
                run = run_sync()
                assert run.status == "succeeded", run.message
                assert time.monotonic() - started < 30
            assert seen == ["0"]
            assert local_snapshot() == ecs_snapshot(sandbox)
    finally:
        sandbox.reset(items=60)
    assert "could not refresh planner statistics" in caplog.text


def _scripted_search(pages):
    """A SearchCatalogObjects stand-in answering ``pages`` in order (then the last one again)."""
    answers = list(pages)

    def search(self, **kwargs):
        return answers.pop(0) if len(answers) > 1 else answers[0]
    return search


def test_incremental_keeps_the_later_latest_time_as_an_instant(synced_app, sandbox, monkeypatch):
    with synced_app.app_context():
        run_sync()
        sync_state().latest_time = "2025-03-01T12:00:00.5Z"
        db.session.commit()
        # ".45Z" sorts after ".5Z" as a string but is the earlier instant; "+02:00" is earlier too.
        monkeypatch.setattr(SquareClient, "search_catalog_objects", _scripted_search([
            SearchCatalogPage([], [], "c1", "2025-03-01T12:00:00.45Z"),
            SearchCatalogPage([], [], None, "2025-03-01T13:00:00.9+02:00")]))
        run = run_sync("incremental")
        assert run.status == "succeeded", run.message
        assert sync_state().latest_time == run.latest_time == "2025-03-01T12:00:00.5Z"


def test_a_repeated_cursor_fails_the_run_instead_of_looping(synced_app, sandbox, monkeypatch):
    with synced_app.app_context():
        run_sync()
        before = sync_state().latest_time
        monkeypatch.setattr(SquareClient, "search_catalog_objects", _scripted_search([
            SearchCatalogPage([], [], "c1", before), SearchCatalogPage([], [], "c2", before),
            SearchCatalogPage([], [], "c1", before)]))
        with pytest.raises(ECSRepeatedCursor):
            run_sync("incremental")
        db.session.rollback()
        run = db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()).limit(1))
        assert run.status == "failed" and "ECSRepeatedCursor" in run.message and "already returned" in run.message
        assert sync_state().latest_time == before  # nothing half-read is taken as the new begin_time


def test_categories_that_swap_names_upstream_do_not_stop_the_sync(app_ctx):
    """Square lets a seller rename "Soul" to "Music" and "Music" to "Soul" (or give a deleted
    category's name to another): genre names are unique here, and the sync must converge anyway."""
    from storefront.catalog.models import Genre
    from storefront.sync.writer import CatalogWriter

    def category(cid: str, name: str, version: int) -> dict:
        return {"type": "CATEGORY", "id": cid, "version": version, "category_data": {"name": name}}

    writer = CatalogWriter(dry_run=False)
    writer.apply_categories([category("X", "Soul", 1), category("Y", "Music", 1)])
    db.session.commit()
    writer.apply_categories([category("X", "Music", 2), category("Y", "Soul", 2)])
    db.session.commit()
    names = dict(db.session.execute(select(Genre.ecs_category_id, Genre.name)).all())
    assert names == {"X": "Music", "Y": "Soul"}
