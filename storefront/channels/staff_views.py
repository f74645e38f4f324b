"""Back office for sales channels: connect, test, map, sync (live progress), resolve conflicts.

The pages call the same services as ``/api/v1/staff/channel-connectors``; what a member may do
follows the same permission table (staff look, admins change).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for

from storefront.channels import conflicts as conflict_service
from storefront.channels import connectors as service
from storefront.channels import syncing
from storefront.channels.adapters import ChannelError
from storefront.channels.connectors import AVAILABLE_TYPES, CREDENTIAL_FIELDS, SETTING_FIELDS, ConnectorInvalid
from storefront.channels.mappings import effective
from storefront.channels.models import CHANNEL_TYPES
from storefront.channels.permissions import allows, role_for
from storefront.channels.registry import feed_url
from storefront.channels.sales import sales_of, summary
from storefront.extensions import db
from storefront.staff.auth import current_staff, staff_blueprint
from storefront.staff.shell import register_staff_nav
from storefront.web import htmx

View = Callable[..., Any]
bp = staff_blueprint("staff_channels", __name__, "/staff/channels")
register_staff_nav("staff_channels.index", "Sales channels", order=45)
INT_SETTINGS = frozenset({"location_id", "rate_limit"})
SETTING_HINTS = {"format": "xml (or tsv)", "target_country": "US", "language": "en", "api_base": "https://api.discogs.com",
                 "base_url": "https://your-shop.myshopify.com", "rate_limit": "60"}
FIELD_LABELS = {"api_base": "API root", "rate_limit": "Requests a minute (at most 60)",
                "location": "Location (shown to buyers)", "base_url": "Shop URL", "location_id": "Location id",
                "api_version": "API version", "target_country": "Target country"}
TYPE_LABELS = {"discogs": "Discogs Marketplace", "shopify": "Shopify", "google_feed": "Google product feed"}


@bp.context_processor
def field_labels() -> dict[str, Any]:
    return {"field_labels": FIELD_LABELS}


def _require(permission: str) -> Any:
    staff = current_staff()
    if staff is None or not allows(staff.role, permission):
        abort(403)
    return staff


def needs(permission: str) -> Callable[[View], View]:
    """A back-office action that needs ``permission`` (403 without it)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _require(permission)
            return view(*args, **kwargs)

        wrapper.staff_role = role_for(permission)  # type: ignore[attr-defined]
        return wrapper

    return decorator


def _can(permission: str) -> bool:
    staff = current_staff()
    return staff is not None and allows(staff.role, permission)


def _form_settings(channel_type: str) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for name in SETTING_FIELDS.get(channel_type, ()):
        value = request.form.get(f"settings.{name}", "").strip()
        if value:
            settings[name] = int(value) if name in INT_SETTINGS and value.isdigit() else value
    return settings


def _form_credentials(channel_type: str) -> dict[str, str]:
    return {name: request.form[f"credentials.{name}"].strip() for name in CREDENTIAL_FIELDS.get(channel_type, ())
            if request.form.get(f"credentials.{name}", "").strip()}


@bp.get("/")
def index() -> str:
    return render_template("staff/channels/index.html", connectors=service.list_connectors(), summary=summary,
                           types=CHANNEL_TYPES, available=AVAILABLE_TYPES, hints=SETTING_HINTS, labels=TYPE_LABELS,
                           settings=SETTING_FIELDS,
                           credentials=CREDENTIAL_FIELDS, can_create=_can("channel_connector.connectors.create"),
                           errors={}, form={})


@bp.post("/")
@needs("channel_connector.connectors.create")
def create() -> Response | tuple[str, int]:
    staff = _require("channel_connector.connectors.create")
    channel_type = request.form.get("channel_type", "")
    payload = {"code": request.form.get("code", "").strip(), "name": request.form.get("name", "").strip(),
               "channel_type": channel_type}
    if channel_type in CHANNEL_TYPES:
        payload |= {"settings": _form_settings(channel_type), "credentials": _form_credentials(channel_type)}
    try:
        connector, result = service.create_connector(payload, actor=staff)
    except (ConnectorInvalid, ChannelError) as exc:
        errors = exc.errors if isinstance(exc, ConnectorInvalid) else {"code": [exc.message]}
        return render_template("staff/channels/index.html", connectors=service.list_connectors(), summary=summary,
                               types=CHANNEL_TYPES, available=AVAILABLE_TYPES, hints=SETTING_HINTS, labels=TYPE_LABELS,
                           settings=SETTING_FIELDS,
                               credentials=CREDENTIAL_FIELDS, can_create=True, errors=errors,
                               form={k: v for k, v in request.form.items() if not k.startswith("credentials.")}), 422
    flash(f"Connected {connector.name}." if result.get("success") else
          f"Saved {connector.name}, but the connection test failed: {result.get('message')}",
          "success" if result.get("success") else "error")
    return redirect(url_for("staff_channels.detail", code=connector.code), code=303)


