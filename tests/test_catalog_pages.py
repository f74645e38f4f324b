"""The catalog page: filters and facets, HTMX partials, empty state, messages, badges, ETags."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from sqlalchemy import select, update

from storefront.catalog import revision as catalog_revision
from storefront.catalog.models import Genre, Item, ItemGenre
from storefront.catalog.stock import refresh_item_stock
from storefront.extensions import db
from storefront.sync.models import SyncState
from tests.support.accounts import login, make_customer
from tests.support.factories import make_genre, make_item
from tests.support.pages import soup

HX = {"HX-Request": "true", "HX-Target": "results"}


@pytest.fixture
def shop(app):
    """Twelve live records over three genres and three formats, a deleted one and an event."""
    with app.app_context():
        jazz, soul, rock = make_genre("Jazz"), make_genre("Soul"), make_genre("Rock")
        specs = [  # artist, title, format, price, stock, genres
            ("Miles Davis", "Kind of Blue", "LP", 2500, 3, [jazz]),
            ("Miles Davis", "Bitches Brew", "2xLP", 3900, 0, [jazz]),
            ("John Coltrane", "Blue Train", "LP", 2200, 1, [jazz]),
            ("Aretha Franklin", "Lady Soul", "LP", 1900, 4, [soul]),
            ("Al Green", "Let's Stay Together", "7\"", 800, 0, [soul]),
            ("Marvin Gaye", "What's Going On", "LP", 2800, 2, [soul, jazz]),
            ("Nina Simone", "Pastel Blues", "CD", 1200, 5, [jazz, soul]),
            ("The Stooges", "Fun House", "LP", 2600, 1, [rock]),
            ("Television", "Marquee Moon", "LP", 2700, 0, [rock]),
            ("Can", "Tago Mago", "2xLP", 4200, 2, [rock]),
            ("Blue Cheer", "Vincebus Eruptum", "LP", 5200, 1, [rock]),
            ("Sade", "Diamond Life", "CD", 900, 6, [soul]),
        ]
        for age, (artist, title, fmt, price, stock, genres) in enumerate(specs):
            make_item(artist=artist, title=title, format=fmt, price=price, stock=stock, genres=genres, age_days=age)
        make_item(artist="Miles Davis", title="Deleted Pressing", deleted=True, genres=[jazz])
        make_item(artist="", title="Listening Night", kind="event", format="", price=1000)
        db.session.commit()
    return app


def titles(response) -> list[str]:
    return [h.get_text(strip=True) for h in soup(response).select("#results .product-title, .product-title")]


def facet_counts(page, name: str) -> dict[str, int]:
    counts = {}
    for box in page.select(f'input[name="{name}"]'):
        label = box.find_parent("label").get_text(" ", strip=True)
        counts[box["value"]] = int(re.search(r"\((\d+)\)\s*$", label).group(1))
    return counts


def expected(app, *, genres=(), formats=(), in_stock=False, q_ids=None) -> list[Item]:
    """The filtered result set computed independently, in Python."""
    with app.app_context():
        items = db.session.scalars(select(Item).where(Item.is_deleted.is_(False), Item.kind == "record")).all()
        pairs = db.session.execute(select(ItemGenre.item_id, Genre.slug).join(Genre)).all()
        slugs = {}
        for item_id, slug in pairs:
            slugs.setdefault(item_id, set()).add(slug)
        keep = [i for i in items
                if (not genres or slugs.get(i.id, set()) & set(genres)) and (not formats or i.format in formats)
                and (not in_stock or i.stock > 0) and (q_ids is None or i.id in q_ids)]
        for item in keep:
            item.genre_slugs = slugs.get(item.id, set())
        return keep


def test_the_full_page_has_a_progressively_enhanced_filter_form(client, shop):
    response = client.get("/catalog")
    assert response.status_code == 200
    page = soup(response)
    assert page.find("html") is not None
    form = page.find("form", id="catalog-filters")
    assert form["method"] == "get" and form["action"] == "/catalog"  # works without JavaScript
    assert form["hx-get"] == "/catalog" and form["hx-target"] == "#results" and form["hx-push-url"] == "true"
    assert "change" in form["hx-trigger"]
    search_box = page.find("input", id="q")
    assert search_box["form"] == "catalog-filters" and "delay:" in search_box["hx-trigger"]
    assert page.find("label", attrs={"for": "q"}) is not None
    assert page.find(id="result-count")["aria-live"] == "polite"
    assert page.find(id="results").has_attr("data-focus-after-swap")
    assert len(page.select("#results .product-card")) == 12
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]


def test_htmx_requests_get_only_the_results_partial(client, shop):
    response = client.get("/catalog?genre=jazz", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and "<body" not in body
    page = soup(response)
    assert page.find("h2", id="results-heading") is not None
    assert len(page.select(".product-card")) == 5
    assert page.find(id="result-count")["hx-swap-oob"] == "innerHTML"
    assert page.find(id="catalog-filters")["hx-swap-oob"] == "innerHTML"  # facets follow the results
    assert "HX-Request" in response.headers["Vary"]


def test_the_htmx_partial_is_the_same_for_every_visitor_and_follows_catalog_changes(app, client, shop):
    """The partial is rendered once per revision and query and shared: a logged-in shopper gets
    the very bytes an anonymous one gets, and a catalog change shows in the next partial."""
    customer = make_customer(app)
    member = app.test_client()
    login(member, customer)
    first = client.get("/catalog?genre=jazz", headers=HX)
    assert member.get("/catalog?genre=jazz", headers=HX).data == first.data
    assert "Kind of Blue" in first.get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(Item).where(Item.title == "Kind of Blue").values(title="Kind of Blue (Mono)"))
        catalog_revision.bump()
        db.session.commit()
    after = client.get("/catalog?genre=jazz", headers=HX).get_data(as_text=True)
    assert "Kind of Blue (Mono)" in after and after != first.get_data(as_text=True)


def test_the_search_box_gets_the_results_section_and_other_htmx_requests_the_page(client, shop):
    region = client.get("/catalog?q=blue", headers={"HX-Request": "true", "HX-Target": "results-region"})
    assert "<html" not in region.get_data(as_text=True)
    assert soup(region).find("section", id="results") is not None
    boosted = client.get("/catalog", headers={"HX-Request": "true", "HX-Target": "main"})
    assert soup(boosted).find("html") is not None
    restore = client.get("/catalog", headers={**HX, "HX-History-Restore-Request": "true"})
    assert soup(restore).find("html") is not None


@pytest.mark.parametrize("args", [
    {},
    {"genre": "jazz"},
    {"genre": ["jazz", "soul"]},
    {"format": "LP", "in_stock": "1"},
    {"genre": "soul", "format": ["LP", "CD"]},
    {"q": "blue"},
    {"q": "blue", "in_stock": "1", "genre": "jazz"},
])
def test_facet_counts_equal_counts_of_the_filtered_result_set(client, shop, args):
    listing = client.get("/api/v1/products", query_string={**args, "limit": 100}).get_json()
    q_ids = None
    if "q" in args:  # what the text search alone matches
        searched = client.get("/api/v1/products", query_string={"q": args["q"], "limit": 100}).get_json()
        q_ids = {p["id"] for p in searched["products"]}
    as_list = lambda v: [v] if isinstance(v, str) else list(v)  # noqa: E731
    genres, formats = as_list(args.get("genre", [])), as_list(args.get("format", []))
    in_stock = "in_stock" in args
    result = expected(shop, genres=genres, formats=formats, in_stock=in_stock, q_ids=q_ids)
    assert listing["pagination"]["total"] == len(result)

    page = soup(client.get("/catalog", query_string=args))
    # Each facet counts the result set with every *other* filter applied (disjunctive facets).
    for_genres = expected(shop, formats=formats, in_stock=in_stock, q_ids=q_ids)
    assert facet_counts(page, "genre") == {
        slug: n for slug, n in Counter(s for i in for_genres for s in i.genre_slugs).items()} | {
        g: 0 for g in genres if not any(g in i.genre_slugs for i in for_genres)}
    for_formats = expected(shop, genres=genres, in_stock=in_stock, q_ids=q_ids)
    assert facet_counts(page, "format") == dict(Counter(i.format for i in for_formats))
    for_stock = expected(shop, genres=genres, formats=formats, q_ids=q_ids)
    assert facet_counts(page, "in_stock") == {"1": sum(1 for i in for_stock if i.stock > 0)}
    # With no genre filter, the genre counts are exactly the counts inside the shown result set.
    if not genres:
        assert facet_counts(page, "genre") == dict(Counter(s for i in result for s in i.genre_slugs))
    assert len(page.select("#results .product-card")) == len(result)


def test_a_filter_combination_with_no_results_shows_an_empty_state(client, shop):
    response = client.get("/catalog?genre=rock&format=CD")
    assert response.status_code == 200
    page = soup(response)
    assert page.select(".product-card") == []
    assert "Nothing matches" in page.select_one(".empty-state").get_text()
    assert page.find(id="result-count").get_text(strip=True).startswith("0 records")
    partial = client.get("/catalog?q=zzzznothing", headers=HX)
    assert partial.status_code == 200 and "Nothing matches" in partial.get_data(as_text=True)


@pytest.mark.parametrize("args, field, listed", [
    ({"min_price": "abc"}, "min_price", 12),
    ({"max_price": "-5"}, "max_price", 12),
    # min above max: max is the bad value and is dropped; the valid min ($30) still filters
    ({"min_price": "30", "max_price": "10"}, "max_price", 3),
    ({"limit": "1000"}, "limit", 12),
    ({"page": "0"}, "page", 12),
    ({"sort": "evil"}, "sort", 12),
    ({"in_stock": "maybe"}, "in_stock", 12),
    ({"kind": "cassette"}, "kind", 12),
])
def test_invalid_filters_show_a_message_and_still_list(client, shop, args, field, listed):
    response = client.get("/catalog", query_string=args)
    assert response.status_code == 200
    page = soup(response)
    errors = page.select(".catalog-errors li")
    assert [e["data-field"] for e in errors] == [field]
    assert len(page.select(".product-card")) == listed  # the bad value is ignored, the rest still works
    partial = soup(client.get("/catalog", query_string=args, headers=HX))
    assert partial.select(".catalog-errors li")


def test_prices_are_major_units_on_the_page(client, shop):
    page = soup(client.get("/catalog?min_price=20&max_price=26.50"))
    assert sorted(titles_in(page)) == ["Blue Train", "Fun House", "Kind of Blue"]
    assert page.find("input", id="max_price")["value"] == "26.50"


def titles_in(page) -> list[str]:
    return [h.get_text(strip=True) for h in page.select("#results .product-title")]


def test_deleted_items_and_other_kinds_never_appear(client, shop):
    everything = " ".join(titles_in(soup(client.get("/catalog?limit=100"))))
    assert "Deleted Pressing" not in everything and "Listening Night" not in everything
    assert "Deleted Pressing" not in client.get("/catalog?q=deleted+pressing").get_data(as_text=True)
    assert titles_in(soup(client.get("/catalog?kind=event"))) == ["Listening Night"]


def test_sold_out_items_show_a_badge(client, shop):
    page = soup(client.get("/catalog?limit=100"))
    sold_out = {card.select_one(".product-title").get_text(strip=True)
                for card in page.select(".product-card") if card.select_one(".badge.sold-out")}
    assert sold_out == {"Bitches Brew", "Let's Stay Together", "Marquee Moon"}


@pytest.mark.parametrize("sort, first", [("newest", "Kind of Blue"), ("price_asc", "Let's Stay Together"),
                                         ("price_desc", "Vincebus Eruptum"), ("title", "Bitches Brew")])
def test_sorting(client, shop, sort, first):
    assert titles_in(soup(client.get(f"/catalog?sort={sort}")))[0] == first


def test_pagination_keeps_the_filters(client, shop):
    page = soup(client.get("/catalog?genre=jazz&limit=2"))
    assert len(page.select(".product-card")) == 2
    next_link = page.find("a", rel="next")
    assert "genre=jazz" in next_link["href"] and "page=2" in next_link["href"]
    last = soup(client.get("/catalog?genre=jazz&limit=2&page=3"))
    assert len(last.select(".product-card")) == 1
    beyond = client.get("/catalog?genre=jazz&limit=2&page=9")  # never "page 9 of 3": the last page
    assert beyond.status_code == 302 and beyond.headers["Location"].endswith("/catalog?genre=jazz&limit=2&page=3")


def test_etag_revalidation_answers_304_until_the_catalog_changes(client, shop):
    first = client.get("/catalog?genre=jazz")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = client.get("/catalog?genre=jazz", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    partial = client.get("/catalog?genre=jazz", headers={**HX, "If-None-Match": etag})
    assert partial.status_code == 200  # the partial is another representation
    assert client.get("/catalog?genre=soul", headers={"If-None-Match": etag}).status_code == 200
    with shop.app_context():
        make_item(artist="Ornette Coleman", title="Free Jazz", genres=[db.session.scalar(
            select(Genre).where(Genre.slug == "jazz"))])
        db.session.commit()
    changed = client.get("/catalog?genre=jazz", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "Free Jazz" in titles_in(soup(changed))


def test_logging_in_changes_the_etag(client, shop):
    etag = client.get("/catalog").headers["ETag"]
    make_customer(shop, "jo@example.com")
    assert login(client, "jo@example.com", kind="customer").status_code == 303
    response = client.get("/catalog", headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag


def test_stale_listing_cache_is_never_served_after_a_revision_bump(client, shop):
    assert "Kind of Blue" in titles_in(soup(client.get("/catalog?q=kind")))
    with shop.app_context():
        item = db.session.scalar(select(Item).where(Item.title == "Kind of Blue"))
        item.is_deleted = True
        catalog_revision.bump()
        db.session.commit()
    assert titles_in(soup(client.get("/catalog?q=kind"))) == []


def test_a_stock_change_renews_the_listing_and_the_product_page(client, shop):
    """Rendered listing fragments and ETags are keyed by the catalog revision: a stock update bumps it."""
    page = soup(client.get("/catalog?q=kind"))
    card = page.select_one(".product-card")
    assert card and not card.select(".sold-out")
    product_url = card.select_one("a.product-link")["href"]
    etag = client.get(product_url).headers["ETag"]
    with shop.app_context():
        item = db.session.scalar(select(Item).where(Item.title == "Kind of Blue"))
        refresh_item_stock("L-EMPTY", [item.id])  # no counts at that location: the item sells out
        db.session.commit()
        assert item.stock == 0
    again = soup(client.get("/catalog?q=kind")).select_one(".product-card")
    assert again.select(".sold-out"), "the cached fragment kept the old stock"
    assert client.get(product_url, headers={"If-None-Match": etag}).status_code == 200


def test_the_revision_is_trusted_for_its_ttl_but_a_local_change_renews_it_at_once(make_app):
    app = make_app(CATALOG_REVISION_TTL_SECONDS=60)
    with app.app_context():
        make_item(artist="Miles Davis", title="Kind of Blue", commit=True)
        first = catalog_revision.current()
        # another process bumps the revision: this one keeps its copy until the TTL passes
        db.session.execute(update(SyncState).values(catalog_revision=SyncState.catalog_revision + 5))
        db.session.commit()
        assert catalog_revision.current() == first
        catalog_revision.bump()  # a change made in this process is seen at once
        db.session.commit()
        assert catalog_revision.current() == first + 6
    with make_app(CATALOG_REVISION_TTL_SECONDS=0).app_context():
        assert catalog_revision.current() == first + 6


def _page_token(response) -> str:
    return json.loads(soup(response).body["hx-headers"])["X-CSRFToken"]


def test_anonymous_visitors_share_the_rendered_page_but_each_gets_a_working_token(app, shop):
    first, second = app.test_client(), app.test_client()
    page_a, page_b = first.get("/catalog?genre=jazz"), second.get("/catalog?genre=jazz")
    token_a, token_b = _page_token(page_a), _page_token(page_b)
    assert token_a and token_b and token_a != token_b
    assert "<csrf-token>" not in page_a.get_data(as_text=True)
    assert titles_in(soup(page_a)) == titles_in(soup(page_b)) and titles_in(soup(page_a))
    with shop.app_context():
        item_id = db.session.scalar(select(Item.id).where(Item.title == "Kind of Blue"))
    # each token belongs to its own visitor's session: it works there and nowhere else
    ok = first.post("/wishlist/add", data={"item_id": item_id}, headers={"X-CSRFToken": token_a})
    assert ok.status_code in (302, 303)
    refused = second.post("/wishlist/add", data={"item_id": item_id}, headers={"X-CSRFToken": token_a})
    assert refused.status_code == 400


def _without_tokens(response) -> str:
    return re.sub(r"(X-CSRFToken&#34;: &#34;|X-CSRFToken\": \"|name=\"csrf_token\" value=\")[^\"&]+", r"\1",
                  response.get_data(as_text=True))


def test_anonymous_visitors_share_a_product_page_but_not_their_tokens_or_wishlists(app, shop, monkeypatch):
    """A product page is rendered once per revision for anonymous visitors; each gets their own
    token in every form, their own guest-wishlist state, and a catalog change renders it anew."""
    import storefront.catalog.views as views

    loads = []
    real_get_product = views.get_product
    monkeypatch.setattr(views, "get_product", lambda item_id: (loads.append(item_id), real_get_product(item_id))[1])
    with shop.app_context():
        item_id = db.session.scalar(select(Item.id).where(Item.title == "Kind of Blue"))
    first, second = app.test_client(), app.test_client()
    url = soup(first.get(f"/catalog/{item_id}")).select_one("link[rel=canonical]")["href"]
    page_a, page_b = first.get(url), second.get(url)
    assert len(loads) == 2  # the slug-less address, then the canonical one once for both visitors
    assert page_a.status_code == page_b.status_code == 200
    assert "<csrf-token>" not in page_a.get_data(as_text=True)
    token_a, token_b = _page_token(page_a), _page_token(page_b)
    assert token_a and token_b and token_a != token_b
    for page, token in ((page_a, token_a), (page_b, token_b)):
        form_tokens = {i["value"] for i in soup(page).select("input[name=csrf_token]")}
        assert form_tokens == {token}
    assert _without_tokens(page_a) == _without_tokens(page_b)

    # the first visitor's token works in their session only; their guest wishlist is theirs alone
    refused = second.post("/wishlist/add", data={"item_id": item_id}, headers={"X-CSRFToken": token_a})
    assert refused.status_code == 400
    added = first.post("/wishlist/add", data={"item_id": item_id}, headers={"X-CSRFToken": token_a})
    assert added.status_code in (302, 303)
    first.get(url)  # shows (and so clears) the "added" message: the next visit is a plain one again
    assert soup(first.get(url)).select_one(".wishlist-toggle")["data-in-wishlist"] == "true"
    assert soup(second.get(url)).select_one(".wishlist-toggle")["data-in-wishlist"] == "false"

    # a wrong slug still redirects to the canonical address (its own path is never a cached one)
    wrong = second.get(f"/catalog/{item_id}/not-the-title")
    assert wrong.status_code == 301 and wrong.headers["Location"].endswith(url)

    # made-up query strings are rendered per request, not kept
    loads.clear()
    for n in range(3):
        assert second.get(f"{url}?utm={n}").status_code == 200
    assert len(loads) == 3

    # a catalog change (here: the item sells out) renders the shared page anew
    assert not soup(second.get(url)).select("article.product .sold-out")
    with shop.app_context():
        refresh_item_stock("L-EMPTY", [item_id])
        db.session.commit()
    assert soup(second.get(url)).select("article.product .sold-out")


def test_a_signed_in_customer_gets_their_own_product_page(app, shop):
    with shop.app_context():
        item_id = db.session.scalar(select(Item.id).where(Item.title == "Kind of Blue"))
    make_customer(shop, "ada@example.com")
    anonymous, customer = app.test_client(), app.test_client()
    anonymous.get(f"/catalog/{item_id}")  # the shared copy exists
    login(customer, "ada@example.com", kind="customer")
    page = customer.get(f"/catalog/{item_id}")
    token = _page_token(page)
    assert customer.post("/wishlist/add", data={"item_id": item_id},
                         headers={"X-CSRFToken": token}).status_code in (302, 303)
    assert soup(customer.get(f"/catalog/{item_id}")).select_one(".wishlist-toggle")["data-in-wishlist"] == "true"
    assert soup(anonymous.get(f"/catalog/{item_id}")).select_one(".wishlist-toggle")["data-in-wishlist"] == "false"


def test_a_page_holding_a_visitors_real_token_is_never_shared(app):
    """If a template gets the real token past the placeholder (an imported macro calls the global
    csrf_token), that page is rendered for this visitor alone and not kept for the next one."""
    from flask_wtf.csrf import generate_csrf

    from storefront.catalog import pagecache
    from storefront.catalog.services import process_cache

    key = ("test-page", 1)
    with app.test_request_context("/catalog/1"):
        page = pagecache._with_csrf_token(key, lambda token: f"<p>{token()}</p><p>{generate_csrf()}</p>")
        assert page == f"<p>{generate_csrf()}</p><p>{generate_csrf()}</p>"
        assert process_cache("catalog_page_cache").get(key) is None
        shared = pagecache._with_csrf_token(key + (2,), lambda token: f"<p>{token()}</p>")
        assert shared == f"<p>{generate_csrf()}</p>"
        assert process_cache("catalog_page_cache").get(key + (2,)) == "<p><csrf-token></p>"


def test_a_page_past_the_last_goes_to_the_last_page(client, shop):
    response = client.get("/catalog?limit=5&page=9999")
    assert response.status_code == 302 and response.headers["Location"].endswith("/catalog?limit=5&page=3")
    assert client.get("/catalog?q=zzzznothing&page=4").headers["Location"].endswith("/catalog?q=zzzznothing")
    assert client.get("/catalog?limit=5&page=3").status_code == 200


def test_empty_fields_of_a_submitted_form_are_dropped_from_the_address(client, shop):
    response = client.get("/catalog?q=&genre=jazz&min_price=&max_price=&sort=")
    assert response.status_code == 302 and response.headers["Location"].endswith("/catalog?genre=jazz")
    partial = client.get("/catalog?q=blue&sort=&min_price=", headers={"HX-Request": "true", "HX-Target": "results"})
    assert partial.status_code == 200 and partial.headers["HX-Push-Url"] == "/catalog?q=blue"


def test_typing_a_search_after_browsing_newest_first_ranks_by_relevance(client, shop):
    browsing = soup(client.get("/catalog"))
    default = browsing.select_one("#sort option[selected]")
    assert default["value"] == "" and default.get_text(strip=True) == "Newest"
    # The form as the browser sends it when a search is typed: the sort select's default is empty.
    searching = client.get("/catalog?q=blue&sort=", headers={"HX-Request": "true", "HX-Target": "results"})
    assert titles(searching)[0] in ("Blue Train", "Pastel Blues", "Kind of Blue")
    page = soup(client.get("/catalog?q=blue"))
    assert page.select_one("#sort option[selected]").get_text(strip=True) == "Best match"
    assert [o["value"] for o in page.select("#sort option")][:2] == ["", "newest"]
