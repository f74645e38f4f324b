"""Square's catalog writes: UpsertCatalogObject / BatchUpsertCatalogObjects and the deletes.

As Square documents and answers them:

* a new object has a client id starting with ``#``; it gets a real id, reported in ``id_mappings``,
  and every reference to the temporary id inside its batch (a variation's ``item_id``, an item's
  categories, option and image ids, a category's parent, a custom attribute's definition id …) is
  rewritten to it; a ``#`` id referred to from another batch (or never created) is refused;
* updating an existing object needs its current ``version`` (top level and each nested variation):
  a missing or stale one is refused with ``VERSION_MISMATCH`` ("Object version does not match
  latest database version.", as Square's Catalog API answers; its guide says an update must carry
  the version), and nothing of the request is written; a deleted object cannot be updated, and
  ``is_deleted`` may not be sent as true;
* an item's ``variations`` are the whole list: a variation left out is deleted; an option's
  ``values`` likewise; a variation (option value) written on its own is listed by its item (option);
* Square's read-only fields are set here: a category's ``is_top_level`` and ``root_category``, the
  ``uid`` of a SELECTION definition's allowed selections;
* every object written in one request gets the same new catalog version.

Unlike Square, a failing batch fails the whole request (Square may still apply the other batches;
it does not document how it then answers).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
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
DEFINITION_TYPES = ("STRING", "BOOLEAN", "NUMBER", "SELECTION")
MAX_PER_BATCH = 1000  # objects in one batch, nested variations and option values included
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
        if kind == "CUSTOM_ATTRIBUTE_DEFINITION":  # the spec's required fields
            if data.get("type") not in DEFINITION_TYPES:
                code = "INVALID_ENUM_VALUE" if data.get("type") else "MISSING_REQUIRED_PARAMETER"
                raise _bad(code, "Field must be one of STRING, BOOLEAN, NUMBER, SELECTION",
                           f"{where}.custom_attribute_definition_data.type")
            if not isinstance(data.get("allowed_object_types"), list) or not data["allowed_object_types"]:
                raise _bad("MISSING_REQUIRED_PARAMETER", "Field must be set",
                           f"{where}.custom_attribute_definition_data.allowed_object_types")
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


def count_objects(objects: list[Any]) -> int:
    """Objects in a batch as Square counts them against its limit: nested variations and values too."""
    return sum(1 + len(_nested(o)) for o in objects if isinstance(o, dict))


# A standalone child names its parent here: (data field, parent id field, parent type, parent list).
PARENT_OF = {"ITEM_VARIATION": ("item_variation_data", "item_id", "ITEM", "item_data", "variations"),
             "ITEM_OPTION_VAL": ("item_option_value_data", "item_option_id", "ITEM_OPTION", "item_option_data",
                                 "values")}


def _rewrite(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every string equal to a temporary id replaced by its real id."""
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_rewrite(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _rewrite(v, ids) for k, v in value.items()}
    return value


def _dangling(value: Any, where: str, key: str = "") -> str | None:
    """The path of a reference (an ``id``, ``…_id`` or ``…_ids`` field) still holding a ``#`` id after
    rewriting: a temporary id not created in the same batch."""
    if isinstance(value, str):
        is_ref = key == "id" or key.endswith(("_id", "_ids"))
        return where if is_ref and value.startswith("#") else None
    if isinstance(value, list):
        return next((p for i, v in enumerate(value) if (p := _dangling(v, f"{where}[{i}]", key))), None)
    if isinstance(value, dict):
        return next((p for k, v in value.items() if (p := _dangling(v, f"{where}.{k}", k))), None)
    return None


def _check_version(index: CatalogIndex, obj: dict[str, Any], where: str) -> dict[str, Any] | None:
    """The stored object an update replaces (None for a new one); refuses a stale or missing version
    and an object that is not (or no longer) in the catalog."""
    if obj.get("is_deleted") is True:
        raise _bad("INVALID_VALUE", "`is_deleted` must not be true in an upsert.", f"{where}.is_deleted")
    if obj["id"].startswith("#"):
        return None
    stored = index.get(obj["id"])
    if stored is None or stored.get("is_deleted"):
        raise _bad("NOT_FOUND", f"Object `{obj['id']}` not found; new objects need an id starting with `#`.",
                   f"{where}.id")
    if stored["type"] != obj["type"]:
        raise _bad("INVALID_VALUE", f"Object `{obj['id']}` is a {stored['type']}, not a {obj['type']}.",
                   f"{where}.type")
    if obj.get("version") != stored.get("version"):
        raise _bad("VERSION_MISMATCH", VERSION_MISMATCH, f"{where}.version")
    return stored


