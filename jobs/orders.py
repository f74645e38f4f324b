"""Order jobs."""

from __future__ import annotations

from jobs.runtime import job


@job
def expire_unpaid_orders() -> int:
    """Release the stock held by unpaid orders whose window passed (scheduled every minute)."""
    from storefront.orders.lifecycle import expire_unpaid

    return expire_unpaid()


@job
def refresh_order(order_id: int) -> str:
    """Converge one order on the ECS's state (used after payment/order webhooks)."""
    from storefront.extensions import db
    from storefront.orders.lifecycle import sync_with_ecs
    from storefront.orders.models import Order

    order = db.session.get(Order, order_id)
    if order is None:
        return "missing"
    return sync_with_ecs(order).status
