"""Rows written by the job system itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db


class WorkerHeartbeat(db.Model):
    """Proof that a job ran: written by the ``ping`` job (``flask jobs ping``, health checks)."""

    __tablename__ = "worker_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
