"""GET /api/v1/health."""

from __future__ import annotations

from flask import Response, jsonify

from storefront.api.blueprint import bp
from storefront.system.services import health_report


@bp.get("/health")
def health() -> tuple[Response, int]:
    report = health_report()
    body = {
        "status": report.status,
        "checks": {
            c.name: {"status": c.status, "required": c.required, "latency_ms": c.latency_ms,
                     **({"detail": c.detail} if c.detail else {})}
            for c in report.checks
        },
    }
    return jsonify(body), 200 if report.healthy else 503
