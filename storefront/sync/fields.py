"""The field mapping: which part of a Square catalog holds each of the shop's record fields.

A real seller keeps a record's details wherever Square let them: item options ("Format: LP"), their
own custom attribute definitions (a "Record label" string, a "Media grade" pick-list), categories, or
just the item name ("Artist - Title"). Staff choose, per record field, the sources to read in order
(the first that gives a value wins); :func:`detect` proposes a mapping from the catalog itself, and
:data:`PRESETS` name common shapes.

:class:`CatalogContext` holds the catalog objects the sources refer to (options, attribute
definitions, categories); :class:`Mapper` turns one ITEM into field values with a mapping and that
context. Channel connectors reuse the same sources for their own listings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# The record fields a mapping fills, with their labels (the back office shows them in this order).
FIELDS: dict[str, str] = {
    "artist": "Artist",
    "title": "Title",
    "label": "Label",
    "catalog_number": "Catalog number",
    "format": "Format",
    "year": "Year",
    "barcode": "Barcode",
    "media_grade": "Media grade",
    "sleeve_grade": "Sleeve grade",
    "starts_at": "Event date and time",
    "release_date": "Release date (pre-orders)",
}
FIELD_LIMITS = {"artist": 255, "title": 255, "label": 255, "catalog_number": 64, "format": 40, "year": 4,
                "barcode": 32, "media_grade": 16, "sleeve_grade": 16, "starts_at": 40,
                "release_date": 40}

# Where a value can come from. ``name`` of a source names the option or attribute (its name, key or id).
SOURCES: dict[str, str] = {
    "attribute": "Custom attribute",
    "option": "Item option",
    "name": "Item name, with a pattern",
    "category": "Category",
    "root_category": "Top-level category",
    "variation_name": "Variation name",
    "description": "Description",
    "upc": "Variation UPC",
    "sku": "Variation SKU",
}
NEEDS_NAME = frozenset({"attribute", "option"})
GENRE_SOURCES: dict[str, str] = {
    "categories": "The item's categories (a top-level category with sub-categories is left out)",
    "root_category": "The item's top-level category",
    "none": "No genres",
}
PATTERN_FIELDS = ("artist", "title", "label", "catalog_number", "format", "year")
NAME_PATTERNS = ("{artist} - {title}", "{artist} – {title}", "{artist} — {title}", "{artist}: {title}",
                 "{title} / {artist}", "{title} by {artist}")
MAX_SOURCES = 3
USED_WORDS = frozenset({"used", "pre owned", "preowned", "second hand", "secondhand", "vintage"})
NEW_WORDS = frozenset({"new", "sealed", "brand new"})
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class MappingConfigError(ValueError):
    """A mapping staff cannot save: ``problems`` are (field, message) pairs for the form and the API."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))
        self.problems = problems


_LOOSE = re.compile(r"[^a-z0-9#]+")


@lru_cache(maxsize=4096)
def _normalised(text: str) -> str:
    return _LOOSE.sub(" ", text.lower()).strip()


def normalise(text: Any) -> str:
    """Compare names loosely: "Catalog No." = "catalog_no" = "catalog no"."""
    return _normalised(str(text or "")) if text else ""


@dataclass(frozen=True)
class Source:
    source: str
    name: str = ""  # the option or attribute (name, key or id)
    pattern: str = ""  # for ``name``: e.g. "{artist} - {title}"

    def to_json(self) -> dict[str, str]:
        out = {"source": self.source}
        if self.name:
            out["name"] = self.name
        if self.pattern:
            out["pattern"] = self.pattern
        return out

    def describe(self) -> str:
        label = SOURCES.get(self.source, self.source)
        if self.source in NEEDS_NAME:
            return f"{label} “{self.name}”"
        if self.source == "name":
            return f"Item name as “{self.pattern}”"
        return label


