"""The documented production set (Procfile: web, worker, scheduler) does its scheduled work alone,
and a webhook backlog never keeps a staff-started sync waiting for more than the job in hand."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select

from storefront.catalog.models import Item, ItemVariation
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.orders.models import Order, Reservation, StockHold
from storefront.sync.models import SyncRun
from storefront.sync.services import start_sync
from storefront.tasks import QUEUES
from storefront.webhooks.models import WebhookEvent
from storefront.webhooks.services import enqueue_processing

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "Procfile"


def procfile() -> dict[str, str]:
    entries = {}
    for line in PROCFILE.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def worker_queue_order() -> list[str]:
    return [word for word in procfile()["worker"].split() if word in QUEUES]


def test_procfile_runs_web_worker_and_scheduler_with_every_queue():
    entries = procfile()
    assert set(entries) == {"web", "worker", "scheduler"}
    assert entries["scheduler"].startswith("rq cron jobs/cron.py")
    assert worker_queue_order() == list(QUEUES)  # every queue, in the seam's priority order
    assert worker_queue_order()[0] == "sync" and worker_queue_order()[-1] == "webhooks"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stale_order_and_stuck_webhook() -> tuple[str, str]:
    """A reservation that ran out an hour ago, and an inbox row nobody enqueued for an hour."""
    long_ago = utcnow() - timedelta(hours=1)
    item = Item(ecs_id="PROC-ITEM", name="Procfile – Test", artist="Procfile", title="Test", price_amount=1500,
                currency="USD", stock=1)
    db.session.add(item)
    db.session.flush()
    variation = ItemVariation(ecs_id="PROC-VAR", item_id=item.id, ordinal=0, name="LP", price_amount=1500,
                              currency="USD")
    db.session.add(variation)
    db.session.flush()
    order = Order(number="PROC-0001", email="late@example.com", status="pending_payment",
                  idempotency_key="proc-order-1", reserved_until=long_ago, total_amount=1500, subtotal_amount=1500)
    db.session.add(order)
    db.session.flush()
    db.session.add(StockHold(variation_id=variation.id, held=1))
    db.session.add(Reservation(order_id=order.id, variation_id=variation.id, quantity=1, expires_at=long_ago))
    db.session.add(WebhookEvent(event_id="proc-stuck-event", event_type="custom.stuck", payload={},
                                status="received", received_at=long_ago, enqueued_at=long_ago))
    db.session.commit()
    return order.number, "proc-stuck-event"


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_the_procfile_set_expires_holds_and_reconciles_webhooks_on_its_own(make_app, redis_url,
                                                                           shared_database_url):
    if not (shared_database_url or "").startswith("postgresql"):
        pytest.skip("PostgreSQL pass only (DATABASE_URL=postgresql://…): the processes share one server database")
    app = make_app(REDIS_URL=redis_url, JOBS_MODE="rq")
    with app.app_context():
        number, event_id = stale_order_and_stuck_webhook()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": shared_database_url, "REDIS_URL": redis_url,
           "STOREFRONT_ENV_NAME": "production", "SECRET_KEY": "procfile-test-" + "k" * 32,
           "STOREFRONT_ECS_ACCESS_TOKEN": "procfile-test-token", "STOREFRONT_ECS_BASE_URL": "http://127.0.0.1:9",
           "STOREFRONT_ECS_WEBHOOK_SIGNATURE_KEYS": "procfile-test-signature-key",
           "STOREFRONT_SESSION_COOKIE_SECURE": "false", "STOREFRONT_ECS_LOCATION_ID": "L1",
           "STOREFRONT_INSTANCE_PATH": app.instance_path, "PORT": str(port), "WEB_CONCURRENCY": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    honcho = Path(sys.executable).with_name("honcho")
    proc = subprocess.Popen([str(honcho), "start", "-f", str(PROCFILE), "-d", str(ROOT)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        status = webhook = health = None
        while time.monotonic() < deadline and proc.poll() is None:
            with app.app_context():
                db.session.expire_all()
                status = db.session.scalar(select(Order.status).where(Order.number == number))
                webhook = db.session.scalar(select(WebhookEvent.status).where(WebhookEvent.event_id == event_id))
                held = db.session.scalar(select(StockHold.held))
            try:
                health = requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).json()
            except requests.RequestException:
                health = None
            scheduler = (health or {}).get("checks", {}).get("scheduler", {})
            if status == "expired" and webhook == "ignored" and scheduler.get("status") == "ok":
                break
            time.sleep(1)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=30)[0]
    assert status == "expired", f"order still {status}\n{output[-4000:]}"
    assert held == 0  # the hold went back to sale with nobody running a command
    assert webhook == "ignored", output[-4000:]  # the reconciler handed the stuck row to a worker
    assert scheduler.get("status") == "ok", health
    assert "scheduler" in output and "worker" in output and "web" in output


@pytest.mark.redis
def test_a_webhook_backlog_of_500_does_not_delay_a_started_sync_beyond_one_job(make_app, redis_url):
    # The sync itself fails fast here (no ECS listens): what matters is when it runs, not how.
    app = make_app(REDIS_URL=redis_url, JOBS_MODE="rq", ECS_MAX_RETRIES=0, SYNC_RESUME_ATTEMPTS=0)
    conn = Redis.from_url(redis_url)
    with app.app_context():
        rows = [WebhookEvent(event_id=f"backlog-{n}", event_type="custom.backlog", payload={}, status="received")
                for n in range(500)]
        db.session.add_all(rows)
        db.session.commit()
        for row in rows[:1]:  # one job is already in hand when staff press "sync"
            enqueue_processing(row.id, row.event_id, attempts_left=1)
        worker = SimpleWorker([Queue(name, connection=conn) for name in worker_queue_order()], connection=conn)
        for row in rows[1:]:
            enqueue_processing(row.id, row.event_id, attempts_left=1)
        assert Queue("webhooks", connection=conn).count == 500
        run = start_sync("full", started_by="staff@example.com")
        assert Queue("sync", connection=conn).count == 1
        worker.work(burst=True, max_jobs=1)  # the worker's very next job
        db.session.expire_all()
        assert db.session.get(SyncRun, run.id).status != "queued"  # the sync ran first …
        assert Queue("webhooks", connection=conn).count == 500  # … before any of the backlog
        assert Queue("sync", connection=conn).count == 0
