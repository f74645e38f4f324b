"""Catalog objects kept in per-type, change-ordered logs so every page costs O(page), not O(catalog).

Each write appends ``(seq, version, id)`` to its type's log and marks the object's previous entry
stale. A walk merges the logs by ``seq`` from a cursor (the last ``seq`` returned) or from
``begin_time`` (bisect on the version column), skipping stale entries. An object changed during a
walk moves to the end of its log, so a walk never misses it (it may see it twice, as with Square).
Stored object dicts are never mutated after they are published: writers replace them, so readers
may serialize them outside the store lock.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

CATALOG_OBJECT_TYPES: frozenset[str] = frozenset({
    "ITEM", "IMAGE", "CATEGORY", "ITEM_VARIATION", "TAX", "DISCOUNT", "MODIFIER_LIST", "MODIFIER",
    "PRICING_RULE", "PRODUCT_SET", "TIME_PERIOD", "MEASUREMENT_UNIT", "SUBSCRIPTION_PLAN_VARIATION",
    "ITEM_OPTION", "ITEM_OPTION_VAL", "CUSTOM_ATTRIBUTE_DEFINITION", "QUICK_AMOUNTS_SETTINGS",
    "SUBSCRIPTION_PLAN", "AVAILABILITY_PERIOD",
})
# What ListCatalog / SearchCatalogObjects return when no types are given (nested types excluded).
DEFAULT_TYPES: tuple[str, ...] = (
    "ITEM", "CATEGORY", "TAX", "DISCOUNT", "MODIFIER_LIST", "PRICING_RULE", "PRODUCT_SET", "TIME_PERIOD",
    "MEASUREMENT_UNIT", "SUBSCRIPTION_PLAN", "ITEM_OPTION", "CUSTOM_ATTRIBUTE_DEFINITION", "QUICK_AMOUNTS_SETTINGS",
)
_COMPACT_MIN_STALE = 1024


@dataclass
class _TypeLog:
    seqs: list[int] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    stale: int = 0


@dataclass
class CatalogPage:
    """One page of a walk: the objects and, when more may follow, the ``seq`` to resume after."""

    objects: list[dict[str, Any]]
    resume_after: int | None


class CatalogIndex:
    """All catalog objects by id, plus the ordered logs; the caller holds the store lock."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self._seq_of: dict[str, int] = {}
        self._logs: dict[str, _TypeLog] = {}
        self._live: dict[str, int] = {}
        self.last_seq = 0
        self.latest_version = 0

    # -- writes -------------------------------------------------------------------------------
    def put(self, obj: dict[str, Any]) -> None:
        """Publish ``obj`` (already stamped with ``version``/``updated_at``) as the current state of its id."""
        obj_id, obj_type = obj["id"], obj["type"]
        old = self.objects.get(obj_id)
        log = self._logs.get(obj_type)
        if log is None:
            log = self._logs[obj_type] = _TypeLog()
        if old is not None:
            if not old.get("is_deleted"):
                self._live[old["type"]] -= 1
            self._logs[old["type"]].stale += 1
        if not obj.get("is_deleted"):
            self._live[obj_type] = self._live.get(obj_type, 0) + 1
        self.last_seq += 1
        version = int(obj["version"])
        self.objects[obj_id] = obj
        self._seq_of[obj_id] = self.last_seq
        log.seqs.append(self.last_seq)
        log.versions.append(version)
        log.ids.append(obj_id)
        self.latest_version = max(self.latest_version, version)
        if log.stale > _COMPACT_MIN_STALE and log.stale > len(log.seqs) // 2:
            self._compact(log)

    def put_many(self, objects: Iterable[dict[str, Any]]) -> None:
        for obj in objects:
            self.put(obj)

    def _compact(self, log: _TypeLog) -> None:
        keep = [i for i, (seq, obj_id) in enumerate(zip(log.seqs, log.ids, strict=True))
                if self._seq_of.get(obj_id) == seq]
        log.seqs = [log.seqs[i] for i in keep]
        log.versions = [log.versions[i] for i in keep]
        log.ids = [log.ids[i] for i in keep]
        log.stale = 0

    # -- reads --------------------------------------------------------------------------------
    def get(self, obj_id: str) -> dict[str, Any] | None:
        return self.objects.get(obj_id)

    def live_count(self, obj_type: str) -> int:
        return self._live.get(obj_type, 0)

    def live_counts(self) -> dict[str, int]:
        return {t: n for t, n in sorted(self._live.items()) if n}

    def walk(self, types: Iterable[str], *, after_seq: int = 0, begin_version: int | None = None,
             include_deleted: bool = False, limit: int = 100, max_scan: int = 20_000,
             match: Callable[[dict[str, Any]], bool] | None = None) -> CatalogPage:
        """Up to ``limit`` current objects of ``types`` in change order, after a cursor or a version."""
        found: list[dict[str, Any]] = []
        scanned = 0
        for seq, obj_id in self._merged(types, after_seq, begin_version):
            # Every entry before ``seq`` has been taken or rejected, so ``seq - 1`` is where to resume
            # when the scan budget runs out or when this entry is a match that no longer fits.
            if scanned >= max_scan:
                return CatalogPage(found, seq - 1)
            scanned += 1
            if self._seq_of.get(obj_id) != seq:
                continue
            obj = self.objects[obj_id]
            if (obj.get("is_deleted") and not include_deleted) or (match is not None and not match(obj)):
                continue
            if len(found) >= limit:
                return CatalogPage(found, seq - 1)
            found.append(obj)
        return CatalogPage(found, None)

    def _merged(self, types: Iterable[str], after_seq: int, begin_version: int | None) -> Iterator[tuple[int, str]]:
        """(seq, id) entries of the given types' logs, merged in seq order, from the start point."""
        heads: list[tuple[int, int, _TypeLog]] = []
        for obj_type in dict.fromkeys(types):
            log = self._logs.get(obj_type)
            if log is None or not log.seqs:
                continue
            start = bisect_right(log.seqs, after_seq) if after_seq else 0
            if begin_version is not None:
                start = max(start, bisect_right(log.versions, begin_version))
            if start < len(log.seqs):
                heads.append((log.seqs[start], start, log))
        heapq.heapify(heads)
        while heads:
            seq, pos, log = heads[0]
            yield seq, log.ids[pos]
            pos += 1
            if pos < len(log.seqs):
                heapq.heapreplace(heads, (log.seqs[pos], pos, log))
            else:
                heapq.heappop(heads)

    def related(self, objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Objects referenced one level deep: an item's categories and images (its variations' too),
        a variation's item and images."""
        seen: set[str] = {o["id"] for o in objects}
        related: list[dict[str, Any]] = []
        for obj in objects:
            for ref in _references(obj):
                target = self.objects.get(ref)
                if ref not in seen and target is not None and not target.get("is_deleted"):
                    seen.add(ref)
                    related.append(target)
        return related

    def changed_since(self, seq: int) -> list[dict[str, Any]]:
        """Current objects whose latest write came after ``seq``, in write order (for persistence)."""
        entries = sorted((s, i) for i, s in self._seq_of.items() if s > seq)
        return [self.objects[obj_id] for _, obj_id in entries]


def _references(obj: dict[str, Any]) -> list[str]:
    if obj["type"] == "ITEM":
        data = obj.get("item_data") or {}
        refs = [c["id"] for c in data.get("categories") or [] if c.get("id")]
        reporting = (data.get("reporting_category") or {}).get("id")
        if reporting:
            refs.append(reporting)
        refs.extend(data.get("image_ids") or [])
        for variation in data.get("variations") or []:
            refs.extend((variation.get("item_variation_data") or {}).get("image_ids") or [])
        return refs
    if obj["type"] == "ITEM_VARIATION":
        data = obj.get("item_variation_data") or {}
        return [*([data["item_id"]] if data.get("item_id") else []), *(data.get("image_ids") or [])]
    return []
