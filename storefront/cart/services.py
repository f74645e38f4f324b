"""Cart use cases. Prices and stock are re-read from the local catalog on every view."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from storefront.cart.models import Cart
from storefront.catalog.models import ItemVariation, StockLevel
from storefront.catalog.stock import UNTRACKED_STOCK
from storefront.core.errors import FieldError, NotFound, ValidationError
from storefront.ecs.provider import shop_location_id
from storefront.extensions import db
from storefront.orders.models import Order, Reservation, StockHold

MAX_QUANTITY_INPUT = 1_000_000
MAX_ID = 2**31 - 1  # ids are PostgreSQL `integer`s: a larger number is no id (and must not reach the query)


@dataclass(frozen=True)
class CartLineView:
    variation_id: int
    item_id: int
    name: str
    variation_name: str
    quantity: int
    unit_amount: int
    currency: str
    available: int
    added_at_amount: int | None
    is_deleted: bool

    @property
    def line_total(self) -> int:
        return self.unit_amount * self.quantity

    @property
    def out_of_stock(self) -> bool:
        return self.available <= 0 or self.is_deleted

    @property
    def exceeds_stock(self) -> bool:
        return self.quantity > self.available

    @property
    def price_changed(self) -> bool:
        return self.added_at_amount is not None and self.added_at_amount != self.unit_amount


@dataclass(frozen=True)
class CartView:
    lines: list[CartLineView] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def subtotal(self) -> int:
        return sum(line.line_total for line in self.lines if not line.is_deleted)

    @property
    def currency(self) -> str:
        return self.lines[0].currency if self.lines else "USD"

    @property
    def problems(self) -> list[str]:
        notes = []
        for line in self.lines:
            if line.is_deleted:
                notes.append(f"{line.name} is no longer available; remove it to check out.")
            elif line.out_of_stock:
                notes.append(f"{line.name} has sold out; remove it to check out.")
            elif line.exceeds_stock:
                notes.append(f"Only {line.available} of {line.name} left; lower the quantity to check out.")
        return notes

    @property
    def can_check_out(self) -> bool:
        return bool(self.lines) and not self.problems


class NotEnoughStock(ValidationError):
    """More units than are left (or than one order may take): a ValidationError on ``quantity``."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_cart(customer_id: int | None = None) -> tuple[str, Cart]:
    """A new empty cart; returns the token the client keeps (only its hash is stored)."""
    token = secrets.token_urlsafe(24)
    cart = Cart(token_hash=hash_token(token), customer_id=customer_id, lines={})
    db.session.add(cart)
    db.session.commit()
    return token, cart


def find_cart(token: str | None) -> Cart | None:
    if not token or len(token) > 128:
        return None
    return db.session.scalar(select(Cart).where(Cart.token_hash == hash_token(token)))


def parse_quantity(raw: object, *, allow_zero: bool = False) -> int:
    """A whole number of units from form or JSON input, or a ValidationError saying why not."""
    if isinstance(raw, bool) or raw is None or raw == "":
        raise ValidationError.for_field("quantity", "Quantity must be a whole number.")
    if isinstance(raw, float) and not raw.is_integer():
        raise ValidationError.for_field("quantity", "Quantity must be a whole number.")
    try:
        value = int(str(raw).strip()) if not isinstance(raw, int | float) else int(raw)
    except ValueError:
        raise ValidationError.for_field("quantity", "Quantity must be a whole number.") from None
    if value < 0 or (value == 0 and not allow_zero):
        raise ValidationError.for_field("quantity", "Quantity must be at least 1.")
    if value > MAX_QUANTITY_INPUT:
        raise ValidationError.for_field("quantity", "That quantity is far more than we stock.")
    return value


def parse_id(raw: object, field_name: str) -> int:
    if isinstance(raw, bool):
        raise ValidationError.for_field(field_name, f"{field_name} must be a whole number.")
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise ValidationError.for_field(field_name, f"{field_name} must be a whole number.") from None
    if value < 1 or value > MAX_ID:
        raise ValidationError.for_field(field_name, f"{field_name} is not a valid id.")
    return value


