"""Webhook acknowledgement latency under concurrent senders, and processing throughput with one worker.

    .venv/bin/python -m tests.benchmarks.bench_webhooks [--events 2000] [--senders 20]
        [--database-url postgresql://postgres@127.0.0.1:5432/sf_bench] [--redis-url redis://127.0.0.1:6379/14]

A real gunicorn (gthread) serves the app; signed inventory.count.updated deliveries are posted by
``--senders`` threads. Phases:

1. ack: no worker running — the time to verify, store, commit and enqueue (what the ECS waits for);
2. drain: one real ``rq worker`` (SimpleWorker) processes that backlog — events/s;
3. end to end: the worker keeps running while the senders post again — events/s from the first
   delivery to the last processed event, and each event's received → processed time.

The database given (default: a temp SQLite file) is reset (all tables dropped); the Redis
database given is flushed. Not a test: run it by hand and read the table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from tests.benchmarks.common import BIN, ROOT, env_with, free_port, table, wait_until_up

KEY = "bench-signature-key"
LOCATION = "LBENCH"
VARIATIONS = 200


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def bodies(count: int, offset: int) -> list[bytes]:
    """Signed-to-be inventory events, each one count for one of the catalog's variations."""
    out = []
    for n in range(count):
        at = datetime.fromtimestamp(1_750_000_000 + offset + n, UTC).isoformat().replace("+00:00", "Z")
        out.append(json.dumps({
            "merchant_id": "MBENCH", "type": "inventory.count.updated", "event_id": str(uuid.uuid4()),
            "created_at": at,
            "data": {"type": "inventory_counts", "id": str(uuid.uuid4()), "object": {"inventory_counts": [{
                "catalog_object_id": f"BV{n % VARIATIONS}", "catalog_object_type": "ITEM_VARIATION",
                "state": "IN_STOCK", "location_id": LOCATION, "quantity": str(n % 9), "calculated_at": at}]}},
        }).encode())
    return out


def send_all(url: str, payloads: list[bytes], senders: int) -> list[float]:
    """Post every payload from ``senders`` threads (keep-alive sessions); returns latencies in ms."""
    from storefront.ecs.signature import sign

    latencies: list[float] = []
    lock = threading.Lock()
    chunks = [payloads[i::senders] for i in range(senders)]
    failures: list[str] = []

    def sender(chunk: list[bytes]) -> None:
        with requests.Session() as http:
            http.trust_env = False
            for body in chunk:
                headers = {"Content-Type": "application/json", "x-square-hmacsha256-signature": sign(KEY, url, body)}
                started = time.perf_counter()
                response = http.post(url, data=body, headers=headers, timeout=30)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=sender, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} deliveries failed, e.g. {failures[0]}")
    return latencies


def wait_processed(app: Any, total: int, timeout: float = 1800) -> dict[str, int]:
    from sqlalchemy import func, select

    from storefront.extensions import db
    from storefront.webhooks.models import TERMINAL, WebhookEvent

    deadline = time.monotonic() + timeout
    with app.app_context():
        while time.monotonic() < deadline:
            db.session.rollback()
            counts = dict(db.session.execute(select(WebhookEvent.status, func.count())
                                             .group_by(WebhookEvent.status)).all())
            if sum(n for s, n in counts.items() if s in TERMINAL) >= total:
                return counts
            time.sleep(0.25)
    raise RuntimeError("the worker did not finish in time")


def timings(app: Any, since: datetime) -> tuple[datetime, datetime, datetime, list[float]]:
    """(first received, first claimed, last finished, received→finished ms) of rows received after ``since``."""
    from sqlalchemy import select

    from storefront.extensions import db
    from storefront.webhooks.models import WebhookEvent

    with app.app_context():
        rows = db.session.execute(select(WebhookEvent.received_at, WebhookEvent.claimed_at, WebhookEvent.finished_at)
                                  .where(WebhookEvent.received_at >= since)).all()
    waits = [(f - r).total_seconds() * 1000 for r, _c, f in rows]
    return (min(r for r, _c, _f in rows), min(c for _r, c, _f in rows), max(f for _r, _c, f in rows), waits)


