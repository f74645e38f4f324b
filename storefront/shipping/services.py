"""Rates for a cart and an address, computed locally from the shop's zones and methods.

A zone matches an address by country (``*`` matches any country no other zone names), then, when
set, by region code and postcode prefix; the first matching zone by position wins. Pickup
methods (no zone) are offered everywhere. No methods at all means the shop does not ship: the
checkout then asks for no address.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storefront.core.addresses import COUNTRIES
from storefront.core.errors import FieldError, NotFound, ValidationError
from storefront.extensions import db
from storefront.shipping.models import METHOD_KINDS, ShippingMethod, ShippingZone


@dataclass(frozen=True)
class Rate:
    method_id: int
    name: str
    amount: int
    is_pickup: bool
    note: str = ""


def shipping_enabled() -> bool:
    return db.session.scalar(select(ShippingMethod.id).where(ShippingMethod.active.is_(True)).limit(1)) is not None


def _matches(zone: ShippingZone, country: str, region: str, postcode: str) -> bool:
    regions = [r.strip().upper() for r in zone.regions.split(",") if r.strip()]
    prefixes = [p.strip().upper().replace(" ", "") for p in zone.postcodes.split(",") if p.strip()]
    if regions and region.strip().upper() not in regions:
        return False
    compact = postcode.upper().replace(" ", "")
    return not prefixes or any(compact.startswith(p) for p in prefixes)


def zone_for(address: Mapping[str, str]) -> ShippingZone | None:
    country = (address.get("country") or "").upper()
    zones = db.session.scalars(select(ShippingZone).options(selectinload(ShippingZone.methods))
                               .order_by(ShippingZone.position, ShippingZone.id)).all()
    region, postcode = address.get("region") or "", address.get("postcode") or ""
    for zone in zones:
        if country in zone.country_codes and _matches(zone, country, region, postcode):
            return zone
    for zone in zones:
        if "*" in zone.country_codes and _matches(zone, country, region, postcode):
            return zone
    return None


def method_charge(method: ShippingMethod, *, units: int, subtotal: int) -> int:
    """What ``method`` charges for ``units`` records worth ``subtotal``."""
    if method.kind == "pickup" or units <= 0:
        return 0
    if method.kind == "per_unit":
        return method.amount + method.additional_amount * (units - 1)
    if method.kind == "free_over" and method.free_over_amount and subtotal >= method.free_over_amount:
        return 0
    return method.amount


def rates_for(address: Mapping[str, str] | None, *, units: int, subtotal: int,
              free_shipping: bool = False) -> list[Rate]:
    """The methods open to this address (pickup always), cheapest first after pickup."""
    rates: list[Rate] = []
    zone = zone_for(address) if address and address.get("country") else None
    if zone is not None:
        for method in zone.methods:
            if method.active and method.kind != "pickup":
                charge = 0 if free_shipping else method_charge(method, units=units, subtotal=subtotal)
                note = _note(method, charge)
                rates.append(Rate(method.id, method.name, charge, False, note))
    rates.sort(key=lambda r: r.amount)
    pickups = db.session.scalars(select(ShippingMethod).where(
        ShippingMethod.kind == "pickup", ShippingMethod.active.is_(True)).order_by(ShippingMethod.position))
    return rates + [Rate(m.id, m.name, 0, True) for m in pickups]


def _note(method: ShippingMethod, charge: int) -> str:
    if method.kind == "free_over" and charge == 0 and method.free_over_amount:
        return "Free on this order"
    return ""


def choose_rate(address: Mapping[str, str] | None, method_id: int | None, *, units: int, subtotal: int,
                free_shipping: bool = False) -> Rate:
    """The chosen method's rate for this address, or a clear error (no zone covers the country, …)."""
    rates = rates_for(address, units=units, subtotal=subtotal, free_shipping=free_shipping)
    if method_id is None:
        raise ValidationError("Choose how you'd like to get your order.",
                              details=[FieldError("shipping_method", "Choose a delivery option.")])
    for rate in rates:
        if rate.method_id == method_id:
            return rate
    if address and address.get("country") and not any(not r.is_pickup for r in rates):
        raise ValidationError("Sorry, we don't ship to that country yet.",
                              details=[FieldError("country", "We don't ship there yet; local pickup is "
                                                             "still possible if you can collect.")])
    raise ValidationError("That delivery option isn't available for this address.",
                          details=[FieldError("shipping_method", "Choose one of the options shown.")])


