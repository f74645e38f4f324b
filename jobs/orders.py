"""Order jobs."""

from __future__ import annotations

from jobs.runtime import job
from storefront.orders.late import refunds_due
from storefront.orders.lifecycle import expire_unpaid, record_missed_sales
from storefront.orders.refunds import retry_unsent_refunds


@job
def expire_unpaid_orders() -> int:
    """Release the stock held by unpaid orders whose window passed (scheduled every minute)."""
    return expire_unpaid()


@job
def settle_refunds() -> int:
    """Send refunds the ECS did not take earlier, finish late-payment refunds, and record the sales
    a failure left unrecorded (every minute)."""
    return retry_unsent_refunds() + refunds_due() + record_missed_sales()
