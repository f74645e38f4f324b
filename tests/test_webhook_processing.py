"""Processing the inbox: handlers, idempotency, atomic claims, retries → dead, the reconciler, timers."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import pytest
from redis import Redis
from rq.cron import CronScheduler

from storefront.catalog import webhooks as catalog_webhooks
from storefront.catalog.models import ItemVariation
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.sync import webhooks as sync_webhooks
from storefront.sync.models import SyncRun
from storefront.tasks.periodic import PeriodicJob, PeriodicRunner, register_periodic, schedule
from storefront.webhooks import handlers
from storefront.webhooks.handlers import HandlerResult, handler_for, register_handler
from storefront.webhooks.models import WebhookEvent
from storefront.webhooks.services import process, reconcile, retry_delay
from tests.support.ecs import ecs_config
from tests.support.webhooks import (
    add_row,
    count,
    deliver,
    event,
    inventory_event,
    item_stock,
    make_catalog,
    rows,
    stock_of,
    webhook_config,
)


@pytest.fixture
def app(make_app):
    return make_app(**webhook_config())


@pytest.fixture
def registry(app, monkeypatch):
    """An isolated handler registry holding only the built-ins (restored after the test); other
    domains' handlers (orders registers order.* / payment.* in create_app) are out of the picture."""
    monkeypatch.setattr(handlers, "_HANDLERS", {})
    handlers.register_fallbacks()
    catalog_webhooks.register()
    sync_webhooks.register()
    return handlers._HANDLERS


# --- inventory ------------------------------------------------------------------------------------

def test_inventory_event_updates_stock_and_item_totals(app):
    with app.app_context():
        make_catalog(2)
    response = deliver(app.test_client(), inventory_event(count("V1", 5, at=1), count("V2", 2, at=1),
                                                          count("V2", 9, at=1, location="ELSEWHERE")))
    assert response.status_code == 200
    with app.app_context():
        assert (stock_of("V1"), item_stock("I1"), item_stock("I2")) == (5, 5, 2)  # other locations don't count
        (row,) = rows()
        assert row.status == "processed" and row.attempts == 1 and row.finished_at is not None
        assert "updated" in row.note


def test_an_older_count_arriving_late_is_ignored(app):
    with app.app_context():
        make_catalog(1)
    client = app.test_client()
    deliver(client, inventory_event(count("V1", 7, at=20)))
    deliver(client, inventory_event(count("V1", 3, at=10)))  # older: must not win
    with app.app_context():
        assert stock_of("V1") == 7 and item_stock("I1") == 7
        newer, older = rows()
        assert older.status == "processed" and "older than ours ignored" in older.note


def test_shuffled_and_duplicated_deliveries_converge_on_the_newest_count(app):
    with app.app_context():
        make_catalog(3)
    rng = random.Random(4)
    history = {v: [(rng.randint(0, 20), t) for t in range(30)] for v in ("V1", "V2", "V3")}
    events = [inventory_event(count(v, q, at=t)) for v, seq in history.items() for q, t in seq]
    deliveries = events + rng.sample(events, 25)  # duplicates
    rng.shuffle(deliveries)
    client = app.test_client()
    for payload in deliveries:
        assert deliver(client, payload).status_code == 200
    with app.app_context():
        for v, seq in history.items():
            assert stock_of(v) == seq[-1][0]
        assert [r.status for r in rows()] == ["processed"] * len(events)


def test_counts_for_variations_we_do_not_know_are_skipped(app):
    deliver(app.test_client(), inventory_event(count("UNKNOWN", 3, at=1)))
    with app.app_context():
        (row,) = rows()
        assert row.status == "processed" and "unknown" in row.note


def test_the_same_event_delivered_100_times_changes_state_once(app, registry):
    with app.app_context():
        make_catalog(1)
    runs: list[str] = []
    real = handler_for("inventory.count.updated")

    def counting(event_row):
        runs.append(event_row.event_id)
        return real(event_row)

    register_handler("inventory.count.updated", counting)
    payload = inventory_event(count("V1", 6, at=1))
    client = app.test_client()
    answers = [deliver(client, payload).get_json()["status"] for _ in range(100)]
    assert answers == ["accepted"] + ["duplicate"] * 99
    with app.app_context():
        (row,) = rows()
        for _ in range(100):  # and the job redelivered 100 times (RQ at-least-once): no-ops
            assert process(row.id) == "skipped"
        (row,) = rows()
        assert runs == [payload["event_id"]]
        assert row.status == "processed" and row.attempts == 1
        assert stock_of("V1") == 6


