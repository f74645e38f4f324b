"""Back-office page for the catalog field mapping: choose each record field's sources (or a
preset, or what was detected), preview the first items, save — which re-maps the catalog."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from storefront.staff.auth import current_staff, staff_blueprint
from storefront.staff.shell import register_staff_nav
from storefront.sync.field_mapping import PREVIEW_ITEMS, known_location_id, preview, save_mapping
from storefront.sync.fields import FIELDS, MAX_SOURCES, PRESETS, FieldMapping, MappingConfigError
from storefront.sync.mapping_api import mapping_overview
from storefront.web import htmx

bp = staff_blueprint("staff_mapping", __name__, "/staff/catalog-mapping", role="admin")
register_staff_nav("staff_mapping.index", "Catalog mapping", order=41, admin_only=True)
FORM_SOURCES = 2  # rows per field on the page (the API takes up to MAX_SOURCES)


def _from_form(form: MultiDict[str, str]) -> dict[str, Any]:
    fields: dict[str, list[dict[str, str]]] = {}
    for name in FIELDS:
        rows = []
        for index in range(min(FORM_SOURCES, MAX_SOURCES)):
            source = form.get(f"{name}-{index}-source", "").strip()
            if source and source != "none":
                rows.append({"source": source, "name": form.get(f"{name}-{index}-name", "").strip(),
                             "pattern": form.get(f"{name}-{index}-pattern", "").strip()})
        fields[name] = rows
    return {"fields": fields, "genre": form.get("genre", "categories"), "preset": form.get("preset", "custom")[:40]}


def _page(mapping_json: dict[str, Any], *, errors: dict[str, list[str]] | None = None,
          rows: list[dict[str, Any]] | None = None, status: int = 200) -> tuple[str, int]:
    overview = mapping_overview()
    return render_template("staff/mapping/index.html", overview=overview, form=mapping_json, errors=errors or {},
                           rows=rows, form_sources=FORM_SOURCES, preview_limit=PREVIEW_ITEMS), status


def _problems(exc: MappingConfigError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field_name, message in exc.problems:
        errors.setdefault(field_name, []).append(message)
    return errors


@bp.get("/")
def index() -> tuple[str, int]:
    """The mapping in force; ``?preset=name`` or ``?preset=detected`` fills the form with that instead."""
    overview = mapping_overview()
    chosen = request.args.get("preset", "")
    if chosen == "detected":
        form = overview["detected"]
    elif chosen in PRESETS:
        form = overview["presets"][chosen]["mapping"]
    else:
        form = overview["mapping"]
    return _page(form)


@bp.post("/preview")
def preview_mapping() -> tuple[str, int]:
    raw = _from_form(request.form)
    try:
        mapping = FieldMapping.from_json(raw)
    except MappingConfigError as exc:
        if htmx.is_htmx():
            return render_template("staff/mapping/_preview.html", rows=None, errors=_problems(exc)), 422
        return _page(raw, errors=_problems(exc), status=422)
    rows = preview(mapping, known_location_id())
    if htmx.is_htmx():
        return render_template("staff/mapping/_preview.html", rows=rows, errors={}), 200
    return _page(mapping.to_json(), rows=rows)


@bp.post("/")
def save() -> Response | tuple[str, int]:
    raw = _from_form(request.form)
    try:
        mapping = FieldMapping.from_json(raw)
    except MappingConfigError as exc:
        flash("The mapping has problems; nothing was saved.", "error")
        return _page(raw, errors=_problems(exc), status=422)
    staff = current_staff()
    run = save_mapping(mapping, actor=staff, by=staff.email if staff else "staff")
    if run is None:
        flash("Mapping saved. A sync is running; the catalog is re-mapped as soon as it finishes.", "success")
        return redirect(url_for("staff_mapping.index"), code=303)
    flash(f"Mapping saved. Re-mapping the catalog (run #{run.id}).", "success")
    return redirect(url_for("staff_sync.run_detail", run_id=run.id), code=303)
