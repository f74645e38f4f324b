"""The enqueue seam: a real `rq worker` process on Redis, and in process without Redis."""

from __future__ import annotations

import os
import threading
import time

import pytest
from redis import Redis
from rq import Queue

from jobs.system import ping
from storefront.system.services import find_heartbeat, new_heartbeat_token
from storefront.tasks import enqueue
from tests.support.workers import run_rq_worker


@pytest.mark.redis
def test_job_enqueued_through_the_seam_runs_in_a_real_rq_worker(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url, JOBS_MODE="rq")
    token = new_heartbeat_token()
    with app.app_context():
        job_id = enqueue(ping, token, retries=0)
        assert Queue("default", connection=Redis.from_url(redis_url)).job_ids == [job_id]
        assert find_heartbeat(token) is None
    result = run_rq_worker(app, redis_url, "default")
    assert result.returncode == 0, result.stderr[-2000:]
    with app.app_context():
        beat = find_heartbeat(token)
        assert beat is not None, result.stderr[-2000:]
        assert beat.pid != os.getpid()  # it ran in the worker process, with its own app context


@pytest.mark.redis
def test_rq_retries_a_failed_job_with_backoff(make_app, redis_url, tmp_path):
    from tests.support.jobs import fail_then_ping

    app = make_app(REDIS_URL=redis_url, JOBS_MODE="rq", JOBS_RETRY_BASE_SECONDS=1)
    token = new_heartbeat_token()
    with app.app_context():
        enqueue(fail_then_ping, str(tmp_path), token, retries=2)
    first = run_rq_worker(app, redis_url, "default")
    assert first.returncode == 0, first.stderr[-2000:]
    assert (tmp_path / f"{token}.attempted").exists()
    with app.app_context():
        assert find_heartbeat(token) is None  # failed, retry scheduled 1 s later
    time.sleep(1.3)
    second = run_rq_worker(app, redis_url, "default")  # its scheduler enqueues the due retry
    with app.app_context():
        assert find_heartbeat(token) is not None, second.stderr[-3000:]


@pytest.mark.redis
def test_deterministic_job_id_is_enqueued_once_while_pending(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url, JOBS_MODE="rq")
    with app.app_context():
        first = enqueue(ping, "a", queue="sync", job_id="catalog-sync-full")
        second = enqueue(ping, "b", queue="sync", job_id="catalog-sync-full")
    assert first == second == "catalog-sync-full"
    assert Queue("sync", connection=Redis.from_url(redis_url)).count == 1


def test_same_job_runs_in_process_without_redis(make_app):
    app = make_app(JOBS_MODE="thread")
    token = new_heartbeat_token()
    with app.app_context():
        enqueue(ping, token)
    app.extensions["jobs_runner"].wait(timeout=10)
    with app.app_context():
        beat = find_heartbeat(token)
        assert beat is not None and beat.pid == os.getpid()


def test_in_process_jobs_run_off_the_request_thread(make_app):
    app = make_app(JOBS_MODE="thread")
    seen: list[str] = []
    with app.app_context():
        enqueue(_record_thread, seen)
    app.extensions["jobs_runner"].wait(timeout=10)
    assert seen and seen[0] != threading.current_thread().name


def _record_thread(seen: list[str]) -> None:
    seen.append(threading.current_thread().name)


def test_in_process_jobs_retry_then_succeed(make_app, tmp_path):
    from tests.support.jobs import fail_then_ping

    app = make_app(JOBS_MODE="sync")
    token = new_heartbeat_token()
    with app.app_context():
        enqueue(fail_then_ping, str(tmp_path), token, retries=1)
        assert find_heartbeat(token) is not None


def test_unknown_queue_is_refused(app_ctx):
    with pytest.raises(ValueError, match="unknown queue"):
        enqueue(ping, "x", queue="nope")


def test_jobs_ping_cli_reports_the_worker(make_app):
    app = make_app(JOBS_MODE="sync")
    result = app.test_cli_runner().invoke(args=["jobs", "ping", "--timeout", "5"])
    assert result.exit_code == 0, result.output
    assert f"pid {os.getpid()}" in result.output and "mode sync" in result.output
