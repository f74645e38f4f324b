"""The fixtures every test can use come from the tests/support plugins listed here (pytest reads
``pytest_plugins`` only from this top-level conftest):

* ``tests.support.app``      — ``make_app``, ``app``, ``client``, ``runner``, ``app_ctx``, ``shared_database_url``:
  SQLite per test by default, the DATABASE_URL database (emptied between tests) when that is set.
* ``tests.support.services`` — ``redis_url``: a real Redis; ``scratch_postgres``: a new PostgreSQL
  database of its own (both skip on a bare machine, fail in CI).
* ``tests.support.ecs``      — ``sandbox_server`` / ``sandbox``: the bundled ECS sandbox over real HTTP.
* ``tests.support.live_server`` — ``live_shop``: the storefront on a real socket, synced from the sandbox.

Plain helpers are imported where they are used, e.g. ``from tests.support.accounts import login``;
tests/support/__init__.py lists the modules.
"""

import pytest

pytest.register_assert_rewrite("tests.support")  # helpers' failed asserts show their values too

pytest_plugins = [
    "tests.support.app",
    "tests.support.services",
    "tests.support.ecs",
    "tests.support.live_server",
    "tests.support.channels",
    "tests.support.shops",
]
