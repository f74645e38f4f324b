"""Background jobs: the one enqueue seam (:func:`enqueue`) and the RQ entry points.

Job functions take ids, run inside an app context through :func:`jobs.runtime.job`, and
raise on failure so retries and RQ's failed registry work.
"""

from __future__ import annotations

from jobs.seam import QUEUES, enqueue, redis_connection

__all__ = ["QUEUES", "enqueue", "redis_connection"]
