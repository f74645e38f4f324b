"""The customer address book: cleaning and formatting addresses, the services, and the /account/addresses pages."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from storefront.accounts import addresses as book
from storefront.accounts.addresses import Address
from storefront.core.addresses import (
    ADDRESS_FIELDS,
    COUNTRIES,
    MAX_LENGTHS,
    clean_address,
    country_choices,
    format_address,
    to_square_address,
)
from storefront.core.errors import Conflict, NotFound, ValidationError
from storefront.extensions import db
from tests.support.accounts import login, make_customer
from tests.support.pages import csrf_token, soup
from tests.support.square_schema import errors as square_errors
from tests.support.square_schema import spec as square_spec

LONDON = {"name": "Ada Lovelace", "line1": "12 Marylebone Road", "city": "London", "postcode": "NW1 5LR",
          "country": "GB"}
BERLIN = {"name": "Clara Schumann", "line1": "Unter den Linden 1", "city": "Berlin", "postcode": "10115",
          "country": "DE"}
CHICAGO = {"name": "Herbie Hancock", "line1": "1 Wacker Drive", "line2": "Suite 200", "city": "Chicago",
           "region": "IL", "postcode": "60601", "country": "US", "phone": "+1 312 555 0100"}


# --- the country list ---------------------------------------------------------------------------

def test_countries_is_the_full_iso_3166_list_and_square_accepts_every_code():
    assert len(COUNTRIES) == 249
    assert all(len(code) == 2 and code.isascii() and code.isupper() for code in COUNTRIES)
    assert COUNTRIES["GB"] == "United Kingdom" and COUNTRIES["US"] == "United States"
    assert COUNTRIES["KR"] == "South Korea" and COUNTRIES["CI"] == "Côte d'Ivoire"
    square_countries = set(square_spec()["components"]["schemas"]["Country"]["enum"])
    assert set(COUNTRIES) == square_countries - {"ZZ"}


def test_country_choices_are_sorted_by_name_ignoring_accents():
    names = [name for _code, name in country_choices()]
    assert names.index("Åland Islands") == names.index("Afghanistan") + 1
    assert names.index("Zimbabwe") == len(names) - 1 and len(names) == 249


# --- clean_address: the validation table --------------------------------------------------------

@pytest.mark.parametrize(("given", "expected"), [
    (LONDON, {**LONDON, "line2": "", "region": "", "phone": ""}),
    ({**LONDON, "postcode": "sw1a1aa", "country": "gb"}, {"postcode": "SW1A 1AA", "country": "GB"}),
    ({**LONDON, "postcode": "  ec1a   1bb "}, {"postcode": "EC1A 1BB"}),
    ({**LONDON, "country": "CA", "postcode": "k1a0b1"}, {"postcode": "K1A 0B1"}),
    ({**LONDON, "country": "nl", "postcode": "1012ab"}, {"postcode": "1012 AB", "country": "NL"}),
    ({**LONDON, "country": "US", "postcode": "60601-1234"}, {"postcode": "60601-1234"}),
    ({**LONDON, "country": "DE", "postcode": "10115"}, {"postcode": "10115"}),
    ({**LONDON, "name": "  Ada \t".strip() + "   Lovelace  "}, {"name": "Ada Lovelace"}),
    ({**LONDON, "line2": None, "region": None, "phone": None}, {"line2": "", "region": "", "phone": ""}),
    ({**LONDON, "phone": " +44 (0)20 7946-0000 "}, {"phone": "+44 (0)20 7946-0000"}),
    ({**LONDON, "city": "Zu\u0308rich"}, {"city": "Zürich"}),  # NFC: one code point for ü
    ({**LONDON, "is_default": True, "id": 7}, {"name": "Ada Lovelace"}),  # other keys are ignored
    ({**LONDON, "name": "x" * 120}, {"name": "x" * 120}),
])
def test_clean_address_tidies_good_input(given, expected):
    clean = clean_address(given)
    assert tuple(clean) == ADDRESS_FIELDS
    assert all(isinstance(value, str) for value in clean.values())
    assert {key: clean[key] for key in expected} == expected


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": ""}, "name", "Enter the recipient's name."),
    ({"name": "   "}, "name", "Enter the recipient's name."),
    ({"name": None}, "name", "Enter the recipient's name."),
    ({"line1": ""}, "line1", "Enter the street address."),
    ({"city": ""}, "city", "Enter the town or city."),
    ({"country": ""}, "country", "Choose a country."),
    ({"country": "XX"}, "country", "Choose a country from the list."),
    ({"country": "GBR"}, "country", "Choose a country from the list."),
    ({"country": "United Kingdom"}, "country", "Choose a country from the list."),
    ({"name": "x" * 121}, "name", "Full name can be at most 120 characters."),
    ({"line1": "x" * 201}, "line1", "at most 200"),
    ({"line2": "x" * 201}, "line2", "at most 200"),
    ({"city": "x" * 101}, "city", "at most 100"),
    ({"region": "x" * 101}, "region", "at most 100"),
    ({"postcode": "1" * 21}, "postcode", "at most 20"),
    ({"phone": "1" * 41}, "phone", "at most 40"),
    ({"name": "Ada\nLovelace"}, "name", "control characters"),
    ({"line1": "12 Marylebone Road\r"}, "line1", "control characters"),
    ({"line2": "Flat\t2"}, "line2", "control characters"),
    ({"city": "Lon\x00don"}, "city", "control characters"),
    ({"region": "\x1b[31m"}, "region", "control characters"),
    ({"name": "Ada \u202eecalevol"}, "name", "control characters"),  # right-to-left override
    ({"postcode": "NW1\x7f"}, "postcode", "control characters"),
    ({"name": 42}, "name", "must be text"),
    ({"postcode": ["NW1"]}, "postcode", "must be text"),
    ({"postcode": "NW1 5LR!"}, "postcode", "letters, digits, spaces and hyphens"),
    ({"postcode": "-123"}, "postcode", "letters, digits, spaces and hyphens"),
    ({"phone": "call me"}, "phone", "phone number"),
    ({"phone": "+44"}, "phone", "phone number"),
])
def test_clean_address_names_the_bad_field(changes, field, message):
    with pytest.raises(ValidationError) as caught:
        clean_address({**LONDON, **changes})
    assert caught.value.message == "Check the address."
    assert [d.field for d in caught.value.details] == [field]
    assert message in caught.value.details[0].message


def test_clean_address_reports_every_bad_field_at_once():
    with pytest.raises(ValidationError) as caught:
        clean_address({"phone": "abc", "postcode": "!"})
    assert [d.field for d in caught.value.details] == ["name", "line1", "city", "country", "postcode", "phone"]
    assert caught.value.http_status == 422


def test_model_columns_fit_the_cleaned_lengths():
    for name, limit in MAX_LENGTHS.items():
        assert Address.__table__.c[name].type.length == limit


# --- format_address and Square -------------------------------------------------------------------

@pytest.mark.parametrize(("address", "lines"), [
    (CHICAGO, ["Herbie Hancock", "1 Wacker Drive", "Suite 200", "Chicago, IL 60601", "United States"]),
    (BERLIN, ["Clara Schumann", "Unter den Linden 1", "10115 Berlin", "Germany"]),
    ({**LONDON, "region": "Greater London"},
     ["Ada Lovelace", "12 Marylebone Road", "London", "Greater London", "NW1 5LR", "United Kingdom"]),
    ({"name": "Kiri", "line1": "1 Queen St", "city": "Auckland", "country": "NZ"},
     ["Kiri", "1 Queen St", "Auckland", "New Zealand"]),
    ({"name": "Kiri", "line1": "1 Queen St", "city": "Auckland", "country": "QQ"},
     ["Kiri", "1 Queen St", "Auckland", "QQ"]),
])
def test_format_address_prints_label_lines_in_the_countrys_order(address, lines):
    assert format_address(address) == lines


def test_to_square_address_matches_squares_address_object():
    square = to_square_address(clean_address(CHICAGO))
    assert square == {"address_line_1": "1 Wacker Drive", "address_line_2": "Suite 200", "locality": "Chicago",
                      "administrative_district_level_1": "IL", "postal_code": "60601", "country": "US",
                      "first_name": "Herbie", "last_name": "Hancock"}
    assert square_errors(square, "Address") == []


@pytest.mark.parametrize(("name", "first", "last"), [
    ("Ludwig van Beethoven", "Ludwig", "van Beethoven"), ("Madonna", "Madonna", None),
    ("Ada  Lovelace", "Ada", "Lovelace"),
])
def test_to_square_address_splits_the_name_and_leaves_out_empty_fields(name, first, last):
    square = to_square_address(clean_address({**BERLIN, "name": name}))
    assert square.get("first_name") == first and square.get("last_name") == last
    assert "address_line_2" not in square and "administrative_district_level_1" not in square
    assert square_errors(square, "Address") == []


# --- services ------------------------------------------------------------------------------------

@pytest.fixture
def two_customers(app):
    return make_customer(app, "ada@example.com").id, make_customer(app, "clara@example.com").id


def _defaults(customer_id: int) -> list[int]:
    return [a.id for a in book.list_addresses(customer_id) if a.is_default]


def test_the_first_address_becomes_the_default_and_set_default_moves_it(app_ctx, two_customers):
    ada, _clara = two_customers
    first = book.create_address(ada, LONDON)
    second = book.create_address(ada, BERLIN)
    assert first.is_default and not second.is_default
    assert _defaults(ada) == [first.id] and book.default_address(ada).id == first.id
    book.set_default(ada, second.id)
    assert _defaults(ada) == [second.id]
    book.set_default(ada, second.id)  # again: still exactly one
    assert [a.id for a in book.list_addresses(ada)] == [second.id, first.id]  # default first
    third = book.create_address(ada, CHICAGO, make_default=True)
    assert _defaults(ada) == [third.id]


def test_deleting_the_default_promotes_the_most_recent(app_ctx, two_customers):
    ada, _clara = two_customers
    first, second, third = (book.create_address(ada, a) for a in (LONDON, BERLIN, CHICAGO))
    book.delete_address(ada, second.id)  # not the default: the default stays
    assert _defaults(ada) == [first.id]
    book.delete_address(ada, first.id)
    assert _defaults(ada) == [third.id]
    book.delete_address(ada, third.id)
    assert book.list_addresses(ada) == [] and book.default_address(ada) is None
    assert book.create_address(ada, BERLIN).is_default


def test_update_replaces_the_fields_and_keeps_the_default(app_ctx, two_customers):
    ada, _clara = two_customers
    address = book.create_address(ada, CHICAGO)
    updated = book.update_address(ada, address.id, {**BERLIN, "postcode": " 10117 "})
    assert updated.as_dict() == {**clean_address(BERLIN), "postcode": "10117"}
    assert updated.is_default and updated.line2 == "" and updated.phone == ""
    with pytest.raises(ValidationError):
        book.update_address(ada, address.id, {**BERLIN, "country": "XX"})
    assert db.session.get(Address, address.id).country == "DE"


def test_a_book_holds_at_most_twenty(app_ctx, two_customers):
    ada, clara = two_customers
    for n in range(book.MAX_ADDRESSES):
        book.create_address(ada, {**LONDON, "line1": f"{n} Marylebone Road"})
    with pytest.raises(Conflict) as caught:
        book.create_address(ada, BERLIN)
    assert caught.value.code == "address_book_full" and book.count_addresses(ada) == book.MAX_ADDRESSES
    assert book.create_address(clara, BERLIN).is_default  # another customer's book is separate


def test_a_customer_can_never_see_or_change_another_customers_address(app_ctx, two_customers):
    ada, clara = two_customers
    theirs = book.create_address(ada, LONDON)
    book.create_address(clara, BERLIN)
    for attempt in (lambda: book.get_address(clara, theirs.id),
                    lambda: book.update_address(clara, theirs.id, BERLIN),
                    lambda: book.update_address(clara, theirs.id, {}),  # 404 before the input is judged
                    lambda: book.set_default(clara, theirs.id),
                    lambda: book.delete_address(clara, theirs.id),
                    lambda: book.get_address(ada, 999_999)):
        with pytest.raises(NotFound):
            attempt()
    assert [a.as_dict() for a in book.list_addresses(ada)] == [clean_address(LONDON)]
    assert book.default_address(ada).id == theirs.id
    assert [a.city for a in book.list_addresses(clara)] == ["Berlin"]


def test_an_unknown_customer_has_no_book(app_ctx):
    with pytest.raises(NotFound):
        book.create_address(424242, LONDON)


def test_the_database_refuses_a_second_default(app_ctx, two_customers):
    ada, _clara = two_customers
    book.create_address(ada, LONDON)
    db.session.add(Address(customer_id=ada, is_default=True, **clean_address(BERLIN)))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_addresses_go_with_their_customer():
    [fk] = Address.__table__.c.customer_id.foreign_keys
    assert (fk.column.table.name, fk.ondelete) == ("customers", "CASCADE")
    assert Address.__table__.c.customer_id.index


# --- pages ---------------------------------------------------------------------------------------

URL = "/account/addresses"


def logged_in(app, email: str):
    customer = make_customer(app, email)
    client = app.test_client()
    assert login(client, customer).status_code == 303
    return customer, client


def post(client, path: str, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, URL), **data})


def addresses_of(app, customer_id: int) -> list[dict[str, str]]:
    with app.app_context():
        return [{**a.as_dict(), "id": a.id, "is_default": a.is_default} for a in book.list_addresses(customer_id)]


def test_pages_need_a_logged_in_customer(app):
    client = app.test_client()
    response = client.get(URL)
    assert response.status_code == 303 and response.headers["Location"] == "/account/login?next=/account/addresses"
    assert client.get(f"{URL}/1/edit").headers["Location"] == "/account/login?next=/account/addresses/1/edit"
    token = csrf_token(client, "/account/login")
    for path in (URL, f"{URL}/1/edit", f"{URL}/1/default", f"{URL}/1/delete"):
        response = client.post(path, data={"csrf_token": token, **LONDON})
        assert response.status_code == 303
        assert response.headers["Location"] == "/account/login?next=/account/addresses"


def test_add_edit_make_default_and_delete_through_the_pages(app):
    customer, client = logged_in(app, "ada@example.com")
    page = soup(client.get(URL))
    assert page.find(id="no-addresses") is not None
    assert page.find("select", attrs={"name": "country"}).find("option", attrs={"value": "GB"}).text == "United Kingdom"
    response = post(client, URL, **{**LONDON, "postcode": "nw15lr"})
    assert response.status_code == 303 and response.headers["Location"] == URL
    response = post(client, URL, **BERLIN, make_default="y")
    assert response.status_code == 303
    london, berlin = sorted(addresses_of(app, customer.id), key=lambda a: a["id"])
    assert london["postcode"] == "NW1 5LR" and berlin["is_default"] and not london["is_default"]

    page = soup(client.get(URL))
    cards = page.select(".address-card")
    assert [c["id"] for c in cards] == [f"address-{berlin['id']}", f"address-{london['id']}"]
    assert cards[0].select_one(".badge").text == "Default" and cards[1].select_one(".badge") is None
    assert "10115 Berlin" in cards[0].find("address").text and "NW1 5LR" in cards[1].find("address").text
    assert "Address saved." in page.select_one(".flashes").text

    edit = soup(client.get(f"{URL}/{london['id']}/edit"))
    assert edit.find("input", attrs={"name": "line1"})["value"] == "12 Marylebone Road"
    assert edit.find("select", attrs={"name": "country"}).find("option", selected=True)["value"] == "GB"
    response = post(client, f"{URL}/{london['id']}/edit", **{**LONDON, "line2": "Flat 2"})
    assert response.status_code == 303
    assert post(client, f"{URL}/{london['id']}/default").status_code == 303
    assert [(a["line2"], a["is_default"]) for a in addresses_of(app, customer.id)] == [("Flat 2", True), ("", False)]
    assert post(client, f"{URL}/{london['id']}/delete").status_code == 303
    assert [(a["id"], a["is_default"]) for a in addresses_of(app, customer.id)] == [(berlin["id"], True)]


def test_bad_input_shows_the_form_again_with_field_errors(app):
    customer, client = logged_in(app, "ada@example.com")
    response = post(client, URL, **{**LONDON, "name": "", "country": "XX", "city": "Lon\ndon"})
    assert response.status_code == 422
    page = soup(response)
    assert page.find(id="address-error") is not None
    assert page.find(id="name-error").text == "Enter the recipient's name."
    assert page.find(id="country-error").text == "Choose a country from the list."
    assert "control characters" in page.find(id="city-error").text
    assert page.find("input", attrs={"name": "line1"})["value"] == "12 Marylebone Road"  # what they typed is kept
    assert addresses_of(app, customer.id) == []
    post(client, URL, **LONDON)
    [saved] = addresses_of(app, customer.id)
    response = post(client, f"{URL}/{saved['id']}/edit", **{**LONDON, "line1": "x" * 201})
    assert response.status_code == 422 and soup(response).find(id="line1-error") is not None
    assert addresses_of(app, customer.id) == [saved]


@pytest.mark.parametrize("action", ["", "/{id}/edit", "/{id}/default", "/{id}/delete"])
def test_every_change_needs_the_csrf_token(app, action):
    customer, client = logged_in(app, "ada@example.com")
    post(client, URL, **LONDON)
    post(client, URL, **BERLIN)
    before = addresses_of(app, customer.id)
    path = URL + action.format(id=before[1]["id"])
    assert client.post(path, data={**CHICAGO}).status_code == 400
    assert client.post(path, data={"csrf_token": "forged", **CHICAGO}).status_code == 400
    assert addresses_of(app, customer.id) == before


def test_one_customer_cannot_reach_anothers_address_through_the_pages(app):
    ada, ada_client = logged_in(app, "ada@example.com")
    post(ada_client, URL, **LONDON)
    post(ada_client, URL, **BERLIN)
    before = addresses_of(app, ada.id)
    target = before[0]["id"]
    clara, clara_client = logged_in(app, "clara@example.com")
    assert "Marylebone" not in clara_client.get(URL).get_data(as_text=True)
    assert clara_client.get(f"{URL}/{target}/edit").status_code == 404
    for action in ("edit", "default", "delete"):
        assert post(clara_client, f"{URL}/{target}/{action}", **CHICAGO).status_code == 404
    assert post(clara_client, f"{URL}/{target}/edit", name="").status_code == 404
    assert addresses_of(app, ada.id) == before and addresses_of(app, clara.id) == []


def test_a_full_book_hides_the_form_and_refuses_more(app):
    customer, client = logged_in(app, "ada@example.com")
    with app.app_context():
        for n in range(book.MAX_ADDRESSES):
            book.create_address(customer.id, {**LONDON, "line1": f"{n} Marylebone Road"})
    page = soup(client.get(URL))
    assert page.find(id="address-book-full") is not None and page.find("input", attrs={"name": "line1"}) is None
    response = post(client, URL, **BERLIN)
    assert response.status_code == 303
    assert "at most 20 addresses" in soup(client.get(URL)).select_one(".flash-error").text
    assert len(addresses_of(app, customer.id)) == book.MAX_ADDRESSES


def test_address_pages_are_not_cached_and_linked_from_the_profile(app):
    customer, client = logged_in(app, "ada@example.com")
    response = client.get(URL)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert URL in {a["href"] for a in soup(client.get("/account")).select(".account-links a")}
    # the form's country defaults to the default address's country
    post(client, URL, **BERLIN)
    select = soup(client.get(URL)).find("select", attrs={"name": "country"})
    assert select.find("option", selected=True)["value"] == "DE"
