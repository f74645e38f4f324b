"""The demo catalog as a real record shop keeps it in Square (the "seller" shape).

The same invented releases as :mod:`demo_catalog` (the "legacy" shape, which used this project's
own convenience attributes keyed ``artist``/``title``/…), reshaped the way a seller builds them in
the Square Dashboard (the vocabulary is ``demo_catalog.SELLER_*``):

* items named "Artist - Title", nothing else naming artist or title;
* item options **Format** (LP, 2LP, 7", 12", CD, Cassette) and **Condition** (New, Used); each
  variation names its option values ("LP, New") — some releases have a used copy besides the new ones;
* the seller's own custom attribute definitions: "Record label" and "Catalog no." (STRING),
  "Release year" (NUMBER), "Pressing" (SELECTION) on items; "Media grade" and "Sleeve grade"
  (SELECTION, Goldmine scale) on used copies; "Event date" on dated events, "Release date" on a few
  pre-orders. Values are keyed as Square keys another application's definitions: ``"Square:<key>"``;
* nested categories: "Music" with a sub-category per genre, "Events" (the legacy event-space items
  and dated events), "Merch";
* three locations (the shop, a warehouse, a record-fair pop-up): a few items only at the warehouse
  or absent from the shop, a few shop price overrides, back stock counted at the other locations;
  a few archived items; merch whose stock Square does not count; every record variation with a UPC
  and a SKU; NY sales tax on everything sold.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from storefront.ecs.sandbox.clock import rfc3339
from storefront.ecs.sandbox.demo_catalog import (
    SELLER_CONDITIONS,
    SELLER_DEFINITIONS,
    SELLER_EVENTS_CATEGORY,
    SELLER_FORMATS,
    SELLER_GRADES,
    SELLER_MERCH_CATEGORY,
    SELLER_MUSIC_CATEGORY,
    SELLER_OPTIONS,
    SELLER_POPUP_ID,
    SELLER_PRESSINGS,
    SELLER_SLEEVE_GRADES,
    SELLER_TAX,
    SELLER_WAREHOUSE_ID,
    DemoCatalog,
    image_object,
    seller_attribute_key,
)
from storefront.ecs.sandbox.ids import catalog_id

WAREHOUSE_ID, POPUP_ID = SELLER_WAREHOUSE_ID, SELLER_POPUP_ID
GRADES, SLEEVE_GRADES, PRESSINGS = SELLER_GRADES, SELLER_SLEEVE_GRADES, SELLER_PRESSINGS
# The legacy shape's format names that a seller spells differently in the Format option.
FORMAT_OF_LEGACY = {"2xLP": "2LP"}
VINYL = frozenset({"LP", "2LP", '7"', '12"'})
PREORDER_EVERY = 9  # one record in nine (among the first few dozen) is not out yet: a pre-order
# Dated events in the shop (days from today, time, seats, ticket price); the first has already happened.
DATED_EVENTS = (
    ("Listening session", -6, "19:30", 30, 1500),
    ("Listening session", 3, "19:30", 30, 1500),
    ("Album launch", 10, "20:00", 60, 1000),
    ("Crate diggers' Sunday", 17, "12:00", 40, 500),
    ("DJ night", 24, "21:00", 80, 1200),
)
MERCH = (("Groove Cellar tote bag", 1800), ("Anti-static slipmat", 1200), ("Record cleaning kit", 2400))
# Of every PLACE_EVERY items, the one at each position is kept away from the shop or archived.
PLACE_EVERY, WAREHOUSE_ONLY_AT, ABSENT_AT, ARCHIVED_AT = 37, 5, 13, 21
_SALT = 0x5E11E2
SELLER_DEFINITIONS_BY_KEY = {definition[0]: definition for definition in SELLER_DEFINITIONS}


def _envelope(kind: str, obj_id: str, stamp: str, version: int, data_key: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "id": obj_id, "updated_at": stamp, "version": version, "is_deleted": False,
            "present_at_all_locations": True, data_key: data}


def upc(rng: random.Random) -> str:
    """A UPC-A: 11 digits and the check digit."""
    digits = f"{int(rng.random() * 100_000_000_000):011d}"
    odd, even = sum(map(int, digits[0::2])), sum(map(int, digits[1::2]))
    return f"{digits}{(10 - (odd * 3 + even) % 10) % 10}"


def seller_format(name: str) -> str:
    """A format as the seller's Format option spells it ("2xLP" is "2LP")."""
    return FORMAT_OF_LEGACY.get(name, name)


