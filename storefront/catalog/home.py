"""What the home page shows: new arrivals, used copies just in, staff picks, records back in stock,
upcoming events and the genres to browse — each a few cards, read along the listing indexes."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, func, select

from storefront.catalog.models import Genre, Item, ItemDetail, ItemGenre, ItemVariation
from storefront.catalog.services import CatalogCard, load_cards
from storefront.extensions import db

BLOCK = 5  # cards per block: one row on a desktop, a swipe on a phone
NEW_IN = 10
GENRES = 12


@dataclass
class HomeSections:
    new_in: list[CatalogCard] = field(default_factory=list)
    used_in: list[CatalogCard] = field(default_factory=list)
    staff_picks: list[CatalogCard] = field(default_factory=list)
    back_in_stock: list[CatalogCard] = field(default_factory=list)
    events: list[CatalogCard] = field(default_factory=list)
    genres: list[tuple[str, str, int]] = field(default_factory=list)  # slug, name, records in stock


def _ids(*where: object, order: object, limit: int = BLOCK) -> list[int]:
    return list(db.session.scalars(select(Item.id).where(Item.is_deleted.is_(False), *where)
                                   .order_by(order, Item.id.desc()).limit(limit)))


def home_sections() -> HomeSections:
    """The home page's blocks (one query each, a few cards each); no visitor state."""
    records = (Item.kind == "record", Item.stock > 0)
    used_copy = exists().where(ItemVariation.item_id == Item.id, ItemVariation.is_deleted.is_(False),
                               ItemVariation.sold_out.is_(False), ItemVariation.condition == "used")
    picked = exists().where(ItemDetail.item_id == Item.id,
                            (ItemDetail.featured.is_(True)) | (ItemDetail.staff_pick != ""))
    new_ids = _ids(*records, order=Item.first_seen_at.desc(), limit=NEW_IN)
    sections = HomeSections(
        new_in=load_cards(new_ids),
        used_in=load_cards(_ids(*records, used_copy, order=Item.first_seen_at.desc())),
        staff_picks=load_cards(_ids(*records, picked, order=Item.first_seen_at.desc())),
        back_in_stock=load_cards(_ids(*records, Item.restocked_at.is_not(None), Item.id.not_in(new_ids or [0]),
                                      order=Item.restocked_at.desc())),
        # Dated events soonest first, then the space's bookable hires.
        events=load_cards(_ids(Item.kind == "event", Item.starts_at.is_not(None), order=Item.starts_at.asc())
                          + _ids(Item.kind == "event", Item.starts_at.is_(None), order=Item.first_seen_at.desc(),
                                 limit=2)),
    )
    counts = db.session.execute(
        select(Genre.slug, Genre.name, func.count(ItemGenre.item_id))
        .join(ItemGenre, ItemGenre.genre_id == Genre.id).join(Item, Item.id == ItemGenre.item_id)
        .where(Genre.is_deleted.is_(False), Item.is_deleted.is_(False), *records)
        .group_by(Genre.slug, Genre.name).order_by(func.count(ItemGenre.item_id).desc(), Genre.name)
        .limit(GENRES)).all()
    sections.genres = [(slug, name, int(count)) for slug, name, count in counts]
    return sections


def event_space() -> tuple[list[CatalogCard], list[CatalogCard]]:
    """The event-space page's pictures and dates: the room's hires, and the dated events coming up."""
    hires = load_cards(_ids(Item.kind == "event", Item.starts_at.is_(None), order=Item.price_amount.asc(),
                            limit=6))
    upcoming = load_cards(_ids(Item.kind == "event", Item.starts_at.is_not(None), order=Item.starts_at.asc(),
                               limit=6))
    return hires, upcoming
