"""The demo catalog as a real record shop keeps it in Square (the "seller" shape).

The same invented releases as :mod:`demo_catalog` (the "legacy" shape, which used this project's
own convenience attributes keyed ``artist``/``title``/…), reshaped the way a seller builds them in
the Square Dashboard:

* items named "Artist - Title", nothing else naming artist or title;
* item options **Format** (LP, CD, …) and **Condition** (New, Used); each variation names its
  option values ("LP, New") — some releases have a used copy besides the new ones;
* the seller's own custom attribute definitions: "Record label" and "Catalog no." (STRING),
  "Release year" (NUMBER), "Pressing" (SELECTION) on items; "Media grade" and "Sleeve grade"
  (SELECTION, Goldmine scale) on used copies. Values are keyed as Square keys another
  application's definitions: ``"Square:<key>"``;
* nested categories: "Music" with a sub-category per genre, "Event Space", "Merch";
* three locations (the shop, a warehouse, a record-fair pop-up): a few items only at the warehouse
  or absent from the shop, a few shop price overrides; a few archived items; merch whose stock
  Square does not count; every variation with a UPC; sales tax.
"""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta
from typing import Any

from storefront.ecs.sandbox.clock import rfc3339
from storefront.ecs.sandbox.demo_catalog import DemoCatalog, image_object
from storefront.ecs.sandbox.ids import catalog_id

WAREHOUSE_ID = "LSANDBOXWARE1"
POPUP_ID = "LSANDBOXPOP01"
GRADES = ("M", "NM", "VG+", "VG", "G+", "G", "F", "P")
SLEEVE_GRADES = (*GRADES, "Generic", "Not graded", "No cover")
PRESSINGS = ("Original", "Reissue", "Repress")
# (key, name, type, allowed object types, selections)
SELLER_DEFINITIONS: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("record_label", "Record label", "STRING", ("ITEM",), ()),
    ("catalog_no", "Catalog no.", "STRING", ("ITEM",), ()),
    ("release_year", "Release year", "NUMBER", ("ITEM",), ()),
    ("pressing", "Pressing", "SELECTION", ("ITEM",), PRESSINGS),
    ("media_grade", "Media grade", "SELECTION", ("ITEM_VARIATION",), GRADES),
    ("sleeve_grade", "Sleeve grade", "SELECTION", ("ITEM_VARIATION",), SLEEVE_GRADES),
    ("event_date", "Event date", "STRING", ("ITEM",), ()),
    ("release_date", "Release date", "STRING", ("ITEM",), ()),
)
PREORDER_EVERY = 9  # one record in nine (among the first few dozen) is not out yet: a pre-order
# Dated events in the shop (days from today, time, seats, ticket price); the first has already happened.
DATED_EVENTS = (
    ("Listening session", -6, "19:30", 30, 1500),
    ("Listening session", 3, "19:30", 30, 1500),
    ("Album launch", 10, "20:00", 60, 1000),
    ("Crate diggers' Sunday", 17, "12:00", 40, 500),
    ("DJ night", 24, "21:00", 80, 1200),
)
SELLER_OPTIONS = ("Format", "Condition")
MERCH = (("Groove Cellar tote bag", 1800), ("Anti-static slipmat", 1200), ("Record cleaning kit", 2400))
_SALT = 0x5E11E2


def _envelope(kind: str, obj_id: str, stamp: str, version: int, data_key: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "id": obj_id, "updated_at": stamp, "version": version, "is_deleted": False,
            "present_at_all_locations": True, data_key: data}


def upc(rng: random.Random) -> str:
    """A UPC-A: 11 digits and the check digit."""
    digits = [rng.randrange(10) for _ in range(11)]
    odd, even = sum(digits[0::2]), sum(digits[1::2])
    return "".join(map(str, digits)) + str((10 - (odd * 3 + even) % 10) % 10)


