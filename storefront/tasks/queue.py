"""The one place that decides how a job runs: RQ on Redis, a background thread, or inline.

Jobs are named by dotted path (``"jobs.webhooks.process_event"``): RQ stores that name and its
worker imports the function; the in-process runner imports it here, when it runs.

* ``rq`` (``REDIS_URL`` set): named queues, retries with exponential backoff through RQ's
  scheduler (``rq worker --with-scheduler``), deterministic job ids for jobs that must not
  run twice at once.
* ``thread`` (the embedded default): the same functions on a small thread pool inside the
  web process, with the same retry policy.
* ``sync``: inline, for tests and CLI commands that want the result now.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from storefront.shops.context import DEFAULT_SHOP, explicit_shop

log = logging.getLogger("storefront.jobs")

# In the order a worker takes them (``rq worker`` tries queues in the order it is given; the
# Procfile lists them so): a staff-started sync never waits behind a webhook backlog.
QUEUES = ("sync", "default", "notifications", "webhooks")
JobRef = str | Callable[..., Any]
_WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
_PENDING = {*_WAITING, JobStatus.STARTED}
_RUNNERS: weakref.WeakSet[_InProcessRunner] = weakref.WeakSet()
SHOP_KWARG = "_shop"


def redis_connection(app: Flask | None = None) -> Redis:
    """One Redis client per app (connection pool shared by RQ and health checks)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    conn = app.extensions.get("redis")
    if conn is None:
        conn = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2,
                              socket_timeout=5, health_check_interval=30)
        app.extensions["redis"] = conn
    return conn


def retry_intervals(app: Flask, retries: int, base_seconds: float | None = None) -> list[int]:
    base = max(1, int(app.config["JOBS_RETRY_BASE_SECONDS"] if base_seconds is None else base_seconds))
    return [base * 2**attempt for attempt in range(retries)]


def resolve(func: JobRef) -> Callable[..., Any]:
    """The job function named ``func`` (``"package.module.function"``); a callable is returned as is."""
    if callable(func):
        return func
    module_name, _, attr = func.rpartition(".")
    if not module_name:
        raise ValueError(f"job names are dotted paths, not {func!r}")
    return getattr(importlib.import_module(module_name), attr)


def job_is_pending(job_id: str, app: Flask | None = None, *, waiting_only: bool = False) -> bool:
    """True while the job ``job_id`` is queued, scheduled, deferred or running (RQ or in process).

    With ``waiting_only`` a job RQ lists as started does not count: its worker may have died
    holding it (RQ notices only later), and a caller repairing lost work must not wait on it.
    The id is the shop in context's (see :func:`shop_job_id`).
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return _pending(shop_job_id(job_id) or job_id, app, waiting_only=waiting_only)


def _pending(job_id: str, app: Flask, *, waiting_only: bool = False) -> bool:
    mode = app.config["JOBS_MODE"]
    if mode == "thread":
        runner = app.extensions.get("jobs_runner")
        return runner is not None and runner.is_pending(job_id)
    if mode != "rq":
        return False
    try:
        job = Job.fetch(job_id, connection=redis_connection(app))
    except NoSuchJobError:
        return False
    return job.get_status(refresh=True) in (_WAITING if waiting_only else _PENDING)


def enqueue(func: JobRef, *args: Any, queue: str = "default",
            job_id: str | None = None, retries: int | None = None,
            job_timeout: int = 600, retry_base_seconds: float | None = None) -> str | None:
    """Run ``func(*args)`` in the background; return the job id.

    Args:
        func: the job's dotted name (``"jobs.sync.run_sync"``), or a module-level function
            (tests); jobs are decorated with ``jobs.runtime.job``.
        queue: one of :data:`QUEUES`.
        job_id: deterministic id; while a job with this id is pending, no second one starts.
        retries: attempts after the first failure (default ``JOBS_DEFAULT_RETRIES``).
        retry_base_seconds: first retry delay, doubling (default ``JOBS_RETRY_BASE_SECONDS``).
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    retries = app.config["JOBS_DEFAULT_RETRIES"] if retries is None else retries
    mode = app.config["JOBS_MODE"]
    shop = explicit_shop()
    # jobs.runtime.job runs it in that shop: whenever an edge named one, so a job queued before a
    # second shop appeared still knows whose it is when it runs after (data access fails closed then)
    kwargs = {SHOP_KWARG: shop} if shop is not None else {}
    job_id = shop_job_id(job_id)
    if mode == "rq":
        return _enqueue_rq(app, func, args, queue, job_id, retries, job_timeout, retry_base_seconds, kwargs)
    runner = _InProcessRunner.for_app(app)
    if mode == "sync":
        runner.run(func, args, job_id, retries, sleep=False, kwargs=kwargs)
        return job_id
    return runner.submit(func, args, job_id, retries, retry_base_seconds, kwargs)


