"""A deterministic, invented record-store catalog in Square's CatalogObject shape.

Two shapes of the same invented releases (``generate_catalog(..., shape=...)``):

* ``"legacy"`` (the default): this project's own convenience custom attributes keyed
  artist/title/label/catalog_number/format/year on every record;
* ``"seller"``: the catalog a real record shop keeps in Square (item options, the seller's own
  custom attribute definitions, nested categories, several locations …), see :mod:`demo_seller`.
  Its vocabulary is below (``SELLER_*``), for a field mapping to be tested against.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from storefront.ecs.sandbox import demo_words as words
from storefront.ecs.sandbox.clock import rfc3339
from storefront.ecs.sandbox.ids import catalog_id

DEFAULT_VERSION = 1_735_689_600_000_000  # 2025-01-01T00:00:00Z in microseconds
CURRENCY = "USD"
MIN_ITEMS_WITH_EVENTS = 10  # smaller catalogs hold records only
# Image URLs are stored against this placeholder and answered with the sandbox's own address
# (which depends on the port it was given): see ``images_api.public_image_urls``.
IMAGE_URL_BASE = "https://ecs-sandbox.invalid"
_IMAGE_SEED_SALT = 0x1A6E5  # a second generator for image ids, so every other id stays as it was

# Custom attribute keys on every record ITEM: (key, display name, type).
CUSTOM_ATTRIBUTES: tuple[tuple[str, str, str], ...] = (
    ("artist", "Artist", "STRING"),
    ("title", "Title", "STRING"),
    ("label", "Label", "STRING"),
    ("catalog_number", "Catalog number", "STRING"),
    ("format", "Format", "STRING"),
    ("year", "Year", "NUMBER"),
)

SHAPES = ("legacy", "seller")

# --- the "seller" shape's vocabulary (see demo_seller) --------------------------------------------
SELLER_MAIN_LOCATION_ID = "LSANDBOXMAIN1"  # the shop: the storefront's location (the sandbox default)
SELLER_WAREHOUSE_ID = "LSANDBOXWARE1"
SELLER_POPUP_ID = "LSANDBOXPOP01"
# The seller's locations besides the shop: (id, name, type, description).
SELLER_OTHER_LOCATIONS: tuple[tuple[str, str, str, str], ...] = (
    (SELLER_WAREHOUSE_ID, "Sandbox Records warehouse", "PHYSICAL", "Back stock"),
    (SELLER_POPUP_ID, "Record fair pop-up", "MOBILE", "Weekend record fairs"),
)
SELLER_FORMATS: tuple[str, ...] = ("LP", "2LP", '7"', '12"', "CD", "Cassette")
SELLER_CONDITIONS: tuple[str, ...] = ("New", "Used")
# ITEM_OPTION name → its values, in ordinal order.
SELLER_OPTIONS: dict[str, tuple[str, ...]] = {"Format": SELLER_FORMATS, "Condition": SELLER_CONDITIONS}
SELLER_GRADES: tuple[str, ...] = ("M", "NM", "VG+", "VG", "G+", "G", "F", "P")  # the Goldmine scale
SELLER_SLEEVE_GRADES: tuple[str, ...] = (*SELLER_GRADES, "Generic", "Not graded", "No cover")
SELLER_PRESSINGS: tuple[str, ...] = ("Original", "Reissue", "Repress")
# The seller's CUSTOM_ATTRIBUTE_DEFINITIONs: (key, name, type, allowed object types, selections).
# Values are keyed ``"Square:<key>"`` (see ``seller_attribute_key``).
SELLER_DEFINITIONS: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("record_label", "Record label", "STRING", ("ITEM",), ()),
    ("catalog_no", "Catalog no.", "STRING", ("ITEM",), ()),
    ("release_year", "Release year", "NUMBER", ("ITEM",), ()),
    ("pressing", "Pressing", "SELECTION", ("ITEM",), SELLER_PRESSINGS),
    ("media_grade", "Media grade", "SELECTION", ("ITEM_VARIATION",), SELLER_GRADES),
    ("sleeve_grade", "Sleeve grade", "SELECTION", ("ITEM_VARIATION",), SELLER_SLEEVE_GRADES),
    ("event_date", "Event date", "STRING", ("ITEM",), ()),
    ("release_date", "Release date", "STRING", ("ITEM",), ()),
)
# Top-level categories: records sit in a genre sub-category of "Music".
SELLER_MUSIC_CATEGORY, SELLER_EVENTS_CATEGORY, SELLER_MERCH_CATEGORY = "Music", "Events", "Merch"
SELLER_TAX = ("NY sales tax", "8.875")  # (name, percentage): ADDITIVE, TAX_SUBTOTAL_PHASE
# The application that defined the seller's custom attributes (the Square Dashboard): Square keys
# another application's attribute values "<defining application id>:<key>" (CatalogObject.
# custom_attribute_values, CatalogCustomAttributeValue.key in Square's API reference).
SELLER_DEFINING_APPLICATION = "Square"


def seller_attribute_key(key: str) -> str:
    """The ``custom_attribute_values`` map key (and the value's ``key``) of a seller-defined attribute."""
    return f"{SELLER_DEFINING_APPLICATION}:{key}"


@dataclass
class DemoCatalog:
    """Catalog objects in insertion order plus the IN_STOCK count of every stock-tracked variation
    (at the shop's location; ``other_stock`` holds counts at other locations: location → variation → count)."""

    objects: list[dict[str, Any]]
    stock: dict[str, int] = field(default_factory=dict)
    version: int = DEFAULT_VERSION
    other_stock: dict[str, dict[str, int]] = field(default_factory=dict)


def _envelope(obj_type: str, obj_id: str, stamp: str, version: int, data_key: str,
              data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": obj_type,
        "id": obj_id,
        "updated_at": stamp,
        "version": version,
        "is_deleted": False,
        "present_at_all_locations": True,
        data_key: data,
    }


class _Dice:
    """Fast deterministic picks from one seeded ``random.Random`` (``choice``/``randint`` are slow)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.random = rng.random

    def pick(self, seq: tuple[str, ...] | list[Any]) -> Any:
        return seq[int(self.random() * len(seq))]

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))


def _plural(noun: str) -> str:
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def _artist(dice: _Dice) -> str:
    pick, roll = dice.pick, dice.random()
    if roll < 0.35:
        return f"{pick(words.FIRST_NAMES)} {pick(words.LAST_NAMES)}"
    if roll < 0.6:
        return f"The {pick(words.ADJECTIVES)} {_plural(pick(words.NOUNS))}"
    if roll < 0.8:
        return f"{pick(words.FIRST_NAMES)} {pick(words.LAST_NAMES)} {pick(words.ENSEMBLES)}"
    if roll < 0.9:
        return f"{pick(words.NOUNS)} & the {pick(words.ADJECTIVES)} {_plural(pick(words.NOUNS))}"
    return f"{pick(words.ADJECTIVES)} {pick(words.NOUNS)}"


def _title(dice: _Dice) -> str:
    pick, roll = dice.pick, dice.random()
    if roll < 0.4:
        return f"{pick(words.ADJECTIVES)} {pick(words.NOUNS)}"
    if roll < 0.6:
        return f"{pick(words.NOUNS)} of the {pick(words.ADJECTIVES)} {pick(words.NOUNS)}"
    if roll < 0.75:
        return f"Live in {pick(words.PLACES)}"
    if roll < 0.9:
        return f"Songs for the {pick(words.ADJECTIVES)} {pick(words.NOUNS)}"
    return _plural(pick(words.NOUNS))


def _labels(rng: random.Random, count: int = 48) -> list[tuple[str, str]]:
    """(label name, catalog-number prefix) pairs with unique prefixes."""
    labels: list[tuple[str, str]] = []
    prefixes: set[str] = set()
    while len(labels) < count:
        base = rng.choice(words.NOUNS + words.ADJECTIVES + words.LAST_NAMES)
        name = f"{base} {rng.choice(words.LABEL_SUFFIXES)}".rstrip(".")
        prefix = (base[:2] + rng.choice("ABCDEFGHJKLMNPRSTVWXZ")).upper()
        if prefix in prefixes:
            continue
        prefixes.add(prefix)
        labels.append((name, prefix))
    return labels


def _definitions(rng: random.Random, stamp: str, version: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    objects: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    for key, name, attr_type in CUSTOM_ATTRIBUTES:
        obj_id = catalog_id(rng)
        ids[key] = obj_id
        data: dict[str, Any] = {
            "type": attr_type,
            "name": name,
            "description": f"The record's {name.lower()}.",
            "allowed_object_types": ["ITEM"],
            "seller_visibility": "SELLER_VISIBILITY_READ_WRITE_VALUES",
            "app_visibility": "APP_VISIBILITY_READ_WRITE_VALUES",
            "key": key,
        }
        if attr_type == "NUMBER":
            data["number_config"] = {"precision": 0}
        else:
            data["string_config"] = {"enforce_uniqueness": key == "catalog_number"}
        objects.append(_envelope("CUSTOM_ATTRIBUTE_DEFINITION", obj_id, stamp, version,
                                 "custom_attribute_definition_data", data))
    return objects, ids


def custom_attribute_values(definition_ids: dict[str, str], values: dict[str, str | int]) -> dict[str, Any]:
    """Square ``custom_attribute_values`` for the given key → value pairs (NUMBER values become strings)."""
    result: dict[str, Any] = {}
    for key, name, attr_type in CUSTOM_ATTRIBUTES:
        value = values.get(key)
        if value is None or key not in definition_ids:
            continue
        value_field = "number_value" if attr_type == "NUMBER" else "string_value"
        result[key] = {"name": name, value_field: str(value), "custom_attribute_definition_id": definition_ids[key],
                       "type": attr_type, "key": key}
    return result


def image_object(image_id: str, artist: str, title: str, stamp: str, version: int,
                 url: str | None = None) -> dict[str, Any]:
    """A CatalogImage (type IMAGE) whose URL is the sandbox's generated sleeve, unless ``url`` is given.

    ``name`` is "artist — title": what the sleeve generator letters on the cover.
    """
    return _envelope("IMAGE", image_id, stamp, version, "image_data", {
        "name": f"{artist} — {title}",
        "url": url or f"{IMAGE_URL_BASE}/images/{image_id}.jpg",
        "caption": f"Cover of {title} by {artist}",
    })


def variation_object(var_id: str, item_id: str, name: str, sku: str, ordinal: int, amount: int,
                     stamp: str, version: int, *, track_inventory: bool = True,
                     image_ids: list[str] | None = None) -> dict[str, Any]:
    """An ITEM_VARIATION CatalogObject with a fixed USD price."""
    data: dict[str, Any] = {
        "item_id": item_id,
        "name": name,
        "sku": sku,
        "ordinal": ordinal,
        "pricing_type": "FIXED_PRICING",
        "price_money": {"amount": amount, "currency": CURRENCY},
        "track_inventory": track_inventory,
        "sellable": True,
        "stockable": True,
    }
    if image_ids:
        data["image_ids"] = list(image_ids)
    return _envelope("ITEM_VARIATION", var_id, stamp, version, "item_variation_data", data)


def item_object(item_id: str, name: str, description: str, category_ids: list[str], variations: list[dict[str, Any]],
                stamp: str, version: int, attributes: dict[str, Any] | None = None,
                image_ids: list[str] | None = None) -> dict[str, Any]:
    """An ITEM CatalogObject with its variations nested, as ListCatalog returns it."""
    data: dict[str, Any] = {
        "name": name,
        "description": description,
        "description_plaintext": description,
        "product_type": "REGULAR",
        "categories": [{"id": cid, "ordinal": 0} for cid in category_ids],
        "variations": variations,
    }
    if category_ids:
        data["reporting_category"] = {"id": category_ids[0], "ordinal": 0}
    if image_ids:
        data["image_ids"] = list(image_ids)
    obj = _envelope("ITEM", item_id, stamp, version, "item_data", data)
    if attributes:
        obj["custom_attribute_values"] = attributes
    return obj


def _price(dice: _Dice, fmt: str) -> int:
    low, high = words.FORMAT_PRICES[fmt]
    return dice.between(low, high) * 100 + 99


def _formats(dice: _Dice) -> list[str]:
    formats = [dice.pick(words.PRIMARY_FORMATS)]
    if dice.random() < 0.3:
        extra = dice.pick(words.EXTRA_FORMATS)
        if extra not in formats:
            formats.append(extra)
    return formats


def _description(dice: _Dice, genre: str, year: int, label: str) -> str:
    pick = dice.pick
    return pick(words.DESCRIPTION_OPENERS).format(
        adj=pick(words.ADJECTIVES).lower(), genre=genre.lower(), year=year, label=label, place=pick(words.PLACES),
    ) + " " + pick(words.DESCRIPTION_CLOSERS)


def _stock(dice: _Dice) -> int:
    roll = dice.random()
    if roll < 0.1:
        return 0  # sold out
    if roll < 0.6:
        return dice.between(1, 3)
    return dice.between(4, 10)


def generate_catalog(n_items: int, seed: int = 7, *, version: int = DEFAULT_VERSION, shape: str = "legacy",
                     location_id: str = SELLER_MAIN_LOCATION_ID) -> DemoCatalog:
    """A catalog of exactly ``n_items`` ITEM objects, deterministic for a given seed.

    ``"legacy"`` shape: from 10 items up, the last few are the event-space items (category "Event
    Space", not stock-tracked) and the rest are invented records; smaller catalogs are records only.
    ``"seller"`` shape: the same releases as a record shop keeps them in Square (``demo_seller``),
    plus a few merch items and dated events; ``location_id`` is the shop's location there.
    """
    if shape not in SHAPES:
        raise ValueError(f"catalog shape must be one of {SHAPES}")
    with paused_gc():
        demo = _generate(n_items, seed, version)
        if shape == "seller":
            from storefront.ecs.sandbox.demo_seller import seller_shape  # it builds on this module

            demo = seller_shape(demo, seed, location_id)
        return demo


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic collector: building millions of small dicts would trigger it over and over."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _generate(n_items: int, seed: int, version: int) -> DemoCatalog:
    rng, image_rng = random.Random(seed), random.Random(seed ^ _IMAGE_SEED_SALT)
    dice = _Dice(rng)
    pick, between, roll = dice.pick, dice.between, dice.random
    stamp = rfc3339(version)
    objects, definition_ids = _definitions(rng, stamp, version)
    category_ids: dict[str, str] = {}
    for genre in (*words.GENRES, words.EVENT_CATEGORY):
        cid = category_ids[genre] = catalog_id(rng)
        objects.append(_envelope("CATEGORY", cid, stamp, version, "category_data",
                                 {"name": genre, "category_type": "REGULAR_CATEGORY", "is_top_level": True}))
    labels = _labels(rng)
    label_counters = dict.fromkeys((prefix for _, prefix in labels), 100)
    genres = words.GENRES
    stock: dict[str, int] = {}
    with_events = n_items >= MIN_ITEMS_WITH_EVENTS
    records = max(0, n_items - len(words.EVENT_ITEMS) if with_events else n_items)
    for _ in range(records):
        artist, title = _artist(dice), _title(dice)
        label, prefix = pick(labels)
        label_counters[prefix] += between(1, 7)
        catno = f"{prefix}-{label_counters[prefix]}"
        year = between(1955, 2025)
        genre = pick(genres)
        item_genres = [genre] if roll() < 0.7 else [genre, pick(genres)]
        formats = _formats(dice)
        item_id = catalog_id(rng)
        images = [image_object(catalog_id(image_rng), artist, title, stamp, version)]
        variations = []
        for ordinal, fmt in enumerate(formats, start=1):
            var_id = catalog_id(rng)
            sku = catno if ordinal == 1 else f"{catno}-{words.FORMAT_SKU_SUFFIX[fmt]}"
            if ordinal > 1:  # an extra format has its own sleeve, as a variation image
                images.append(image_object(catalog_id(image_rng), artist, f"{title} ({fmt})", stamp, version))
            variations.append(variation_object(var_id, item_id, fmt, sku, ordinal, _price(dice, fmt), stamp, version,
                                               image_ids=[images[-1]["id"]] if ordinal > 1 else None))
            stock[var_id] = _stock(dice)
        description = _description(dice, genre, year, label)
        attributes = custom_attribute_values(definition_ids, {
            "artist": artist, "title": title, "label": label, "catalog_number": catno,
            "format": formats[0], "year": year,
        })
        item_cats = [category_ids[g] for g in dict.fromkeys(item_genres)]
        objects.extend(images)
        objects.append(item_object(item_id, f"{artist} — {title}", description, item_cats, variations,
                                   stamp, version, attributes, [images[0]["id"]]))
        objects.extend(variations)
    event_category = category_ids[words.EVENT_CATEGORY]
    for number, (name, description, options) in enumerate(words.EVENT_ITEMS if with_events else (), start=1):
        item_id = catalog_id(rng)
        variations = [
            variation_object(catalog_id(rng), item_id, option, f"EVT-{number:02d}{ordinal}", ordinal, amount,
                             stamp, version, track_inventory=False)
            for ordinal, (option, amount) in enumerate(options, start=1)
        ]
        objects.append(item_object(item_id, name, description, [event_category], variations, stamp, version))
        objects.extend(variations)
    return DemoCatalog(objects=objects, stock=stock, version=version)
