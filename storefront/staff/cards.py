"""Dashboard cards for what exists today; domains replace or add their own (see staff.shell)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storefront.audit.models import AuditEntry
from storefront.catalog.models import Item
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.staff.models import StaffMember
from storefront.staff.shell import DashboardCard, register_dashboard_card
from storefront.sync.models import SyncRun


def catalog_items_card() -> DashboardCard:
    count = db.session.scalar(select(func.count()).select_from(Item).where(Item.is_deleted.is_(False))) or 0
    return DashboardCard(label="Items in the catalog", value=count, endpoint="catalog.index")


def last_sync_card() -> DashboardCard:
    run = db.session.scalar(select(SyncRun).order_by(SyncRun.created_at.desc(), SyncRun.id.desc()).limit(1))
    if run is None:
        return DashboardCard(label="Last catalog sync", value="never", tone="warn")
    tone = {"succeeded": "ok", "failed": "warn", "aborted": "warn"}.get(run.status, "")
    when = (run.finished_at or run.started_at or run.created_at).strftime("%Y-%m-%d %H:%M UTC")
    return DashboardCard(label="Last catalog sync", value=run.status, tone=tone,
                         detail=f"#{run.id} {run.kind}{' (dry run)' if run.dry_run else ''}, {when}")


def audit_today_card() -> DashboardCard:
    since = utcnow() - timedelta(hours=24)
    count = db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.at >= since)) or 0
    return DashboardCard(label="Audited actions, last 24 h", value=count, endpoint="audit.index")


def active_staff_card() -> DashboardCard:
    count = db.session.scalar(select(func.count()).select_from(StaffMember)
                              .where(StaffMember.is_active.is_(True))) or 0
    return DashboardCard(label="Active staff accounts", value=count, endpoint="staff_members.index")


def register_builtin_cards() -> None:
    """Register the defaults without replacing a domain's own card of the same key."""
    for key, provider, order in (("catalog.items", catalog_items_card, 50), ("sync.last_run", last_sync_card, 60),
                                 ("audit.last_24h", audit_today_card, 90), ("staff.active", active_staff_card, 95)):
        register_dashboard_card(key, provider, order=order, replace_existing=False)