# --- staff ---------------------------------------------------------------------------------

def list_zones() -> list[ShippingZone]:
    return list(db.session.scalars(select(ShippingZone).options(selectinload(ShippingZone.methods))
                                   .order_by(ShippingZone.position, ShippingZone.id)))


def pickup_methods() -> list[ShippingMethod]:
    return list(db.session.scalars(select(ShippingMethod).where(ShippingMethod.zone_id.is_(None))
                                   .order_by(ShippingMethod.position, ShippingMethod.id)))


def _codes(raw: str, field: str, errors: list[FieldError], *, allow_star: bool = False) -> str:
    codes = [c.strip().upper() for c in raw.replace(";", ",").split(",") if c.strip()]
    bad = [c for c in codes if c not in COUNTRIES and not (allow_star and c == "*")]
    if bad:
        errors.append(FieldError(field, f"Unknown country code(s): {', '.join(bad[:5])}."))
    if not codes:
        errors.append(FieldError(field, "List at least one country code (e.g. GB, IE), or * for everywhere else."))
    return ",".join(dict.fromkeys(codes))


def save_zone(zone: ShippingZone | None, form: Mapping[str, str]) -> ShippingZone:
    errors: list[FieldError] = []
    name = (form.get("name") or "").strip()
    if not name or len(name) > 100:
        errors.append(FieldError("name", "Give the zone a name of up to 100 characters."))
    countries = _codes(form.get("countries") or "", "countries", errors, allow_star=True)
    regions = ",".join(r.strip().upper() for r in (form.get("regions") or "").split(",") if r.strip())
    postcodes = ",".join(p.strip().upper() for p in (form.get("postcodes") or "").split(",") if p.strip())
    if len(regions) > 2000 or len(postcodes) > 2000:
        errors.append(FieldError("regions", "Keep region and postcode lists under 2,000 characters."))
    if errors:
        raise ValidationError("Check the zone.", details=errors)
    zone = zone or ShippingZone()
    zone.name, zone.countries, zone.regions, zone.postcodes = name, countries, regions, postcodes
    db.session.add(zone)
    return zone


def _money(form: Mapping[str, str], field: str, errors: list[FieldError]) -> int:
    raw = (form.get(field) or "0").strip().lstrip("$£€")
    try:
        whole, _, frac = raw.partition(".")
        if not whole.isdigit() and whole != "" or (frac and (not frac.isdigit() or len(frac) > 2)):
            raise ValueError
        value = int(whole or 0) * 100 + int((frac + "00")[:2])
    except ValueError:
        errors.append(FieldError(field, "Enter an amount like 4.50."))
        return 0
    if value > 10_000_00:
        errors.append(FieldError(field, "That is more than this form accepts (10,000)."))
    return value


def save_method(method: ShippingMethod | None, form: Mapping[str, str], zone_id: int | None) -> ShippingMethod:
    errors: list[FieldError] = []
    name = (form.get("name") or "").strip()
    kind = form.get("kind") or ""
    if not name or len(name) > 100:
        errors.append(FieldError("name", "Give the method a name of up to 100 characters."))
    if kind not in METHOD_KINDS or (kind == "pickup") != (zone_id is None):
        errors.append(FieldError("kind", "Choose a kind (pickup methods are added under Local pickup)."))
    amounts = {f: _money(form, f, errors) for f in ("amount", "additional_amount", "free_over_amount")}
    if kind == "free_over" and not amounts["free_over_amount"]:
        errors.append(FieldError("free_over_amount", "Give the order amount above which shipping is free."))
    if errors:
        raise ValidationError("Check the shipping method.", details=errors)
    method = method or ShippingMethod(zone_id=zone_id)
    method.name, method.kind = name, kind
    method.active = form.get("active") in ("on", "true", "1", "y") or "active_present" not in form
    method.amount, method.additional_amount = amounts["amount"], amounts["additional_amount"]
    method.free_over_amount = amounts["free_over_amount"]
    db.session.add(method)
    return method


def get_zone(zone_id: int) -> ShippingZone:
    zone = db.session.get(ShippingZone, zone_id)
    if zone is None:
        raise NotFound("No such shipping zone.")
    return zone


def get_method(method_id: int) -> ShippingMethod:
    method = db.session.get(ShippingMethod, method_id)
    if method is None:
        raise NotFound("No such shipping method.")
    return method
