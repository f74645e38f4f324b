"""Sales-channel jobs: sync jobs (queue "sync"), the sales poll and the change push (scheduled)."""

from __future__ import annotations

from jobs.runtime import job
from storefront.channels.automation import push_catalog_changes
from storefront.channels.sales import poll_all
from storefront.channels.syncing import run_job


@job
def run_sync_job(job_pk: int) -> str:
    """Execute a queued channel sync job; returns its final status."""
    return run_job(job_pk).status


@job
def poll_channel_sales() -> dict[str, int]:
    """Poll every enabled connector for sales (the Discogs Marketplace has no webhooks)."""
    return poll_all()


@job
def push_channel_changes() -> dict[str, str]:
    """Start an incremental sync on each connector whose offers may have changed since its last one."""
    return push_catalog_changes()
