"""Shaping a sandbox catalog in tests as a seller would on Square: BatchUpsertCatalogObjects over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import requests


def write_catalog(base_url: str, token: str, objects: list[dict[str, Any]]) -> dict[str, str]:
    """Upsert ``objects`` (new ones with ``#client`` ids) in one request; returns client id → real id."""
    response = requests.post(f"{base_url}/v2/catalog/batch-upsert", timeout=60,
                             headers={"Authorization": f"Bearer {token}", "Square-Version": "2025-10-16"},
                             json={"idempotency_key": uuid.uuid4().hex, "batches": [{"objects": objects}]})
    assert response.status_code == 200, response.text
    return {m["client_object_id"]: m["object_id"] for m in response.json().get("id_mappings", [])}


def set_stock(base_url: str, token: str, location_id: str, quantities: dict[str, int]) -> None:
    """Physical counts for variations (real ids) at a location, through BatchChangeInventory."""
    from datetime import UTC, datetime

    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    changes = [{"type": "PHYSICAL_COUNT", "physical_count": {
        "catalog_object_id": variation_id, "location_id": location_id, "state": "IN_STOCK",
        "quantity": str(quantity), "occurred_at": now}} for variation_id, quantity in quantities.items()]
    response = requests.post(f"{base_url}/v2/inventory/changes/batch-create", timeout=60,
                             headers={"Authorization": f"Bearer {token}"},
                             json={"idempotency_key": uuid.uuid4().hex, "changes": changes})
    assert response.status_code == 200, response.text
