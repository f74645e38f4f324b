"""The audit log: recording in the caller's transaction, filters, the page and the API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from storefront.audit.models import AuditEntry
from storefront.audit.services import Actor, AuditFilters, actor_from, list_entries, parse_filters, record
from storefront.core.errors import ValidationError
from storefront.extensions import db
from storefront.staff.models import StaffMember
from storefront.web.pagination import PageRequest
from tests.support.accounts import PASSWORD, bearer, install_test_login, login, make_staff
from tests.support.pages import soup


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_record_joins_the_callers_transaction(app_ctx):
    record("cli", "test.rolled_back")
    db.session.rollback()
    assert _count() == 0
    entry = record("cli", "test.kept", target_type="order", target_id=1042, reason="  customer asked  ",
                   details={"change": "status paid → fulfilled"})
    db.session.commit()
    assert _count() == 1
    assert (entry.target_type, entry.target_id, entry.reason) == ("order", "1042", "customer asked")


def test_actor_resolution(app_ctx):
    staff = StaffMember(id=7, email="sam@example.com", name="Sam", password_hash="x")
    assert actor_from(staff) == Actor("staff", 7, "sam@example.com")
    assert actor_from("cli") == Actor("system", None, "cli")
    assert actor_from(None) == Actor("system", None, "system")
    assert actor_from(Actor("anonymous", None, "who@example.com")).kind == "anonymous"


def test_details_never_keep_secrets(app_ctx):
    entry = record("cli", "test.secrets", details={"password": "hunter2", "api_token": "sfs_x",
                                                   "nested": {"signature": "abc", "ok": 1}, "items": [1, "a"]})
    assert entry.details == {"password": "[redacted]", "api_token": "[redacted]",
                             "nested": {"signature": "[redacted]", "ok": 1}, "items": [1, "a"]}


def _seed(app_ctx) -> None:
    rows = [
        ("staff", 1, "sam@example.com", "staff.login", datetime(2025, 3, 1, 9, 0, tzinfo=UTC)),
        ("staff", 1, "sam@example.com", "dlq.retry", datetime(2025, 3, 2, 23, 59, tzinfo=UTC)),
        ("staff", 2, "kim@example.com", "staff.login_failed", datetime(2025, 3, 3, 0, 0, tzinfo=UTC)),
        ("system", None, "cli", "sync.start", datetime(2025, 3, 4, 12, 0, tzinfo=UTC)),
        ("staff", 2, "kim@example.com", "staffing.other", datetime(2025, 3, 5, 12, 0, tzinfo=UTC)),
    ]
    for kind, ident, label, action, at in rows:
        db.session.add(AuditEntry(actor_kind=kind, actor_id=ident, actor_label=label, action=action, at=at,
                                  details={}))
    db.session.commit()


def _actions(filters: AuditFilters, page: PageRequest | None = None) -> list[str]:
    return [e.action for e in list_entries(filters, page or PageRequest(1, 50)).entries]


def test_filters(app_ctx):
    _seed(app_ctx)
    assert _actions(AuditFilters()) == ["staffing.other", "sync.start", "staff.login_failed", "dlq.retry",
                                        "staff.login"]
    assert _actions(AuditFilters(actor="SAM@")) == ["dlq.retry", "staff.login"]
    assert _actions(AuditFilters(action="staff")) == ["staff.login_failed", "staff.login"]  # not staffing.*
    assert _actions(AuditFilters(action="staff.login")) == ["staff.login"]
    assert _actions(AuditFilters(actor="%")) == []  # LIKE wildcards are literal
    march_2_3 = parse_filters({"from": "2025-03-02", "to": "2025-03-03"})
    assert _actions(march_2_3) == ["staff.login_failed", "dlq.retry"]
    page = list_entries(AuditFilters(), PageRequest(2, 2))
    assert page.total == 5 and [e.action for e in page.entries] == ["staff.login_failed", "dlq.retry"]


@pytest.mark.parametrize("args", [{"from": "yesterday"}, {"from": "2025-03-05", "to": "2025-03-01"}])
def test_bad_filters(args):
    with pytest.raises(ValidationError):
        parse_filters(args)


@pytest.fixture
def staff_client(make_app):
    app = make_app()
    install_test_login(app)
    client = app.test_client()
    login(client, make_staff(app), password_step=False)
    with app.app_context():
        _seed(None)
    return app, client


def test_audit_page_filters_and_paginates(staff_client):
    app, client = staff_client
    page = soup(client.get("/staff/audit?actor=kim&limit=1"))
    rows = page.select("#audit-results tbody tr")
    assert [r["data-action"] for r in rows] == ["staffing.other"]
    older = page.find("a", rel="next")["href"]
    assert "actor=kim" in older and "page=2" in older
    assert [r["data-action"] for r in soup(client.get(older)).select("tbody tr")] == ["staff.login_failed"]
    assert page.find("input", attrs={"name": "actor"})["value"] == "kim"

    partial = client.get("/staff/audit?action=dlq", headers={"HX-Request": "true", "HX-Target": "audit-results"})
    html = partial.get_data(as_text=True)
    assert partial.status_code == 200 and html.lstrip().startswith('<div id="audit-results">')
    assert "<html" not in html and "HX-Request" in partial.headers["Vary"]

    bad = client.get("/staff/audit?from=31/12/2025")
    assert bad.status_code == 422
    assert "from must be a date" in soup(bad).find(class_="field-error").text


def test_audit_api(staff_client):
    app, client = staff_client
    staff = make_staff(app, "reader@example.com")
    headers = bearer(app, staff)
    body = client.get("/api/v1/staff/audit?action=staff&limit=1", headers=headers).get_json()
    assert body["pagination"] == {"page": 1, "limit": 1, "total": 2, "pages": 2, "has_next": True,
                                  "has_prev": False}
    [entry] = body["entries"]
    assert entry["action"] == "staff.login_failed"
    assert entry["actor"] == {"kind": "staff", "id": 2, "label": "kim@example.com"}
    assert entry["at"].startswith("2025-03-03T00:00:00")
    bad = client.get("/api/v1/staff/audit?to=nope", headers=headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["field"] == "to"
    assert client.get("/api/v1/staff/audit").status_code == 401


def test_logins_and_failures_are_audited_with_ip(make_app):
    app = make_app()
    make_staff(app, "ops@example.com")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    login(client, "ops@example.com", "wrong password!!", kind="staff")
    login(client, "ops@example.com", kind="staff")
    client.post("/api/v1/staff/login", json={"email": "ops@example.com", "password": PASSWORD})
    with app.app_context():
        rows = [(e.action, e.actor_label, e.details["ip"], e.details["channel"])
                for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert rows == [
        ("staff.login_failed", "ops@example.com", "203.0.113.9", "page"),
        ("staff.login", "ops@example.com", "203.0.113.9", "page"),
        ("staff.login", "ops@example.com", "203.0.113.9", "api"),
    ]
