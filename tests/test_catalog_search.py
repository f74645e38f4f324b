"""Full-text search: finds artists/labels/enrichment, ranks exact matches first, never chokes on FTS syntax."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text, update

from storefront.catalog import revision as catalog_revision
from storefront.catalog import search
from storefront.catalog.models import Item
from storefront.catalog.query import CatalogQuery, parse_catalog_query
from storefront.catalog.services import search_catalog
from storefront.extensions import db
from tests.support.factories import make_detail, make_genre, make_item


def found(q: str, **filters) -> list[str]:
    """Display titles of the first page of results for ``q`` (relevance order)."""
    query = parse_catalog_query({"q": q, **filters}).or_raise()
    return [card.display_title for card in search_catalog(query).cards]


@pytest.fixture
def records(app_ctx):
    jazz, rock = make_genre("Jazz"), make_genre("Rock")
    # Older first, so "newest" would put the partial matches ahead of the exact one.
    make_item(artist="Miles Davis", title="Kind of Blue", label="Columbia", catalog_number="CL 1355",
              genres=[jazz], age_days=30)
    make_item(artist="Miles Davis Quintet", title="Relaxin' With Miles", genres=[jazz], age_days=2)
    make_item(artist="Davis Miles Tribute Band", title="Miles Ahead Again", genres=[jazz], age_days=1)
    make_item(artist="Björk", title="Homogenic", genres=[rock], label="One Little Indian")
    make_item(artist="AC/DC", title="Back in Black", genres=[rock], catalog_number="SD 16018")
    make_item(artist="Blue Cheer", title="Vincebus Eruptum", genres=[rock], age_days=5)
    make_item(artist="Various", title="Blue", genres=[rock], age_days=40)
    make_item(artist="Miles Davis", title="Withdrawn Bootleg", deleted=True)
    db.session.commit()


def test_searching_an_artist_finds_their_records(records):
    titles = found("miles davis")
    assert set(titles) == {"Kind of Blue", "Relaxin' With Miles", "Miles Ahead Again"}


def test_an_exact_artist_match_ranks_above_partial_matches(records):
    assert found("Miles Davis")[0] == "Kind of Blue"
    assert found("miles davis", sort="relevance")[0] == "Kind of Blue"  # case does not matter


def test_an_exact_title_match_ranks_first(records):
    titles = found("blue")
    assert titles[0] == "Blue"
    assert {"Kind of Blue", "Vincebus Eruptum"} <= set(titles)  # "Blue Cheer" matches through its artist


def test_label_catalog_number_and_prefix_terms_match(records):
    assert found("columbia") == ["Kind of Blue"]
    assert found("CL 1355") == ["Kind of Blue"]
    assert found("homog") == ["Homogenic"]  # the last term matches as a prefix
    assert found("AC/DC") == ["Back in Black"]
    assert found("Björk") == ["Homogenic"]


def test_enrichment_text_is_searchable(app_ctx):
    item = make_item(artist="Sun Ra", title="Lanquidity")
    make_detail(item, styles=["Free Jazz"], tracklist=[{"position": "A1", "title": "Where Pathways Meet"}],
                notes="Recorded at Blank Tapes, 1978.")
    db.session.commit()
    assert found("pathways") == ["Lanquidity"]
    assert found("free jazz") == ["Lanquidity"]


def test_deleted_items_never_match(records):
    assert "Withdrawn Bootleg" not in found("miles davis")
    assert found("withdrawn") == []


def test_the_index_follows_updates_and_deletes(records):
    item = db.session.scalar(select(Item).where(Item.title == "Homogenic"))
    item.search_text = "Bjork Vespertine One Little Indian"
    catalog_revision.bump()
    db.session.commit()
    assert found("homogenic") == []
    assert found("vespertine") == ["Homogenic"]
    db.session.delete(item)
    catalog_revision.bump()
    db.session.commit()
    assert found("vespertine") == []


@pytest.mark.parametrize("q", ['"', '""', "*", "NEAR(", "NEAR(a b)", "-", "-miles", "miles -davis", "a OR b",
                               "miles AND", "title:blue", "'", "\\", "blue:*", "(", ")", "{}", "^blue", "!", "&|",
                               "Björk", "ﬁ ligature", "日本語", "🎷", "%", "_", "miles  davis ", "a" * 200])
def test_search_syntax_in_user_input_is_never_interpreted(records, q):
    query = parse_catalog_query({"q": q}).or_raise()
    result = search_catalog(query)  # no exception on either database
    assert result.total == len(result.cards) <= 24


def test_fts_syntax_is_quoted_for_both_engines():
    terms = search.search_terms('miles "davis NEAR( * - x')
    assert terms == ["miles", '"davis', "NEAR(", "x"]
    assert search.fts5_query(terms) == '"miles" AND """davis" AND "NEAR(" AND "x"*'
    assert search.pg_tsquery(["o'brien", "a\\b"]) == "'o''brien' & 'a\\\\b':*"
    assert search.search_terms("* - ( )") == []


def test_a_query_with_nothing_searchable_matches_nothing(records):
    result = search_catalog(CatalogQuery(q="* -", sort="relevance"))
    assert (result.total, result.cards) == (0, [])


def test_create_search_index_builds_over_existing_rows(app_ctx):
    """What the migration does: the index is added to a table that already has items."""
    with db.engine.begin() as conn:
        search.drop_search_index(conn)
    make_item(artist="Alice Coltrane", title="Journey in Satchidananda")
    db.session.commit()
    with db.engine.begin() as conn:
        search.create_search_index(conn)
        search.create_search_index(conn)  # idempotent
    assert found("satchidananda") == ["Journey in Satchidananda"]
    make_item(artist="Pharoah Sanders", title="Karma", commit=True)  # and it keeps up afterwards
    assert found("karma") == ["Karma"]


def test_alembic_hooks_hide_the_search_index_from_autogenerate(app_ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": search.include_name,
                                                         "include_object": search.include_object})
        diff = compare_metadata(context, db.metadata)
    assert not [d for d in diff if "items_fts" in str(d) or search.PG_INDEX in str(d)]


