"""A Discogs API client over ``requests``: only ever https://api.discogs.com, rate limited on the client side
(moving window, plus the server's ``X-Discogs-Ratelimit-Remaining``), bounded retries on 429/5xx, a short TTL cache."""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Callable
from typing import Any, Self
from urllib.parse import urlsplit

import requests

from storefront.discogs import parse
from storefront.discogs.cache import TTLCache
from storefront.discogs.errors import (
    DiscogsAuthError,
    DiscogsError,
    DiscogsInvalidRequest,
    DiscogsNotConfigured,
    DiscogsNotFound,
    DiscogsRateLimited,
    DiscogsTimeout,
    DiscogsUnavailable,
)
from storefront.discogs.limits import MovingWindowLimiter
from storefront.discogs.types import Label, Master, Release, SearchResults

log = logging.getLogger("storefront.discogs")

API_HOST = "api.discogs.com"
API_BASE = f"https://{API_HOST}"
ACCEPT = "application/vnd.discogs.v2.discogs+json"
AUTHENTICATED_LIMIT = 60  # requests per moving 60 s window, per Discogs' documentation
ANONYMOUS_LIMIT = 25
RATE_WINDOW = 60.0
SEARCH_TYPES = frozenset({"release", "master", "artist", "label"})
MAX_CRITERION_LENGTH = 200
MAX_PER_PAGE = 100
MAX_PAGE = 1000
MAX_ID = 2**31 - 1
# The connection dropped or the answer broke off: worth a bounded retry. A timeout is not retried.
RETRYABLE_ERRORS = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)

CacheKey = tuple[str, tuple[tuple[str, str], ...]]


def api_url(path: str, base: str = API_BASE) -> str:
    """``path`` on the Discogs API host (or the sandbox the client was built for); anything that would
    land elsewhere raises ``DiscogsError``."""
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//") or "\\" in path:
        raise DiscogsError(f"refusing to request {path!r}: not a Discogs API path")
    allowed = urlsplit(base)
    url = base + path
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise DiscogsError(f"refusing to request {url!r}") from exc
    if (parts.scheme, parts.netloc, parts.hostname, port) != (allowed.scheme, allowed.netloc, allowed.hostname,
                                                             allowed.port):
        raise DiscogsError(f"refusing to request {url!r}: only {base} is allowed")
    return url


def api_base_of(value: str | None) -> str:
    """The API root a client talks to: Discogs itself by default, or a local sandbox (``http://127.0.0.1:…``).
    Anything else that is not plain https is refused, so a token never travels in clear text."""
    if not value:
        return API_BASE
    base = value.rstrip("/")
    try:
        parts = urlsplit(base)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as exc:
        raise ValueError(f"not a URL: {value!r}") from exc
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme not in (("http", "https") if local else ("https",)) or not parts.hostname \
            or parts.username or parts.password or parts.query or parts.fragment or parts.path:
        raise ValueError(f"the Discogs API root must be https://host (or http on this machine), not {value!r}")
    return base