def test_two_workers_never_process_the_same_event_at_once(app, registry):
    running, seen = threading.Lock(), []

    def slow(event_row):
        if not running.acquire(blocking=False):
            seen.append("overlap")
        try:
            seen.append("ran")
            time.sleep(0.3)
        finally:
            running.release()
        return "done"

    register_handler("custom.slow", slow)
    row_id = add_row(app, status="received", event_type="custom.slow", attempts=0, last_error=None)
    results: list[str] = []

    def worker():
        with app.app_context():
            results.append(process(row_id))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == ["ran"]
    assert sorted(results) == ["processed"] + ["skipped"] * 5
    with app.app_context():
        (row,) = rows()
        assert row.attempts == 1 and row.status == "processed" and row.note == "done"


# --- other event types ----------------------------------------------------------------------------

def test_catalog_version_updated_runs_the_coalesced_incremental_sync(make_app, sandbox):
    from storefront.sync.runner import execute_run
    from storefront.sync.services import create_run

    app = make_app(**{**ecs_config(sandbox), **webhook_config(ECS_LOCATION_ID="")})
    with app.app_context():
        execute_run(create_run("full", started_by="test").id, sleep=lambda _s: None)
        variation = db.session.scalars(db.select(ItemVariation).order_by(ItemVariation.id)).first()
        vid, old_price = variation.ecs_id, variation.price_amount
    sandbox.control("POST", f"catalog/{vid}/price", json={"amount": old_price + 100})
    payload = event("catalog.version.updated", {"type": "catalog_version", "id": "cv1",
                                                "object": {"catalog_version": {"updated_at": "2025-03-01T12:00:00Z"}}})
    assert deliver(app.test_client(), payload).status_code == 200
    with app.app_context():
        (row,) = rows()
        assert row.status == "processed" and row.note == "incremental sync requested"
        runs = db.session.scalars(db.select(SyncRun).where(SyncRun.kind == "incremental")).all()
        assert [(r.status, r.started_by) for r in runs] == [("succeeded", "webhook")]
        price = db.session.scalar(db.select(ItemVariation.price_amount).where(ItemVariation.ecs_id == vid))
        assert price == old_price + 100


@pytest.mark.parametrize("event_type", ["order.created", "order.updated", "payment.created", "payment.updated"])
def test_order_and_payment_events_are_recorded_until_the_orders_domain_handles_them(app, registry, event_type):
    payload = event(event_type, {"type": "payment", "id": "P1", "object": {"payment": {"id": "P1"}}})
    deliver(app.test_client(), payload)
    with app.app_context():
        (row,) = rows()
        assert (row.status, row.note) == ("processed", "recorded") and row.payload == payload


def test_unknown_event_types_are_ignored_not_failed(app):
    deliver(app.test_client(), event("customer.created"))
    with app.app_context():
        (row,) = rows()
        assert row.status == "ignored" and row.note == "no handler for customer.created" and row.last_error is None


def test_registry_prefers_exact_types_then_the_most_specific_family(registry):
    def family(_e):
        return None

    def exact(_e):
        return None

    def deeper(_e):
        return None

    register_handler("order.*", family)
    register_handler("order.fulfillment.*", deeper)
    register_handler("order.updated", exact)
    assert handler_for("order.updated") is exact
    assert handler_for("order.created") is family
    assert handler_for("order.fulfillment.updated") is deeper
    assert handler_for("refund.created") is None
    with pytest.raises(ValueError):
        register_handler("order*", family)


def test_a_registered_handler_replaces_the_record_only_fallback(app, registry):
    register_handler("payment.updated", lambda e: HandlerResult("processed", f"paid {e.object_id}"))
    deliver(app.test_client(), event("payment.updated", {"type": "payment", "id": "P9", "object": {}}))
    with app.app_context():
        assert rows()[0].note == "paid P9"


# --- failures, retries, dead ----------------------------------------------------------------------

