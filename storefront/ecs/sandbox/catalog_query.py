"""SearchCatalogObjects ``query`` (CatalogQuery): validation and matching, as Square documents them.

Supported: ``exact_query``, ``prefix_query``, ``range_query``, ``text_query`` (combinable with one
another) and ``set_query`` (alone). Attributes are Square's searchable ones (``name``,
``description``, ``abbreviation``, ``upc``, ``sku``, ``caption``, ``display_name``) and custom
attribute keys. Value matching is case insensitive; per CatalogQueryExact an exact value may match a
word's beginning ("sma" finds "Small"); text keywords must each begin a word of some searchable
value, and keywords with fewer than 3 alphanumeric characters are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from storefront.ecs.sandbox.wire import SquareError

COMBINABLE = ("exact_query", "prefix_query", "range_query", "text_query", "sorted_attribute_query")
ALONE = ("set_query",)
UNSUPPORTED = ("items_for_tax_query", "items_for_modifier_list_query", "items_for_item_options_query",
               "item_variations_for_item_option_values_query")
SEARCHABLE = ("name", "description", "abbreviation", "upc", "sku", "caption", "display_name")
MAX_KEYWORDS = 3
MAX_SET_VALUES = 250
_WORD = re.compile(r"[0-9A-Za-z\u00C0-\uFFFF]+")

Match = Callable[[dict[str, Any]], bool]


def _error(code: str, detail: str, field: str) -> SquareError:
    return SquareError(400, code, detail, field)


def _string(part: dict[str, Any], name: str, where: str, *, required: bool = True) -> str | None:
    value = part.get(name)
    if value is None:
        if required:
            raise _error("MISSING_REQUIRED_PARAMETER", "Field must be set", f"{where}.{name}")
        return None
    if not isinstance(value, str):
        raise _error("EXPECTED_STRING", f"Expected `{where}.{name}` to be a string.", f"{where}.{name}")
    if required and not value:
        raise _error("INVALID_VALUE", f"`{where}.{name}` must not be empty.", f"{where}.{name}")
    return value


def _integer(part: dict[str, Any], name: str, where: str) -> int | None:
    value = part.get(name)
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):  # int64 may arrive as a string
        return int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _error("EXPECTED_INTEGER", f"Expected `{where}.{name}` to be an integer.", f"{where}.{name}")
    return value


def parse_query(raw: Any) -> dict[str, Any] | None:
    """The validated, normalized query (JSON-safe, for cursors); None when absent."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _error("EXPECTED_OBJECT", "Expected `query` to be an object.", "query")
    given = [k for k, v in raw.items() if v is not None]
    for name in given:
        if name in UNSUPPORTED:
            raise _error("BAD_REQUEST", f"The ECS sandbox does not support `{name}`.", f"query.{name}")
        if name not in COMBINABLE and name not in ALONE:
            raise _error("UNKNOWN_BODY_PARAMETER", f"`{name}` is not a CatalogQuery field.", f"query.{name}")
    if any(name in ALONE for name in given) and len(given) > 1:
        raise _error("BAD_REQUEST", f"`{given[0]}` cannot be combined with other query types.", "query")
    query: dict[str, Any] = {}
    for name in given:
        part = raw[name]
        where = f"query.{name}"
        if not isinstance(part, dict):
            raise _error("EXPECTED_OBJECT", f"Expected `{where}` to be an object.", where)
        query[name] = _PARSERS[name](part, where)
    return query or None


def _parse_exact(part: dict[str, Any], where: str) -> dict[str, Any]:
    return {"attribute_name": _string(part, "attribute_name", where),
            "attribute_value": _string(part, "attribute_value", where)}


def _parse_prefix(part: dict[str, Any], where: str) -> dict[str, Any]:
    return {"attribute_name": _string(part, "attribute_name", where),
            "attribute_prefix": _string(part, "attribute_prefix", where)}


def _parse_range(part: dict[str, Any], where: str) -> dict[str, Any]:
    return {"attribute_name": _string(part, "attribute_name", where),
            "attribute_min_value": _integer(part, "attribute_min_value", where),
            "attribute_max_value": _integer(part, "attribute_max_value", where)}


def _parse_text(part: dict[str, Any], where: str) -> dict[str, Any]:
    keywords = part.get("keywords")
    field = f"{where}.keywords"
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise _error("EXPECTED_ARRAY" if not isinstance(keywords, list) else "EXPECTED_STRING",
                     "`keywords` must be a list of strings.", field)
    if not keywords:
        raise _error("ARRAY_EMPTY", "`keywords` needs 1 to 3 keywords.", field)
    if len(keywords) > MAX_KEYWORDS:
        raise _error("ARRAY_LENGTH_TOO_LONG", f"`keywords` takes at most {MAX_KEYWORDS} keywords.", field)
    return {"keywords": keywords}


