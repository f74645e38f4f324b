"""Control API (not Square's): reset, catalog and stock edits, state for tests. No auth, JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from storefront.ecs.sandbox.catalog_edits import CatalogEditError
from storefront.ecs.sandbox.context import current_sandbox
from storefront.ecs.sandbox.store import SHAPES
from storefront.ecs.sandbox.wire import json_response

bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")
MAX_ITEMS = 500_000


class ControlError(ValueError):
    """A bad control request; answered as ``{"error": message}`` with ``status``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def control_body() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.get_data() else {}
    if not isinstance(body, dict):
        raise ControlError("send a JSON object")
    return body


def int_field(body: dict[str, Any], name: str, default: int | None = None, *, low: int | None = None,
              high: int | None = None) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ControlError(f"`{name}` must be an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ControlError(f"`{name}` must be between {low} and {high}")
    return value


def _edit(action: str, object_id: str | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    try:
        return current_sandbox().store.edit_catalog(action, object_id, **kwargs)
    except CatalogEditError as exc:
        raise ControlError(exc.detail, 404 if exc.not_found else 400) from None


@bp.post("/reset")
def reset() -> Response:
    body = control_body()
    store = current_sandbox().store
    items = int_field(body, "items", store.base["items"], low=0, high=MAX_ITEMS)
    seed = int_field(body, "seed", store.base["seed"])
    shape = body.get("shape")
    if shape is not None and shape not in SHAPES:
        raise ControlError(f"shape must be one of {', '.join(SHAPES)}")
    return json_response(store.reset(items, seed, shape))


@bp.get("/state/summary")
def summary() -> Response:
    sandbox = current_sandbox()
    return json_response({**sandbox.store.summary(), "webhooks": sandbox.webhooks.stats()})


@bp.get("/inventory")
def inventory() -> Response:
    """Every current InventoryCount (optionally of one ``location_id`` / ``state``), for comparing stock."""
    location_id, state = request.args.get("location_id"), request.args.get("state")
    counts = [c for c in current_sandbox().store.stock_levels()
              if (location_id is None or c["location_id"] == location_id) and (state is None or c["state"] == state)]
    return json_response({"counts": counts})


@bp.post("/inventory/<variation_id>")
def set_inventory(variation_id: str) -> Response:
    body = control_body()
    store = current_sandbox().store
    quantity = int_field(body, "quantity", low=-(10**9), high=10**9)
    location_id = body.get("location_id") or store.location_id
    if not store.has_location(location_id):
        raise ControlError(f"unknown location {location_id!r}", 404)
    obj, _ = store.catalog_object(variation_id)
    if obj is None or obj["type"] != "ITEM_VARIATION":
        raise ControlError(f"no item variation {variation_id!r}", 404)
    return json_response({"counts": store.set_stock(variation_id, quantity, location_id)})


@bp.post("/catalog/items")
def create_item() -> Response:
    body = control_body()
    if "amount" in body:
        int_field(body, "amount", low=0)
    if "stock" in body:
        int_field(body, "stock", low=0)
    return json_response({"objects": _edit("create_item", spec=body)}, 201)


@bp.post("/catalog/<object_id>/price")
def set_price(object_id: str) -> Response:
    body = control_body()
    amount = int_field(body, "amount", low=0)
    currency = body.get("currency") or "USD"
    return json_response({"objects": _edit("set_price", object_id, amount=amount, currency=currency)})


@bp.patch("/catalog/<object_id>")
def update_item(object_id: str) -> Response:
    return json_response({"objects": _edit("update_item", object_id, spec=control_body())})


@bp.post("/catalog/<object_id>/image")
def set_image(object_id: str) -> Response:
    """A new CatalogImage for the item: ``{"url"?, "variation_id"?, "append"?, "title"?}`` (all optional)."""
    return json_response({"objects": _edit("set_image", object_id, spec=control_body())})


@bp.post("/catalog/<object_id>/corrupt")
def corrupt_item(object_id: str) -> Response:
    """Blank the item's name: a catalog object an importer must reject (for failure-handling tests)."""
    return json_response({"objects": _edit("corrupt", object_id)})


@bp.delete("/catalog/<object_id>")
def delete_object(object_id: str) -> Response:
    return json_response({"objects": _edit("delete", object_id)})

