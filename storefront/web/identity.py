"""Who is logged in: one Flask-Login session shared by the separate customer and staff accounts.

A session id is ``"<kind>:<id>"``; each accounts domain registers the loader for its kind, so
a customer id can never be loaded as a staff member.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_login import current_user

from storefront.extensions import login_manager

_LOADERS: dict[str, Callable[[str], Any]] = {}


def register_user_kind(kind: str, loader: Callable[[str], Any]) -> None:
    """Let ``loader(id)`` resolve session ids of the form ``"<kind>:<id>"``."""
    _LOADERS[kind] = loader


def load_user(session_id: str) -> Any:
    kind, _, ident = session_id.partition(":")
    loader = _LOADERS.get(kind)
    return loader(ident) if loader and ident else None


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.session_protection = "strong"
    # A shopper who opens an account page signed out is sent to log in (and back), never a bare 401.
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Log in to see that page."
    login_manager.login_message_category = "info"


def logged_in_kind() -> str | None:
    """"customer", "staff" or None for the user of the current request."""
    if not current_user or not current_user.is_authenticated:
        return None
    return str(current_user.get_id()).partition(":")[0]


def current_customer() -> Any:
    """The logged-in customer, or None (a staff session is not a customer)."""
    return current_user._get_current_object() if logged_in_kind() == "customer" else None
