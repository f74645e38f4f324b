"""Keeps the sandbox's state in a JSON file so a restarted demo still has its orders and stock.

Only what differs from the deterministic demo catalog is written (the generator's size, seed and
version, then every object and count changed since), so even a 100,000-item catalog saves quickly.
Writes are debounced on a background thread; the snapshot is taken under the store lock and
serialized outside it (published dicts are never mutated).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from storefront.ecs.sandbox.store import SandboxStore

FORMAT = 1
log = logging.getLogger(__name__)


def snapshot(store: SandboxStore) -> dict[str, Any]:
    """Everything needed to rebuild the store: the generator inputs plus all changes since."""
    with store.lock:
        return {
            "format": FORMAT,
            "merchant_id": store.merchant_id,
            "location_id": store.location_id,
            "base": {k: store.base[k] for k in ("items", "seed", "version", "shape")},
            "clock": store.clock.last,
            "catalog": store.catalog.changed_since(store.base["catalog_seq"]),
            "inventory": [[*key, qty, stamp] for key, qty, stamp in
                          store.inventory.changed_since(store.base["inventory_seq"])],
            "orders": list(store.book.orders.values()),
            "payments": list(store.book.payments.values()),
            "links": list(store.book.links.values()),
            "deleted_links": dict(store.book.deleted_links),
            "refunds": list(store.book.refunds.values()),
            "idempotency": [[scope, key, fp, status, payload]
                            for (scope, key), (fp, status, payload) in store.idempotency.items()],
            "oversold": list(store.oversold),
            "uploads": {image_id: base64.b64encode(data).decode() for image_id, data in store.uploads.items()},
        }


def restore(store: SandboxStore, data: dict[str, Any]) -> None:
    """Rebuild ``store`` from a :func:`snapshot` (no events are emitted)."""
    if data.get("format") != FORMAT:
        raise ValueError(f"unsupported sandbox state format {data.get('format')!r}")
    base = data["base"]
    with store.lock:
        store.clock.last = max(store.clock.last, int(data.get("clock") or 0))
        store.shape = str(base.get("shape") or "legacy")
        store._build(int(base["items"]), int(base["seed"]), int(base["version"]))
        store.catalog.put_many(data.get("catalog") or [])
        for object_id, location_id, state, qty, stamp in data.get("inventory") or []:
            store.inventory.set(object_id, location_id, state, int(qty), int(stamp))
        store.book.orders.update((o["id"], o) for o in data.get("orders") or [])
        store.book.payments.update((p["id"], p) for p in data.get("payments") or [])
        store.book.links.update((link["id"], link) for link in data.get("links") or [])
        store.book.deleted_links.update(data.get("deleted_links") or {})
        store.book.refunds.update((r["id"], r) for r in data.get("refunds") or [])
        for scope, key, fp, status, payload in data.get("idempotency") or []:
            store.idempotency[(scope, key)] = (fp, int(status), payload)
        store.oversold = list(data.get("oversold") or [])
        store.uploads = {image_id: base64.b64decode(text) for image_id, text in (data.get("uploads") or {}).items()}
        store.clock.last = max(store.clock.last, store.catalog.latest_version)


def load(store: SandboxStore, path: Path) -> bool:
    """Restore from ``path`` if it exists; False when there is nothing to load."""
    if not path.exists():
        return False
    restore(store, json.loads(path.read_text(encoding="utf-8")))
    return True


def write(store: SandboxStore, path: Path) -> None:
    """Write a snapshot atomically (temp file + rename)."""
    data = snapshot(store)
    tmp = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, separators=(",", ":"), ensure_ascii=False)
    os.replace(tmp, path)


class Persister:
    """Writes the state file shortly after changes stop arriving (at most every ``delay`` seconds)."""

    def __init__(self, store: SandboxStore, path: Path, delay: float = 0.25) -> None:
        self.store, self.path, self.delay = store, path, delay
        self._dirty = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="ecs-sandbox-persist", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        self._dirty.set()

    def _run(self) -> None:
        while True:
            self._dirty.wait()
            if self._stopping:
                return
            self._dirty.clear()
            time.sleep(self.delay)  # let a burst of changes settle into one write
            self._write()

    def _write(self) -> None:
        try:
            write(self.store, self.path)
        except OSError:
            log.exception("could not write sandbox state to %s", self.path)

    def close(self) -> None:
        """Stop the thread and write a final snapshot."""
        self._stopping = True
        self._dirty.set()
        self._thread.join(timeout=5)
        self._write()
