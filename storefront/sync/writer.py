"""Applying pages of ECS catalog objects to the local catalog in bulk (or counting, in a dry run)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import ARRAY, Select, any_, bindparam, delete, select, update

from storefront.catalog.indexing import compose_search_text
from storefront.catalog.models import Genre, Item, ItemDetail, ItemGenre, ItemVariation
from storefront.catalog.search import bulk_item_inserts
from storefront.catalog.stock import UNTRACKED_STOCK
from storefront.db.bulkinsert import insert_many
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.sync.fields import Mapper
from storefront.sync.mapping import (
    ItemValues,
    MappedPage,
    MappingError,
    VariationValues,
    image_urls,
    map_item_page,
    parse_variation,
)


@dataclass
class PageOutcome:
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    seen_ids: list[str] = field(default_factory=list)
    touched_item_ids: set[int] = field(default_factory=set)


# The per-page lookups, built once per dialect: only the bound id lists change from page to page.
_items, _variations = Item.__table__, ItemVariation.__table__


class _Lookups(NamedTuple):
    items_by_ecs_id: Select[Any]
    variations_of_items: Select[Any]
    variations_by_ecs_id: Select[Any]


def _in_ids(column: Any, postgres: bool) -> Any:
    """``column IN :ids``. On PostgreSQL ``= ANY(:ids)``: one array parameter, so every page runs
    the same short statement text, which SQLAlchemy, psycopg and the server each prepare once (an
    expanding IN is re-rendered and re-parsed for every page: a tenth of a sync's time there)."""
    if postgres:
        return column == any_(bindparam("ids", type_=ARRAY(column.type)))
    return column.in_(bindparam("ids", expanding=True))


@cache
def _lookups(postgres: bool) -> _Lookups:
    return _Lookups(
        select(_items.c.id, _items.c.ecs_id, _items.c.ecs_version, _items.c.is_deleted, _items.c.ecs_images,
               (_items.c.ecs_object != "").label("has_object")).where(_in_ids(_items.c.ecs_id, postgres)),
        select(_variations.c.id, _variations.c.ecs_id, _variations.c.item_id, _variations.c.ecs_version,
               _variations.c.is_deleted).where(_in_ids(_variations.c.item_id, postgres)),
        select(_variations.c.ecs_id, _variations.c.id).where(_in_ids(_variations.c.ecs_id, postgres)),
    )


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "genre"


class CatalogWriter:
    """Turns Square objects into catalog rows; with ``dry_run`` it only counts what would change."""

    def __init__(self, *, dry_run: bool) -> None:
        self.dry_run = dry_run
        self.lookups = _lookups(db.session.get_bind().dialect.name == "postgresql")
        # Variation ecs_id → quantity at the shop, once a full sync has its stock counts: new items
        # are then inserted with their stock rather than updated once more at the end. Only a
        # head start — the run's final stock refresh recomputes every item from its stock levels.
        self.stock_on_hand: dict[str, int] | None = None
        # The shop's location: an item absent there, archived, or sold out there is not listed.
        self.location_id: str | None = None
        # image id → URL of every IMAGE object seen so far (a full sync reads them all before the items).
        self.image_urls: dict[str, str] = {}
        # The shop's field mapping with the catalog's options, definitions and categories (the
        # runner sets it; None maps with the storefront-keys preset).
        self.mapper: Mapper | None = None
        self.genres: dict[str, tuple[int, str]] = {
            row.ecs_category_id: (row.id, row.name)
            for row in db.session.execute(
                select(Genre.id, Genre.name, Genre.ecs_category_id).where(Genre.ecs_category_id.is_not(None)))
        }

    # categories -------------------------------------------------------------------------
    def apply_categories(self, objects: Iterable[dict[str, Any]]) -> int:
        """Upsert CATEGORY objects as genres; returns how many changed."""
        changed = 0
        for obj in objects:
            if obj.get("type") != "CATEGORY" or not obj.get("id"):
                continue
            name = str((obj.get("category_data") or {}).get("name") or "").strip()[:80]
            if not name:
                continue
            genre = db.session.scalar(select(Genre).where(Genre.ecs_category_id == obj["id"]))
            if genre is None:  # a genre of that name staff made, or one whose category is gone, is taken over
                named = db.session.scalar(select(Genre).where(Genre.name == name))
                if named is not None and (named.ecs_category_id is None or named.is_deleted):
                    genre = named
            deleted = bool(obj.get("is_deleted"))
            version = int(obj.get("version") or 0)
            if genre and genre.name == name and genre.ecs_version == version and genre.is_deleted == deleted:
                continue
            changed += 1
            if self.dry_run:
                continue
            self._free_name(name, genre)
            if genre is None:
                genre = Genre(name=name, slug=self._free_slug(name))
                db.session.add(genre)
            genre.name, genre.ecs_category_id = name, str(obj["id"])
            genre.ecs_version, genre.is_deleted = version, deleted
            db.session.flush()
            self.genres[genre.ecs_category_id] = (genre.id, genre.name)
        return changed

    def _free_name(self, name: str, owner: Genre | None) -> None:
        """Names are unique: another category's genre holding ``name`` (two categories swapped names
        upstream, or one took a deleted one's) is set aside under a placeholder until its own
        category comes by with its new name."""
        other = db.session.scalar(select(Genre).where(Genre.name == name))
        if other is not None and other is not owner:
            other.name = f"{name[:70]} ~{other.id}"
            db.session.flush()

    # images -----------------------------------------------------------------------------
    def remember_images(self, objects: Iterable[dict[str, Any]]) -> None:
        """Note the URLs of the IMAGE objects among ``objects`` for the items written after them."""
        self.image_urls.update(image_urls(objects))

    def images_of(self, values: ItemValues) -> list[dict[str, str]]:
        """The item's images in order, as stored on ``Item.ecs_images``; ids with no known URL are left out."""
        images = []
        for image_id, variation_id in values.image_refs:
            url = self.image_urls.get(image_id)
            if url:
                images.append({"id": image_id, "url": url, **({"variation_id": variation_id} if variation_id else {})})
        return images

    def _free_slug(self, name: str) -> str:
        slug, n = slugify(name), 1
        while db.session.scalar(select(Genre.id).where(Genre.slug == slug)):
            n += 1
            slug = f"{slugify(name)}-{n}"
        return slug

    # items ------------------------------------------------------------------------------
    def apply_items(self, objects: Iterable[dict[str, Any]]) -> PageOutcome:
        """Upsert a page of ITEM objects (with nested variations)."""
        return self.apply_mapped(map_item_page(objects, self.location_id or None, self.mapper))

    def apply_mapped(self, page: MappedPage) -> PageOutcome:
        """Upsert a page of items already mapped by :func:`map_item_page` (perhaps in another process).

        Writes through Core, so nothing pending in the ORM session concerns it: autoflush is off,
        and the run's progress counters are flushed when the runner commits, not before every
        query of every page.
        """
        outcome = PageOutcome(seen=len(page.seen_ids), seen_ids=list(page.seen_ids), failures=list(page.failures))
        if not page.items:
            return outcome
        with db.session.no_autoflush:
            self._apply(page.items, outcome)
        return outcome

    def _apply(self, parsed: list[ItemValues], outcome: PageOutcome) -> None:
        ids = [v.ecs_id for v in parsed]
        conn = db.session.connection()
        existing = {row.ecs_id: row for row in conn.execute(self.lookups.items_by_ecs_id, {"ids": ids})}
        known_variations: dict[int, dict[str, tuple[int, int, bool]]] = {}
        if existing:
            for row in conn.execute(self.lookups.variations_of_items, {"ids": [r.id for r in existing.values()]}):
                known_variations.setdefault(row.item_id, {})[row.ecs_id] = (row.id, row.ecs_version, row.is_deleted)

        to_create: list[ItemValues] = []
        to_update: list[tuple[int, ItemValues]] = []
        for values in parsed:
            current = existing.get(values.ecs_id)
            if current is None:
                if values.is_deleted:
                    outcome.unchanged += 1  # deleted upstream before we ever saw it
                else:
                    to_create.append(values)
                continue
            stored = known_variations.get(current.id, {})
            same_variations = {v.ecs_id: v.ecs_version for v in values.variations if not v.is_deleted} == {
                k: ver for k, (_id, ver, dele) in stored.items() if not dele
            } or (values.is_deleted and current.is_deleted)
            same_item = (current.ecs_version == values.ecs_version and current.is_deleted == values.is_deleted
                         and list(current.ecs_images or []) == self.images_of(values)
                         and (current.has_object or not values.raw))  # stored before objects were kept
            if same_item and same_variations:
                outcome.unchanged += 1
                continue
            if values.is_deleted and not current.is_deleted:
                outcome.deleted += 1
            else:
                outcome.updated += 1
            to_update.append((current.id, values))
        outcome.created = len(to_create)
        if not self.dry_run:
            self._write(to_create, to_update, known_variations, outcome)

    def _genre_pairs(self, values: ItemValues) -> list[tuple[int, str]]:
        pairs = []
        for category_id in values.category_ids:
            genre = self.genres.get(category_id)
            if genre:
                pairs.append(genre)
        return pairs

    def _row(self, values: ItemValues, detail: ItemDetail | None) -> dict[str, Any]:
        price, currency = values.price
        row = {
            **self._mapped_row(values, detail),
            "ecs_id": values.ecs_id, "name": values.name, "description": values.description,
            "price_amount": price, "currency": currency, "is_deleted": values.is_deleted,
            "ecs_version": values.ecs_version, "ecs_updated_at": values.ecs_updated_at, "synced_at": utcnow(),
            "ecs_images": self.images_of(values),
        }
        if values.raw:
            row["ecs_object"] = values.raw
        return row

    def _mapped_row(self, values: ItemValues, detail: ItemDetail | None) -> dict[str, Any]:
        """The columns the field mapping decides (a re-map rewrites only these)."""
        genres = self._genre_pairs(values)
        return {
            "artist": values.artist, "title": values.title, "label": values.label,
            "catalog_number": values.catalog_number, "format": values.format, "year": values.year,
            "barcode": values.barcode, "media_grade": values.media_grade, "sleeve_grade": values.sleeve_grade,
            "kind": values.kind, "starts_at": values.starts_at, "release_date": values.release_date,
            "search_text": compose_search_text(
                artist=values.artist, title=values.title, name=values.name, label=values.label,
                catalog_number=values.catalog_number, format=values.format, barcode=values.barcode,
                genre_names=[name for _id, name in genres], detail=detail),
        }

    def remap(self, pairs: list[tuple[int, ItemValues]]) -> None:
        """Rewrite the mapped columns, ECS genres and copies' grades of stored items (a changed field
        mapping); prices, stock and the variations themselves are the sync's and stay as they are."""
        if self.dry_run or not pairs:
            return
        details = {d.item_id: d for d in db.session.scalars(
            select(ItemDetail).where(ItemDetail.item_id.in_([i for i, _v in pairs])))}
        db.session.execute(update(Item), [{"id": item_id, **self._mapped_row(v, details.get(item_id))}
                                          for item_id, v in pairs])
        ids = [i for i, _v in pairs]
        db.session.execute(delete(ItemGenre).where(ItemGenre.item_id.in_(ids), ItemGenre.source == "ecs"))
        rows = [{"item_id": item_id, "genre_id": genre_id, "source": "ecs"}
                for item_id, v in pairs for genre_id, _name in dict.fromkeys(self._genre_pairs(v))]
        if rows:
            insert_many(db.session.connection(), ItemGenre.__table__, rows)
        copies = {v.ecs_id: v for _i, values in pairs for v in values.variations}
        variation_ids = dict(db.session.execute(select(ItemVariation.ecs_id, ItemVariation.id)
                                                .where(ItemVariation.item_id.in_(ids))).all())
        updates = [{"id": variation_ids[ecs_id], "condition": v.condition, "media_grade": v.media_grade,
                    "sleeve_grade": v.sleeve_grade} for ecs_id, v in copies.items() if ecs_id in variation_ids]
        if updates:
            db.session.execute(update(ItemVariation), updates)

    def _write(self, to_create: list[ItemValues], to_update: list[tuple[int, ItemValues]],
               known_variations: dict[int, dict[str, tuple[int, int, bool]]], outcome: PageOutcome) -> None:
        now = utcnow()
        item_ids: dict[str, int] = {}
        if to_create:
            rows = [{**self._row(v, None), "first_seen_at": now} for v in to_create]
            if self.stock_on_hand is not None:
                on_hand = self.stock_on_hand
                for row, values in zip(rows, to_create, strict=True):  # new items are never deleted ones
                    row["stock"] = item_stock(values.variations, on_hand)
            # One executemany, then one SELECT for the new ids: cheaper than the ORM's bulk
            # INSERT … RETURNING path, and a full sync is mostly inserts.
            conn = db.session.connection()
            with bulk_item_inserts(conn):
                insert_many(conn, _items, rows)
            item_ids.update((row.ecs_id, row.id) for row in conn.execute(
                self.lookups.items_by_ecs_id, {"ids": [r["ecs_id"] for r in rows]}))
        if to_update:
            details = {d.item_id: d for d in db.session.scalars(
                select(ItemDetail).where(ItemDetail.item_id.in_([i for i, _v in to_update])))}
            db.session.execute(update(Item), [{"id": item_id, **self._row(v, details.get(item_id))}
                                              for item_id, v in to_update])
            item_ids.update({v.ecs_id: item_id for item_id, v in to_update})

        new_variations: list[dict[str, Any]] = []
        changed_variations: list[dict[str, Any]] = []
        for values in [*to_create, *(v for _i, v in to_update)]:
            item_id = item_ids[values.ecs_id]
            stored = known_variations.get(item_id, {})
            incoming = set()
            for variation in values.variations:
                incoming.add(variation.ecs_id)
                row = _variation_row(item_id, variation, values.is_deleted)
                if variation.ecs_id in stored:
                    changed_variations.append({"id": stored[variation.ecs_id][0], **row})
                else:
                    new_variations.append(row)
            for ecs_id, (variation_id, _version, deleted) in stored.items():
                if ecs_id not in incoming and not deleted:
                    changed_variations.append({"id": variation_id, "is_deleted": True})
        if new_variations:
            self._insert_variations(new_variations)
        if changed_variations:
            db.session.execute(update(ItemVariation), changed_variations)

        touched = list(item_ids.values())
        if to_update:  # a new item has no genres to replace
            db.session.execute(delete(ItemGenre).where(ItemGenre.item_id.in_([i for i, _v in to_update]),
                                                       ItemGenre.source == "ecs"))
        if touched:
            pairs = [{"item_id": item_ids[v.ecs_id], "genre_id": genre_id, "source": "ecs"}
                     for v in [*to_create, *(v for _i, v in to_update)]
                     for genre_id, _name in dict.fromkeys(self._genre_pairs(v))]
            if pairs:
                insert_many(db.session.connection(), ItemGenre.__table__, pairs)
        outcome.touched_item_ids.update(touched)

    def _insert_variations(self, rows: list[dict[str, Any]]) -> None:
        """Insert variations; one that moved from another item is re-pointed instead."""
        moved = {row.ecs_id: row.id for row in db.session.connection().execute(
            self.lookups.variations_by_ecs_id, {"ids": [r["ecs_id"] for r in rows]})}
        fresh = [r for r in rows if r["ecs_id"] not in moved]
        if fresh:
            insert_many(db.session.connection(), ItemVariation.__table__, fresh)
        if moved:
            db.session.execute(update(ItemVariation), [{"id": moved[r["ecs_id"]], **r} for r in rows
                                                       if r["ecs_id"] in moved])

    def apply_variations(self, objects: Iterable[dict[str, Any]]) -> tuple[int, set[int], list[dict[str, str]]]:
        """Standalone ITEM_VARIATION objects (incremental sync): update price/version/deletion."""
        parsed = []
        failures: list[dict[str, str]] = []
        raw: dict[str, dict[str, Any]] = {}
        for obj in objects:
            if obj.get("type") != "ITEM_VARIATION":
                continue
            raw[str(obj.get("id"))] = obj
            try:
                parsed.append(parse_variation(obj, self.location_id or None, self.mapper))
            except (MappingError, KeyError, TypeError, ValueError) as exc:
                failures.append({"ecs_id": str(obj.get("id")), "reason": str(exc)[:300]})
        if not parsed:
            return 0, set(), failures
        stored = {row.ecs_id: row for row in db.session.execute(
            select(ItemVariation.id, ItemVariation.ecs_id, ItemVariation.item_id, ItemVariation.ecs_version,
                   ItemVariation.is_deleted).where(ItemVariation.ecs_id.in_([v.ecs_id for v in parsed])))}
        updates = []
        items: set[int] = set()
        for v in parsed:
            row = stored.get(v.ecs_id)
            if row is None or (row.ecs_version == v.ecs_version and row.is_deleted == v.is_deleted):
                continue
            updates.append({"id": row.id, "name": v.name, "sku": v.sku, "price_amount": v.price_amount,
                            "currency": v.currency, "is_deleted": v.is_deleted, "ecs_version": v.ecs_version,
                            "track_inventory": v.track_inventory, "sold_out": v.sold_out,
                            "condition": v.condition, "media_grade": v.media_grade, "sleeve_grade": v.sleeve_grade})
            items.add(row.item_id)
        if updates and not self.dry_run:
            db.session.execute(update(ItemVariation), updates)
            changed = {v.ecs_id: stored[v.ecs_id].item_id for v in parsed
                       if v.ecs_id in stored and stored[v.ecs_id].item_id in items}
            self._patch_stored_objects(changed, raw)
        return len(updates), items, failures

    def _patch_stored_objects(self, variation_items: dict[str, int], raw: dict[str, dict[str, Any]]) -> None:
        """Put changed variations into their items' stored ECS objects, so a re-map reads them."""
        by_item: dict[int, list[dict[str, Any]]] = {}
        for ecs_id, item_id in variation_items.items():
            by_item.setdefault(item_id, []).append(raw[ecs_id])
        patched = []
        for item_id, stored_raw in db.session.execute(
                select(Item.id, Item.ecs_object).where(Item.id.in_(list(by_item)), Item.ecs_object != "")):
            try:
                obj = json.loads(stored_raw)
            except ValueError:
                continue
            data = obj.setdefault("item_data", {})
            variations = {str(v.get("id")): v for v in data.get("variations") or [] if isinstance(v, dict)}
            for variation in by_item[item_id]:
                variations[str(variation["id"])] = variation
            data["variations"] = list(variations.values())
            patched.append({"id": item_id, "ecs_object": json.dumps(obj, separators=(",", ":"), ensure_ascii=False)})
        if patched:
            db.session.execute(update(Item), patched)

    # deletions and prices ---------------------------------------------------------------
    def live_item_ids(self) -> set[str]:
        return set(db.session.scalars(select(Item.ecs_id).where(Item.is_deleted.is_(False))))

    def mark_deleted(self, ecs_ids: Iterable[str]) -> int:
        """Items that vanished upstream are marked deleted (never removed: orders refer to them)."""
        ids = list(ecs_ids)
        if not self.dry_run:
            for start in range(0, len(ids), 500):
                db.session.execute(update(Item).where(Item.ecs_id.in_(ids[start:start + 500]))
                                   .values(is_deleted=True, synced_at=utcnow()),
                                   execution_options={"synchronize_session": False})
        return len(ids)

    def refresh_item_prices(self, item_ids: Iterable[int]) -> None:
        """Item price = lowest live variation price (after standalone variation changes)."""
        ids = list(item_ids)
        if self.dry_run or not ids:
            return
        variations = db.session.execute(
            select(ItemVariation.item_id, ItemVariation.price_amount, ItemVariation.currency)
            .where(ItemVariation.item_id.in_(ids), ItemVariation.is_deleted.is_(False),
                   ItemVariation.price_amount.is_not(None))).all()
        best: dict[int, tuple[int, str]] = {}
        for item_id, amount, currency in variations:
            if item_id not in best or amount < best[item_id][0]:
                best[item_id] = (amount, currency)
        db.session.execute(update(Item), [
            {"id": i, "price_amount": best.get(i, (None, "USD"))[0], "currency": best.get(i, (None, "USD"))[1],
             "synced_at": utcnow()} for i in ids])


def _variation_row(item_id: int, variation: VariationValues, item_deleted: bool) -> dict[str, Any]:
    return {"item_id": item_id, "ecs_id": variation.ecs_id, "name": variation.name, "sku": variation.sku,
            "ordinal": variation.ordinal, "price_amount": variation.price_amount, "currency": variation.currency,
            "is_deleted": variation.is_deleted or item_deleted, "ecs_version": variation.ecs_version,
            "track_inventory": variation.track_inventory, "sold_out": variation.sold_out,
            "condition": variation.condition, "media_grade": variation.media_grade,
            "sleeve_grade": variation.sleeve_grade}


def item_stock(variations: Iterable[VariationValues], on_hand: dict[str, int]) -> int:
    """A new item's stock: its live counted variations' counts, or "plenty" when one is not counted."""
    live = [v for v in variations if not v.is_deleted]
    if any(not v.track_inventory for v in live):
        return UNTRACKED_STOCK
    return sum(on_hand.get(v.ecs_id, 0) for v in live)
