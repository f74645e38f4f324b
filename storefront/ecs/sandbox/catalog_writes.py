"""Square's catalog writes: UpsertCatalogObject / BatchUpsertCatalogObjects and the deletes.

As Square documents and answers them:

* a new object has a client id starting with ``#``; it gets a real id, reported in ``id_mappings``,
  and every reference to the temporary id inside the request (a variation's ``item_id``, an item's
  categories, option and image ids, a custom attribute's definition id …) is rewritten to it;
* updating an existing object needs its current ``version`` (top level and each nested variation):
  a missing or stale one is refused with ``VERSION_MISMATCH`` ("Object version does not match
  latest database version."), and nothing of the request is written;
* an item's ``variations`` are the whole list: a variation left out is deleted; an option's
  ``values`` likewise;
* every object written in one request gets the same new catalog version.
"""

from __future__ import annotations

import copy
from typing import Any

from storefront.ecs.sandbox.catalog_index import CATALOG_OBJECT_TYPES, CatalogIndex
from storefront.ecs.sandbox.clock import rfc3339
from storefront.ecs.sandbox.ids import catalog_id
from storefront.ecs.sandbox.wire import SquareError

MAX_BATCHES = 1000
MAX_OBJECTS = 10_000  # per request, as Square documents for BatchUpsertCatalogObjects
MAX_DELETE = 200
# The data field each type carries (the types the sandbox accepts for writing).
DATA_FIELDS = {
    "ITEM": "item_data", "ITEM_VARIATION": "item_variation_data", "CATEGORY": "category_data",
    "ITEM_OPTION": "item_option_data", "ITEM_OPTION_VAL": "item_option_value_data", "TAX": "tax_data",
    "CUSTOM_ATTRIBUTE_DEFINITION": "custom_attribute_definition_data", "IMAGE": "image_data",
    "DISCOUNT": "discount_data",
}
NAMED = {"ITEM", "CATEGORY", "ITEM_OPTION", "TAX", "CUSTOM_ATTRIBUTE_DEFINITION"}
VERSION_MISMATCH = "Object version does not match latest database version."


def _bad(code: str, detail: str, field: str) -> SquareError:
    return SquareError(400, code, detail, field)


def check_objects(objects: Any, path: str, *, single: bool = False) -> list[dict[str, Any]]:
    """The request's objects, each with a type the sandbox writes, an id and its data field
    (``single``: the one ``object`` of UpsertCatalogObject, named ``path`` in errors)."""
    if not isinstance(objects, list):
        raise _bad("EXPECTED_ARRAY", f"Expected `{path}` to be an array.", path)
    for i, obj in enumerate(objects):
        where = path if single else f"{path}[{i}]"
        if not isinstance(obj, dict):
            raise _bad("EXPECTED_OBJECT", f"Expected `{where}` to be an object.", where)
        kind, obj_id = obj.get("type"), obj.get("id")
        if not kind:
            raise _bad("MISSING_REQUIRED_PARAMETER", "Field must be set", f"{where}.type")
        if kind not in CATALOG_OBJECT_TYPES:
            raise _bad("INVALID_ENUM_VALUE", f"`{kind}` is not a valid CatalogObjectType.", f"{where}.type")
        if kind not in DATA_FIELDS:
            raise _bad("INVALID_VALUE", f"The sandbox does not write {kind} objects.", f"{where}.type")
        if not isinstance(obj_id, str) or not obj_id:
            raise _bad("MISSING_REQUIRED_PARAMETER", "Field must be set", f"{where}.id")
        data = obj.get(DATA_FIELDS[kind])
        if not isinstance(data, dict):
            raise _bad("MISSING_REQUIRED_PARAMETER", f"A {kind} needs `{DATA_FIELDS[kind]}`.",
                       f"{where}.{DATA_FIELDS[kind]}")
        if kind in NAMED and not str(data.get("name") or data.get("display_name") or "").strip():
            raise _bad("MISSING_REQUIRED_PARAMETER", "Field must be set", f"{where}.{DATA_FIELDS[kind]}.name")
        version = obj.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
            raise _bad("EXPECTED_INTEGER", f"Expected `{where}.version` to be an integer.", f"{where}.version")
    return objects


