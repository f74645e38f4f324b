"""Jobs that run on a timer: one schedule, two runners.

* With Redis: ``rq cron jobs/cron.py`` (RQ's CronScheduler) enqueues each job on its queue.
* The embedded default (``JOBS_MODE=thread``, no Redis): the web process is its own worker, so
  ``create_app`` starts a small daemon thread (:class:`PeriodicRunner`) that hands each due job
  to the in-process job runner.

Jobs are named by dotted path, so this module (and the factory) never imports ``jobs/``.

Add a periodic job by adding a line to :func:`schedule`; both runners pick it up.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from contextlib import nullcontext
from dataclasses import dataclass

from flask import Flask

from storefront.shops.context import use_shop
from storefront.tasks.queue import enqueue

log = logging.getLogger("storefront.tasks.periodic")
FIRST_RUN_MAX_DELAY = 30.0  # seconds after start-up; short-lived CLI commands never get there
_STARTED: weakref.WeakSet[PeriodicRunner] = weakref.WeakSet()


@dataclass(frozen=True)
class PeriodicJob:
    name: str  # letters, digits, - and _ (it becomes a job id)
    job: str  # dotted name of the job function, e.g. "jobs.webhooks.reconcile_webhooks"
    every_seconds: int
    queue: str = "default"


def schedule() -> list[PeriodicJob]:
    """Every periodic job."""
    return [
        PeriodicJob("webhooks-reconcile", "jobs.webhooks.reconcile_webhooks", 60, queue="webhooks"),
        PeriodicJob("orders-expire-unpaid", "jobs.orders.expire_unpaid_orders", 60, queue="default"),
        PeriodicJob("orders-settle-refunds", "jobs.orders.settle_refunds", 60, queue="default"),
        PeriodicJob("sync-reconcile", "jobs.sync.reconcile_sync_runs", 30, queue="default"),
        PeriodicJob("catalog-retire-past-events", "jobs.sync.retire_past_events", 300, queue="default"),
        PeriodicJob("channels-poll-sales", "jobs.channels.poll_channel_sales", 180, queue="default"),
        PeriodicJob("channels-push-changes", "jobs.channels.push_channel_changes", 300, queue="default"),
        PeriodicJob("wantlist-digests", "jobs.wantlist.send_digests", 60, queue="notifications"),
        PeriodicJob("scheduler-heartbeat", "jobs.system.scheduler_heartbeat", 60, queue="default"),
    ]


class PeriodicRunner:
    """Enqueues each job of the schedule every ``every_seconds`` through the job seam."""

    def __init__(self, app: Flask, jobs: list[PeriodicJob], *, tick: float = 1.0,
                 first_delay: float | None = None) -> None:
        self.app = app
        self.jobs = jobs
        self.tick = tick
        start = time.monotonic()
        self.next_at = {job.name: start + (min(job.every_seconds, FIRST_RUN_MAX_DELAY)
                                           if first_delay is None else first_delay) for job in jobs}
        self.runs: dict[str, int] = dict.fromkeys(self.next_at, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="storefront-periodic", daemon=True)

    def start(self) -> None:
        _STARTED.add(self)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run_due(self, now: float | None = None) -> list[str]:
        """Enqueue the jobs that are due; returns their names."""
        now = time.monotonic() if now is None else now
        started = []
        for job in self.jobs:
            if now < self.next_at[job.name]:
                continue
            self.next_at[job.name] = now + job.every_seconds
            try:
                with self.app.app_context():
                    for shop in _shops(self.app):  # every active shop gets its own run
                        with use_shop(shop) if shop else nullcontext():
                            enqueue(job.job, queue=job.queue, job_id=f"periodic-{job.name}", retries=0)
                self.runs[job.name] += 1
                started.append(job.name)
            except Exception:  # the timer must outlive one bad run
                log.exception("periodic job %s could not be started", job.name)
        return started

    def _loop(self) -> None:
        while not self._stop.wait(self.tick):
            self.run_due()


def _shops(app: Flask) -> list[str | None]:
    """The shops a periodic job runs for: [None] (no context needed) on a one-shop deployment."""
    from storefront.shops import registry

    return list(registry.active_shop_codes(app)) if registry.snapshot(app).shops else [None]


def register_periodic(app: Flask) -> None:
    """Start the in-process timer when jobs run in process (not under tests, not with RQ).

    It starts with the first request the app serves, so CLI commands and apps that are only
    built (tests, scripts) never leave a timer thread behind.
    """
    if app.config["JOBS_MODE"] != "thread" or app.testing or app.config.get("ENV_NAME") == "testing":
        return
    lock = threading.Lock()

    @app.before_request
    def start_periodic_runner() -> None:
        if "periodic_runner" in app.extensions:
            return
        with lock:
            if "periodic_runner" not in app.extensions:
                runner = PeriodicRunner(app, schedule())
                app.extensions["periodic_runner"] = runner
                runner.start()


def stop_all(timeout: float = 5.0) -> int:
    """Stop every timer this process started (tests call it so no thread outlives its app)."""
    runners = list(_STARTED)
    for runner in runners:
        runner.stop(timeout)
        _STARTED.discard(runner)
    return len(runners)
