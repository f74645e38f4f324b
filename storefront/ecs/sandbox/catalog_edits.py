"""Catalog writes: each returns the new objects it published, all stamped with one version."""

from __future__ import annotations

from typing import Any

from storefront.ecs.sandbox.catalog_index import CatalogIndex
from storefront.ecs.sandbox.clock import rfc3339
from storefront.ecs.sandbox.demo_catalog import (
    CURRENCY,
    custom_attribute_values,
    image_object,
    item_object,
    seller_attribute_key,
    variation_object,
)
from storefront.ecs.sandbox.demo_seller import attribute_values, option_value_refs, seller_format
from storefront.ecs.sandbox.ids import catalog_id


class CatalogEditError(LookupError):
    """The object is missing, deleted or of the wrong type; ``field`` names the culprit."""

    def __init__(self, detail: str, field: str | None = None, *, not_found: bool = True) -> None:
        super().__init__(detail)
        self.detail, self.field, self.not_found = detail, field, not_found


def _stamped(obj: dict[str, Any], version: int, **changes: Any) -> dict[str, Any]:
    return {**obj, **changes, "version": version, "updated_at": rfc3339(version)}


def _live(index: CatalogIndex, obj_id: str, *types: str) -> dict[str, Any]:
    obj = index.get(obj_id)
    if obj is None or obj.get("is_deleted"):
        raise CatalogEditError(f"Object `{obj_id}` not found.", "object_id")
    if types and obj["type"] not in types:
        raise CatalogEditError(f"Object `{obj_id}` is a {obj['type']}, not {' or '.join(types)}.", "object_id",
                               not_found=False)
    return obj


def _with_variations(item: dict[str, Any], variations: list[dict[str, Any]], version: int,
                     **data_changes: Any) -> dict[str, Any]:
    data = {**item["item_data"], **data_changes, "variations": variations}
    return _stamped(item, version, item_data=data)


def set_price(index: CatalogIndex, obj_id: str, amount: int, version: int,
              currency: str = CURRENCY) -> list[dict[str, Any]]:
    """New price for a variation (or an item's first live variation); the parent item is re-versioned too."""
    obj = _live(index, obj_id, "ITEM", "ITEM_VARIATION")
    if obj["type"] == "ITEM":
        live = [v for v in obj["item_data"].get("variations") or [] if not v.get("is_deleted")]
        if not live:
            raise CatalogEditError(f"Item `{obj_id}` has no variations.", "object_id", not_found=False)
        obj = live[0]
    item = _live(index, obj["item_variation_data"]["item_id"], "ITEM")
    data = {**obj["item_variation_data"], "price_money": {"amount": amount, "currency": currency},
            "pricing_type": "FIXED_PRICING"}
    variation = _stamped(obj, version, item_variation_data=data)
    variations = [variation if v["id"] == variation["id"] else v for v in item["item_data"]["variations"]]
    new_item = _with_variations(item, variations, version)
    index.put(variation)
    index.put(new_item)
    return [variation, new_item]


def delete_object(index: CatalogIndex, obj_id: str, version: int) -> list[dict[str, Any]]:
    """Delete an object; items take their variations with them (options their values), categories
    leave their items."""
    obj = _live(index, obj_id)
    changed: list[dict[str, Any]] = []
    if obj["type"] == "ITEM":
        for variation in obj["item_data"].get("variations") or []:
            changed.append(_stamped(variation, version, is_deleted=True))
        changed.append(_stamped(obj, version, is_deleted=True))
    elif obj["type"] == "ITEM_VARIATION":
        changed.append(_stamped(obj, version, is_deleted=True))
        item = index.get(obj["item_variation_data"].get("item_id", ""))
        if item is not None and not item.get("is_deleted"):
            remaining = [v for v in item["item_data"]["variations"] if v["id"] != obj_id]
            changed.append(_with_variations(item, remaining, version))
    elif obj["type"] == "ITEM_OPTION":  # its values are its children, as an item's variations are
        for value in obj["item_option_data"].get("values") or []:
            if not (index.get(value["id"]) or {}).get("is_deleted", True):
                changed.append(_stamped(index.get(value["id"]) or value, version, is_deleted=True))
        changed.append(_stamped(obj, version, is_deleted=True))
    elif obj["type"] == "ITEM_OPTION_VAL":
        changed.append(_stamped(obj, version, is_deleted=True))
        option = index.get(obj["item_option_value_data"].get("item_option_id", ""))
        if option is not None and not option.get("is_deleted"):
            data = option["item_option_data"]
            remaining = [v for v in data.get("values") or [] if v["id"] != obj_id]
            changed.append(_stamped(option, version, item_option_data={**data, "values": remaining}))
    else:
        changed.append(_stamped(obj, version, is_deleted=True))
        if obj["type"] == "CATEGORY":
            changed.extend(_without_category(index, obj_id, version))
    index.put_many(changed)
    return changed