def attribute_value(definition: dict[str, Any], raw: Any) -> dict[str, Any]:
    """The CatalogCustomAttributeValue of a seller-defined (Dashboard) attribute: ``definition`` is its
    CUSTOM_ATTRIBUTE_DEFINITION object, ``raw`` a string, a number or a selection's name."""
    data = definition["custom_attribute_definition_data"]
    kind = data["type"]
    value: dict[str, Any] = {"name": data["name"], "custom_attribute_definition_id": definition["id"], "type": kind,
                             "key": seller_attribute_key(data["key"])}
    if kind == "SELECTION":
        uids = {s["name"]: s["uid"] for s in (data.get("selection_config") or {}).get("allowed_selections") or []}
        if str(raw) not in uids:
            raise ValueError(f"{raw!r} is not one of the {data['name']!r} selections")
        value["selection_uid_values"] = [uids[str(raw)]]
    elif kind == "NUMBER":
        value["number_value"] = str(raw)
    else:
        value["string_value"] = str(raw)
    return value


def attribute_values(definitions: dict[str, dict[str, Any]], pairs: dict[str, Any]) -> dict[str, Any]:
    """``custom_attribute_values`` for key → raw value pairs (empty values and unknown keys skipped);
    ``definitions`` are the CUSTOM_ATTRIBUTE_DEFINITION objects by key."""
    return {seller_attribute_key(key): attribute_value(definitions[key], raw) for key, raw in pairs.items()
            if raw not in (None, "") and key in definitions}


def option_value_refs(options: dict[str, dict[str, Any]], values: dict[str, str]) -> list[dict[str, str]] | None:
    """``item_option_values`` for option name → value name (``options``: ITEM_OPTION objects by name),
    or None if one of them is not among the options' values."""
    refs = []
    for option_name, value_name in values.items():
        option = options.get(option_name)
        value_id = next((v["id"] for v in ((option or {}).get("item_option_data") or {}).get("values") or []
                         if v["item_option_value_data"]["name"] == value_name), None)
        if option is None or value_id is None:
            return None
        refs.append({"item_option_id": option["id"], "item_option_value_id": value_id})
    return refs