def own_holds(cart_id: int) -> dict[int, int]:
    """Units this cart's own unpaid checkout holds: they are still the shopper's to buy."""
    rows = db.session.execute(
        select(Reservation.variation_id, func.sum(Reservation.quantity))
        .join(Order, Order.id == Reservation.order_id)
        .where(Order.cart_id == cart_id, Order.status.in_(("pending_payment", "failed")),
               Reservation.released_at.is_(None))
        .group_by(Reservation.variation_id)).all()
    return {int(vid): int(qty or 0) for vid, qty in rows}


def available_units(variation_ids: list[int], location_id: str, *, cart_id: int | None = None) -> dict[int, int]:
    """Local stock at the shop location minus units held by unpaid checkouts (other than ``cart_id``'s own);
    a variation the ECS does not count is always available, one it marks sold out never is."""
    if not variation_ids:
        return {}
    stock = dict(db.session.execute(
        select(StockLevel.variation_id, func.sum(StockLevel.quantity))
        .where(StockLevel.variation_id.in_(variation_ids), StockLevel.location_id == location_id)
        .group_by(StockLevel.variation_id)).all())
    held = dict(db.session.execute(
        select(StockHold.variation_id, StockHold.held).where(StockHold.variation_id.in_(variation_ids))).all())
    mine = own_holds(cart_id) if cart_id is not None else {}
    flags = {vid: (tracked, sold_out) for vid, tracked, sold_out in db.session.execute(
        select(ItemVariation.id, ItemVariation.track_inventory, ItemVariation.sold_out)
        .where(ItemVariation.id.in_(variation_ids)))}
    units = {}
    for vid in variation_ids:
        tracked, sold_out = flags.get(vid, (True, False))
        units[vid] = (0 if sold_out else UNTRACKED_STOCK if not tracked
                      else max(0, int(stock.get(vid) or 0) - int(held.get(vid) or 0) + mine.get(vid, 0)))
    return units


def _location() -> str:
    return shop_location_id()


def resolve_variation(*, variation_id: object = None, item_id: object = None) -> ItemVariation:
    """The live variation meant by a variation id, or an item id (its first live variation)."""
    if variation_id not in (None, ""):
        variation = db.session.get(ItemVariation, parse_id(variation_id, "variation_id"),
                                   options=[joinedload(ItemVariation.item)])
    elif item_id not in (None, ""):
        variation = db.session.scalar(
            select(ItemVariation).options(joinedload(ItemVariation.item))
            .where(ItemVariation.item_id == parse_id(item_id, "item_id"), ItemVariation.is_deleted.is_(False))
            .order_by(ItemVariation.ordinal, ItemVariation.id).limit(1))
    else:
        raise ValidationError("Say which item to add.", details=[FieldError("item_id", "item_id is required")])
    if variation is None or variation.is_deleted or variation.item.is_deleted or variation.price_amount is None:
        raise NotFound("That item is not in the catalog.")
    if variation.item.kind == "event" and variation.item.starts_at is None:  # a dated event sells tickets
        raise ValidationError.for_field(
            "item_id", "The event space is booked through an inquiry, not the cart: use the Event space page.")
    return variation


def _limit_for(variation: ItemVariation, cart: Cart) -> tuple[int, int]:
    available = available_units([variation.id], _location(), cart_id=cart.id)[variation.id]
    return available, min(int(current_app.config["CART_MAX_PER_ITEM"]), available)


def add_item(cart: Cart, variation: ItemVariation, quantity: int) -> CartView:
    """Add units, bounded by stock and the per-item maximum."""
    key = str(variation.id)
    current = int((cart.lines or {}).get(key, {}).get("quantity", 0))
    available, limit = _limit_for(variation, cart)
    wanted = current + quantity
    if available <= 0:
        raise NotEnoughStock.for_field("quantity", f"{variation.item.name} is sold out.")
    if wanted > limit:
        room = max(0, limit - current)
        reason = (f"only {available} in stock" if limit == available
                  else f"at most {current_app.config['CART_MAX_PER_ITEM']} per order")
        raise NotEnoughStock.for_field(
            "quantity", f"You can add {room} more of {variation.item.name} ({reason}).")
    _store(cart, key, wanted, variation.price_amount or 0)
    return view_cart(cart)


