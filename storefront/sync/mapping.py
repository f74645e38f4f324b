"""Square catalog objects → the plain values our catalog rows hold."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storefront.ecs.client import instant_ns
from storefront.sync.fields import DEFAULT_PRESET, Mapper, preset

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
    # False: Square does not count this variation's stock (``track_inventory``, or the location's
    # override of it): always available, and checkout holds nothing.
    track_inventory: bool = True
    # The location's ``sold_out``: not sold, whatever the count (a seller can set it with stock left).
    sold_out: bool = False
    # As one copy: "new", "used" or "" (not said), and a used copy's grades (the field mapping's).
    condition: str = ""
    media_grade: str = ""
    sleeve_grade: str = ""


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
    # (image id, variation ecs_id or "") in Square's order: the item's image_ids, then each variation's.
    image_refs: tuple[tuple[str, str], ...] = ()
    barcode: str = ""
    media_grade: str = ""
    sleeve_grade: str = ""
    kind: str = "record"  # "event" when a category (or an ancestor) is the event space's
    starts_at: datetime | None = None  # a dated event's start (UTC); None: a record, or an event to book
    release_date: date | None = None  # a record's release date: before it, the record is a pre-order
    # The ITEM object as Square sent it (compact JSON), kept so a changed mapping can re-map the
    # catalog without downloading it again; empty when mapping for a preview.
    raw: str = ""

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


_DEFAULT: list[Mapper] = []


def default_mapper() -> Mapper:
    """The storefront-keys preset with no catalog context (what a mapping-less caller gets)."""
    if not _DEFAULT:
        _DEFAULT.append(Mapper(preset(DEFAULT_PRESET)))
    return _DEFAULT[0]


def parse_date(value: str) -> date | None:
    """A date as a seller types it ("2027-03-14", or the date part of a timestamp); None if not one."""
    try:
        return date.fromisoformat((value or "").strip()[:10]) if value and value.strip() else None
    except ValueError:
        return None


def parse_local_time(value: str, timezone: str) -> datetime | None:
    """An event's date and time as a seller types it ("2026-12-10 19:30", ISO with or without an
    offset; a bare date is 19:00) → UTC; a time without an offset is the shop's (``timezone``)."""
    text = (value or "").strip().replace("T", " ")
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if len(text) <= 10:  # a date alone: an evening event
        parsed = parsed.replace(hour=19)
    if parsed.tzinfo is None:
        try:
            parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
        except (ZoneInfoNotFoundError, ValueError):
            parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _year(value: Any) -> int | None:
    try:
        year = int(float(value))
    except (TypeError, ValueError):
        return None
    return year if 1800 <= year <= 2200 else None


def present_at(obj: dict[str, Any], location_id: str | None) -> bool:
    """Square's presence rules: everywhere unless absent here, or only where listed."""
    if location_id is None:
        return True
    if obj.get("present_at_all_locations", True):
        return location_id not in (obj.get("absent_at_location_ids") or [])
    return location_id in (obj.get("present_at_location_ids") or [])


def _override(data: dict[str, Any], location_id: str | None) -> dict[str, Any]:
    """The variation's ``location_overrides`` entry for the shop's location (empty when none)."""
    if location_id is None:
        return {}
    return next((o for o in data.get("location_overrides") or []
                 if isinstance(o, dict) and o.get("location_id") == location_id), {})


def parse_variation(obj: dict[str, Any], location_id: str | None = None,
                    mapper: Mapper | None = None) -> VariationValues:
    """A variation as the shop's location sells it: not there counts as gone, and a location price
    override wins over the variation's price."""
    data = obj.get("item_variation_data") or {}
    override = _override(data, location_id)
    money = override.get("price_money") or data.get("price_money") or {}
    amount = money.get("amount")
    if amount is not None and (not isinstance(amount, int) or amount < 0):
        raise MappingError(f"variation {obj.get('id')} has an invalid price {amount!r}")
    condition, media_grade, sleeve_grade = (mapper or default_mapper()).copy_of(obj)
    return VariationValues(
        ecs_id=str(obj["id"]),
        name=str(data.get("name") or "")[:255],
        sku=str(data.get("sku") or "")[:64],
        ordinal=int(data.get("ordinal") or 0),
        price_amount=amount,
        currency=str(money.get("currency") or "USD")[:3],
        ecs_version=int(obj.get("version") or 0),
        # A sold-out record stays listed ("Sold out", wishlists): it is not withdrawn.
        is_deleted=bool(obj.get("is_deleted")) or not present_at(obj, location_id),
        track_inventory=bool(override.get("track_inventory", data.get("track_inventory", True))),
        sold_out=bool(override.get("sold_out")),
        condition=condition, media_grade=media_grade, sleeve_grade=sleeve_grade,
    )


def sellable(obj: dict[str, Any], data: dict[str, Any], location_id: str | None,
             channel_id: str | None = None) -> bool:
    """Whether the shop may list the item at all: not archived, present at its location, not
    hidden from online sales (``ecom_visibility`` HIDDEN/UNAVAILABLE, where Square sends it), and —
    when the shop names its sales channel — on that channel where the item lists its ``channels``."""
    if data.get("is_archived"):
        return False
    channels = data.get("channels")
    if channel_id and isinstance(channels, list) and channels and channel_id not in channels:
        return False
    if str(data.get("ecom_visibility") or "").upper() in ("HIDDEN", "UNAVAILABLE"):
        return False
    return present_at(obj, location_id)


