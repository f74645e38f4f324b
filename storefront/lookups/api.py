"""Lookup tables as staff JSON: genres (list, create, rename, delete with replacement) and formats."""

from __future__ import annotations

from flask import Response, jsonify, request

from storefront.api.auth import staff_token_required
from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.core.errors import FieldError, ValidationError
from storefront.lookups import services
from storefront.lookups.serializers import format_json, genre_json
from storefront.staff.auth import acting_staff


def _name() -> object:
    return json_object().get("name")


@bp.get("/staff/genres")
@staff_token_required
def staff_genres_list() -> Response:
    """Every live genre with usage counts, by name."""
    return jsonify({"genres": [genre_json(u) for u in services.list_genres()]})


@bp.post("/staff/genres")
@staff_token_required
def staff_genres_create() -> tuple[Response, int]:
    """{name} → 201 the new staff genre."""
    genre = services.create_genre(_name(), actor=acting_staff())
    return jsonify(genre_json(services.genre_usage(genre.id))), 201


@bp.put("/staff/genres/<int:genre_id>")
@staff_token_required
def staff_genres_rename(genre_id: int) -> Response:
    """{name} → the renamed genre (409 genre_managed_by_ecs for ECS genres)."""
    services.get_genre(genre_id)
    services.rename_genre(genre_id, _name(), actor=acting_staff())
    return jsonify(genre_json(services.genre_usage(genre_id)))


@bp.delete("/staff/genres/<int:genre_id>")
@staff_token_required
def staff_genres_delete(genre_id: int) -> Response:
    """Delete; in use → 409 genre_in_use unless ``?replace_with=<genre id>`` (its items move there)."""
    raw = request.args.get("replace_with", "").strip()
    replace_with = None
    if raw:
        if not raw.isascii() or not raw.isdigit() or int(raw) > 2**31 - 1:
            raise ValidationError("Invalid replace_with",
                                  details=[FieldError("replace_with", "replace_with must be a genre id")])
        replace_with = int(raw)
    moved = services.delete_genre(genre_id, replace_with=replace_with, actor=acting_staff())
    return jsonify({"deleted": genre_id, "items_moved": moved, "replaced_with": replace_with})


@bp.get("/staff/formats")
@staff_token_required
def staff_formats_list() -> Response:
    return jsonify({"formats": [format_json(u) for u in services.list_formats()]})


@bp.post("/staff/formats")
@staff_token_required
def staff_formats_create() -> tuple[Response, int]:
    fmt = services.create_format(_name(), actor=acting_staff())
    return jsonify(format_json(next(u for u in services.list_formats() if u.format.id == fmt.id))), 201


@bp.put("/staff/formats/<int:format_id>")
@staff_token_required
def staff_formats_rename(format_id: int) -> Response:
    services.get_format(format_id)
    fmt = services.rename_format(format_id, _name(), actor=acting_staff())
    return jsonify(format_json(next(u for u in services.list_formats() if u.format.id == fmt.id)))


@bp.delete("/staff/formats/<int:format_id>")
@staff_token_required
def staff_formats_delete(format_id: int) -> Response:
    services.delete_format(format_id, actor=acting_staff())
    return jsonify({"deleted": format_id})
