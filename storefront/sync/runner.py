"""Executing a sync run: page through the ECS, write in batches, report progress, abort safely."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from storefront.catalog import revision as catalog_revision
from storefront.catalog.models import Item
from storefront.catalog.stock import (
    apply_inventory_counts,
    apply_latest_counts,
    latest_counts,
    quantities_at,
    refresh_item_stock,
)
from storefront.db.timestamps import utcnow
from storefront.ecs.client import CursorTrail, later_time
from storefront.ecs.errors import ECSRateLimited, ECSServerError, ECSUnavailable
from storefront.ecs.provider import build_client, ecs_client, shop_location_id
from storefront.extensions import db
from storefront.sync.fetcher import FetchedPage, FetchStopped, fetch_in_child, fork_available
from storefront.sync.field_mapping import (
    mapping_for_sync,
    request_remap,
    shop_mapper,
    store_references,
    stored_context,
    stored_items,
)
from storefront.sync.fields import CatalogContext, FieldMapping
from storefront.sync.mapping import MappingError, map_item_page, parse_item
from storefront.sync.models import EcsReference, SyncRun
from storefront.sync.services import claim_pending_incremental, request_incremental_sync, sync_state
from storefront.sync.writer import CatalogWriter, PageOutcome

log = logging.getLogger("storefront.sync")
T = TypeVar("T")
RESUMABLE = (ECSRateLimited, ECSServerError, ECSUnavailable)
PROGRESS_COMMIT_SECONDS = 0.5
MAX_STORED_FAILURES = 200
ANALYZE_LOCK_TIMEOUT = "200ms"  # a mid-run ANALYZE waits no longer than this for autovacuum
ANALYZE_FIRST_AT = 1000  # items created by a run before its first mid-run ANALYZE
MAPPING_SAMPLE = 100  # items a field mapping is detected from
REMAP_PAGE = 500


class SyncAborted(RuntimeError):
    """Too many items failed; the run stops before it can do more harm."""


# Naming the items' columns leaves out the search index's expression statistics: to_tsvector over
# every row, over half of the ANALYZE. Autovacuum's own ANALYZE gathers them after a bulk load;
# until then the planner's default selectivity for a text match still picks the GIN index.
_PG_ANALYZE = (f"ANALYZE items ({', '.join(column.name for column in Item.__table__.columns)}), "
               "item_genres, item_variations, stock_levels")


def refresh_planner_statistics(*, in_transaction: bool = False) -> None:
    """ANALYZE the catalog tables after a full sync: a bulk load leaves the query planner's row
    counts stale (or, on a new SQLite file, absent), and SQLite then walks the listing index for
    queries a search or primary-key lookup would answer in a fraction of the time.

    ``in_transaction`` (PostgreSQL, during a run): inside the run's open transaction, under a
    savepoint. ANALYZE counts the rows this transaction has inserted, and the session's prepared
    lookups are replanned at once rather than at the next commit. It waits at most
    ``ANALYZE_LOCK_TIMEOUT`` for its lock (autovacuum may be analysing the same tables): then it
    is skipped, and the run goes on with the old statistics."""
    dialect = db.session.get_bind().dialect.name
    statement = {"sqlite": "ANALYZE", "postgresql": _PG_ANALYZE}
    if dialect not in statement:
        return
    if in_transaction:
        db.session.flush()  # the savepoint would flush the run's own changes: let their errors be theirs
    try:
        if in_transaction:
            previous = db.session.scalar(text("SELECT current_setting('lock_timeout')"))
            with db.session.begin_nested():
                db.session.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": ANALYZE_LOCK_TIMEOUT})
                db.session.execute(text(statement[dialect]))
            db.session.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": previous})
            return
        db.session.execute(text(statement[dialect]))
        db.session.commit()
    except SQLAlchemyError:  # statistics are an optimisation: the sync itself has succeeded
        if not in_transaction:
            db.session.rollback()
        log.warning("could not refresh planner statistics", exc_info=True)


class SyncRunner:
    """Runs one :class:`SyncRun`; progress is committed page by page so others can watch it."""

    def __init__(self, run: SyncRun, *, sleep: Callable[[float], None] = time.sleep,
                 progress: Callable[[SyncRun], None] | None = None) -> None:
        self.run = run
        self.progress = progress
        self.cfg = current_app.config
        self.client = ecs_client()
        self.sleep = sleep
        self.writer = CatalogWriter(dry_run=run.dry_run)
        self.location_id = ""
        self._committed_at = 0.0
        postgres = db.session.get_bind().dialect.name == "postgresql"
        self._analyze_at = ANALYZE_FIRST_AT if postgres else 0

    # entry point ----------------------------------------------------------------------
    def execute(self) -> SyncRun:
        run = self.run
        run.status, run.started_at, run.heartbeat_at = "running", utcnow(), utcnow()
        db.session.commit()
        try:
            self.location_id = self._resumable(lambda: shop_location_id())
            self.writer.location_id = self.location_id  # items are mapped as the shop's location sells them
            if run.kind == "remap":
                self._remap()
            elif run.kind == "incremental" and sync_state().latest_time:
                self._incremental()
            else:
                if run.kind == "incremental":
                    run.message = "No previous sync to continue from: ran a full sync instead. "
                self._full()
            self._finish("succeeded", run.message + self._summary())
            if run.kind == "full" and not run.dry_run:
                refresh_planner_statistics()
        except SyncAborted as exc:
            db.session.rollback()
            log.error("catalog sync #%s aborted: %s", run.id, exc)
            self._finish("aborted", str(exc))
        except Exception as exc:
            db.session.rollback()
            log.exception("catalog sync #%s failed", run.id)
            self._finish("failed", f"{type(exc).__name__}: {exc}"[:1000])
            raise
        finally:
            state = sync_state()
            if state.incremental_requested:  # catalog changed while we ran
                request_incremental_sync()
            elif state.remap_requested:  # the mapping, or what it reads, changed while we ran
                state.remap_requested = False
                db.session.commit()
                request_remap(started_by=run.started_by if run.kind == "remap" else "system")
        return run

    # re-map ---------------------------------------------------------------------------
    def _remap(self) -> None:
        """Map the stored ECS objects again with the saved mapping (nothing is downloaded)."""
        context = stored_context()
        mapping = mapping_for_sync(context, stored_items(MAPPING_SAMPLE), dry_run=self.run.dry_run)
        mapper = shop_mapper(mapping, context)
        self.writer.mapper = mapper
        self.run.expected_items = db.session.scalar(select(func.count(Item.id)).where(Item.ecs_object != ""))
        last_id = 0
        while True:
            rows = db.session.execute(select(Item.id, Item.ecs_object).where(Item.id > last_id, Item.ecs_object != "")
                                      .order_by(Item.id).limit(REMAP_PAGE)).all()
            if not rows:
                break
            outcome = PageOutcome(seen=len(rows))
            pairs = []
            for item_id, raw in rows:
                try:
                    pairs.append((item_id, parse_item(json.loads(raw), self.location_id or None, mapper,
                                                      keep_raw=False)))
                except (MappingError, KeyError, TypeError, ValueError) as exc:
                    outcome.failures.append({"ecs_id": str(item_id), "reason": str(exc)[:300]})
            self.writer.remap(pairs)
            outcome.updated = len(pairs)
            last_id = rows[-1][0]
            self._record_page(outcome, len(rows), None if len(rows) < REMAP_PAGE else str(last_id))
        self._check_failures(final=True)
        if not self.run.dry_run:
            catalog_revision.bump()
            db.session.commit()

    # full -----------------------------------------------------------------------------
    def _full(self) -> None:
        # The first items are also the sample a field mapping is detected from on the first sync.
        head = self._resumable(lambda: self.client.search_catalog_objects(object_types=["ITEM"],
                                                                          limit=MAPPING_SAMPLE))
        latest_time = head.latest_time
        self._read_references(head.objects)
        self._read_images()
        if not self.run.dry_run:
            db.session.commit()

        live_before = self.writer.live_item_ids()
        seen: set[str] = set()

        def fetch_counts() -> Any:
            return self.client.batch_retrieve_inventory_counts(None, location_ids=[self.location_id],
                                                               states=["IN_STOCK"])

        # The stock counts are read while the items are written (applied after them, and a count
        # older than one a webhook wrote meanwhile is ignored), as the next item page is.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-stock") as pool:
            counts_ahead = pool.submit(fetch_counts)
            latest = None
            for fetched in self._item_pages():
                if latest is None and counts_ahead.done() and counts_ahead.exception() is None:
                    latest = latest_counts(counts_ahead.result())
                    self.writer.stock_on_hand = quantities_at(latest, self.location_id)
                outcome = self.writer.apply_mapped(fetched.page)
                seen.update(outcome.seen_ids)
                self._record_page(outcome, fetched.objects, fetched.cursor)
            self._check_failures(final=True)
            if latest is None:
                try:
                    counts = counts_ahead.result()
                except RESUMABLE:
                    counts = self._resumable(fetch_counts)
                latest = latest_counts(counts)

        missing = live_before - seen
        self.run.items_deleted += self.writer.mark_deleted(missing)
        stock = apply_latest_counts(latest, dry_run=self.run.dry_run)
        self.run.stock_updates += stock.updated
        if not self.run.dry_run:
            refresh_item_stock(self.location_id)
            state = sync_state()
            state.latest_time = latest_time or state.latest_time
            state.last_full_sync_at = utcnow()
            catalog_revision.bump()
        self.run.latest_time = latest_time

    def _read_references(self, sample: list[dict[str, Any]]) -> None:
        """Categories (as genres), item options and custom attribute definitions: stored for re-maps
        and set up, with the field mapping (detected from ``sample`` on a first sync), for the items."""
        references: list[dict[str, Any]] = []
        cursor: str | None = None
        trail = CursorTrail("ListCatalog (categories, options, attribute definitions)")
        while True:
            page = self._resumable(lambda c=cursor: self.client.list_catalog(
                cursor=c, types=",".join(CatalogContext.REFERENCE_TYPES)))
            self.writer.apply_categories(page.objects)
            references.extend(page.objects)
            cursor = trail.follow(page.cursor)
            if not cursor:
                break
        store_references(references, dry_run=self.run.dry_run)
        if not self.run.dry_run:  # what the ECS no longer has is gone
            live = {str(o.get("id")) for o in references if not o.get("is_deleted")}
            db.session.execute(delete(EcsReference).where(EcsReference.ecs_id.not_in(live)) if live
                               else delete(EcsReference))
        context = CatalogContext.from_objects(references)
        self.writer.mapper = shop_mapper(mapping_for_sync(context, sample, dry_run=self.run.dry_run), context)
        # Items whose object is stored and unchanged are not serialised again (a re-sync's work).
        self.writer.mapper.stored_versions = dict(db.session.execute(
            select(Item.ecs_id, Item.ecs_version).where(Item.ecs_object != "")).all())

    def _read_images(self) -> None:
        """Every IMAGE object's URL, read before the items that refer to them (they may come later
        in ListCatalog's order): a few dozen bytes each, kept in memory for the run."""
        cursor: str | None = None
        while True:
            page = self._resumable(lambda c=cursor: self.client.list_catalog(cursor=c, types="IMAGE"))
            self.writer.remember_images(page.objects)
            cursor = page.cursor
            if not cursor:
                return

    @property
    def page_delay(self) -> float:
        return float(self.cfg["SYNC_PAGE_DELAY_SECONDS"] or 0)

    def _item_pages(self) -> Iterator[FetchedPage]:
        """The ITEM pages of ListCatalog in order, mapped; the next page is read while this one is
        written — by a forked process (:mod:`storefront.sync.fetcher`) where the platform has
        ``fork`` and ``SYNC_FETCH_PROCESS`` is on, else by a thread. If the process stops, the
        pages from where it stopped are read here."""
        if self.page_delay or not self.cfg["SYNC_FETCH_PROCESS"] or not fork_available():
            yield from self._item_pages_here(None)
            return
        for message in fetch_in_child(partial(build_client, self.cfg), self.location_id or None, self.writer.mapper):
            if isinstance(message, FetchStopped):
                log.warning("sync #%s: the fetch process stopped (%s); reading on in this process",
                            self.run.id, message.reason)
                yield from self._item_pages_here(message.cursor)
                return
            yield message

    def _item_pages_here(self, cursor: str | None) -> Iterator[FetchedPage]:
        """The pages from ``cursor`` on, read in this process; the next one by a helper thread.

        The thread touches no database; if its read fails in a resumable way (rate limited, 5xx,
        unreachable), the page is read again here through :meth:`_resumable`. With
        ``SYNC_PAGE_DELAY_SECONDS`` set, pages are read one at a time with the pause between them,
        as the setting asks.
        """
        def fetch(cursor: str | None) -> Any:
            return self.client.list_catalog(cursor=cursor, types="ITEM")

        delay = self.page_delay
        trail = CursorTrail("ListCatalog (items)")
        trail.follow(cursor)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-prefetch") as pool:
            page = self._resumable(lambda: fetch(cursor))
            while True:
                cursor = trail.follow(page.cursor)
                ahead = pool.submit(fetch, cursor) if cursor and not delay else None
                yield FetchedPage(map_item_page(page.objects, self.location_id or None, self.writer.mapper),
                                  len(page.objects), cursor)
                if not cursor:
                    return
                if ahead is None:
                    self.sleep(delay)
                    page = self._resumable(lambda c=cursor: fetch(c))
                    continue
                try:
                    page = ahead.result()
                except RESUMABLE:
                    page = self._resumable(lambda c=cursor: fetch(c))

    # incremental ----------------------------------------------------------------------
    def _incremental(self) -> None:
        state = sync_state()
        begin_time = state.latest_time
        latest_time = begin_time
        cursor: str | None = None
        trail = CursorTrail("SearchCatalogObjects")
        touched_items: set[int] = set()
        changed_variation_ids: set[str] = set()
        context = stored_context()
        mapping = mapping_for_sync(context, stored_items(MAPPING_SAMPLE), dry_run=self.run.dry_run)
        self.writer.mapper = shop_mapper(mapping, context)
        references_changed = False
        while True:
            page = self._resumable(lambda c=cursor: self.client.search_catalog_objects(
                begin_time=begin_time, object_types=["ITEM", "ITEM_VARIATION", "IMAGE",
                                                     *CatalogContext.REFERENCE_TYPES],
                include_deleted_objects=True, include_related_objects=True, cursor=c))
            objects = page.objects
            self.writer.remember_images([*page.related_objects, *objects])
            self.writer.apply_categories(o for o in objects if o.get("type") == "CATEGORY")
            references_changed = self._take_references(objects, mapping, context) or references_changed
            outcome = self.writer.apply_items(o for o in objects if o.get("type") == "ITEM")
            touched_items |= outcome.touched_item_ids
            _count, variation_items, failures = self.writer.apply_variations(
                o for o in objects if o.get("type") == "ITEM_VARIATION")
            outcome.updated += len(variation_items - outcome.touched_item_ids)
            outcome.failures.extend(failures)
            touched_items |= variation_items
            for obj in objects:
                if obj.get("type") == "ITEM_VARIATION":
                    changed_variation_ids.add(str(obj["id"]))
                for variation in (obj.get("item_data") or {}).get("variations") or []:
                    changed_variation_ids.add(str(variation.get("id")))
            latest_time = later_time(latest_time, page.latest_time)  # as instants, not strings
            cursor = trail.follow(page.cursor)
            self._record_page(outcome, len(objects), cursor)
            if not cursor:
                break
        self._check_failures(final=True)
        self.writer.refresh_item_prices(touched_items)
        if changed_variation_ids:
            # Only counts the ECS confirms are written; a failed read leaves stock untouched.
            counts = self._resumable(lambda: self.client.batch_retrieve_inventory_counts(
                sorted(changed_variation_ids), location_ids=[self.location_id], states=["IN_STOCK"]))
            stock = apply_inventory_counts(counts, dry_run=self.run.dry_run)
            self.run.stock_updates += stock.updated
            touched_items |= set(stock.item_ids)
        if not self.run.dry_run:
            refresh_item_stock(self.location_id, touched_items)
            state.latest_time = latest_time
            if references_changed:
                state.remap_requested = True
            if touched_items:
                catalog_revision.bump()
            else:
                catalog_revision.forget()  # no change here, but this process reads the revision afresh after any run
        self.run.latest_time = latest_time

    def _take_references(self, objects: list[dict[str, Any]], mapping: FieldMapping, context: CatalogContext) -> bool:
        """Store the options, definitions and categories among ``objects`` and map the items after
        them with the change; True if any changed (the items already stored are re-mapped later)."""
        references = [o for o in objects if o.get("type") in CatalogContext.REFERENCE_TYPES]
        if not (references and store_references(references, dry_run=self.run.dry_run)):
            return False
        context.add(references)
        self.writer.mapper = shop_mapper(mapping, context)
        return True

    # bookkeeping ----------------------------------------------------------------------
    def _record_page(self, outcome: PageOutcome, objects: int, cursor: str | None) -> None:
        run = self.run
        run.pages += 1
        run.objects_seen += objects
        run.items_seen += outcome.seen
        run.items_created += outcome.created
        run.items_updated += outcome.updated
        run.items_unchanged += outcome.unchanged
        run.items_deleted += outcome.deleted
        if outcome.failures:
            run.failures_count += len(outcome.failures)
            room = MAX_STORED_FAILURES - len(run.failures or [])
            if room > 0:
                run.failures = [*(run.failures or []), *outcome.failures[:room]]
        run.cursor = cursor
        run.heartbeat_at = utcnow()
        self._check_failures(final=False)
        if self._analyze_at and cursor and not run.dry_run and run.items_created >= self._analyze_at:
            # A sync into an empty or small catalog: the planner's statistics still say the tables
            # are tiny, and PostgreSQL keeps a sequential-scan plan for the per-page lookups (the
            # driver prepares them after five pages): 5–10 ms each by a few thousand items. Fresh
            # statistics at 1,000, 10,000, 100,000 … new items replan them; the last page is
            # followed by the full sync's own ANALYZE. (SQLite plans these lookups by their unique
            # index whatever its statistics say.)
            refresh_planner_statistics(in_transaction=True)
            self._analyze_at = run.items_created * 10
        # Progress (and the pages written so far) is committed at most every PROGRESS_COMMIT_SECONDS:
        # watchers poll about once a second, and a commit per 100-item page was a fifth of the work.
        now = time.monotonic()
        if cursor is None or now - self._committed_at >= PROGRESS_COMMIT_SECONDS:
            db.session.commit()
            self._committed_at = now
        if self.progress:
            self.progress(run)

    def _check_failures(self, *, final: bool) -> None:
        run = self.run
        threshold = float(self.cfg["SYNC_FAILURE_THRESHOLD"])
        if run.items_seen and (final or run.items_seen >= 100) and run.failures_count / run.items_seen > threshold:
            raise SyncAborted(
                f"Aborted: {run.failures_count} of {run.items_seen} items failed "
                f"({run.failures_count / run.items_seen:.1%} > {threshold:.0%}). Nothing more was written; "
                f"deletions were not applied. See the failures list for reasons.")

    def _resumable(self, call: Callable[[], T]) -> T:
        """Call the ECS; when it keeps rate-limiting or failing, wait and resume instead of giving up."""
        attempts = int(self.cfg["SYNC_RESUME_ATTEMPTS"])
        delay = float(self.cfg["SYNC_RESUME_BACKOFF_SECONDS"])
        for attempt in range(attempts + 1):
            try:
                return call()
            except RESUMABLE as exc:
                if attempt >= attempts:
                    raise
                wait = min(60.0, delay * 2**attempt) * (0.5 + random.random() / 2)
                log.warning("sync #%s: %s; resuming in %.1fs", self.run.id, type(exc).__name__, wait)
                self.run.heartbeat_at = utcnow()
                db.session.commit()
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _summary(self) -> str:
        r = self.run
        prefix = "Dry run — would have: " if r.dry_run else ""
        return (f"{prefix}{r.items_created} created, {r.items_updated} updated, {r.items_deleted} deleted, "
                f"{r.items_unchanged} unchanged, {r.stock_updates} stock changes, {r.failures_count} failures.")

    def _finish(self, status: str, message: str) -> None:
        run = self.run
        run.status, run.message, run.finished_at, run.active = status, message[:2000], utcnow(), None
        db.session.commit()


def execute_run(run_id: int, **kwargs: Any) -> SyncRun:
    run = db.session.get(SyncRun, run_id)
    if run is None:
        raise LookupError(f"sync run {run_id} does not exist")
    if run.status != "queued":
        return run  # already handled (a retried or duplicated job)
    return SyncRunner(run, **kwargs).execute()


MAX_COALESCED_RUNS = 20  # follow-up incremental runs one job takes on (the next webhook starts a new job)


def run_pending_incrementals() -> str:
    """Run the coalesced incremental sync while one is wanted: the catalog may change again during a
    run, and the follow-up cannot be queued as a new job while this one (same job id) still runs —
    so the job itself takes it on. Returns the last run's status, or why nothing ran."""
    status = ""
    for _ in range(MAX_COALESCED_RUNS):
        run, reason = claim_pending_incremental()
        if run is None:
            return status or reason
        status = execute_run(run.id).status
    return status
