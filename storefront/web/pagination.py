"""Page/limit parsing shared by HTML pages and the JSON API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from math import ceil

from storefront.core.errors import FieldError, ValidationError


@dataclass(frozen=True)
class PageRequest:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


@dataclass(frozen=True)
class Window:
    """Rows ``offset`` … ``offset + limit`` (APIs that page by skip/limit rather than page numbers)."""

    offset: int
    limit: int


def _positive_int(args: Mapping[str, str], name: str, default: int,
                  errors: list[FieldError]) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw))
    except ValueError:
        errors.append(FieldError(name, f"{name} must be a whole number"))
        return default
    if value < 1:
        errors.append(FieldError(name, f"{name} must be 1 or more"))
    return value


def page_request(args: Mapping[str, str], *, default_limit: int = 24,
                 max_limit: int = 100, max_page: int = 10_000) -> PageRequest:
    """Read ``page`` and ``limit`` from query args; out-of-range values are a ValidationError."""
    errors: list[FieldError] = []
    page = _positive_int(args, "page", 1, errors)
    limit = _positive_int(args, "limit", default_limit, errors)
    if limit > max_limit:
        errors.append(FieldError("limit", f"limit must be at most {max_limit}"))
    if page > max_page:
        errors.append(FieldError("page", f"page must be at most {max_page}"))
    if errors:
        raise ValidationError("Invalid pagination parameters", details=errors)
    return PageRequest(page=page, limit=limit)


def pagination_dict(req: PageRequest, total: int) -> dict[str, int | bool]:
    """The ``pagination`` object of list responses."""
    pages = max(1, ceil(total / req.limit)) if req.limit else 1
    return {
        "page": req.page,
        "limit": req.limit,
        "total": total,
        "pages": pages,
        "has_next": req.page < pages,
        "has_prev": req.page > 1,
    }
