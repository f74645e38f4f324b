"""A customer's address book: the ``Address`` rows and the use cases on them.

Every function acts for ONE customer: rows are always looked up by (customer id, address id), so
another customer's address id answers NotFound exactly like an id that does not exist. A book
holds at most ``MAX_ADDRESSES``; once it has any address, exactly one is the default (the first
one added becomes it; deleting the default promotes the most recently added of the rest).
A partial unique index keeps a second default out even if two requests race.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, func, select, text, update
from sqlalchemy.orm import Mapped, mapped_column

from storefront.accounts.models import Customer
from storefront.core.addresses import ADDRESS_FIELDS, MAX_LENGTHS, clean_address
from storefront.core.errors import Conflict, NotFound, ValidationError
from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db

MAX_ADDRESSES = 20
NOT_FOUND_MESSAGE = "That address is not in your address book."


class Address(db.Model):
    """One postal address a customer saved (for pre-filling checkout)."""

    __tablename__ = "customer_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_LENGTHS["name"]))
    line1: Mapped[str] = mapped_column(String(MAX_LENGTHS["line1"]))
    line2: Mapped[str] = mapped_column(String(MAX_LENGTHS["line2"]), default="")
    city: Mapped[str] = mapped_column(String(MAX_LENGTHS["city"]))
    region: Mapped[str] = mapped_column(String(MAX_LENGTHS["region"]), default="")
    postcode: Mapped[str] = mapped_column(String(MAX_LENGTHS["postcode"]), default="")
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2, upper case
    phone: Mapped[str] = mapped_column(String(MAX_LENGTHS["phone"]), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # At most one default per customer, whatever the requests do at the same moment.
    __table_args__ = (
        Index("uq_customer_addresses_one_default", "customer_id", unique=True,
              sqlite_where=text("is_default"), postgresql_where=text("is_default")),
    )

    def as_dict(self) -> dict[str, str]:
        """The eight address fields (what clean_address returns, format_address reads)."""
        return {name: getattr(self, name) or "" for name in ADDRESS_FIELDS}

    def __repr__(self) -> str:
        return f"<Address {self.id} customer={self.customer_id}>"


# --- reading ------------------------------------------------------------------------------------

def _newest_first() -> tuple[Any, ...]:
    return (Address.created_at.desc(), Address.id.desc())


def list_addresses(customer_id: int) -> list[Address]:
    """The customer's addresses: the default first, then the most recently added."""
    query = (select(Address).where(Address.customer_id == customer_id)
             .order_by(Address.is_default.desc(), *_newest_first()))
    return list(db.session.scalars(query))


def count_addresses(customer_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Address)
                             .where(Address.customer_id == customer_id)) or 0


def get_address(customer_id: int, address_id: int) -> Address:
    """The customer's address ``address_id``; NotFound when missing or someone else's."""
    address = db.session.scalar(select(Address).where(Address.id == address_id,
                                                      Address.customer_id == customer_id))
    if address is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    return address


def default_address(customer_id: int) -> Address | None:
    """The address to pre-fill checkout with, or None when the book is empty."""
    return db.session.scalar(select(Address).where(Address.customer_id == customer_id,
                                                   Address.is_default.is_(True)))


# --- changing -----------------------------------------------------------------------------------

def _lock_book(customer_id: int) -> None:
    """Serialise changes to one customer's book (a row lock on the customer on PostgreSQL;
    SQLite has one writer at a time anyway). An unknown customer has no book: NotFound."""
    found = db.session.scalar(select(Customer.id).where(Customer.id == customer_id).with_for_update())
    if found is None:
        db.session.rollback()
        raise NotFound(NOT_FOUND_MESSAGE)


def _owned_for_change(customer_id: int, address_id: int) -> Address:
    _lock_book(customer_id)
    try:
        return get_address(customer_id, address_id)
    except NotFound:
        db.session.rollback()
        raise


def _make_default(customer_id: int, address_id: int) -> None:
    """Move the default flag to ``address_id``: clear the old one first (the unique index)."""
    db.session.execute(update(Address)
                       .where(Address.customer_id == customer_id, Address.is_default.is_(True),
                              Address.id != address_id)
                       .values(is_default=False, updated_at=utcnow()))
    db.session.execute(update(Address)
                       .where(Address.customer_id == customer_id, Address.id == address_id,
                              Address.is_default.is_(False))
                       .values(is_default=True, updated_at=utcnow()))


def create_address(customer_id: int, data: Mapping[str, Any], *, make_default: bool = False) -> Address:
    """Add an address (ValidationError when the input is bad, Conflict when the book is full).

    The first address becomes the default; ``make_default`` makes a later one the default."""
    clean = clean_address(data)
    _lock_book(customer_id)
    count = count_addresses(customer_id)
    if count >= MAX_ADDRESSES:
        db.session.rollback()
        raise Conflict(f"You can keep at most {MAX_ADDRESSES} addresses. Delete one to add another.",
                       code="address_book_full")
    address = Address(customer_id=customer_id, **clean)
    db.session.add(address)
    db.session.flush()
    if make_default or count == 0:
        _make_default(customer_id, address.id)
    db.session.commit()
    db.session.refresh(address)
    return address


def update_address(customer_id: int, address_id: int, data: Mapping[str, Any]) -> Address:
    """Replace the eight fields of one of the customer's addresses (its default flag is kept).

    Someone else's address is NotFound before the input is even looked at."""
    address = _owned_for_change(customer_id, address_id)
    try:
        clean = clean_address(data)
    except ValidationError:
        db.session.rollback()
        raise
    for name, value in clean.items():
        setattr(address, name, value)
    db.session.commit()
    return address


def set_default(customer_id: int, address_id: int) -> Address:
    """Make one of the customer's addresses the default (the old default stops being it)."""
    address = _owned_for_change(customer_id, address_id)
    _make_default(customer_id, address.id)
    db.session.commit()
    db.session.refresh(address)
    return address


def delete_address(customer_id: int, address_id: int) -> None:
    """Delete one of the customer's addresses; if it was the default, the most recently added
    remaining address becomes the default."""
    address = _owned_for_change(customer_id, address_id)
    was_default = address.is_default
    db.session.delete(address)
    db.session.flush()
    if was_default:
        successor = db.session.scalar(select(Address.id).where(Address.customer_id == customer_id)
                                      .order_by(*_newest_first()).limit(1))
        if successor is not None:
            _make_default(customer_id, successor)
    db.session.commit()
