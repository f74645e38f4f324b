"""Wishlist pages: the list, HTMX add/remove toggles, and the read-only shared view."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from storefront.accounts.signed_links import public_url
from storefront.catalog.models import Item
from storefront.core.errors import DomainError, NotFound, ValidationError
from storefront.extensions import db
from storefront.web import htmx
from storefront.web.safe_redirect import local_path
from storefront.web.templating import url_if
from storefront.wishlist import services
from storefront.wishlist.visitor import (
    current_item_ids,
    forget_cached_ids,
    guest_ids,
    max_guest_items,
    save_guest_ids,
    visitor_customer_id,
)

bp = Blueprint("wishlist", __name__, url_prefix="/wishlist")


@bp.app_template_global("wishlist_item_ids")
def wishlist_item_ids() -> frozenset[int]:
    """Ids on the current visitor's wishlist: ``{% if item.id in wishlist_item_ids() %}``."""
    return current_item_ids()



def _lines() -> list[services.WishlistLine]:
    customer_id = visitor_customer_id()
    if customer_id is None:
        return services.guest_lines(guest_ids())
    return services.list_lines(customer_id)[0]


def _page(status: int = 200) -> Response:
    customer_id = visitor_customer_id()
    partial = htmx.wants("wishlist")
    share_token = services.share_token(customer_id) if customer_id is not None else None
    share_url = public_url("wishlist.shared", token=share_token) if share_token else None
    response = Response(render_template("wishlist/_list.html" if partial else "wishlist/index.html",
                                        lines=_lines(), is_guest=customer_id is None, share_url=share_url,
                                        guest_limit=max_guest_items()),
                        status=status)
    response.vary.add("HX-Request")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("")
def index() -> Response:
    return _page()


def _back() -> str:
    return local_path(request.form.get("next"), default=url_for("wishlist.index"))


def _toggle(item: Item, *, error: str | None = None) -> Response:
    response = Response(render_template("wishlist/_toggle.html", item=item,
                                        in_wishlist=item.id in current_item_ids(),
                                        next_url=_back(), toggle_error=error))
    response.vary.add("HX-Request")
    return response


def _refused(exc: DomainError) -> Response:
    """Bad or unknown item ids: an error status, nothing changed."""
    if htmx.is_htmx():
        return Response(render_template("wishlist/_error.html", message=exc.message), status=exc.http_status)
    return Response(render_template("errors/generic.html", status=exc.http_status,
                                    title="Wishlist", message=exc.message), status=exc.http_status)


@bp.post("/add")
def add() -> Response:
    """Save an item (``item_id``) for the logged-in customer, or in the guest list."""
    try:
        item_id = services.parse_item_id(request.form.get("item_id"))
        item = services.available_item(item_id)
    except (ValidationError, NotFound) as exc:
        return _refused(exc)
    customer_id = visitor_customer_id()
    try:
        if customer_id is None:
            save_guest_ids(services.guest_add(guest_ids(), item_id, max_guest_items()))
        else:
            services.add_item(customer_id, item_id)
    except DomainError as exc:  # a full list: say so where the button is
        if htmx.is_htmx():
            return _toggle(item, error=exc.message)
        flash(exc.message, "error")
        return redirect(_back(), code=303)
    forget_cached_ids()
    if htmx.is_htmx():
        return _toggle(item)
    flash(f"Added {item.name} to your wishlist.", "success")
    return redirect(_back(), code=303)


@bp.post("/remove")
def remove() -> Response:
    """Take an item (``item_id``) off the visitor's wishlist (also items no longer sold)."""
    try:
        item_id = services.parse_item_id(request.form.get("item_id"))
    except ValidationError as exc:
        return _refused(exc)
    item = db.session.get(Item, item_id)
    if item is None:
        return _refused(NotFound("That item does not exist."))
    customer_id = visitor_customer_id()
    if customer_id is None:
        save_guest_ids(services.guest_remove(guest_ids(), item_id))
    else:
        services.remove_item(customer_id, item_id)
    forget_cached_ids()
    if htmx.is_htmx():
        if htmx.wants("wishlist"):
            return _page()
        return _toggle(item)
    flash(f"Removed {item.name} from your wishlist.", "success")
    return redirect(_back(), code=303)


def _login_first() -> Response:
    flash("Log in to share your wishlist.", "warning")
    login = url_if("accounts.login", next=url_for("wishlist.index"))
    return redirect(login or url_for("wishlist.index"), code=303)


@bp.post("/share")
def share() -> Response:
    """Create (or keep) the read-only share link of the customer's wishlist."""
    customer_id = visitor_customer_id()
    if customer_id is None:
        return _login_first()
    services.start_sharing(customer_id)
    flash("Your wishlist can now be seen by anyone with the link below.", "success")
    return redirect(url_for("wishlist.index"), code=303)


@bp.post("/share/revoke")
def revoke_share() -> Response:
    """Stop sharing: every link given out so far stops working."""
    customer_id = visitor_customer_id()
    if customer_id is None:
        return _login_first()
    services.stop_sharing(customer_id)
    flash("Sharing is off; the old link no longer works.", "success")
    return redirect(url_for("wishlist.index"), code=303)


@bp.get("/shared/<token>")
def shared(token: str) -> Response:
    """Someone's shared wishlist, read-only: items still sold, no buttons, nothing about the owner."""
    lines = services.shared_wishlist(token)
    response = Response(render_template("wishlist/shared.html", lines=lines))
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the link is the secret; keep it out of Referer
    response.headers["X-Robots-Tag"] = "noindex"
    return response
