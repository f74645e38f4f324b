"""Customer accounts as JSON (never the password hash)."""

from __future__ import annotations

from typing import Any

from storefront.accounts.models import Customer


def customer_json(customer: Customer) -> dict[str, Any]:
    """The API shape of a customer (never the password hash)."""
    return {"id": customer.id, "email": customer.email, "name": customer.name}
