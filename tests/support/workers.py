"""Real ``rq worker`` processes running this app's jobs, on the project root's import path (so they can
import ``tests.support.jobs`` as well as the storefront's own jobs).

* ``run_rq_worker(app, redis_url, *queues)`` — a burst worker: runs what is queued, then exits.
* ``worker_env`` / ``start_rq_worker`` / ``stop_worker`` — long-running workers that a test can SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from flask import Flask

from tests.support import PROJECT_ROOT


def run_rq_worker(app: Flask, redis_url: str, *queues: str, timeout: float = 90) -> subprocess.CompletedProcess:
    """Run a real `rq worker --burst --with-scheduler` process against the test database."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "STOREFRONT_ENV_NAME": "testing",
        "STOREFRONT_INSTANCE_PATH": app.instance_path,
        "STOREFRONT_ECS_BASE_URL": app.config["ECS_BASE_URL"],
    }
    rq = Path(sys.executable).with_name("rq")
    return subprocess.run(
        [str(rq), "worker", "--burst", "--with-scheduler", "--url", redis_url,
         "--path", str(PROJECT_ROOT), *queues],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )


def worker_env(app: Flask, redis_url: str, **settings: Any) -> dict[str, str]:
    """Environment for an `rq worker` process running this app's jobs (settings as STOREFRONT_*)."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "STOREFRONT_ENV_NAME": "testing",
        "STOREFRONT_JOBS_MODE": "rq",
        "STOREFRONT_INSTANCE_PATH": app.instance_path,
        "STOREFRONT_ECS_BASE_URL": app.config["ECS_BASE_URL"],
        "STOREFRONT_ECS_ACCESS_TOKEN": app.config["ECS_ACCESS_TOKEN"],
        "STOREFRONT_ECS_LOCATION_ID": app.config["ECS_LOCATION_ID"],
    }
    env.update({f"STOREFRONT_{k}": ",".join(v) if isinstance(v, list) else str(v) for k, v in settings.items()})
    return env


def start_rq_worker(env: dict[str, str], name: str, log_dir: Any, *queues: str) -> Any:
    """A long-running (non-burst) `rq worker` in its own process group, so it can be SIGKILLed whole.

    SimpleWorker runs jobs in the worker process: the app is built once per worker instead of
    once per forked job.
    """
    rq = Path(sys.executable).with_name("rq")
    log = open(Path(log_dir) / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [str(rq), "worker", "--with-scheduler", "-w", "rq.worker.SimpleWorker", "--name", name,
         "--url", env["REDIS_URL"], "--path", str(PROJECT_ROOT),
         "--logging_level", "WARNING", *queues],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=str(PROJECT_ROOT))
    process.log_file = log  # type: ignore[attr-defined]
    return process


def stop_worker(process: Any, *, kill: bool = False, timeout: float = 20) -> None:
    """SIGTERM (warm shutdown: finish the current job) or SIGKILL the worker's whole process group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    process.log_file.close()