class _Vocabulary:
    """The options, definitions, categories and tax of the seller's catalog."""

    def __init__(self, stamp: str, version: int, rng: random.Random) -> None:
        self.objects: list[dict[str, Any]] = []
        self.options: dict[str, dict[str, Any]] = {}
        for option, values in SELLER_OPTIONS.items():
            option_id = catalog_id(rng)
            entries = [_envelope("ITEM_OPTION_VAL", catalog_id(rng), stamp, version, "item_option_value_data",
                                 {"item_option_id": option_id, "name": value, "ordinal": ordinal})
                       for ordinal, value in enumerate(values)]
            self.options[option] = _envelope("ITEM_OPTION", option_id, stamp, version, "item_option_data", {
                "name": option, "display_name": option, "show_colors": False, "values": entries})
            self.objects.extend([self.options[option], *entries])
        self.refs = {(option, value["item_option_value_data"]["name"]): {
            "item_option_id": obj["id"], "item_option_value_id": value["id"]}
            for option, obj in self.options.items() for value in obj["item_option_data"]["values"]}
        self.definitions: dict[str, dict[str, Any]] = {}
        for key, name, kind, types, selections in SELLER_DEFINITIONS:
            data: dict[str, Any] = {"type": kind, "name": name, "key": key, "allowed_object_types": list(types),
                                    "seller_visibility": "SELLER_VISIBILITY_READ_WRITE_VALUES",
                                    "app_visibility": "APP_VISIBILITY_READ_ONLY",
                                    "source_application": {"name": "Square Dashboard"}}
            if kind == "SELECTION":
                data["selection_config"] = {"max_allowed_selections": 1, "allowed_selections": [
                    {"uid": f"{key}-{i}", "name": s} for i, s in enumerate(selections)]}
            elif kind == "NUMBER":
                data["number_config"] = {"precision": 0}
            self.definitions[key] = _envelope("CUSTOM_ATTRIBUTE_DEFINITION", catalog_id(rng), stamp, version,
                                              "custom_attribute_definition_data", data)
        self.objects.extend(self.definitions.values())
        self.templates: dict[str, tuple[str, dict[str, Any], str, dict[str, str]]] = {}
        for key, definition in self.definitions.items():
            sample = attribute_value(definition, "0" if definition["custom_attribute_definition_data"]["type"]
                                     != "SELECTION" else SELLER_DEFINITIONS_BY_KEY[key][4][0])
            field = next(k for k in ("selection_uid_values", "number_value", "string_value") if k in sample)
            base = {k: v for k, v in sample.items() if k != field}
            config = definition["custom_attribute_definition_data"].get("selection_config") or {}
            uids = {s["name"]: s["uid"] for s in config.get("allowed_selections") or []}
            self.templates[key] = (seller_attribute_key(key), base, field, uids)
        self.music_id, self.merch_id, self.tax_id = catalog_id(rng), catalog_id(rng), catalog_id(rng)
        for cat_id, name in ((self.music_id, SELLER_MUSIC_CATEGORY), (self.merch_id, SELLER_MERCH_CATEGORY)):
            self.objects.append(_envelope("CATEGORY", cat_id, stamp, version, "category_data", {
                "name": name, "category_type": "REGULAR_CATEGORY", "is_top_level": True}))
        tax_name, percentage = SELLER_TAX
        self.objects.append(_envelope("TAX", self.tax_id, stamp, version, "tax_data", {
            "name": tax_name, "calculation_phase": "TAX_SUBTOTAL_PHASE", "inclusion_type": "ADDITIVE",
            "percentage": percentage, "applies_to_custom_amounts": True, "enabled": True}))

    def attributes(self, pairs: dict[str, Any]) -> dict[str, Any]:
        """Like :func:`attribute_values`, from prepared templates (this runs for every item)."""
        result = {}
        for key, raw in pairs.items():
            if raw is None or raw == "":
                continue
            map_key, base, field, uids = self.templates[key]
            result[map_key] = {**base, field: [uids[raw]] if uids else str(raw)}
        return result

    def option_values(self, fmt: str, condition: str) -> list[dict[str, str]]:
        return [self.refs[("Format", fmt)], self.refs[("Condition", condition)]]


class _Shaper:
    """Reshapes the legacy demo's objects one by one (shared state: the generator, stock, locations)."""

    def __init__(self, demo: DemoCatalog, seed: int, main_location: str) -> None:
        self.rng = random.Random(seed ^ _SALT)
        self.random = self.rng.random
        self.version, self.stamp = demo.version, rfc3339(demo.version)
        self.vocab = _Vocabulary(self.stamp, self.version, self.rng)
        self.main = main_location
        self.stock = dict(demo.stock)
        self.other: dict[str, dict[str, int]] = {WAREHOUSE_ID: {}, POPUP_ID: {}}
        self.event_category: str | None = None


