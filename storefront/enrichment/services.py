"""Enrichment use cases: the staff item list, reading and saving an item's ``ItemDetail``, search text upkeep.

Saving never touches what the ECS owns (``Item`` columns, ``ItemGenre`` rows with source "ecs"), so a
later sync leaves staff work intact; it recomputes ``Item.search_text`` and bumps the catalog revision so
search, listings and ETags see the change at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from storefront.audit.services import actor_from, record
from storefront.catalog import revision as catalog_revision
from storefront.catalog.indexing import compose_search_text
from storefront.catalog.models import Genre, Item, ItemDetail, ItemGenre
from storefront.catalog.search import text_condition
from storefront.core.errors import Conflict, FieldError, NotFound, ValidationError
from storefront.db.timestamps import utcnow
from storefront.enrichment.validation import FIELDS, MAX_ID, EnrichmentValues, validate_enrichment
from storefront.extensions import db
from storefront.tasks.queue import enqueue
from storefront.web.pagination import PageRequest

LOW_STOCK_MAX = 2  # the dashboard's "low stock": 1 or 2 left
STOCK_FILTERS = ("low", "out")


# --- reading ----------------------------------------------------------------------------------
def get_item(item_id: int) -> Item:
    """The item (deleted ones too: staff may still fix their enrichment), or NotFound."""
    item = db.session.get(Item, item_id) if 1 <= item_id <= MAX_ID else None
    if item is None:
        raise NotFound(f"There is no item {item_id}.")
    return item


def item_genres(item_id: int) -> dict[str, list[Genre]]:
    """The item's genres by source ("ecs", "staff")."""
    rows = db.session.execute(select(ItemGenre.source, Genre).join(Genre, Genre.id == ItemGenre.genre_id)
                              .where(ItemGenre.item_id == item_id).order_by(Genre.name)).all()
    out: dict[str, list[Genre]] = {"ecs": [], "staff": []}
    for source, genre in rows:
        out.setdefault(source, []).append(genre)
    return out


def genre_choices() -> list[Genre]:
    """Genres staff may assign (every live genre, ECS or staff made)."""
    return list(db.session.scalars(select(Genre).where(Genre.is_deleted.is_(False)).order_by(Genre.name)))


def detail_payload(detail: ItemDetail | None, staff_genre_ids: Iterable[int]) -> dict[str, Any]:
    """An item's enrichment in the payload shape ``save_enrichment`` takes (empty when not enriched)."""
    if detail is None:
        return {**{name: value for name, value in vars(EnrichmentValues()).items()},
                "genre_ids": sorted(staff_genre_ids)}
    return {
        "artists": list(detail.artists or []), "label": detail.label or "",
        "catalog_number": detail.catalog_number or "", "year": detail.year,
        "genre_ids": sorted(staff_genre_ids), "styles": list(detail.styles or []),
        "format_details": detail.format_details or "",
        "tracklist": [{"position": str(t.get("position") or ""), "title": str(t.get("title") or ""),
                       "duration": str(t.get("duration") or "")} for t in detail.tracklist or []
                      if isinstance(t, dict)],
        "notes": detail.notes or "",
        "images": [str(i["uri"]) for i in detail.images or [] if isinstance(i, dict) and i.get("uri")],
        "featured": bool(detail.featured), "staff_pick": detail.staff_pick or "",
        "discogs_release_id": detail.discogs_release_id,
    }


def current_payload(item: Item) -> dict[str, Any]:
    """What the enrichment form of ``item`` starts from."""
    return detail_payload(item.detail, [g.id for g in item_genres(item.id)["staff"]])


@dataclass(frozen=True)
class ItemFilter:
    """The staff item list's filters."""

    q: str = ""
    missing: bool = False
    genre_id: int | None = None
    stock: str = ""  # "" | "low" | "out"


def parse_item_filter(args: Mapping[str, str]) -> ItemFilter:
    """Read the list's query string; bad values are a ValidationError."""
    errors: list[FieldError] = []
    q = (args.get("q") or "").strip()[:200]
    genre_raw = (args.get("genre") or "").strip()
    genre_id = None
    if genre_raw:
        if genre_raw.isascii() and genre_raw.isdigit() and 1 <= int(genre_raw) <= MAX_ID:
            genre_id = int(genre_raw)
        else:
            errors.append(FieldError("genre", "genre must be a genre id"))
    stock = (args.get("stock") or "").strip()
    if stock and stock not in STOCK_FILTERS:
        errors.append(FieldError("stock", f"stock must be one of {', '.join(STOCK_FILTERS)}"))
    if errors:
        raise ValidationError("Invalid filters", details=errors)
    return ItemFilter(q=q, missing=args.get("missing") in ("1", "true", "on"), genre_id=genre_id, stock=stock)


def _missing_condition() -> Any:
    return ~exists().where(ItemDetail.item_id == Item.id)


