"""Operational jobs."""

from __future__ import annotations

from jobs.runtime import job
from storefront.system.services import beat_scheduler, record_heartbeat


@job
def ping(token: str) -> int:
    """Write a heartbeat row proving a worker ran a job with an app context; returns its pid."""
    return record_heartbeat(token).pid


@job
def scheduler_heartbeat() -> str:
    """Prove the scheduler and a worker are running (health reports a missing beat)."""
    return beat_scheduler().ran_at.isoformat()
