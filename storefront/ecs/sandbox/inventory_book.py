"""Inventory counts per (variation, location, state), in a calculated_at-ordered log for paging.

Counts follow changes in ``occurred_at`` order, not arrival order, as Square computes them: a
state's count is its latest physical count (by ``occurred_at``) plus the adjustments that occurred
after it. A change arriving late is placed where it occurred; one older than the latest physical
count is absorbed by it. ``calculated_at`` is when the latest change that moved the count arrived.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from storefront.ecs.sandbox.clock import rfc3339

INVENTORY_STATES: frozenset[str] = frozenset({
    "CUSTOM", "IN_STOCK", "SOLD", "RETURNED_BY_CUSTOMER", "RESERVED_FOR_SALE", "SOLD_ONLINE",
    "ORDERED_FROM_VENDOR", "RECEIVED_FROM_VENDOR", "IN_TRANSIT_TO", "NONE", "WASTE", "UNLINKED_RETURN",
    "COMPOSED", "DECOMPOSED", "SUPPORTED_BY_NEWER_VERSION", "IN_TRANSIT",
})
# Square keeps no counts for these; adjustments into or out of them only move the other side.
UNTRACKED_STATES: frozenset[str] = frozenset({"NONE", "SOLD", "UNLINKED_RETURN"})

CountKey = tuple[str, str, str]  # (catalog_object_id, location_id, state)
# Square refuses an occurred_at older than this, so adjustments older than it never need reordering.
REORDER_WINDOW_US = 24 * 3600 * 1_000_000
_FOLD_AFTER = 64


@dataclass
class _Ledger:
    """One count's latest physical count (when it occurred, its quantity) and the adjustments after it."""

    count_at: int
    count: int
    deltas: list[tuple[int, int]]  # (occurred_at µs, signed quantity), arrival order

    def quantity(self) -> int:
        return self.count + sum(d for _, d in self.deltas)

    def fold(self, before: int) -> None:
        """Add adjustments older than ``before`` into the base count (no later change can precede them)."""
        old = [d for t, d in self.deltas if t < before]
        if old:
            self.count += sum(old)
            self.deltas = [(t, d) for t, d in self.deltas if t >= before]


@dataclass
class CountPage:
    counts: list[dict[str, Any]]
    next_position: int | None


