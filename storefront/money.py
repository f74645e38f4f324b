"""Money in JSON: integer minor units, ISO currency, and a display string."""

from __future__ import annotations

from typing import Any

from storefront.templating import format_money


def money_json(amount: int | None, currency: str = "USD") -> dict[str, Any] | None:
    if amount is None:
        return None
    return {"amount": int(amount), "currency": currency, "formatted": format_money(amount, currency)}