@dataclass(frozen=True)
class FieldMapping:
    fields: dict[str, tuple[Source, ...]]
    genre: str = "categories"
    preset: str = "custom"

    def to_json(self) -> dict[str, Any]:
        return {"preset": self.preset, "genre": self.genre,
                "fields": {name: [s.to_json() for s in self.fields.get(name, ())] for name in FIELDS}}

    @classmethod
    def from_json(cls, raw: Any) -> FieldMapping:
        """Validate a mapping sent by staff (the page's form or the API); raises MappingConfigError."""
        problems: list[tuple[str, str]] = []
        if not isinstance(raw, dict):
            raise MappingConfigError([("mapping", "Send an object with “fields” (and optionally “genre”).")])
        unknown = set(raw) - {"fields", "genre", "preset"}
        if unknown:
            problems.append(("mapping", f"Unknown keys: {', '.join(sorted(unknown))}."))
        genre = raw.get("genre", "categories")
        if not isinstance(genre, str) or genre not in GENRE_SOURCES:
            problems.append(("genre", f"Choose one of: {', '.join(GENRE_SOURCES)}."))
        preset = raw.get("preset", "custom")
        if not isinstance(preset, str) or len(preset) > 40:
            problems.append(("preset", "A short name, or leave it out."))
            preset = "custom"
        fields_raw = raw.get("fields", {})
        if not isinstance(fields_raw, dict):
            raise MappingConfigError([*problems, ("fields", "Send an object: record field → list of sources.")])
        fields: dict[str, tuple[Source, ...]] = {}
        for name, sources in fields_raw.items():
            if name not in FIELDS:
                problems.append((name, f"Not a record field; the fields are {', '.join(FIELDS)}."))
                continue
            if isinstance(sources, dict):
                sources = [sources]
            if not isinstance(sources, list) or len(sources) > MAX_SOURCES:
                problems.append((name, f"Send a list of at most {MAX_SOURCES} sources."))
                continue
            parsed = []
            for spec in sources:
                source, problem = _source(name, spec)
                if problem:
                    problems.append((name, problem))
                elif source is not None:
                    parsed.append(source)
            if parsed:
                fields[name] = tuple(parsed)
        if problems:
            raise MappingConfigError(problems)
        return cls(fields=fields, genre=str(genre), preset=preset)


def _source(field_name: str, spec: Any) -> tuple[Source | None, str | None]:
    if not isinstance(spec, dict) or not isinstance(spec.get("source"), str):
        return None, "Each source is an object with a “source”."
    kind = spec["source"]
    if kind in ("", "none"):
        return None, None
    if kind not in SOURCES:
        return None, f"Unknown source “{kind[:40]}”; choose one of {', '.join(SOURCES)}."
    name, pattern = spec.get("name") or "", spec.get("pattern") or ""
    if not isinstance(name, str) or not isinstance(pattern, str):
        return None, "“name” and “pattern” are text."
    name, pattern = name.strip(), pattern.strip()
    unknown = set(spec) - {"source", "name", "pattern"}
    if unknown:
        return None, f"Unknown keys: {', '.join(sorted(unknown))}."
    if kind in NEEDS_NAME and not name:
        return None, f"Say which {SOURCES[kind].lower()} to read."
    if len(name) > 255 or len(pattern) > 255:
        return None, "Names and patterns are at most 255 characters."
    if kind == "name":
        problem = pattern_problem(pattern, field_name)
        if problem:
            return None, problem
    return Source(kind, name if kind in NEEDS_NAME else "", pattern if kind == "name" else ""), None


def pattern_problem(pattern: str, field_name: str) -> str | None:
    if not pattern:
        return "Give a pattern such as “{artist} - {title}”."
    names = _PLACEHOLDER.findall(pattern)
    if not names:
        return "A pattern needs at least one {field}, such as “{artist} - {title}”."
    bad = [n for n in names if n not in PATTERN_FIELDS]
    if bad:
        return f"Unknown placeholder {{{bad[0]}}}; use {', '.join('{' + f + '}' for f in PATTERN_FIELDS)}."
    if len(set(names)) != len(names):
        return "Each placeholder may appear once."
    if field_name not in names:
        return f"The pattern has no {{{field_name}}} for this field."
    return None


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """"{artist} - {title}" → a regex with a named group per placeholder (the last one greedy)."""
    parts, last = [], 0
    placeholders = list(_PLACEHOLDER.finditer(pattern))
    for index, match in enumerate(placeholders):
        parts.append(re.escape(pattern[last:match.start()]))
        greedy = index == len(placeholders) - 1
        parts.append(f"(?P<{match.group(1)}>.+{'' if greedy else '?'})")
        last = match.end()
    parts.append(re.escape(pattern[last:]))
    return re.compile("".join(parts), re.DOTALL)


