"""A Square Connect v2 client over ``requests``: the calls the storefront needs, Square's wire format,
bounded retries with exponential backoff and full jitter on 429/5xx/connection errors."""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from json import dumps as json_dumps
from typing import Any, Self
from urllib.parse import quote

import requests

from storefront.ecs.errors import (
    ECSAuthError,
    ECSBadRequest,
    ECSConflict,
    ECSError,
    ECSNotFound,
    ECSRateLimited,
    ECSRepeatedCursor,
    ECSServerError,
    ECSUnavailable,
)

log = logging.getLogger("storefront.ecs")
USER_AGENT = "storefront/0.1 (+https://github.com/; Square Connect v2 client)"
INVENTORY_IDS_PER_REQUEST = 1000  # the spec's BatchRetrieveInventoryCounts `limit` maximum; ids are chunked to it
# No answer, or the answer broke off: the request may or may not have reached Square.
TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def instant_ns(value: str) -> int:
    """An RFC 3339 timestamp as nanoseconds since the epoch, so that ``…:16.5Z``, ``…:16.500000Z`` and
    ``…:18.5+02:00`` compare as the instants they are (strings do not); ``ValueError`` if malformed."""
    match = _RFC3339.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}")
    day, clock, fraction, zone = match.groups()
    zone = "+00:00" if zone in ("Z", "z") else zone
    whole = datetime.fromisoformat(f"{day}T{clock}{zone}")
    seconds = (whole - _EPOCH) // timedelta(seconds=1)
    return seconds * 1_000_000_000 + int((fraction or "")[:9].ljust(9, "0"))


def later_time(current: str | None, candidate: str | None) -> str | None:
    """The later of two RFC 3339 timestamps, compared as instants; an unreadable one never wins
    over a readable one, and ``current`` is kept when they are the same instant."""
    if not candidate:
        return current
    if not current:
        return candidate
    try:
        new = instant_ns(candidate)
    except ValueError:
        return current
    try:
        return candidate if new > instant_ns(current) else current
    except ValueError:
        return candidate


class CursorTrail:
    """The cursors one paged walk has followed; a cursor handed back twice ends the walk with
    :class:`ECSRepeatedCursor` instead of an endless loop."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._seen: set[str] = set()

    def follow(self, cursor: str | None) -> str | None:
        """``cursor`` (None at the end), after checking it was not followed before in this walk."""
        if cursor is None:
            return None
        if cursor in self._seen:
            raise ECSRepeatedCursor(f"{self.what}: the ECS returned a cursor it had already returned "
                                    f"(after {len(self._seen)} pages); stopping instead of looping")
        self._seen.add(cursor)
        return cursor


@dataclass(frozen=True)
class CatalogPage:
    """One ListCatalog page: Square's CatalogObjects as-is and the next cursor (None at the end)."""

    objects: list[dict[str, Any]]
    cursor: str | None


@dataclass(frozen=True)
class SearchCatalogPage:
    """One SearchCatalogObjects page; ``latest_time`` is the ``begin_time`` for the next delta sync."""

    objects: list[dict[str, Any]]
    related_objects: list[dict[str, Any]]
    cursor: str | None
    latest_time: str | None


@dataclass
class ClientStats:
    """HTTP attempts made (retries included) and retries taken; ``stats["requests"]`` works too."""

    requests: int = 0
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __getitem__(self, key: str) -> int:
        return int(getattr(self, key))