def run(args: argparse.Namespace) -> list[tuple[str, ...]]:
    from redis import Redis

    from storefront import create_app
    from storefront.catalog.models import Item, ItemVariation
    from storefront.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        Redis.from_url(args.redis_url).flushdb()
        port = free_port()
        receiver = f"http://127.0.0.1:{port}/webhooks/square"
        settings = {
            "DATABASE_URL": database_url, "REDIS_URL": args.redis_url, "SECRET_KEY": "bench-secret-" + "x" * 32,
            "STOREFRONT_ECS_ACCESS_TOKEN": "bench-token", "STOREFRONT_ENV_NAME": "production",
            "STOREFRONT_INSTANCE_PATH": tmp, "STOREFRONT_JOBS_MODE": "rq",
            "STOREFRONT_ECS_WEBHOOK_SIGNATURE_KEYS": KEY, "STOREFRONT_ECS_WEBHOOK_NOTIFICATION_URL": receiver,
            "STOREFRONT_ECS_LOCATION_ID": LOCATION, "STOREFRONT_SESSION_COOKIE_SECURE": "false",
        }
        app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "bench-secret", "INSTANCE_PATH": tmp,
                          "SQLALCHEMY_DATABASE_URI": database_url, "JOBS_MODE": "sync"})
        with app.app_context():
            db.drop_all()
            db.create_all()
            for n in range(VARIATIONS):
                item = Item(ecs_id=f"BI{n}", name=f"Bench record {n}")
                item.variations.append(ItemVariation(ecs_id=f"BV{n}", name="LP", price_amount=1999))
                db.session.add(item)
            db.session.commit()
            db.session.remove()

        web = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(args.web_workers), "-k", "gthread", "--threads", str(args.threads),
             "-b", f"127.0.0.1:{port}", "--log-level", "warning", "app:app"],
            cwd=ROOT, env=env_with(**settings), stdout=subprocess.DEVNULL, stderr=sys.stderr)
        worker = None
        try:
            wait_until_up(f"http://127.0.0.1:{port}/api/v1/health")
            send_all(receiver, bodies(100, 0), args.senders)  # warm-up: connections, first requests
            ack = send_all(receiver, bodies(args.events, 1000), args.senders)
            ack_wall = sum(ack) / 1000 / args.senders

            start_backlog = datetime.now(UTC)
            worker = subprocess.Popen(
                [str(BIN / "rq"), "worker", "-w", args.worker_class, "--url", args.redis_url,
                 "--logging_level", "WARNING", "webhooks"],
                cwd=ROOT, env=env_with(**settings), stdout=subprocess.DEVNULL, stderr=sys.stderr)
            wait_processed(app, args.events + 100)
            _r, first_claim, last_done, _w = timings(app, datetime.min.replace(tzinfo=UTC))
            drain_rate = (args.events + 100) / (last_done - first_claim).total_seconds()

            since = datetime.now(UTC)
            e2e_started = time.perf_counter()
            send_all(receiver, bodies(args.events, 100_000), args.senders)
            wait_processed(app, 2 * args.events + 100)
            first_received, _c, last_done, waits = timings(app, since)
            e2e_rate = args.events / (last_done - first_received).total_seconds()
            del start_backlog, e2e_started
        finally:
            for proc in (worker, web):
                if proc is not None:
                    proc.terminate()
                    proc.wait(30)
        with app.app_context():
            db.session.remove()
            if args.database_url:
                db.drop_all()
            db.engine.dispose()
    db_name = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    return [
        ("ack latency p50 (ms)", f"{statistics.median(ack):.1f}"),
        ("ack latency p99 (ms)", f"{percentile(ack, 0.99):.1f}"),
        ("ack latency max (ms)", f"{max(ack):.1f}"),
        ("acks/s (all senders)", f"{len(ack) / ack_wall:.0f}"),
        ("drain: events/s, 1 worker", f"{drain_rate:.0f}"),
        ("end to end: events/s, 1 worker", f"{e2e_rate:.0f}"),
        ("end to end: received→processed p50 (ms)", f"{statistics.median(waits):.0f}"),
        ("end to end: received→processed p99 (ms)", f"{percentile(waits, 0.99):.0f}"),
        ("setup", f"{db_name}, gunicorn {args.web_workers}×{args.threads} gthread, {args.senders} senders, "
                  f"{args.events} events/phase"),
    ]


def main(argv: list[str] | None = None) -> list[tuple[str, ...]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="reset and used; default: a temp SQLite file")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="flushed and used")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--worker-class", default="rq.worker.SimpleWorker")
    rows = run(parser.parse_args(argv))
    print(table(rows, ("webhooks", "value")))
    return rows


if __name__ == "__main__":
    main()
