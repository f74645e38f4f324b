"""Guards for staff pages, and the staff page session.

Everything under ``/staff`` is protected by default: a hook installed with the staff blueprint
refuses every request to a ``/staff…`` path unless a staff member is logged in (anonymous →
redirect to ``/staff/login?next=…``; a customer session → 403). Use ``@admin_required`` (or
``protect_staff_blueprint(bp, role="admin")``) for admin-only pages, and ``@public_staff_page``
only for the login pages. For a new back-office area::

    bp = staff_blueprint("staff_orders", __name__, url_prefix="/staff/orders")

and register it in ``storefront/__init__.py``. ``acting_staff()`` is who to pass to
``audit.record`` from a page or an API route.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, Response, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from storefront.core.errors import PermissionDenied
from storefront.staff import devices
from storefront.staff.models import StaffMember
from storefront.web import htmx
from storefront.web.identity import logged_in_kind
from storefront.web.safe_redirect import local_path

STAFF_PATH_PREFIX = "/staff"
SESSION_STAMP_KEY = "staff_stamp"
ROLE_RANK = {"staff": 1, "admin": 2}
_PROTECTED_BLUEPRINTS: dict[str, str] = {}

View = Callable[..., Any]


def current_staff() -> StaffMember | None:
    """The staff member logged in to this page session, or None."""
    if logged_in_kind() != "staff":
        return None
    return current_user._get_current_object()  # type: ignore[no-any-return]


def acting_staff() -> StaffMember | None:
    """The staff member behind this request: API token (``g.api_staff``) or page session."""
    return g.get("api_staff") or current_staff()


def begin_staff_session(staff: StaffMember) -> None:
    """Log ``staff`` in to a fresh session (the old session's contents, and id, are dropped)."""
    session.clear()
    login_user(staff)
    session[SESSION_STAMP_KEY] = staff.session_stamp


def device_cookie() -> str | None:
    """This browser's known-device token, if it has one (see :mod:`storefront.staff.devices`)."""
    return request.cookies.get(devices.COOKIE_NAME)


def remember_device(response: Response, staff: StaffMember) -> Response:
    """Mark this browser as one ``staff`` signs in on (login throttling lets it through)."""
    response.set_cookie(devices.COOKIE_NAME, devices.device_token(staff.id), max_age=devices.MAX_AGE_SECONDS,
                        path="/staff", secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True,
                        samesite="Lax")
    return response


def end_staff_session() -> None:
    logout_user()
    session.clear()


def _stronger(a: str | None, b: str | None) -> str | None:
    return max((r for r in (a, b) if r), key=lambda r: ROLE_RANK.get(r, 0), default=None)


def _login_redirect() -> Response:
    """Anonymous visitor: to the login page, coming back here afterwards (GETs only)."""
    target = None
    if request.method in ("GET", "HEAD"):
        target = local_path(request.full_path.rstrip("?"), default="") or None
    login_url = url_for("staff.login", next=target) if target else url_for("staff.login")
    if htmx.is_htmx():
        response = Response(status=401)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(login_url, code=302 if request.method in ("GET", "HEAD") else 303)


def page_refusal(role: str = "staff") -> Response | None:
    """None when the page session may see a page needing ``role``; else the response to send.

    Raises PermissionDenied (a 403 page) for customers and for staff below ``role``.
    """
    kind = logged_in_kind()
    if kind is None:
        return _login_redirect()
    if kind != "staff":
        raise PermissionDenied("The back office is for staff accounts. Log out of your customer "
                               "account and sign in with a staff account.")
    staff = current_staff()
    assert staff is not None
    if session.get(SESSION_STAMP_KEY) != staff.session_stamp:
        # The password was reset since this session began: it is over.
        end_staff_session()
        flash("Your session has ended; please sign in again.", "warning")
        return _login_redirect()
    if ROLE_RANK.get(staff.role, 0) < ROLE_RANK[role]:
        raise PermissionDenied(f"Only {role}s can use this page.")
    return None


def _guarded(role: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            refusal = page_refusal(role)
            return refusal if refusal is not None else view(*args, **kwargs)

        wrapper.staff_role = _stronger(getattr(view, "staff_role", None), role)  # type: ignore[attr-defined]
        return wrapper

    return decorator


staff_required = _guarded("staff")
admin_required = _guarded("admin")


def public_staff_page(view: View) -> View:
    """Let anonymous visitors reach this /staff page (the login pages only)."""
    view.staff_public = True  # type: ignore[attr-defined]
    return view


def protect_staff_blueprint(bp: Blueprint, role: str = "staff") -> Blueprint:
    """Require a staff page session (and ``role``) on every route of ``bp``."""
    if role not in ROLE_RANK:
        raise ValueError(f"role must be one of {tuple(ROLE_RANK)}")
    _PROTECTED_BLUEPRINTS[bp.name] = role

    @bp.before_request
    def _require_staff() -> Response | None:
        if _is_public(request.endpoint):
            return None
        return page_refusal(required_role_for(current_app, request.endpoint) or role)

    return bp


def staff_blueprint(name: str, import_name: str, url_prefix: str, *, role: str = "staff",
                    **kwargs: Any) -> Blueprint:
    """A Blueprint for a back-office area, already protected (see module docstring)."""
    return protect_staff_blueprint(Blueprint(name, import_name, url_prefix=url_prefix, **kwargs), role)


def _is_public(endpoint: str | None) -> bool:
    view = current_app.view_functions.get(endpoint or "")
    return bool(view is not None and getattr(view, "staff_public", False))


def required_role_for(app: Flask, endpoint: str | None) -> str | None:
    """The role a staff page or staff API endpoint needs (None: public or not a staff route)."""
    view = app.view_functions.get(endpoint or "")
    if view is None or getattr(view, "staff_public", False):
        return None
    blueprint = (endpoint or "").rpartition(".")[0]
    role = _stronger(getattr(view, "staff_role", None), _PROTECTED_BLUEPRINTS.get(blueprint))
    if role is None:
        rules = app.url_map.iter_rules(endpoint)
        if any(_is_staff_path(r.rule) or r.rule.startswith("/api/v1/staff") for r in rules):
            role = "staff"  # covered by the default guards
    return role


def _is_staff_path(path: str) -> bool:
    return path == STAFF_PATH_PREFIX or path.startswith(STAFF_PATH_PREFIX + "/")


def guard_staff_area() -> Response | None:
    """App-wide default: every /staff path needs a staff session (before_app_request hook)."""
    if not _is_staff_path(request.path) or _is_public(request.endpoint):
        return None
    return page_refusal(required_role_for(current_app, request.endpoint) or "staff")


def no_store_staff_pages(response: Response) -> Response:
    """Back-office pages hold private data: never cached (after_app_request hook)."""
    if _is_staff_path(request.path):
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


def dlq_page_required(view: View) -> View:
    """Staff page session, plus two-factor enabled when STAFF_TOTP_REQUIRED_FOR_DLQ is on."""

    @staff_required
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        staff = current_staff()
        if current_app.config["STAFF_TOTP_REQUIRED_FOR_DLQ"] and staff is not None and not staff.totp_enabled:
            flash("Turn on two-factor sign-in to use the dead-letter queue.", "warning")
            return redirect(url_for("staff.two_factor"), code=303)
        return view(*args, **kwargs)

    return wrapper
