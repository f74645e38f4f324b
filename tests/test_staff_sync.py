"""Sync control in the back office and the staff sync API: start, live progress, 409, audit."""

from __future__ import annotations

import time

from sqlalchemy import select

from storefront.audit.models import AuditEntry
from storefront.extensions import db
from storefront.sync.models import SyncRun
from storefront.sync.services import create_run
from tests.support.accounts import bearer, login, make_staff
from tests.support.ecs import ecs_config
from tests.support.pages import csrf_token, soup


def wait_for_run(app, run_id: int, timeout: float = 30) -> SyncRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            run = db.session.get(SyncRun, run_id)
            if not run.is_active:
                db.session.expunge(run)
                return run
        time.sleep(0.1)
    raise AssertionError("sync did not finish")


def test_staff_starts_a_sync_and_watches_it_finish(make_app, sandbox):
    app = make_app(**ecs_config(sandbox), JOBS_MODE="thread")
    staff = make_staff(app, "ops@example.com")
    client = app.test_client()
    login(client, staff)
    started = client.post("/staff/sync/start", data={"kind": "full", "dry_run": "0",
                                                     "csrf_token": csrf_token(client, "/staff/sync/")},
                          headers={"HX-Request": "true"})
    assert started.status_code == 200
    panel = soup(started).find("article", class_="sync-run")
    run_id = int(panel["id"].rsplit("-", 1)[1])
    assert panel.get("hx-trigger") == "every 1s"  # polls while active
    run = wait_for_run(app, run_id)
    assert run.status == "succeeded" and run.items_created == 60
    final = soup(client.get(f"/staff/sync/runs/{run_id}", headers={"HX-Request": "true"}))
    article = final.find("article")
    assert article["data-status"] == "succeeded" and article.get("hx-trigger") is None  # polling stops
    assert final.find("dd", class_="items-seen").text == "60"
    assert "60 created" in final.find("p", class_="sync-message").text
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "sync.start"))
        assert entry.actor_label == "ops@example.com" and entry.target_id == str(run_id)


def test_second_start_while_running_shows_the_409_message(make_app, sandbox):
    app = make_app(**ecs_config(sandbox))
    staff = make_staff(app, "ops@example.com")
    with app.app_context():
        running_id = create_run("full", started_by="someone-else").id
    client = app.test_client()
    login(client, staff)
    response = client.post("/staff/sync/start", data={"kind": "full", "csrf_token": csrf_token(client, "/staff/sync/")})
    assert response.status_code == 409
    assert f"run #{running_id}" in soup(response).find("p", class_="flash-error").text
    api = client.post("/api/v1/staff/sync/catalog", json={"dry_run": True}, headers=bearer(app, staff))
    assert api.status_code == 409
    assert api.get_json()["error"]["code"] == "sync_already_running"


def test_api_starts_a_dry_run_and_reports_status(make_app, sandbox):
    app = make_app(**ecs_config(sandbox))
    staff = make_staff(app, "ops@example.com")
    client = app.test_client()
    headers = bearer(app, staff)
    started = client.post("/api/v1/staff/sync/catalog", json={"dry_run": True}, headers=headers)
    assert started.status_code == 202
    run = started.get_json()
    detail = client.get(started.headers["Location"], headers=headers).get_json()
    assert detail["id"] == run["id"] and detail["status"] == "succeeded"  # sync jobs run inline in tests
    assert detail["dry_run"] is True and detail["totals"]["created"] == 60
    status = client.get("/api/v1/staff/sync/catalog", headers=headers).get_json()
    assert status["running"] is None and status["recent"][0]["id"] == run["id"]
    bad = client.post("/api/v1/staff/sync/catalog", json={"kind": "sideways"}, headers=headers)
    assert bad.status_code == 422


def test_sync_api_refuses_customers_and_anonymous(make_app):
    app = make_app()
    client = app.test_client()
    assert client.post("/api/v1/staff/sync/catalog", json={}).status_code == 401
    customer = bearer(app, kind="customer", subject_id=1)
    assert client.post("/api/v1/staff/sync/catalog", json={}, headers=customer).status_code == 403
