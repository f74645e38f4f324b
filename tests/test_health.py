"""GET /api/v1/health: database, Redis and ECS, each with status and latency."""

from __future__ import annotations

import pytest

from tests.support.ecs import ecs_config


def test_healthy_with_database_and_ecs_and_no_redis(make_app, sandbox):
    app = make_app(**ecs_config(sandbox), REDIS_URL=None, RATELIMIT_STORAGE_URI="memory://")
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["latency_ms"] >= 0
    assert body["checks"]["redis"] == {"status": "not_configured", "required": False, "latency_ms": None}
    assert body["checks"]["ecs"]["status"] == "ok" and body["checks"]["ecs"]["latency_ms"] > 0


def test_ecs_down_is_degraded_not_down_unless_required(make_app):
    app = make_app(ECS_BASE_URL="http://127.0.0.1:9")
    body = app.test_client().get("/api/v1/health")
    assert body.status_code == 200
    assert body.get_json()["status"] == "degraded"
    assert body.get_json()["checks"]["ecs"]["status"] == "down"
    strict = make_app(ECS_BASE_URL="http://127.0.0.1:9", ECS_HEALTH_REQUIRED=True)
    response = strict.test_client().get("/api/v1/health")
    assert response.status_code == 503 and response.get_json()["status"] == "down"


def test_database_down_answers_503(tmp_path):
    from storefront import create_app

    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing-dir/nope.db",
                      "ECS_BASE_URL": "http://127.0.0.1:9", "RATELIMIT_STORAGE_URI": "memory://"})
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"]["status"] == "down"


@pytest.mark.redis
def test_redis_configured_and_reachable(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    body = app.test_client().get("/api/v1/health").get_json()
    assert body["checks"]["redis"]["status"] == "ok" and body["checks"]["redis"]["required"] is True


def test_redis_configured_but_down_answers_503(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:9/0", RATELIMIT_STORAGE_URI="memory://")
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"]["status"] == "down"
