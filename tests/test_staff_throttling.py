"""Staff login throttling that attackers cannot turn against staff: wrong guesses from anywhere make
further guesses wait (growing delays, no CAPTCHA), but never stop the real staff member on a
browser they have signed in on before."""

from __future__ import annotations

from datetime import timedelta

from bs4 import BeautifulSoup

from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.staff.devices import COOKIE_NAME, device_token, recognises
from storefront.staff.models import StaffMember
from storefront.staff.services import create_staff, throttle_delay

EMAIL, PASSWORD = "owner@example.com", "correct horse battery staple"


def sign_in(client, password: str, ip: str = "127.0.0.1"):
    page = BeautifulSoup(client.get("/staff/login", environ_base={"REMOTE_ADDR": ip}).data, "html.parser")
    token = page.select_one("input[name=csrf_token]")["value"]
    return client.post("/staff/login", data={"email": EMAIL, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": ip})


def staff_app(make_app):
    app = make_app(STAFF_LOGIN_RATE_LIMIT="1000 per minute")
    with app.app_context():
        create_staff(EMAIL, "Owner", PASSWORD, role="admin")
        db.session.commit()
    return app


def test_twenty_anonymous_wrong_guesses_do_not_stop_staff_on_a_known_device(make_app):
    app = staff_app(make_app)
    own_browser = app.test_client()
    assert sign_in(own_browser, PASSWORD).status_code == 303  # signed in here before: a known device
    assert own_browser.get_cookie(COOKIE_NAME, path="/staff") is not None
    own_browser.post("/staff/logout", data={})  # whatever the logout answers, the device cookie stays
    attacker = app.test_client()
    for n in range(20):
        assert sign_in(attacker, f"wrong guess number {n}", ip=f"198.51.100.{n + 1}").status_code == 200
    with app.app_context():
        member = db.session.query(StaffMember).filter_by(email=EMAIL).one()
        assert member.is_locked()  # guesses from elsewhere now wait …
    elsewhere = sign_in(app.test_client(), PASSWORD, ip="203.0.113.9")
    assert elsewhere.status_code == 200  # … even with the right password, on an unknown browser
    fresh = app.test_client()
    fresh.set_cookie(COOKIE_NAME, own_browser.get_cookie(COOKIE_NAME, path="/staff").value, path="/staff")
    assert sign_in(fresh, PASSWORD).status_code == 303  # the owner's own browser gets straight in


def test_delays_grow_and_are_capped(make_app):
    app = make_app()
    with app.app_context():
        threshold = app.config["STAFF_LOCKOUT_THRESHOLD"]
        base = app.config["STAFF_THROTTLE_BASE_SECONDS"]
        assert throttle_delay(threshold - 1) == timedelta(0)
        assert throttle_delay(threshold) == timedelta(seconds=base)
        assert throttle_delay(threshold + 2) == timedelta(seconds=base * 4)
        assert throttle_delay(threshold + 40) == timedelta(minutes=app.config["STAFF_LOCKOUT_MINUTES"])


def test_device_tokens_name_one_staff_member_and_cannot_be_forged(make_app):
    app = make_app()
    with app.app_context():
        token = device_token(7)
        assert recognises(token, 7)
        assert not recognises(token, 8)
        assert not recognises(token[:-2] + "xx", 7)
        assert not recognises(None, 7) and not recognises("x" * 600, 7)
    other = make_app(SECRET_KEY="another-secret-key-entirely")
    with other.app_context():
        assert not recognises(token, 7)


def test_a_wait_that_ran_out_lets_anyone_with_the_password_in(make_app):
    app = staff_app(make_app)
    for n in range(6):
        sign_in(app.test_client(), f"wrong {n}", ip=f"198.51.100.{n + 1}")
    with app.app_context():
        member = db.session.query(StaffMember).filter_by(email=EMAIL).one()
        member.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert sign_in(app.test_client(), PASSWORD, ip="203.0.113.7").status_code == 303
