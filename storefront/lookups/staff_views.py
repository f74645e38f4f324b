"""Back office: the genre and format lookup tables (list with usage, create, rename, delete)."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from storefront.core.errors import DomainError, ValidationError
from storefront.lookups import services
from storefront.staff.auth import acting_staff, staff_blueprint
from storefront.staff.shell import register_staff_nav

bp = staff_blueprint("staff_lookups", __name__, url_prefix="/staff")
register_staff_nav("staff_lookups.genres", "Genres", order=22)
register_staff_nav("staff_lookups.formats", "Formats", order=24)


def _message(exc: DomainError) -> str:
    if isinstance(exc, ValidationError) and exc.details:
        return "; ".join(d.message for d in exc.details)
    return exc.message


def _genres_page(*, errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
                 status: int = 200) -> tuple[str, int]:
    return render_template("staff/lookups/genres.html", genres=services.list_genres(), errors=errors or {},
                           form=form or {}), status


@bp.get("/genres")
def genres() -> tuple[str, int]:
    return _genres_page()


@bp.post("/genres")
def create_genre() -> Response | tuple[str, int]:
    name = request.form.get("name", "")
    try:
        genre = services.create_genre(name, actor=acting_staff())
    except DomainError as exc:
        return _genres_page(errors={"new": _message(exc)}, form={"new": name}, status=exc.http_status)
    flash(f"Added genre “{genre.name}”.", "success")
    return redirect(url_for("staff_lookups.genres"), code=303)


@bp.post("/genres/<int:genre_id>/rename")
def rename_genre(genre_id: int) -> Response | tuple[str, int]:
    name = request.form.get("name", "")
    try:
        genre = services.rename_genre(genre_id, name, actor=acting_staff())
    except DomainError as exc:
        if exc.http_status == 404:
            raise
        return _genres_page(errors={str(genre_id): _message(exc)}, form={str(genre_id): name},
                            status=exc.http_status)
    flash(f"Renamed to “{genre.name}”.", "success")
    return redirect(url_for("staff_lookups.genres"), code=303)


@bp.post("/genres/<int:genre_id>/delete")
def delete_genre(genre_id: int) -> Response | tuple[str, int]:
    """Delete; a genre in use first shows a second step asking for the replacement."""
    raw = request.form.get("replace_with", "").strip()
    replace_with = int(raw) if raw.isascii() and raw.isdigit() else None
    try:
        moved = services.delete_genre(genre_id, replace_with=replace_with, actor=acting_staff())
    except services.GenreInUse as exc:
        usage = services.genre_usage(genre_id)
        error = "Choose the genre that replaces it." if raw else ""
        return render_template("staff/lookups/delete_genre.html", usage=usage, message=exc.message, error=error,
                               choices=[u.genre for u in services.list_genres() if u.genre.id != genre_id]), 200
    except ValidationError as exc:
        usage = services.genre_usage(genre_id)
        return render_template("staff/lookups/delete_genre.html", usage=usage, message="", error=_message(exc),
                               choices=[u.genre for u in services.list_genres() if u.genre.id != genre_id]), 422
    except services.GenreOwnedByEcs as exc:
        return _genres_page(errors={str(genre_id): exc.message}, status=exc.http_status)
    flash(f"Genre deleted{f'; {moved} item(s) moved to the replacement' if moved else ''}.", "success")
    return redirect(url_for("staff_lookups.genres"), code=303)


def _formats_page(*, errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
                  status: int = 200) -> tuple[str, int]:
    return render_template("staff/lookups/formats.html", formats=services.list_formats(), errors=errors or {},
                           form=form or {}), status


@bp.get("/formats")
def formats() -> tuple[str, int]:
    return _formats_page()


@bp.post("/formats")
def create_format() -> Response | tuple[str, int]:
    name = request.form.get("name", "")
    try:
        fmt = services.create_format(name, actor=acting_staff())
    except DomainError as exc:
        return _formats_page(errors={"new": _message(exc)}, form={"new": name}, status=exc.http_status)
    flash(f"Added format “{fmt.name}”.", "success")
    return redirect(url_for("staff_lookups.formats"), code=303)


@bp.post("/formats/<int:format_id>/rename")
def rename_format(format_id: int) -> Response | tuple[str, int]:
    name = request.form.get("name", "")
    try:
        fmt = services.rename_format(format_id, name, actor=acting_staff())
    except DomainError as exc:
        if exc.http_status == 404:
            raise
        return _formats_page(errors={str(format_id): _message(exc)}, form={str(format_id): name},
                             status=exc.http_status)
    flash(f"Renamed to “{fmt.name}”.", "success")
    return redirect(url_for("staff_lookups.formats"), code=303)


@bp.post("/formats/<int:format_id>/delete")
def delete_format(format_id: int) -> Response:
    services.delete_format(format_id, actor=acting_staff())
    flash("Format deleted.", "success")
    return redirect(url_for("staff_lookups.formats"), code=303)
