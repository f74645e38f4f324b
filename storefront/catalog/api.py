"""Catalog JSON: the product list with search, filters and facets, and one product.

Same service calls as the pages; prices in query args are minor units (``min_price=1250``).
"""

from __future__ import annotations

from flask import Response, jsonify, request

from storefront.api.blueprint import bp
from storefront.catalog.product import get_product
from storefront.catalog.query import parse_catalog_query
from storefront.catalog.serializers import catalog_json, product_json
from storefront.catalog.services import search_catalog
from storefront.web.pagination import PageRequest, pagination_dict


@bp.get("/products")
def catalog_products() -> Response:
    """Products matching ``q``/``genre``/``format``/``min_price``/``max_price``/``in_stock``/``kind``,
    sorted by ``sort``, paged by ``page``/``limit`` (≤ 100); facets count the whole result set."""
    query = parse_catalog_query(request.args, price_units="minor").or_raise()
    result = search_catalog(query)
    body = catalog_json(result)
    body["pagination"] = pagination_dict(PageRequest(query.page, query.limit), result.total)
    return jsonify(body)


@bp.get("/products/<int:item_id>")
def catalog_product(item_id: int) -> Response:
    """One product: ECS data merged with enrichment, variations and related products; 404 if gone."""
    return jsonify({"product": product_json(get_product(item_id))})