def _detail_context(code: str) -> dict[str, Any]:
    connector = service.get_connector_or_404(code)
    jobs = syncing.latest_jobs(connector, 15)
    return {"connector": connector, "label": TYPE_LABELS.get(connector.channel_type, connector.channel_type),
            "credential_state": service.credential_state(connector), "listings": summary(connector),
            "jobs": jobs, "running": next((j for j in jobs if j.is_active), None),
            "conflicts": conflict_service.list_conflicts(connector), "sales": sales_of(connector, 20),
            "mapping": effective(connector.mappings),
            "feed_url": feed_url(connector) if connector.channel_type == "google_feed" else None,
            "can_change": _can("channel_connector.connectors.update"),
            "can_sync": _can("channel_connector.sync.create"),
            "can_resolve": _can("channel_connector.conflicts.resolve"), "error": None}


@bp.get("/<code>")
def detail(code: str) -> str:
    return render_template("staff/channels/detail.html", **_detail_context(code))


@bp.post("/<code>/test")
@needs("channel_connector.connectors.test")
def test(code: str) -> Response:
    _require("channel_connector.connectors.test")
    result = service.test_connector(service.get_connector_or_404(code))
    flash("Connected." if result["success"] else f"Connection failed ({result.get('error_code')}): "
          f"{result['message']}", "success" if result["success"] else "error")
    return redirect(url_for("staff_channels.detail", code=code), code=303)


@bp.post("/<code>/settings")
@needs("channel_connector.connectors.update")
def update(code: str) -> Response | tuple[str, int]:
    staff = _require("channel_connector.connectors.update")
    connector = service.get_connector_or_404(code)
    payload: dict[str, Any] = {"settings": _form_settings(connector.channel_type)}
    if credentials := _form_credentials(connector.channel_type):
        payload["credentials"] = credentials
    if request.form.get("status") in ("active", "disabled"):
        payload["status"] = request.form["status"]
    try:
        service.update_connector(connector, payload, actor=staff)
    except ConnectorInvalid as exc:
        context = _detail_context(code) | {"error": "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())}
        return render_template("staff/channels/detail.html", **context), 422
    flash("Saved.", "success")
    return redirect(url_for("staff_channels.detail", code=code), code=303)


@bp.post("/<code>/sync")
@needs("channel_connector.sync.create")
def sync(code: str) -> Response | tuple[str, int]:
    staff = _require("channel_connector.sync.create")
    connector = service.get_connector_or_404(code)
    sync_type = request.form.get("sync_type", "full")
    try:
        job = syncing.start_sync(connector, sync_type if sync_type in ("full", "incremental") else "full",
                                 started_by=staff.email)
    except ChannelError as exc:
        if htmx.is_htmx():
            return f'<p class="flash flash-error" role="alert">{exc.code}: {exc.message}</p>', 409
        flash(f"{exc.code}: {exc.message}", "error")
        return redirect(url_for("staff_channels.detail", code=code), code=303)
    if htmx.is_htmx():
        db.session.refresh(job)  # the job may have run already (in-process jobs)
        return Response(render_template("staff/channels/_job.html", connector=connector, job=job))
    return redirect(url_for("staff_channels.detail", code=code), code=303)


@bp.get("/<code>/jobs/<job_id>")
def job_detail(code: str, job_id: str) -> str:
    """A job's progress; the page polls this partial every second while it runs."""
    connector = service.get_connector_or_404(code)
    try:
        job = syncing.get_job(connector, job_id)
    except ChannelError:
        abort(404)
    return render_template("staff/channels/_job.html", connector=connector, job=job)


@bp.post("/<code>/jobs/<job_id>/retry")
@needs("channel_connector.sync.retry")
def retry(code: str, job_id: str) -> Response:
    staff = _require("channel_connector.sync.retry")
    connector = service.get_connector_or_404(code)
    try:
        syncing.retry(syncing.get_job(connector, job_id), started_by=staff.email)
    except ChannelError as exc:
        flash(f"{exc.code}: {exc.message}", "error")
    return redirect(url_for("staff_channels.detail", code=code), code=303)


@bp.post("/<code>/conflicts/<int:conflict_id>")
@needs("channel_connector.conflicts.resolve")
def resolve(code: str, conflict_id: int) -> Response:
    staff = _require("channel_connector.conflicts.resolve")
    connector = service.get_connector_or_404(code)
    resolution = request.form.get("resolution", "")
    if resolution not in ("pim_wins", "channel_wins"):
        flash("Choose whose values to keep.", "error")
        return redirect(url_for("staff_channels.detail", code=code), code=303)
    try:
        conflict = conflict_service.get_conflict(connector, conflict_id)
        syncing.resolve_conflict(connector, conflict, resolution, {}, actor_label=staff.email)
        flash("Conflict resolved; the listing was updated.", "success")
    except ChannelError as exc:
        flash(f"{exc.code}: {exc.message}", "error")
    return redirect(url_for("staff_channels.detail", code=code), code=303)
