"""Fixtures for the browser journeys: the storefront on a real socket next to the ECS sandbox, and
Playwright driving Debian's chromium (never a downloaded browser: this machine has no outside network).

* ``make_shop(**config)`` serves a fresh app (SQLite file, or the DATABASE_URL database emptied) with
  JOBS_MODE "thread", the sandbox's webhooks pointed at it, and the catalog synced from the sandbox.
* ``open_browser(javascript=True)`` launches chromium headless with a fresh profile (``--user-data-dir``)
  and returns its context; ``page`` is the first tab of one with JavaScript on.
* A missing chromium (or Playwright) skips the journeys with the reason on a bare machine and fails
  them in CI (``CI=true``); ``.ci/ensure-browser`` installs chromium with apt when it can.
* Uncaught page errors and Content-Security-Policy violations fail the test; requests to any host but
  127.0.0.1/localhost are refused; a failing test leaves a screenshot of each open tab in
  test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.support.browser import SCREENSHOTS, Shop, database_label
from tests.support.ecs import SANDBOX_SIGNATURE_KEY, Sandbox, ecs_config
from tests.support.live_server import live_server
from tests.support.services import service_missing

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ACTION_TIMEOUT_MS = 10_000
OUTSIDE = re.compile(r"^(?!(https?|wss?)://(127\.0\.0\.1|localhost)[:/])[a-z]+://")
CSP_REPORT_PREFIX = "CSP-VIOLATION "
# Runs in every page before its own scripts: each blocked inline script/style/eval is reported with
# the element that caused it (the browser's own console message names neither).
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => {
  const el = e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 240) : String(e.target);
  console.error("CSP_REPORT_PREFIX" + JSON.stringify({page: location.href, directive: e.violatedDirective,
                                        source: e.sourceFile, line: e.lineNumber, sample: e.sample, element: el}));
});
""".replace("CSP_REPORT_PREFIX", CSP_REPORT_PREFIX)


def chromium_path() -> str | None:
    """CHROMIUM_PATH, else Debian's chromium on PATH (apt package ``chromium``)."""
    candidate = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if os.access(candidate, os.X_OK) else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Remember each phase's report on the item, so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session", autouse=True)
def fresh_failure_screenshots() -> None:
    """Failure screenshots of an earlier run on this database would mislead: remove them."""
    for stale in SCREENSHOTS.glob(f"{database_label()}-FAILED-*.png"):
        stale.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[tuple[Any, str]]:
    """Playwright's driver (one per module, so no event loop outlives the browser tests) and chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        service_missing("Playwright", f"{exc}; install the dev extras (pip install -e '.[dev]')")
    executable = chromium_path()
    if executable is None:
        service_missing("chromium", "no executable at $CHROMIUM_PATH or /usr/bin/chromium; run .ci/ensure-browser "
                                    "(apt-get install chromium)")
    with sync_playwright() as driver:
        yield driver, executable


@pytest.fixture
def make_shop(make_app: Any, sandbox: Sandbox) -> Iterator[Callable[..., Shop]]:
    """Serve the storefront over HTTP (threaded werkzeug), synced from the sandbox, receiving its webhooks."""
    stack = ExitStack()

    def factory(*, sync: bool = True, **config: Any) -> Shop:
        def build(base_url: str) -> Any:
            settings = {**ecs_config(sandbox), "JOBS_MODE": "thread", "SERVER_NAME": None,
                        "PUBLIC_BASE_URL": base_url, "PREFERRED_URL_SCHEME": "http",
                        "ECS_WEBHOOK_NOTIFICATION_URL": f"{base_url}/webhooks/square",
                        "ECS_DECREMENTS_STOCK_ON_PAYMENT": True, "DEV_OUTBOX_ENABLED": True, **config}
            return make_app(**settings)

        app, base_url = stack.enter_context(live_server(build))
        shop = Shop(app, base_url, sandbox)
        sandbox.control("POST", "webhooks/config", json={"url": f"{base_url}/webhooks/square",
                                                         "signature_key": SANDBOX_SIGNATURE_KEY})
        stack.callback(sandbox.control, "POST", "webhooks/config", json={"url": None})
        if sync:
            from storefront.sync.runner import execute_run
            from storefront.sync.services import create_run

            status, message = shop.query(lambda: _outcome(execute_run(create_run("full").id)))
            assert status == "succeeded", message
        return shop

    with stack:
        yield factory


def _outcome(run: Any) -> tuple[str, str | None]:
    return run.status, run.message


@pytest.fixture
def shop(make_shop: Callable[..., Shop]) -> Shop:
    return make_shop()


@pytest.fixture
def open_browser(playwright_driver: tuple[Any, str], request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Any]]:
    """``open_browser(javascript=True, base_url=None)`` → a chromium context on a fresh profile."""
    driver, executable = playwright_driver
    contexts: list[Any] = []
    problems: list[str] = []

    def watch(context: Any) -> None:
        def on_console(message: Any) -> None:
            if message.text.startswith(CSP_REPORT_PREFIX):
                problems.append(f"CSP violation: {message.text[len(CSP_REPORT_PREFIX):]}")

        context.add_init_script(CSP_REPORTER)
        context.on("console", on_console)
        context.on("weberror", lambda error: problems.append(f"uncaught page error: {error.error}"))

    def launch(*, javascript: bool = True, base_url: str | None = None) -> Any:
        profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path_factory.getbasetemp())
        context = driver.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            java_script_enabled=javascript, base_url=base_url, viewport={"width": 1280, "height": 900},
            locale="en-US", timezone_id="UTC")
        # Nothing may leave the machine (Discogs cover images, say): refuse every other host at once.
        context.route(OUTSIDE, lambda route: route.abort("blockedbyclient"))
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
        watch(context)
        contexts.append(context)
        return context

    yield launch
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for c, context in enumerate(contexts):
            for p, page in enumerate(context.pages):
                try:
                    name = f"{database_label()}-FAILED-{request.node.name}-{c}{p}.png"
                    page.screenshot(path=str(SCREENSHOTS / name), full_page=True, caret="initial")
                except Exception as exc:  # noqa: BLE001 - best effort, the test already failed
                    print(f"no failure screenshot of {page.url}: {exc}")
    for context in contexts:
        context.close()
    assert not problems, "the browser reported:\n" + "\n".join(problems)


@pytest.fixture
def page(open_browser: Callable[..., Any], shop: Shop) -> Any:
    """A JavaScript-enabled tab whose relative URLs resolve against the shop."""
    context = open_browser(base_url=shop.base_url)
    return context.pages[0] if context.pages else context.new_page()
