"""Lookup tables staff manage: genres and formats. Every create / rename / delete is audited.

Genres that come from ECS categories (``ecs_category_id`` set) belong to the ECS: the next sync would
undo a local rename or delete, so they are read-only here. Deleting a staff genre that items use needs a
replacement genre; its staff ``ItemGenre`` rows move there and those items' search text is recomputed.
Formats are a plain list (items carry the ECS's format text, not a link), so deleting one never strands
an item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from storefront.audit.services import record
from storefront.catalog import revision as catalog_revision
from storefront.catalog.models import Format, Genre, Item, ItemGenre
from storefront.core.errors import Conflict, FieldError, NotFound, ValidationError
from storefront.enrichment.services import refresh_search_text
from storefront.enrichment.validation import MAX_ID
from storefront.extensions import db

GENRE_NAME_MAX = 80
FORMAT_NAME_MAX = 40
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class GenreInUse(Conflict):
    code = "genre_in_use"


class GenreOwnedByEcs(Conflict):
    code = "genre_managed_by_ecs"


class NameTaken(Conflict):
    code = "name_taken"


def slugify(name: str, limit: int) -> str:
    """'Hip-Hop & Rap' → 'hip-hop-rap'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:limit] or "x"


def _clean_name(raw: object, limit: int) -> str:
    name = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not name:
        raise ValidationError.for_field("name", "Enter a name.")
    if len(name) > limit:
        raise ValidationError.for_field("name", f"The name is longer than {limit} characters.")
    if _CONTROL.search(name):
        raise ValidationError.for_field("name", "The name contains control characters.")
    return name


def _free_slug(model: Any, name: str, limit: int, *, own_id: int | None = None) -> str:
    base = slugify(name, limit)
    slug, n = base, 1
    while True:
        holder = db.session.scalar(select(model.id).where(model.slug == slug))
        if holder is None or holder == own_id:
            return slug
        n += 1
        slug = f"{base[:limit - len(str(n)) - 1]}-{n}"


def _check_name_free(model: Any, name: str, *, own_id: int | None = None) -> None:
    # lower() in SQLite folds ASCII only, so "Écran" is also compared as it is
    holder = db.session.scalar(select(model.id).where(
        or_(func.lower(model.name) == name.lower(), model.name == name)).limit(1))
    if holder is not None and holder != own_id:
        raise NameTaken(f"“{name}” already exists.", details=[FieldError("name", f"“{name}” already exists.")])


def _flush(name: str) -> None:
    """Flush a new row; a name that raced past :func:`_check_name_free` is NameTaken, not a 500."""
    _commit(name, flush_only=True)


def _commit(name: str, *, flush_only: bool = False) -> None:
    try:
        db.session.flush() if flush_only else db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise NameTaken(f"“{name}” already exists.", details=[FieldError("name", f"“{name}” already exists.")]) \
            from None


# --- genres -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class GenreUsage:
    """A genre with how many items use it (staff-assigned and from the ECS)."""

    genre: Genre
    staff_items: int
    ecs_items: int

    @property
    def items(self) -> int:
        return self.staff_items + self.ecs_items

    @property
    def from_ecs(self) -> bool:
        return self.genre.ecs_category_id is not None


def get_genre(genre_id: int) -> Genre:
    genre = db.session.get(Genre, genre_id) if 1 <= genre_id <= MAX_ID else None
    if genre is None or genre.is_deleted:
        raise NotFound(f"There is no genre {genre_id}.")
    return genre


def genre_usage(genre_id: int) -> GenreUsage:
    """One live genre with its usage counts."""
    genre = get_genre(genre_id)
    return next(u for u in list_genres() if u.genre.id == genre.id)


def list_genres() -> list[GenreUsage]:
    """Live genres by name, with how many items (deleted ones too) each is assigned to."""
    counts: dict[tuple[int, str], int] = {
        (genre_id, source): count for genre_id, source, count in db.session.execute(
            select(ItemGenre.genre_id, ItemGenre.source, func.count(func.distinct(ItemGenre.item_id)))
            .group_by(ItemGenre.genre_id, ItemGenre.source))}
    genres = db.session.scalars(select(Genre).where(Genre.is_deleted.is_(False)).order_by(func.lower(Genre.name)))
    return [GenreUsage(g, counts.get((g.id, "staff"), 0), counts.get((g.id, "ecs"), 0)) for g in genres]


def _staff_editable(genre: Genre, verb: str) -> None:
    if genre.ecs_category_id is not None:
        raise GenreOwnedByEcs(f"“{genre.name}” comes from the commerce system; {verb} it there "
                              "(the next sync would undo a change made here).")


def create_genre(name: object, *, actor: object) -> Genre:
    """A new staff genre."""
    clean = _clean_name(name, GENRE_NAME_MAX)
    _check_name_free(Genre, clean)
    genre = Genre(name=clean, slug=_free_slug(Genre, clean, GENRE_NAME_MAX))
    db.session.add(genre)
    _flush(clean)
    record(actor, "genre.create", target_type="genre", target_id=genre.id, details={"name": clean})
    _commit(clean)
    return genre


