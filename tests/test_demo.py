"""`flask demo`: migrate, start the sandbox, sync the demo catalog, print demo logins — twice."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from live_server import free_port
from storefront import create_app
from storefront.catalog.models import Item
from storefront.extensions import db


def demo_app(tmp_path, port: int):
    return create_app({"ENV_NAME": "development", "INSTANCE_PATH": str(tmp_path / "instance"),
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'instance' / 'demo.db'}",
                       "SANDBOX_PORT": port, "ECS_BASE_URL": f"http://127.0.0.1:{port}",
                       "SANDBOX_ITEMS": 40, "JOBS_MODE": "sync", "RATELIMIT_STORAGE_URI": "memory://"})


def test_demo_sets_up_everything_and_keeps_data_across_restarts(tmp_path):
    port = free_port()
    first = demo_app(tmp_path, port).test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "catalog: full sync succeeded" in first.output
    staff = re.search(r"staff login:\s+(\S+) / (\S+)", first.output)
    customer = re.search(r"customer login:\s+(\S+) / (\S+)", first.output)
    assert staff and customer

    app = demo_app(tmp_path, port)
    again = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert again.exit_code == 0, again.output
    assert "catalog: incremental sync succeeded" in again.output
    assert re.search(r"staff login:\s+(\S+) / (\S+)", again.output).groups() == staff.groups()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Item)) == 40

    client = app.test_client()
    login = client.post("/api/v1/staff/login", json={"email": staff.group(1), "password": staff.group(2)})
    assert login.status_code == 200, login.get_json()
    assert (tmp_path / "instance" / "ecs-sandbox.json").exists()
