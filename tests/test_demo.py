"""`flask demo`: migrate, start the sandbox, sync the demo catalog, print demo logins — twice."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from storefront import create_app
from storefront.catalog.models import Item
from storefront.ecs.sandbox.demo_catalog import generate_catalog
from storefront.ecs.sandbox.demo_seller import seller_shape
from storefront.extensions import db
from storefront.shops.context import use_shop
from storefront.sync.fields import CatalogContext, Mapper, detect
from storefront.sync.mapping import parse_item
from tests.support.live_server import free_port

LOCATION = "LSANDBOXMAIN1"

ROOT = Path(__file__).resolve().parent.parent


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
    with app.app_context(), use_shop("default"):
        assert db.session.scalar(select(func.count()).select_from(Item)) == listed_demo_items(40)
    with app.app_context(), use_shop("basement"):  # the demo's second shop, in its own database
        assert db.session.scalar(select(func.count()).select_from(Item)) == listed_demo_items(40)
    assert "second shop:" in first.output and (tmp_path / "instance" / "shops" / "basement.db").exists()

    client = app.test_client()
    login = client.post("/api/v1/staff/login", json={"email": staff.group(1), "password": staff.group(2)})
    assert login.status_code == 200, login.get_json()
    assert (tmp_path / "instance" / "ecs-sandbox.json").exists()


def test_the_demo_command_really_serves_the_shop_and_keeps_data(tmp_path):
    """What `make run` does, as a real process: the shop answers, and a restart keeps its data."""
    web, sandbox = free_port(), free_port()
    env = {**os.environ, "STOREFRONT_INSTANCE_PATH": str(tmp_path / "instance"),
           "STOREFRONT_SANDBOX_PORT": str(sandbox), "STOREFRONT_ECS_BASE_URL": f"http://127.0.0.1:{sandbox}",
           "STOREFRONT_SANDBOX_ITEMS": "30", "STOREFRONT_ENV_NAME": "development",
           "STOREFRONT_ECS_WEBHOOK_NOTIFICATION_URL": f"http://127.0.0.1:{web}/webhooks/square"}
    for name in ("DATABASE_URL", "REDIS_URL", "STOREFRONT_JOBS_MODE"):
        env.pop(name, None)  # the embedded default: SQLite in instance/, in-process jobs
    base = f"http://127.0.0.1:{web}"
    for run in ("first", "restart"):
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "demo", "--port", str(web)],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            home = _wait_for(f"{base}/", proc)
            assert home.status_code == 200 and "Groove Cellar Records" in home.text, run
            health = requests.get(f"{base}/api/v1/health", timeout=10)
            assert health.status_code == 200 and health.json()["status"] == "ok", health.text
            catalog = BeautifulSoup(requests.get(f"{base}/catalog", timeout=10).text, "html.parser")
            assert len(catalog.select(".product-card")) == 24, run  # the synced demo catalog, first page
            second = requests.get(f"{base}/vendors/basement/", timeout=10)
            assert second.status_code == 200 and "Basement Tapes" in second.text, run
            if run == "first":
                stock_change_reaches_both_shops(f"http://127.0.0.1:{sandbox}", tmp_path / "instance")
        finally:
            proc.send_signal(signal.SIGINT)  # Ctrl+C
            output = proc.communicate(timeout=30)[0]
        assert "The shop is open at" in output and "staff login:" in output, output
    embedded = tmp_path / "instance" / "storefront.db"  # the default database the demo used
    with create_app({"ENV_NAME": "development", "INSTANCE_PATH": str(tmp_path / "instance"),
                     "SQLALCHEMY_DATABASE_URI": f"sqlite:///{embedded}"}).app_context(), use_shop("default"):
        assert db.session.scalar(select(func.count()).select_from(Item)) == listed_demo_items(30)
        db.engine.dispose()


def stock_change_reaches_both_shops(sandbox: str, instance: Path) -> None:
    """A count changed in the sandbox reaches each shop's own database through its own webhook URL."""
    import sqlite3

    query = ("SELECT v.ecs_id, s.quantity FROM item_variations v JOIN stock_levels s ON s.variation_id = v.id "
             f"WHERE s.location_id = '{LOCATION}' AND NOT v.is_deleted ORDER BY v.ecs_id")
    databases = {"default": instance / "storefront.db", "basement": instance / "shops" / "basement.db"}

    def counts(shop: str) -> dict[str, int]:
        with sqlite3.connect(databases[shop]) as conn:
            return dict(conn.execute(query).fetchall())

    variation, quantity = next(iter(counts("basement").items()))
    changed = requests.post(f"{sandbox}/_sandbox/inventory/{variation}", json={"quantity": quantity + 7}, timeout=10)
    assert changed.status_code == 200, changed.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and {counts(shop)[variation] for shop in databases} != {quantity + 7}:
        time.sleep(0.2)
    assert {shop: counts(shop)[variation] for shop in databases} == {shop: quantity + 7 for shop in databases}


def listed_demo_items(items: int, seed: int = 7) -> int:
    """The demo's catalog items the shop lists: its records, events and merch, less those the seller
    archived or keeps away from the shop's location, and the event that has already happened."""
    objects = seller_shape(generate_catalog(items, seed), seed, LOCATION).objects
    context = CatalogContext.from_objects(objects)
    items_ = [o for o in objects if o["type"] == "ITEM"]
    mapper = Mapper(detect(context, items_[:100]), context)  # what the first sync detects
    return sum(1 for o in items_ if not parse_item(o, LOCATION, mapper).is_deleted)


def _wait_for(url: str, proc: subprocess.Popen, timeout: float = 120) -> requests.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"flask demo exited with {proc.returncode}: {proc.stdout.read()}")
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout:.0f}s")
