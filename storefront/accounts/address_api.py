"""The customer's address book as JSON: /api/v1/customer/addresses (customer bearer token).

Bodies carry the eight address fields (``name``, ``line1``, ``city`` and ``country`` required;
the others optional, null meaning empty); bad values are a 422 naming each field, a full book
a 409 ``address_book_full``, and another customer's address id a 404 like an unknown one.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify

from storefront.accounts import addresses as book
from storefront.api.auth import customer_token_required
from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.core.addresses import COUNTRIES, format_address
from storefront.core.errors import ValidationError


def address_json(address: book.Address) -> dict[str, Any]:
    """The API shape of one saved address."""
    fields = address.as_dict()
    return {
        "id": address.id,
        **fields,
        "country_name": COUNTRIES.get(address.country, address.country),
        "is_default": address.is_default,
        "lines": format_address(fields),
        "created_at": address.created_at.isoformat(),
        "updated_at": address.updated_at.isoformat(),
    }


def _make_default_flag(payload: dict[str, Any]) -> bool:
    value = payload.get("is_default", False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValidationError.for_field("is_default", "is_default must be true or false.")
    return value


@bp.get("/customer/addresses")
@customer_token_required
def customer_addresses_list() -> Response:
    """The customer's addresses, the default first (a book holds at most 20, so no pages)."""
    addresses = book.list_addresses(g.api_customer_id)
    return jsonify({"addresses": [address_json(a) for a in addresses], "max_addresses": book.MAX_ADDRESSES})


@bp.post("/customer/addresses")
@customer_token_required
def customer_addresses_create() -> tuple[Response, int]:
    """{name, line1, line2?, city, region?, postcode?, country, phone?, is_default?} → 201."""
    payload = json_object()
    make_default = _make_default_flag(payload)
    address = book.create_address(g.api_customer_id, payload, make_default=make_default)
    return jsonify({"address": address_json(address)}), 201


@bp.put("/customer/addresses/<int:address_id>")
@customer_token_required
def customer_addresses_update(address_id: int) -> Response:
    """Replace the address fields (the default flag is kept; use …/default to change it)."""
    payload = json_object()
    address = book.update_address(g.api_customer_id, address_id, payload)
    return jsonify({"address": address_json(address)})


@bp.delete("/customer/addresses/<int:address_id>")
@customer_token_required
def customer_addresses_delete(address_id: int) -> tuple[str, int]:
    """204; deleting the default makes the most recently added remaining address the default."""
    book.delete_address(g.api_customer_id, address_id)
    return "", 204


@bp.post("/customer/addresses/<int:address_id>/default")
@customer_token_required
def customer_addresses_make_default(address_id: int) -> Response:
    """Make this address the default; the old default stops being it."""
    address = book.set_default(g.api_customer_id, address_id)
    return jsonify({"address": address_json(address)})
