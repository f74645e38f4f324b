"""Health checks and job heartbeats."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select, text, update

from storefront.db.timestamps import utcnow
from storefront.ecs.provider import ecs_client
from storefront.extensions import db
from storefront.system.models import WorkerHeartbeat
from storefront.tasks import redis_connection

SCHEDULER_BEAT = "scheduler"
SCHEDULER_LATE_SECONDS = 180  # three missed beats
PROCESS_STARTED = time.monotonic()


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | down | not_configured
    required: bool
    latency_ms: float | None = None
    detail: str | None = None


@dataclass(frozen=True)
class HealthReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(c.status != "down" for c in self.checks if c.required)

    @property
    def status(self) -> str:
        if not self.healthy:
            return "down"
        return "ok" if all(c.status != "down" for c in self.checks) else "degraded"


def _timed(name: str, required: bool, probe: Callable[[], None]) -> Check:
    started = time.perf_counter()
    try:
        probe()
    except Exception as exc:  # a probe reports any failure; it never raises
        return Check(name, "down", required, round((time.perf_counter() - started) * 1000, 2),
                     detail=type(exc).__name__)
    return Check(name, "ok", required, round((time.perf_counter() - started) * 1000, 2))


def check_database() -> Check:
    return _timed("database", True, lambda: db.session.execute(text("SELECT 1")).scalar_one())


def check_redis() -> Check:
    if not current_app.config["REDIS_URL"]:
        return Check("redis", "not_configured", False)

    return _timed("redis", True, lambda: redis_connection().ping())


def check_ecs() -> Check:
    required = bool(current_app.config["ECS_HEALTH_REQUIRED"])
    return _timed("ecs", required, lambda: ecs_client(quick=True).list_locations())


def check_scheduler(now: datetime | None = None) -> Check:
    """Has the scheduler run its jobs recently? (A beat every minute; missing beats: "down".)"""
    if current_app.config["ENV_NAME"] == "testing" or current_app.config["JOBS_MODE"] == "sync":
        return Check("scheduler", "not_configured", False)
    beat = db.session.scalar(select(WorkerHeartbeat).where(WorkerHeartbeat.token == SCHEDULER_BEAT))
    if beat is None:
        waited = time.monotonic() - PROCESS_STARTED
        if waited < SCHEDULER_LATE_SECONDS:  # just started: the first beat is on its way
            return Check("scheduler", "ok", False, detail=f"waiting for the first beat ({waited:.0f} s)")
        return Check("scheduler", "down", False, detail="no scheduled job has run yet")
    age = ((now or utcnow()) - beat.ran_at).total_seconds()
    if age > SCHEDULER_LATE_SECONDS:
        return Check("scheduler", "down", False, detail=f"last scheduled job ran {age:.0f} s ago")
    return Check("scheduler", "ok", False, detail=f"last scheduled job ran {age:.0f} s ago")


def health_report() -> HealthReport:
    """Database, Redis, ECS reachability and the scheduler's last beat, each with status and latency."""
    return HealthReport([check_database(), check_redis(), check_ecs(), check_scheduler()])


def beat_scheduler() -> WorkerHeartbeat:
    """Record that the scheduler (and a worker running its jobs) is alive (a periodic job, every minute)."""
    now = utcnow()
    moved = db.session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.token == SCHEDULER_BEAT)
                               .values(ran_at=now, hostname=socket.gethostname()[:255], pid=os.getpid())
                               .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if not moved:
        record_heartbeat(SCHEDULER_BEAT)
    beat = db.session.scalar(select(WorkerHeartbeat).where(WorkerHeartbeat.token == SCHEDULER_BEAT))
    assert beat is not None
    return beat


def record_heartbeat(token: str) -> WorkerHeartbeat:
    """Write the heartbeat row for ``token`` (idempotent)."""
    existing = db.session.scalar(select(WorkerHeartbeat).where(WorkerHeartbeat.token == token))
    if existing:
        return existing
    beat = WorkerHeartbeat(token=token, hostname=socket.gethostname(), pid=os.getpid())
    db.session.add(beat)
    db.session.commit()
    return beat


def new_heartbeat_token() -> str:
    return uuid.uuid4().hex


def find_heartbeat(token: str) -> WorkerHeartbeat | None:
    return db.session.scalar(select(WorkerHeartbeat).where(WorkerHeartbeat.token == token))
