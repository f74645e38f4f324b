"""Back-office sync control: start a full sync or dry run, watch it live, read past runs."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from storefront.core.errors import NotFound
from storefront.staff.auth import current_staff, staff_blueprint
from storefront.staff.shell import register_staff_nav
from storefront.sync.services import SyncAlreadyRunning, active_run, get_run, recent_runs, start_sync
from storefront.web import htmx

bp = staff_blueprint("staff_sync", __name__, "/staff/sync")
register_staff_nav("staff_sync.index", "Catalog sync", order=40)



@bp.get("/")
def index() -> str:
    return render_template("staff/sync/index.html", running=active_run(), runs=recent_runs(25), error=None)


@bp.post("/start")
def start() -> Response | tuple[str, int]:
    """Start a run (full, incremental, or a dry run); a second one while one runs is refused (409)."""
    kind = request.form.get("kind", "full")
    dry_run = request.form.get("dry_run") == "1"
    staff = current_staff()
    try:
        run = start_sync(kind if kind in ("full", "incremental") else "full", dry_run=dry_run,
                         started_by=staff.email if staff else "staff", actor=staff)
    except SyncAlreadyRunning as exc:
        if htmx.is_htmx():
            return render_template("staff/sync/_run.html", run=exc.running, error=exc.message), 409
        flash(exc.message, "error")
        return render_template("staff/sync/index.html", running=exc.running, runs=recent_runs(25),
                               error=exc.message), 409
    if htmx.is_htmx():
        return Response(render_template("staff/sync/_run.html", run=run, error=None))
    flash(f"Started {'a dry run of ' if dry_run else ''}a {run.kind} sync (run #{run.id}).", "success")
    return redirect(url_for("staff_sync.index"), code=303)


@bp.get("/runs/<int:run_id>")
def run_detail(run_id: int) -> str:
    """A run's progress; HTMX polls this partial every second while the run is active."""
    run = get_run(run_id)
    if run is None:
        raise NotFound(f"Sync run {run_id} does not exist.")
    template = "staff/sync/_run.html" if htmx.is_htmx() else "staff/sync/run.html"
    return render_template(template, run=run, error=None)
