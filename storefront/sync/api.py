"""Staff sync endpoints: start a run, follow it, list recent runs."""

from __future__ import annotations

from flask import Response, g, jsonify, request, url_for

from storefront.api.auth import staff_token_required
from storefront.api.blueprint import bp
from storefront.core.errors import NotFound, ValidationError
from storefront.extensions import limiter
from storefront.sync.serializers import sync_run_json
from storefront.sync.services import active_run, get_run, recent_runs, start_sync


def _bool_field(payload: dict, name: str) -> bool:
    value = payload.get(name, False)
    if not isinstance(value, bool):
        raise ValidationError.for_field(name, f"{name} must be true or false")
    return value


@bp.post("/staff/sync/catalog")
@staff_token_required()
@limiter.limit("10 per minute")
def start_catalog_sync() -> tuple[Response, int, dict[str, str]]:
    """Start a full (or incremental) sync; 409 names the run already in progress."""
    payload = request.get_json(silent=True) if request.data else {}
    if not isinstance(payload, dict):
        raise ValidationError.for_field("body", "send a JSON object like {\"dry_run\": true}")
    kind = payload.get("kind", "full")
    if kind not in ("full", "incremental"):
        raise ValidationError.for_field("kind", "kind must be full or incremental")
    run = start_sync(kind, dry_run=_bool_field(payload, "dry_run"), started_by=g.api_staff.email,
                     actor=g.api_staff)
    location = url_for("api.catalog_sync_run", run_id=run.id)
    return jsonify(sync_run_json(run)), 202, {"Location": location}


@bp.get("/staff/sync/catalog")
@staff_token_required()
def catalog_sync_status() -> Response:
    """The running sync (or null) and the most recent runs."""
    running = active_run()
    return jsonify({
        "running": sync_run_json(running) if running else None,
        "recent": [sync_run_json(r, with_failures=False) for r in recent_runs(20)],
    })


@bp.get("/staff/sync/catalog/runs/<int:run_id>")
@staff_token_required()
def catalog_sync_run(run_id: int) -> Response:
    run = get_run(run_id)
    if run is None:
        raise NotFound(f"Sync run {run_id} does not exist.")
    return jsonify(sync_run_json(run))
