"""JSON shape of a sync run."""

from __future__ import annotations

from typing import Any

from storefront.sync.models import SyncRun


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def sync_run_json(run: SyncRun, *, with_failures: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": run.id,
        "kind": run.kind,
        "dry_run": run.dry_run,
        "status": run.status,
        "started_by": run.started_by,
        "created_at": _iso(run.created_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "elapsed_seconds": round(run.elapsed_seconds, 2) if run.elapsed_seconds is not None else None,
        "rate_items_per_second": run.rate_per_second,
        "totals": {
            "pages": run.pages, "objects_seen": run.objects_seen, "items_seen": run.items_seen,
            "created": run.items_created, "updated": run.items_updated, "unchanged": run.items_unchanged,
            "deleted": run.items_deleted, "stock_updates": run.stock_updates, "failures": run.failures_count,
        },
        "latest_time": run.latest_time,
        "message": run.message,
    }
    if with_failures:
        body["failures"] = list(run.failures or [])
    return body