# Named mappings for common catalog shapes.
_DASHED = "{artist} — {title}"
PRESETS: dict[str, tuple[str, FieldMapping]] = {
    "storefront-keys": (
        "Custom attributes keyed artist, title, label, catalog_number, format, year "
        "(this project's original demo catalog)",
        FieldMapping(fields={
            "artist": (Source("attribute", "artist"), Source("name", pattern=_DASHED)),
            "title": (Source("attribute", "title"), Source("name", pattern=_DASHED)),
            "label": (Source("attribute", "label"),),
            "catalog_number": (Source("attribute", "catalog_number"), Source("attribute", "catno")),
            "format": (Source("attribute", "format"),),
            "year": (Source("attribute", "year"),),
            "barcode": (Source("upc"),),
        }, genre="categories", preset="storefront-keys")),
    "name-only": (
        "Item names like “Artist - Title”, categories as genres, nothing else",
        FieldMapping(fields={
            "artist": (Source("name", pattern="{artist} - {title}"),),
            "title": (Source("name", pattern="{artist} - {title}"),),
            "format": (Source("variation_name"),),
            "barcode": (Source("upc"),),
        }, genre="categories", preset="name-only")),
}
DEFAULT_PRESET = "storefront-keys"


def preset(name: str) -> FieldMapping:
    return PRESETS[name][1]


# --- the catalog objects the sources refer to --------------------------------------------------

@dataclass
class Definition:
    name: str
    key: str
    type: str
    selections: dict[str, str] = field(default_factory=dict)  # uid → name


@dataclass
class CatalogContext:
    """Options, option values, attribute definitions and categories, by id."""

    options: dict[str, str] = field(default_factory=dict)  # option id → name
    option_values: dict[str, tuple[str, str]] = field(default_factory=dict)  # value id → (option id, name)
    definitions: dict[str, Definition] = field(default_factory=dict)
    categories: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # id → (name, parent id)

    REFERENCE_TYPES = ("CATEGORY", "ITEM_OPTION", "CUSTOM_ATTRIBUTE_DEFINITION")

    @classmethod
    def from_objects(cls, objects: Iterable[dict[str, Any]]) -> CatalogContext:
        context = cls()
        context.add(objects)
        return context

    def add(self, objects: Iterable[dict[str, Any]]) -> bool:
        """Take in (or drop, when deleted) the reference objects among ``objects``; True if any."""
        changed = False
        for obj in objects:
            kind, obj_id = obj.get("type"), str(obj.get("id") or "")
            if kind not in self.REFERENCE_TYPES or not obj_id:
                continue
            changed = True
            if obj.get("is_deleted"):
                self.options.pop(obj_id, None)
                self.definitions.pop(obj_id, None)
                self.categories.pop(obj_id, None)
                continue
            if kind == "CATEGORY":
                data = obj.get("category_data") or {}
                parent = (data.get("parent_category") or {}).get("id")
                self.categories[obj_id] = (str(data.get("name") or "").strip(), str(parent) if parent else None)
            elif kind == "ITEM_OPTION":
                data = obj.get("item_option_data") or {}
                self.options[obj_id] = str(data.get("display_name") or data.get("name") or "").strip()
                for value in data.get("values") or []:
                    if isinstance(value, dict) and value.get("id"):
                        value_data = value.get("item_option_value_data") or {}
                        self.option_values[str(value["id"])] = (obj_id, str(value_data.get("name") or "").strip())
            else:
                data = obj.get("custom_attribute_definition_data") or {}
                selections = {str(s.get("uid")): str(s.get("name") or "")
                              for s in (data.get("selection_config") or {}).get("allowed_selections") or []
                              if isinstance(s, dict) and s.get("uid")}
                self.definitions[obj_id] = Definition(str(data.get("name") or "").strip(), str(data.get("key") or ""),
                                                      str(data.get("type") or "STRING"), selections)
        return changed

    def root_of(self, category_id: str) -> str:
        seen = set()
        while category_id in self.categories and category_id not in seen:
            seen.add(category_id)
            parent = self.categories[category_id][1]
            if not parent or parent not in self.categories:
                return category_id
            category_id = parent
        return category_id

    def lineage(self, category_id: str) -> list[str]:
        """The category and its ancestors, nearest first."""
        chain, seen = [], set()
        while category_id and category_id not in seen:
            seen.add(category_id)
            chain.append(category_id)
            category_id = (self.categories.get(category_id) or ("", None))[1] or ""
        return chain

    def has_children(self) -> set[str]:
        return {parent for _name, parent in self.categories.values() if parent}

    # what staff can pick from, for the page and the API
    def choices(self) -> dict[str, list[str]]:
        return {
            "options": sorted({n for n in self.options.values() if n}),
            "attributes": sorted({d.name or d.key for d in self.definitions.values() if d.name or d.key}),
        }