def _check_id(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise DiscogsInvalidRequest(f"{what} id must be a positive integer, not {value!r}")
    return value


def _criterion(name: str, value: object) -> str | None:
    """A search field, stripped; None when empty. Too long, not text, or with control characters → refused."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise DiscogsInvalidRequest(f"search {name} must be a string")
    value = value.strip()
    if len(value) > MAX_CRITERION_LENGTH:
        raise DiscogsInvalidRequest(f"search {name} is longer than {MAX_CRITERION_LENGTH} characters")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise DiscogsInvalidRequest(f"search {name} contains control characters")
    return value or None


class DiscogsClient:
    """Discogs database lookups for the storefront. Thread-safe; share one per process.

    ``token`` is a Discogs personal access token (None: unauthenticated, 25 requests/min, no search).
    ``rate_limit`` overrides the per-window budget (60 with a token, 25 without): lower it when several
    processes share one IP, since Discogs counts per IP/token and this limiter is per client.
    ``max_wait`` (seconds) bounds how long one call may wait on the limiter before ``DiscogsRateLimited``;
    None waits as long as needed (right for jobs; a web view may want a few seconds)."""

    def __init__(self, token: str | None, *, user_agent: str, timeout: float = 10.0,
                 session: requests.Session | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, cache_ttl: float = 300, cache_size: int = 256,
                 max_retries: int = 3, rate_limit: int | None = None, rate_window: float = RATE_WINDOW,
                 backoff_base: float = 2.0, backoff_cap: float = 30.0, max_wait: float | None = None,
                 api_base: str | None = None, limiter: MovingWindowLimiter | None = None) -> None:
        token = token.strip() if isinstance(token, str) else None
        if token and any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in token):
            raise ValueError("Discogs token contains whitespace or control characters")
        if not isinstance(user_agent, str) or not user_agent.strip() or any(ch in user_agent for ch in "\r\n\0"):
            raise ValueError("Discogs requires a descriptive User-Agent, e.g. 'MyShop/1.0 +https://shop.example'")
        self._token = token or None
        self.api_base = api_base_of(api_base)
        self.user_agent = user_agent.strip()
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._owns_session = session is None
        self.session = session or requests.Session()
        limit = rate_limit or (AUTHENTICATED_LIMIT if self._token else ANONYMOUS_LIMIT)
        # A shared limiter (``limits.shared_limiter``) gives every client of one token one budget.
        self.limiter = limiter or MovingWindowLimiter(limit, rate_window, clock=clock, sleep=sleep)
        self.cache: TTLCache[CacheKey, dict[str, Any]] = TTLCache(cache_ttl, cache_size, clock=clock)

    def fetch_image(self, url: str, *, max_bytes: int) -> bytes:
        """The bytes of a Discogs image (i.discogs.com): one GET with this client's User-Agent, no
        redirects, refused past ``max_bytes``; DiscogsError when it cannot be had."""
        try:
            with self.session.get(url, headers={"User-Agent": self.user_agent}, timeout=self.timeout,
                                  stream=True, allow_redirects=False) as response:
                if response.status_code != 200:
                    raise DiscogsError(f"Discogs answered {response.status_code} for an image")
                data = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    data += chunk
                    if len(data) > max_bytes:
                        raise DiscogsError("The Discogs image is larger than the shop accepts")
                return bytes(data)
        except requests.RequestException as exc:
            raise DiscogsError(f"The Discogs image could not be fetched ({type(exc).__name__})") from None

    @property
    def configured(self) -> bool:
        """Whether a token is set (search needs one)."""
        return self._token is not None

    def close(self) -> None:
        """Close the session if this client created it."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<DiscogsClient configured={self.configured} limit={self.limiter.limit}/{self.limiter.window:g}s>"

    # endpoints ----------------------------------------------------------------------------
    def search(self, *, q: str | None = None, catno: str | None = None, barcode: str | None = None,
               artist: str | None = None, title: str | None = None, type: str | None = "release",
               per_page: int = 25, page: int = 1) -> SearchResults:
        """GET /database/search (needs a token). At least one of q, catno, barcode, artist, title."""
        if not self.configured:
            raise DiscogsNotConfigured("Discogs search needs a token (DISCOGS_TOKEN)")
        criteria = [("q", q), ("artist", artist), ("title", title), ("catno", catno), ("barcode", barcode)]
        params = [(name, text) for name, value in criteria if (text := _criterion(name, value)) is not None]
        if not params:
            raise DiscogsInvalidRequest("search needs at least one of q, catno, barcode, artist, title")
        if type is not None:
            if type not in SEARCH_TYPES:
                raise DiscogsInvalidRequest(f"search type must be one of {sorted(SEARCH_TYPES)}")
            params.append(("type", type))
        for name, number, top in (("per_page", per_page, MAX_PER_PAGE), ("page", page, MAX_PAGE)):
            if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= top:
                raise DiscogsInvalidRequest(f"search {name} must be an integer from 1 to {top}")
            params.append((name, str(number)))
        return parse.search_results(self._get("/database/search", params))

    def release(self, release_id: int) -> Release:
        """GET /releases/{id}, normalized."""
        return parse.release(self._get(f"/releases/{_check_id(release_id, 'release')}"))

    def master(self, master_id: int) -> Master:
        """GET /masters/{id}, normalized."""
        return parse.master(self._get(f"/masters/{_check_id(master_id, 'master')}"))

    def label(self, label_id: int) -> Label:
        """GET /labels/{id}, normalized."""
        return parse.label(self._get(f"/labels/{_check_id(label_id, 'label')}"))

    # transport ----------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {"User-Agent": self.user_agent, "Accept": ACCEPT}
        if self._token:
            headers["Authorization"] = f"Discogs token={self._token}"
        return headers

    def _get(self, path: str, params: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        """A cached GET: a fresh-enough earlier answer, else one from Discogs."""
        key: CacheKey = (path, tuple(sorted(params or [])))
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        body = self._fetch(path, params or [])
        self.cache.set(key, body)
        return body

    def _fetch(self, path: str, params: list[tuple[str, str]]) -> dict[str, Any]:
        """One GET through the limiter, retried (bounded) on 429, 5xx and dropped connections."""
        return self._send("GET", path, params)

    def _send(self, method: str, path: str, params: list[tuple[str, str]] | None = None,
              body: dict[str, Any] | None = None, *, idempotent: bool = True) -> dict[str, Any]:
        """One request through the limiter. 429 is always retried (Discogs did nothing); 5xx and dropped
        connections only when repeating the request is harmless (``idempotent``). 204 → ``{}``."""
        url = api_url(path, self.api_base)
        attempt = 0
        while True:
            self.limiter.acquire(self.max_wait)
            try:
                response = self.session.request(method, url, params=params or None, json=body,
                                                headers=self._headers(), timeout=self.timeout,
                                                allow_redirects=False)
            except requests.Timeout as exc:
                raise DiscogsTimeout(f"{method} {path}: Discogs did not answer in {self.timeout:g}s") from exc
            except RETRYABLE_ERRORS as exc:
                delay = self._retry_delay(attempt, None) if idempotent else None
                if delay is None:
                    raise DiscogsUnavailable(f"{method} {path}: no answer from Discogs ({type(exc).__name__})") \
                        from exc
                self._pause(delay, attempt, f"{method} {path}: {type(exc).__name__}")
                attempt += 1
                continue
            except requests.RequestException as exc:
                raise DiscogsError(f"{method} {path}: {type(exc).__name__}") from exc
            with response:
                self._note_rate_headers(response)
                status = response.status_code
                if status == 429 or (status >= 500 and idempotent):
                    delay = self._retry_delay(attempt, response.headers.get("Retry-After"))
                    if delay is None:
                        raise self._error(response, path, method)
                    self._pause(delay, attempt, f"{method} {path}: {status}")
                    attempt += 1
                    continue
                if status not in (200, 201, 204):
                    raise self._error(response, path, method)
                if status == 204 or not response.content:
                    return {}
                try:
                    answer = response.json()
                except ValueError as exc:
                    raise DiscogsError(f"{method} {path}: Discogs answered with invalid JSON", status=status) from exc
            if not isinstance(answer, dict):
                raise DiscogsError(f"{method} {path}: unexpected response shape", status=status)
            return answer

    def _note_rate_headers(self, response: requests.Response) -> None:
        """Discogs says no requests remain: hold everything back until its window has passed."""
        remaining = response.headers.get("X-Discogs-Ratelimit-Remaining")
        try:
            left = int(remaining) if remaining is not None else None
        except ValueError:
            left = None
        if left is not None and left <= 0:
            log.info("Discogs rate limit used up (%s of %s); pausing %.0fs",
                        response.headers.get("X-Discogs-Ratelimit-Used"),
                        response.headers.get("X-Discogs-Ratelimit"), self.limiter.window)
            self.limiter.pause(self.limiter.window)

    def _retry_delay(self, attempt: int, retry_after: str | None) -> float | None:
        """Seconds before retry ``attempt + 1`` (exponential, at least ``Retry-After``, capped), or None when
        no retry is left or it would take longer than ``max_wait``."""
        if attempt >= self.max_retries:
            return None
        delay = self.backoff_base * 2 ** min(attempt, 30)
        if retry_after is not None and retry_after.strip().isascii() and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after.strip()))
        delay = min(delay, self.backoff_cap)
        if self.max_wait is not None and delay > self.max_wait:
            return None
        return delay

    def _pause(self, delay: float, attempt: int, reason: str) -> None:
        log.info("Discogs %s; retry %d in %.1fs", reason, attempt + 1, delay)
        self._sleep(delay)

    @staticmethod
    def _error(response: requests.Response, path: str, method: str = "GET") -> DiscogsError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        detail = body.get("message") if isinstance(body, dict) else None
        message = f"{method} {path} → {status}: {detail if isinstance(detail, str) else response.reason or 'no detail'}"
        kind: type[DiscogsError]
        if 300 <= status < 400:
            kind, message = DiscogsError, f"{method} {path} → {status}: redirect not followed"
        elif status == 429:
            kind = DiscogsRateLimited
        elif status >= 500:
            kind = DiscogsUnavailable
        elif status in (401, 403):
            kind = DiscogsAuthError
        elif status == 404:
            kind = DiscogsNotFound
        elif status in (400, 422):
            kind = DiscogsInvalidRequest
        else:
            kind = DiscogsError
        return kind(message, status=status)
