"""``/api/v1/staff/channel-connectors``: connectors, mappings, sync jobs and conflicts.

This API answers in its own documented shapes: validation errors as
``{"message", "errors": {field: [messages]}}`` (422) and channel failures as
``{"message", "error_code": "CHN-…"}`` with the status the code maps to.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from math import ceil
from typing import Any

from flask import Response, g, jsonify, request, url_for

from storefront.api.auth import check_staff_role
from storefront.api.blueprint import bp
from storefront.channels import conflicts as conflict_service
from storefront.channels import connectors as service
from storefront.channels import syncing
from storefront.channels.adapters import ChannelError
from storefront.channels.connectors import ConnectorInvalid
from storefront.channels.mappings import effective
from storefront.channels.models import CHANNEL_TYPES, CONNECTOR_STATUSES
from storefront.channels.permissions import allows, role_for
from storefront.channels.serializers import conflict_json, connector_json, job_json
from storefront.extensions import limiter

PREFIX = "/staff/channel-connectors"
MAX_PER_PAGE = 100
CODE_STATUS = {"CHN-001": 404, "CHN-040": 404, "CHN-060": 404, "CHN-070": 404, "CHN-002": 409,
               "CHN-041": 409, "CHN-090": 409, "CHN-091": 409, "CHN-003": 422, "CHN-004": 422,
               "CHN-005": 422, "CHN-010": 422, "CHN-011": 422, "CHN-030": 422, "CHN-061": 422,
               "CHN-020": 429, "CHN-021": 503, "CHN-022": 502, "CHN-023": 504, "CHN-050": 401, "CHN-080": 403}
View = Callable[..., Any]


def invalid(errors: dict[str, list[str]], message: str = "The given data was invalid.") -> Response:
    response = jsonify({"message": message, "errors": errors})
    response.status_code = 422
    return response


def channel_error(exc: ChannelError) -> Response:
    body: dict[str, Any] = {"message": exc.message, "error_code": exc.code}
    if exc.details:
        body["details"] = exc.details
    response = jsonify(body)
    response.status_code = CODE_STATUS.get(exc.code, 400)
    if exc.retry_after:
        response.headers["Retry-After"] = str(int(exc.retry_after) + 1)
    return response


def requires(permission: str) -> Callable[[View], View]:
    """Staff token plus ``permission``; domain errors answered in this API's own shapes."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            refusal = check_staff_role("staff")
            if refusal is not None:
                return refusal
            if not allows(g.api_staff.role, permission):
                response = jsonify({"message": f"This needs the {permission} permission.",
                                    "required_permission": permission})
                response.status_code = 403
                return response
            try:
                return view(*args, **kwargs)
            except ConnectorInvalid as exc:
                return invalid(exc.errors, exc.message)
            except ChannelError as exc:
                return channel_error(exc)

        wrapper.staff_role = role_for(permission)  # type: ignore[attr-defined]
        return wrapper

    return decorator


def _body() -> Any:
    if not request.data:
        return {}
    payload = request.get_json(silent=True)
    if payload is None:
        raise ConnectorInvalid({"body": ["must be a JSON object"]})
    return payload


def _page_args() -> tuple[int, int]:
    errors: dict[str, list[str]] = {}
    values = {}
    for name, default, high in (("page", 1, 10_000), ("per_page", 20, MAX_PER_PAGE)):
        raw = request.args.get(name, str(default))
        values[name] = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 and 1 <= int(raw) <= high else None
        if values[name] is None:
            errors[name] = [f"must be a whole number from 1 to {high}"]
    if errors:
        raise ConnectorInvalid(errors)
    return values["page"], values["per_page"]  # type: ignore[return-value]


def _paged(rows: list[Any], render: Callable[[Any], dict[str, Any]]) -> Response:
    page, per_page = _page_args()
    total = len(rows)
    chunk = rows[(page - 1) * per_page: page * per_page]
    return jsonify({"data": [render(r) for r in chunk],
                    "meta": {"current_page": page, "last_page": max(1, ceil(total / per_page)),
                             "per_page": per_page, "total": total}})


