"""A client for Shopify's REST Admin API (https://shopify.dev/docs/api/admin-rest), for one shop.

REST rather than GraphQL ``productSet``: one product with one variant per copy-set is all a record
shop needs, and REST's products / variants / inventory_levels / orders calls map onto the channel
seam one to one. Requests carry ``X-Shopify-Access-Token``; paths are ``/admin/api/{version}/….json``.
429 (Shopify's leaky bucket: 40 calls, 2 a second) is retried after ``Retry-After``; 5xx and dropped
connections only for calls that are safe to repeat (creating a product is not).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from storefront.shopify.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyInvalid,
    ShopifyNotFound,
    ShopifyRateLimited,
    ShopifyTimeout,
    ShopifyUnavailable,
)

log = logging.getLogger("storefront.shopify")
DEFAULT_VERSION = "2025-07"


class ShopifyClient:
    def __init__(self, base_url: str, access_token: str, *, api_version: str = DEFAULT_VERSION,
                 timeout: float = 10.0, session: requests.Session | None = None, max_retries: int = 3,
                 sleep: Callable[[float], None] = time.sleep, backoff_cap: float = 20.0) -> None:
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("the Shopify shop URL must be http(s)://host")
        if not access_token or any(ch.isspace() for ch in access_token):
            raise ValueError("the Shopify access token is missing or malformed")
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self._token = access_token
        self.timeout = timeout
        self.session = session or requests.Session()
        self.max_retries = max(0, max_retries)
        self._sleep = sleep
        self.backoff_cap = backoff_cap

    def __repr__(self) -> str:
        return f"<ShopifyClient {self.base_url} {self.api_version}>"

    # endpoints ----------------------------------------------------------------------------
    def shop(self) -> dict[str, Any]:
        return self._request("GET", "shop.json").get("shop") or {}

    def create_product(self, product: dict[str, Any]) -> dict[str, Any]:
        """POST products.json; the created product with its variants (ids, inventory_item_id)."""
        return self._request("POST", "products.json", body={"product": product}, idempotent=False)["product"]

    def update_product(self, product_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        return self._request("PUT", f"products/{int(product_id)}.json",
                             body={"product": {"id": int(product_id), **fields}})["product"]

    def update_variant(self, variant_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        return self._request("PUT", f"variants/{int(variant_id)}.json",
                             body={"variant": {"id": int(variant_id), **fields}})["variant"]

    def get_variant(self, variant_id: int) -> dict[str, Any] | None:
        try:
            return self._request("GET", f"variants/{int(variant_id)}.json")["variant"]
        except ShopifyNotFound:
            return None

    def delete_product(self, product_id: int) -> None:
        self._request("DELETE", f"products/{int(product_id)}.json")

    def set_inventory(self, inventory_item_id: int, location_id: int, available: int) -> dict[str, Any]:
        body = {"location_id": int(location_id), "inventory_item_id": int(inventory_item_id),
                "available": int(available)}
        return self._request("POST", "inventory_levels/set.json", body=body)["inventory_level"]

    def inventory_level(self, inventory_item_id: int, location_id: int) -> int | None:
        levels = self._request("GET", "inventory_levels.json", params={
            "inventory_item_ids": str(int(inventory_item_id)), "location_ids": str(int(location_id))})
        rows = levels.get("inventory_levels") or []
        return int(rows[0]["available"]) if rows and rows[0].get("available") is not None else None

    def orders(self, *, since_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
        params: dict[str, str] = {"status": "any", "limit": str(limit)}
        if since_id:
            params["since_id"] = str(int(since_id))
        return self._request("GET", "orders.json", params=params).get("orders") or []

    # transport ----------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, params: dict[str, str] | None = None,
                 body: dict[str, Any] | None = None, idempotent: bool = True) -> dict[str, Any]:
        url = f"{self.base_url}/admin/api/{self.api_version}/{path}"
        headers = {"X-Shopify-Access-Token": self._token, "Accept": "application/json"}
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                response = self.session.request(method, url, params=params, json=body, headers=headers,
                                                timeout=self.timeout, allow_redirects=False)
            except requests.Timeout:
                raise ShopifyTimeout(f"{method} {path}: Shopify did not answer in {self.timeout:g}s") from None
            except requests.ConnectionError:
                if last or not idempotent:
                    raise ShopifyUnavailable(f"{method} {path}: no answer from Shopify") from None
                self._sleep(min(self.backoff_cap, 2.0 ** attempt))
                continue
            with response:
                status = response.status_code
                if (status == 429 or (status >= 500 and idempotent)) and not last:
                    self._sleep(self._delay(response, attempt))
                    continue
                if status >= 300:
                    raise _error(method, path, response)
                return response.json() if response.content else {}
        raise ShopifyError(f"{method} {path}: no attempt made")  # (max_retries < 0 cannot happen)

    def _delay(self, response: requests.Response, attempt: int) -> float:
        raw = response.headers.get("Retry-After", "")
        try:
            wait = float(raw)
        except ValueError:
            wait = 2.0 ** attempt
        log.info("Shopify answered %s; retrying in %.1fs", response.status_code, wait)
        return min(self.backoff_cap, max(0.0, wait))


def _error(method: str, path: str, response: requests.Response) -> ShopifyError:
    status = response.status_code
    try:
        detail = response.json().get("errors")
    except (ValueError, AttributeError):
        detail = None
    message = f"{method} {path} → {status}: {detail if detail else response.reason or 'no detail'}"[:300]
    kinds: dict[int, type[ShopifyError]] = {401: ShopifyAuthError, 403: ShopifyAuthError, 404: ShopifyNotFound,
                                            400: ShopifyInvalid, 422: ShopifyInvalid, 429: ShopifyRateLimited}
    kind = kinds.get(status, ShopifyUnavailable if status >= 500 else ShopifyError)
    return kind(message, status=status)
