"""Content pages: validate and save what staff wrote, find published pages, build the navigation.

Staff helpers (``create_page``, ``update_page``, ``delete_page``) change the session only; the staff
views write the audit entry and commit. Every change bumps the catalog revision (without calling
its listeners: no sales channel cares), and the header/footer navigation is read again only when
that revision moves — no query of its own on every page, however many shops a process serves; a
change shows at once in this process, elsewhere within ``CATALOG_REVISION_TTL_SECONDS``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from storefront.catalog import revision as catalog_revision
from storefront.content.models import BODY_FORMATS, ContentPage
from storefront.content.render import render_body
from storefront.core.errors import FieldError, NotFound, ValidationError
from storefront.extensions import db
from storefront.shops.context import shop_extensions

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_BODY = 100_000
MAX_ORDER = 9999
FLAGS = ("published", "show_in_header", "show_in_footer")
TEXT_FIELDS = ("slug", "title", "body", "body_format", "meta_description", "display_order")
_NAV_CACHE = "content_navigation"


@dataclass(frozen=True)
class NavEntry:
    slug: str
    title: str
    header: bool
    footer: bool


def form_values(page: ContentPage | None) -> dict[str, Any]:
    """The form's values for ``page`` (a new page: Markdown, unpublished, order 0)."""
    if page is None:
        return {"slug": "", "title": "", "body": "", "body_format": "markdown", "meta_description": "",
                "display_order": "0", "published": False, "show_in_header": False, "show_in_footer": False}
    values: dict[str, Any] = {name: str(getattr(page, name)) for name in TEXT_FIELDS}
    values.update({flag: bool(getattr(page, flag)) for flag in FLAGS})
    return values


def submitted_values(form: Mapping[str, Any]) -> dict[str, Any]:
    """A submitted form (or API body) → field values, strings trimmed, check boxes as booleans."""
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        raw = form.get(name)
        text = "" if raw is None else str(raw)
        values[name] = text if name == "body" else text.strip()
    for flag in FLAGS:
        raw = form.get(flag)
        values[flag] = raw is True or str(raw or "").lower() in ("1", "on", "true", "yes")
    return values


def _validated(values: Mapping[str, Any], page: ContentPage | None) -> dict[str, Any]:
    """The clean values to store, or ValidationError naming every bad field (nothing is changed)."""
    errors: list[FieldError] = []
    slug = str(values.get("slug") or "").lower()
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > 80:
        errors.append(FieldError("slug", "Use 1–80 lower-case letters, digits and single hyphens "
                                         "(e.g. shipping-returns)."))
    else:
        taken = db.session.scalar(select(ContentPage.id).where(ContentPage.slug == slug))
        if taken is not None and (page is None or taken != page.id):
            errors.append(FieldError("slug", "Another page already uses this address."))
    title = str(values.get("title") or "")
    if not title or len(title) > 120:
        errors.append(FieldError("title", "Give the page a title of up to 120 characters."))
    body = str(values.get("body") or "")
    if len(body) > MAX_BODY or "\x00" in body:
        errors.append(FieldError("body", f"The body can be up to {MAX_BODY:,} characters."))
    body_format = str(values.get("body_format") or "")
    if body_format not in BODY_FORMATS:
        errors.append(FieldError("body_format", "Choose Markdown or HTML."))
    meta = str(values.get("meta_description") or "")
    if len(meta) > 300:
        errors.append(FieldError("meta_description", "Keep the description to 300 characters "
                                                     "(search engines show about 155)."))
    order_text = str(values.get("display_order") or "0")
    order = int(order_text) if re.fullmatch(r"-?\d{1,5}", order_text) else None
    if order is None or not 0 <= order <= MAX_ORDER:
        errors.append(FieldError("display_order", f"Use a whole number from 0 to {MAX_ORDER}."))
    if errors:
        raise ValidationError("Check the highlighted fields.", details=errors)
    clean = {"slug": slug, "title": title, "body": body, "body_format": body_format,
             "meta_description": meta, "display_order": order}
    clean.update({flag: bool(values.get(flag)) for flag in FLAGS})
    return clean


def create_page(values: Mapping[str, Any]) -> ContentPage:
    clean = _validated(values, None)
    page = ContentPage(**clean, body_html=render_body(clean["body"], clean["body_format"]))
    db.session.add(page)
    db.session.flush()
    _pages_changed()
    return page


def update_page(page: ContentPage, values: Mapping[str, Any]) -> list[str]:
    """Apply the values; the names of the fields that changed (empty: nothing did)."""
    clean = _validated(values, page)
    changed = [name for name, value in clean.items() if getattr(page, name) != value]
    for name in changed:
        setattr(page, name, clean[name])
    if {"body", "body_format"} & set(changed):
        page.body_html = render_body(page.body, page.body_format)
    db.session.flush()
    _pages_changed()
    return changed


def delete_page(page: ContentPage) -> None:
    db.session.delete(page)
    db.session.flush()
    _pages_changed()


def preview_html(values: Mapping[str, Any]) -> str:
    """The sanitised HTML the body would render as (nothing is saved)."""
    body_format = str(values.get("body_format") or "markdown")
    body = str(values.get("body") or "")[:MAX_BODY]
    return render_body(body, body_format if body_format in BODY_FORMATS else "markdown")


def get_page(page_id: int) -> ContentPage:
    page = db.session.get(ContentPage, page_id)
    if page is None:
        raise NotFound("No such page.")
    return page


def list_pages() -> list[ContentPage]:
    return list(db.session.scalars(select(ContentPage).order_by(ContentPage.display_order, ContentPage.title)))


def published_page(slug: str) -> ContentPage:
    """The published page at ``slug``; NotFound for an unknown or unpublished one (shoppers cannot
    tell them apart)."""
    page = db.session.scalar(select(ContentPage).where(ContentPage.slug == slug, ContentPage.published.is_(True)))
    if page is None:
        raise NotFound("No such page.")
    return page


def navigation() -> tuple[NavEntry, ...]:
    """Published pages shown in the header or footer, in display order."""
    revision = catalog_revision.current()  # read first: the entries below are at least that new
    cached = shop_extensions(current_app).get(_NAV_CACHE)
    if cached is not None and cached[0] == revision:
        return cached[1]  # type: ignore[no-any-return]
    rows = db.session.execute(
        select(ContentPage.slug, ContentPage.title, ContentPage.show_in_header, ContentPage.show_in_footer)
        .where(ContentPage.published.is_(True),
               (ContentPage.show_in_header.is_(True)) | (ContentPage.show_in_footer.is_(True)))
        .order_by(ContentPage.display_order, ContentPage.title))
    entries = tuple(NavEntry(slug, title, bool(header), bool(footer)) for slug, title, header, footer in rows)
    shop_extensions(current_app)[_NAV_CACHE] = (revision, entries)
    return entries


def _pages_changed() -> None:
    """After a change to the pages (in the caller's transaction): caches renew here and elsewhere."""
    catalog_revision.bump(call_listeners=False)
