"""The Discogs client against a fake api.discogs.com: a ``requests`` transport adapter serving the recorded
Discogs responses (``tests/reference/discogs``) by request path + query, on an injected clock. No network."""

from __future__ import annotations

import copy
import http
import itertools
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from storefront.discogs import (
    DiscogsAuthError,
    DiscogsClient,
    DiscogsError,
    DiscogsInvalidRequest,
    DiscogsNotConfigured,
    DiscogsNotFound,
    DiscogsRateLimited,
    DiscogsUnavailable,
    api_url,
)
from storefront.discogs.limits import MovingWindowLimiter
from storefront.discogs.parse import absolute_url
from tests.support import REFERENCE_DIR

UA = "StorefrontTests/0.1 +https://example.test/storefront"
TOKEN = "fixture-token-123"


def fixtures_dir() -> Path:
    """The recorded responses: ``tests/reference/discogs`` (see tests/reference/README.md)."""
    return REFERENCE_DIR / "discogs"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((fixtures_dir() / f"{name}.json").read_text(encoding="utf-8"))


def fixture_name(path: str, query: list[tuple[str, str]]) -> str:
    """The recorded file's name for a request: path and query with ``/ ? & =`` turned into ``_``."""
    raw = path.lstrip("/") + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
    for ch in "/?&=":
        raw = raw.replace(ch, "_")
    return raw


class FakeClock:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds


@dataclass
class Seen:
    """One request as the fake received it."""

    method: str
    url: str
    host: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    at: float


