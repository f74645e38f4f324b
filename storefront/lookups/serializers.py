"""Genres and formats with their usage, as JSON (the staff /api/v1 lookup endpoints)."""

from __future__ import annotations

from typing import Any

from storefront.lookups import services


def genre_json(usage: services.GenreUsage) -> dict[str, Any]:
    """A genre with where it comes from and how many items use it."""
    genre = usage.genre
    return {"id": genre.id, "name": genre.name, "slug": genre.slug,
            "source": "ecs" if usage.from_ecs else "staff", "editable": not usage.from_ecs,
            "items": usage.items, "staff_items": usage.staff_items, "ecs_items": usage.ecs_items}


def format_json(usage: services.FormatUsage) -> dict[str, Any]:
    """A format with how many items use it."""
    return {"id": usage.format.id, "name": usage.format.name, "slug": usage.format.slug, "items": usage.items}
