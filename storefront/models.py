"""Imports every domain's models so Alembic and ``db.create_all`` see the whole schema."""

from __future__ import annotations

from storefront.accounts.models import Customer
from storefront.apitokens.models import ApiToken
from storefront.audit.models import AuditEntry
from storefront.cart.models import Cart
from storefront.catalog.models import Format, Genre, Item, ItemDetail, ItemGenre, ItemVariation, StockLevel
from storefront.inquiries.models import EventInquiry, InquiryStatusChange  # noqa: F401
from storefront.notifications.models import OutboundEmail  # noqa: F401
from storefront.orders.models import Order, OrderLine, Reservation, StockHold
from storefront.staff.models import StaffMember
from storefront.sync.models import SyncRun, SyncState
from storefront.system.models import WorkerHeartbeat
from storefront.webhooks.models import WebhookEvent  # noqa: F401
from storefront.wishlist.models import WishlistEntry, WishlistShare  # noqa: F401

__all__ = ["ApiToken", "AuditEntry", "Cart", "Customer", "Order", "OrderLine", "Reservation", "StaffMember", "StockHold",
           "Format", "Genre", "Item", "ItemDetail", "ItemGenre", "ItemVariation", "StockLevel", "SyncRun",
           "SyncState", "WorkerHeartbeat"]
