"""Back office: demand — the releases shoppers follow, most followed first, with the grades and prices they ask for."""

from __future__ import annotations

from flask import render_template

from storefront.staff.auth import staff_blueprint
from storefront.staff.shell import register_staff_nav
from storefront.wantlist.services import release_demand

bp = staff_blueprint("staff_wantlist", __name__, "/staff/demand")
register_staff_nav("staff_wantlist.demand", "Demand", order=28)


@bp.get("/")
def demand() -> str:
    return render_template("staff/wantlist/demand.html", rows=release_demand())