def test_a_failing_handler_is_retried_then_dead(app, registry):
    calls = []

    def broken(_e):
        calls.append(1)
        raise RuntimeError("ECS said no")

    register_handler("custom.broken", broken)
    deliver(app.test_client(), event("custom.broken"))  # jobs inline: every retry runs now
    with app.app_context():
        (row,) = rows()
        assert len(calls) == app.config["WEBHOOK_MAX_ATTEMPTS"] == 5
        assert row.status == "dead" and row.attempts == 5
        assert row.last_error == "RuntimeError: ECS said no"
        assert row.next_attempt_at is None and row.finished_at is not None


def test_a_handler_that_recovers_is_processed_after_retries(app, registry):
    calls = []

    def flaky(_e):
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("ECS unreachable")
        return "ok"

    register_handler("custom.flaky", flaky)
    deliver(app.test_client(), event("custom.flaky"))
    with app.app_context():
        (row,) = rows()
        assert (row.status, row.attempts, row.note) == ("processed", 3, "ok")
        assert row.last_error == "ConnectionError: ECS unreachable"  # history kept


def test_a_failed_attempt_schedules_the_next_with_exponential_backoff(app, registry):
    register_handler("custom.broken", lambda _e: 1 / 0)
    row_id = add_row(app, status="received", event_type="custom.broken", attempts=0, last_error=None)
    with app.app_context():
        before = utcnow()
        with pytest.raises(ZeroDivisionError):
            process(row_id)
        (row,) = rows()
        assert row.status == "failed" and row.attempts == 1
        assert timedelta(seconds=1.5) < row.next_attempt_at - before < timedelta(seconds=3)
        assert [retry_delay(app, n).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 8, 16]


def test_a_processed_row_is_never_claimed_again(app):
    row_id = add_row(app, status="processed", event_type="custom.x", attempts=1, last_error=None)
    with app.app_context():
        assert process(row_id) == "skipped"
        assert rows()[0].attempts == 1


# --- reconciler -----------------------------------------------------------------------------------

def test_reconciler_requeues_rows_left_behind(app):
    long_ago = utcnow() - timedelta(minutes=30)
    now = utcnow()
    lost_worker = add_row(app, status="processing", event_type="custom.a", attempts=1, last_error=None,
                          claimed_at=long_ago, claim_token="dead-worker", claimed_by="host:1")
    lost_job = add_row(app, status="received", event_type="custom.b", attempts=0, last_error=None,
                       enqueued_at=long_ago)
    retry_lost = add_row(app, status="failed", event_type="custom.c", attempts=2, last_error="x",
                         next_attempt_at=now - timedelta(minutes=2), enqueued_at=long_ago)
    retry_pending = add_row(app, status="failed", event_type="custom.d", attempts=2, last_error="x",
                            next_attempt_at=now + timedelta(seconds=5), enqueued_at=long_ago)
    just_received = add_row(app, status="received", event_type="custom.e", attempts=0, last_error=None,
                            enqueued_at=now)
    busy = add_row(app, status="processing", event_type="custom.f", attempts=1, last_error=None,
                   claimed_at=now, claim_token="live-worker")
    poison = add_row(app, status="processing", event_type="custom.g", attempts=5, last_error=None,
                     claimed_at=long_ago, claim_token="dead-again")
    with app.app_context():
        result = reconcile()
        assert (result.lost, result.requeued) == (2, 3)
        status = {r.id: (r.status, r.attempts) for r in rows()}
    assert status[lost_worker] == ("ignored", 2)  # the lost attempt counts
    assert status[lost_job] == ("ignored", 1)
    assert status[retry_lost] == ("ignored", 3)
    assert status[retry_pending] == ("failed", 2)
    assert status[just_received] == ("received", 0)
    assert status[busy] == ("processing", 1)
    assert status[poison] == ("dead", 5)  # a message that keeps killing workers ends in the DLQ
    with app.app_context():
        assert "worker lost" in db.session.get(WebhookEvent, poison).last_error
        assert reconcile().requeued == 0  # nothing left to do


