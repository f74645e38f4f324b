"""The back-office shell: navigation links and dashboard cards that domains register.

Register at import time of a module ``create_app`` imports (your views or api module)::

    from storefront.staff.shell import DashboardCard, register_dashboard_card, register_staff_nav

    register_staff_nav("staff_orders.index", "Orders", order=30)
    register_dashboard_card("orders.awaiting_action", orders_awaiting_card, order=10)

A card provider takes no arguments and returns a :class:`DashboardCard` (or None to hide it).
Registering an existing key replaces it. A provider that raises shows as "unavailable" instead
of breaking the dashboard.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from flask import request

from storefront.extensions import db
from storefront.web.templating import url_if

log = logging.getLogger(__name__)

# Conventional order of the sections: Dashboard 10, Items/enrichment 20, Orders 30,
# Inquiries 40, Sync 50, Webhooks DLQ 60, Audit log 70, Staff 80.


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: str
    order: int = 100
    admin_only: bool = False


@dataclass(frozen=True)
class DashboardCard:
    """One number on the dashboard, optionally linking to where it can be acted on."""

    label: str
    value: int | str | None
    endpoint: str | None = None  # where the number can be acted on (hidden if it doesn't exist)
    detail: str = ""
    tone: str = ""  # "" | "ok" | "warn" — a badge colour
    available: bool = True
    key: str = ""  # filled in from the registration


CardProvider = Callable[[], DashboardCard | None]

_NAV: dict[str, NavLink] = {}
_CARDS: dict[str, tuple[int, CardProvider]] = {}


def register_staff_nav(endpoint: str, label: str, *, order: int = 100, admin_only: bool = False) -> None:
    """Add a link to the back-office navigation (hidden while ``endpoint`` does not exist)."""
    _NAV[endpoint] = NavLink(endpoint, label, order, admin_only)


def staff_nav_links(is_admin: bool) -> list[dict[str, object]]:
    """The navigation for a staff member: links whose endpoints exist, in order."""
    links = []
    for link in sorted(_NAV.values(), key=lambda n: (n.order, n.label)):
        if link.admin_only and not is_admin:
            continue
        href = url_if(link.endpoint)
        if href:
            links.append({"label": link.label, "href": href, "current": request.endpoint == link.endpoint})
    return links


def register_dashboard_card(key: str, provider: CardProvider, *, order: int = 100,
                            replace_existing: bool = True) -> None:
    """Add (or replace) a dashboard card computed by ``provider``."""
    if replace_existing or key not in _CARDS:
        _CARDS[key] = (order, provider)


@dataclass(frozen=True)
class Dashboard:
    cards: list[DashboardCard] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"cards": [{"key": c.key, "label": c.label, "value": c.value, "detail": c.detail, "tone": c.tone,
                           "available": c.available} for c in self.cards]}


def dashboard_summary() -> Dashboard:
    """Every registered card, in order; a failing provider yields an "unavailable" card."""
    cards: list[DashboardCard] = []
    for key, (_order, provider) in sorted(_CARDS.items(), key=lambda kv: (kv[1][0], kv[0])):
        try:
            card = provider()
        except Exception:
            log.exception("dashboard card %s failed", key)
            db.session.rollback()  # a failed query must not poison the rest of the page
            card = DashboardCard(label=key, value=None, detail="unavailable", available=False)
        if card is not None:
            cards.append(replace(card, key=key))
    return Dashboard(cards=cards)
