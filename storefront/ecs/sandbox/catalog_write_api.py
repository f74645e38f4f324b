"""Square's catalog write endpoints: UpsertCatalogObject, BatchUpsertCatalogObjects,
DeleteCatalogObject and BatchDeleteCatalogObjects (see :mod:`catalog_writes` for the rules)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from storefront.ecs.sandbox.catalog_writes import (
    MAX_BATCHES,
    MAX_DELETE,
    MAX_OBJECTS,
    MAX_PER_BATCH,
    check_objects,
    count_objects,
)
from storefront.ecs.sandbox.clock import rfc3339
from storefront.ecs.sandbox.context import current_sandbox
from storefront.ecs.sandbox.wire import (
    SquareError,
    fingerprint,
    json_body,
    json_response,
    optional,
    require_idempotency_key,
    string_list,
)

bp = Blueprint("sandbox_catalog_writes", __name__)
IDEMPOTENCY_KEY_MAX = 128  # UpsertCatalogObjectRequest / BatchUpsertCatalogObjectsRequest maxLength


@bp.post("/v2/catalog/object")
def upsert_catalog_object() -> Response:
    store = current_sandbox().store
    body = json_body()
    key = require_idempotency_key(body, IDEMPOTENCY_KEY_MAX)
    obj = optional(body, "object", dict, "EXPECTED_OBJECT")
    if obj is None:
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", "object")
    check_objects([obj], "object", single=True)

    def run() -> tuple[int, dict[str, Any]]:
        top, mappings, _version = store.write_catalog([obj], ["object"])
        payload: dict[str, Any] = {"catalog_object": top[0]}
        if mappings:
            payload["id_mappings"] = mappings
        return 200, payload

    status, payload = store.idempotent("catalog-upsert", key, fingerprint(body), run)
    return json_response(payload, status)


@bp.post("/v2/catalog/batch-upsert")
def batch_upsert_catalog_objects() -> Response:
    store = current_sandbox().store
    body = json_body()
    key = require_idempotency_key(body, IDEMPOTENCY_KEY_MAX)
    batches = optional(body, "batches", list, "EXPECTED_ARRAY")
    if not batches:
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", "batches")
    if len(batches) > MAX_BATCHES:
        raise SquareError(400, "INVALID_VALUE", f"At most {MAX_BATCHES} batches per request.", "batches")
    objects: list[dict[str, Any]] = []
    paths: list[str] = []
    batch_of: list[int] = []
    for i, batch in enumerate(batches):
        if not isinstance(batch, dict) or "objects" not in batch:
            raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", f"batches[{i}].objects")
        objects.extend(check_objects(batch["objects"], f"batches[{i}].objects"))
        paths.extend(f"batches[{i}].objects[{j}]" for j in range(len(batch["objects"])))
        batch_of.extend([i] * len(batch["objects"]))
        size = count_objects(batch["objects"])
        if size > MAX_PER_BATCH:
            raise SquareError(400, "INVALID_VALUE", f"Too many objects ({size}, max {MAX_PER_BATCH}) in a single "
                              "batch in BatchUpsertCatalogObjects request.", f"batches[{i}].objects")
    if len(objects) > MAX_OBJECTS:
        raise SquareError(400, "INVALID_VALUE", f"At most {MAX_OBJECTS} objects per request.", "batches")

    def run() -> tuple[int, dict[str, Any]]:
        top, mappings, version = store.write_catalog(objects, paths, batch_of)
        payload: dict[str, Any] = {"objects": top, "updated_at": rfc3339(version)}
        if mappings:
            payload["id_mappings"] = mappings
        return 200, payload

    status, payload = store.idempotent("catalog-upsert", key, fingerprint(body), run)
    return json_response(payload, status)


@bp.delete("/v2/catalog/object/<object_id>")
def delete_catalog_object(object_id: str) -> Response:
    store = current_sandbox().store
    deleted, version = store.delete_catalog([object_id])
    if not deleted and not store.knows_catalog_object(object_id):  # deleted before: a retry, not an error
        raise SquareError(404, "NOT_FOUND", f"Object `{object_id}` not found.", "object_id")
    return json_response({"deleted_object_ids": deleted, "deleted_at": rfc3339(version)})


@bp.post("/v2/catalog/batch-delete")
def batch_delete_catalog_objects() -> Response:
    body = json_body()
    ids = string_list(body, "object_ids")
    if not ids:
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", "object_ids")
    if len(ids) > MAX_DELETE:
        raise SquareError(400, "INVALID_VALUE", f"At most {MAX_DELETE} object ids per request.", "object_ids")
    deleted, version = current_sandbox().store.delete_catalog(ids)
    payload: dict[str, Any] = {"deleted_object_ids": deleted}
    if deleted:
        payload["deleted_at"] = rfc3339(version)
    return json_response(payload)