def seller_shape(demo: DemoCatalog, seed: int, main_location: str) -> DemoCatalog:
    """``demo`` (the legacy shape) as a seller keeps it in Square; deterministic per seed (the dated
    events and pre-orders are dated from today)."""
    shaper = _Shaper(demo, seed, main_location)
    vocab = shaper.vocab
    legacy_items = [o for o in demo.objects if o["type"] == "ITEM"]
    categories = {o["id"]: o for o in demo.objects if o["type"] == "CATEGORY"}
    shaper.event_category = next((cid for cid, o in categories.items()
                                  if o["category_data"]["name"].lower() in ("event space", "events")), None)
    # Merch and the dated events first: the first items are what a field mapping is detected from.
    out: list[dict[str, Any]] = [*vocab.objects, *_merch(shaper)]
    for ordinal, (cat_id, category) in enumerate(categories.items()):
        data = dict(category["category_data"])
        if cat_id == shaper.event_category:
            data.update(name=SELLER_EVENTS_CATEGORY, is_top_level=True)
        else:
            data.update(parent_category={"id": vocab.music_id, "ordinal": ordinal}, root_category=vocab.music_id,
                        is_top_level=False)
        out.append({**category, "category_data": data})
    if shaper.event_category is not None:
        out.extend(_dated_events(shaper, legacy_items))
    number = 0
    for obj in demo.objects:
        if obj["type"] == "ITEM":
            number += 1
            reshaped = _reshape(obj, shaper, number)
            item = reshaped[-1]
            if number <= 45 and number % PREORDER_EVERY == 0 and item.get("custom_attribute_values"):
                released = date.today() + timedelta(days=14 + 7 * (number // PREORDER_EVERY))
                item["custom_attribute_values"].update(vocab.attributes({"release_date": released.isoformat()}))
            out.extend(reshaped)
        elif obj["type"] == "IMAGE":
            out.append(obj)
    return DemoCatalog(out, shaper.stock, demo.version, {k: v for k, v in shaper.other.items() if v})


def _legacy_values(item: dict[str, Any]) -> dict[str, Any]:
    values = item.get("custom_attribute_values") or {}
    return {key: (values.get(key) or {}).get("string_value") or (values.get(key) or {}).get("number_value")
            for key in ("artist", "title", "label", "catalog_number", "format", "year")}


def _event_copy(data: dict[str, Any], item: dict[str, Any], shaper: _Shaper) -> list[dict[str, Any]]:
    """An event-space item as the seller keeps it: no capacity in the copy (the room's size is the
    shop's one setting, EVENT_SPACE_CAPACITY), a picture of the room. Returns the new image, if any."""
    for key in ("description", "description_plaintext"):
        if data.get(key):
            data[key] = data[key].replace(" for up to 80 guests", "")
    if data.get("image_ids"):
        return []
    room = image_object(catalog_id(shaper.rng), "The room downstairs", data["name"], item["updated_at"],
                        item["version"])
    data["image_ids"] = [room["id"]]
    return [room]


def _reshape(item: dict[str, Any], shaper: _Shaper, number: int) -> list[dict[str, Any]]:
    data = dict(item["item_data"])
    if any(c.get("id") == shaper.event_category for c in data.get("categories") or []):
        room = _event_copy(data, item, shaper)
        return [*room, *data.get("variations", []), {**item, "item_data": data}]
    vocab, legacy = shaper.vocab, _legacy_values(item)
    formats = {seller_format(v["item_variation_data"]["name"]) for v in data.get("variations") or []}
    if not formats & VINYL:  # a CD or a tape is not "pressed on vinyl"
        for key in ("description", "description_plaintext"):
            if data.get(key):
                data[key] = data[key].replace("Pressed on heavyweight vinyl with the original artwork.",
                                              "With the original artwork and liner notes.")
    if legacy["artist"] and legacy["title"]:
        data["name"] = f"{legacy['artist']} - {legacy['title']}"
    year = legacy["year"]
    attributes = vocab.attributes({
        "record_label": legacy["label"], "catalog_no": legacy["catalog_number"],
        "release_year": int(float(year)) if year else None,
        "pressing": PRESSINGS[0] if shaper.random() < 0.6 else PRESSINGS[1 + int(shaper.random() * 2)]})
    variations = [_new_copy(variation, shaper) for variation in data.get("variations") or []]
    lp = next((v for v in variations if v["item_variation_data"]["name"].startswith("LP")), None)
    if lp is not None and shaper.random() < 0.25:
        variations.append(_used_copy(lp, shaper, len(variations) + 1))
    data.update(variations=variations, item_options=[{"item_option_id": o["id"]} for o in vocab.options.values()],
                tax_ids=[vocab.tax_id])
    reshaped = {k: v for k, v in item.items() if k != "custom_attribute_values"}
    reshaped["item_data"] = data
    if attributes:
        reshaped["custom_attribute_values"] = attributes
    _place(reshaped, [v["id"] for v in variations], shaper, number % PLACE_EVERY)
    return [*variations, reshaped]


def _place(item: dict[str, Any], variation_ids: list[str], shaper: _Shaper, position: int) -> None:
    """Where the seller keeps the record: mostly everywhere (some back stock at the warehouse, some
    copies at the pop-up); one in ``PLACE_EVERY`` only at the warehouse, one everywhere but the shop,
    one archived (by position, so that every seed has a few of each)."""
    stock, warehouse, popup = shaper.stock, shaper.other[WAREHOUSE_ID], shaper.other[POPUP_ID]
    roll = shaper.random()
    if position == WAREHOUSE_ONLY_AT:  # kept at the warehouse only: not for sale in the shop, counted there
        item.update(present_at_all_locations=False, present_at_location_ids=[WAREHOUSE_ID])
        for var_id in variation_ids:
            warehouse[var_id] = stock.pop(var_id, 0) + 1
    elif position == ABSENT_AT:  # everywhere but the shop: the copies are at the pop-up
        item["absent_at_location_ids"] = [shaper.main]
        for var_id in variation_ids:
            popup[var_id] = stock.pop(var_id, 0) + 1
    elif position == ARCHIVED_AT:
        item["item_data"]["is_archived"] = True
    elif roll < 0.1:  # back stock at the warehouse
        warehouse[variation_ids[0]] = 2 + int(shaper.random() * 19)
    elif roll < 0.15:  # a couple taken to the record fair
        popup[variation_ids[0]] = 1 + int(shaper.random() * 2)


def _new_copy(variation: dict[str, Any], shaper: _Shaper) -> dict[str, Any]:
    vdata = dict(variation["item_variation_data"])
    fmt = seller_format(vdata["name"])
    vdata.update(name=f"{fmt}, New", upc=upc(shaper.rng), item_option_values=shaper.vocab.option_values(fmt, "New"))
    if shaper.random() < 0.05:  # the shop sells this one cheaper than the list price
        price = vdata["price_money"]
        vdata["location_overrides"] = [{"location_id": shaper.main, "price_money": {
            "amount": max(99, price["amount"] - 300), "currency": price["currency"]}}]
    return {**variation, "item_variation_data": vdata}


def _used_copy(new: dict[str, Any], shaper: _Shaper, ordinal: int) -> dict[str, Any]:
    vdata = dict(new["item_variation_data"])
    price = vdata["price_money"]
    var_id = catalog_id(shaper.rng)
    used = {**new, "id": var_id, "item_variation_data": {
        **{k: v for k, v in vdata.items() if k != "location_overrides"},
        "name": "LP, Used", "ordinal": ordinal, "sku": f"{vdata.get('sku') or 'USED'}-U", "upc": upc(shaper.rng),
        "price_money": {"amount": max(500, int(price["amount"] * 0.55) // 100 * 100 + 99),
                        "currency": price["currency"]},
        "item_option_values": shaper.vocab.option_values("LP", "Used")},
        "custom_attribute_values": shaper.vocab.attributes({
            "media_grade": GRADES[1 + int(shaper.random() * 4)],
            "sleeve_grade": SLEEVE_GRADES[1 + int(shaper.random() * 5)]})}
    shaper.stock[var_id] = 1
    return used


def _merch(shaper: _Shaper) -> list[dict[str, Any]]:
    """A few merch items whose stock Square does not count (``track_inventory: false``)."""
    vocab, stamp, version = shaper.vocab, shaper.stamp, shaper.version
    objects = []
    for number, (name, amount) in enumerate(MERCH):
        item_id, var_id = catalog_id(shaper.rng), catalog_id(shaper.rng)
        variation = _envelope("ITEM_VARIATION", var_id, stamp, version, "item_variation_data", {
            "item_id": item_id, "name": "Regular", "ordinal": 1, "pricing_type": "FIXED_PRICING",
            "price_money": {"amount": amount, "currency": "USD"}, "track_inventory": False,
            "sellable": True, "stockable": True, "upc": upc(shaper.rng), "sku": f"MERCH-{number}"})
        objects.append(variation)
        objects.append(_envelope("ITEM", item_id, stamp, version, "item_data", {
            "name": name, "description": f"{name}, from the shop counter.", "description_plaintext":
            f"{name}, from the shop counter.", "product_type": "REGULAR",
            "categories": [{"id": vocab.merch_id, "ordinal": 0}], "reporting_category": {"id": vocab.merch_id},
            "tax_ids": [vocab.tax_id], "variations": [variation]}))
    return objects


def _dated_events(shaper: _Shaper, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Listening sessions, a launch, a digging day and a DJ night on dates around today (one past),
    each with tickets Square counts (the seats left)."""
    vocab, stamp, version, rng = shaper.vocab, shaper.stamp, shaper.version, shaper.rng
    category_id, today = str(shaper.event_category), date.today()
    objects = []
    for n, (kind, days, at, seats, price) in enumerate(DATED_EVENTS):
        source = records[(n * 7) % len(records)]["item_data"]["name"] if records else "New records"
        record = source.split(" — ", 1)[-1]  # the album's title
        name = f"{kind}: {record}" if kind in ("Listening session", "Album launch") else kind
        when = f"{(today + timedelta(days=days)).isoformat()} {at}"
        item_id, var_id = catalog_id(rng), catalog_id(rng)
        variation = _envelope("ITEM_VARIATION", var_id, stamp, version, "item_variation_data", {
            "item_id": item_id, "name": "Ticket", "ordinal": 1, "pricing_type": "FIXED_PRICING",
            "price_money": {"amount": price, "currency": "USD"}, "track_inventory": True, "sellable": True,
            "stockable": True, "sku": f"TIX-{n:02d}"})
        shaper.stock[var_id] = seats - rng.randrange(seats // 2)
        description = (f"{kind} at the shop, {at}. {seats} places, doors 30 minutes before; "
                       "drinks at the bar, records on the big system.")
        poster = image_object(catalog_id(rng), f"{(today + timedelta(days=days)):%a %d %b} · {at}", name,
                              stamp, version)
        poster["image_data"]["caption"] = f"Poster: {name}"
        item = _envelope("ITEM", item_id, stamp, version, "item_data", {
            "name": name, "description": description, "description_plaintext": description,
            "product_type": "EVENT", "categories": [{"id": category_id, "ordinal": 0}],
            "reporting_category": {"id": category_id}, "tax_ids": [vocab.tax_id], "variations": [variation],
            "image_ids": [poster["id"]]})
        item["custom_attribute_values"] = vocab.attributes({"event_date": when})
        objects.extend([poster, variation, item])
    return objects


__all__ = ["DATED_EVENTS", "GRADES", "MERCH", "POPUP_ID", "PRESSINGS", "SELLER_CONDITIONS", "SELLER_DEFINITIONS",
           "SELLER_FORMATS", "SELLER_OPTIONS", "SLEEVE_GRADES", "WAREHOUSE_ID", "attribute_value",
           "attribute_values", "option_value_refs", "seller_format", "seller_shape", "upc"]
