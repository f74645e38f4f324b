"""Redeeming a coupon at the same moment from many checkouts: the limits hold exactly.

Each thread has its own app context (so its own session and connection), quotes the code while
places are still free, waits at a barrier, then redeems and commits — on SQLite and on PostgreSQL
(DATABASE_URL) alike.
"""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select

from storefront.core.errors import ValidationError
from storefront.coupons.models import Coupon, CouponRedemption
from storefront.coupons.services import check_coupon, redeem
from storefront.extensions import db
from storefront.orders.models import Order


def make_orders(app, emails: list[str]) -> list[int]:
    with app.app_context():
        orders = [Order(number=f"C-{uuid.uuid4().hex[:12]}", email=email, status="pending_payment",
                        subtotal_amount=5000, total_amount=5000, idempotency_key=uuid.uuid4().hex)
                  for email in emails]
        db.session.add_all(orders)
        db.session.commit()
        return [o.id for o in orders]


def make_coupon(app, **fields) -> int:
    with app.app_context():
        coupon = Coupon(code="RACE", kind="percent", percent=10, **fields)
        db.session.add(coupon)
        db.session.commit()
        return coupon.id


def race(app, order_ids: list[int], emails: list[str]) -> list[str]:
    """Redeem RACE for every order at once; each thread's outcome ("ok" or the refusal message)."""
    barrier = threading.Barrier(len(order_ids))
    outcomes: list[str] = []
    lock = threading.Lock()

    def shopper(order_id: int, email: str) -> None:
        with app.app_context():
            quote = check_coupon("RACE", subtotal=5000, currency="USD", email=email, customer_id=None)
            db.session.rollback()  # end the quote's read before the race
            barrier.wait(timeout=30)
            try:
                redeem(quote, order_id=order_id, email=email, customer_id=None)
                db.session.commit()
                outcome = "ok"
            except ValidationError as exc:
                db.session.rollback()
                outcome = exc.message
            except Exception as exc:  # a database error is a failure of the test, not a refusal
                db.session.rollback()
                outcome = f"error: {exc!r}"
            finally:
                db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=shopper, args=(o, e)) for o, e in zip(order_ids, emails, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(outcomes) == len(order_ids), "a thread did not finish"
    return outcomes


def counts(app, coupon_id: int) -> tuple[int, int]:
    with app.app_context():
        count = db.session.scalar(select(Coupon.redemptions_count).where(Coupon.id == coupon_id))
        rows = db.session.scalar(select(func.count()).select_from(CouponRedemption).where(
            CouponRedemption.coupon_id == coupon_id, CouponRedemption.status == "held"))
        return count, rows


def test_twenty_concurrent_redemptions_of_a_code_limited_to_five(app):
    coupon_id = make_coupon(app, max_redemptions=5)
    emails = [f"racer{i}@example.com" for i in range(20)]
    outcomes = race(app, make_orders(app, emails), emails)
    assert outcomes.count("ok") == 5, outcomes
    assert sorted(set(outcomes) - {"ok"}) == ["This code has just been used up."], outcomes
    assert counts(app, coupon_id) == (5, 5)


def test_ten_concurrent_redemptions_by_one_customer_with_a_limit_of_one(app):
    coupon_id = make_coupon(app, per_customer_limit=1)
    emails = ["same@example.com"] * 10
    outcomes = race(app, make_orders(app, emails), [e.upper() if i % 2 else e for i, e in enumerate(emails)])
    assert outcomes.count("ok") == 1, outcomes
    assert sorted(set(outcomes) - {"ok"}) == ["You've already used this code."], outcomes
    assert counts(app, coupon_id) == (1, 1)
