"""RQ cron configuration: ``rq cron jobs/cron.py --url $REDIS_URL`` (run from the project root).

RQ's CronScheduler loads this module and enqueues each job of :func:`jobs.periodic.schedule`
on its queue every interval; ordinary ``rq worker`` processes run them. Run one cron process
(several are harmless: every scheduled job is idempotent).
"""

from __future__ import annotations

from rq import cron

from jobs.periodic import schedule

for periodic_job in schedule():
    cron.register(periodic_job.func, queue_name=periodic_job.queue, interval=periodic_job.every_seconds,
                  name=periodic_job.name, job_timeout=300)
