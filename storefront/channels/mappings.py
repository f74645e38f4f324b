"""A connector's field mapping: how our copy becomes the channel's product.

Stored as JSON on the connector; :func:`validate` is the only way in (the API and the back office
both call it), :func:`price_for` and :func:`title_for` apply it. Transformations:

* ``title_template`` — ``{artist}``, ``{title}``, ``{format}``, ``{year}``, ``{label}``,
  ``{catalog_number}``, ``{media_grade}``, ``{sleeve_grade}``, ``{condition}`` placeholders;
* ``price`` — ``tax_inclusive_rate`` (percent added for channels that show tax-inclusive prices),
  ``markup_percent``, ``add_amount`` (minor units), ``rounding`` (none | whole | x.99 | x.49);
* ``locale_map`` — the shop's locale → the channel's (``{"en_US": "en", "de_DE": "de"}``);
* ``comments`` — what goes into the listing's comments: ``copy`` (the copy's own name/note),
  ``staff_pick`` or ``none``; ``allow_offers`` for Discogs.
"""

from __future__ import annotations

import re
import string
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

PLACEHOLDERS = frozenset({"artist", "title", "format", "year", "label", "catalog_number", "media_grade",
                          "sleeve_grade", "condition"})
ROUNDINGS = ("none", "whole", "x.99", "x.49")
COMMENT_SOURCES = ("copy", "staff_pick", "none")
DEFAULT_MAPPING: dict[str, Any] = {
    "title_template": "{artist} – {title}",
    "price": {"tax_inclusive_rate": 0, "markup_percent": 0, "add_amount": 0, "rounding": "none"},
    "locale_map": {},
    "shop_locale": "en_US",
    "comments": "copy",
    "allow_offers": False,
}
_LOCALE = re.compile(r"^[a-z]{2,3}([_-][A-Za-z]{2,4})?$")
MAX_TEMPLATE = 200


def _template_errors(template: Any) -> list[str]:
    if not isinstance(template, str) or not template.strip():
        return ["must be a non-empty string"]
    if len(template) > MAX_TEMPLATE:
        return [f"must be at most {MAX_TEMPLATE} characters"]
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:
        return ["has an unbalanced { or }"]
    unknown = sorted(n for n in names if n not in PLACEHOLDERS)
    return [f"unknown placeholder {{{n}}}; use {', '.join(sorted(PLACEHOLDERS))}" for n in unknown]


def _number_errors(value: Any, low: float, high: float) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        return [f"must be a number from {low:g} to {high:g}"]
    return []


def _price_errors(price: Any) -> dict[str, list[str]]:
    if not isinstance(price, dict):
        return {"price": ["must be an object"]}
    errors: dict[str, list[str]] = {}
    for name, low, high in (("tax_inclusive_rate", 0, 100), ("markup_percent", -90, 500),
                            ("add_amount", -1_000_000, 1_000_000)):
        found = _number_errors(price.get(name, 0), low, high)
        if found:
            errors[f"price.{name}"] = found
    if price.get("rounding", "none") not in ROUNDINGS:
        errors["price.rounding"] = [f"must be one of {', '.join(ROUNDINGS)}"]
    unknown = set(price) - {"tax_inclusive_rate", "markup_percent", "add_amount", "rounding"}
    if unknown:
        errors["price"] = [f"unknown field {name}" for name in sorted(unknown)]
    return errors


def _locale_errors(payload: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    locale_map = payload.get("locale_map", {})
    if not isinstance(locale_map, dict) or len(locale_map) > 50 or not all(
            isinstance(k, str) and isinstance(v, str) and _LOCALE.match(k) and _LOCALE.match(v)
            for k, v in locale_map.items()):
        errors["locale_map"] = ["must map locale codes to locale codes, like {\"en_US\": \"en\"}"]
    shop_locale = payload.get("shop_locale", "en_US")
    if not isinstance(shop_locale, str) or not _LOCALE.match(shop_locale):
        errors["shop_locale"] = ["must be a locale code like en_US"]
    return errors


def validate(payload: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The complete mapping (defaults filled in) and the errors per field ({} when valid)."""
    if not isinstance(payload, dict):
        return {}, {"mappings": ["must be a JSON object"]}
    errors: dict[str, list[str]] = {}
    unknown = set(payload) - set(DEFAULT_MAPPING)
    for name in sorted(unknown):
        errors[name] = ["is not a mapping field"]
    merged = {**DEFAULT_MAPPING, **{k: v for k, v in payload.items() if k in DEFAULT_MAPPING}}
    merged["price"] = {**DEFAULT_MAPPING["price"], **(payload.get("price") or {})} \
        if isinstance(payload.get("price", {}), dict) else payload.get("price")
    template_errors = _template_errors(merged["title_template"])
    if template_errors:
        errors["title_template"] = template_errors
    errors.update(_price_errors(merged["price"]))
    errors.update(_locale_errors(merged))
    if merged["comments"] not in COMMENT_SOURCES:
        errors["comments"] = [f"must be one of {', '.join(COMMENT_SOURCES)}"]
    if not isinstance(merged["allow_offers"], bool):
        errors["allow_offers"] = ["must be true or false"]
    return merged, errors


def effective(mapping: dict[str, Any] | None) -> dict[str, Any]:
    """The stored mapping with defaults for anything missing."""
    merged, _ = validate({k: v for k, v in (mapping or {}).items() if k in DEFAULT_MAPPING})
    return merged


def _round(amount: Decimal, rounding: str, exponent: int) -> int:
    unit = Decimal(10) ** exponent
    if rounding == "none" or exponent == 0 and rounding != "whole":
        return int(amount.quantize(Decimal(1), ROUND_HALF_UP))
    whole = (amount / unit).quantize(Decimal(1), ROUND_HALF_UP)
    if rounding == "whole":
        return int(whole * unit)
    cents = Decimal(99 if rounding == "x.99" else 49) * unit / 100
    base = (amount / unit).to_integral_value(rounding="ROUND_FLOOR") * unit
    below, above = base - unit + cents, base + cents  # the nearest .99 (.49) below and above
    if above < amount:
        below, above = above, above + unit
    return int(below if below > 0 and amount - below < above - amount else above)


def price_for(amount: int, mapping: dict[str, Any], *, exponent: int = 2) -> int:
    """Our price (minor units) after the mapping's tax, markup, addition and rounding."""
    price = mapping.get("price") or DEFAULT_MAPPING["price"]
    value = Decimal(amount)
    value *= 1 + Decimal(str(price.get("tax_inclusive_rate", 0))) / 100
    value *= 1 + Decimal(str(price.get("markup_percent", 0))) / 100
    value += Decimal(int(price.get("add_amount", 0)))
    return max(1, _round(value, str(price.get("rounding", "none")), exponent))


def title_for(values: dict[str, Any], mapping: dict[str, Any]) -> str:
    """The listing title from the template; empty placeholders and their separators tidied away."""
    text = mapping.get("title_template") or DEFAULT_MAPPING["title_template"]
    filled = text.format(**{name: "" if values.get(name) in (None, "") else values[name] for name in PLACEHOLDERS})
    filled = re.sub(r"\(\s*[,/–-]?\s*\)", "", filled)
    return re.sub(r"\s{2,}", " ", filled).strip(" –-,/")[:255] or str(values.get("title") or "")


def channel_locale(mapping: dict[str, Any]) -> str:
    """The channel's locale for the shop's locale (the map's value, else the language part)."""
    shop = str(mapping.get("shop_locale") or "en_US")
    return str((mapping.get("locale_map") or {}).get(shop) or shop.replace("-", "_").split("_")[0])
