"""The back-office shell: navigation links and dashboard cards that domains register.

Register at import time of a module ``create_app`` imports (your views or api module)::

    from storefront.staff.shell import DashboardCard, register_dashboard_card, register_staff_nav

    register_staff_nav("staff_orders.index", "Orders", order=30)
    register_dashboard_card("orders.awaiting_action", orders_awaiting_card, order=10)

A card provider takes no arguments and returns a :class:`DashboardCard` (or None to hide it).
Registering an existing key replaces it. A provider that raises shows as "unavailable" instead
of breaking the dashboard.

A panel is a short work list above the cards (e.g. the oldest orders to ship)::

    register_dashboard_panel("orders.to_ship", orders_to_ship_panel, order=10)

Its provider returns a :class:`DashboardPanel`: a count, the first few :class:`PanelRow` and a
link to the full list; the same rules apply (None hides it, an exception shows "unavailable").
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


@dataclass(frozen=True)
class PanelRow:
    """One entry of a panel's work list, linking to where it is dealt with."""

    label: str
    detail: str = ""
    badge: str = ""
    endpoint: str | None = None
    args: dict[str, object] = field(default_factory=dict)

    def href(self) -> str | None:
        return url_if(self.endpoint, **self.args) if self.endpoint else None


@dataclass(frozen=True)
class DashboardPanel:
    """A work list: how many things wait (``count``), the first few of them, and the whole list's link."""

    label: str
    count: int | None
    rows: list[PanelRow] = field(default_factory=list)
    endpoint: str | None = None
    args: dict[str, object] = field(default_factory=dict)
    empty: str = "Nothing waiting."
    available: bool = True
    key: str = ""

    def href(self) -> str | None:
        return url_if(self.endpoint, **self.args) if self.endpoint else None

    def as_dict(self) -> dict[str, object]:
        return {"key": self.key, "label": self.label, "count": self.count, "available": self.available,
                "href": self.href(), "rows": [{"label": r.label, "detail": r.detail, "badge": r.badge,
                                               "href": r.href()} for r in self.rows]}


PanelProvider = Callable[[], DashboardPanel | None]

_NAV: dict[str, NavLink] = {}
_CARDS: dict[str, tuple[int, CardProvider]] = {}
_PANELS: dict[str, tuple[int, PanelProvider]] = {}


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


def register_dashboard_panel(key: str, provider: PanelProvider, *, order: int = 100) -> None:
    """Add (or replace) a dashboard work-list panel computed by ``provider``."""
    _PANELS[key] = (order, provider)


@dataclass(frozen=True)
class Dashboard:
    cards: list[DashboardCard] = field(default_factory=list)
    panels: list[DashboardPanel] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"cards": [{"key": c.key, "label": c.label, "value": c.value, "detail": c.detail, "tone": c.tone,
                           "available": c.available} for c in self.cards],
                "panels": [p.as_dict() for p in self.panels]}


def _panels() -> list[DashboardPanel]:
    panels: list[DashboardPanel] = []
    for key, (_order, provider) in sorted(_PANELS.items(), key=lambda kv: (kv[1][0], kv[0])):
        try:
            panel = provider()
        except Exception:
            log.exception("dashboard panel %s failed", key)
            db.session.rollback()
            panel = DashboardPanel(label=key, count=None, available=False)
        if panel is not None:
            panels.append(replace(panel, key=key))
    return panels


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
    return Dashboard(cards=cards, panels=_panels())