class _Vocabulary:
    """The options, definitions, categories and tax of the seller's catalog."""

    def __init__(self, stamp: str, version: int, formats: list[str], rng: random.Random) -> None:
        self.objects: list[dict[str, Any]] = []
        self.option_ids = {name: catalog_id(rng) for name in SELLER_OPTIONS}
        self.values: dict[tuple[str, str], str] = {}
        for option, values in (("Format", formats), ("Condition", ["New", "Used"])):
            option_id = self.option_ids[option]
            entries = []
            for ordinal, value in enumerate(values):
                value_id = self.values[(option, value)] = catalog_id(rng)
                entries.append({"type": "ITEM_OPTION_VAL", "id": value_id, "version": version,
                                "updated_at": stamp, "is_deleted": False, "present_at_all_locations": True,
                                "item_option_value_data": {"item_option_id": option_id, "name": value,
                                                           "ordinal": ordinal}})
            self.objects.append(_envelope("ITEM_OPTION", option_id, stamp, version, "item_option_data", {
                "name": option, "display_name": option, "show_colors": False, "values": entries}))
        self.definitions: dict[str, tuple[str, dict[str, str]]] = {}
        for key, name, kind, types, selections in SELLER_DEFINITIONS:
            def_id = catalog_id(rng)
            uids = {s: f"{key}-{i}" for i, s in enumerate(selections)}
            data: dict[str, Any] = {"type": kind, "name": name, "key": key, "allowed_object_types": list(types),
                                    "seller_visibility": "SELLER_VISIBILITY_READ_WRITE_VALUES",
                                    "app_visibility": "APP_VISIBILITY_READ_ONLY",
                                    "source_application": {"name": "Square Dashboard"}}
            if kind == "SELECTION":
                data["selection_config"] = {"max_allowed_selections": 1, "allowed_selections": [
                    {"uid": uid, "name": s} for s, uid in uids.items()]}
            self.definitions[key] = (def_id, uids)
            self.objects.append(_envelope("CUSTOM_ATTRIBUTE_DEFINITION", def_id, stamp, version,
                                          "custom_attribute_definition_data", data))
        self.music_id, self.merch_id, self.tax_id = catalog_id(rng), catalog_id(rng), catalog_id(rng)
        for cat_id, name in ((self.music_id, "Music"), (self.merch_id, "Merch")):
            self.objects.append(_envelope("CATEGORY", cat_id, stamp, version, "category_data", {
                "name": name, "category_type": "REGULAR_CATEGORY", "is_top_level": True}))
        self.objects.append(_envelope("TAX", self.tax_id, stamp, version, "tax_data", {
            "name": "NY sales tax", "calculation_phase": "TAX_SUBTOTAL_PHASE", "inclusion_type": "ADDITIVE",
            "percentage": "8.875", "applies_to_custom_amounts": True, "enabled": True}))

    def value(self, key: str, raw: Any) -> dict[str, Any]:
        """A custom attribute value as Square shows another application's (the Dashboard's) attribute."""
        def_id, uids = self.definitions[key]
        kind = next(k for k_, _n, k, _t, _s in SELLER_DEFINITIONS if k_ == key)
        name = next(n for k_, n, _k, _t, _s in SELLER_DEFINITIONS if k_ == key)
        value: dict[str, Any] = {"name": name, "custom_attribute_definition_id": def_id, "type": kind,
                                 "key": f"Square:{key}"}
        if kind == "SELECTION":
            value["selection_uid_values"] = [uids[raw]]
        elif kind == "NUMBER":
            value["number_value"] = str(raw)
        else:
            value["string_value"] = str(raw)
        return value


def _attributes(vocab: _Vocabulary, pairs: dict[str, Any]) -> dict[str, Any]:
    return {f"Square:{key}": vocab.value(key, raw) for key, raw in pairs.items() if raw not in (None, "")}


