"""Job functions used only by the job tests (a real RQ worker imports them as ``tests.support.jobs``)."""

from __future__ import annotations

from pathlib import Path

from jobs.runtime import job


@job
def fail_then_ping(marker_dir: str, token: str) -> int:
    """Fails on its first run (leaving a marker file), succeeds on the retry."""
    marker = Path(marker_dir) / f"{token}.attempted"
    if not marker.exists():
        marker.write_text("1")
        raise RuntimeError("first attempt fails on purpose")
    from storefront.system.services import record_heartbeat

    return record_heartbeat(token).pid