def rename_genre(genre_id: int, name: object, *, actor: object) -> Genre:
    """Rename a staff genre (its slug follows); items using it get their search text recomputed."""
    genre = get_genre(genre_id)
    _staff_editable(genre, "rename")
    clean = _clean_name(name, GENRE_NAME_MAX)
    if clean == genre.name:
        return genre
    _check_name_free(Genre, clean, own_id=genre.id)
    before = genre.name
    genre.name, genre.slug = clean, _free_slug(Genre, clean, GENRE_NAME_MAX, own_id=genre.id)
    items = list(db.session.scalars(select(ItemGenre.item_id).where(ItemGenre.genre_id == genre.id)))
    refresh_search_text(items)
    catalog_revision.bump()
    record(actor, "genre.rename", target_type="genre", target_id=genre.id,
           details={"from": before, "to": clean, "items": len(set(items))})
    _commit(clean)
    return genre


def delete_genre(genre_id: int, *, replace_with: int | None = None, actor: object) -> int:
    """Delete a staff genre; one in use needs ``replace_with`` (its items move there). Returns items moved."""
    genre = get_genre(genre_id)
    _staff_editable(genre, "delete")
    item_ids = sorted(set(db.session.scalars(select(ItemGenre.item_id).where(ItemGenre.genre_id == genre.id))))
    replacement = None
    if replace_with is not None:
        if replace_with == genre.id:
            raise ValidationError.for_field("replace_with", "Choose a different genre as the replacement.")
        try:
            replacement = get_genre(replace_with)
        except NotFound:
            raise ValidationError.for_field("replace_with", f"There is no genre {replace_with}.") from None
    if item_ids and replacement is None:
        raise GenreInUse(f"“{genre.name}” is used by {len(item_ids)} item(s); choose a genre to move them to.",
                         details=[FieldError("replace_with", "required: the genre that replaces it on its items")])
    if replacement is not None and item_ids:
        already = set(db.session.scalars(select(ItemGenre.item_id).where(
            ItemGenre.genre_id == replacement.id, ItemGenre.source == "staff", ItemGenre.item_id.in_(item_ids))))
        moving = [i for i in item_ids if i not in already]
        if moving:
            db.session.execute(insert(ItemGenre), [{"item_id": i, "genre_id": replacement.id, "source": "staff"}
                                                   for i in moving])
    db.session.execute(delete(ItemGenre).where(ItemGenre.genre_id == genre.id))
    name = genre.name
    db.session.delete(genre)
    refresh_search_text(item_ids)
    if item_ids:
        catalog_revision.bump()
    record(actor, "genre.delete", target_type="genre", target_id=genre_id,
           details={"name": name, "items": len(item_ids),
                    "replaced_with": replacement.name if replacement else None})
    db.session.commit()
    return len(item_ids)


# --- formats ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FormatUsage:
    format: Format
    items: int  # live items whose ECS format text is this name


def get_format(format_id: int) -> Format:
    fmt = db.session.get(Format, format_id) if 1 <= format_id <= MAX_ID else None
    if fmt is None:
        raise NotFound(f"There is no format {format_id}.")
    return fmt


def list_formats() -> list[FormatUsage]:
    """Formats by name, with how many live items carry that format."""
    counts = dict(db.session.execute(select(func.lower(Item.format), func.count()).where(
        Item.is_deleted.is_(False), Item.format != "").group_by(func.lower(Item.format))).all())
    formats = db.session.scalars(select(Format).order_by(func.lower(Format.name)))
    return [FormatUsage(f, int(counts.get(f.name.lower(), 0))) for f in formats]


def create_format(name: object, *, actor: object) -> Format:
    clean = _clean_name(name, FORMAT_NAME_MAX)
    _check_name_free(Format, clean)
    fmt = Format(name=clean, slug=_free_slug(Format, clean, FORMAT_NAME_MAX))
    db.session.add(fmt)
    _flush(clean)
    record(actor, "format.create", target_type="format", target_id=fmt.id, details={"name": clean})
    _commit(clean)
    return fmt


def rename_format(format_id: int, name: object, *, actor: object) -> Format:
    fmt = get_format(format_id)
    clean = _clean_name(name, FORMAT_NAME_MAX)
    if clean == fmt.name:
        return fmt
    _check_name_free(Format, clean, own_id=fmt.id)
    before = fmt.name
    fmt.name, fmt.slug = clean, _free_slug(Format, clean, FORMAT_NAME_MAX, own_id=fmt.id)
    record(actor, "format.rename", target_type="format", target_id=fmt.id, details={"from": before, "to": clean})
    _commit(clean)
    return fmt


def delete_format(format_id: int, *, actor: object) -> None:
    fmt = get_format(format_id)
    record(actor, "format.delete", target_type="format", target_id=fmt.id, details={"name": fmt.name})
    db.session.delete(fmt)
    db.session.commit()
