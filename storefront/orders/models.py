"""Orders, their lines, and the local stock holds that stop two checkouts taking the last unit."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db

ORDER_STATUSES = ("pending_payment", "paid", "failed", "cancelled", "expired", "fulfilled", "completed")

# Which status may follow which; anything else is refused.
TRANSITIONS: dict[str, set[str]] = {
    "pending_payment": {"paid", "failed", "cancelled", "expired"},
    "failed": {"paid", "cancelled", "expired"},
    # A payment that lands after the hold lapsed: paid only when the copies could be held again
    # (flagged ``late_payment="accepted"``), otherwise refunded and cancelled (see lifecycle.late).
    "expired": {"paid", "cancelled"},
    "paid": {"fulfilled", "cancelled", "completed"},
    "fulfilled": {"completed"},
    "cancelled": set(),
    "completed": set(),
}


class Order(db.Model):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    email: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending_payment", index=True)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    subtotal_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    total_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    # "<cart id>:<cart version>": the same cart content can become only one order (double-submit).
    checkout_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    cart_id: Mapped[int | None] = mapped_column(ForeignKey("carts.id", ondelete="SET NULL"), index=True)
    ecs_order_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    payment_link_id: Mapped[str | None] = mapped_column(String(64))
    payment_url: Mapped[str | None] = mapped_column(Text)
    ecs_payment_id: Mapped[str | None] = mapped_column(String(64))
    payment_status: Mapped[str | None] = mapped_column(String(20))
    stock_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A pre-order: the latest release date of its records; it is not to be shipped before that day.
    ships_on: Mapped[date | None] = mapped_column(Date)
    # Delivery: the address the shopper gave (name, line1, line2, city, region, postcode, country,
    # phone) or None for local pickup; the method chosen and its charge, as sent to the ECS.
    shipping_address: Mapped[dict | None] = mapped_column(JSON)
    shipping_method: Mapped[str] = mapped_column(String(100), default="", server_default="")
    shipping_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # What the ECS computed for the payment link's order (Square: total_discount_money, total_tax_money).
    discount_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    tax_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    coupon_code: Mapped[str] = mapped_column(String(40), default="", server_default="")
    carrier: Mapped[str] = mapped_column(String(40), default="", server_default="")
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    staff_note: Mapped[str] = mapped_column(Text, default="")
    reserved_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A payment that arrived after the order expired or was cancelled: "" (none), "accepted"
    # (stock held again, order paid), "refund_due" (refund not yet confirmed) or "refunded".
    late_payment: Mapped[str] = mapped_column(String(20), default="", server_default="")
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                  order_by="OrderLine.id")
    refunds: Mapped[list[Refund]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                 order_by="Refund.id")

    __table_args__ = (Index("ix_orders_customer_created", "customer_id", "created_at"),)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


class OrderLine(db.Model):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    variation_id: Mapped[int | None] = mapped_column(ForeignKey("item_variations.id", ondelete="SET NULL"))
    variation_ecs_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    variation_name: Mapped[str] = mapped_column(String(255), default="")
    quantity: Mapped[int]
    unit_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def line_total(self) -> int:
        return self.unit_amount * self.quantity


class StockHold(db.Model):
    """Units of a variation held by unpaid orders. The conditional UPDATE on this one row per
    variation is what serialises concurrent checkouts on SQLite and PostgreSQL alike."""

    __tablename__ = "stock_holds"

    variation_id: Mapped[int] = mapped_column(ForeignKey("item_variations.id", ondelete="CASCADE"),
                                              primary_key=True)
    held: Mapped[int] = mapped_column(default=0)


class Reservation(db.Model):
    """One order line's hold, released when paid (the ECS count takes over) or when it expires."""

    __tablename__ = "reservations"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    variation_id: Mapped[int] = mapped_column(ForeignKey("item_variations.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    release_reason: Mapped[str] = mapped_column(String(20), default="")


class Refund(db.Model):
    """Money given back through the ECS (RefundPayment); its status follows refund.* webhooks."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    # Sent to the ECS as RefundPayment's idempotency key (≤ 45 characters there).
    idempotency_key: Mapped[str] = mapped_column(String(45), unique=True)
    ecs_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    status: Mapped[str] = mapped_column(String(20), default="requested")  # then Square's PENDING/COMPLETED/…
    reason: Mapped[str] = mapped_column(String(192), default="")
    # Copies put back in the ECS's stock with this refund: [{"line_id": …, "quantity": …}].
    restock: Mapped[list | None] = mapped_column(JSON)
    # When the refund was noted on the order, audited and emailed (once: the claim is on this column).
    noted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="refunds")
