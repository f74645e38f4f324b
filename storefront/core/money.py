"""Money: integer minor units plus an ISO 4217 currency, formatted by the currency's own exponent."""

from __future__ import annotations

from typing import Any

# ISO 4217 minor-unit exponents that are not 2 (every other currency has two decimals).
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def exponent(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (ISO 4217)."""
    return _EXPONENTS.get(currency.upper(), 2)


def format_money(amount: int | None, currency: str = "USD") -> str:
    """Minor units → display string (``1999, "USD"`` → ``$19.99``; ``1999, "JPY"`` → ``¥1,999``)."""
    if amount is None:
        return ""
    symbol = _SYMBOLS.get(currency, "")
    sign = "-" if amount < 0 else ""
    digits = exponent(currency)
    if digits:
        major, minor = divmod(abs(int(amount)), 10**digits)
        text = f"{sign}{symbol}{major:,}.{minor:0{digits}d}"
    else:
        text = f"{sign}{symbol}{abs(int(amount)):,}"
    return text if symbol else f"{text} {currency}"


def money_json(amount: int | None, currency: str = "USD") -> dict[str, Any] | None:
    """The API's money shape: ``{"amount", "currency", "formatted"}`` (None stays None)."""
    if amount is None:
        return None
    return {"amount": int(amount), "currency": currency, "formatted": format_money(amount, currency)}