def list_items(filters: ItemFilter, page: PageRequest) -> tuple[list[Item], int]:
    """Live items matching ``filters`` (name order) and how many there are in all."""
    conditions: list[Any] = [Item.is_deleted.is_(False)]
    if filters.q:
        conditions.append(text_condition(Item, filters.q, db.session.get_bind().dialect.name))
    if filters.missing:
        conditions += [Item.kind == "record", _missing_condition()]
    if filters.genre_id is not None:
        conditions.append(Item.id.in_(select(ItemGenre.item_id).where(ItemGenre.genre_id == filters.genre_id)))
    if filters.stock == "low":
        conditions += [Item.kind == "record", Item.stock.between(1, LOW_STOCK_MAX)]
    elif filters.stock == "out":
        conditions.append(Item.stock <= 0)
    total = int(db.session.scalar(select(func.count()).select_from(Item).where(*conditions)) or 0)
    rows = db.session.scalars(
        select(Item).where(*conditions).options(selectinload(Item.detail), selectinload(Item.genres))
        .order_by(func.lower(Item.name), Item.id).limit(page.limit).offset(page.offset))
    return list(rows), total


def count_missing_enrichment() -> int:
    """Live records without any enrichment."""
    return int(db.session.scalar(select(func.count()).select_from(Item).where(
        Item.is_deleted.is_(False), Item.kind == "record", _missing_condition())) or 0)


def count_low_stock() -> int:
    """Live records with 1..LOW_STOCK_MAX left."""
    return int(db.session.scalar(select(func.count()).select_from(Item).where(
        Item.is_deleted.is_(False), Item.kind == "record", Item.stock.between(1, LOW_STOCK_MAX))) or 0)


# --- search text ------------------------------------------------------------------------------
def refresh_search_text(item_ids: Iterable[int]) -> None:
    """Recompute ``Item.search_text`` (ECS fields, every live genre, enrichment) for ``item_ids``. No commit."""
    ids = sorted(set(item_ids))
    if not ids:
        return
    db.session.flush()
    names: dict[int, list[str]] = {}
    for item_id, name in db.session.execute(
            select(ItemGenre.item_id, Genre.name).join(Genre, Genre.id == ItemGenre.genre_id)
            .where(ItemGenre.item_id.in_(ids), Genre.is_deleted.is_(False)).order_by(Genre.name)):
        if name not in names.setdefault(item_id, []):
            names[item_id].append(name)
    for item in db.session.scalars(select(Item).where(Item.id.in_(ids)).options(selectinload(Item.detail))):
        item.search_text = compose_search_text(
            artist=item.artist, title=item.title, name=item.name, label=item.label,
            catalog_number=item.catalog_number, format=item.format, barcode=item.barcode,
            genre_names=names.get(item.id, []), detail=item.detail)


# --- saving -----------------------------------------------------------------------------------
def _images_json(urls: list[str], before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored image entries: the first is primary; a known URL keeps its thumbnail."""
    known = {str(i.get("uri")): i for i in before if isinstance(i, dict)}
    out = []
    for index, url in enumerate(urls):
        entry: dict[str, Any] = {"uri": url, "type": "primary" if index == 0 else "secondary"}
        thumb = known.get(url, {}).get("uri150")
        if isinstance(thumb, str) and thumb:
            entry["uri150"] = thumb
        out.append(entry)
    return out


def _changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in FIELDS if before.get(name) != after.get(name)]


def save_enrichment(item_id: int, payload: Mapping[str, Any], *,
                    actor: object) -> tuple[ItemDetail | None, list[str]]:
    """Validate ``payload`` and replace the item's enrichment; returns the detail and the changed field names.

    One audit row ("enrichment.update") when anything changed; nothing is written when validation fails
    or nothing changed.
    """
    item = get_item(item_id)
    values = validate_enrichment(payload)
    staff_genres = set(db.session.scalars(select(ItemGenre.genre_id).where(
        ItemGenre.item_id == item.id, ItemGenre.source == "staff")))
    before = detail_payload(item.detail, staff_genres)
    after = {**vars(values), "genre_ids": sorted(values.genre_ids)}
    changed = _changed_fields(before, after)
    if not changed:
        return item.detail, []

    detail = item.detail
    if detail is None:
        detail = ItemDetail(item_id=item.id)
        db.session.add(detail)
        item.detail = detail
    detail.artists, detail.label, detail.catalog_number = values.artists, values.label, values.catalog_number
    detail.year, detail.styles, detail.format_details = values.year, values.styles, values.format_details
    detail.tracklist, detail.notes = values.tracklist, values.notes
    detail.images = _images_json(values.images, list(detail.images or []))
    detail.featured, detail.staff_pick = values.featured, values.staff_pick
    detail.discogs_release_id = values.discogs_release_id
    detail.updated_by = actor_from(actor).label
    if "genre_ids" in changed:
        db.session.execute(delete(ItemGenre).where(ItemGenre.item_id == item.id, ItemGenre.source == "staff"))
        if values.genre_ids:
            db.session.execute(insert(ItemGenre), [{"item_id": item.id, "genre_id": genre_id, "source": "staff"}
                                                   for genre_id in values.genre_ids])
    refresh_search_text([item.id])
    catalog_revision.bump()
    record(actor, "enrichment.update", target_type="item", target_id=item.id,
           details={"changed": changed, "discogs_release_id": values.discogs_release_id})
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("Someone else saved this item at the same moment; reload the page and try again.") from None
    if "images" in changed:  # kept by the shop like staff photos, once committed
        enqueue("jobs.photos.import_discogs_images", item.id, queue="default",
                job_id=f"discogs-images-{item.id}-{utcnow().timestamp():.0f}")
    return detail, changed
