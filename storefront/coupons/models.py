"""Coupons and their redemptions.

A coupon's ``redemptions_count`` counts the redemptions that are ``held`` (order not paid yet) or
``used`` (paid); a ``released`` one (the order expired or was cancelled unpaid) gave its place
back. The count is only ever changed by conditional UPDATEs (see :mod:`storefront.coupons.services`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db

COUPON_KINDS = {
    "percent": "Percent off",
    "fixed": "Amount off",
    "free_shipping": "Free shipping",
}
REDEMPTION_STATUSES = ("held", "used", "released")
COUNTED_STATUSES = ("held", "used")  # the statuses that take a place in the coupon's limits


class Coupon(db.Model):
    __tablename__ = "coupons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # upper-case, [A-Z0-9_-], 3–40 characters
    kind: Mapped[str] = mapped_column(String(20), default="percent")
    percent: Mapped[int | None] = mapped_column()  # percent: whole percent, 1–100
    amount: Mapped[int | None] = mapped_column(BigInteger)  # fixed: minor units of ``currency``
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    min_order_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first valid instant
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first instant no longer valid
    max_redemptions: Mapped[int | None] = mapped_column()  # None: unlimited
    per_customer_limit: Mapped[int | None] = mapped_column()  # None: unlimited
    redemptions_count: Mapped[int] = mapped_column(default=0, server_default="0")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def kind_label(self) -> str:
        return COUPON_KINDS.get(self.kind, self.kind)


class CouponRedemption(db.Model):
    """One order's use of a coupon (at most one per order)."""

    __tablename__ = "coupon_redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), unique=True)
    email: Mapped[str] = mapped_column(String(255))  # lower-case
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="held")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_coupon_redemptions_coupon_email", "coupon_id", "email"),)