def parse_item(obj: dict[str, Any], location_id: str | None = None, mapper: Mapper | None = None, *,
               keep_raw: bool = True) -> ItemValues:
    """Map a Square ITEM object (with nested variations) to :class:`ItemValues`, as sold at
    ``location_id`` (None: every location), with the shop's field mapping (``mapper``; the
    storefront-keys preset when None). An item the shop may not sell there maps as deleted."""
    if obj.get("type") != "ITEM" or not obj.get("id"):
        raise MappingError(f"not an ITEM object: {obj.get('type')!r}")
    data = obj.get("item_data")
    if not isinstance(data, dict):
        raise MappingError(f"item {obj['id']} has no item_data")
    name = str(data.get("name") or "").strip()
    mapper = mapper or default_mapper()
    deleted = bool(obj.get("is_deleted")) or not sellable(obj, data, location_id, mapper.channel_id)
    if not name and not deleted:
        raise MappingError(f"item {obj['id']} has no name")
    fields = mapper.values(obj)
    variations = tuple(parse_variation(v, location_id, mapper) for v in data.get("variations") or []
                       if isinstance(v, dict) and v.get("id"))
    if not deleted and not any(not v.is_deleted for v in variations):
        if location_id is not None and any(not v.get("is_deleted") for v in data.get("variations") or []
                                           if isinstance(v, dict)):
            deleted = True  # every variation is absent here: not listed, not a failure
        else:
            raise MappingError(f"item {obj['id']} has no sellable variation")
    category_names = mapper.category_names(data)
    kind = "event" if any(n.lower() in EVENT_CATEGORY_NAMES for n in category_names) else "record"
    starts_at = parse_local_time(fields["starts_at"], mapper.timezone) if kind == "event" else None
    if starts_at is not None and starts_at < datetime.now(UTC):
        deleted = True  # a dated event that has happened is not listed
    return ItemValues(
        ecs_id=str(obj["id"]),
        name=name[:255],
        description=str(data.get("description_plaintext") or data.get("description") or ""),
        artist=fields["artist"],
        title=fields["title"],
        label=fields["label"],
        catalog_number=fields["catalog_number"],
        format=fields["format"],
        year=_year(fields["year"]),
        starts_at=starts_at,
        release_date=parse_date(fields["release_date"]) if kind == "record" else None,
        category_ids=mapper.genre_ids(data),
        ecs_version=int(obj.get("version") or 0),
        ecs_updated_at=parse_timestamp(obj.get("updated_at")),
        is_deleted=deleted,
        variations=variations,
        image_refs=_image_refs(data),
        barcode=fields["barcode"],
        media_grade=fields["media_grade"],
        sleeve_grade=fields["sleeve_grade"],
        kind=kind,
        raw=json.dumps(obj, separators=(",", ":"), ensure_ascii=False) if keep_raw and mapper.needs_object(obj) else "",
    )


def _image_refs(data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    refs = [(str(i), "") for i in data.get("image_ids") or [] if i]
    for variation in data.get("variations") or []:
        if isinstance(variation, dict) and not variation.get("is_deleted"):
            var_data = variation.get("item_variation_data") or {}
            refs.extend((str(i), str(variation.get("id"))) for i in var_data.get("image_ids") or [] if i)
    return tuple(dict.fromkeys(refs))


def image_urls(objects: Iterable[dict[str, Any]]) -> dict[str, str]:
    """image id → URL of the live IMAGE objects among ``objects`` (http(s) URLs only)."""
    urls: dict[str, str] = {}
    for obj in objects:
        if obj.get("type") != "IMAGE" or obj.get("is_deleted") or not obj.get("id"):
            continue
        url = str((obj.get("image_data") or {}).get("url") or "")
        if url.startswith(("https://", "http://")):
            urls[str(obj["id"])] = url[:2000]
    return urls


class MappedPage(NamedTuple):
    """A page of ITEM objects mapped to values: what a writer needs, small enough to pass between
    processes. ``seen_ids`` are every ITEM's id, ``failures`` the ones that could not be mapped."""

    seen_ids: list[str]
    items: list[ItemValues]
    failures: list[dict[str, str]]


def map_item_page(objects: Iterable[dict[str, Any]], location_id: str | None = None,
                  mapper: Mapper | None = None) -> MappedPage:
    """Map the ITEM objects of a page as sold at ``location_id`` with ``mapper`` (other types are
    skipped); a bad item becomes a failure."""
    page = MappedPage([], [], [])
    for obj in objects:
        if obj.get("type") != "ITEM":
            continue
        page.seen_ids.append(str(obj.get("id")))
        try:
            page.items.append(parse_item(obj, location_id, mapper))
        except (MappingError, KeyError, TypeError, ValueError) as exc:
            page.failures.append({"ecs_id": str(obj.get("id")), "reason": str(exc)[:300]})
    return page