def _without_category(index: CatalogIndex, category_id: str, version: int) -> list[dict[str, Any]]:
    changed = []
    for item in list(index.objects.values()):
        if item["type"] != "ITEM" or item.get("is_deleted"):
            continue
        cats = item["item_data"].get("categories") or []
        if not any(c.get("id") == category_id for c in cats):
            continue
        data = {**item["item_data"], "categories": [c for c in cats if c.get("id") != category_id]}
        if (data.get("reporting_category") or {}).get("id") == category_id:
            data.pop("reporting_category")
        changed.append(_stamped(item, version, item_data=data))
    return changed


def corrupt_item(index: CatalogIndex, item_id: str, version: int) -> list[dict[str, Any]]:
    """Sandbox-only: blank an item's name (Square never allows that) so importers must reject it."""
    item = _live(index, item_id, "ITEM")
    new_item = _stamped(item, version, item_data={**item["item_data"], "name": ""})
    index.put(new_item)
    return [new_item]


def definition_ids(index: CatalogIndex) -> dict[str, str]:
    """Custom attribute definition ids by key."""
    return {key: obj["id"] for key, obj in definitions(index).items()}


def definitions(index: CatalogIndex) -> dict[str, dict[str, Any]]:
    """Live custom attribute definitions by key."""
    page = index.walk(["CUSTOM_ATTRIBUTE_DEFINITION"], limit=10_000)
    return {o["custom_attribute_definition_data"]["key"]: o for o in page.objects
            if o["custom_attribute_definition_data"].get("key")}


def item_options(index: CatalogIndex) -> dict[str, dict[str, Any]]:
    """Live item options by name."""
    return {o["item_option_data"]["name"]: o for o in index.walk(["ITEM_OPTION"], limit=10_000).objects}


# The control API's record fields → the seller shape's custom attribute keys (demo_catalog.SELLER_DEFINITIONS).
SELLER_ATTRIBUTE_OF = {"label": "record_label", "catalog_number": "catalog_no", "year": "release_year"}


def _seller_attributes(index: CatalogIndex, spec: dict[str, Any]) -> dict[str, Any]:
    pairs = {SELLER_ATTRIBUTE_OF[k]: spec[k] for k in SELLER_ATTRIBUTE_OF if k in spec}
    try:
        return attribute_values(definitions(index), pairs)
    except ValueError as exc:
        raise CatalogEditError(str(exc), "custom_attribute_values", not_found=False) from None


def _as_copy(variation: dict[str, Any], options: dict[str, dict[str, Any]], fmt: str,
             condition: str) -> dict[str, Any]:
    """A variation as the seller's Format/Condition copy ("LP, New") when both are option values."""
    fmt = seller_format(fmt)
    refs = option_value_refs(options, {"Format": fmt, "Condition": condition})
    if refs is None:
        return variation
    data = {**variation["item_variation_data"], "name": f"{fmt}, {condition}", "item_option_values": refs}
    return {**variation, "item_variation_data": data}


