"""The reconcilers repair only what is really lost: a queued webhook job is not doubled, a vanished
sync job frees the slot within a minute, and health says when the scheduler has stopped."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.sync.models import SyncRun
from storefront.sync.services import create_run, reconcile_lost_runs, run_job_id, start_sync
from storefront.system import services as system_services
from storefront.system.models import WorkerHeartbeat
from storefront.system.services import SCHEDULER_BEAT, beat_scheduler, check_scheduler
from storefront.tasks import enqueue
from storefront.webhooks.models import WebhookEvent
from storefront.webhooks.services import enqueue_processing, reconcile


def backlog(count: int, *, hours_ago: float = 1) -> list[WebhookEvent]:
    then = utcnow() - timedelta(hours=hours_ago)
    rows = [WebhookEvent(event_id=f"queued-{n}", event_type="custom.queued", payload={}, status="received",
                         received_at=then, enqueued_at=then) for n in range(count)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


@pytest.mark.redis
def test_reconciler_leaves_rows_whose_job_is_still_queued(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url, JOBS_MODE="rq")
    queue = Queue("webhooks", connection=Redis.from_url(redis_url))
    with app.app_context():
        rows = backlog(150)
        for row in rows[:100]:  # 100 still wait in the queue (a backlog); 50 lost their job
            enqueue_processing(row.id, row.event_id, attempts_left=3)
        assert queue.count == 100
        result = reconcile()
        assert result.requeued == 50
        assert queue.count == 150  # one job per row, never two
        again = reconcile(now=utcnow() + timedelta(minutes=30))
        assert again.requeued == 0 and queue.count == 150


@pytest.mark.redis
def test_a_queued_sync_whose_job_vanished_frees_the_slot_within_a_minute(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url, JOBS_MODE="rq")
    with app.app_context():
        run = start_sync("full", started_by="staff@example.com")
        assert reconcile_lost_runs(now=utcnow() + timedelta(seconds=50)) == 0  # its job is still queued
        Redis.from_url(redis_url).flushdb()  # the job is lost (a Redis restart without persistence)
        assert reconcile_lost_runs(now=utcnow() + timedelta(seconds=5)) == 0  # within the grace period
        assert reconcile_lost_runs(now=utcnow() + timedelta(seconds=50)) == 1
        lost = db.session.get(SyncRun, run.id)
        assert lost.status == "failed" and lost.active is None and "lost" in lost.message
        assert create_run("full").status == "queued"  # the slot is free again


RELEASE = threading.Event()


def _hold_until_released() -> None:
    RELEASE.wait(timeout=20)


def test_in_process_runner_keeps_a_queued_sync_until_its_job_is_gone(make_app):
    app = make_app(JOBS_MODE="thread")
    RELEASE.clear()
    with app.app_context():
        run = create_run("full")
        enqueue(_hold_until_released, job_id=run_job_id(run.id))  # the real runner holds the job
        assert reconcile_lost_runs(now=utcnow() + timedelta(seconds=50)) == 0
        RELEASE.set()
        app.extensions["jobs_runner"].wait(timeout=10)  # gone without starting the run: lost
        assert reconcile_lost_runs(now=utcnow() + timedelta(seconds=50)) == 1


def test_health_reports_a_silent_scheduler(make_app, monkeypatch):
    app = make_app(ENV_NAME="development", JOBS_MODE="thread")
    with app.app_context():
        monkeypatch.setattr(system_services, "PROCESS_STARTED", time.monotonic())
        assert check_scheduler().status == "ok"  # just started: the first beat is on its way
        monkeypatch.setattr(system_services, "PROCESS_STARTED", time.monotonic() - 600)
        assert check_scheduler().status == "down"  # ten minutes and nothing has run
        beat_scheduler()
        assert check_scheduler().status == "ok"
        beat_scheduler()  # a second beat updates the one row
        assert db.session.scalar(select(WorkerHeartbeat).where(WorkerHeartbeat.token == SCHEDULER_BEAT)) is not None
        late = check_scheduler(now=utcnow() + timedelta(minutes=5))
        assert late.status == "down" and "ago" in late.detail
        assert late.required is False  # degraded, not down: the shop still sells