def _derived(obj: dict[str, Any], view: Callable[[str], dict[str, Any] | None]) -> dict[str, Any]:
    """Fields Square sets itself: a category's ``is_top_level`` / ``root_category`` (read only), the
    ``uid`` of each allowed selection of a SELECTION definition."""
    if obj["type"] == "CATEGORY":
        data = dict(obj["category_data"])
        parent = (data.get("parent_category") or {}).get("id")
        data.pop("root_category", None)
        data["is_top_level"] = not parent
        if parent:
            seen, root = {obj["id"]}, parent
            while root not in seen:
                seen.add(root)
                above = ((view(root) or {}).get("category_data") or {}).get("parent_category") or {}
                if not above.get("id"):
                    break
                root = above["id"]
            data["root_category"] = root
        return {**obj, "category_data": data}
    if obj["type"] == "CUSTOM_ATTRIBUTE_DEFINITION":
        data = obj["custom_attribute_definition_data"]
        config = data.get("selection_config")
        if isinstance(config, dict) and isinstance(config.get("allowed_selections"), list):
            selections = [{**s, "uid": s.get("uid") or catalog_id()} if isinstance(s, dict) else s
                          for s in config["allowed_selections"]]
            data = {**data, "selection_config": {**config, "allowed_selections": selections}}
            return {**obj, "custom_attribute_definition_data": data}
    return obj


def upsert(index: CatalogIndex, objects: list[dict[str, Any]], version: int, paths: list[str] | None = None,
           batches: list[int] | None = None) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Write ``objects`` (already checked; ``batches[i]`` is the batch of object ``i``, where its
    temporary ids are valid) as one catalog version: (the top-level objects as stored, the id
    mappings). Raises SquareError before writing anything if any object may not be written."""
    objects = copy.deepcopy(objects)
    batch_of = batches or [0] * len(objects)
    where_of = [paths[i] if paths else f"objects[{i}]" for i in range(len(objects))]
    temporary, replaced = _assign_ids(index, objects, batch_of, where_of)
    objects = [_rewrite(obj, temporary.get(batch_of[i], {})) for i, obj in enumerate(objects)]
    written = {inner["id"]: inner for obj in objects for inner in [obj, *_nested(obj)]}
    _check_references(index, objects, where_of, written)

    stamp = rfc3339(version)
    latest: dict[str, dict[str, Any]] = {}

    def view(object_id: str) -> dict[str, Any] | None:
        return latest.get(object_id) or written.get(object_id) or index.get(object_id)

    def publish(obj: dict[str, Any]) -> dict[str, Any]:
        latest.pop(obj["id"], None)  # re-inserted last: the order objects are put in
        latest[obj["id"]] = obj
        return obj

    top: list[dict[str, Any]] = []
    for obj in objects:
        obj = _derived({**obj, "version": version, "updated_at": stamp, "is_deleted": False}, view)
        obj.setdefault("present_at_all_locations", True)
        children = _children(obj, version, stamp)
        if obj["type"] in ("ITEM", "ITEM_OPTION"):
            key, field = ("item_data", "variations") if obj["type"] == "ITEM" else ("item_option_data", "values")
            obj[key] = {**obj[key], field: children}
            kept, old = {c["id"] for c in children}, replaced.get(obj["id"])
            for gone in _nested(old) if old else []:  # left out of the new list: deleted
                if gone["id"] not in kept and not gone.get("is_deleted"):
                    publish({**gone, "version": version, "updated_at": stamp, "is_deleted": True})
        for child in children:
            publish(child)
        top.append(publish(obj))
        if obj["type"] in PARENT_OF:
            _adopt(obj, replaced.get(obj["id"]), view, publish, version, stamp)
    index.put_many(list(latest.values()))
    mappings = [{"client_object_id": k, "object_id": v} for batch in temporary.values() for k, v in batch.items()]
    return top, mappings


def _assign_ids(index: CatalogIndex, objects: list[dict[str, Any]], batch_of: list[int], where_of: list[str]
                ) -> tuple[dict[int, dict[str, str]], dict[str, dict[str, Any]]]:
    """Real ids for the temporary ones, by batch, and the stored objects the others update (their
    versions checked)."""
    ids: dict[str, str] = {}
    temporary: dict[int, dict[str, str]] = {}
    replaced: dict[str, dict[str, Any]] = {}
    for i, obj in enumerate(objects):
        for j, inner in enumerate([obj, *_nested(obj)]):
            nested = "item_data.variations" if obj["type"] == "ITEM" else "item_option_data.values"
            where = where_of[i] if j == 0 else f"{where_of[i]}.{nested}[{j - 1}]"
            if not isinstance(inner.get("id"), str) or not inner["id"]:
                raise _bad("MISSING_REQUIRED_PARAMETER", "Field must be set", f"{where}.id")
            inner.setdefault("type", "ITEM_VARIATION" if obj["type"] == "ITEM" else "ITEM_OPTION_VAL")
            if inner["id"] in ids:
                raise _bad("INVALID_VALUE", f"Duplicate object id `{inner['id']}` in the request.", f"{where}.id")
            stored = _check_version(index, inner, where)
            if stored is not None:
                replaced[inner["id"]] = stored
            ids[inner["id"]] = catalog_id() if inner["id"].startswith("#") else inner["id"]
            if inner["id"].startswith("#"):
                temporary.setdefault(batch_of[i], {})[inner["id"]] = ids[inner["id"]]
    return temporary, replaced


def _check_references(index: CatalogIndex, objects: list[dict[str, Any]], where_of: list[str],
                      written: dict[str, dict[str, Any]]) -> None:
    """No ``#`` id left unresolved; a variation (option value) written on its own names a live parent."""
    for obj, base in zip(objects, where_of, strict=True):
        path = _dangling({k: v for k, v in obj.items() if k != "id"}, base)
        if path:
            raise _bad("INVALID_VALUE", "A temporary `#` id must refer to an object created in the same batch.", path)
        if obj["type"] in PARENT_OF:
            data_field, parent_field, parent_type = PARENT_OF[obj["type"]][:3]
            parent_id = obj[data_field].get(parent_field)
            if not parent_id:
                raise _bad("MISSING_REQUIRED_PARAMETER", "Field must be set", f"{base}.{data_field}.{parent_field}")
            parent = written.get(parent_id) or index.get(parent_id)
            if parent is None or parent.get("is_deleted") or parent["type"] != parent_type:
                raise _bad("INVALID_VALUE", f"`{parent_id}` is not a {parent_type} in the catalog.",
                           f"{base}.{data_field}.{parent_field}")


