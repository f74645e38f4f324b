"""The one seam through which the storefront starts background work.

The storefront never imports ``jobs/``: it names a job by its dotted path
(``enqueue("jobs.sync.run_sync", run_id, queue="sync")``) and this package decides how it
runs — RQ on Redis, a background thread, or inline. ``jobs/`` is the thin entry layer beside
``app.py`` that imports storefront services, never the reverse.
"""

from __future__ import annotations

from storefront.tasks.queue import QUEUES, enqueue, job_is_pending, redis_connection, resolve

__all__ = ["QUEUES", "enqueue", "job_is_pending", "redis_connection", "resolve"]
