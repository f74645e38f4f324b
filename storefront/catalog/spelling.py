"""Typo tolerance for catalog search: a term that matches nothing is corrected to the closest word of
the catalog's artist names and titles (one edit: a letter missing, extra, wrong, or two swapped —
Damerau–Levenshtein distance 1), preferring the word most records use.

The vocabulary is read from the items table on both engines (one pass over artist and title),
kept per process and database, and rebuilt at most every ``REFRESH_SECONDS``; it is only consulted
when a search found nothing, so a good search never pays for it.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from storefront.extensions import db
from storefront.shops.context import current_shop_code

REFRESH_SECONDS = 300.0
MIN_LENGTH = 4  # shorter terms are too ambiguous to correct
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_LOCK = threading.Lock()


@dataclass
class Vocabulary:
    counts: Counter[str]
    built_at: float
    by_length: dict[int, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for word in self.counts:
            self.by_length.setdefault(len(word), []).append(word)


_CACHE: dict[str, Vocabulary] = {}


def _build() -> Vocabulary:
    from storefront.catalog.models import Item

    counts: Counter[str] = Counter()
    rows = db.session.execute(select(Item.artist, Item.title).where(Item.is_deleted.is_(False)))
    for artist, title in rows:
        counts.update(w for w in _WORD.findall(f"{artist} {title}".lower()) if len(w) >= MIN_LENGTH - 1)
    return Vocabulary(counts, time.monotonic())


def vocabulary() -> Vocabulary:
    key = f"{db.engine.url}#{current_shop_code()}"
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None and time.monotonic() - cached.built_at < REFRESH_SECONDS:
            return cached
    built = _build()
    with _LOCK:
        if len(_CACHE) > 32:  # one per database this process talks to; bounded all the same
            _CACHE.clear()
        _CACHE[key] = built
    return built


def forget() -> None:
    """Drop every cached vocabulary (tests; a catalog replaced wholesale)."""
    with _LOCK:
        _CACHE.clear()


def one_edit_apart(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by exactly one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        if a[i + 1:] == b[i + 1:]:
            return True  # one substitution
        return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]  # a swap
    return a[i:] == b[i + 1:]  # b has one extra letter


def correct(terms: Sequence[str]) -> list[str] | None:
    """``terms`` with each unknown word replaced by its closest catalog word; None if none changed."""
    vocab = vocabulary()
    corrected, changed = [], False
    for term in terms:
        word = term.lower()
        if len(word) < MIN_LENGTH or not word.isalpha() or word in vocab.counts:
            corrected.append(term)
            continue
        candidates = [w for n in (len(word) - 1, len(word), len(word) + 1)
                      for w in vocab.by_length.get(n, ()) if one_edit_apart(word, w)]
        if candidates:
            corrected.append(max(candidates, key=lambda w: (vocab.counts[w], w)))
            changed = True
        else:
            corrected.append(term)
    return corrected if changed else None
