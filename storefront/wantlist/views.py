"""Wantlist pages: follow (product page's "Notify me", the catalog's "Save this search"), the
customer's list, a guest's confirmation link and the unsubscribe links (no login; GET shows, POST acts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for

from storefront.catalog.models import Item
from storefront.catalog.query import GRADES
from storefront.core.errors import DomainError, ValidationError
from storefront.extensions import db, limiter
from storefront.wantlist import services
from storefront.wantlist.models import WantlistEntry
from storefront.web.identity import current_customer
from storefront.web.safe_redirect import local_path
from storefront.web.templating import url_if

bp = Blueprint("wantlist", __name__, url_prefix="/wantlist")

FORM_FIELDS = ("kind", "item_id", "artist", "search", "min_grade", "max_price", "email", "next")


def _customer_id() -> int | None:
    customer = current_customer()
    return int(customer.id) if customer is not None else None


# Guests' follows send an email: a budget per client IP (customers are not limited here).
follow_limit = limiter.shared_limit(lambda: current_app.config["WANTLIST_RATE_LIMIT"], scope="wantlist-follow",
                                    methods=["POST"], override_defaults=False,
                                    exempt_when=lambda: _customer_id() is not None)


def _private(body: str, status: int = 200) -> Response:
    response = Response(body, status=status)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # links carry tokens
    return response


def _form_page(values: Mapping[str, Any], errors: dict[str, str] | None = None, status: int = 200) -> Response:
    item = None
    if values.get("kind") == "release":
        try:
            item = db.session.get(Item, services.parse_item_id(values.get("item_id")))
        except ValidationError:
            item = None
    return _private(render_template("wantlist/new.html", values=values, errors=errors or {}, grades=GRADES,
                                    item=item, is_guest=_customer_id() is None), status)


@bp.get("/new")
def new() -> Response:
    """The follow form, filled from the query (the catalog's "Save this search" links here)."""
    values = {name: request.args.get(name, "") for name in FORM_FIELDS}
    return _form_page(values)


@bp.post("/follow")
@follow_limit
def follow() -> Response:
    """Follow something: a customer at once; a guest gets a confirmation email (the same answer always)."""
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    customer_id = _customer_id()
    try:
        wish = services.parse_wish(values, price_units="major")
        if customer_id is not None:
            _entry, created = services.follow_as_customer(customer_id, wish)
        else:
            services.follow_as_guest(values["email"], wish)
    except DomainError as exc:
        db.session.rollback()
        errors = {d.field: d.message for d in exc.details} or {"kind": exc.message}
        return _form_page(values, errors, exc.http_status)
    if customer_id is None:
        return redirect(url_for("wantlist.check_email"), code=303)
    flash("Added to your wantlist: we'll email you when a copy comes in." if created
          else "Already on your wantlist: its grade and price are updated.", "success")
    return redirect(local_path(values["next"], default=url_for("wantlist.index")), code=303)


@bp.get("/check-email")
def check_email() -> Response:
    return _private(render_template("wantlist/check_email.html"))


@bp.get("")
def index() -> Response:
    """The customer's wantlist with remove buttons; guests are asked to log in."""
    customer_id = _customer_id()
    if customer_id is None:
        login = url_if("accounts.login", next=url_for("wantlist.index"))
        return redirect(login or url_for("wantlist.new"), code=303)
    entries, _total = services.list_entries(customer_id)
    rows = [{"entry": e, "what": services.describe(e), "conditions": services.conditions(e)} for e in entries]
    return _private(render_template("wantlist/index.html", rows=rows))


@bp.post("/<int:entry_id>/remove")
def remove(entry_id: int) -> Response:
    customer_id = _customer_id()
    if customer_id is None:
        return redirect(url_for("wantlist.index"), code=303)
    if services.remove_entry(customer_id, entry_id):
        flash("Removed from your wantlist.", "success")
    else:
        flash("That entry is not on your wantlist.", "warning")
    return redirect(url_for("wantlist.index"), code=303)


@bp.get("/confirm/<token>")
def confirm(token: str) -> Response:
    """A guest's confirmation link: a page with a button (mail scanners opening links change nothing)."""
    entry = services.pending_confirmation(token)
    return _private(render_template("wantlist/confirm.html", token=token, entry=entry,
                                    what=services.describe(entry) if entry else ""), 200 if entry else 404)


@bp.post("/confirm/<token>")
def confirm_post(token: str) -> Response:
    entry = services.confirm(token)
    if entry is None:
        return _private(render_template("wantlist/confirm.html", token=token, entry=None, what=""), 404)
    return _private(render_template("wantlist/confirmed.html", what=services.describe(entry)))


def _unsubscribe_page(token: str, entries: list[WantlistEntry] | None, scope: str, done: int | None = None,
                      status: int = 200) -> Response:
    return _private(render_template("wantlist/unsubscribe.html", token=token, scope=scope, done=done,
                                    valid=entries is not None,
                                    whats=[services.describe(e) for e in entries or []]), status)


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str) -> Response:
    """An unsubscribe link from an email: says what it stops and asks to confirm (nothing changes on GET)."""
    found = services.read_unsubscribe(token)
    if found is None:
        return _unsubscribe_page(token, None, "entry", status=404)
    return _unsubscribe_page(token, found.entries, found.scope)


@bp.post("/unsubscribe/<token>")
def unsubscribe_post(token: str) -> Response:
    found = services.read_unsubscribe(token)
    if found is None:
        return _unsubscribe_page(token, None, "entry", status=404)
    removed = services.unsubscribe(token) or 0
    return _unsubscribe_page(token, [], found.scope, done=removed)
