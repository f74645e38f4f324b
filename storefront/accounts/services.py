"""Customer use cases: register, confirm the email, log in (page or API token), reset the password.

None of these reveal whether an email has an account: registration answers the same for new and
existing addresses (the owner of an existing one gets an email instead), every login failure is
one :class:`LoginFailed`, and unknown emails still cost a password hash.

Other domains hook into a customer's login through :data:`login_hooks` (see :class:`LoginHooks`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storefront.accounts import signed_links
from storefront.accounts.models import Customer
from storefront.apitokens.services import IssuedToken, issue_token, revoke, revoke_all
from storefront.core.errors import DomainError, FieldError, Unauthorized, ValidationError
from storefront.core.passwords import (
    burn_verification,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.notifications.services import queue_email
from storefront.web.urls import public_url

log = logging.getLogger("storefront.accounts")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOGIN_FAILED_MESSAGE = "That email and password didn't work. Check them and try again."
REGISTER_PENDING_MESSAGE = ("Thanks! We've sent an email to that address. Follow the link in it to confirm "
                            "your account, then log in.")
RESEND_MESSAGE = ("If that address has an account waiting for confirmation, we've sent a new link. "
                  "Check your inbox.")
FORGOT_MESSAGE = "If that address has an account, we've sent a link to choose a new password. Check your inbox."


class LoginFailed(Unauthorized):
    """Unknown email, wrong password or unconfirmed account — deliberately one message."""

    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__(LOGIN_FAILED_MESSAGE)


class InvalidLink(DomainError):
    """A confirmation or reset link that is forged, expired or already used."""

    code = "invalid_link"
    http_status = 400


# --- login hooks ----------------------------------------------------------------------------

LoginHook = Callable[[int, Mapping[str, Any]], Mapping[str, Any] | None]


class LoginHooks:
    """What other domains do when a customer logs in to a page session (guest wishlist merge, cart).

    The page session is replaced on login (a fresh session stops session fixation). Only the keys
    hooks ask to ``carry`` survive; they are copied into the new session, then each hook runs as
    ``hook(customer_id, carried)`` — ``carried`` holds those keys' old values — and may return
    session changes (``{key: value}``; ``None`` removes the key). Register at import time::

        from storefront.accounts.services import login_hooks

        @login_hooks.register("wishlist.merge_guest", carry=["guest_wishlist"])
        def merge_guest_wishlist(customer_id, carried):
            merge_items(customer_id, carried.get("guest_wishlist") or [])
            return {"guest_wishlist": None}

    Registering a name again replaces that hook. A hook that raises is logged and skipped (its
    database work rolled back): a failed merge must not stop the customer logging in. API logins
    have no session and run no hooks.
    """

    def __init__(self) -> None:
        self._hooks: dict[str, tuple[LoginHook, tuple[str, ...]]] = {}

    def register(self, name: str, hook: LoginHook | None = None, *,
                 carry: Iterable[str] = ()) -> Any:
        """Add ``hook`` under ``name`` (usable as a decorator when ``hook`` is omitted)."""
        keys = tuple(carry)

        def add(func: LoginHook) -> LoginHook:
            self._hooks[name] = (func, keys)
            return func

        return add(hook) if hook is not None else add

    def unregister(self, name: str) -> None:
        self._hooks.pop(name, None)

    @property
    def names(self) -> list[str]:
        return list(self._hooks)

    def carried_keys(self) -> set[str]:
        return {key for _hook, keys in self._hooks.values() for key in keys}

    def carried(self, old_session: Mapping[str, Any]) -> dict[str, Any]:
        """The values of the old session that must survive the rotation."""
        return {key: old_session[key] for key in self.carried_keys() if key in old_session}

    def run(self, customer_id: int, carried: Mapping[str, Any]) -> dict[str, Any]:
        """Call every hook; returns the merged session changes they asked for."""
        changes: dict[str, Any] = {}
        for name, (hook, _keys) in list(self._hooks.items()):
            try:
                result = hook(customer_id, dict(carried))
            except Exception:
                db.session.rollback()
                log.exception("login hook %s failed for customer %s", name, customer_id)
                continue
            changes.update(result or {})
        return changes


login_hooks = LoginHooks()


# --- accounts -------------------------------------------------------------------------------

def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def find_customer_by_email(email: str) -> Customer | None:
    email = normalise_email(email)
    return db.session.scalar(select(Customer).where(Customer.email == email)) if email else None


def get_customer(customer_id: int) -> Customer | None:
    return db.session.get(Customer, customer_id)


def _registration_problems(email: str, name: str, password: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not _EMAIL.match(email) or len(email) > 254:
        errors.append(FieldError("email", "Enter a valid email address."))
    if not name or len(name) > 120:
        errors.append(FieldError("name", "Enter your name (at most 120 characters)."))
    errors += password_problems(password, email=email)
    return errors


def _send_confirmation(customer: Customer) -> None:
    token = signed_links.make_token(signed_links.CONFIRM, customer.id, customer.account_stamp)
    hours = current_app.config["CUSTOMER_CONFIRM_MAX_AGE_SECONDS"] // 3600
    queue_email(customer.email, "Confirm your email address", "confirm_email", kind="accounts.confirm_email",
                name=customer.name, link=public_url("accounts.confirm", token=token), hours=hours)


def register_customer(email: str, name: str, password: str) -> None:
    """Start a registration; returns nothing, so callers cannot tell new from existing emails.

    New email: an unconfirmed account and a confirmation email. Confirmed account: an email to
    its owner saying someone tried to register. Unconfirmed account: the newest registration
    wins (name and password replaced, earlier links stop working) and gets the confirmation
    email, so nobody can pre-register someone else's address with a password they know.
    """
    email, name, password = normalise_email(email), (name or "").strip(), password or ""
    problems = _registration_problems(email, name, password)
    if problems:
        raise ValidationError("Check the highlighted fields.", details=problems)
    password_hash = hash_password(password)  # in every branch, so timing does not tell them apart
    customer = find_customer_by_email(email)
    if customer is None:
        customer = Customer(email=email, name=name, password_hash=password_hash)
        db.session.add(customer)
        try:
            db.session.flush()
        except IntegrityError:  # registered concurrently: treat it as the existing account
            db.session.rollback()
            customer = find_customer_by_email(email)
            if customer is None:
                raise
    elif not customer.is_confirmed:
        customer.name, customer.password_hash = name, password_hash
    if customer.is_confirmed:
        queue_email(customer.email, "Someone tried to register with your email address", "already_registered",
                    kind="accounts.already_registered", name=customer.name,
                    login_link=public_url("accounts.login"),
                    reset_link=public_url("accounts.forgot_password"))
    else:
        _send_confirmation(customer)


def resend_confirmation(email: str) -> None:
    """Send a fresh confirmation link if ``email`` has an unconfirmed account; silent otherwise."""
    customer = find_customer_by_email(email)
    if customer is not None and not customer.is_confirmed:
        _send_confirmation(customer)


def _customer_from_link(purpose: str, token: str) -> Customer | None:
    parsed = signed_links.read_token(purpose, token)
    if parsed is None:
        return None
    customer = db.session.get(Customer, parsed[0])
    if customer is None or customer.account_stamp != parsed[1]:
        return None
    return customer


def check_confirmation(token: str) -> Customer | None:
    """The unconfirmed customer a confirmation link is for, without changing anything."""
    customer = _customer_from_link(signed_links.CONFIRM, token)
    return customer if customer is not None and not customer.is_confirmed else None


def confirm_email(token: str) -> Customer:
    """Mark the email confirmed (the link then stops working); InvalidLink when it can't be used."""
    customer = check_confirmation(token)
    if customer is None:
        raise InvalidLink("This confirmation link has expired or was already used. Log in, or ask for a new link.")
    now = utcnow()
    customer.email_confirmed_at = now
    customer.last_login_at = now  # confirming logs the customer in
    db.session.commit()
    return customer


