"""Order jobs."""

from __future__ import annotations

from jobs.runtime import job
from storefront.orders.lifecycle import expire_unpaid


@job
def expire_unpaid_orders() -> int:
    """Release the stock held by unpaid orders whose window passed (scheduled every minute)."""
    return expire_unpaid()