def test_postgres_search_uses_the_gin_index(app_ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    make_item(artist="Alice Coltrane", title="Ptah, the El Daoud", commit=True)
    with db.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(conn.execute(text(
            "EXPLAIN SELECT id FROM items WHERE to_tsvector('simple'::regconfig, search_text) "
            "@@ to_tsquery('simple'::regconfig, 'coltrane')")).scalars())
    assert search.PG_INDEX in plan


def test_stock_filter_and_search_combine(records):
    db.session.execute(update(Item).where(Item.title == "Kind of Blue").values(stock=0))
    catalog_revision.bump()
    db.session.commit()
    assert "Kind of Blue" not in found("miles davis", in_stock="1")
    assert "Kind of Blue" in found("miles davis")


@pytest.mark.parametrize("q", ["QUB-133", "QUB133", "qub 133", "qub133", "Qub-133"])
def test_a_catalog_number_is_found_however_it_is_typed(app_ctx, q):
    make_item(artist="Tubby Solo", title="Dub Catalogue", catalog_number="QUB-133")
    make_item(artist="Someone Else", title="Other Record", catalog_number="QUB-134")
    db.session.commit()
    assert found(q) == ["Dub Catalogue"]


def test_a_barcode_is_found_with_or_without_its_spaces(app_ctx):
    make_item(artist="Scanner", title="Barcoded", barcode="0 12345 67890 5")
    db.session.commit()
    assert found("012345678905") == ["Barcoded"]
    assert found("0 12345 67890 5") == ["Barcoded"]


@pytest.mark.parametrize("q, expected", [
    ("Jhon Coltrane", {"Giant Steps"}), ("john coltrnae", {"Giant Steps"}), ("coltrne", {"Giant Steps"}),
    ("Mlies Davis", {"Kind of Blue", "Relaxin' With Miles", "Miles Ahead Again"}), ("Bjrk", {"Homogenic"}),
])
def test_a_one_letter_typo_in_a_name_still_finds_the_records(records, q, expected):
    from storefront.catalog import spelling

    make_item(artist="John Coltrane", title="Giant Steps")
    db.session.commit()
    spelling.forget()  # the vocabulary is per process and refreshed every few minutes
    assert set(found(q)) == expected


def test_a_search_that_matches_is_never_corrected(records):
    from storefront.catalog import spelling

    spelling.forget()
    assert found("blue")[0] == "Blue"
    assert spelling._CACHE == {}  # the vocabulary was never needed


@pytest.mark.parametrize("a, b, near", [
    ("coltrane", "coltrnae", True), ("coltrane", "coltrne", True), ("coltrane", "coltranes", True),
    ("coltrane", "koltrane", True), ("coltrane", "coltrane", False), ("coltrane", "cltrnae", False),
    ("davis", "dvais", True), ("davis", "sivad", False),
])
def test_one_edit_apart(a, b, near):
    from storefront.catalog.spelling import one_edit_apart

    assert one_edit_apart(a, b) is near and one_edit_apart(b, a) is near
