"""Whose wishlist this request sees: the logged-in customer's rows, or a guest list in the session."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, g, session

from storefront.accounts.services import login_hooks
from storefront.web.identity import current_customer
from storefront.wishlist import services

SESSION_KEY = "guest_wishlist"


def customer_id_of(customer: Any) -> int | None:
    """The numeric id behind a customer session ("customer:<id>"), or None."""
    if customer is None:
        return None
    ident = getattr(customer, "id", None)
    if isinstance(ident, int):
        return ident
    kind, _, raw = str(customer.get_id()).partition(":")
    return int(raw) if kind == "customer" and raw.isdigit() else None


def visitor_customer_id() -> int | None:
    """The logged-in customer's id, or None for a guest (a staff session is a guest here)."""
    return customer_id_of(current_customer())


def max_guest_items() -> int:
    return int(current_app.config["WISHLIST_MAX_GUEST_ITEMS"])


def guest_ids() -> list[int]:
    """The guest list kept in this browser session (sanitised)."""
    return services.clean_guest_ids(session.get(SESSION_KEY), max_guest_items())


def save_guest_ids(ids: list[int]) -> None:
    if ids:
        session[SESSION_KEY] = ids
    else:
        session.pop(SESSION_KEY, None)
    forget_cached_ids()


def current_item_ids() -> frozenset[int]:
    """Ids on the current visitor's wishlist, computed once per request."""
    cached = g.get("_wishlist_item_ids")
    if cached is None:
        customer_id = visitor_customer_id()
        ids = services.wishlist_item_ids(customer_id) if customer_id is not None else guest_ids()
        cached = frozenset(ids)
        g._wishlist_item_ids = cached
    return cached  # type: ignore[no-any-return]


def forget_cached_ids() -> None:
    g.pop("_wishlist_item_ids", None)


@login_hooks.register("wishlist.merge_guest", carry=[SESSION_KEY])
def merge_guest_wishlist(customer_id: int, carried: Mapping[str, Any]) -> dict[str, Any]:
    """Login hook: move the session's guest list onto the customer's wishlist, then drop it."""
    ids = services.clean_guest_ids(carried.get(SESSION_KEY), max_guest_items())
    if ids:
        services.merge_guest_items(customer_id, ids)
    return {SESSION_KEY: None}