def _seller_item(index: CatalogIndex, item: dict[str, Any], specs: list[dict[str, Any]],
                 spec: dict[str, Any]) -> dict[str, Any]:
    """A new item in the seller's structure: its records' variations are Format/Condition copies,
    label, catalog number and year are the seller's own attributes."""
    options = item_options(index)
    variations = [_as_copy(v, options, str(option.get("name") or ""), str(option.get("condition") or "New"))
                  for v, option in zip(item["item_data"]["variations"], specs, strict=True)]
    data = {**item["item_data"], "variations": variations}
    if any(v["item_variation_data"].get("item_option_values") for v in variations):
        data["item_options"] = [{"item_option_id": options[name]["id"]} for name in ("Format", "Condition")]
    new_item = {k: v for k, v in item.items() if k != "custom_attribute_values"}
    new_item["item_data"] = data
    attributes = _seller_attributes(index, spec)
    if attributes:
        new_item["custom_attribute_values"] = attributes
    return new_item


def category_id(index: CatalogIndex, name_or_id: str) -> str:
    """A live category's id from its id or (case-insensitive) name."""
    obj = index.get(name_or_id)
    if obj is not None and obj["type"] == "CATEGORY" and not obj.get("is_deleted"):
        return name_or_id
    for category in index.walk(["CATEGORY"], limit=10_000).objects:
        if category["category_data"].get("name", "").lower() == name_or_id.lower():
            return category["id"]
    raise CatalogEditError(f"Category `{name_or_id}` not found.", "categories")


def create_item(index: CatalogIndex, spec: dict[str, Any], version: int, *,
                shape: str = "legacy") -> list[dict[str, Any]]:
    """A new item from a control-API spec: name (or artist + title), variations or a single price.

    In the ``"seller"`` shape it is written as a record shop keeps it: named "Artist - Title", a
    record's variations Format/Condition copies (``condition`` per variation, "New" by default),
    label, catalog number and year in the seller's own custom attributes.
    """
    artist, title = str(spec.get("artist") or ""), str(spec.get("title") or "")
    dash = " - " if shape == "seller" else " — "
    name = str(spec.get("name") or (f"{artist}{dash}{title}" if artist and title else title or artist))
    if not name:
        raise CatalogEditError("Give the item a name (or an artist and a title).", "name", not_found=False)
    stamp = rfc3339(version)
    item_id = catalog_id()
    options = spec.get("variations") or [{"name": spec.get("format") or "Regular", "amount": spec.get("amount"),
                                          "sku": spec.get("sku") or spec.get("catalog_number") or ""}]
    variations = []
    for ordinal, option in enumerate(options, start=1):
        amount = option.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise CatalogEditError("Each variation needs an integer `amount` in cents.", "amount", not_found=False)
        variations.append(variation_object(catalog_id(), item_id, str(option.get("name") or "Regular"),
                                           str(option.get("sku") or ""), ordinal, amount, stamp, version,
                                           track_inventory=bool(option.get("track_inventory", True))))
    categories = [category_id(index, str(c)) for c in spec.get("categories") or []]
    values = {k: spec[k] for k in ("artist", "title", "label", "catalog_number", "format", "year") if spec.get(k)}
    attributes = custom_attribute_values(definition_ids(index), values) if values and shape != "seller" else None
    item = item_object(item_id, name, str(spec.get("description") or ""), categories, variations, stamp, version,
                       attributes)
    if shape == "seller":
        item = _seller_item(index, item, options, {k: v for k, v in spec.items() if v not in (None, "")})
        variations = item["item_data"]["variations"]
    index.put_many([*variations, item])
    return [item, *variations]