def _nested(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects an object carries inside it: an item's variations, an option's values."""
    if obj["type"] == "ITEM":
        return [v for v in (obj.get("item_data") or {}).get("variations") or [] if isinstance(v, dict)]
    if obj["type"] == "ITEM_OPTION":
        return [v for v in (obj.get("item_option_data") or {}).get("values") or [] if isinstance(v, dict)]
    return []


def _rewrite(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every string equal to a temporary id replaced by its real id."""
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_rewrite(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _rewrite(v, ids) for k, v in value.items()}
    return value


def _check_version(index: CatalogIndex, obj: dict[str, Any], where: str) -> dict[str, Any] | None:
    """The stored object an update replaces (None for a new one); refuses a stale or missing version."""
    if obj["id"].startswith("#"):
        return None
    stored = index.get(obj["id"])
    if stored is None:
        raise _bad("NOT_FOUND", f"Object `{obj['id']}` not found; new objects need an id starting with `#`.",
                   f"{where}.id")
    if stored["type"] != obj["type"]:
        raise _bad("INVALID_VALUE", f"Object `{obj['id']}` is a {stored['type']}, not a {obj['type']}.",
                   f"{where}.type")
    if not stored.get("is_deleted") and obj.get("version") != stored.get("version"):
        raise _bad("VERSION_MISMATCH", VERSION_MISMATCH, f"{where}.version")
    return stored


def upsert(index: CatalogIndex, objects: list[dict[str, Any]], version: int, paths: list[str] | None = None
           ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Write ``objects`` (already checked) as one catalog version: (the top-level objects as stored,
    the id mappings). Raises SquareError before writing anything if any object may not be written."""
    objects = copy.deepcopy(objects)
    ids: dict[str, str] = {}
    replaced: dict[str, dict[str, Any]] = {}
    for i, obj in enumerate(objects):
        base = paths[i] if paths else f"objects[{i}]"
        for j, inner in enumerate([obj, *_nested(obj)]):
            nested = "item_data.variations" if obj["type"] == "ITEM" else "item_option_data.values"
            where = base if j == 0 else f"{base}.{nested}[{j - 1}]"
            if not isinstance(inner.get("id"), str) or not inner["id"]:
                raise _bad("MISSING_REQUIRED_PARAMETER", "Field must be set", f"{where}.id")
            inner.setdefault("type", "ITEM_VARIATION" if obj["type"] == "ITEM" else "ITEM_OPTION_VAL")
            if inner["id"] in ids:
                raise _bad("INVALID_VALUE", f"Duplicate object id `{inner['id']}` in the request.", f"{where}.id")
            stored = _check_version(index, inner, where)
            if stored is not None:
                replaced[inner["id"]] = stored
            ids[inner["id"]] = catalog_id() if inner["id"].startswith("#") else inner["id"]
    temporary = {k: v for k, v in ids.items() if k.startswith("#")}
    stamp = rfc3339(version)
    published: list[dict[str, Any]] = []
    top: list[dict[str, Any]] = []
    for obj in objects:
        obj = _rewrite(obj, temporary)
        obj = {**obj, "version": version, "updated_at": stamp, "is_deleted": False}
        obj.setdefault("present_at_all_locations", True)
        children, kept = [], set()
        for inner in _nested(obj):
            child = {**inner, "version": version, "updated_at": stamp, "is_deleted": False}
            child.setdefault("present_at_all_locations", obj.get("present_at_all_locations", True))
            if obj["type"] == "ITEM":
                child["item_variation_data"] = {**(child.get("item_variation_data") or {}), "item_id": obj["id"]}
            else:
                child["item_option_value_data"] = {**(child.get("item_option_value_data") or {}),
                                                   "item_option_id": obj["id"]}
            children.append(child)
            kept.add(child["id"])
        if obj["type"] in ("ITEM", "ITEM_OPTION"):
            key, field = ("item_data", "variations") if obj["type"] == "ITEM" else ("item_option_data", "values")
            obj[key] = {**obj[key], field: children}
            old = replaced.get(obj["id"])
            for gone in _nested(old) if old else []:  # left out of the new list: deleted
                if gone["id"] not in kept and not gone.get("is_deleted"):
                    published.append({**gone, "version": version, "updated_at": stamp, "is_deleted": True})
        published.extend(children)
        published.append(obj)
        top.append(obj)
    index.put_many(published)
    return top, [{"client_object_id": k, "object_id": v} for k, v in temporary.items()]


def delete_ids(index: CatalogIndex, object_ids: list[str], version: int) -> list[str]:
    """Delete objects (an item takes its variations): the ids deleted, unknown ones skipped."""
    from storefront.ecs.sandbox.catalog_edits import delete_object

    deleted: list[str] = []
    for object_id in dict.fromkeys(object_ids):
        obj = index.get(object_id)
        if obj is None or obj.get("is_deleted"):
            continue
        deleted.extend(o["id"] for o in delete_object(index, object_id, version) if o.get("is_deleted"))
    return list(dict.fromkeys(deleted))