@dataclass
class Reply:
    """A scripted response."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


class FakeDiscogs(BaseAdapter):
    """Stands in for api.discogs.com. Scripted replies (or exceptions) go first; then fixture files by name
    (``overrides`` replace a fixture's body); anything else is a Discogs-style 404."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.seen: list[Seen] = []
        self.script: list[Reply | Exception] = []
        self.overrides: dict[str, Any] = {}
        self.headers: dict[str, str] = {}

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        parts = urlsplit(request.url or "")
        query = parse_qsl(parts.query, keep_blank_values=True)
        self.seen.append(Seen(request.method or "", request.url or "", parts.hostname or "", parts.path, query,
                              dict(request.headers), self.clock()))
        if self.script:
            item = self.script.pop(0)
            if isinstance(item, Exception):
                raise item
            return self._response(request, item)
        if parts.hostname != "api.discogs.com":
            return self._response(request, Reply(418, {"message": "the fake only serves api.discogs.com"}))
        for order in itertools.permutations(query):
            name = fixture_name(parts.path, list(order))
            if name in self.overrides:
                return self._response(request, Reply(200, self.overrides[name], dict(self.headers)))
            if (fixtures_dir() / f"{name}.json").is_file():
                return self._response(request, Reply(200, fixture(name), dict(self.headers)))
        return self._response(request, Reply(404, {"message": "The requested resource was not found."}))

    def close(self) -> None:
        pass

    @staticmethod
    def _response(request: requests.PreparedRequest, reply: Reply) -> requests.Response:
        response = requests.Response()
        response.status_code = reply.status
        response.reason = http.HTTPStatus(reply.status).phrase
        response._content = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json", **reply.headers})
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response


@dataclass
class Rig:
    client: DiscogsClient
    fake: FakeDiscogs
    clock: FakeClock


def rig(token: str | None = TOKEN, **options: Any) -> Rig:
    clock = FakeClock()
    fake = FakeDiscogs(clock)
    session = requests.Session()
    session.mount("https://", fake)
    session.mount("http://", fake)
    client = DiscogsClient(token, user_agent=UA, session=session, clock=clock, sleep=clock.sleep, **options)
    return Rig(client, fake, clock)


def within_window(stamps: list[float], limit: int, window: float) -> bool:
    """No ``limit + 1`` stamps inside any ``window`` seconds."""
    stamps = sorted(stamps)
    return all(stamps[i + limit] - stamps[i] >= window for i in range(len(stamps) - limit))


# search ---------------------------------------------------------------------------------
def test_search_by_query_parses_the_recorded_page() -> None:
    r = rig()
    page = r.client.search(q="trash80", type=None, per_page=50)
    assert (page.page, page.pages, page.items, page.per_page) == (1, 1, 13, 50)
    assert len(page.results) == 13
    assert r.fake.seen[0].path == "/database/search"
    assert sorted(r.fake.seen[0].query) == [("page", "1"), ("per_page", "50"), ("q", "trash80")]

    artist = page.results[0]
    assert (artist.id, artist.type, artist.title, artist.thumb, artist.year) == (95780, "artist", "Trash80", None, None)
    icarus = page.results[1]
    assert icarus.id == 1743771 and icarus.type == "release" and icarus.title == "Trash80 - Icarus"
    assert (icarus.year, icarus.country, icarus.catno) == (2008, "US", "8BP086")
    assert icarus.formats == ["CDr"] and icarus.labels == ["8bitpeoples"]
    assert icarus.genres == ["Electronic"] and icarus.styles == ["Electro", "Chiptune"]
    assert icarus.thumb == "https://api.discogs.com/image/R-90-1743771-1272253277.gif"
    assert icarus.uri == "https://www.discogs.com/Trash80-Icarus/release/1743771"
    by_id = {hit.id: hit for hit in page.results}
    assert by_id[2674683].year is None  # no year in the record
    assert by_id[132406].country is None  # "" in the record
    assert by_id[1554411].formats == ["File", "CD"]


def test_search_by_artist_and_title() -> None:
    r = rig()
    page = r.client.search(artist="trash80", title="icarus", type=None, per_page=50)
    assert page.items == 13 and page.results[1].id == 1743771
    assert sorted(r.fake.seen[0].query) == [("artist", "trash80"), ("page", "1"), ("per_page", "50"),
                                            ("title", "icarus")]


def test_search_defaults_to_releases_and_reads_live_shaped_results() -> None:
    r = rig()
    r.fake.script.append(Reply(200, {
        "pagination": {"per_page": 25, "pages": 3, "page": 2, "items": 61, "urls": {}},
        "results": [{"id": 7589442, "type": "release", "title": "Blanck Mass - No Lite", "year": "2015",
                     "country": "US", "format": ["Vinyl", "12\""], "label": ["Sacred Bones Records", "Bonati"],
                     "catno": "SBR 143", "genre": ["Electronic"], "style": ["Techno"],
                     "thumb": "https://i.discogs.com/abc/R-7589442.jpeg", "cover_image": "http://i.discogs.com/c.jpg",
                     "uri": "/Blanck-Mass-No-Lite-/release/7589442",
                     "resource_url": "https://api.discogs.com/releases/7589442"},
                    {"title": "no id, skipped"}],
    }))
    page = r.client.search(catno="SBR 143", page=2)
    assert dict(r.fake.seen[0].query) == {"catno": "SBR 143", "type": "release", "per_page": "25", "page": "2"}
    assert (page.page, page.pages, page.items) == (2, 3, 61)
    [hit] = page.results
    assert hit.labels == ["Sacred Bones Records", "Bonati"] and hit.formats == ["Vinyl", "12\""]
    assert hit.thumb == "https://i.discogs.com/abc/R-7589442.jpeg"
    assert hit.cover_image == "https://i.discogs.com/c.jpg"  # upgraded to https


def test_search_needs_a_token() -> None:
    for token in (None, "", "   "):
        r = rig(token)
        assert not r.client.configured
        with pytest.raises(DiscogsNotConfigured):
            r.client.search(q="trash80")
        assert r.fake.seen == []
    assert rig().client.configured


@pytest.mark.parametrize("kwargs", [
    {},
    {"q": "   "},
    {"q": "x" * 201},
    {"q": "a\x00b"},
    {"barcode": "123\n456"},
    {"q": 42},
    {"q": "ok", "type": "everything"},
    {"q": "ok", "per_page": 0},
    {"q": "ok", "per_page": 101},
    {"q": "ok", "page": 0},
    {"q": "ok", "page": True},
])
def test_search_refuses_bad_input_before_sending(kwargs: dict[str, Any]) -> None:
    r = rig()
    with pytest.raises(DiscogsInvalidRequest) as raised:
        r.client.search(**kwargs)
    assert isinstance(raised.value, ValueError)
    assert r.fake.seen == []


# releases, masters, labels --------------------------------------------------------------
def test_release_1() -> None:
    release = rig().client.release(1)
    assert (release.id, release.title, release.year, release.country) == (1, "Stockholm", 1999, "Sweden")
    assert [a.name for a in release.artists] == ["Persuader, The"] and release.artists[0].id == 1
    assert [(lbl.name, lbl.catno, lbl.id) for lbl in release.labels] == [("Svek", "SK032", 5)]
    assert release.catalog_numbers == ["SK032"]
    assert release.genres == ["Electronic"] and release.styles == ["Deep House"]
    [fmt] = release.formats
    assert (fmt.name, fmt.qty, fmt.descriptions) == ("Vinyl", 2, ['12"'])
    assert [(t.position, t.title, t.duration) for t in release.tracklist] == [
        ("A", "Östermalm", "4:45"), ("B1", "Vasastaden", "6:11"), ("B2", "Kungsholmen", "2:49"),
        ("C1", "Södermalm", "5:38"), ("C2", "Norrmalm", "4:52"), ("D", "Gamla Stan", "5:16")]
    assert len(release.images) == 4
    primary = release.primary_image
    assert primary is not None and primary.type == "primary" and (primary.width, primary.height) == (600, 600)
    assert primary.uri == "https://api.discogs.com/image/R-1-1193812031.jpeg"
    assert primary.uri150 == "https://api.discogs.com/image/R-150-1-1193812031.jpeg"
    assert release.notes.startswith("Recorded at the Globe studio in Stockholm.") and "\r" not in release.notes
    assert release.released == "1999-03-00" and release.master_id == 5427
    assert release.uri is None  # the recording has none; live responses carry https://www.discogs.com/release/…


def test_release_79() -> None:
    release = rig().client.release(79)
    assert (release.title, release.year, release.released, release.master_id) == ("City Of Islands", 1998,
                                                                                   "1998-12-00", 4242)
    assert release.catalog_numbers == ["SK029"] and release.styles == ["Deep House", "Tech House"]
    assert [(f.name, f.qty, f.descriptions) for f in release.formats] == [("Vinyl", 1, ['12"'])]
    assert [t.position for t in release.tracklist] == ["A1", "A2", "B1", "B2"]
    assert release.tracklist[0].title == "Djurgårdsbron"
    # no "primary" image in this record: the first one stands in
    assert release.primary_image is not None and release.primary_image.type == "secondary"


def test_release_3329867_multiple_artists_and_track_credits() -> None:
    release = rig().client.release(3329867)
    assert release.title == "Darwinia Soundtrack" and release.country == "UK" and release.year == 2005
    assert [a.name for a in release.artists] == ["Trash80", "Dma-Sc"]
    assert release.artist_display == "Trash80 & Dma-Sc"
    assert release.labels[0].name == "Not On Label" and release.catalog_numbers == []  # "none" is a placeholder
    assert [(f.name, f.qty, f.descriptions, f.text) for f in release.formats] == [("File", 6, ["MP3", "Album"],
                                                                                   "320 kbps")]
    assert [a.name for a in release.tracklist[0].artists] == ["Dma-Sc"]
    assert release.master_id is None and release.notes == ""


def test_disambiguation_suffix_is_stripped_for_display_but_kept_raw() -> None:
    r = rig()
    body = fixture("releases_1")
    body["artists"] = [{"id": 9, "name": "Nirvana (2)", "join": ",", "anv": ""},
                       {"id": 10, "name": "Sonic Youth", "join": "", "anv": "S.Y."}]
    body["labels"][0]["name"] = "Svek (3)"
    r.fake.overrides["releases_1"] = body
    release = r.client.release(1)
    assert [(a.name, a.raw_name) for a in release.artists] == [("Nirvana", "Nirvana (2)"),
                                                               ("Sonic Youth", "Sonic Youth")]
    assert release.artist_display == "Nirvana, S.Y."
    assert (release.labels[0].name, release.labels[0].raw_name) == ("Svek", "Svek (3)")


def test_master_and_label() -> None:
    r = rig()
    master = r.client.master(4242)
    assert (master.title, master.year, master.main_release) == ("City Of Islands", 1998, 79)
    assert master.artist_display == "Persuader, The" and len(master.tracklist) == 4
    label = r.client.label(1)
    assert label.name == "Planet E" and len(label.images) == 5
    assert [(s.name, s.raw_name) for s in label.sublabels][0] == ("Antidote", "Antidote (4)")
    assert label.images[0].uri == "https://api.discogs.com/image/L-1-1111053865.png"
    assert [s.path for s in r.fake.seen] == ["/masters/4242", "/labels/1"]


def test_not_found() -> None:
    r = rig()
    with pytest.raises(DiscogsNotFound) as raised:
        r.client.release(999999)
    assert raised.value.status == 404 and "not found" in str(raised.value)
    with pytest.raises(DiscogsNotFound):
        r.client.release(999999)
    assert len(r.fake.seen) == 2  # errors are not cached


@pytest.mark.parametrize("bad", [0, -1, True, "1", 1.0, 2**31])
def test_ids_are_checked_before_sending(bad: Any) -> None:
    r = rig()
    with pytest.raises(DiscogsInvalidRequest):
        r.client.release(bad)
    assert r.fake.seen == []


# URLs -----------------------------------------------------------------------------------
def _live_shaped(body: Any) -> Any:
    """The recording as a live response would have it: every relative URL absolute on api.discogs.com."""
    if isinstance(body, dict):
        return {k: (f"https://api.discogs.com{v}" if isinstance(v, str) and v.startswith("/") and
                    k in ("uri", "uri150", "resource_url", "thumb") else _live_shaped(v)) for k, v in body.items()}
    if isinstance(body, list):
        return [_live_shaped(v) for v in body]
    return body


def test_relative_and_absolute_urls_normalize_alike() -> None:
    r = rig()
    relative = r.client.release(1)
    live = _live_shaped(copy.deepcopy(fixture("releases_1")))
    assert live["images"][0]["uri"] == "https://api.discogs.com/image/R-1-1193812031.jpeg"
    r.fake.overrides["releases_1"] = live
    r.client.cache.clear()
    absolute = r.client.release(1)
    assert absolute.images == relative.images and absolute.thumb == relative.thumb
    assert all(i.uri.startswith("https://api.discogs.com/image/") for i in absolute.images)


@pytest.mark.parametrize(("value", "expected"), [
    ("/image/R-1.jpeg", "https://api.discogs.com/image/R-1.jpeg"),
    ("https://api.discogs.com/image/R-1.jpeg", "https://api.discogs.com/image/R-1.jpeg"),
    ("https://i.discogs.com/x/R-1.jpeg?v=1", "https://i.discogs.com/x/R-1.jpeg?v=1"),
    ("http://img.discogs.com/R-1.jpeg", "https://img.discogs.com/R-1.jpeg"),
    ("https://evil.example/R-1.jpeg", None),
    ("https://discogs.com.evil.example/R-1.jpeg", None),
    ("//evil.example/R-1.jpeg", None),
    ("https://user@i.discogs.com/R-1.jpeg", None),
    ("https://i.discogs.com:8443/R-1.jpeg", None),
    ("javascript:alert(1)", None),
    ("data:image/png;base64,AAAA", None),
    ("", None),
    (None, None),
    (42, None),
])
def test_image_urls_are_absolutised_and_kept_on_discogs(value: Any, expected: str | None) -> None:
    assert absolute_url(value) == expected


def test_foreign_image_urls_in_a_response_are_dropped() -> None:
    r = rig()
    body = fixture("releases_79")
    body["images"][0]["uri"] = "https://evil.example/track.gif"
    body["thumb"] = "javascript:alert(1)"
    r.fake.overrides["releases_79"] = body
    release = r.client.release(79)
    assert release.images == [] and release.thumb is None


@pytest.mark.parametrize("path", [
    "https://evil.example/image.jpg",
    "https://i.discogs.com/image.jpg",
    "http://api.discogs.com/releases/1",
    "//evil.example/releases/1",
    "/\\evil.example/releases/1",
    "@evil.example/releases/1",
    "releases/1",
    "",
])
def test_only_the_api_host_is_ever_requested(path: str) -> None:
    r = rig()
    with pytest.raises(DiscogsError):
        api_url(path)
    with pytest.raises(DiscogsError):
        r.client._get(path)
    assert r.fake.seen == []
    assert api_url("/releases/1") == "https://api.discogs.com/releases/1"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_errors_not_followed(status: int) -> None:
    r = rig()
    r.fake.script.append(Reply(status, {}, {"Location": "https://evil.example/steal"}))
    with pytest.raises(DiscogsError) as raised:
        r.client.release(1)
    assert raised.value.status == status and "redirect" in str(raised.value)
    assert [s.host for s in r.fake.seen] == ["api.discogs.com"]


# headers --------------------------------------------------------------------------------
def test_auth_user_agent_and_accept_headers() -> None:
    r = rig()
    r.client.release(1)
    r.client.search(q="trash80", type=None, per_page=50)
    for seen in r.fake.seen:
        assert seen.host == "api.discogs.com" and seen.method == "GET"
        assert seen.headers["Authorization"] == f"Discogs token={TOKEN}"
        assert seen.headers["User-Agent"] == UA
        assert seen.headers["Accept"] == "application/vnd.discogs.v2.discogs+json"


def test_without_a_token_no_authorization_header_is_sent() -> None:
    r = rig(None)
    assert r.client.release(1).id == 1
    assert "Authorization" not in r.fake.seen[0].headers and r.fake.seen[0].headers["User-Agent"] == UA
    assert TOKEN not in repr(rig().client)


@pytest.mark.parametrize("user_agent", ["", "   ", "Shop/1.0\r\nX-Evil: 1"])
def test_a_descriptive_user_agent_is_required(user_agent: str) -> None:
    with pytest.raises(ValueError):
        DiscogsClient(TOKEN, user_agent=user_agent)


# cache ----------------------------------------------------------------------------------
def test_cache_hit_avoids_a_second_request_until_it_expires() -> None:
    r = rig(cache_ttl=300)
    first = r.client.release(1)
    assert r.client.release(1) == first
    assert len(r.fake.seen) == 1
    r.client.search(q="trash80", type=None, per_page=50)
    r.client.search(q="trash80", type=None, per_page=50)
    assert len(r.fake.seen) == 2
    r.clock.now += 301
    r.client.release(1)
    assert len(r.fake.seen) == 3


def test_cache_is_bounded() -> None:
    r = rig(cache_size=2)
    for release_id in (1, 79, 3329867):
        r.client.release(release_id)
    assert len(r.client.cache) == 2
    r.client.release(3329867)
    r.client.release(79)
    assert len(r.fake.seen) == 3
    r.client.release(1)  # evicted first
    assert len(r.fake.seen) == 4


# rate limiting --------------------------------------------------------------------------
def test_a_burst_never_exceeds_60_requests_in_any_60s_window() -> None:
    r = rig(cache_ttl=0)
    for _ in range(200):
        r.client.release(1)
    stamps = [s.at for s in r.fake.seen]
    assert len(stamps) == 200
    assert within_window(stamps, 60, 60.0)
    assert not within_window(stamps, 59, 60.0)  # and it does use the whole budget
    assert stamps[-1] - stamps[0] == pytest.approx(180.0)  # 4 windows' worth: 60 + 60 + 60 + 20


def test_without_a_token_the_budget_is_25_per_window() -> None:
    r = rig(None, cache_ttl=0)
    for _ in range(60):
        r.client.release(79)
    stamps = [s.at for s in r.fake.seen]
    assert within_window(stamps, 25, 60.0) and stamps[-1] - stamps[0] == pytest.approx(120.0)


def test_the_limiter_holds_across_threads() -> None:
    clock = FakeClock()
    limiter = MovingWindowLimiter(10, 60.0, clock=clock, sleep=clock.sleep)
    grants: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(15):
            granted = limiter.acquire()
            with lock:
                grants.append(granted)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(grants) == 120 and within_window(grants, 10, 60.0)


def test_max_wait_refuses_instead_of_waiting_long() -> None:
    r = rig(cache_ttl=0, rate_limit=2, max_wait=5)
    r.client.release(1)
    r.client.release(1)
    with pytest.raises(DiscogsRateLimited):
        r.client.release(1)
    assert len(r.fake.seen) == 2 and r.clock.sleeps == []


def test_remaining_zero_pauses_until_the_window_resets() -> None:
    r = rig(cache_ttl=0)
    r.fake.script.append(Reply(200, fixture("releases_1"), {"X-Discogs-Ratelimit": "60",
                                                             "X-Discogs-Ratelimit-Used": "60",
                                                             "X-Discogs-Ratelimit-Remaining": "0"}))
    r.client.release(1)
    r.client.release(1)
    first, second = (s.at for s in r.fake.seen)
    assert second - first >= 60.0


def test_remaining_above_zero_does_not_wait() -> None:
    r = rig(cache_ttl=0)
    r.fake.headers = {"X-Discogs-Ratelimit": "60", "X-Discogs-Ratelimit-Used": "1",
                      "X-Discogs-Ratelimit-Remaining": "59"}
    r.client.release(1)
    r.client.release(1)
    assert r.clock.sleeps == []


def test_429_backs_off_exponentially_then_succeeds() -> None:
    r = rig()
    r.fake.script += [Reply(429, {"message": "You are making requests too quickly."}), Reply(429, {})]
    assert r.client.release(1).title == "Stockholm"
    assert r.clock.sleeps == [2.0, 4.0]
    assert len(r.fake.seen) == 3


def test_429_honours_retry_after_within_the_cap() -> None:
    r = rig()
    r.fake.script += [Reply(429, {}, {"Retry-After": "7"}), Reply(429, {}, {"Retry-After": "3600"})]
    r.client.release(1)
    assert r.clock.sleeps == [7.0, 30.0]


def test_429_that_persists_gives_up_bounded() -> None:
    r = rig()
    r.fake.script += [Reply(429, {}) for _ in range(10)]
    with pytest.raises(DiscogsRateLimited) as raised:
        r.client.release(1)
    assert raised.value.status == 429
    assert r.clock.sleeps == [2.0, 4.0, 8.0] and len(r.fake.seen) == 4


def test_5xx_is_retried_bounded() -> None:
    r = rig()
    r.fake.script += [Reply(502, {}), Reply(503, {})]
    assert r.client.release(79).id == 79
    r = rig(max_retries=1)
    r.fake.script += [Reply(500, {}) for _ in range(5)]
    with pytest.raises(DiscogsUnavailable):
        r.client.release(79)
    assert len(r.fake.seen) == 2


def test_timeout_is_unavailable_without_retrying() -> None:
    r = rig()
    r.fake.script.append(requests.ReadTimeout("read timed out"))
    with pytest.raises(DiscogsUnavailable):
        r.client.release(1)
    assert len(r.fake.seen) == 1 and r.clock.sleeps == []


def test_a_dropped_connection_is_retried() -> None:
    r = rig()
    r.fake.script.append(requests.ConnectionError("connection reset"))
    assert r.client.release(1).id == 1
    assert len(r.fake.seen) == 2
    r = rig(max_retries=0)
    r.fake.script.append(requests.ConnectionError("connection refused"))
    with pytest.raises(DiscogsUnavailable):
        r.client.release(1)


def test_other_failures_are_typed() -> None:
    r = rig()
    r.fake.script.append(Reply(401, {"message": "You must authenticate to access this resource."}))
    with pytest.raises(DiscogsAuthError):
        r.client.release(1)
    r.fake.script.append(Reply(200, raw=b"<html>not json</html>"))
    with pytest.raises(DiscogsError):
        r.client.release(1)
    r.fake.script.append(Reply(200, ["not", "an", "object"]))
    with pytest.raises(DiscogsError):
        r.client.release(1)
    r.fake.script.append(Reply(200, {"title": "no id"}))
    with pytest.raises(DiscogsError):
        r.client.release(1)
