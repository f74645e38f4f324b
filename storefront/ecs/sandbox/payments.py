"""Test cards and the Payment objects a hosted-checkout attempt produces."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from storefront.ecs.sandbox.clock import rfc3339

SUCCESS_CARD = "4111111111111111"
DECLINE_CARDS: dict[str, tuple[str, str]] = {
    # number → (Square error code, message shown on the page)
    "4000000000000002": ("GENERIC_DECLINE", "Card declined"),
    "4000000000009995": ("INSUFFICIENT_FUNDS", "Card declined: insufficient funds"),
}


class CardError(ValueError):
    """The card form is unusable (not a card number, bad expiry); the page answers 400."""


@dataclass(frozen=True)
class Card:
    number: str
    brand: str
    exp_month: int
    exp_year: int

    @property
    def last_4(self) -> str:
        return self.number[-4:]

    @property
    def decline(self) -> tuple[str, str] | None:
        return DECLINE_CARDS.get(self.number)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _brand(digits: str) -> str:
    if digits.startswith("4"):
        return "VISA"
    if digits[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(digits[:4]) <= 2720:
        return "MASTERCARD"
    if digits[:2] in {"34", "37"}:
        return "AMERICAN_EXPRESS"
    if digits.startswith(("6011", "65")):
        return "DISCOVER"
    return "OTHER_BRAND"


def parse_card(number: str, expiry: str = "") -> Card:
    """A card from the form's number and optional ``MM/YY`` expiry; ``CardError`` if malformed."""
    digits = "".join(ch for ch in number if ch not in " -")
    if not (digits.isascii() and digits.isdigit()) or not 12 <= len(digits) <= 19 or not _luhn_ok(digits):
        raise CardError("Enter a valid card number (try 4111 1111 1111 1111).")
    month, year = 12, 2030
    if expiry.strip():
        head, sep, tail = expiry.strip().partition("/")
        if not sep or not (head + tail).isascii() or not head.strip().isdigit() or not tail.strip().isdigit():
            raise CardError("Enter the expiry as MM/YY.")
        month, year = int(head), int(tail)
        year = year + 2000 if year < 100 else year
        if not 1 <= month <= 12:
            raise CardError("Enter the expiry as MM/YY.")
    return Card(digits, _brand(digits), month, year)


def build_payment(payment_id: str, order: dict[str, Any], card: Card, email: str, stamp: int,
                  *, status: str) -> dict[str, Any]:
    """A CARD Payment for the order's total; ``status`` is APPROVED, COMPLETED or FAILED."""
    when = rfc3339(stamp)
    total = order["total_money"]
    failed = status == "FAILED"
    card_status = {"APPROVED": "AUTHORIZED", "COMPLETED": "CAPTURED"}.get(status, "FAILED")
    timeline: dict[str, str] = {} if failed else {"authorized_at": when}
    if status == "COMPLETED":
        timeline["captured_at"] = when
    card_details: dict[str, Any] = {
        "status": card_status,
        "card": {
            "card_brand": card.brand,
            "last_4": card.last_4,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "fingerprint": "sq-1-" + hashlib.sha256(card.number.encode()).hexdigest()[:40],
            "card_type": "CREDIT",
            "prepaid_type": "NOT_PREPAID",
            "bin": card.number[:6],
        },
        "entry_method": "KEYED",
        "cvv_status": "CVV_REJECTED" if failed else "CVV_ACCEPTED",
        "avs_status": "AVS_ACCEPTED",
        "statement_description": "SQ *ECS SANDBOX",
        "card_payment_timeline": timeline,
    }
    if failed and card.decline:
        code, message = card.decline
        card_details["errors"] = [{"category": "PAYMENT_METHOD_ERROR", "code": code, "detail": message}]
    payment: dict[str, Any] = {
        "id": payment_id,
        "created_at": when,
        "updated_at": when,
        "amount_money": dict(total),
        "total_money": dict(total),
        "approved_money": {"amount": 0 if failed else total["amount"], "currency": total["currency"]},
        "status": status,
        "source_type": "CARD",
        "card_details": card_details,
        "location_id": order["location_id"],
        "order_id": order["id"],
        "receipt_number": payment_id[:4],
        "version_token": hashlib.sha256(f"{payment_id}:{status}".encode()).hexdigest()[:43],
        "application_details": {"square_product": "ECOMMERCE_API", "application_id": "sandbox"},
    }
    if email:
        payment["buyer_email_address"] = email
    if order.get("reference_id"):
        payment["reference_id"] = order["reference_id"]
    if not failed:
        payment["receipt_url"] = f"https://squareup.com/receipt/preview/{payment_id}"
    return payment


def completed(payment: dict[str, Any], stamp: int) -> dict[str, Any]:
    """The APPROVED payment after capture."""
    when = rfc3339(stamp)
    details = dict(payment["card_details"])
    details["status"] = "CAPTURED"
    details["card_payment_timeline"] = {**details["card_payment_timeline"], "captured_at": when}
    return {**payment, "status": "COMPLETED", "updated_at": when, "card_details": details,
            "version_token": hashlib.sha256(f"{payment['id']}:COMPLETED".encode()).hexdigest()[:43]}
