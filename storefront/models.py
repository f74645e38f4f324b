"""Imports every domain's models so Alembic and ``db.create_all`` see the whole schema."""

from __future__ import annotations

from storefront.system.models import WorkerHeartbeat

__all__ = ["WorkerHeartbeat"]
