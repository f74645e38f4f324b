"""Back office: content pages — list, write (Markdown or HTML, with a preview), publish, delete.
Every change is audit-logged."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from storefront.audit.services import record as audit
from storefront.content.models import BODY_FORMATS, ContentPage
from storefront.content.services import (
    create_page,
    delete_page,
    form_values,
    get_page,
    list_pages,
    preview_html,
    submitted_values,
    update_page,
)
from storefront.core.errors import ValidationError
from storefront.extensions import db
from storefront.staff.auth import current_staff, staff_blueprint
from storefront.staff.shell import register_staff_nav

bp = staff_blueprint("staff_content", __name__, "/staff/pages")
register_staff_nav("staff_content.index", "Pages", order=75)


@bp.get("/")
def index() -> str:
    return render_template("staff/content/index.html", pages=list_pages())


def _form_page(page: ContentPage | None, values: dict[str, Any], errors: dict[str, str] | None = None,
               message: str | None = None, status: int = 200, preview: str | None = None) -> tuple[str, int]:
    return render_template("staff/content/form.html", page=page, values=values, errors=errors or {},
                           message=message, formats=BODY_FORMATS,
                           preview=Markup(preview) if preview is not None else None), status  # noqa: S704


def _refused(page: ContentPage | None, exc: ValidationError) -> tuple[str, int]:
    db.session.rollback()
    errors: dict[str, str] = {}
    for detail in exc.details:
        errors.setdefault(detail.field, detail.message)
    return _form_page(page, submitted_values(request.form), errors, exc.message, 400)


def _previewing() -> tuple[str, int] | None:
    """The "Preview" button without JavaScript: the form again, with the rendered body under it."""
    if request.form.get("action") != "preview":
        return None
    page = None
    if request.view_args and "page_id" in request.view_args:
        page = get_page(request.view_args["page_id"])
    return _form_page(page, submitted_values(request.form), preview=preview_html(request.form))


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response | tuple[str, int]:
    if request.method == "GET":
        return _form_page(None, form_values(None))
    if (shown := _previewing()) is not None:
        return shown
    try:
        page = create_page(submitted_values(request.form))
    except ValidationError as exc:
        return _refused(None, exc)
    audit(current_staff(), "content_page.created", target_type="content_page", target_id=page.id,
          details={"slug": page.slug, "published": page.published})
    db.session.commit()
    flash(f"Created “{page.title}”{' — it is live' if page.published else ' as a draft'}.", "success")
    return redirect(url_for("staff_content.edit", page_id=page.id), code=303)


@bp.route("/<int:page_id>", methods=["GET", "POST"])
def edit(page_id: int) -> Response | tuple[str, int]:
    page = get_page(page_id)
    if request.method == "GET":
        return _form_page(page, form_values(page), preview=page.body_html)
    if (shown := _previewing()) is not None:
        return shown
    try:
        changes = update_page(page, submitted_values(request.form))
    except ValidationError as exc:
        return _refused(page, exc)
    if changes:
        audit(current_staff(), "content_page.updated", target_type="content_page", target_id=page.id,
              details={"slug": page.slug, "changes": changes})
        db.session.commit()
        flash(f"Saved “{page.title}”: {', '.join(name.replace('_', ' ') for name in changes)}.", "success")
    else:
        flash("Nothing changed.", "success")
    return redirect(url_for("staff_content.edit", page_id=page.id), code=303)


@bp.post("/preview")
def preview() -> Response:
    """HTMX: the rendered, sanitised body for the preview panel (nothing is saved)."""
    response = Response(render_template("staff/content/_preview.html", preview=Markup(preview_html(request.form))))  # noqa: S704
    response.vary.add("HX-Request")
    return response


@bp.post("/<int:page_id>/delete")
def delete(page_id: int) -> Response:
    page = get_page(page_id)
    details = {"slug": page.slug, "title": page.title}
    delete_page(page)
    audit(current_staff(), "content_page.deleted", target_type="content_page", target_id=page_id, details=details)
    db.session.commit()
    flash(f"Deleted “{details['title']}”.", "success")
    return redirect(url_for("staff_content.index"), code=303)