# --- reading one item ---------------------------------------------------------------------------

def _attribute_entries(obj: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    for map_key, value in (obj.get("custom_attribute_values") or {}).items():
        if isinstance(value, dict):
            yield str(map_key), value


def _attribute_text(value: dict[str, Any], context: CatalogContext) -> str:
    uids = value.get("selection_uid_values")
    if uids:
        definition = context.definitions.get(str(value.get("custom_attribute_definition_id") or ""))
        names = [definition.selections.get(str(u), "") if definition else "" for u in uids]
        return ", ".join(n for n in names if n)
    for key in ("string_value", "number_value", "boolean_value"):
        raw = value.get(key)
        if raw is not None and raw != "":
            if key == "number_value":
                try:
                    number = float(raw)
                except (TypeError, ValueError):
                    return str(raw)
                return str(int(number)) if number.is_integer() else str(raw)
            return str(raw)
    return ""


class Mapper:
    """One mapping compiled against one catalog context: ``values(obj)`` gives an item's fields."""

    def __init__(self, mapping: FieldMapping, context: CatalogContext | None = None, *,
                 channel_id: str | None = None, timezone: str = "UTC") -> None:
        self.mapping = mapping
        self.timezone = timezone  # the shop's: an event time without an offset is read in it
        # ecs id → version of the items whose ECS object is stored already (a full sync sets it):
        # an unchanged item's object is not serialised again.
        self.stored_versions: dict[str, int] | None = None
        self.context = context or CatalogContext()
        self.channel_id = channel_id or None  # the shop's Square sales channel, when it is checked
        self._patterns = {s.pattern: compile_pattern(s.pattern)
                          for sources in mapping.fields.values() for s in sources if s.source == "name"}
        self._attributes = None
        # names an option may be asked for by → the ids it goes by
        self._option_ids: dict[str, set[str]] = {}
        for option_id, name in self.context.options.items():
            for alias in (option_id, name):
                if alias:
                    self._option_ids.setdefault(normalise(alias), set()).add(option_id)
        self._parents = self.context.has_children()

    # each source ----------------------------------------------------------------------------
    def _attribute_index(self, obj: dict[str, Any], variations: list[dict[str, Any]]) -> dict[str, str]:
        """Every attribute value of the item, then of its variations, under each name it goes by
        (map key, key, name, and the definition's name and key); the first value of a name wins."""
        index: dict[str, str] = {}
        definitions = self.context.definitions
        for holder in (obj, *variations):
            for map_key, value in _attribute_entries(holder):
                text = _attribute_text(value, self.context)
                if not text:
                    continue
                aliases = [map_key, value.get("key"), value.get("name")]
                definition = definitions.get(str(value.get("custom_attribute_definition_id") or ""))
                if definition is not None:
                    aliases += [definition.name, definition.key, value.get("custom_attribute_definition_id")]
                for alias in aliases:
                    if alias:
                        index.setdefault(normalise(alias), text)
        return index

    def _option(self, variations: list[dict[str, Any]], wanted: str) -> str:
        ids = self._option_ids.get(normalise(wanted), set())
        if not ids:
            return ""
        for variation in variations:
            for ref in (variation.get("item_variation_data") or {}).get("item_option_values") or []:
                if isinstance(ref, dict) and str(ref.get("item_option_id") or "") in ids:
                    value = self.context.option_values.get(str(ref.get("item_option_value_id") or ""))
                    if value and value[1]:
                        return value[1]
        return ""

    def _category_ids(self, data: dict[str, Any]) -> list[str]:
        ids = []
        reporting = (data.get("reporting_category") or {}).get("id")
        if reporting:
            ids.append(str(reporting))
        ids.extend(str(c.get("id")) for c in data.get("categories") or [] if isinstance(c, dict) and c.get("id"))
        if data.get("category_id"):
            ids.append(str(data["category_id"]))
        return list(dict.fromkeys(ids))

    def _one(self, source: Source, field_name: str, obj: dict[str, Any], data: dict[str, Any],
             variations: list[dict[str, Any]]) -> str:
        kind = source.source
        if kind == "attribute":
            if self._attributes is None:
                self._attributes = self._attribute_index(obj, variations)
            return self._attributes.get(normalise(source.name), "")
        if kind == "option":
            return self._option(variations, source.name)
        if kind == "name":
            match = self._patterns[source.pattern].fullmatch(str(data.get("name") or "").strip())
            return match.group(field_name).strip() if match and field_name in match.groupdict() else ""
        if kind in ("category", "root_category"):
            ids = self._category_ids(data)
            if not ids:
                return ""
            chosen = self.context.root_of(ids[0]) if kind == "root_category" else ids[0]
            return (self.context.categories.get(chosen) or ("", None))[0]
        if kind == "description":
            return str(data.get("description_plaintext") or data.get("description") or "").strip()
        first = (variations[0].get("item_variation_data") or {}) if variations else {}
        if kind == "variation_name":
            return str(first.get("name") or "").strip()
        if kind in ("upc", "sku"):
            for variation in variations:
                value = str((variation.get("item_variation_data") or {}).get(kind) or "").strip()
                if value:
                    return value
        return ""

    def values(self, obj: dict[str, Any]) -> dict[str, str]:
        """Every record field of one ITEM (live variations in Square's order), as text."""
        data = obj.get("item_data") or {}
        live = (v for v in data.get("variations") or [] if isinstance(v, dict) and not v.get("is_deleted"))
        variations = sorted(live, key=lambda v: int((v.get("item_variation_data") or {}).get("ordinal") or 0))
        out: dict[str, str] = {}
        self._attributes: dict[str, str] | None = None  # built on the first attribute source asked
        for name in FIELDS:
            value = ""
            for source in self.mapping.fields.get(name, ()):
                value = self._one(source, name, obj, data, variations)
                if value:
                    break
            out[name] = value[:FIELD_LIMITS[name]] if name not in ("year", "starts_at", "release_date") else value
        if not out["title"]:
            out["title"] = str(data.get("name") or "").strip()[:255]
        return out

    def needs_object(self, obj: dict[str, Any]) -> bool:
        """Whether the item's ECS object is to be stored (new, changed, or not stored yet)."""
        if self.stored_versions is None:
            return True
        return self.stored_versions.get(str(obj.get("id"))) != int(obj.get("version") or 0)

    def copy_of(self, variation: dict[str, Any]) -> tuple[str, str, str]:
        """One variation as a copy: (condition "new"/"used"/"", media grade, sleeve grade), read from
        the variation's own attributes and option values with the mapping's grade sources."""
        grades = []
        index: dict[str, str] | None = None
        for name in ("media_grade", "sleeve_grade"):
            value = ""
            for source in self.mapping.fields.get(name, ()):
                if source.source == "attribute":
                    if index is None:
                        index = self._attribute_index({}, [variation])
                    value = index.get(normalise(source.name), "")
                elif source.source == "option":
                    value = self._option([variation], source.name)
                if value:
                    break
            grades.append(value[:FIELD_LIMITS[name]])
        refs = (variation.get("item_variation_data") or {}).get("item_option_values") or []
        values = {normalise(self.context.option_values.get(str(r.get("item_option_value_id")), ("", ""))[1])
                  for r in refs if isinstance(r, dict)}
        condition = "used" if grades[0] or values & USED_WORDS else "new" if values & NEW_WORDS else ""
        return condition, grades[0], grades[1]

    def genre_ids(self, data: dict[str, Any]) -> tuple[str, ...]:
        """The item's categories that feed the genre facet, as the mapping's ``genre`` asks."""
        ids = self._category_ids(data)
        if self.mapping.genre == "none":
            return ()
        if self.mapping.genre == "root_category":
            return tuple(dict.fromkeys(self.context.root_of(c) for c in ids))
        return tuple(c for c in ids if c not in self._parents or c not in self.context.categories)

    def category_names(self, data: dict[str, Any]) -> list[str]:
        """Names of the item's categories and all their ancestors (to tell events from records)."""
        names = []
        for category_id in self._category_ids(data):
            names.extend(self.context.categories[c][0] for c in self.context.lineage(category_id)
                         if c in self.context.categories)
        return names


# --- proposing a mapping from the catalog --------------------------------------------------------

_HINTS: dict[str, re.Pattern[str]] = {
    "artist": re.compile(r"^(artist|artists|band|performer|artist name)$"),
    "title": re.compile(r"^(title|album|release title|album title)$"),
    "label": re.compile(r"\b(label|publisher|imprint)\b"),
    "catalog_number": re.compile(r"^(cat(alog|alogue)?( ?(no|num|number|#))?|catno|cat #|matrix)$"
                                 r"|catalog(ue)? ?(no|num|number|#)"),
    "format": re.compile(r"^(format|formats|media|media type|configuration)$"),
    "year": re.compile(r"\byear\b|^released$"),
    "barcode": re.compile(r"\b(barcode|upc|ean)\b"),
    "media_grade": re.compile(r"^(media|record|vinyl|disc) (grade|condition)$|^grade$"),
    "sleeve_grade": re.compile(r"^(sleeve|cover|jacket) (grade|condition)$"),
    "starts_at": re.compile(r"^(event )?(date|date and time|starts?|start time|starts at|when)$"),
    "release_date": re.compile(r"^(release date|street date|releases|releases on|ships|ships on|available from)$"),
}


def detect(context: CatalogContext, sample: list[dict[str, Any]]) -> FieldMapping:
    """A mapping for this catalog: the old storefront keys if the items carry them, otherwise the
    options and attribute definitions whose names say what they hold, and the name pattern most
    item names follow."""
    keys = {normalise(k) for obj in sample for k, _v in _attribute_entries(obj)} | {
        normalise(v.get("key")) for obj in sample for _k, v in _attribute_entries(obj)}
    if {"artist", "title"} <= keys:
        return PRESETS["storefront-keys"][1]
    fields: dict[str, list[Source]] = {}
    # Only what the items use: a catalog keeps definitions and options nobody fills in any more.
    variations = [v for obj in sample for v in (obj.get("item_data") or {}).get("variations") or []
                  if isinstance(v, dict)]
    used_definitions = {str(v.get("custom_attribute_definition_id")) for holder in (*sample, *variations)
                        for _k, v in _attribute_entries(holder)}
    used_options = {str(ref.get("item_option_id")) for v in variations
                    for ref in (v.get("item_variation_data") or {}).get("item_option_values") or []
                    if isinstance(ref, dict)}
    attributes = [d.name or d.key for def_id, d in context.definitions.items()
                  if (d.name or d.key) and (not sample or def_id in used_definitions)]
    options = [name for option_id, name in context.options.items() if not sample or option_id in used_options]
    for name, hint in _HINTS.items():
        option = next((o for o in options if o and hint.search(normalise(o))), None)
        attribute = next((a for a in attributes if hint.search(normalise(a))), None)
        if option:
            fields.setdefault(name, []).append(Source("option", option))
        if attribute:
            fields.setdefault(name, []).append(Source("attribute", attribute))
    names = [str((obj.get("item_data") or {}).get("name") or "").strip() for obj in sample]
    names = [n for n in names if n]
    best, best_hits = None, 0
    for pattern in NAME_PATTERNS:
        regex = compile_pattern(pattern)
        hits = sum(1 for n in names if regex.fullmatch(n))
        if hits > best_hits:
            best, best_hits = pattern, hits
    if best and best_hits * 2 >= len(names):
        for name in ("artist", "title"):
            fields.setdefault(name, []).append(Source("name", pattern=best))
    if "barcode" not in fields and any((v.get("item_variation_data") or {}).get("upc") for v in variations):
        fields["barcode"] = [Source("upc")]
    if "format" not in fields and not used_options and variations and all(
            normalise((v.get("item_variation_data") or {}).get("name")) in _FORMAT_WORDS for v in variations):
        fields["format"] = [Source("variation_name")]
    return FieldMapping(fields={k: tuple(v[:MAX_SOURCES]) for k, v in fields.items()}, genre="categories",
                        preset="detected")


_FORMAT_WORDS = {"lp", "2lp", "2xlp", "3lp", "ep", "cd", "2cd", "cassette", "tape", "7", "7 inch", "10", "12",
                 "12 inch", "vinyl", "box set", "dvd", "blu ray", "minidisc", "8 track", "digital"}
