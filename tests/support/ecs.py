"""The bundled ECS (Square) sandbox over real HTTP: the ``sandbox_server`` (one per session) and
``sandbox`` (reset for each test) fixtures, and ``ecs_config`` to point an app at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from storefront.ecs.sandbox import create_sandbox_app, serve_in_thread

SANDBOX_TOKEN = "sandbox-token"
SANDBOX_SIGNATURE_KEY = "sandbox-signature-key"


@dataclass
class Sandbox:
    base_url: str
    http: requests.Session

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.base_url}/_sandbox/{path.lstrip('/')}", timeout=60, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self, items: int = 60, seed: int = 7, shape: str = "legacy") -> None:
        self.control("POST", "reset", json={"items": items, "seed": seed, "shape": shape})
        self.control("DELETE", "faults")

    def inventory(self) -> dict[str, int]:
        """variation id → IN_STOCK quantity, straight from the sandbox."""
        body = self.control("GET", "inventory")
        counts = body.get("counts", body) if isinstance(body, dict) else body
        return {c["catalog_object_id"]: int(float(c["quantity"])) for c in counts
                if c.get("state", "IN_STOCK") == "IN_STOCK"}


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    app = create_sandbox_app(access_token=SANDBOX_TOKEN, signature_key=SANDBOX_SIGNATURE_KEY, demo_items=60)
    server = serve_in_thread(app, host="127.0.0.1", port=0)
    http = requests.Session()
    try:
        yield Sandbox(server.base_url, http)
    finally:
        http.close()
        server.shutdown()


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    """The shared sandbox, reset to a fresh 60-item demo catalog for this test."""
    sandbox_server.reset(items=60)
    return sandbox_server


def ecs_config(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    """App settings that point the storefront at the sandbox."""
    return {"ECS_BASE_URL": sandbox.base_url, "ECS_ACCESS_TOKEN": SANDBOX_TOKEN,
            "ECS_WEBHOOK_SIGNATURE_KEYS": [SANDBOX_SIGNATURE_KEY], "SYNC_RESUME_BACKOFF_SECONDS": 0.01,
            "ECS_MAX_RETRIES": 2, **extra}
