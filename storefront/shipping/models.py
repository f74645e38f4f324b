"""Staff-managed shipping zones (where) and methods (how much)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db

METHOD_KINDS = {
    "flat": "Flat rate",
    "per_unit": "Per record (first, then each further one)",
    "free_over": "Flat rate, free over an amount",
    "pickup": "Local pickup at the shop",
}


class ShippingZone(db.Model):
    """Countries (ISO codes; ``*`` = everywhere else), optionally narrowed to regions or postcode prefixes."""

    __tablename__ = "shipping_zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    countries: Mapped[str] = mapped_column(Text, default="")  # "GB,IE" or "*"
    regions: Mapped[str] = mapped_column(Text, default="")  # "CA,NY" (state/county codes), blank = all
    postcodes: Mapped[str] = mapped_column(Text, default="")  # prefixes "SW1,EC", blank = all
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    methods: Mapped[list[ShippingMethod]] = relationship(back_populates="zone", cascade="all, delete-orphan",
                                                         order_by="ShippingMethod.position")

    @property
    def country_codes(self) -> list[str]:
        return [c for c in (x.strip().upper() for x in self.countries.split(",")) if c]


class ShippingMethod(db.Model):
    """How a zone is served. Amounts are in the shop's minor units. A pickup method has no zone."""

    __tablename__ = "shipping_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("shipping_zones.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="flat")
    amount: Mapped[int] = mapped_column(BigInteger, default=0)  # flat / first unit / below the threshold
    additional_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # per_unit: each further unit
    free_over_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # free_over: subtotal threshold
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    zone: Mapped[ShippingZone | None] = relationship(back_populates="methods")
