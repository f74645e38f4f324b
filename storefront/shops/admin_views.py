"""/platform: the platform administrators' page — every shop with its status, revision and domains;
create a shop, attach a domain, disable or enable one. Served only on the deployment's own address
(the default shop, no /vendors/ prefix): a shop's domain or prefix answers 404 here.

Platform admins are not any shop's staff: they sign in with their own accounts (argon2 hashes, the
platform store) to their own session key, and a staff or customer session grants nothing here.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select

from storefront.core.errors import DomainError
from storefront.core.passwords import burn_verification, verify_password
from storefront.extensions import limiter
from storefront.shops import registry
from storefront.shops.context import DEFAULT_SHOP, current_shop_code
from storefront.shops.models import PlatformAdmin
from storefront.shops.services import add_domain, create_shop, list_shops, set_status

bp = Blueprint("platform", __name__, url_prefix="/platform")
SESSION_KEY = "platform_admin"
LOGIN_ERROR = "That email and password do not match a platform administrator."


def _stamp(admin: PlatformAdmin) -> str:
    """Changes with the password: a session from before a password change stops working."""
    return hashlib.sha256(admin.password_hash.encode()).hexdigest()[:16]


@bp.before_request
def _only_on_the_platform_address() -> Response | None:
    if current_shop_code() != DEFAULT_SHOP or request.script_root:
        abort(404)
    if request.endpoint == "platform.login":
        return None
    if current_admin() is None:
        return redirect(url_for("platform.login"), code=303)
    return None


def current_admin() -> PlatformAdmin | None:
    held = session.get(SESSION_KEY)
    if not isinstance(held, dict) or registry.platform_engine() is None:
        return None
    with registry.platform_session() as db:
        admin = db.get(PlatformAdmin, held.get("id"))
    return admin if admin is not None and secrets.compare_digest(_stamp(admin), str(held.get("stamp"))) else None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return render_template("platform/login.html", error=None, email="")
    email = str(request.form.get("email") or "").strip().lower()[:254]
    password = str(request.form.get("password") or "")[:1024]
    admin = None
    if registry.platform_engine() is not None:
        with registry.platform_session() as db:
            admin = db.scalar(select(PlatformAdmin).where(PlatformAdmin.email == email))
    if admin is None:
        burn_verification(password)  # the same time whether or not the address is known
    if admin is None or not verify_password(admin.password_hash, password):
        return render_template("platform/login.html", error=LOGIN_ERROR, email=email), 401
    session.clear()
    session[SESSION_KEY] = {"id": admin.id, "stamp": _stamp(admin)}
    current_app.logger.info("platform admin %s signed in", admin.id)
    return redirect(url_for("platform.index"), code=303)


@bp.post("/logout")
def logout() -> Response:
    session.pop(SESSION_KEY, None)
    return redirect(url_for("platform.login"), code=303)


@bp.get("/")
def index() -> str:
    shops = [(shop, registry.get_shop(shop.code)) for shop in list_shops()]
    return render_template("platform/index.html", shops=shops, admin=current_admin(), form={})


def _done(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("platform.index"), code=303)


def _refused(exc: DomainError, form: dict[str, Any]) -> tuple[str, int]:
    details = "; ".join(d.message for d in exc.details)
    flash(f"{exc.message} {details}".strip(), "error")
    shops = [(shop, registry.get_shop(shop.code)) for shop in list_shops()]
    status = exc.http_status if exc.http_status in (404, 409) else 400
    return render_template("platform/index.html", shops=shops, admin=current_admin(), form=form), status


@bp.post("/shops")
def create() -> Response | tuple[str, int]:
    form = {k: str(request.form.get(k) or "").strip() for k in ("code", "name", "accent", "domain")}
    settings = {"SHOP_ACCENT_COLOUR": form["accent"]} if form["accent"] else {}
    try:
        create_shop(form["code"], form["name"], settings)
        if form["domain"]:
            add_domain(form["code"].lower(), form["domain"])
    except DomainError as exc:
        return _refused(exc, form)
    current_app.logger.info("platform admin created shop %s", form["code"])
    return _done(f"Created {form['name']} at /vendors/{form['code'].lower()}/.")


@bp.post("/shops/<code>/domains")
def attach_domain(code: str) -> Response | tuple[str, int]:
    host = str(request.form.get("host") or "")
    try:
        add_domain(code, host)
    except DomainError as exc:
        return _refused(exc, {})
    return _done(f"{host.strip().lower()} now serves {code}.")


@bp.post("/shops/<code>/status")
def change_status(code: str) -> Response | tuple[str, int]:
    status = "disabled" if request.form.get("status") == "disabled" else "active"
    try:
        set_status(code, status)
    except DomainError as exc:
        return _refused(exc, {})
    return _done(f"{code} is now {status}.")
