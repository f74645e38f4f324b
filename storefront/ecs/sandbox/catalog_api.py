"""Square Locations and Catalog endpoints: ListLocations, ListCatalog, SearchCatalogObjects, RetrieveCatalogObject."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from storefront.ecs.sandbox.catalog_index import CATALOG_OBJECT_TYPES, DEFAULT_TYPES
from storefront.ecs.sandbox.catalog_query import matcher, parse_query
from storefront.ecs.sandbox.clock import parse_rfc3339, rfc3339
from storefront.ecs.sandbox.context import current_sandbox
from storefront.ecs.sandbox.wire import (
    SquareError,
    decode_cursor,
    encode_cursor,
    json_body,
    json_response,
    optional,
    spliced_response,
    string_list,
)

bp = Blueprint("sandbox_catalog", __name__)
PAGE_SIZE = 100
MAX_LIMIT = 1000


def _types(values: list[str] | None, field: str) -> list[str]:
    if not values:
        return list(DEFAULT_TYPES)
    types = [v.strip().upper() for v in values if v.strip()]
    for i, value in enumerate(types):
        if value not in CATALOG_OBJECT_TYPES:
            raise SquareError(400, "INVALID_ENUM_VALUE", f"`{value}` is not a valid CatalogObjectType.",
                              f"{field}[{i}]" if field == "object_types" else field)
    return types or list(DEFAULT_TYPES)


@bp.get("/v2/locations")
def list_locations() -> Response:
    return json_response({"locations": current_sandbox().store.locations()})


@bp.get("/v2/catalog/list")
def list_catalog() -> Response:
    store = current_sandbox().store
    cursor = request.args.get("cursor")
    types = _types(request.args.get("types", "").split(",") if request.args.get("types") else None, "types")
    after = 0
    if cursor:
        state = decode_cursor(cursor, "list", store.epoch)
        after, types = int(state["s"]), list(state["t"] or DEFAULT_TYPES)
    page, _, _ = store.walk_catalog(types, after_seq=after, limit=PAGE_SIZE)
    payload: dict[str, Any] = {}
    if page.objects:
        payload["objects"] = store.json_cache.array(page.objects)
    if page.resume_after is not None:
        payload["cursor"] = encode_cursor({"k": "list", "e": store.epoch, "s": page.resume_after,
                                           "t": None if types == list(DEFAULT_TYPES) else types})
    return spliced_response(payload)


def _begin(body: dict[str, Any]) -> int | None:
    begin_time = optional(body, "begin_time", str, "EXPECTED_STRING")
    if not begin_time:
        return None
    try:
        return parse_rfc3339(begin_time)
    except ValueError:
        raise SquareError(400, "INVALID_TIME", f"`{begin_time}` is not an RFC 3339 timestamp.",
                          "begin_time") from None


@bp.post("/v2/catalog/search")
def search_catalog() -> Response:
    """SearchCatalogObjects: by type, ``begin_time`` and the documented ``query`` filters, in change order."""
    store = current_sandbox().store
    body = json_body()
    query = parse_query(body.get("query"))
    types = _types(string_list(body, "object_types"), "object_types")
    include_deleted = bool(optional(body, "include_deleted_objects", bool, "EXPECTED_BOOLEAN"))
    include_related = bool(optional(body, "include_related_objects", bool, "EXPECTED_BOOLEAN"))
    limit = optional(body, "limit", int, "EXPECTED_INTEGER")
    if limit is None or limit <= 0 or limit > MAX_LIMIT:
        limit = PAGE_SIZE
    begin = _begin(body)
    after = 0
    cursor = optional(body, "cursor", str, "EXPECTED_STRING")
    if cursor:
        state = decode_cursor(cursor, "search", store.epoch)
        after, types = int(state["s"]), list(state["t"] or DEFAULT_TYPES)
        begin, include_deleted, query = state["b"], bool(state["d"]), state.get("q")
    page, related, latest = store.walk_catalog(types, after_seq=after, begin_version=begin,
                                               include_deleted=include_deleted, limit=limit,
                                               with_related=include_related, match=matcher(query))
    payload: dict[str, Any] = {}
    if page.objects:
        payload["objects"] = store.json_cache.array(page.objects)
    if related:
        payload["related_objects"] = store.json_cache.array(related)
    if page.resume_after is not None:
        payload["cursor"] = encode_cursor({"k": "search", "e": store.epoch, "s": page.resume_after,
                                           "t": None if types == list(DEFAULT_TYPES) else types,
                                           "b": begin, "d": include_deleted, "q": query})
    payload["latest_time"] = rfc3339(latest)
    return spliced_response(payload)


@bp.get("/v2/catalog/object/<object_id>")
def retrieve_catalog_object(object_id: str) -> Response:
    with_related = request.args.get("include_related_objects", "").lower() == "true"
    obj, related = current_sandbox().store.catalog_object(object_id, with_related=with_related)
    if obj is None:
        raise SquareError(404, "NOT_FOUND", f"Object `{object_id}` not found.", "object_id")
    payload: dict[str, Any] = {"object": obj}
    if related:
        payload["related_objects"] = related
    return json_response(payload)