def _parse_set(part: dict[str, Any], where: str) -> dict[str, Any]:
    values = part.get("attribute_values")
    field = f"{where}.attribute_values"
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise _error("EXPECTED_ARRAY", "`attribute_values` must be a list of strings.", field)
    if len(values) > MAX_SET_VALUES:
        raise _error("ARRAY_LENGTH_TOO_LONG", f"At most {MAX_SET_VALUES} values may be searched.", field)
    return {"attribute_name": _string(part, "attribute_name", where), "attribute_values": values}


def _parse_sorted(part: dict[str, Any], where: str) -> dict[str, Any]:
    order = part.get("sort_order")
    if order is not None and order not in ("ASC", "DESC"):
        raise _error("INVALID_ENUM_VALUE", "`sort_order` must be ASC or DESC.", f"{where}.sort_order")
    return {"attribute_name": _string(part, "attribute_name", where)}  # results keep change order


_PARSERS: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "exact_query": _parse_exact, "prefix_query": _parse_prefix, "range_query": _parse_range,
    "text_query": _parse_text, "set_query": _parse_set, "sorted_attribute_query": _parse_sorted,
}


def attribute_values(obj: dict[str, Any], name: str) -> list[str]:
    """The object's values of a searchable attribute or custom attribute key, as strings."""
    values: list[str] = []
    data = obj.get(f"{obj.get('type', '').lower()}_data") or {}
    if name in SEARCHABLE and isinstance(data.get(name), str):
        values.append(data[name])
    custom = (obj.get("custom_attribute_values") or {}).get(name)
    if isinstance(custom, dict):
        for field in ("string_value", "number_value"):
            if isinstance(custom.get(field), str):
                values.append(custom[field])
        if isinstance(custom.get("boolean_value"), bool):
            values.append("true" if custom["boolean_value"] else "false")
    return values


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _searchable_text(obj: dict[str, Any]) -> list[str]:
    texts = [v for name in SEARCHABLE for v in attribute_values(obj, name)]
    for custom in (obj.get("custom_attribute_values") or {}).values():
        if isinstance(custom, dict) and isinstance(custom.get("string_value"), str):
            texts.append(custom["string_value"])
    return texts


def _exact(value: str, wanted: str) -> bool:
    low, want = value.lower(), wanted.lower()
    return low == want or any(word.startswith(want) for word in _words(value)) or low.startswith(want)


def _in_range(value: str, low: int | None, high: int | None) -> bool:
    try:
        number = float(value)
    except ValueError:
        return False
    return (low is None or number >= low) and (high is None or number <= high)


def matcher(query: dict[str, Any] | None) -> Match | None:
    """A predicate for the validated ``query``; None when there is nothing to filter."""
    if not query:
        return None
    tests: list[Match] = []
    if (part := query.get("exact_query")) is not None:
        tests.append(lambda o, p=part: any(_exact(v, p["attribute_value"])
                                           for v in attribute_values(o, p["attribute_name"])))
    if (part := query.get("prefix_query")) is not None:
        tests.append(lambda o, p=part: any(v.lower().startswith(p["attribute_prefix"].lower())
                                           for v in attribute_values(o, p["attribute_name"])))
    if (part := query.get("range_query")) is not None:
        tests.append(lambda o, p=part: any(_in_range(v, p["attribute_min_value"], p["attribute_max_value"])
                                           for v in attribute_values(o, p["attribute_name"])))
    if (part := query.get("set_query")) is not None:
        wanted = {v.lower() for v in part["attribute_values"]}
        tests.append(lambda o, p=part, w=wanted: any(v.lower() in w for v in attribute_values(o, p["attribute_name"])))
    if (part := query.get("text_query")) is not None:
        keywords = [k.lower() for k in part["keywords"] if len(re.sub(r"\W", "", k)) >= 3]
        tests.append(lambda o, k=keywords: _has_keywords(o, k))
    return lambda obj: all(test(obj) for test in tests)


def _has_keywords(obj: dict[str, Any], keywords: list[str]) -> bool:
    words = [w for text in _searchable_text(obj) for w in _words(text)]
    return all(any(word.startswith(keyword) for word in words) for keyword in keywords)
