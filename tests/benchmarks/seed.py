"""Fast seeding of a benchmark catalog straight into a fresh database, and scratch PostgreSQL databases.

``seed_catalog(n)`` writes ``n`` invented records (the ECS sandbox's word lists: artists, titles,
labels, genres, formats) with their variations, stock levels and genres, using bulk INSERTs with
explicit ids: no sync, no ORM unit of work. ``Item.search_text`` is composed exactly as the sync
composes it, and the full-text index fills itself (FTS5 triggers on SQLite, the GIN index on
PostgreSQL), so searches behave as on a synced catalog. Call it inside an app context on empty
tables (``db.create_all()`` first).
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from storefront.catalog.indexing import compose_search_text
from storefront.db.timestamps import utcnow
from storefront.ecs.sandbox import demo_words as words
from storefront.ecs.sandbox.demo_catalog import _artist, _Dice, _labels, _title, paused_gc
from storefront.sync.runner import refresh_planner_statistics
from storefront.sync.writer import slugify

LOCATION = "LSEED"
BATCH = 5_000
_WORD = re.compile(r"[A-Za-zÀ-ÿ]{3,}")
_STOP = {"the", "and", "for", "live"}


@dataclass
class SeededCatalog:
    """What was written, plus word statistics the benchmarks build realistic queries from."""

    items: int
    seconds: float
    genres: dict[str, str]  # slug → name
    artist_words: Counter[str] = field(default_factory=Counter)
    title_words: Counter[str] = field(default_factory=Counter)
    label_words: Counter[str] = field(default_factory=Counter)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP]


def _records(n: int, seed: int, genre_ids: dict[str, int]) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]],
                                                                             list[int]]]:
    """(item row, variation rows, genre ids) for ``n`` records with ids 1..n, newest last."""
    rng = random.Random(seed)
    dice = _Dice(rng)
    pick, between, roll = dice.pick, dice.between, dice.random
    labels = _labels(rng)
    counters = dict.fromkeys((prefix for _name, prefix in labels), 100)
    now = utcnow()
    variation_id = 0
    for item_id in range(1, n + 1):
        artist, title = _artist(dice), _title(dice)
        label, prefix = pick(labels)
        counters[prefix] += between(1, 7)
        catno = f"{prefix}-{counters[prefix]}"
        genre = pick(words.GENRES)
        genres = list(dict.fromkeys([genre] if roll() < 0.7 else [genre, pick(words.GENRES)]))
        formats = [pick(words.PRIMARY_FORMATS)]
        if roll() < 0.3 and (extra := pick(words.EXTRA_FORMATS)) not in formats:
            formats.append(extra)
        variations = []
        for ordinal, fmt in enumerate(formats, start=1):
            variation_id += 1
            low, high = words.FORMAT_PRICES[fmt]
            stock = 0 if roll() < 0.1 else between(1, 3) if roll() < 0.55 else between(4, 10)
            sku = catno if ordinal == 1 else f"{catno}-{words.FORMAT_SKU_SUFFIX[fmt]}"
            variations.append({"id": variation_id, "ecs_id": f"SV{variation_id}", "item_id": item_id, "name": fmt,
                               "sku": sku, "ordinal": ordinal, "price_amount": between(low, high) * 100 + 99,
                               "currency": "USD", "is_deleted": False, "ecs_version": 1, "_stock": stock})
        name = f"{artist} — {title}"
        year = between(1955, 2025)
        seen = now - timedelta(minutes=n - item_id)
        item = {
            "id": item_id, "ecs_id": f"SI{item_id}", "name": name, "artist": artist, "title": title,
            "description": f"A {pick(words.ADJECTIVES).lower()} {genre.lower()} record from {year}, "
                           f"first issued on {label}. {pick(words.DESCRIPTION_CLOSERS)}",
            "label": label, "catalog_number": catno, "format": formats[0], "year": year, "kind": "record",
            "price_amount": min(v["price_amount"] for v in variations), "currency": "USD",
            "stock": sum(v["_stock"] for v in variations), "is_deleted": False, "ecs_version": 1,
            "ecs_updated_at": seen, "first_seen_at": seen, "synced_at": now,
            # Every card has a cover, as a real record shop's does (the markup with srcset is measured).
            "ecs_images": [{"id": f"IMG{item_id}", "url": f"https://images.example/{item_id}.jpg"}],
            "search_text": compose_search_text(artist=artist, title=title, name=name, label=label,
                                               catalog_number=catno, format=formats[0], genre_names=genres),
        }
        yield item, variations, [genre_ids[g] for g in genres]


def seed_catalog(n: int, *, seed: int = 7, batch: int = BATCH) -> SeededCatalog:
    """Write ``n`` records (ids 1..n) plus genres, formats and the catalog revision; commits."""
    from sqlalchemy import insert, text

    from storefront.catalog.models import Format, Genre, Item, ItemGenre, ItemVariation, StockLevel
    from storefront.extensions import db
    from storefront.sync.models import SyncState

    started = time.perf_counter()
    session = db.session
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text("PRAGMA synchronous=OFF"))
    genres = {slugify(name): name for name in words.GENRES}
    genre_ids = {name: number for number, name in enumerate(words.GENRES, start=1)}
    session.execute(insert(Genre), [{"id": genre_ids[name], "name": name, "slug": slug, "is_deleted": False}
                                    for slug, name in genres.items()])
    session.execute(insert(Format), [{"name": f, "slug": slugify(f) or f"f{i}"}
                                     for i, f in enumerate(words.FORMAT_PRICES)])
    result = SeededCatalog(items=n, seconds=0.0, genres=genres)
    items: list[dict[str, Any]] = []
    variations: list[dict[str, Any]] = []
    stock: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []

    def flush() -> None:
        if items:
            session.execute(insert(Item), items)
            session.execute(insert(ItemVariation), variations)
            session.execute(insert(StockLevel), stock)
            session.execute(insert(ItemGenre), links)
        for rows in (items, variations, stock, links):
            rows.clear()

    with paused_gc():
        for item, item_variations, item_genre_ids in _records(n, seed, genre_ids):
            items.append(item)
            for variation in item_variations:
                quantity = variation.pop("_stock")
                variations.append(variation)
                stock.append({"variation_id": variation["id"], "location_id": LOCATION, "quantity": quantity,
                              "calculated_at": item["synced_at"]})
            links.extend({"item_id": item["id"], "genre_id": g, "source": "ecs"} for g in item_genre_ids)
            result.artist_words.update(_words(item["artist"]))
            result.title_words.update(_words(item["title"]))
            result.label_words.update(_words(item["label"]))
            if len(items) >= batch:
                flush()
        flush()
    session.execute(insert(SyncState), [{"id": 1, "catalog_revision": 1}])
    if dialect == "postgresql":
        for table in ("genres", "formats", "items", "item_variations", "stock_levels"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    session.commit()
    refresh_planner_statistics()  # what a full sync does at its end
    result.seconds = time.perf_counter() - started
    return result


# --- scratch PostgreSQL databases ----------------------------------------------------------------
@contextmanager
def scratch_database(server_url: str, prefix: str = "sf_bench") -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of ``server_url``; dropped afterwards.

    Only the server (host, port, user) of ``server_url`` is used: its own database is never touched.
    """
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    if not url.drivername.startswith("postgres"):
        raise ValueError(f"expected a postgresql:// URL, got {server_url!r}")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = url.set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _drop_roles_of(admin, name)


def _drop_roles_of(admin: Any, database: str) -> None:
    """Shop roles (many-shops benchmark) outlive their database: drop them too."""
    from sqlalchemy import create_engine

    from storefront.shops.databases import drop_shop_roles

    engine = create_engine(admin.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        drop_shop_roles(engine, dropped_database=database)
    finally:
        engine.dispose()
