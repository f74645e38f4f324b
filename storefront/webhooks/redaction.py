"""Customer personal data out of webhook payloads shown in lists, and trimming for list views.

Redacted: emails (any key, and email addresses inside any text), names of people, phone
numbers, postal addresses, notes (buyer and seller notes can hold anything), card holder
names and IP addresses. Catalog names
(items, variations) are not personal and stay.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"

# Keys whose whole value is personal data, wherever they appear.
_PERSONAL_KEYS = frozenset({
    "email", "email_address", "buyer_email_address", "customer_email", "receipt_email",
    "given_name", "family_name", "first_name", "last_name", "display_name", "nickname", "full_name",
    "cardholder_name", "recipient_name", "buyer_name", "customer_name",
    "phone", "phone_number", "buyer_phone_number", "mobile",
    "address", "billing_address", "shipping_address", "buyer_address", "address_line_1", "address_line_2",
    "address_line_3", "postal_code",
    "note", "buyer_note", "customer_note", "buyer_supplied_note", "delivery_note",
    "ip_address", "buyer_ip_address", "birthday",
})
# Objects that describe a person: every string inside is personal (a recipient's "name" too).
_PERSON_OBJECTS = frozenset({"recipient", "buyer", "customer", "shipping_contact", "billing_contact"})
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def redact(value: Any, *, inside_person: bool = False) -> Any:
    """A copy of ``value`` with customer personal data replaced by ``[redacted]``."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            lowered = str(key).lower()
            if lowered in _PERSONAL_KEYS or (inside_person and lowered == "name"):
                out[key] = REDACTED if item not in (None, "", [], {}) else item
            else:
                out[key] = redact(item, inside_person=inside_person or lowered in _PERSON_OBJECTS)
        return out
    if isinstance(value, list):
        return [redact(item, inside_person=inside_person) for item in value]
    if isinstance(value, str):
        if inside_person and value:
            return REDACTED
        return _EMAIL.sub(REDACTED, value) if "@" in value else value
    return value


def trim(value: Any, *, max_items: int = 5, max_chars: int = 200, max_depth: int = 6) -> Any:
    """A bounded copy for list views: long lists cut (with a marker), long strings shortened."""
    if max_depth <= 0:
        return "…"
    if isinstance(value, dict):
        return {k: trim(v, max_items=max_items, max_chars=max_chars, max_depth=max_depth - 1)
                for k, v in value.items()}
    if isinstance(value, list):
        head = [trim(v, max_items=max_items, max_chars=max_chars, max_depth=max_depth - 1) for v in value[:max_items]]
        if len(value) > max_items:
            head.append(f"… {len(value) - max_items} more")
        return head
    if isinstance(value, str) and len(value) > max_chars:
        return value[:max_chars] + "…"
    return value


def redacted_summary(payload: Any) -> Any:
    """What list views show: the payload redacted, then trimmed."""
    return trim(redact(payload))