@dataclass(frozen=True)
class Added:
    """What an "add to cart" added, and the cart after it."""

    variation: ItemVariation
    cart: CartView


def add_to_cart(cart: Cart, *, variation_id: object = None, item_id: object = None,
                quantity: object = 1) -> Added:
    """The use case behind "add to cart" on the pages and the API: resolve what was meant (a
    variation, or an item's first variation), parse the quantity, add within stock and limits."""
    variation = resolve_variation(variation_id=variation_id, item_id=item_id)
    return Added(variation, add_item(cart, variation, parse_quantity(quantity)))


def change_quantity(cart: Cart, variation_id: object, quantity: object) -> CartView:
    """The use case behind "update quantity" on both surfaces (0 removes the line)."""
    return set_quantity(cart, parse_id(variation_id, "variation_id"), parse_quantity(quantity, allow_zero=True))


def set_quantity(cart: Cart, variation_id: int, quantity: int) -> CartView:
    """Change a line's quantity; 0 removes it."""
    key = str(variation_id)
    if key not in (cart.lines or {}):
        raise NotFound("That item is not in your cart.")
    if quantity == 0:
        return remove_item(cart, variation_id)
    variation = resolve_variation(variation_id=variation_id)
    available, limit = _limit_for(variation, cart)
    if quantity > limit:
        raise NotEnoughStock.for_field("quantity", f"At most {limit} of {variation.item.name} can be ordered "
                                                    f"right now ({available} in stock).")
    _store(cart, key, quantity, variation.price_amount or 0)
    return view_cart(cart)


def remove_item(cart: Cart, variation_id: int) -> CartView:
    key = str(variation_id)
    lines = dict(cart.lines or {})
    if key not in lines:
        raise NotFound("That item is not in your cart.")
    del lines[key]
    cart.lines = lines
    cart.version += 1
    db.session.commit()
    return view_cart(cart)


def clear(cart: Cart) -> None:
    cart.lines = {}
    cart.version += 1
    db.session.commit()


def _store(cart: Cart, key: str, quantity: int, price: int) -> None:
    lines = dict(cart.lines or {})
    lines[key] = {"quantity": quantity, "price": price}
    cart.lines = lines  # reassign so the JSON column is marked dirty
    cart.version += 1
    db.session.commit()


def view_cart(cart: Cart | None) -> CartView:
    """Lines with today's prices and stock, flagged when something changed since they were added."""
    if cart is None or not cart.lines:
        return CartView()
    ids = [int(k) for k in cart.lines]
    variations = {v.id: v for v in db.session.scalars(
        select(ItemVariation).options(joinedload(ItemVariation.item)).where(ItemVariation.id.in_(ids)))}
    available = available_units(list(variations), _location(), cart_id=cart.id)
    lines = []
    for key, entry in cart.lines.items():
        variation = variations.get(int(key))
        if variation is None:
            continue
        lines.append(CartLineView(
            variation_id=variation.id, item_id=variation.item_id, name=variation.item.name,
            variation_name=variation.name, quantity=int(entry.get("quantity", 0)),
            unit_amount=int(variation.price_amount or 0), currency=variation.currency,
            available=available.get(variation.id, 0), added_at_amount=entry.get("price"),
            is_deleted=variation.is_deleted or variation.item.is_deleted))
    return CartView(lines)


def merge_into(target: Cart, source: Cart) -> None:
    """Fold a guest cart into the customer's cart (kept quantities are summed, then bounded)."""
    lines = dict(target.lines or {})
    cap = int(current_app.config["CART_MAX_PER_ITEM"])
    for key, entry in (source.lines or {}).items():
        merged = int(lines.get(key, {}).get("quantity", 0)) + int(entry.get("quantity", 0))
        lines[key] = {"quantity": min(merged, cap), "price": entry.get("price")}
    target.lines = lines
    target.version += 1
    source.lines = {}
    db.session.commit()