class SquareClient:
    """Square's REST API (or the bundled sandbox, which speaks the same wire format)."""

    def __init__(self, base_url: str, access_token: str, *, square_version: str = "2025-08-20",
                 timeout: float = 10.0, max_retries: int = 5, backoff_base: float = 0.25,
                 backoff_cap: float = 8.0, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, deadline: float | None = None) -> None:
        """``deadline``: the most one call may take in seconds, retries and waits included (a web
        request's budget); past it the call fails at once instead of waiting for another attempt."""
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.deadline = deadline
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep
        self.stats = ClientStats()
        self.session = session or requests.Session()
        self.session.headers.update({
            "Authorization": f"Bearer {access_token}",
            "Square-Version": square_version,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        })

    def close(self) -> None:
        """Close the underlying session (its pooled connections)."""
        self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # transport --------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                 json: dict[str, Any] | None = None, files: dict[str, Any] | None = None) -> dict[str, Any]:
        """One API call, retried on 429, 5xx and no answer.

        Retrying a POST is safe only because every POST we send is a read (SearchCatalogObjects,
        BatchRetrieveInventoryCounts), carries an idempotency key (BatchChangeInventory,
        CreatePaymentLink, RefundPayment, the catalog upserts, CreateCatalogImage), so Square applies it
        at most once, or
        is a delete that cannot apply twice (BatchDeleteCatalogObjects). A retried DELETE that
        already succeeded answers 404 (DeletePaymentLink) or deletes nothing more
        (DeleteCatalogObject), which callers treat as done. Never add a POST here without one."""
        url = f"{self.base_url}{path}"
        attempt = 0
        ends = time.monotonic() + self.deadline if self.deadline else None
        while True:
            with self.stats.lock:
                self.stats.requests += 1
            timeout = self.timeout if ends is None else max(0.05, min(self.timeout, ends - time.monotonic()))
            try:
                # multipart (``files``): requests writes the Content-Type with its boundary itself
                response = self.session.request(method, url, params=params, json=json, files=files,
                                                headers={"Content-Type": None} if files else None,
                                                timeout=timeout, allow_redirects=False)
            except TRANSIENT_ERRORS as exc:
                if attempt >= self.max_retries or not self._backoff(attempt, None, f"{method} {path}: "
                                                                    f"{type(exc).__name__}", ends):
                    raise ECSUnavailable(f"{method} {path}: no answer from the ECS ({type(exc).__name__})") from exc
                attempt += 1
                continue
            status = response.status_code
            if status == 429 or status >= 500:
                if attempt >= self.max_retries or not self._backoff(
                        attempt, response.headers.get("Retry-After"), f"{method} {path}: {status}", ends):
                    raise self._error(response, method, path)
                attempt += 1
                continue
            if status >= 300:
                raise self._error(response, method, path)
            try:
                body = response.json() if response.content else {}
            except ValueError as exc:
                raise ECSError(f"{method} {path}: the ECS answered with invalid JSON", status=status) from exc
            if not isinstance(body, dict):
                raise ECSError(f"{method} {path}: unexpected response shape", status=status)
            return body

    def _backoff(self, attempt: int, retry_after: str | None, reason: str, ends: float | None = None) -> bool:
        """Sleep before retry ``attempt + 1``: full jitter, at least ``Retry-After``, never over the cap.
        False (no sleep) when the wait would run past the call's deadline."""
        delay = random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** min(attempt, 30)))
        wait = _retry_after_seconds(retry_after)
        if wait is not None:
            delay = max(delay, min(self.backoff_cap, wait))
        if ends is not None and time.monotonic() + delay >= ends - 0.05:
            log.info("ECS %s; no retry: the %.1fs deadline would pass", reason, self.deadline or 0)
            return False
        with self.stats.lock:
            self.stats.retries += 1
        log.info("ECS %s; retry %d in %.2fs", reason, attempt + 1, delay)
        self.sleep(delay)
        return True

    @staticmethod
    def _error(response: requests.Response, method: str, path: str) -> ECSError:
        try:
            body = response.json()
        except ValueError:
            body = None
        raw = body.get("errors") if isinstance(body, dict) else None
        errors = [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []
        detail = "; ".join(str(e.get("detail") or e.get("code")) for e in errors) or response.reason or "no detail"
        message = f"{method} {path} → {response.status_code}: {detail}"
        status = response.status_code
        kind: type[ECSError]
        if status == 429:
            kind = ECSRateLimited
        elif status >= 500:
            kind = ECSServerError
        elif status in (401, 403):
            kind = ECSAuthError
        elif status == 404:
            kind = ECSNotFound
        elif status == 409:
            kind = ECSConflict
        elif status == 400:
            kind = ECSBadRequest
        else:
            kind = ECSError
        return kind(message, status=status, errors=errors)

    # catalog ----------------------------------------------------------------------------
    def list_catalog(self, *, cursor: str | None = None, types: str = "ITEM,CATEGORY") -> CatalogPage:
        """ListCatalog: one page (Square returns up to 100 objects)."""
        params: dict[str, Any] = {"types": types}
        if cursor:
            params["cursor"] = cursor
        body = self._request("GET", "/v2/catalog/list", params=params)
        return CatalogPage(list(body.get("objects") or []), body.get("cursor") or None)

    def iter_catalog(self, types: str = "ITEM,CATEGORY") -> Iterator[CatalogPage]:
        """Every ListCatalog page, following cursors."""
        cursor: str | None = None
        trail = CursorTrail("ListCatalog")
        while True:
            page = self.list_catalog(cursor=cursor, types=types)
            yield page
            cursor = trail.follow(page.cursor)
            if not cursor:
                return

    def search_catalog_objects(self, *, begin_time: str | None = None, object_types: Sequence[str] | None = None,
                               include_deleted_objects: bool = False, include_related_objects: bool = False,
                               cursor: str | None = None, limit: int | None = None) -> SearchCatalogPage:
        """SearchCatalogObjects: objects changed since ``begin_time``; returns ``latest_time``."""
        payload: dict[str, Any] = {"include_deleted_objects": include_deleted_objects,
                                   "include_related_objects": include_related_objects}
        if object_types:
            payload["object_types"] = list(object_types)
        if begin_time:
            payload["begin_time"] = begin_time
        if cursor:
            payload["cursor"] = cursor
        if limit:
            payload["limit"] = int(limit)
        body = self._request("POST", "/v2/catalog/search", json=payload)
        return SearchCatalogPage(list(body.get("objects") or []), list(body.get("related_objects") or []),
                                 body.get("cursor") or None, body.get("latest_time"))

    def retrieve_catalog_object(self, object_id: str, *, include_related_objects: bool = False) -> dict[str, Any]:
        """RetrieveCatalogObject: ``{"object": ..., "related_objects": [...]}``."""
        params = {"include_related_objects": "true" if include_related_objects else "false"}
        return self._request("GET", f"/v2/catalog/object/{quote(object_id, safe='')}", params=params)

    def upsert_catalog_object(self, idempotency_key: str, obj: dict[str, Any]) -> dict[str, Any]:
        """UpsertCatalogObject: ``{"catalog_object": ..., "id_mappings": [...]}``. A new object's id
        starts with ``#``; an update carries the object's current ``version``."""
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        return self._request("POST", "/v2/catalog/object", json={"idempotency_key": idempotency_key, "object": obj})

    def batch_upsert_catalog_objects(self, idempotency_key: str, objects: Sequence[dict[str, Any]], *,
                                     batch_size: int = 1000) -> dict[str, Any]:
        """BatchUpsertCatalogObjects in one request: ``{"objects", "id_mappings", "updated_at"}``.
        Objects go in batches of at most ``batch_size`` as Square counts them (an item's variations
        and an option's values count too); a ``#`` id is valid only inside its own batch, so keep an
        item next to what it refers to."""
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        batches: list[dict[str, Any]] = []
        size = batch_size
        for obj in objects:
            weight = 1 + len((obj.get("item_data") or {}).get("variations") or []) + len(
                (obj.get("item_option_data") or {}).get("values") or [])
            if size + weight > batch_size:
                batches.append({"objects": []})
                size = 0
            batches[-1]["objects"].append(obj)
            size += weight
        return self._request("POST", "/v2/catalog/batch-upsert",
                             json={"idempotency_key": idempotency_key, "batches": batches})

    def delete_catalog_object(self, object_id: str) -> list[str]:
        """DeleteCatalogObject: the ids deleted (an item's variations with it)."""
        body = self._request("DELETE", f"/v2/catalog/object/{quote(object_id, safe='')}")
        return list(body.get("deleted_object_ids") or [])

    def batch_delete_catalog_objects(self, object_ids: Sequence[str]) -> list[str]:
        """BatchDeleteCatalogObjects: the ids deleted."""
        body = self._request("POST", "/v2/catalog/batch-delete", json={"object_ids": list(object_ids)})
        return list(body.get("deleted_object_ids") or [])

    def create_catalog_image(self, idempotency_key: str, *, object_id: str | None, data: bytes, filename: str,
                             caption: str = "", is_primary: bool = False) -> dict[str, Any]:
        """CreateCatalogImage: upload a JPEG (multipart: the JSON ``request`` part and ``image_file``) as a
        CatalogImage, attached to ``object_id`` (an item or variation; appended unless ``is_primary``).
        Returns the new IMAGE CatalogObject, its ``image_data.url`` set by the ECS."""
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        request: dict[str, Any] = {"idempotency_key": idempotency_key, "is_primary": is_primary,
                                   "image": {"type": "IMAGE", "id": "#photo",
                                             "image_data": {"name": filename, "caption": caption[:255]}}}
        if object_id:
            request["object_id"] = object_id
        files = {"request": (None, json_dumps(request), "application/json; charset=utf-8"),
                 "image_file": (filename, data, "image/jpeg")}
        body = self._request("POST", "/v2/catalog/images", files=files)
        image = body.get("image")
        if not isinstance(image, dict):
            raise ECSError("POST /v2/catalog/images: no image in the answer")
        return image

    # inventory --------------------------------------------------------------------------
    def retrieve_inventory_count(self, catalog_object_id: str, *,
                                 location_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """RetrieveInventoryCount: every count of one variation, following cursors."""
        counts: list[dict[str, Any]] = []
        cursor: str | None = None
        trail = CursorTrail("RetrieveInventoryCount")
        while True:
            params: dict[str, Any] = {}
            if location_ids:
                params["location_ids"] = ",".join(location_ids)
            if cursor:
                params["cursor"] = cursor
            body = self._request("GET", f"/v2/inventory/{quote(catalog_object_id, safe='')}", params=params)
            counts.extend(body.get("counts") or [])
            cursor = trail.follow(body.get("cursor") or None)
            if not cursor:
                return counts

    def batch_retrieve_inventory_counts(self, catalog_object_ids: Sequence[str] | None, *,
                                        location_ids: Sequence[str] | None = None,
                                        states: Sequence[str] | None = None,
                                        updated_after: str | None = None) -> list[dict[str, Any]]:
        """BatchRetrieveInventoryCounts, following cursors; ``None`` ids = every count (by location)."""
        chunks: list[list[str] | None]
        if catalog_object_ids is None:
            chunks = [None]
        else:
            ids = list(dict.fromkeys(catalog_object_ids))
            if not ids:
                return []
            chunks = [ids[i:i + INVENTORY_IDS_PER_REQUEST] for i in range(0, len(ids), INVENTORY_IDS_PER_REQUEST)]
        counts: list[dict[str, Any]] = []
        for chunk in chunks:
            cursor: str | None = None
            trail = CursorTrail("BatchRetrieveInventoryCounts")
            while True:
                payload: dict[str, Any] = {"limit": 1000}
                if chunk is not None:
                    payload["catalog_object_ids"] = chunk
                if location_ids:
                    payload["location_ids"] = list(location_ids)
                if states:
                    payload["states"] = list(states)
                if updated_after:
                    payload["updated_after"] = updated_after
                if cursor:
                    payload["cursor"] = cursor
                body = self._request("POST", "/v2/inventory/counts/batch-retrieve", json=payload)
                counts.extend(body.get("counts") or [])
                cursor = trail.follow(body.get("cursor") or None)
                if not cursor:
                    break
        return counts

    def batch_change_inventory(self, idempotency_key: str, changes: list[dict[str, Any]], *,
                               ignore_unchanged_counts: bool = True) -> list[dict[str, Any]]:
        """BatchChangeInventory; the idempotency key makes a retried call apply once."""
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        body = self._request("POST", "/v2/inventory/changes/batch-create", json={
            "idempotency_key": idempotency_key, "changes": changes,
            "ignore_unchanged_counts": ignore_unchanged_counts})
        return list(body.get("counts") or [])

    # checkout and orders ----------------------------------------------------------------
    def create_payment_link(self, idempotency_key: str, *, order: dict[str, Any], redirect_url: str,
                            buyer_email: str | None = None, description: str | None = None,
                            shipping_fee: dict[str, Any] | None = None, buyer_address: dict[str, Any] | None = None,
                            ask_for_shipping_address: bool = False) -> dict[str, Any]:
        """CreatePaymentLink for an order; the same key returns the same link.

        ``shipping_fee`` is Square's ShippingFee ``{"name", "charge": Money}`` (Square adds it to the order
        as a service charge); ``buyer_address`` is a Square Address to prefill on the payment page.
        """
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        options: dict[str, Any] = {"redirect_url": redirect_url}
        if shipping_fee:
            options["shipping_fee"] = shipping_fee
        if ask_for_shipping_address:
            options["ask_for_shipping_address"] = True
        payload: dict[str, Any] = {"idempotency_key": idempotency_key, "order": order, "checkout_options": options}
        if description:
            payload["description"] = description
        prefill: dict[str, Any] = {}
        if buyer_email:
            prefill["buyer_email"] = buyer_email
        if buyer_address:
            prefill["buyer_address"] = buyer_address
        if prefill:
            payload["pre_populated_data"] = prefill
        return self._request("POST", "/v2/online-checkout/payment-links", json=payload)

    def calculate_order(self, order: dict[str, Any]) -> dict[str, Any]:
        """CalculateOrder: the ``order`` priced by the ECS (taxes, discounts, service charges, totals).

        A read with no side effects, so retrying it (see ``_request``) is safe without an idempotency key.
        """
        body = self._request("POST", "/v2/orders/calculate", json={"order": order})
        return body.get("order") or {}

    def delete_payment_link(self, link_id: str) -> dict[str, Any]:
        """DeletePaymentLink: ``{"id", "cancelled_order_id"?}``. Square cancels the link's order unless a
        payment was already attempted on it, so a missing ``cancelled_order_id`` means it may still be paid."""
        return self._request("DELETE", f"/v2/online-checkout/payment-links/{quote(link_id, safe='')}")

    def refund_payment(self, idempotency_key: str, *, payment_id: str, amount: int, currency: str,
                       reason: str | None = None) -> dict[str, Any]:
        """RefundPayment (whole or part of a COMPLETED payment); returns the PaymentRefund.

        The key (at most 45 characters, Square's limit here) makes a retried refund happen once.
        """
        if not idempotency_key or len(idempotency_key) > 45:
            raise ValueError("RefundPayment needs an idempotency key of 1-45 characters")
        payload: dict[str, Any] = {"idempotency_key": idempotency_key, "payment_id": payment_id,
                                   "amount_money": {"amount": amount, "currency": currency}}
        if reason:
            payload["reason"] = reason[:192]
        return self._request("POST", "/v2/refunds", json=payload).get("refund") or {}

    def get_payment_refund(self, refund_id: str) -> dict[str, Any]:
        """GetPaymentRefund; returns the PaymentRefund."""
        return self._request("GET", f"/v2/refunds/{quote(refund_id, safe='')}").get("refund") or {}

    def retrieve_order(self, order_id: str) -> dict[str, Any]:
        """RetrieveOrder; returns the ``order`` object."""
        body = self._request("GET", f"/v2/orders/{quote(order_id, safe='')}")
        return body.get("order") or {}

    def list_locations(self) -> list[dict[str, Any]]:
        """ListLocations (also the health probe)."""
        return list(self._request("GET", "/v2/locations").get("locations") or [])


def _retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