def shop_job_id(job_id: str | None) -> str | None:
    """A deterministic job id is per shop: shop x's ``sync-catalog`` never blocks shop y's."""
    shop = explicit_shop()
    if job_id is None or shop is None or shop == DEFAULT_SHOP:
        return job_id
    return f"{shop}:{job_id}"


def _enqueue_rq(app: Flask, func: JobRef, args: tuple[Any, ...], queue: str,
                job_id: str | None, retries: int, job_timeout: int,
                retry_base_seconds: float | None = None, kwargs: dict[str, Any] | None = None) -> str:
    conn = redis_connection(app)
    if job_id and _pending(job_id, app):
        return job_id
    retry = Retry(max=retries, interval=retry_intervals(app, retries, retry_base_seconds)) if retries else None
    job = Queue(queue, connection=conn).enqueue(
        func, *args, job_id=job_id, retry=retry, job_timeout=job_timeout,
        result_ttl=3600, failure_ttl=7 * 24 * 3600, **(kwargs or {}))
    return job.id


class _InProcessRunner:
    """Thread-pool runner used when no Redis is configured."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="storefront-job")
        self.pending: set[str] = set()
        self.futures: set[Future[None]] = set()
        self.lock = threading.Lock()

    @classmethod
    def for_app(cls, app: Flask) -> _InProcessRunner:
        runner = app.extensions.get("jobs_runner")
        if runner is None:
            runner = app.extensions.setdefault("jobs_runner", cls(app))
            _RUNNERS.add(runner)
        return runner

    def submit(self, func: JobRef, args: tuple[Any, ...], job_id: str | None,
               retries: int, retry_base_seconds: float | None = None,
               kwargs: dict[str, Any] | None = None) -> str | None:
        if job_id:
            with self.lock:
                if job_id in self.pending:
                    return job_id
                self.pending.add(job_id)
        future = self.pool.submit(self.run, func, args, job_id, retries, True, retry_base_seconds, kwargs)
        with self.lock:
            self.futures.add(future)
        future.add_done_callback(self._forget)
        return job_id

    def is_pending(self, job_id: str) -> bool:
        with self.lock:
            return job_id in self.pending

    def _forget(self, future: Future[None]) -> None:
        with self.lock:
            self.futures.discard(future)

    def run(self, func: JobRef, args: tuple[Any, ...], job_id: str | None,
            retries: int, sleep: bool = True, retry_base_seconds: float | None = None,
            kwargs: dict[str, Any] | None = None) -> None:
        delays = retry_intervals(self.app, retries, retry_base_seconds)
        func = resolve(func)
        try:
            with self.app.app_context():
                for attempt in range(retries + 1):
                    try:
                        func(*args, **(kwargs or {}))
                        return
                    except Exception:
                        log.exception("job %s%s failed (attempt %d of %d)", func.__name__,
                                      args, attempt + 1, retries + 1)
                        if attempt < retries and sleep:
                            time.sleep(delays[attempt])
        finally:
            if job_id:
                with self.lock:
                    self.pending.discard(job_id)

    def wait(self, timeout: float = 30.0) -> None:
        """Block until the queued jobs finish (tests and the demo's shutdown use this)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                futures = set(self.futures)
            if not futures:
                return
            wait(futures, timeout=max(0.0, deadline - time.monotonic()))
        raise TimeoutError("background jobs still running")


def shutdown_in_process_runners(timeout: float = 30.0) -> int:
    """Finish and stop every in-process job pool (tests call it so no job outlives its app)."""
    runners = list(_RUNNERS)
    for runner in runners:
        try:
            runner.wait(timeout)
        finally:
            runner.pool.shutdown(wait=True)
            _RUNNERS.discard(runner)
    return len(runners)
