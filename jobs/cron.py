"""RQ cron configuration: ``rq cron jobs/cron.py --url $REDIS_URL`` (run from the project root).

RQ's CronScheduler loads this module and enqueues each job of the storefront's schedule
(:func:`storefront.tasks.periodic.schedule`) on its queue every interval; ordinary
``rq worker`` processes run them. Run one cron process (several are harmless: every scheduled
job is idempotent).
"""

from __future__ import annotations

from rq import cron

from storefront.tasks import resolve
from storefront.tasks.periodic import schedule

for periodic_job in schedule():
    cron.register(resolve(periodic_job.job), queue_name=periodic_job.queue, interval=periodic_job.every_seconds,
                  name=periodic_job.name, job_timeout=300)
