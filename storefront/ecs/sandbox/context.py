"""The running sandbox's parts, reachable from request handlers through ``current_sandbox()``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, request

from storefront.ecs.sandbox.faults import FaultInjector
from storefront.ecs.sandbox.persist import Persister
from storefront.ecs.sandbox.store import SandboxStore
from storefront.ecs.sandbox.webhooks import WebhookDispatcher

EXTENSION_KEY = "ecs_sandbox"


@dataclass
class Sandbox:
    store: SandboxStore
    webhooks: WebhookDispatcher
    faults: FaultInjector
    access_token: str
    public_url: str | None = None
    persister: Persister | None = None

    def base_url(self) -> str:
        """Where shoppers reach this sandbox: the configured public URL or the request's root."""
        return (self.public_url or request.url_root).rstrip("/")

    def close(self) -> None:
        """Stop webhook workers and write the state file one last time."""
        self.webhooks.close()
        if self.persister is not None:
            self.persister.close()
            self.persister = None

    def emit(self, event: dict[str, Any]) -> None:
        self.webhooks.enqueue(event)


def current_sandbox() -> Sandbox:
    return current_app.extensions[EXTENSION_KEY]
