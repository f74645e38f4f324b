"""Square Inventory endpoints: RetrieveInventoryCount, BatchRetrieveInventoryCounts, BatchChangeInventory."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from storefront.ecs.sandbox.clock import parse_rfc3339
from storefront.ecs.sandbox.context import current_sandbox
from storefront.ecs.sandbox.inventory_book import INVENTORY_STATES, UNTRACKED_STATES
from storefront.ecs.sandbox.store import InventoryChangeRequest, SandboxStore
from storefront.ecs.sandbox.wire import (
    SquareError,
    decode_cursor,
    encode_cursor,
    fingerprint,
    json_body,
    json_response,
    optional,
    require_idempotency_key,
    string_list,
)

bp = Blueprint("sandbox_inventory", __name__)
MAX_CHANGES = 100
IDEMPOTENCY_KEY_MAX = 128  # BatchChangeInventoryRequest.idempotency_key maxLength


@bp.get("/v2/inventory/<catalog_object_id>")
def retrieve_inventory_count(catalog_object_id: str) -> Response:
    locations = [v for v in request.args.get("location_ids", "").split(",") if v] or None
    counts = current_sandbox().store.counts_for(catalog_object_id, locations)
    if counts is None:
        raise SquareError(404, "NOT_FOUND", f"Catalog object `{catalog_object_id}` not found.", "catalog_object_id")
    return json_response({"counts": counts} if counts else {})


def _states(values: list[str] | None) -> set[str] | None:
    if not values:
        return None
    for i, value in enumerate(values):
        if value not in INVENTORY_STATES:
            raise SquareError(400, "INVALID_ENUM_VALUE", f"`{value}` is not a valid InventoryState.", f"states[{i}]")
    return set(values) - UNTRACKED_STATES


def _time(body: dict[str, Any], name: str) -> int | None:
    value = optional(body, name, str, "EXPECTED_STRING")
    if not value:
        return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        raise SquareError(400, "INVALID_TIME", f"`{value}` is not an RFC 3339 timestamp.", name) from None


@bp.post("/v2/inventory/counts/batch-retrieve")
def batch_retrieve_inventory_counts() -> Response:
    store = current_sandbox().store
    body = json_body()
    object_ids = string_list(body, "catalog_object_ids") or None  # an empty filter is no filter
    location_ids = string_list(body, "location_ids")
    states = _states(string_list(body, "states"))
    updated_after = _time(body, "updated_after")
    limit = optional(body, "limit", int, "EXPECTED_INTEGER")
    if limit is None or limit <= 0 or limit > 1000:
        limit = 100
    filters = {"o": object_ids, "l": location_ids, "st": sorted(states) if states is not None else None,
               "u": updated_after, "n": limit}
    position = 0
    cursor = optional(body, "cursor", str, "EXPECTED_STRING")
    if cursor:
        state = decode_cursor(cursor, "counts", store.epoch)
        filters, position = state["f"], int(state["p"])
    page = store.count_page(filters["o"], set(filters["l"]) if filters["l"] else None,
                            set(filters["st"]) if filters["st"] is not None else None, filters["u"], position,
                            int(filters["n"]))
    payload: dict[str, Any] = {}
    if page.counts:
        payload["counts"] = page.counts
    if page.next_position is not None:
        payload["cursor"] = encode_cursor({"k": "counts", "e": store.epoch, "p": page.next_position, "f": filters})
    return json_response(payload)


def _change(store: SandboxStore, raw: Any, i: int) -> InventoryChangeRequest:
    prefix = f"changes[{i}]"
    if not isinstance(raw, dict):
        raise SquareError(400, "EXPECTED_OBJECT", "Each change must be an object.", prefix)
    kind = raw.get("type")
    if kind == "TRANSFER":
        raise SquareError(400, "BAD_REQUEST", "The ECS sandbox does not support TRANSFER changes.", f"{prefix}.type")
    if kind not in ("PHYSICAL_COUNT", "ADJUSTMENT"):
        raise SquareError(400, "INVALID_ENUM_VALUE", "`type` must be PHYSICAL_COUNT or ADJUSTMENT.", f"{prefix}.type")
    key = "physical_count" if kind == "PHYSICAL_COUNT" else "adjustment"
    detail = raw.get(key)
    path = f"{prefix}.{key}"
    if not isinstance(detail, dict):
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", f"`{key}` must be set for a {kind}.", path)
    object_id = detail.get("catalog_object_id")
    if not isinstance(object_id, str) or not object_id:
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", f"{path}.catalog_object_id")
    obj, _ = store.catalog_object(object_id)
    if obj is None or obj["type"] != "ITEM_VARIATION":
        raise SquareError(400, "INVALID_VALUE", f"`{object_id}` is not an item variation in this catalog.",
                          f"{path}.catalog_object_id")
    location_id = detail.get("location_id")
    if not isinstance(location_id, str) or not store.has_location(location_id):
        raise SquareError(400, "INVALID_VALUE", f"Location `{location_id}` not found.", f"{path}.location_id")
    quantity = _quantity(detail.get("quantity"), f"{path}.quantity", allow_zero=kind == "PHYSICAL_COUNT")
    occurred_at = detail.get("occurred_at")
    if occurred_at is not None:
        _time(detail, "occurred_at")
    states: dict[str, str] = {}
    for name in (("state",) if kind == "PHYSICAL_COUNT" else ("from_state", "to_state")):
        value = detail.get(name)
        if value not in INVENTORY_STATES:
            raise SquareError(400, "INVALID_ENUM_VALUE", f"`{name}` must be an InventoryState.", f"{path}.{name}")
        states[name] = value
    if kind == "PHYSICAL_COUNT" and states["state"] in UNTRACKED_STATES:
        raise SquareError(400, "INVALID_VALUE", f"Cannot count the {states['state']} state.", f"{path}.state")
    reference = detail.get("reference_id") if isinstance(detail.get("reference_id"), str) else None
    return InventoryChangeRequest(kind, object_id, location_id, quantity, reference_id=reference,
                                  occurred_at=occurred_at, **states)


def _quantity(value: Any, field: str, *, allow_zero: bool) -> int:
    if not isinstance(value, str):
        raise SquareError(400, "EXPECTED_STRING" if value is not None else "MISSING_REQUIRED_PARAMETER",
                          "`quantity` must be a decimal string.", field)
    try:
        number = float(value)
    except ValueError:
        raise SquareError(400, "INVALID_VALUE", f"`{value}` is not a decimal number.", field) from None
    if number != int(number) or number < 0 or (number == 0 and not allow_zero):
        raise SquareError(400, "INVALID_VALUE", "The sandbox tracks whole, non-negative quantities.", field)
    return int(number)


@bp.post("/v2/inventory/changes/batch-create")
def batch_change_inventory() -> Response:
    store = current_sandbox().store
    body = json_body()
    key = require_idempotency_key(body, IDEMPOTENCY_KEY_MAX)
    raw_changes = optional(body, "changes", list, "EXPECTED_ARRAY") or []
    if len(raw_changes) > MAX_CHANGES:
        raise SquareError(400, "INVALID_VALUE", f"At most {MAX_CHANGES} changes per request.",
                          "changes")
    ignore_unchanged = optional(body, "ignore_unchanged_counts", bool, "EXPECTED_BOOLEAN")

    def run() -> tuple[int, dict[str, Any]]:
        changes = [_change(store, raw, i) for i, raw in enumerate(raw_changes)]
        records, counts = store.change_inventory(changes, ignore_unchanged=ignore_unchanged is not False)
        payload: dict[str, Any] = {}
        if counts:
            payload["counts"] = counts
        if records:
            payload["changes"] = records
        return 200, payload

    status, payload = store.idempotent("inventory", key, fingerprint(body), run)
    return json_response(payload, status)