def _children(obj: dict[str, Any], version: int, stamp: str) -> list[dict[str, Any]]:
    """An item's variations (an option's values) as stored: stamped, pointing at their parent."""
    children = []
    for inner in _nested(obj):
        child = {**inner, "version": version, "updated_at": stamp, "is_deleted": False}
        child.setdefault("present_at_all_locations", obj.get("present_at_all_locations", True))
        if obj["type"] == "ITEM":
            child["item_variation_data"] = {**(child.get("item_variation_data") or {}), "item_id": obj["id"]}
        else:
            child["item_option_value_data"] = {**(child.get("item_option_value_data") or {}),
                                               "item_option_id": obj["id"]}
        children.append(child)
    return children


def _adopt(child: dict[str, Any], old: dict[str, Any] | None, view: Callable[[str], dict[str, Any] | None],
           publish: Callable[[dict[str, Any]], dict[str, Any]], version: int, stamp: str) -> None:
    """A variation (option value) written on its own: its item (option) lists the new copy, re-versioned
    as the sandbox's own edits do; the item it moved away from, if any, no longer lists it."""
    data_field, parent_field, _type, list_data, list_field = PARENT_OF[child["type"]]
    parent_id = child[data_field][parent_field]
    old_parent = ((old or {}).get(data_field) or {}).get(parent_field)
    for owner_id in dict.fromkeys([parent_id, *([old_parent] if old_parent else [])]):
        owner = view(owner_id)
        if owner is None or owner.get("is_deleted"):
            continue
        members = [m for m in owner[list_data].get(list_field) or [] if m.get("id") != child["id"]]
        if owner_id == parent_id:
            current = owner[list_data].get(list_field) or []
            at = next((n for n, m in enumerate(current) if m.get("id") == child["id"]), len(members))
            members.insert(at, child)
        publish({**owner, list_data: {**owner[list_data], list_field: members}, "version": version,
                 "updated_at": stamp})


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
