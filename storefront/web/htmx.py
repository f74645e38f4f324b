"""The htmx request headers in one place: is this an htmx request, and which partial does it want."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, render_template, request


def is_htmx() -> bool:
    """True for a request htmx made (``HX-Request: true``), except a history restore, which wants the page."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def target() -> str | None:
    """The id of the element an htmx request swaps (``HX-Target``), or None for a plain request."""
    return request.headers.get("HX-Target") if is_htmx() else None


def wants(target_id: str) -> bool:
    """True when an htmx request targets the element ``target_id`` (so its partial is the answer)."""
    return target() == target_id


def pick_template(page: str, partials: Mapping[str, str]) -> str:
    """The partial for the request's ``HX-Target`` when it names one of ``partials``, else ``page``."""
    return partials.get(target() or "", page)


def render(page: str, partials: Mapping[str, str], status: int = 200, **context: object) -> Response:
    """Render the page, or the partial an htmx request asked for, with ``Vary: HX-Request``."""
    response = Response(render_template(pick_template(page, partials), **context), status=status)
    response.vary.add("HX-Request")
    return response
