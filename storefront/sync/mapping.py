"""Square catalog objects → the plain values our catalog rows hold."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from storefront.ecs.client import instant_ns

EVENT_CATEGORY_NAMES = {"event space", "events"}


class MappingError(ValueError):
    """An ECS object we cannot turn into a catalog row; the message is the reason shown to staff."""


# NamedTuples rather than frozen dataclasses: a full sync makes one per ECS object, and a
# frozen dataclass's __init__ (object.__setattr__ per field) was a tenth of the mapping's cost.
class VariationValues(NamedTuple):
    ecs_id: str
    name: str
    sku: str
    ordinal: int
    price_amount: int | None
    currency: str
    ecs_version: int
    is_deleted: bool


class ItemValues(NamedTuple):
    ecs_id: str
    name: str
    description: str
    artist: str
    title: str
    label: str
    catalog_number: str
    format: str
    year: int | None
    category_ids: tuple[str, ...]
    ecs_version: int
    ecs_updated_at: datetime | None
    is_deleted: bool
    variations: tuple[VariationValues, ...] = ()

    @property
    def price(self) -> tuple[int | None, str]:
        """Lowest live variation price (minor units) and its currency."""
        live = [v for v in self.variations if not v.is_deleted and v.price_amount is not None]
        if not live:
            return None, "USD"
        cheapest = min(live, key=lambda v: v.price_amount or 0)
        return cheapest.price_amount, cheapest.currency


def parse_timestamp(value: str | None) -> datetime | None:
    """An ECS timestamp as an aware datetime (RFC 3339: any fraction digits, ``Z``/``z`` or an offset)."""
    if not value:
        return None
    try:
        nanos = instant_ns(value)
    except ValueError:
        pass
    else:
        return datetime.fromtimestamp(0, UTC) + timedelta(microseconds=nanos // 1000)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _custom_attributes(obj: dict[str, Any]) -> dict[str, Any]:
    """Custom attribute values by lower-case key (falling back to the display name)."""
    values: dict[str, Any] = {}
    for raw_key, attr in (obj.get("custom_attribute_values") or {}).items():
        if not isinstance(attr, dict):
            continue
        key = str(attr.get("key") or attr.get("name") or raw_key).strip().lower().replace(" ", "_")
        value = attr.get("string_value")
        if value is None:
            value = attr.get("number_value")
            if value is None:
                value = attr.get("boolean_value")
        values[key] = value
        name = attr.get("name")
        if name:
            name = str(name).strip().lower().replace(" ", "_")
            if name not in values:
                values[name] = value
    return values


def _year(value: Any) -> int | None:
    try:
        year = int(float(value))
    except (TypeError, ValueError):
        return None
    return year if 1800 <= year <= 2200 else None


def parse_variation(obj: dict[str, Any]) -> VariationValues:
    data = obj.get("item_variation_data") or {}
    money = data.get("price_money") or {}
    amount = money.get("amount")
    if amount is not None and (not isinstance(amount, int) or amount < 0):
        raise MappingError(f"variation {obj.get('id')} has an invalid price {amount!r}")
    return VariationValues(
        ecs_id=str(obj["id"]),
        name=str(data.get("name") or "")[:255],
        sku=str(data.get("sku") or "")[:64],
        ordinal=int(data.get("ordinal") or 0),
        price_amount=amount,
        currency=str(money.get("currency") or "USD")[:3],
        ecs_version=int(obj.get("version") or 0),
        is_deleted=bool(obj.get("is_deleted")),
    )


def parse_item(obj: dict[str, Any]) -> ItemValues:
    """Map a Square ITEM object (with nested variations) to :class:`ItemValues`."""
    if obj.get("type") != "ITEM" or not obj.get("id"):
        raise MappingError(f"not an ITEM object: {obj.get('type')!r}")
    data = obj.get("item_data")
    if not isinstance(data, dict):
        raise MappingError(f"item {obj['id']} has no item_data")
    name = str(data.get("name") or "").strip()
    deleted = bool(obj.get("is_deleted"))
    if not name and not deleted:
        raise MappingError(f"item {obj['id']} has no name")
    attrs = _custom_attributes(obj)
    artist = str(attrs.get("artist") or "").strip()
    title = str(attrs.get("title") or "").strip()
    if not title:
        title = name.split(" — ", 1)[1] if " — " in name else name
    if not artist and " — " in name:
        artist = name.split(" — ", 1)[0]
    variations = tuple(parse_variation(v) for v in data.get("variations") or []
                       if isinstance(v, dict) and v.get("id"))
    if not deleted and not any(not v.is_deleted for v in variations):
        raise MappingError(f"item {obj['id']} has no sellable variation")
    categories = [c.get("id") for c in data.get("categories") or [] if isinstance(c, dict)]
    if data.get("category_id"):
        categories.append(data["category_id"])
    return ItemValues(
        ecs_id=str(obj["id"]),
        name=name[:255],
        description=str(data.get("description_plaintext") or data.get("description") or ""),
        artist=artist[:255],
        title=title[:255],
        label=str(attrs.get("label") or "").strip()[:255],
        catalog_number=str(attrs.get("catalog_number") or attrs.get("catno") or "").strip()[:64],
        format=str(attrs.get("format") or "").strip()[:40],
        year=_year(attrs.get("year")),
        category_ids=tuple(dict.fromkeys(str(c) for c in categories if c)),
        ecs_version=int(obj.get("version") or 0),
        ecs_updated_at=parse_timestamp(obj.get("updated_at")),
        is_deleted=deleted,
        variations=variations,
    )


class MappedPage(NamedTuple):
    """A page of ITEM objects mapped to values: what a writer needs, small enough to pass between
    processes. ``seen_ids`` are every ITEM's id, ``failures`` the ones that could not be mapped."""

    seen_ids: list[str]
    items: list[ItemValues]
    failures: list[dict[str, str]]


def map_item_page(objects: Iterable[dict[str, Any]]) -> MappedPage:
    """Map the ITEM objects of a page (other types are skipped); a bad item becomes a failure."""
    page = MappedPage([], [], [])
    for obj in objects:
        if obj.get("type") != "ITEM":
            continue
        page.seen_ids.append(str(obj.get("id")))
        try:
            page.items.append(parse_item(obj))
        except (MappingError, KeyError, TypeError, ValueError) as exc:
            page.failures.append({"ecs_id": str(obj.get("id")), "reason": str(exc)[:300]})
    return page
