"""Signed webhook delivery: a due-time queue, a few worker threads, retries with backoff, attempt log.

Each event goes to every configured notification URL with header ``x-square-hmacsha256-signature``
= base64(HMAC-SHA256(signature_key, notification_url + raw_body)). Non-2xx answers and connection
errors are retried with exponential backoff up to ``max_attempts``. Chaos options: a share of
events delivered twice (same ``event_id``), and a random delay window that reorders deliveries.
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import requests

from storefront.ecs.sandbox.clock import now_us, rfc3339
from storefront.ecs.signature import sign

SIGNATURE_HEADER = "x-square-hmacsha256-signature"


@dataclass
class WebhookConfig:
    urls: list[str] = field(default_factory=list)
    signature_key: str = "sandbox-signature-key"
    max_attempts: int = 5
    retry_base_seconds: float = 0.2
    retry_cap_seconds: float = 10.0
    timeout_seconds: float = 5.0
    duplicate_ratio: float = 0.0  # share of events delivered a second time
    reorder_window_seconds: float = 0.0  # random extra delay per event, so deliveries arrive out of order


@dataclass
class _Job:
    event_id: str
    event_type: str
    url: str
    body: bytes
    first_at: str
    attempt: int = 1
    duplicate: bool = False
    last_error: str = ""


class WebhookDispatcher:
    """Queue + workers; threads start on the first event and stop on :meth:`close`."""

    def __init__(self, config: WebhookConfig | None = None, *, workers: int = 4, seed: int = 7,
                 keep_records: int = 50_000) -> None:
        self.config = config or WebhookConfig()
        self.workers = max(1, workers)
        self._rng = random.Random(seed)
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Job]] = []
        self._order = itertools.count()
        self._in_flight = 0
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._records: deque[dict[str, Any]] = deque(maxlen=keep_records)
        self._stats = {"events": 0, "enqueued": 0, "delivered": 0, "gave_up": 0, "attempts": 0, "duplicates": 0}

    # -- configuration ------------------------------------------------------------------------
    def configure(self, **changes: Any) -> WebhookConfig:
        with self._cond:
            for name, value in changes.items():
                if not hasattr(self.config, name):
                    raise AttributeError(name)
                setattr(self.config, name, value)
            return WebhookConfig(**asdict(self.config))

    # -- producing ----------------------------------------------------------------------------
    def enqueue(self, event: dict[str, Any]) -> None:
        """Queue ``event`` for every configured URL (dropped when none is configured)."""
        self.enqueue_many([event])

    def enqueue_many(self, batch: list[dict[str, Any]], *, shuffle: bool = False,
                     duplicate_ratio: float | None = None) -> int:
        """Queue events in order (or shuffled); returns the number of deliveries queued."""
        with self._cond:
            cfg = self.config
            self._stats["events"] += len(batch)
            if not cfg.urls or self._stopping:
                return 0
            ratio = cfg.duplicate_ratio if duplicate_ratio is None else duplicate_ratio
            jobs: list[_Job] = []
            first_at = rfc3339(now_us())
            for event in batch:
                body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
                copies = 2 if ratio > 0 and self._rng.random() < ratio else 1
                for copy in range(copies):
                    for url in cfg.urls:
                        jobs.append(_Job(event["event_id"], event["type"], url, body, first_at, duplicate=copy > 0))
            if shuffle:
                self._rng.shuffle(jobs)
            now = time.monotonic()
            for job in jobs:
                delay = self._rng.random() * cfg.reorder_window_seconds if cfg.reorder_window_seconds else 0.0
                heapq.heappush(self._heap, (now + delay, next(self._order), job))
                self._stats["duplicates"] += job.duplicate
            self._stats["enqueued"] += len(jobs)
            self._start_workers()
            self._cond.notify_all()
            return len(jobs)

    def _start_workers(self) -> None:
        while len(self._threads) < self.workers:
            thread = threading.Thread(target=self._work, name=f"ecs-sandbox-webhooks-{len(self._threads)}",
                                      daemon=True)
            self._threads.append(thread)
            thread.start()

    # -- consuming ----------------------------------------------------------------------------
    def _next_job(self) -> _Job | None:
        with self._cond:
            while True:
                if self._stopping:
                    return None
                if self._heap:
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        self._in_flight += 1
                        return heapq.heappop(self._heap)[2]
                    self._cond.wait(wait)
                else:
                    self._cond.wait()

    def _work(self) -> None:
        with requests.Session() as session:
            session.trust_env = False  # no proxy/netrc lookups per request: they dominate at 1,000s of events
            while (job := self._next_job()) is not None:
                ok = False
                try:
                    ok = self._deliver(session, job)
                finally:
                    with self._cond:
                        self._in_flight -= 1
                        if not ok and job.attempt < self.config.max_attempts and not self._stopping:
                            backoff = min(self.config.retry_cap_seconds,
                                          self.config.retry_base_seconds * 2 ** (job.attempt - 1))
                            job.attempt += 1
                            heapq.heappush(self._heap, (time.monotonic() + backoff, next(self._order), job))
                            self._cond.notify()
                        elif not ok:
                            self._stats["gave_up"] += 1
                        if not self._heap and not self._in_flight:
                            self._cond.notify_all()  # wake drain() waiters

    def _deliver(self, session: requests.Session, job: _Job) -> bool:
        cfg = self.config
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Square Connect v2 (ECS sandbox)",
            SIGNATURE_HEADER: sign(cfg.signature_key, job.url, job.body),
            "square-environment": "Sandbox",
            "square-initial-delivery-timestamp": job.first_at,
            "square-retry-number": str(job.attempt - 1),
        }
        if job.last_error:
            headers["square-retry-reason"] = job.last_error[:60]
        started = time.monotonic()
        status: int | None = None
        error = ""
        try:
            response = session.post(job.url, data=job.body, headers=headers, timeout=cfg.timeout_seconds,
                                    allow_redirects=False)
            status = response.status_code
            response.close()
            if not 200 <= status < 300:
                error = f"http_{status}"
        except requests.RequestException as exc:
            error = type(exc).__name__
        ok = not error
        job.last_error = error
        with self._cond:
            self._stats["attempts"] += 1
            self._stats["delivered"] += ok
            self._records.append({
                "event_id": job.event_id, "type": job.event_type, "url": job.url, "attempt": job.attempt,
                "status_code": status, "ok": ok, "error": error or None, "duplicate": job.duplicate,
                "duration_ms": round((time.monotonic() - started) * 1000, 2), "at": rfc3339(now_us()),
            })
        return ok

    # -- inspection ---------------------------------------------------------------------------
    def deliveries(self, *, event_id: str | None = None, event_type: str | None = None,
                   ok: bool | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        with self._cond:
            rows = [r for r in self._records
                    if (event_id is None or r["event_id"] == event_id)
                    and (event_type is None or r["type"] == event_type)
                    and (ok is None or r["ok"] == ok)]
        return rows[-limit:] if limit else rows

    def stats(self) -> dict[str, Any]:
        with self._cond:
            return {**self._stats, "pending": len(self._heap) + self._in_flight,
                    "urls": list(self.config.urls), "workers": self.workers}

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is queued, waiting for a retry or in flight; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
            return True

    def clear(self) -> None:
        """Forget queued deliveries, records and counters."""
        with self._cond:
            self._heap.clear()
            self._records.clear()
            self._stats = dict.fromkeys(self._stats, 0)

    def close(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._heap.clear()
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=timeout)