def seller_shape(demo: DemoCatalog, seed: int, main_location: str) -> DemoCatalog:
    """``demo`` (the legacy shape) as a seller keeps it in Square; deterministic per seed."""
    rng = random.Random(seed ^ _SALT)
    version, stamp = demo.version, rfc3339(demo.version)
    legacy_items = [o for o in demo.objects if o["type"] == "ITEM"]
    formats = sorted({v["item_variation_data"]["name"] for item in legacy_items
                      for v in item["item_data"].get("variations") or []},
                     key=lambda f: ("LP" not in f, f))
    vocab = _Vocabulary(stamp, version, formats, rng)
    categories = {o["id"]: o for o in demo.objects if o["type"] == "CATEGORY"}
    event_category = next((cid for cid, o in categories.items()
                           if o["category_data"]["name"].lower() in ("event space", "events")), None)
    # Merch and the dated events first: the first items are what a field mapping is detected from.
    out: list[dict[str, Any]] = [*vocab.objects, *_merch(vocab, stamp, version, rng)]
    for cat_id, category in categories.items():
        data = dict(category["category_data"])
        if cat_id == event_category:
            data["is_top_level"] = True
        else:
            data.update(parent_category={"id": vocab.music_id, "ordinal": len(out)}, root_category=vocab.music_id,
                        is_top_level=False)
        out.append({**category, "category_data": data})
    stock = dict(demo.stock)
    upcoming = itertools.count(1)
    if event_category is not None:
        out.extend(_dated_events(vocab, event_category, legacy_items, stamp, version, rng, stock))
    for obj in demo.objects:
        if obj["type"] == "ITEM":
            reshaped = _reshape(obj, vocab, event_category, rng, stock, main_location)
            item = reshaped[-1]
            number = next(upcoming)
            if number <= 45 and number % PREORDER_EVERY == 0 and item.get("custom_attribute_values"):
                released = date.today() + timedelta(days=14 + 7 * (number // PREORDER_EVERY))
                item["custom_attribute_values"].update(_attributes(vocab, {"release_date": released.isoformat()}))
            out.extend(reshaped)
        elif obj["type"] == "IMAGE":
            out.append(obj)
    return DemoCatalog(out, stock, version)


def _legacy_values(item: dict[str, Any]) -> dict[str, Any]:
    values = item.get("custom_attribute_values") or {}
    return {key: (values.get(key) or {}).get("string_value") or (values.get(key) or {}).get("number_value")
            for key in ("artist", "title", "label", "catalog_number", "format", "year")}


def _reshape(item: dict[str, Any], vocab: _Vocabulary, event_category: str | None, rng: random.Random,
             stock: dict[str, int], main_location: str) -> list[dict[str, Any]]:
    data = dict(item["item_data"])
    legacy = _legacy_values(item)
    is_event = any(c.get("id") == event_category for c in data.get("categories") or [])
    if is_event:  # the room's size is the shop's one setting (EVENT_SPACE_CAPACITY), not catalog copy
        for key in ("description", "description_plaintext"):
            if data.get(key):
                data[key] = data[key].replace(" for up to 80 guests", "")
    vinyl = {'LP', '2xLP', '7"', '12"'}
    formats = {v["item_variation_data"]["name"] for v in data.get("variations") or []}
    if not is_event and not formats & vinyl:  # a CD or a tape is not "pressed on vinyl"
        for key in ("description", "description_plaintext"):
            if data.get(key):
                data[key] = data[key].replace("Pressed on heavyweight vinyl with the original artwork.",
                                              "With the original artwork and liner notes.")
    room: list[dict[str, Any]] = []
    if is_event and not data.get("image_ids"):  # the space itself: a picture of the room
        room = [image_object(catalog_id(rng), "The room downstairs", data["name"], item["updated_at"], item["version"])]
        data["image_ids"] = [room[0]["id"]]
    if legacy["artist"] and legacy["title"]:
        data["name"] = f"{legacy['artist']} - {legacy['title']}"
    year = legacy["year"]
    attributes = {} if is_event else _attributes(vocab, {
        "record_label": legacy["label"], "catalog_no": legacy["catalog_number"],
        "release_year": int(float(year)) if year else None,
        "pressing": PRESSINGS[0] if rng.random() < 0.6 else rng.choice(PRESSINGS[1:])})
    variations = []
    for variation in data.get("variations") or []:
        vdata = dict(variation["item_variation_data"])
        if not is_event:
            fmt = vdata["name"]
            vdata.update(name=f"{fmt}, New", upc=upc(rng), item_option_values=[
                {"item_option_id": vocab.option_ids["Format"], "item_option_value_id": vocab.values[("Format", fmt)]},
                {"item_option_id": vocab.option_ids["Condition"],
                 "item_option_value_id": vocab.values[("Condition", "New")]}])
            if rng.random() < 0.05:  # the shop sells this one cheaper than the list price
                price = vdata["price_money"]
                vdata["location_overrides"] = [{"location_id": main_location, "price_money": {
                    "amount": max(99, price["amount"] - 300), "currency": price["currency"]}}]
        variations.append({**variation, "item_variation_data": vdata})
    lp = next((v for v in variations if v["item_variation_data"]["name"].startswith("LP")), None)
    if lp is not None and rng.random() < 0.25:
        variations.append(_used_copy(item, lp, vocab, rng, stock, len(variations) + 1))
    if not is_event:
        data["item_options"] = [{"item_option_id": vocab.option_ids[o]} for o in SELLER_OPTIONS]
        data["tax_ids"] = [vocab.tax_id]
    data["variations"] = variations
    reshaped = {**item, "item_data": data}
    reshaped.pop("custom_attribute_values", None)
    if attributes:
        reshaped["custom_attribute_values"] = attributes
    roll = rng.random()
    if not is_event and roll < 0.03:  # kept at the warehouse only: not for sale in the shop
        reshaped.update(present_at_all_locations=False, present_at_location_ids=[WAREHOUSE_ID])
    elif not is_event and roll < 0.05:  # everywhere but the shop
        reshaped["absent_at_location_ids"] = [main_location]
    elif not is_event and roll < 0.07:
        data["is_archived"] = True
    return [*room, *variations, reshaped]


def _used_copy(item: dict[str, Any], new: dict[str, Any], vocab: _Vocabulary, rng: random.Random,
               stock: dict[str, int], ordinal: int) -> dict[str, Any]:
    vdata = dict(new["item_variation_data"])
    price = vdata["price_money"]
    var_id = catalog_id(rng)
    used = {**new, "id": var_id, "item_variation_data": {
        **{k: v for k, v in vdata.items() if k != "location_overrides"},
        "name": "LP, Used", "ordinal": ordinal, "sku": f"{vdata.get('sku') or 'USED'}-U", "upc": upc(rng),
        "price_money": {"amount": max(500, int(price["amount"] * 0.55) // 100 * 100 + 99),
                        "currency": price["currency"]},
        "item_option_values": [vdata["item_option_values"][0], {
            "item_option_id": vocab.option_ids["Condition"],
            "item_option_value_id": vocab.values[("Condition", "Used")]}]},
        "custom_attribute_values": _attributes(vocab, {
            "media_grade": rng.choice(GRADES[1:5]), "sleeve_grade": rng.choice(SLEEVE_GRADES[1:6])})}
    stock[var_id] = 1
    return used


def _merch(vocab: _Vocabulary, stamp: str, version: int, rng: random.Random) -> list[dict[str, Any]]:
    objects = []
    for name, amount in MERCH:
        item_id, var_id = catalog_id(rng), catalog_id(rng)
        variation = _envelope("ITEM_VARIATION", var_id, stamp, version, "item_variation_data", {
            "item_id": item_id, "name": "Regular", "ordinal": 1, "pricing_type": "FIXED_PRICING",
            "price_money": {"amount": amount, "currency": "USD"}, "track_inventory": False,
            "sellable": True, "stockable": True, "upc": upc(rng), "sku": f"MERCH-{len(objects)}"})
        objects.append(variation)
        objects.append(_envelope("ITEM", item_id, stamp, version, "item_data", {
            "name": name, "description": f"{name}, from the shop counter.", "description_plaintext":
            f"{name}, from the shop counter.", "product_type": "REGULAR",
            "categories": [{"id": vocab.merch_id, "ordinal": 0}], "reporting_category": {"id": vocab.merch_id},
            "tax_ids": [vocab.tax_id], "variations": [variation]}))
    return objects


def _dated_events(vocab: _Vocabulary, category_id: str, records: list[dict[str, Any]], stamp: str, version: int,
                  rng: random.Random, stock: dict[str, int]) -> list[dict[str, Any]]:
    """Listening sessions, a launch, a digging day and a DJ night on dates around today (one past),
    each with tickets Square counts (the seats left)."""
    today = date.today()
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
        stock[var_id] = seats - rng.randrange(seats // 2)
        description = (f"{kind} at the shop, {at}. {seats} places, doors 30 minutes before; "
                       "drinks at the bar, records on the big system.")
        poster = image_object(catalog_id(rng), f"{(date.today() + timedelta(days=days)):%a %d %b} · {at}", name,
                              stamp, version)
        poster["image_data"]["caption"] = f"Poster: {name}"
        item = _envelope("ITEM", item_id, stamp, version, "item_data", {
            "name": name, "description": description, "description_plaintext": description,
            "product_type": "EVENT", "categories": [{"id": category_id, "ordinal": 0}],
            "reporting_category": {"id": category_id}, "tax_ids": [vocab.tax_id], "variations": [variation],
            "image_ids": [poster["id"]]})
        item["custom_attribute_values"] = _attributes(vocab, {"event_date": when})
        objects.extend([poster, variation, item])
    return objects