class InventoryBook:
    """Current counts (published dicts are never mutated) and their change log; the caller holds the lock."""

    def __init__(self) -> None:
        self.counts: dict[CountKey, dict[str, Any]] = {}
        self._qty: dict[CountKey, int] = {}
        self._at: dict[CountKey, int] = {}
        self._keys_by_object: dict[str, list[CountKey]] = {}
        self._seq_of: dict[CountKey, int] = {}
        self._seqs: list[int] = []
        self._stamps: list[int] = []
        self._keys: list[CountKey] = []
        self._stale = 0
        self._ledgers: dict[CountKey, _Ledger] = {}
        self.last_seq = 0

    def quantity(self, object_id: str, location_id: str, state: str = "IN_STOCK") -> int:
        return self._qty.get((object_id, location_id, state), 0)

    def set(self, object_id: str, location_id: str, state: str, quantity: int, stamp: int,
            stamp_text: str | None = None) -> dict[str, Any]:
        """Record a new count and return its InventoryCount dict (``stamp_text``: ``stamp`` preformatted).

        A count set here (demo stock, a restored state) counts as a physical count at ``stamp``.
        """
        key = (object_id, location_id, state)
        self._ledgers.pop(key, None)
        return self._publish(key, quantity, stamp, stamp_text)

    def _publish(self, key: CountKey, quantity: int, stamp: int, stamp_text: str | None = None) -> dict[str, Any]:
        object_id, location_id, state = key
        count = {
            "catalog_object_id": object_id,
            "catalog_object_type": "ITEM_VARIATION",
            "state": state,
            "location_id": location_id,
            "quantity": str(quantity),
            "calculated_at": stamp_text or rfc3339(stamp),
        }
        if key not in self.counts:
            self._keys_by_object.setdefault(object_id, []).append(key)
        else:
            self._stale += 1
        self.counts[key] = count
        self._qty[key] = quantity
        self._at[key] = stamp
        self.last_seq += 1
        self._seq_of[key] = self.last_seq
        self._seqs.append(self.last_seq)
        self._stamps.append(stamp)
        self._keys.append(key)
        if self._stale > 1024 and self._stale > len(self._seqs) // 2:
            self._compact()
        return count

    def _ledger(self, key: CountKey) -> _Ledger:
        ledger = self._ledgers.get(key)
        if ledger is None:
            ledger = self._ledgers[key] = _Ledger(self._at.get(key, 0), self._qty.get(key, 0), [])
        return ledger

    def count_result(self, object_id: str, location_id: str, state: str, quantity: int, occurred: int) -> int:
        """The count a PHYSICAL_COUNT at ``occurred`` would leave (for ``ignore_unchanged_counts``)."""
        key = (object_id, location_id, state)
        ledger = self._ledgers.get(key) or _Ledger(self._at.get(key, 0), self._qty.get(key, 0), [])
        if occurred < ledger.count_at:
            return ledger.quantity()
        return quantity + sum(d for t, d in ledger.deltas if t > occurred)

    def physical_count(self, object_id: str, location_id: str, state: str, quantity: int, occurred: int,
                       stamp: int) -> dict[str, Any] | None:
        """A PHYSICAL_COUNT that occurred at ``occurred``; None when a later count supersedes it."""
        key = (object_id, location_id, state)
        ledger = self._ledger(key)
        if occurred < ledger.count_at:
            return None
        ledger.count_at, ledger.count = occurred, quantity
        ledger.deltas = [(t, d) for t, d in ledger.deltas if t > occurred]
        return self._publish(key, ledger.quantity(), stamp)

    def _delta(self, key: CountKey, delta: int, occurred: int, stamp: int) -> dict[str, Any] | None:
        ledger = self._ledger(key)
        if occurred < ledger.count_at:
            return None  # the later physical count already includes it
        ledger.deltas.append((occurred, delta))
        if len(ledger.deltas) > _FOLD_AFTER:
            ledger.fold(stamp - REORDER_WINDOW_US)
        return self._publish(key, ledger.quantity(), stamp)

    def adjust(self, object_id: str, location_id: str, from_state: str, to_state: str, quantity: int,
               stamp: int, occurred: int | None = None) -> list[dict[str, Any]]:
        """Move ``quantity`` units between states as of ``occurred``; returns the counts that changed."""
        when = stamp if occurred is None else occurred
        changed = []
        for state, delta in ((from_state, -quantity), (to_state, quantity)):
            if state in UNTRACKED_STATES:
                continue
            count = self._delta((object_id, location_id, state), delta, when, stamp)
            if count is not None:
                changed.append(count)
        return changed

    def _compact(self) -> None:
        keep = [i for i, (seq, key) in enumerate(zip(self._seqs, self._keys, strict=True))
                if self._seq_of.get(key) == seq]
        self._seqs = [self._seqs[i] for i in keep]
        self._stamps = [self._stamps[i] for i in keep]
        self._keys = [self._keys[i] for i in keep]
        self._stale = 0

    def for_object(self, object_id: str, location_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        wanted = set(location_ids) if location_ids else None
        return [self.counts[k] for k in self._keys_by_object.get(object_id, ())
                if k[2] not in UNTRACKED_STATES and (wanted is None or k[1] in wanted)]

    def page_for_objects(self, object_ids: Iterable[str], location_ids: set[str] | None, states: set[str] | None,
                         updated_after: int | None, offset: int, limit: int) -> CountPage:
        """Counts of the given objects, newest first; the position is an offset into that list."""
        keys = [k for obj_id in dict.fromkeys(object_ids) for k in self._keys_by_object.get(obj_id, ())
                if _wanted(k, location_ids, states) and (updated_after is None or self._at[k] > updated_after)]
        keys.sort(key=lambda k: self._at[k], reverse=True)
        chunk = keys[offset:offset + limit]
        more = offset + limit < len(keys)
        return CountPage([self.counts[k] for k in chunk], offset + limit if more else None)

    def page_all(self, location_ids: set[str] | None, states: set[str] | None, updated_after: int | None,
                 before_seq: int | None, limit: int, max_scan: int = 50_000) -> CountPage:
        """All counts newest first, walking the log backwards from ``before_seq`` (exclusive)."""
        pos = (bisect_left(self._seqs, before_seq) if before_seq else len(self._seqs)) - 1
        found: list[dict[str, Any]] = []
        scanned = 0
        while pos >= 0:
            seq, key = self._seqs[pos], self._keys[pos]
            if updated_after is not None and self._stamps[pos] <= updated_after:
                break
            if scanned >= max_scan:
                return CountPage(found, seq + 1)
            scanned += 1
            pos -= 1
            if self._seq_of.get(key) != seq or not _wanted(key, location_ids, states):
                continue
            if len(found) >= limit:
                return CountPage(found, seq + 1)
            found.append(self.counts[key])
        return CountPage(found, None)

    def all_counts(self) -> list[dict[str, Any]]:
        return [c for k, c in self.counts.items() if k[2] not in UNTRACKED_STATES]

    def changed_since(self, seq: int) -> list[tuple[CountKey, int, int]]:
        """(key, quantity, stamp) of counts written after ``seq``, oldest first (for persistence)."""
        entries = sorted((s, k) for k, s in self._seq_of.items() if s > seq)
        return [(k, self._qty[k], self._at[k]) for _, k in entries]


def _wanted(key: CountKey, location_ids: set[str] | None, states: set[str] | None) -> bool:
    if key[2] in UNTRACKED_STATES:
        return False
    return (location_ids is None or key[1] in location_ids) and (states is None or key[2] in states)