def update_item(index: CatalogIndex, item_id: str, spec: dict[str, Any], version: int, *,
                shape: str = "legacy") -> list[dict[str, Any]]:
    """Change an item's name, description, categories, custom attribute values, archived flag or
    location presence (``present_at_all_locations``, ``present_at_location_ids``, ``absent_at_location_ids``).

    In the ``"seller"`` shape artist and title are the two halves of the name ("Artist - Title"),
    label, catalog number and year the seller's attributes, and ``format`` the first copy's Format.
    """
    item = _live(index, item_id, "ITEM")
    if shape == "seller":
        return _update_seller_item(index, item, spec, version)
    data = dict(item["item_data"])
    if "name" in spec:
        data["name"] = str(spec["name"])
    if "description" in spec:
        data["description"] = data["description_plaintext"] = str(spec["description"])
    if "categories" in spec:
        ids = [category_id(index, str(c)) for c in spec["categories"] or []]
        data["categories"] = [{"id": cid, "ordinal": 0} for cid in ids]
        data.pop("reporting_category", None)
        if ids:
            data["reporting_category"] = {"id": ids[0], "ordinal": 0}
    if "is_archived" in spec:
        data["is_archived"] = bool(spec["is_archived"])
    changes: dict[str, Any] = {"item_data": data}
    for key in ("present_at_all_locations", "present_at_location_ids", "absent_at_location_ids"):
        if key in spec:  # Square's presence fields, on the item object itself
            changes[key] = bool(spec[key]) if key == "present_at_all_locations" else [str(x) for x in spec[key]]
    values = {k: spec[k] for k in ("artist", "title", "label", "catalog_number", "format", "year") if k in spec}
    if values:
        attributes = dict(item.get("custom_attribute_values") or {})
        attributes.update(custom_attribute_values(definition_ids(index), values))
        changes["custom_attribute_values"] = attributes
    new_item = _stamped(item, version, **changes)
    index.put(new_item)
    return [new_item]


def _update_seller_item(index: CatalogIndex, item: dict[str, Any], spec: dict[str, Any],
                        version: int) -> list[dict[str, Any]]:
    spec = dict(spec)
    record = {k: spec.pop(k) for k in ("artist", "title", "label", "catalog_number", "format", "year") if k in spec}
    [updated] = update_item(index, item["id"], spec, version)
    data = dict(updated["item_data"])
    if "artist" in record or "title" in record:
        artist, _, title = data["name"].partition(" - ")
        data["name"] = f"{record.get('artist', artist)} - {record.get('title', title)}"
    changed: list[dict[str, Any]] = []
    variations = data.get("variations") or []
    if record.get("format") and variations:
        refs = variations[0]["item_variation_data"].get("item_option_values") or []
        conditions = {v["item_option_value_data"]["name"]: v["id"]
                      for v in item_options(index).get("Condition", {}).get("item_option_data", {}).get("values", [])}
        condition = next((name for name, vid in conditions.items()
                          if any(r["item_option_value_id"] == vid for r in refs)), "New")
        first = _as_copy(variations[0], item_options(index), str(record["format"]), condition)
        first = _stamped(first, version)
        data["variations"] = [first, *variations[1:]]
        changed.append(first)
    attributes = dict(updated.get("custom_attribute_values") or {})
    attributes.update(_seller_attributes(index, {k: v for k, v in record.items() if v not in (None, "")}))
    for field, key in SELLER_ATTRIBUTE_OF.items():
        if field in record and record[field] in (None, ""):
            attributes.pop(seller_attribute_key(key), None)
    new_item = {k: v for k, v in updated.items() if k != "custom_attribute_values"}
    new_item["item_data"] = data
    if attributes:
        new_item["custom_attribute_values"] = attributes
    index.put_many([*changed, new_item])
    return [new_item, *changed]


def set_image(index: CatalogIndex, item_id: str, spec: dict[str, Any], version: int) -> list[dict[str, Any]]:
    """A new CatalogImage for an item (or, with ``variation_id``, one of its variations).

    It replaces the first image unless ``append`` is set; ``url`` points it somewhere else than the
    sandbox's generated sleeve. The item (and the variation) is re-versioned with the new image ids.
    """
    item = _live(index, item_id, "ITEM")
    attrs = {a.get("key"): a.get("string_value") for a in (item.get("custom_attribute_values") or {}).values()}
    name = item["item_data"].get("name") or ""
    dash = " — " if " — " in name else " - "  # legacy "Artist — Title", the seller's "Artist - Title"
    artist = str(attrs.get("artist") or name.partition(dash)[0])
    title = str(spec.get("title") or attrs.get("title") or name.partition(dash)[2] or name)
    url = spec.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise CatalogEditError("`url` must be an http(s) URL.", "url", not_found=False)
    image = image_object(catalog_id(), artist, title, rfc3339(version), version, url)

    def new_ids(ids: list[str]) -> list[str]:
        return [*ids, image["id"]] if spec.get("append") else [image["id"], *ids[1:]]

    variations = item["item_data"].get("variations") or []
    variation_id = spec.get("variation_id")
    if variation_id is None:
        new_item = _stamped(item, version, item_data={**item["item_data"],
                                                      "image_ids": new_ids(item["item_data"].get("image_ids") or [])})
        index.put_many([image, new_item])
        return [image, new_item]
    variation = next((v for v in variations if v["id"] == variation_id and not v.get("is_deleted")), None)
    if variation is None:
        raise CatalogEditError(f"Item `{item_id}` has no variation `{variation_id}`.", "variation_id")
    data = {**variation["item_variation_data"], "image_ids": new_ids(variation["item_variation_data"].get("image_ids")
                                                                     or [])}
    new_variation = _stamped(variation, version, item_variation_data=data)
    new_item = _with_variations(item, [new_variation if v["id"] == variation_id else v for v in variations], version)
    index.put_many([image, new_variation, new_item])
    return [image, new_item, new_variation]