def ensure_customer(email: str, name: str, password: str) -> tuple[Customer, bool]:
    """A confirmed account for ``email``, created if missing (the demo); True when created."""
    existing = find_customer_by_email(email)
    if existing is not None:
        return existing, False
    email, name = normalise_email(email), name.strip()
    problems = _registration_problems(email, name, password)
    if problems:
        raise ValidationError("Check the customer details.", details=problems)
    customer = Customer(email=email, name=name, password_hash=hash_password(password),
                        email_confirmed_at=utcnow())
    db.session.add(customer)
    db.session.commit()
    return customer, True


# --- logging in -----------------------------------------------------------------------------

def authenticate_customer(email: str, password: str) -> Customer:
    """The confirmed customer these credentials prove, or LoginFailed (one message for every cause)."""
    email, password = normalise_email(email), password or ""
    customer = find_customer_by_email(email)
    if customer is None:
        burn_verification(password)
        raise LoginFailed()
    if not verify_password(customer.password_hash, password) or not customer.is_confirmed:
        raise LoginFailed()
    if needs_rehash(customer.password_hash):
        customer.password_hash = hash_password(password)
    customer.last_login_at = utcnow()
    db.session.commit()
    return customer


@dataclass(frozen=True)
class CustomerApiLogin:
    customer: Customer
    issued: IssuedToken


def api_login(email: str, password: str) -> CustomerApiLogin:
    """Authenticate and issue a customer bearer token valid for API_TOKEN_TTL_SECONDS."""
    customer = authenticate_customer(email, password)
    issued = issue_token("customer", customer.id, current_app.config["API_TOKEN_TTL_SECONDS"])
    return CustomerApiLogin(customer=customer, issued=issued)


def api_logout(token: str) -> bool:
    """Revoke the bearer token; True when it was live."""
    return revoke(token)


# --- password reset -------------------------------------------------------------------------

def request_password_reset(email: str) -> None:
    """Email a reset link if ``email`` has an account; silent otherwise."""
    customer = find_customer_by_email(email)
    if customer is None:
        return
    token = signed_links.make_token(signed_links.RESET, customer.id, customer.account_stamp)
    minutes = current_app.config["CUSTOMER_RESET_MAX_AGE_SECONDS"] // 60
    queue_email(customer.email, "Choose a new password", "password_reset", kind="accounts.password_reset",
                name=customer.name, link=public_url("accounts.reset_password", token=token),
                minutes=minutes)


def check_reset_link(token: str) -> Customer | None:
    """The customer a reset link is for, without changing anything."""
    return _customer_from_link(signed_links.RESET, token)


def reset_password(token: str, new_password: str) -> Customer:
    """Set a new password from a reset link; ends the account's API tokens and other page sessions.

    The link proves the customer reads that mailbox, so an unconfirmed account is confirmed too.
    """
    customer = check_reset_link(token)
    if customer is None:
        raise InvalidLink("This reset link has expired or was already used. Ask for a new one.")
    problems = password_problems(new_password or "", email=customer.email)
    if problems:
        raise ValidationError("Choose a stronger password.", details=problems)
    customer.password_hash = hash_password(new_password)
    if customer.email_confirmed_at is None:
        customer.email_confirmed_at = utcnow()
    revoke_all("customer", customer.id, commit=False)
    db.session.commit()
    return customer
