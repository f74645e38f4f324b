"""Test support: fixtures and plain helper functions shared by the test modules.

Fixtures reach every test through ``pytest_plugins`` in ``tests/conftest.py``; helpers are imported
where they are used, e.g. ``from tests.support.accounts import make_staff, login``.

* ``app``           — the app, client and CLI-runner fixtures, on SQLite or DATABASE_URL.
* ``services``      — real Redis/PostgreSQL for tests that need them (skip on a bare machine, fail in CI).
* ``pages``         — reading rendered HTML: ``soup``, ``csrf_token``.
* ``accounts``      — customers and staff: ``make_customer``, ``make_staff``, ``login``, bearer tokens.
* ``emails``        — the emails the app stored: ``sent_emails``, ``link_path``.
* ``factories``     — catalog rows: ``make_item``, ``make_genre``, ``make_detail``; ``revision``.
* ``ecs``           — the bundled ECS (Square) sandbox over real HTTP: ``sandbox`` fixtures, ``ecs_config``.
* ``live_server``   — the storefront on a real socket; the ``live_shop`` fixture (served, synced, webhooks on).
* ``sync``          — running a catalog sync; snapshots of the ECS and the local catalog to compare.
* ``catalog_writes`` — a sandbox catalog shaped as a seller would: ``write_catalog`` (BatchUpsertCatalogObjects).
* ``square_schema`` — JSON validation against Square's OpenAPI document (tests/reference/square).
* ``discogs``       — a fake api.discogs.com answering from recorded responses (tests/reference/discogs).
* ``contract``      — checking /api/v1 responses against our own OpenAPI document.
* ``webhooks``      — Square-shaped webhook events, signed deliveries, inbox rows.
* ``workers``       — real ``rq worker`` processes (burst, or long-running ones a test can kill).
* ``jobs``          — job functions only the job tests enqueue (real RQ workers import them).
* ``inquiries``     — the event-space inquiry form as a visitor fills it in.
* ``shops``         — two shops on one deployment: the ``two_shops`` fixture, ``seed``, ``marker``.
* ``browser``       — helpers for the Playwright journeys (their fixtures are in tests/browser/conftest.py).

Test modules do not import each other: what two of them share lives here.
"""

from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
PROJECT_ROOT = TESTS_DIR.parent
REFERENCE_DIR = TESTS_DIR / "reference"