# --- connectors -------------------------------------------------------------------------------------

@bp.get(PREFIX)
@requires("channel_connector.connectors.view")
def list_channel_connectors() -> Response:
    """Connectors, filtered by ``channel_type`` and ``status``, paginated."""
    channel_type, status = request.args.get("channel_type"), request.args.get("status")
    errors = {}
    if channel_type and channel_type not in CHANNEL_TYPES:
        errors["channel_type"] = [f"must be one of {', '.join(CHANNEL_TYPES)}"]
    if status and status not in CONNECTOR_STATUSES:
        errors["status"] = [f"must be one of {', '.join(CONNECTOR_STATUSES)}"]
    if errors:
        return invalid(errors)
    return _paged(service.list_connectors(channel_type=channel_type, status=status), connector_json)


@bp.post(PREFIX)
@requires("channel_connector.connectors.create")
@limiter.limit("30 per minute")
def create_channel_connector() -> tuple[Response, int, dict[str, str]]:
    """Create a connector (credentials are write-only) and test its connection."""
    connector, test_result = service.create_connector(_body(), actor=g.api_staff)
    location = url_for("api.get_channel_connector", code=connector.code)
    return jsonify({"data": connector_json(connector), "test_result": test_result}), 201, {"Location": location}


@bp.get(f"{PREFIX}/<code>")
@requires("channel_connector.connectors.view")
def get_channel_connector(code: str) -> Response:
    return jsonify({"data": connector_json(service.get_connector(code))})


@bp.patch(f"{PREFIX}/<code>")
@requires("channel_connector.connectors.update")
def update_channel_connector(code: str) -> Response:
    connector = service.update_connector(service.get_connector(code), _body(), actor=g.api_staff)
    return jsonify({"data": connector_json(connector)})


@bp.delete(f"{PREFIX}/<code>")
@requires("channel_connector.connectors.delete")
def delete_channel_connector(code: str) -> tuple[str, int]:
    service.delete_connector(service.get_connector(code), actor=g.api_staff)
    return "", 204


@bp.post(f"{PREFIX}/<code>/test")
@requires("channel_connector.connectors.test")
@limiter.limit("20 per minute")
def test_channel_connector(code: str) -> Response:
    """Ask the channel who we are connected as (``channel_info``)."""
    return jsonify(service.test_connector(service.get_connector(code)))


# --- mappings ---------------------------------------------------------------------------------------

@bp.get(f"{PREFIX}/<code>/mappings")
@requires("channel_connector.mappings.view")
def get_channel_mappings(code: str) -> Response:
    return jsonify({"data": effective(service.get_connector(code).mappings)})


@bp.put(f"{PREFIX}/<code>/mappings")
@requires("channel_connector.mappings.update")
def put_channel_mappings(code: str) -> Response:
    connector = service.set_mappings(service.get_connector(code), _body(), actor=g.api_staff)
    return jsonify({"data": connector.mappings})


# --- sync jobs --------------------------------------------------------------------------------------

def _sync_request(payload: Any) -> tuple[str, list[str] | None]:
    if not isinstance(payload, dict):
        raise ConnectorInvalid({"body": ["must be a JSON object"]})
    sync_type = payload.get("sync_type", "full")
    errors: dict[str, list[str]] = {}
    if sync_type not in syncing.SYNC_TYPES:
        errors["sync_type"] = [f"must be one of {', '.join(syncing.SYNC_TYPES)}"]
    keys = payload.get("product_ids")
    if sync_type == "products":
        if not isinstance(keys, list) or not keys or len(keys) > 1000 or not all(
                isinstance(k, str) and 0 < len(k) <= 128 for k in keys):
            errors["product_ids"] = ["must list 1 to 1000 product ids (the copies' keys)"]
    elif keys is not None:
        errors["product_ids"] = ["is only for sync_type products"]
    if errors:
        raise ConnectorInvalid(errors)
    return sync_type, keys


