"""Health checks and job heartbeats."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select, text

from storefront.extensions import db
from storefront.system.models import WorkerHeartbeat
from storefront.tasks import redis_connection


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
    from storefront.ecs.provider import ecs_client

    required = bool(current_app.config["ECS_HEALTH_REQUIRED"])
    return _timed("ecs", required, lambda: ecs_client(quick=True).list_locations())


def health_report() -> HealthReport:
    """Database, Redis and ECS reachability, each with status and latency."""
    return HealthReport([check_database(), check_redis(), check_ecs()])


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
