"""Coupon codes: quote a code for a cart, count its redemptions, and the staff helpers.

How the checkout uses it::

    quote = check_coupon(code, subtotal=view.subtotal, currency=view.currency,
                         email=buyer.email, customer_id=buyer.customer_id)   # ValidationError: show it
    ...                                              # create the order and flush it (it needs an id)
    redeem(quote, order_id=order.id, email=order.email, customer_id=order.customer_id)
    db.session.commit()                              # the caller commits, straight away
    order payload: "discounts": [quote.square_discount()] (None for free shipping: charge no shipping)

    release(order.id)     # expired / cancelled before payment: the place goes back (then commit)
    mark_used(order.id)   # paid (then commit)

Transactions: ``redeem``, ``release`` and ``mark_used`` work inside the caller's transaction. They
flush, and never commit or roll back. ``redeem`` takes its place with a conditional UPDATE of the
coupon's row. That UPDATE also serialises every concurrent redeem of the same coupon: PostgreSQL
holds the row lock, SQLite the database write lock, until the caller's transaction ends. So the
per-customer count read after it sees every earlier redeem that committed, on both databases.
**Commit (or roll back) promptly after ``redeem``** and never call the ECS in between. When
``redeem`` refuses, it has already taken its own increment back. The caller's transaction is then
as it was, and the caller may still commit its other work. ``redeem`` is idempotent per order.

Staff helpers (``create_coupon``, ``update_coupon``, ``deactivate_coupon``) change the session only.
The staff views write the audit entry and commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, or_, select, update

from storefront.core.errors import FieldError, NotFound, ValidationError
from storefront.core.money import exponent, format_money
from storefront.coupons.models import COUNTED_STATUSES, COUPON_KINDS, Coupon, CouponRedemption
from storefront.db.timestamps import utcnow
from storefront.extensions import db

CODE_PATTERN = re.compile(r"^[A-Z0-9_-]{3,40}$")
ENTER_CODE = "Enter a code."
NOT_VALID = "That code isn't valid. Check it and try again."
USED_UP = "This code has been used up."
JUST_USED_UP = "This code has just been used up."
ALREADY_USED = "You've already used this code."
ONE_PER_ORDER = "This order already has a code."
MAX_AMOUNT = 10**12


def normalise_code(raw: object) -> str:
    """What a shopper typed → the stored form (trimmed, upper-case)."""
    return str(raw or "").strip().upper()


def normalise_email(raw: str | None) -> str:
    return (raw or "").strip().lower()


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, details=[FieldError("coupon", message)])


def _day(moment: datetime) -> str:
    """``3 Dec 2026`` (UTC)."""
    moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%b %Y}"


def half_even_percent(amount: int, percent: int) -> int:
    """``percent`` % of ``amount`` minor units, rounded half to even (as Square rounds)."""
    whole, rest = divmod(amount * percent, 100)
    if rest * 2 > 100 or (rest * 2 == 100 and whole % 2 == 1):
        whole += 1
    return whole


@dataclass(frozen=True)
class CouponQuote:
    """What a code is worth for one cart: ``discount_amount`` minor units off the subtotal."""

    coupon_id: int
    code: str
    kind: str
    discount_amount: int
    free_shipping: bool
    currency: str = "USD"
    percent: int | None = None

    @property
    def label(self) -> str:
        """``10% off`` / ``$5.00 off`` / ``Free shipping``."""
        if self.free_shipping:
            return "Free shipping"
        if self.kind == "percent":
            return f"{self.percent}% off"
        return f"{format_money(self.discount_amount, self.currency)} off"

    def square_discount(self) -> dict[str, Any] | None:
        """The payment link order's ``OrderLineItemDiscount`` (None for free shipping).

        Square spreads an order-scoped discount over the lines and rounds half to even, so its
        ``total_discount_money`` can differ from ``discount_amount`` by a cent: the ECS figure wins.
        """
        if self.free_shipping:
            return None
        base = {"uid": f"coupon-{self.coupon_id}", "name": f"Coupon {self.code}", "scope": "ORDER"}
        if self.kind == "percent":
            return {**base, "type": "FIXED_PERCENTAGE", "percentage": str(self.percent)}
        return {**base, "type": "FIXED_AMOUNT",
                "amount_money": {"amount": self.discount_amount, "currency": self.currency}}


def find_coupon(code: object) -> Coupon | None:
    normalised = normalise_code(code)
    if not CODE_PATTERN.match(normalised):
        return None
    return db.session.scalar(select(Coupon).where(Coupon.code == normalised))


def _check_window(coupon: Coupon, now: datetime) -> None:
    if coupon.starts_at is not None and now < coupon.starts_at:
        raise _refuse(f"This code can be used from {_day(coupon.starts_at)}.")
    if coupon.ends_at is not None and now >= coupon.ends_at:
        raise _refuse(f"This code expired on {_day(coupon.ends_at - timedelta(microseconds=1))}.")


def _uses_by(coupon_id: int, email: str | None, customer_id: int | None) -> int:
    """Held or used redemptions of the coupon by this email or customer account."""
    who = []
    if normalise_email(email):
        who.append(CouponRedemption.email == normalise_email(email))
    if customer_id is not None:
        who.append(CouponRedemption.customer_id == customer_id)
    if not who:
        return 0
    return db.session.scalar(select(func.count()).select_from(CouponRedemption).where(
        CouponRedemption.coupon_id == coupon_id, CouponRedemption.status.in_(COUNTED_STATUSES), or_(*who))) or 0


def _quote(coupon: Coupon, subtotal: int, currency: str) -> CouponQuote:
    if coupon.kind == "percent":
        discount = min(subtotal, half_even_percent(subtotal, int(coupon.percent or 0)))
    elif coupon.kind == "fixed":
        discount = min(subtotal, int(coupon.amount or 0))
    else:
        discount = 0
    return CouponQuote(coupon_id=coupon.id, code=coupon.code, kind=coupon.kind, discount_amount=max(discount, 0),
                       free_shipping=coupon.kind == "free_shipping", currency=currency, percent=coupon.percent)


def quote_for(coupon: Coupon, subtotal: int, currency: str) -> CouponQuote:
    """The coupon priced for ``subtotal`` with no validity checks (an order placed with it re-sends it)."""
    return _quote(coupon, subtotal, (currency or "USD").upper())


def check_coupon(code: str, *, subtotal: int, currency: str, email: str | None, customer_id: int | None,
                 now: datetime | None = None) -> CouponQuote:
    """Quote ``code`` for a cart of ``subtotal`` minor units, or raise ValidationError (field "coupon").

    An unknown and an inactive code read the same. Nothing is counted here: see :func:`redeem`.
    """
    if not normalise_code(code):
        raise _refuse(ENTER_CODE)
    coupon = find_coupon(code)
    currency = (currency or "USD").upper()
    if coupon is None or not coupon.active:
        raise _refuse(NOT_VALID)
    _check_window(coupon, now or utcnow())
    if coupon.currency != currency and (coupon.kind == "fixed" or coupon.min_order_amount):
        raise _refuse(NOT_VALID)  # a code priced in another currency
    if subtotal < coupon.min_order_amount:
        raise _refuse(f"Spend {format_money(coupon.min_order_amount, currency)} or more to use this code.")
    if coupon.max_redemptions is not None and coupon.redemptions_count >= coupon.max_redemptions:
        raise _refuse(USED_UP)
    if coupon.per_customer_limit is not None and _uses_by(coupon.id, email, customer_id) >= coupon.per_customer_limit:
        raise _refuse(ALREADY_USED)
    return _quote(coupon, subtotal, currency)


# --- counting redemptions -------------------------------------------------------------------------

def _take_place(coupon_id: int) -> None:
    """The atomic increment: succeeds only while the coupon has places left (locks its row)."""
    result = db.session.execute(
        update(Coupon)
        .where(Coupon.id == coupon_id,
               or_(Coupon.max_redemptions.is_(None), Coupon.redemptions_count < Coupon.max_redemptions))
        .values(redemptions_count=Coupon.redemptions_count + 1),
        execution_options={"synchronize_session": False})
    if result.rowcount != 1:
        raise _refuse(JUST_USED_UP)


def _give_place_back(coupon_id: int) -> None:
    db.session.execute(
        update(Coupon).where(Coupon.id == coupon_id, Coupon.redemptions_count > 0)
        .values(redemptions_count=Coupon.redemptions_count - 1),
        execution_options={"synchronize_session": False})


def _redemption_for(order_id: int) -> CouponRedemption | None:
    return db.session.scalar(select(CouponRedemption).where(CouponRedemption.order_id == order_id)
                             .execution_options(populate_existing=True))


def _same_coupon(redemption: CouponRedemption, quote: CouponQuote) -> CouponRedemption:
    if redemption.coupon_id != quote.coupon_id:
        raise _refuse(ONE_PER_ORDER)
    return redemption


def _claim(quote: CouponQuote, order_id: int, email: str,
           customer_id: int | None) -> tuple[CouponRedemption, bool]:
    """With the coupon's row locked: (the order's redemption, whether this call created/reclaimed it)."""
    existing = _redemption_for(order_id)
    if existing is not None and existing.status != "released":
        return existing, False  # a concurrent redeem of the same order got there first
    coupon = db.session.get(Coupon, quote.coupon_id, populate_existing=True)
    if coupon is None or not coupon.active:
        raise _refuse(NOT_VALID)
    _check_window(coupon, utcnow())
    if coupon.per_customer_limit is not None and _uses_by(coupon.id, email, customer_id) >= coupon.per_customer_limit:
        raise _refuse(ALREADY_USED)
    redemption = existing or CouponRedemption(order_id=order_id)
    redemption.coupon_id = quote.coupon_id
    redemption.email = email
    redemption.customer_id = customer_id
    redemption.status = "held"
    db.session.add(redemption)
    db.session.flush()
    return redemption, True


def redeem(quote: CouponQuote, *, order_id: int, email: str, customer_id: int | None) -> CouponRedemption:
    """Count the order's use of the coupon (status "held"), atomically; does not commit.

    Raises ValidationError (field "coupon") when the coupon has just been used up, this customer
    or email has reached its limit, or the coupon was deactivated or expired since the quote.
    Calling it again for the same order returns the same redemption and counts once. A released
    redemption of the order is taken again. A different coupon for the same order is refused.
    See the module docstring for the transaction and locking contract.
    """
    email = normalise_email(email)
    existing = _redemption_for(order_id)
    if existing is not None and existing.status != "released":
        return _same_coupon(existing, quote)
    _take_place(quote.coupon_id)
    try:
        redemption, counted = _claim(quote, order_id, email, customer_id)
    except ValidationError:
        _give_place_back(quote.coupon_id)
        raise
    if not counted:
        _give_place_back(quote.coupon_id)
        return _same_coupon(redemption, quote)
    return redemption


def release(order_id: int) -> bool:
    """An order that expired or was cancelled before payment gives its place back (once).

    Only a "held" redemption is released. True when this call released it. Does not commit.
    """
    held = db.session.scalar(select(CouponRedemption).where(
        CouponRedemption.order_id == order_id, CouponRedemption.status == "held")
        .execution_options(populate_existing=True))
    if held is None:
        return False
    result = db.session.execute(
        update(CouponRedemption).where(CouponRedemption.id == held.id, CouponRedemption.status == "held")
        .values(status="released", updated_at=utcnow()), execution_options={"synchronize_session": False})
    if result.rowcount != 1:
        return False  # a concurrent release won
    _give_place_back(held.coupon_id)
    db.session.expire(held)
    return True


def mark_used(order_id: int) -> bool:
    """The order was paid: its redemption becomes "used" (once). Does not commit.

    A redemption released before a late payment arrived counts again, even past the coupon's
    limit: the shopper has already paid the discounted price.
    """
    redemption = _redemption_for(order_id)
    if redemption is None or redemption.status == "used":
        return False
    previous = redemption.status
    result = db.session.execute(
        update(CouponRedemption).where(CouponRedemption.id == redemption.id, CouponRedemption.status == previous)
        .values(status="used", updated_at=utcnow()), execution_options={"synchronize_session": False})
    if result.rowcount != 1:
        return False
    if previous == "released":
        db.session.execute(update(Coupon).where(Coupon.id == redemption.coupon_id)
                           .values(redemptions_count=Coupon.redemptions_count + 1),
                           execution_options={"synchronize_session": False})
    db.session.expire(redemption)
    return True


# --- staff helpers --------------------------------------------------------------------------------

def list_coupons() -> list[Coupon]:
    """Every coupon: active ones first, newest first."""
    return list(db.session.scalars(select(Coupon).order_by(Coupon.active.desc(), Coupon.created_at.desc(),
                                                           Coupon.id.desc())))


def get_coupon(coupon_id: int) -> Coupon:
    coupon = db.session.get(Coupon, coupon_id)
    if coupon is None:
        raise NotFound("No such coupon.")
    return coupon


def value_label(coupon: Coupon) -> str:
    """``10% off`` / ``$5.00 off`` / ``Free shipping``."""
    if coupon.kind == "percent":
        return f"{coupon.percent}% off"
    if coupon.kind == "fixed":
        return f"{format_money(coupon.amount or 0, coupon.currency)} off"
    return "Free shipping"


def last_day(coupon: Coupon) -> date | None:
    """The last (UTC) day the coupon works, or None when it never expires."""
    return (coupon.ends_at - timedelta(microseconds=1)).date() if coupon.ends_at else None


def window_label(coupon: Coupon) -> str:
    first = coupon.starts_at.date().isoformat() if coupon.starts_at else None
    last = last_day(coupon)
    if first and last:
        return f"{first} – {last.isoformat()}"
    if first:
        return f"from {first}"
    if last:
        return f"until {last.isoformat()}"
    return "always"


def status_label(coupon: Coupon, now: datetime | None = None) -> str:
    """``active`` / ``inactive`` / ``scheduled`` / ``expired`` / ``used up``."""
    now = now or utcnow()
    if not coupon.active:
        return "inactive"
    if coupon.ends_at is not None and now >= coupon.ends_at:
        return "expired"
    if coupon.starts_at is not None and now < coupon.starts_at:
        return "scheduled"
    if coupon.max_redemptions is not None and coupon.redemptions_count >= coupon.max_redemptions:
        return "used up"
    return "active"


def form_values(coupon: Coupon | None) -> dict[str, str]:
    """A coupon as the staff form shows it (strings, amounts in major units)."""
    if coupon is None:
        return {"code": "", "kind": "percent", "percent": "", "amount": "", "currency": "USD",
                "min_order_amount": "", "starts_on": "", "ends_on": "", "max_redemptions": "",
                "per_customer_limit": "", "active": "1"}

    def major(amount: int | None) -> str:
        if not amount:
            return ""
        digits = exponent(coupon.currency)
        return f"{Decimal(amount) / (10 ** digits):.{digits}f}"

    ends = last_day(coupon)
    return {"code": coupon.code, "kind": coupon.kind, "percent": str(coupon.percent or ""),
            "amount": major(coupon.amount), "currency": coupon.currency,
            "min_order_amount": major(coupon.min_order_amount),
            "starts_on": coupon.starts_at.date().isoformat() if coupon.starts_at else "",
            "ends_on": ends.isoformat() if ends else "",
            "max_redemptions": str(coupon.max_redemptions or ""),
            "per_customer_limit": str(coupon.per_customer_limit or ""), "active": "1" if coupon.active else ""}


def _text(form: Mapping[str, str], name: str) -> str:
    return str(form.get(name) or "").strip()


def _parse_money(form: Mapping[str, str], name: str, currency: str, errors: list[FieldError], *,
                 label: str, required: bool = False) -> int | None:
    raw = _text(form, name).replace(",", "").lstrip("$£€¥")
    if not raw:
        if required:
            errors.append(FieldError(name, f"Enter {label}, e.g. 5.00."))
        return None
    digits = exponent(currency)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite():
        value = Decimal(-1)
    minor = value * (10 ** digits)
    if value < 0 or minor != minor.to_integral_value() or minor >= MAX_AMOUNT or (required and minor == 0):
        errors.append(FieldError(name, f"Enter {label} as a positive amount like 5.00."))
        return None
    return int(minor)


def _parse_int(form: Mapping[str, str], name: str, errors: list[FieldError], *, low: int, high: int,
               message: str, required: bool = False) -> int | None:
    raw = _text(form, name)
    if not raw:
        if required:
            errors.append(FieldError(name, message))
        return None
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        errors.append(FieldError(name, message))
        return None
    return int(raw)


def _parse_day(form: Mapping[str, str], name: str, errors: list[FieldError]) -> date | None:
    raw = _text(form, name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(FieldError(name, "Enter a date like 2026-12-31."))
        return None


def _parse_code(form: Mapping[str, str], errors: list[FieldError], existing_id: int | None) -> str:
    code = normalise_code(form.get("code"))
    if not CODE_PATTERN.match(code):
        errors.append(FieldError("code", "A code is 3–40 letters, digits, hyphens or underscores."))
        return code
    clash = db.session.scalar(select(Coupon.id).where(Coupon.code == code))
    if clash is not None and clash != existing_id:
        errors.append(FieldError("code", "Another coupon already uses this code."))
    return code


def parse_coupon_form(form: Mapping[str, str], *, existing_id: int | None = None) -> dict[str, Any]:
    """The staff form → Coupon column values; ValidationError lists every problem (one per field)."""
    errors: list[FieldError] = []
    code = _parse_code(form, errors, existing_id)
    kind = _text(form, "kind")
    if kind not in COUPON_KINDS:
        errors.append(FieldError("kind", "Choose what the code gives."))
    currency = _text(form, "currency").upper() or "USD"
    if not re.fullmatch(r"[A-Z]{3}", currency):
        errors.append(FieldError("currency", "Enter a three-letter currency code like USD."))
        currency = "USD"
    percent = _parse_int(form, "percent", errors, low=1, high=100, required=kind == "percent",
                         message="Enter a whole percent from 1 to 100.") if kind == "percent" else None
    amount = _parse_money(form, "amount", currency, errors, label="the amount off",
                          required=True) if kind == "fixed" else None
    minimum = _parse_money(form, "min_order_amount", currency, errors, label="the minimum order") or 0
    starts_on, ends_on = _parse_day(form, "starts_on", errors), _parse_day(form, "ends_on", errors)
    if starts_on and ends_on and ends_on < starts_on:
        errors.append(FieldError("ends_on", "The last day must be on or after the first day."))
    limit_message = "Leave blank for no limit, or enter a whole number from 1."
    max_redemptions = _parse_int(form, "max_redemptions", errors, low=1, high=10**9, message=limit_message)
    per_customer = _parse_int(form, "per_customer_limit", errors, low=1, high=10**9, message=limit_message)
    if errors:
        raise ValidationError("Check the coupon's details.", details=errors)
    return {"code": code, "kind": kind, "percent": percent, "amount": amount, "currency": currency,
            "min_order_amount": minimum,
            "starts_at": datetime.combine(starts_on, time.min, UTC) if starts_on else None,
            "ends_at": datetime.combine(ends_on + timedelta(days=1), time.min, UTC) if ends_on else None,
            "max_redemptions": max_redemptions, "per_customer_limit": per_customer,
            "active": bool(form.get("active"))}


def create_coupon(form: Mapping[str, str]) -> Coupon:
    """A new coupon from the staff form (added and flushed; the caller audits and commits)."""
    coupon = Coupon(redemptions_count=0, **parse_coupon_form(form))
    db.session.add(coupon)
    db.session.flush()
    return coupon


def _shown(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def update_coupon(coupon: Coupon, form: Mapping[str, str]) -> dict[str, list[object]]:
    """Apply the staff form; returns ``{field: [old, new]}`` for what changed (not committed)."""
    values = parse_coupon_form(form, existing_id=coupon.id)
    changes: dict[str, list[object]] = {}
    for name, new in values.items():
        old = getattr(coupon, name)
        if old != new:
            changes[name] = [_shown(old), _shown(new)]
            setattr(coupon, name, new)
    db.session.flush()
    return changes


def deactivate_coupon(coupon: Coupon) -> bool:
    """Stop the code working (held redemptions stay counted). False when it was already inactive."""
    if not coupon.active:
        return False
    coupon.active = False
    db.session.flush()
    return True
