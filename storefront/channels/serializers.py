"""JSON shapes of the channel-connector API (never a credential's value)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from storefront.channels.connectors import credential_state
from storefront.channels.models import ChannelConflict, ChannelConnector, ChannelSyncJob
from storefront.channels.registry import feed_url
from storefront.channels.sales import summary
from storefront.channels.syncing import queue_position


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def connector_json(connector: ChannelConnector) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": connector.code, "name": connector.name, "channel_type": connector.channel_type,
        "status": connector.status, "settings": dict(connector.settings or {}),
        "credentials": credential_state(connector),
        "last_test": {"at": _iso(connector.last_test_at), "success": connector.last_test_ok,
                      "message": connector.last_test_message},
        "last_sync_at": _iso(connector.last_sync_at), "last_poll_at": _iso(connector.last_poll_at),
        "listings": summary(connector),
        "created_at": _iso(connector.created_at), "updated_at": _iso(connector.updated_at),
    }
    if connector.channel_type == "google_feed":
        data["feed_url"] = feed_url(connector)
    return data


def error_summary(job: ChannelSyncJob) -> dict[str, Any]:
    """Failures counted by CHN code, with a few example products per code."""
    counts = Counter(f.get("error_code") for f in job.failures or [])
    examples: dict[str, list[str]] = {}
    for failure in job.failures or []:
        examples.setdefault(failure.get("error_code"), [])
        if len(examples[failure.get("error_code")]) < 5:
            examples[failure.get("error_code")].append(failure.get("product"))
    return {"total": sum(counts.values()),
            "by_code": [{"error_code": code, "count": n, "products": examples.get(code, [])}
                        for code, n in counts.most_common()]}


def job_json(job: ChannelSyncJob, *, with_failures: bool = True) -> dict[str, Any]:
    data = {
        "job_id": job.job_id, "status": job.status, "sync_type": job.sync_type,
        "estimated_products": job.estimated_products, "queue_position": queue_position(job),
        "progress": {"processed": job.processed, "total": job.estimated_products,
                     "percent": round(100 * job.processed / job.estimated_products) if job.estimated_products else
                     (100 if job.status.startswith("completed") else 0)},
        "counts": {"created": job.created_count, "updated": job.updated_count, "unchanged": job.unchanged_count,
                   "withdrawn": job.withdrawn_count, "failed": job.failed_count, "conflicts": job.conflicts_count},
        "error_summary": error_summary(job), "retry_of": job.retry_of, "started_by": job.started_by,
        "message": job.message, "created_at": _iso(job.created_at), "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }
    if with_failures:
        data["failed_products"] = list(job.failures or [])
    return data


def conflict_json(conflict: ChannelConflict) -> dict[str, Any]:
    return {
        "id": conflict.id, "product": conflict.offer_key, "status": conflict.status,
        "fields": [{"field": name, "locale": values.get("locale"), "pim_value": values.get("pim"),
                    "channel_value": values.get("channel"), "last_published_value": values.get("last_published")}
                   for name, values in sorted(conflict.fields.items())],
        "resolution": conflict.resolution, "resolved_values": conflict.resolved_values,
        "resolved_by": conflict.resolved_by, "created_at": _iso(conflict.created_at),
        "resolved_at": _iso(conflict.resolved_at),
    }