def test_reconcile_cli(app):
    add_row(app, status="received", event_type="custom.a", attempts=0, last_error=None,
            enqueued_at=utcnow() - timedelta(hours=1))
    result = app.test_cli_runner().invoke(args=["webhooks", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "0 lost attempt(s) taken back, 1 event(s) re-enqueued" in result.output
    status = app.test_cli_runner().invoke(args=["webhooks", "status"])
    assert "ignored     1" in status.output


# --- timers ---------------------------------------------------------------------------------------

def test_in_process_timer_enqueues_the_scheduled_jobs(make_app):
    app = make_app(**webhook_config(JOBS_MODE="thread"))
    assert register_periodic(app) is None  # never under tests: they drive time themselves
    add_row(app, status="received", event_type="custom.a", attempts=0, last_error=None,
            enqueued_at=utcnow() - timedelta(hours=1))
    runner = PeriodicRunner(app, schedule(), first_delay=0)
    assert "webhooks-reconcile" in runner.run_due()
    assert runner.run_due() == []  # not due again for a minute
    app.extensions["jobs_runner"].wait(timeout=20)
    with app.app_context():
        assert rows()[0].status == "ignored"


def test_in_process_timer_thread_runs_until_stopped(make_app):
    app = make_app(JOBS_MODE="thread")
    ticks: list[int] = []
    runner = PeriodicRunner(app, [PeriodicJob("tick", lambda: ticks.append(1), 1)], tick=0.05, first_delay=0)
    runner.start()
    deadline = time.monotonic() + 10
    while not ticks and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.stop()
    assert ticks


def test_rq_cron_config_registers_the_reconciler_every_minute(redis_url):
    scheduler = CronScheduler(connection=Redis.from_url(redis_url))
    scheduler.load_config_from_file("jobs/cron.py")
    jobs = {j.name: j for j in scheduler._cron_jobs}
    reconciler = jobs["webhooks-reconcile"]
    assert (reconciler.func_name, reconciler.queue_name, reconciler.interval) == (
        "jobs.webhooks.reconcile_webhooks", "webhooks", 60)


def test_a_catalog_change_during_the_coalesced_sync_gets_its_own_run(make_app, sandbox):
    """A second catalog.version.updated while the webhook-started sync runs: its job cannot be queued
    (the running job has the same id), so the running job takes the follow-up run on itself."""
    from storefront.sync.runner import execute_run
    from storefront.sync.services import create_run

    app = make_app(**{**ecs_config(sandbox), **webhook_config(ECS_LOCATION_ID="", JOBS_MODE="thread")})
    with app.app_context():
        execute_run(create_run("full", started_by="test").id, sleep=lambda _s: None)
        first, second = [(v.ecs_id, v.price_amount) for v in db.session.scalars(
            db.select(ItemVariation).order_by(ItemVariation.id).limit(2))]
    sandbox.control("POST", "faults", json={"rules": [  # the first incremental sync's catalog search is slow
        {"path_prefix": "/v2/catalog/search", "kind": "latency", "latency_ms": 1500, "times": 1}]})
    sandbox.control("POST", f"catalog/{first[0]}/price", json={"amount": first[1] + 100})
    client = app.test_client()
    assert deliver(client, event("catalog.version.updated")).status_code == 200

    def running() -> bool:
        with app.app_context():
            db.session.remove()
            return db.session.scalar(db.select(SyncRun.id).where(SyncRun.kind == "incremental",
                                                                 SyncRun.status == "running")) is not None

    deadline = time.monotonic() + 10
    while not running():
        assert time.monotonic() < deadline, "the webhook's sync never started"
        time.sleep(0.02)
    sandbox.control("POST", f"catalog/{second[0]}/price", json={"amount": second[1] + 100})
    assert deliver(client, event("catalog.version.updated")).status_code == 200
    app.extensions["jobs_runner"].wait(timeout=30)
    with app.app_context():
        db.session.remove()
        prices = dict(db.session.execute(db.select(ItemVariation.ecs_id, ItemVariation.price_amount)
                                         .where(ItemVariation.ecs_id.in_([first[0], second[0]]))).all())
        assert prices == {first[0]: first[1] + 100, second[0]: second[1] + 100}
        runs = db.session.scalars(db.select(SyncRun).where(SyncRun.kind == "incremental")).all()
        assert len(runs) == 2 and {r.status for r in runs} == {"succeeded"}