def attach_image(index: CatalogIndex, image: dict[str, Any], object_id: str | None, version: int, *,
                 primary: bool) -> list[dict[str, Any]]:
    """CreateCatalogImage's write: the IMAGE object, attached to an item or a variation when
    ``object_id`` is given (first image with ``primary``, else appended), as one new version."""
    if object_id is None:
        index.put_many([image])
        return [image]
    target = index.get(object_id)
    if target is None or target.get("is_deleted") or target["type"] not in ("ITEM", "ITEM_VARIATION"):
        raise CatalogEditError(f"Object `{object_id}` not found.", "object_id")

    def new_ids(ids: list[str]) -> list[str]:
        return [image["id"], *ids[1:]] if primary else [*ids, image["id"]]

    if target["type"] == "ITEM":
        ids = new_ids(target["item_data"].get("image_ids") or [])
        new_item = _stamped(target, version, item_data={**target["item_data"], "image_ids": ids})
        index.put_many([image, new_item])
        return [image, new_item]
    data = {**target["item_variation_data"],
            "image_ids": new_ids(target["item_variation_data"].get("image_ids") or [])}
    new_variation = _stamped(target, version, item_variation_data=data)
    item = _live(index, str(data["item_id"]), "ITEM")
    variations = item["item_data"].get("variations") or []
    new_item = _with_variations(item, [new_variation if v["id"] == object_id else v for v in variations], version)
    index.put_many([image, new_variation, new_item])
    return [image, new_item, new_variation]


def set_sold_out(index: CatalogIndex, variation_id: str, location_id: str, sold_out: bool,
                 version: int) -> list[dict[str, Any]]:
    """Mark a variation sold out at a location (``location_overrides[].sold_out``) or clear the mark.

    Square sets ``sold_out`` itself when a tracked variation's count reaches zero and clears it on
    restock; ``sold_out_valid_until`` is the seller's (a manual mark) and is left alone. Returns the
    re-versioned variation and its item, or nothing when the mark is already as asked.
    """
    variation = _live(index, variation_id, "ITEM_VARIATION")
    data = variation["item_variation_data"]
    overrides = [dict(o) for o in data.get("location_overrides") or []]
    mine = next((o for o in overrides if o.get("location_id") == location_id), None)
    if bool(mine and mine.get("sold_out")) == sold_out:
        return []
    if mine is None:
        overrides.append({"location_id": location_id, "sold_out": True})
    elif sold_out:
        mine["sold_out"] = True
    else:
        mine.pop("sold_out", None)
        if set(mine) == {"location_id"}:
            overrides.remove(mine)
    new_data = {k: v for k, v in data.items() if k != "location_overrides"}
    if overrides:
        new_data["location_overrides"] = overrides
    new_variation = _stamped(variation, version, item_variation_data=new_data)
    changed = [new_variation]
    item = index.get(data.get("item_id", ""))
    if item is not None and not item.get("is_deleted"):
        variations = [new_variation if v["id"] == variation_id else v for v in item["item_data"]["variations"]]
        changed.append(_with_variations(item, variations, version))
    index.put_many(changed)
    return changed
