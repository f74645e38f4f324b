"""New and used copies in the catalog: filter by condition and by a used copy's minimum grade
(Goldmine scale), with counts, on the page and in the API."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from storefront.catalog.models import ItemVariation
from storefront.extensions import db
from tests.support.factories import make_item
from tests.support.pages import soup


def _copies(item, *copies: tuple[str, str]) -> None:
    """(condition, media grade) per variation, in ordinal order."""
    for ordinal, (condition, grade) in enumerate(copies):
        db.session.execute(update(ItemVariation).where(ItemVariation.item_id == item.id,
                                                       ItemVariation.ordinal == ordinal)
                           .values(condition=condition, media_grade=grade))


@pytest.fixture
def shelf(app):
    with app.app_context():
        _copies(make_item(artist="A", title="Sealed Only"), ("new", ""))
        _copies(make_item(artist="B", title="Both Kinds", variations=2), ("new", ""), ("used", "VG+"))
        _copies(make_item(artist="C", title="Mint Minus"), ("used", "NM"))
        _copies(make_item(artist="D", title="Well Loved"), ("used", "G"))
        make_item(artist="E", title="Not Said")  # the catalog does not say
        db.session.commit()
    return app


def _titles(client, **args) -> list[str]:
    body = client.get("/api/v1/products", query_string={"sort": "title", **args}).get_json()
    return [p["title"] for p in body["products"]]


@pytest.mark.parametrize("args, expected", [
    ({}, ["Both Kinds", "Mint Minus", "Not Said", "Sealed Only", "Well Loved"]),
    ({"condition": "new"}, ["Both Kinds", "Sealed Only"]),
    ({"condition": "used"}, ["Both Kinds", "Mint Minus", "Well Loved"]),
    ({"min_grade": "VG+"}, ["Both Kinds", "Mint Minus"]),
    ({"min_grade": "nm"}, ["Mint Minus"]),
    ({"condition": "new", "min_grade": "VG"}, ["Both Kinds"]),
])
def test_filter_by_condition_and_minimum_grade(shelf, client, args, expected):
    assert _titles(client, **args) == expected


def test_counts_apply_the_other_filters_and_the_query_is_echoed(shelf, client):
    body = client.get("/api/v1/products", query_string={"min_grade": "VG+", "condition": "used"}).get_json()
    assert body["facets"]["condition"] == {"new": 2, "used": 3}  # counted without the copies filter itself
    assert (body["query"]["condition"], body["query"]["min_grade"]) == ("used", "VG+")
    searched = client.get("/api/v1/products", query_string={"condition": "used", "q": "kinds"}).get_json()
    assert searched["facets"]["condition"] == {"new": 1, "used": 1}  # … but with the search applied


@pytest.mark.parametrize("args, field", [({"condition": "mint"}, "condition"), ({"min_grade": "EX"}, "min_grade")])
def test_a_bad_condition_or_grade_is_a_422(shelf, client, args, field):
    response = client.get("/api/v1/products", query_string=args)
    assert response.status_code == 422
    assert [d["field"] for d in response.get_json()["error"]["details"]] == [field]


def test_the_page_offers_the_copies_filter(shelf, client):
    page = soup(client.get("/catalog?condition=used&min_grade=NM"))
    assert page.select_one("input[name=condition][value=used]").has_attr("checked")
    assert page.select_one("#min_grade option[selected]")["value"] == "NM"
    assert [c.get_text(strip=True) for c in page.select(".product-title")] == ["Mint Minus"]