def _job_created(connector_code: str, job: Any) -> tuple[Response, int, dict[str, str]]:
    body = {"job_id": job.job_id, "status": job.status, "sync_type": job.sync_type,
            "estimated_products": job.estimated_products, "queue_position": syncing.queue_position(job)}
    return jsonify(body), 202, {"Location": url_for("api.get_channel_sync_job", code=connector_code,
                                                    job_id=job.job_id)}


@bp.post(f"{PREFIX}/<code>/sync")
@requires("channel_connector.sync.create")
@limiter.limit("20 per minute")
def start_channel_sync(code: str) -> tuple[Response, int, dict[str, str]]:
    """Queue a full, incremental or single-products sync; CHN-090 while one runs."""
    connector = service.get_connector(code)
    sync_type, keys = _sync_request(_body())
    job = syncing.start_sync(connector, sync_type, product_keys=keys, started_by=g.api_staff.email)
    return _job_created(code, job)


@bp.get(f"{PREFIX}/<code>/sync")
@requires("channel_connector.sync.view")
def list_channel_sync_jobs(code: str) -> Response:
    return _paged(syncing.latest_jobs(service.get_connector(code), limit=1000),
                  lambda job: job_json(job, with_failures=False))


@bp.get(f"{PREFIX}/<code>/sync/<job_id>")
@requires("channel_connector.sync.view")
def get_channel_sync_job(code: str, job_id: str) -> Response:
    return jsonify(job_json(syncing.get_job(service.get_connector(code), job_id)))


@bp.post(f"{PREFIX}/<code>/sync/<job_id>/retry")
@requires("channel_connector.sync.retry")
def retry_channel_sync_job(code: str, job_id: str) -> tuple[Response, int, dict[str, str]]:
    """A new job over the failed products of ``job_id`` only."""
    job = syncing.retry(syncing.get_job(service.get_connector(code), job_id), started_by=g.api_staff.email)
    return _job_created(code, job)


# --- conflicts --------------------------------------------------------------------------------------

@bp.get(f"{PREFIX}/<code>/conflicts")
@requires("channel_connector.conflicts.view")
def list_channel_conflicts(code: str) -> Response:
    status = request.args.get("status", "open")
    if status not in ("open", "resolved", "all"):
        return invalid({"status": ["must be open, resolved or all"]})
    rows = conflict_service.list_conflicts(service.get_connector(code), status=None if status == "all" else status)
    return _paged(rows, conflict_json)


@bp.get(f"{PREFIX}/<code>/conflicts/<int:conflict_id>")
@requires("channel_connector.conflicts.view")
def get_channel_conflict(code: str, conflict_id: int) -> Response:
    return jsonify({"data": conflict_json(conflict_service.get_conflict(service.get_connector(code), conflict_id))})


@bp.put(f"{PREFIX}/<code>/conflicts/<int:conflict_id>/resolve")
@requires("channel_connector.conflicts.resolve")
def resolve_channel_conflict(code: str, conflict_id: int) -> Response:
    """Resolve with pim_wins, channel_wins or merged (+ field_overrides); the listing is updated now."""
    connector = service.get_connector(code)
    conflict = conflict_service.get_conflict(connector, conflict_id)
    payload = _body()
    resolution = payload.get("resolution") if isinstance(payload, dict) else None
    overrides = payload.get("field_overrides", {}) if isinstance(payload, dict) else None
    errors: dict[str, list[str]] = {}
    if resolution not in conflict_service.RESOLUTIONS:
        errors["resolution"] = [f"must be one of {', '.join(conflict_service.RESOLUTIONS)}"]
    if not isinstance(overrides, dict):
        errors["field_overrides"] = ["must be an object of field: pim | channel | value"]
    elif overrides and resolution != "merged":
        errors["field_overrides"] = ["is only for the merged resolution"]
    if errors:
        return invalid(errors)
    try:
        syncing.resolve_conflict(connector, conflict, resolution, overrides, actor_label=g.api_staff.email)
    except ValueError as exc:
        return invalid({"field_overrides": [str(exc)]})
    return jsonify({"data": conflict_json(conflict)})
