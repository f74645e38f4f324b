"""The ECS sandbox: a local, stateful, Square-wire-compatible commerce server.

``create_sandbox_app()`` builds it, ``serve_in_thread()`` runs it in the background, and
``python -m storefront.ecs.sandbox`` runs it standalone.
"""

from __future__ import annotations

from storefront.ecs.sandbox.app import DEFAULT_LOCATION_ID, DEFAULT_MERCHANT_ID, create_sandbox_app
from storefront.ecs.sandbox.demo_catalog import DemoCatalog, generate_catalog
from storefront.ecs.sandbox.payments import DECLINE_CARDS, SUCCESS_CARD
from storefront.ecs.sandbox.server import SandboxServer, serve_in_thread

__all__ = [
    "DECLINE_CARDS",
    "DEFAULT_LOCATION_ID",
    "DEFAULT_MERCHANT_ID",
    "SUCCESS_CARD",
    "DemoCatalog",
    "SandboxServer",
    "create_sandbox_app",
    "generate_catalog",
    "serve_in_thread",
]
