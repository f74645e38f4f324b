"""The home page as a shop window: new arrivals, used copies, staff picks, records back in stock,
events and genre shortcuts — each block only with what it says, cached per catalog revision."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from storefront.catalog import revision as catalog_revision
from storefront.catalog.models import Item, ItemDetail, ItemVariation
from storefront.catalog.stock import refresh_item_stock
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from tests.support.factories import make_genre, make_item
from tests.support.pages import soup


def _titles(page, block: str) -> list[str]:
    section = page.find("section", attrs={"aria-labelledby": block})
    return [h.get_text(strip=True) for h in section.select(".product-title")] if section else []


def test_the_home_page_shows_each_block_with_what_it_says(app, client):
    with app.app_context():
        jazz, dub = make_genre("Jazz"), make_genre("Dub")
        for n in range(12):
            make_item(artist=f"Artist {n}", title=f"Fresh {n}", genres=[jazz], age_days=n)
        make_item(artist="Gone", title="Sold Out Record", stock=0, genres=[jazz])
        used = make_item(artist="Second", title="Hand Copy", genres=[dub], age_days=20, variations=2)
        db.session.execute(update(ItemVariation).where(ItemVariation.item_id == used.id, ItemVariation.ordinal == 1)
                           .values(condition="used", media_grade="VG+", sleeve_grade="VG"))
        picked = make_item(artist="Staff", title="Favourite", genres=[dub], age_days=30)
        db.session.add(ItemDetail(item_id=picked.id, featured=True, staff_pick="Play it loud."))
        make_item(artist="", title="Listening night", kind="event", format="")
        db.session.commit()
    page = soup(client.get("/"))
    new_in = _titles(page, "home-new")
    assert new_in == [f"Fresh {n}" for n in range(10)]  # newest first, in stock only
    assert "Sold Out Record" not in page.get_text()
    assert _titles(page, "home-used") == ["Hand Copy"]
    assert _titles(page, "home-picks") == ["Favourite"]
    assert _titles(page, "home-events") == ["Listening night"]
    assert page.find("section", attrs={"aria-labelledby": "home-back"}) is None  # nothing came back yet
    genres = [a.get_text(" ", strip=True) for a in page.select(".genre-shortcuts a")]
    assert genres == ["Jazz 12", "Dub 2"]
    assert page.select_one("form.hero-search")["action"] == "/catalog"


def test_a_record_back_from_zero_shows_as_back_in_stock(app, client):
    with app.app_context():
        item = make_item(artist="Returning", title="Repress", stock=0, age_days=40)
        for n in range(10):
            make_item(artist=f"Artist {n}", title=f"Fresh {n}")
        db.session.commit()
        assert soup(client.get("/")).find("section", attrs={"aria-labelledby": "home-back"}) is None
        from storefront.catalog.models import StockLevel

        variation_id = db.session.scalar(db.select(ItemVariation.id).where(ItemVariation.item_id == item.id))
        db.session.add(StockLevel(variation_id=variation_id, location_id="LHERE", quantity=4))
        refresh_item_stock("LHERE", [item.id])
        db.session.commit()
        restocked = db.session.get(Item, item.id).restocked_at
        assert restocked is not None and utcnow() - restocked < timedelta(minutes=1)
    assert _titles(soup(client.get("/")), "home-back") == ["Repress"]  # the revision moved: a fresh page


def test_a_new_item_filled_by_its_first_sync_is_new_not_back(app):
    with app.app_context():
        item = make_item(artist="Brand", title="New", stock=0)
        from storefront.catalog.models import StockLevel

        variation_id = db.session.scalar(db.select(ItemVariation.id).where(ItemVariation.item_id == item.id))
        db.session.add(StockLevel(variation_id=variation_id, location_id="LHERE", quantity=2))
        refresh_item_stock("LHERE", [item.id])
        db.session.commit()
        assert db.session.get(Item, item.id).restocked_at is None and db.session.get(Item, item.id).stock == 2


def test_the_home_page_is_cached_per_revision_and_shared_by_anonymous_visitors(app, client):
    with app.app_context():
        make_item(artist="One", title="First Record")
        db.session.commit()
    first = client.get("/")
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    with app.app_context():
        make_item(artist="Two", title="Second Record")
        catalog_revision.bump()
        db.session.commit()
    fresh = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert fresh.status_code == 200 and "Second Record" in fresh.get_data(as_text=True)
