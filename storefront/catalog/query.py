"""The catalog query: filters, sort and page read from query args, validated field by field.

The page reads prices in major units ("12.50"); the API reads minor units (1250). A bad value is
reported as a ``FieldError`` and that field falls back to its default, so the page can show the
message beside still-useful results while the API answers 422.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from storefront.core.errors import FieldError, ValidationError

SORTS = ("relevance", "newest", "price_asc", "price_desc", "title")
SORT_LABELS = {"relevance": "Best match", "newest": "Newest", "price_asc": "Price: low to high",
               "price_desc": "Price: high to low", "title": "Title A–Z"}
KINDS = ("record", "event")
CONDITIONS = ("new", "used")
# The Goldmine scale, best first: a "minimum grade" keeps used copies graded this or better.
GRADES = ("M", "NM", "VG+", "VG", "G+", "G", "F", "P")
DEFAULT_LIMIT = 24
MAX_LIMIT = 100
MAX_PAGE = 10_000
MAX_QUERY_LENGTH = 200
MAX_VALUES = 20  # genre / format values per request
MAX_PRICE_MINOR = 100_000_000  # $1,000,000.00
_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"0", "false", "off", "no", ""}
_MAJOR = re.compile(r"\d{1,7}(?:[.,]\d{1,2})?")
_MINOR = re.compile(r"\d{1,10}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")

PriceUnits = Literal["major", "minor"]


@dataclass(frozen=True)
class CatalogQuery:
    """What a shopper asked the catalog for; prices in minor units."""

    q: str = ""
    genres: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    min_price: int | None = None
    max_price: int | None = None
    in_stock: bool = False
    kind: str = "record"
    condition: str = ""  # "new" / "used": records with such a copy; "" either
    min_grade: str = ""  # records with a used copy graded this or better (media grade)
    sort: str = "newest"
    page: int = 1
    limit: int = DEFAULT_LIMIT

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.genres or self.formats or self.in_stock or self.condition or self.min_grade
                    or self.min_price is not None or self.max_price is not None)

    def filter_key(self) -> tuple[Any, ...]:
        """Everything that decides the result set (not its order or page)."""
        return (self.q, self.genres, self.formats, self.min_price, self.max_price, self.in_stock, self.kind,
                self.condition, self.min_grade)

    def cache_key(self) -> tuple[Any, ...]:
        return (*self.filter_key(), self.sort, self.page, self.limit)

    def without_page(self) -> CatalogQuery:
        return replace(self, page=1)


@dataclass
class ParsedQuery:
    query: CatalogQuery
    errors: list[FieldError] = field(default_factory=list)

    def or_raise(self) -> CatalogQuery:
        """The query, or a ValidationError listing every bad field (the API's 422)."""
        if self.errors:
            raise ValidationError("Invalid catalog query", details=self.errors)
        return self.query


def _values(args: Any, name: str) -> list[str]:
    """Repeated (``genre=a&genre=b``) and comma-separated (``genre=a,b``) values, de-duplicated."""
    raw = args.getlist(name) if hasattr(args, "getlist") else [args.get(name)] if args.get(name) else []
    values = [part.strip() for item in raw for part in str(item).split(",")]
    return list(dict.fromkeys(v for v in values if v))


def _price(raw: str | None, name: str, units: PriceUnits, errors: list[FieldError]) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if units == "minor":
        if not _MINOR.fullmatch(text):
            errors.append(FieldError(name, f"{name} must be a whole number of cents (minor units), e.g. 1250"))
            return None
        value = int(text)
    else:
        text = text.lstrip("$€£").strip()
        if not _MAJOR.fullmatch(text):
            errors.append(FieldError(name, f"{_label(name)} must be an amount like 12 or 12.50"))
            return None
        major, _, minor = text.replace(",", ".").partition(".")
        value = int(major) * 100 + int((minor + "00")[:2])
    if value > MAX_PRICE_MINOR:
        errors.append(FieldError(name, f"{_label(name)} is too large"))
        return None
    return value


def _label(name: str) -> str:
    return {"min_price": "Minimum price", "max_price": "Maximum price"}.get(name, name)


def _whole(raw: str | None, name: str, default: int, low: int, high: int, errors: list[FieldError]) -> int:
    text = (raw or "").strip()
    if not text:
        return default
    if not text.isdigit() or not text.isascii():
        errors.append(FieldError(name, f"{name} must be a whole number"))
        return default
    value = int(text)
    if not low <= value <= high:
        errors.append(FieldError(name, f"{name} must be between {low} and {high}"))
        return default
    return value


def parse_catalog_query(args: Mapping[str, Any], *, price_units: PriceUnits = "major") -> ParsedQuery:
    """Read a ``CatalogQuery`` from query args; invalid fields fall back to defaults with an error."""
    errors: list[FieldError] = []
    q = " ".join(str(args.get("q") or "").split())
    if len(q) > MAX_QUERY_LENGTH:
        errors.append(FieldError("q", f"Search terms must be at most {MAX_QUERY_LENGTH} characters"))
        q = ""

    genres = [v.lower() for v in _values(args, "genre")]
    if len(genres) > MAX_VALUES or any(not _SLUG.fullmatch(g) for g in genres):
        errors.append(FieldError("genre", "genre must be genre slugs such as jazz or hip-hop"))
        genres = [g for g in genres if _SLUG.fullmatch(g)][:MAX_VALUES]
    formats = _values(args, "format")
    if len(formats) > MAX_VALUES or any(len(f) > 40 for f in formats):
        errors.append(FieldError("format", "format must be format names such as LP or 7\""))
        formats = [f for f in formats if len(f) <= 40][:MAX_VALUES]

    min_price = _price(args.get("min_price"), "min_price", price_units, errors)
    max_price = _price(args.get("max_price"), "max_price", price_units, errors)
    if min_price is not None and max_price is not None and min_price > max_price:
        errors.append(FieldError("max_price", "The maximum price must not be below the minimum price"))
        max_price = None

    in_stock_raw = str(args.get("in_stock") or "").strip().lower()
    in_stock = in_stock_raw in _TRUE
    if in_stock_raw not in _TRUE | _FALSE:
        errors.append(FieldError("in_stock", "in_stock must be true or false"))

    kind = str(args.get("kind") or "record").strip().lower()
    if kind not in KINDS:
        errors.append(FieldError("kind", f"kind must be one of: {', '.join(KINDS)}"))
        kind = "record"

    condition = str(args.get("condition") or "").strip().lower()
    if condition not in ("", *CONDITIONS):
        errors.append(FieldError("condition", "condition must be new or used"))
        condition = ""
    min_grade = str(args.get("min_grade") or "").strip().upper()
    if min_grade not in ("", *GRADES):
        errors.append(FieldError("min_grade", f"min_grade must be one of: {', '.join(GRADES)}"))
        min_grade = ""

    default_sort = "relevance" if q else "newest"
    sort = str(args.get("sort") or default_sort).strip().lower()
    if sort not in SORTS:
        errors.append(FieldError("sort", f"sort must be one of: {', '.join(SORTS)}"))
        sort = default_sort
    if sort == "relevance" and not q:
        sort = "newest"  # relevance needs search terms; the newest first is the honest fallback

    page = _whole(args.get("page"), "page", 1, 1, MAX_PAGE, errors)
    limit = _whole(args.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, errors)
    query = CatalogQuery(q=q, genres=tuple(sorted(genres)), formats=tuple(sorted(formats)), min_price=min_price,
                         max_price=max_price, in_stock=in_stock, kind=kind, condition=condition, min_grade=min_grade,
                         sort=sort, page=page, limit=limit)
    return ParsedQuery(query, errors)


def major_units(amount: int | None) -> str:
    """Minor units → the form's major-unit text (1250 → "12.50", 1200 → "12")."""
    if amount is None:
        return ""
    major, minor = divmod(amount, 100)
    return f"{major}.{minor:02d}" if minor else str(major)


def form_values(query: CatalogQuery) -> dict[str, Any]:
    """What the filter form shows: the query as understood (prices back in major units)."""
    return {"q": query.q, "min_price": major_units(query.min_price), "max_price": major_units(query.max_price),
            "in_stock": query.in_stock, "kind": query.kind, "sort": query.sort, "limit": query.limit,
            "condition": query.condition, "min_grade": query.min_grade}
