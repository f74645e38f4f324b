"""Coupon codes: quotes and their messages, counting redemptions, the staff pages and the cart form."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storefront.audit.models import AuditEntry
from storefront.catalog.models import Item, ItemVariation, StockLevel
from storefront.core.errors import ValidationError
from storefront.coupons import services
from storefront.coupons.models import Coupon, CouponRedemption
from storefront.coupons.services import check_coupon, mark_used, redeem, release
from storefront.extensions import db
from storefront.orders.models import Order
from tests.support.accounts import install_test_login, login, make_customer, make_staff
from tests.support.pages import csrf_token, soup
from tests.support.square_schema import validate

LOCATION = "LTEST"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HX = {"HX-Request": "true", "HX-Target": "cart-coupon"}


def add_coupon(code: str = "SAVE10", **fields) -> Coupon:
    """A coupon in the current app context (committed)."""
    fields.setdefault("kind", "percent")
    if fields["kind"] == "percent":
        fields.setdefault("percent", 10)
    coupon = Coupon(code=code, currency=fields.pop("currency", "USD"), **fields)
    db.session.add(coupon)
    db.session.commit()
    return coupon


def add_order(email: str = "buyer@example.com", customer_id: int | None = None) -> int:
    order = Order(number=f"T-{uuid.uuid4().hex[:12]}", email=email, customer_id=customer_id, status="pending_payment",
                  subtotal_amount=5000, total_amount=5000, idempotency_key=uuid.uuid4().hex)
    db.session.add(order)
    db.session.commit()
    return order.id


def quote(code: str = "SAVE10", subtotal: int = 5000, email: str | None = "buyer@example.com",
          customer_id: int | None = None, now: datetime | None = NOW):
    return check_coupon(code, subtotal=subtotal, currency="USD", email=email, customer_id=customer_id, now=now)


def refusal(code: str = "SAVE10", **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        quote(code, **kwargs)
    error = caught.value
    assert [(d.field, d.message) for d in error.details] == [("coupon", error.message)]
    return error.message


def count_of(coupon_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Coupon, coupon_id).redemptions_count


# --- quotes ---------------------------------------------------------------------------------------

def test_percent_quote_rounds_half_to_even_and_builds_the_square_discount(app_ctx):
    add_coupon("SAVE10")
    add_coupon("FIFTEEN", percent=15)
    q = quote("  save10 ", subtotal=4199)
    assert (q.code, q.kind, q.discount_amount, q.free_shipping, q.label) == ("SAVE10", "percent", 420, False,
                                                                              "10% off")
    assert quote("FIFTEEN", subtotal=1010).discount_amount == 152  # 151.5 → 152 (even)
    assert quote("FIFTEEN", subtotal=1030).discount_amount == 154  # 154.5 → 154 (even)
    assert quote("FIFTEEN", subtotal=1).discount_amount == 0
    discount = q.square_discount()
    assert discount == {"uid": f"coupon-{q.coupon_id}", "name": "Coupon SAVE10", "scope": "ORDER",
                        "type": "FIXED_PERCENTAGE", "percentage": "10"}
    validate(discount, "OrderLineItemDiscount")


def test_fixed_quote_never_exceeds_the_subtotal(app_ctx):
    add_coupon("FIVER", kind="fixed", amount=500)
    q = quote("FIVER", subtotal=4200)
    assert (q.discount_amount, q.label) == (500, "$5.00 off")
    assert q.square_discount() == {"uid": f"coupon-{q.coupon_id}", "name": "Coupon FIVER", "scope": "ORDER",
                                   "type": "FIXED_AMOUNT", "amount_money": {"amount": 500, "currency": "USD"}}
    validate(q.square_discount(), "OrderLineItemDiscount")
    assert quote("FIVER", subtotal=300).discount_amount == 300


def test_free_shipping_quote_has_no_discount_line(app_ctx):
    add_coupon("SHIPFREE", kind="free_shipping")
    q = quote("shipfree")
    assert (q.discount_amount, q.free_shipping, q.label, q.square_discount()) == (0, True, "Free shipping", None)


def test_unknown_inactive_and_malformed_codes_read_the_same(app_ctx):
    add_coupon("OLDCODE", active=False)
    messages = {refusal("NOPE123"), refusal("OLDCODE"), refusal("no spaces!"), refusal("X" * 41), refusal("AB")}
    assert messages == {"That code isn't valid. Check it and try again."}
    assert refusal("   ") == "Enter a code."


def test_windows_are_checked_and_named_by_day(app_ctx):
    add_coupon("LATER", starts_at=datetime(2026, 12, 3, tzinfo=UTC))
    add_coupon("WINTER", ends_at=datetime(2026, 12, 4, tzinfo=UTC))  # the 3rd is the last day
    assert refusal("LATER", now=datetime(2026, 12, 2, 23, 59, tzinfo=UTC)) == "This code can be used from 3 Dec 2026."
    assert quote("LATER", now=datetime(2026, 12, 3, tzinfo=UTC)).discount_amount == 500
    assert quote("WINTER", now=datetime(2026, 12, 3, 23, 59, 59, tzinfo=UTC)).discount_amount == 500
    assert refusal("WINTER", now=datetime(2026, 12, 4, tzinfo=UTC)) == "This code expired on 3 Dec 2026."


def test_minimum_spend(app_ctx):
    add_coupon("BIGSPEND", min_order_amount=3000)
    assert refusal("BIGSPEND", subtotal=2999) == "Spend $30.00 or more to use this code."
    assert quote("BIGSPEND", subtotal=3000).discount_amount == 300


def test_a_code_in_another_currency_does_not_apply(app_ctx):
    add_coupon("EUROS", kind="fixed", amount=500, currency="EUR")
    assert refusal("EUROS") == "That code isn't valid. Check it and try again."


def test_used_up(app_ctx):
    add_coupon("LIMITED", max_redemptions=2, redemptions_count=2)
    assert refusal("LIMITED") == "This code has been used up."


def test_per_customer_limit_by_email_or_account(app_ctx):
    customer = make_customer(app_ctx, "jo@example.com")
    coupon = add_coupon("ONCE", per_customer_limit=1)
    redeem(quote("ONCE"), order_id=add_order("jo@example.com"), email="Jo@Example.com", customer_id=customer.id)
    db.session.commit()
    assert refusal("ONCE", email="JO@example.com") == "You've already used this code."
    assert refusal("ONCE", email="other@example.com", customer_id=customer.id) == "You've already used this code."
    assert quote("ONCE", email="other@example.com").discount_amount == 500
    assert quote("ONCE", email=None).discount_amount == 500  # unknown shopper: checked again at redeem
    with pytest.raises(ValidationError, match="already used"):
        redeem(quote("ONCE", email=None), order_id=add_order("jo@example.com"), email="jo@example.com",
               customer_id=None)
    db.session.commit()
    assert count_of(coupon.id) == 1


# --- counting -------------------------------------------------------------------------------------

def test_redeem_counts_once_per_order_and_does_not_commit(app_ctx):
    coupon = add_coupon("SAVE10", max_redemptions=3)
    order_id = add_order()
    first = redeem(quote(), order_id=order_id, email="Buyer@Example.com", customer_id=None)
    again = redeem(quote(), order_id=order_id, email="buyer@example.com", customer_id=None)
    assert again.id == first.id and (first.status, first.email) == ("held", "buyer@example.com")
    db.session.rollback()  # the caller's rollback undoes it: redeem never committed
    assert count_of(coupon.id) == 0
    assert db.session.scalar(select(func.count()).select_from(CouponRedemption)) == 0
    redeem(quote(), order_id=order_id, email="buyer@example.com", customer_id=None)
    redeem(quote(), order_id=order_id, email="buyer@example.com", customer_id=None)
    db.session.commit()
    assert count_of(coupon.id) == 1


def test_one_code_per_order(app_ctx):
    add_coupon("SAVE10")
    other = add_coupon("OTHER")
    order_id = add_order()
    redeem(quote(), order_id=order_id, email="buyer@example.com", customer_id=None)
    with pytest.raises(ValidationError, match="already has a code"):
        redeem(quote("OTHER"), order_id=order_id, email="buyer@example.com", customer_id=None)
    db.session.commit()
    assert count_of(other.id) == 0


def test_redeem_refuses_when_the_last_place_went_and_leaves_the_transaction_usable(app_ctx):
    coupon = add_coupon("LAST", max_redemptions=1)
    early, late = quote("LAST"), quote("LAST")  # both quoted while a place was free
    redeem(early, order_id=add_order(), email="a@example.com", customer_id=None)
    db.session.commit()
    late_order = add_order("b@example.com")
    with pytest.raises(ValidationError) as caught:
        redeem(late, order_id=late_order, email="b@example.com", customer_id=None)
    assert caught.value.message == "This code has just been used up."
    db.session.get(Order, late_order).staff_note = "still saved"
    db.session.commit()
    assert count_of(coupon.id) == 1
    assert db.session.get(Order, late_order).staff_note == "still saved"


def test_redeem_rechecks_a_coupon_deactivated_or_expired_since_the_quote(app_ctx):
    coupon = add_coupon("SAVE10")
    stale = quote(now=None)
    coupon.active = False
    db.session.commit()
    with pytest.raises(ValidationError, match="isn't valid"):
        redeem(stale, order_id=add_order(), email="a@example.com", customer_id=None)
    coupon.active, coupon.ends_at = True, datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(ValidationError, match="expired"):
        redeem(stale, order_id=add_order(), email="a@example.com", customer_id=None)
    db.session.commit()
    assert count_of(coupon.id) == 0


def test_release_gives_the_place_back_once_and_the_order_can_take_it_again(app_ctx):
    coupon = add_coupon("SAVE10", max_redemptions=1)
    order_id = add_order()
    held = redeem(quote(), order_id=order_id, email="buyer@example.com", customer_id=None)
    db.session.commit()
    assert release(order_id) is True
    db.session.commit()
    assert count_of(coupon.id) == 0 and db.session.get(CouponRedemption, held.id).status == "released"
    assert release(order_id) is False and release(order_id + 999) is False
    db.session.commit()
    assert count_of(coupon.id) == 0
    retaken = redeem(quote(), order_id=order_id, email="buyer@example.com", customer_id=None)
    db.session.commit()
    assert retaken.id == held.id and retaken.status == "held" and count_of(coupon.id) == 1


def test_mark_used_and_a_late_payment_after_release(app_ctx):
    coupon = add_coupon("SAVE10", max_redemptions=1)
    paid, late = add_order(), add_order("late@example.com")
    redeem(quote(), order_id=paid, email="buyer@example.com", customer_id=None)
    assert mark_used(paid) is True and mark_used(paid) is False
    assert release(paid) is False  # a paid order's code stays used
    db.session.commit()
    assert count_of(coupon.id) == 1
    coupon.max_redemptions = 2
    db.session.commit()
    redeem(quote(), order_id=late, email="late@example.com", customer_id=None)
    release(late)
    coupon.max_redemptions = 1
    db.session.commit()
    assert count_of(coupon.id) == 1
    assert mark_used(late) is True  # the shopper paid the discounted price: it counts, past the limit
    db.session.commit()
    assert count_of(coupon.id) == 2


# --- staff ----------------------------------------------------------------------------------------

@pytest.fixture
def staff_client(app):
    install_test_login(app)
    staff = make_staff(app, "buyer-desk@example.com")
    client = app.test_client()
    login(client, staff, password_step=False)
    return client


def audit_actions(app) -> list[tuple[str, str, dict]]:
    with app.app_context():
        return [(e.action, e.target_id, e.details) for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("coupon.%")).order_by(AuditEntry.id))]


def test_staff_pages_need_a_staff_login(app):
    assert app.test_client().get("/staff/coupons/").status_code == 302
    assert app.test_client().post("/staff/coupons/new").status_code in (302, 303, 400)


def test_staff_create_edit_deactivate_with_csrf_and_audit(app, staff_client):
    form = {"code": "summer-25", "kind": "percent", "percent": "25", "currency": "usd", "min_order_amount": "30",
            "starts_on": "2026-06-01", "ends_on": "2026-08-31", "max_redemptions": "100",
            "per_customer_limit": "1", "active": "1"}
    assert staff_client.post("/staff/coupons/new", data=form).status_code == 400  # no CSRF token
    token = csrf_token(staff_client, "/staff/coupons/new")
    created = staff_client.post("/staff/coupons/new", data={**form, "csrf_token": token})
    assert created.status_code == 303
    with app.app_context():
        coupon = db.session.scalar(select(Coupon))
        assert (coupon.code, coupon.percent, coupon.currency, coupon.min_order_amount) == ("SUMMER-25", 25, "USD", 3000)
        assert coupon.starts_at == datetime(2026, 6, 1, tzinfo=UTC)
        assert coupon.ends_at == datetime(2026, 9, 1, tzinfo=UTC)
        coupon_id = coupon.id
    listing = soup(staff_client.get("/staff/coupons/"))
    row = listing.find("tr", attrs={"data-coupon-id": str(coupon_id)}).get_text(" ", strip=True)
    for text in ("SUMMER-25", "25% off", "$30.00", "2026-06-01 – 2026-08-31", "0 / 100", "1 per customer"):
        assert text in row
    assert "Coupons" in listing.find("nav", class_="staff-nav").get_text()

    edit_page = soup(staff_client.get(f"/staff/coupons/{coupon_id}"))
    assert edit_page.find("input", attrs={"name": "ends_on"})["value"] == "2026-08-31"
    edited = staff_client.post(f"/staff/coupons/{coupon_id}",
                               data={**form, "kind": "fixed", "amount": "7.50", "csrf_token": token})
    assert edited.status_code == 303
    deactivated = staff_client.post(f"/staff/coupons/{coupon_id}/deactivate", data={"csrf_token": token})
    assert deactivated.status_code == 303
    with app.app_context():
        coupon = db.session.get(Coupon, coupon_id)
        assert (coupon.kind, coupon.amount, coupon.percent, coupon.active) == ("fixed", 750, None, False)
    actions = audit_actions(app)
    assert [a[0] for a in actions] == ["coupon.created", "coupon.updated", "coupon.deactivated"]
    assert actions[0][2]["code"] == "SUMMER-25" and actions[1][2]["changes"]["amount"] == [None, 750]
    assert {a[1] for a in actions} == {str(coupon_id)}
    assert "inactive" in soup(staff_client.get("/staff/coupons/")).find(
        "tr", attrs={"data-coupon-id": str(coupon_id)}).get_text()


def test_staff_form_errors_are_shown_per_field(app, staff_client):
    with app.app_context():
        add_coupon("TAKEN")
    token = csrf_token(staff_client, "/staff/coupons/new")
    bad = {"code": "taken", "kind": "percent", "percent": "101", "currency": "US", "min_order_amount": "1.234",
           "starts_on": "2026-06-02", "ends_on": "2026-06-01", "max_redemptions": "0", "per_customer_limit": "x",
           "csrf_token": token}
    page = staff_client.post("/staff/coupons/new", data=bad)
    assert page.status_code == 400
    errors = {p["id"].removesuffix("-error"): p.get_text() for p in soup(page).select("p.field-error")}
    assert set(errors) == {"code", "percent", "currency", "min_order_amount", "ends_on", "max_redemptions",
                           "per_customer_limit"}
    assert errors["code"] == "Another coupon already uses this code."
    assert soup(page).find("input", attrs={"name": "code"})["value"] == "taken"  # what was typed comes back
    fixed = staff_client.post("/staff/coupons/new", data={"code": "FIXED", "kind": "fixed", "amount": "",
                                                          "csrf_token": token})
    assert fixed.status_code == 400 and "Enter the amount off" in fixed.get_data(as_text=True)
    assert audit_actions(app) == []


def test_deactivating_an_inactive_coupon_is_not_logged_twice(app, staff_client):
    with app.app_context():
        coupon_id = add_coupon("GONE", active=False).id
    token = csrf_token(staff_client, "/staff/coupons/")
    assert staff_client.post(f"/staff/coupons/{coupon_id}/deactivate", data={"csrf_token": token}).status_code == 303
    assert staff_client.get("/staff/coupons/999999").status_code == 404
    assert audit_actions(app) == []


# --- the cart form --------------------------------------------------------------------------------

@pytest.fixture
def shop(make_app):
    app = make_app(ECS_LOCATION_ID=LOCATION)
    with app.app_context():
        item = Item(ecs_id="I1", name="Artist — Title", artist="Artist", title="Title", price_amount=2100, stock=10)
        item.variations.append(ItemVariation(ecs_id="V1", name="LP", price_amount=2100))
        db.session.add(item)
        db.session.flush()
        db.session.add(StockLevel(variation_id=item.variations[0].id, location_id=LOCATION, quantity=10))
        db.session.commit()
        add_coupon("SAVE10")
        add_coupon("BIGSPEND", kind="fixed", amount=1000, min_order_amount=5000)
        return app, item.variations[0].id


def fill_cart(client, variation_id: int, quantity: int = 2) -> str:
    token = csrf_token(client, "/cart")
    response = client.post("/cart/add", data={"variation_id": variation_id, "quantity": quantity,
                                              "csrf_token": token})
    assert response.status_code == 303
    return token


def test_cart_applies_shows_and_removes_a_code(shop):
    app, variation_id = shop
    client = app.test_client()
    token = fill_cart(client, variation_id)  # 2 × $21.00
    page = soup(client.get("/cart")).find(id="cart-coupon")
    assert page.find("label", attrs={"for": "coupon-code"}).get_text() == "Have a code?"
    applied = client.post("/cart/coupon", data={"code": " save10 ", "csrf_token": token}, headers=HX)
    assert applied.status_code == 200
    assert "10% off: −$4.20" in " ".join(soup(applied).find(id="cart-coupon").get_text(" ").split())
    with client.session_transaction() as session:
        assert session["coupon_code"] == "SAVE10"
    shown = soup(client.get("/cart")).find(id="cart-coupon").get_text(" ")
    assert "SAVE10" in shown and "$37.80" in shown and "Have a code?" not in shown
    removed = client.post("/cart/coupon/remove", data={"csrf_token": token}, headers=HX)
    assert "Have a code?" in removed.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "coupon_code" not in session


def test_cart_shows_why_a_code_does_not_apply(shop):
    app, variation_id = shop
    client = app.test_client()
    token = fill_cart(client, variation_id)
    wrong = client.post("/cart/coupon", data={"code": "NOPE", "csrf_token": token}, headers=HX)
    assert wrong.status_code == 200  # htmx swaps 2xx only
    error = soup(wrong).find(id="coupon-error")
    assert error.get_text() == "That code isn't valid. Check it and try again." and error["role"] == "alert"
    assert soup(wrong).find("input", attrs={"name": "code"})["value"] == "NOPE"
    short = client.post("/cart/coupon", data={"code": "bigspend", "csrf_token": token}, headers=HX)
    assert "Spend $50.00 or more to use this code." in short.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "coupon_code" not in session
    plain = client.post("/cart/coupon", data={"code": "NOPE", "csrf_token": token, "next": "https://evil.example/"})
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/cart")
    assert "That code isn't valid" in soup(client.get("/cart")).get_text()  # flashed


def test_an_applied_code_follows_the_cart(shop):
    app, variation_id = shop
    client = app.test_client()
    token = fill_cart(client, variation_id, quantity=3)  # $63.00
    client.post("/cart/coupon", data={"code": "BIGSPEND", "csrf_token": token}, headers=HX)
    state = soup(client.get("/cart")).find(id="cart-coupon")["hx-get"]
    assert client.get(state, headers=HX).status_code == 204  # nothing changed
    client.post("/cart/update", data={"variation_id": variation_id, "quantity": 1, "csrf_token": token})
    refreshed = client.get(state, headers=HX)
    assert refreshed.status_code == 200
    text = refreshed.get_data(as_text=True)
    assert "BIGSPEND" in text and "Spend $50.00 or more to use this code." in text and "Remove" in text
    assert client.get(state).status_code == 303  # not htmx: the cart page


def test_empty_cart_hides_the_form_and_refuses_codes(shop):
    app, _variation_id = shop
    client = app.test_client()
    section = soup(client.get("/cart")).find(id="cart-coupon")
    assert section.has_attr("hidden") and section.find("form") is None
    token = csrf_token(client, "/cart")
    refused = client.post("/cart/coupon", data={"code": "SAVE10", "csrf_token": token})
    assert refused.status_code == 303
    assert "Add something to your cart first." in soup(client.get("/cart")).get_text()


def test_cart_coupon_needs_csrf_and_is_rate_limited(shop):
    app, variation_id = shop
    client = app.test_client()
    token = fill_cart(client, variation_id)
    assert client.post("/cart/coupon", data={"code": "SAVE10"}).status_code == 400
    statuses = [client.post("/cart/coupon", data={"code": f"GUESS{n}", "csrf_token": token}, headers=HX).status_code
                for n in range(11)]
    assert statuses[:9] == [200] * 9 and statuses[-1] == 429


def test_the_code_survives_logging_in_and_the_checkout_can_read_it(shop):
    app, variation_id = shop
    from storefront.coupons.views import current_coupon_code

    customer = make_customer(app, "shopper@example.com")
    client = app.test_client()
    token = fill_cart(client, variation_id)
    client.post("/cart/coupon", data={"code": "save10", "csrf_token": token}, headers=HX)
    assert login(client, customer).status_code == 303
    with client.session_transaction() as session:
        assert session["coupon_code"] == "SAVE10"
    with app.test_request_context("/"):
        assert current_coupon_code() is None
    with client:
        client.get("/cart")
        assert current_coupon_code() == "SAVE10"


def test_services_module_exports_the_checkout_interface():
    for name in ("check_coupon", "redeem", "release", "mark_used", "CouponQuote", "create_coupon",
                 "update_coupon", "deactivate_coupon", "list_coupons"):
        assert hasattr(services, name)
