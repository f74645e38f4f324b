"""OpenAPI operations, schemas and error responses of the Shop API (/api/v1/shop).

This API answers its own documented error shape ``{"error_code", "message", "status_code",
"details"}`` rather than the shop's ``Error`` envelope, so every operation maps its error statuses
to the ``Shop…`` responses below.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from storefront.api.openapi import Op, _error_statuses, query_param
from storefront.api.openapi_schemas import (
    BOOL,
    DATETIME,
    EMAIL,
    INT,
    STR,
    Schema,
    array,
    enum,
    header_refs,
    integer,
    nullable,
    obj,
    ref,
    request_obj,
    string,
)

BASE = "/api/v1/shop"
TAG_PRODUCTS, TAG_CART, TAG_AUTH, TAG_ORDERS, TAG_PAGES = (
    "Shop API: products", "Shop API: cart", "Shop API: auth", "Shop API: orders", "Shop API: content pages")
TAGS = [
    {"name": TAG_PRODUCTS, "description": "The catalog for a headless front end: `skip`/`limit` paging, "
                                          "full-text `search` (20 a minute per IP), featured products."},
    {"name": TAG_CART, "description": "A cart named by a session id the client makes (22–128 URL-safe "
                                      "characters, unguessable); the first write creates it."},
    {"name": TAG_AUTH, "description": "Customers register and log in for a JWT `access_token`, also set as "
                                      "the HttpOnly `customer_token` cookie. Either authenticates; a token is "
                                      "bound to the shop that minted it."},
    {"name": TAG_ORDERS, "description": "Check out a session cart (payment on the commerce system's hosted "
                                        "page) and read the customer's own orders."},
    {"name": TAG_PAGES, "description": "The shop's content pages (About, Shipping & returns …) and their "
                                       "header/footer navigation."},
]

MONEY = string(pattern=r"^-?[0-9]+(\.[0-9]+)?$", description="A decimal amount in `currency` (\"24.99\").")
SESSION_ID = string(pattern="^[A-Za-z0-9_-]{22,128}$", description="The cart's session id (client-made, unguessable).")
ADDRESS = request_obj({name: STR for name in ("name", "line1", "line2", "city", "region", "postcode",
                                              "country", "phone")}, description="A postal address "
                      "(`country`: ISO 3166-1 alpha-2).")

SCHEMAS: dict[str, Schema] = {
    "ShopApiError": obj({
        "error_code": string(description="Upper-case machine code (`VALIDATION_ERROR`, `PRODUCT_NOT_FOUND`, "
                                         "`INSUFFICIENT_INVENTORY`, `UNAUTHORIZED`, `RATE_LIMITED` …)."),
        "message": STR, "status_code": INT,
        "details": {"type": "object", "additionalProperties": True,
                    "description": "`request_id`, and `fields` ([{field, message}]) for invalid input."},
    }, description="The Shop API's error shape."),
    "ShopProductVariant": obj({
        "id": INT, "name": STR, "sku": STR, "price": nullable(MONEY), "condition": nullable(STR),
        "media_grade": nullable(STR), "sleeve_grade": nullable(STR), "available_inventory": integer(minimum=0)}),
    "ShopProduct": obj({
        "id": INT, "name": STR, "artist": STR, "title": STR, "format": STR, "year": nullable(INT), "kind": STR,
        "description": STR, "image_url": nullable(STR), "is_featured": BOOL, "price": nullable(MONEY),
        "sale_price": nullable(MONEY), "currency": string(pattern="^[A-Z]{3}$"),
        "availability": enum("in_stock", "low_stock", "out_of_stock", "preorder"), "is_available": BOOL,
        "min_quantity": integer(minimum=1), "max_quantity": integer(minimum=0),
        "total_inventory": integer(minimum=0), "available_inventory": integer(minimum=0),
        "variants": array(ref("ShopProductVariant")),
    }),
    "ShopProductList": obj({"products": array(ref("ShopProduct")), "total": integer(minimum=0),
                            "skip": integer(minimum=0), "limit": integer(minimum=1, maximum=1000)}),
    "ShopCart": obj({
        "session_id": STR,
        "items": array(obj({"product_id": INT, "variant_id": INT, "name": STR, "variant_name": STR,
                            "quantity": integer(minimum=1), "unit_price": MONEY, "line_total": MONEY,
                            "available_inventory": integer(minimum=0), "price_changed": BOOL})),
        "item_count": integer(minimum=0), "subtotal": MONEY, "currency": STR, "can_check_out": BOOL,
        "problems": array(STR)}),
    "ShopUser": obj({"id": INT, "email": EMAIL, "name": STR, "created_at": nullable(DATETIME)}),
    "ShopLogin": obj({"access_token": STR, "token_type": enum("bearer"), "expires_in": integer(minimum=1),
                      "user": ref("ShopUser")}),
    "ShopOrder": {"type": "object", "additionalProperties": True,
                  "required": ["id", "number", "status", "total_amount", "currency", "lines"],
                  "properties": {"id": INT, "number": STR, "status": STR, "total_amount": nullable(MONEY),
                                 "currency": STR, "lines": array({"type": "object"}),
                                 "payment_url": string(format="uri", description="While payment is pending.")},
                  "description": "An order as /api/v1 shows it (`Order`), with `id`, `total_amount` and `currency`."},
    "ShopOrderList": obj({"orders": array(ref("ShopOrder")), "total": integer(minimum=0),
                          "skip": integer(minimum=0), "limit": integer(minimum=1, maximum=1000)}),
    "ShopNavLink": obj({"slug": STR, "title": STR}),
    "ShopContentPage": obj({"slug": STR, "title": STR, "content": string(description="Sanitised HTML."),
                            "meta_description": STR, "show_in_header": BOOL, "show_in_footer": BOOL,
                            "display_order": INT, "updated_at": DATETIME}),
}


def _shop_error(status: int, code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error_code": code, "message": message, "status_code": status,
            "details": {"request_id": "0f6c2a4e9d1b4c3a", **details}}


_ERRORS: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: ("ShopBadRequest", "Bad JSON, or not enough left for a cart (`INSUFFICIENT_INVENTORY`).",
          _shop_error(400, "INSUFFICIENT_INVENTORY", "You can add 1 more of Kind of Blue (only 1 in stock).")),
    401: ("ShopUnauthorized", "No valid token or cookie (or wrong credentials at login).",
          _shop_error(401, "UNAUTHORIZED", "Log in first: send Authorization: Bearer <access_token> or the "
                                           "customer_token cookie.")),
    403: ("ShopForbidden", "A cookie-authenticated change from another site.",
          _shop_error(403, "CROSS_SITE_REQUEST", "Cookie-authenticated changes must come from this site; send a "
                                                 "bearer token instead.")),
    404: ("ShopNotFound", "Unknown product, cart line, order or page (another customer's is the same 404).",
          _shop_error(404, "PRODUCT_NOT_FOUND", "No product with that id.")),
    409: ("ShopConflict", "Stock changed during checkout.",
          _shop_error(409, "OUT_OF_STOCK", "Someone just bought the last copy.")),
    415: ("ShopUnsupportedMediaType", "Send the body as application/json.",
          _shop_error(415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json.")),
    422: ("ShopValidationFailed", "Invalid input; `details.fields` names each field.",
          _shop_error(422, "VALIDATION_ERROR", "Check the highlighted fields.",
                      fields=[{"field": "email", "message": "Enter a valid email address."}])),
    429: ("ShopRateLimited", "Over the rate limit (X-RateLimit-* and Retry-After say more).",
          _shop_error(429, "RATE_LIMITED", "Too many requests: limit is 100 per 1 minute. Try again shortly.")),
}

RESPONSES: dict[str, Schema] = {
    name: {"description": description,
           "headers": header_refs("X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                                  *(("Retry-After",) if status == 429 else ())),
           "content": {"application/json": {"schema": ref("ShopApiError"), "examples": {"example": {"value": ex}}}}}
    for status, (name, description, ex) in _ERRORS.items()}


def shop_op(method: str, path: str, operation_id: str, tag: str, summary: str, *, ok: dict[int, Schema | None],
            auth: str | None = None, **kwargs: Any) -> Op:
    """An Op of the Shop API: every error status it can answer mapped to this API's error shape."""
    op = Op(method, BASE + path, operation_id, tag, summary, ok=ok, auth=auth, **kwargs)
    statuses = set(_error_statuses(op)) | {422}
    return replace(op, error_responses={s: _ERRORS[s][0] for s in sorted(statuses) if s in _ERRORS})


PAGING = (query_param("skip", integer(minimum=0, maximum=1_000_000, default=0), "Rows to skip."),
          query_param("limit", integer(minimum=1, maximum=1000, default=100), "Rows to return (at most 1000)."))
CART_PATH = {"session_id": SESSION_ID}
CART_ITEM_BODY = request_obj({"product_id": integer(minimum=1), "quantity": integer(minimum=1, default=1),
                              "variant_id": integer(minimum=1, description="Which copy, for a product with several.")},
                             required=("product_id",))

OPERATIONS: list[Op] = [
    shop_op("GET", "/products", "shopListProducts", TAG_PRODUCTS, "List products", ok={200: ref("ShopProductList")},
            query=(*PAGING, query_param("search", string(maxLength=200), "Full-text search (artist, title, label …)."),
                   query_param("is_featured", BOOL, "Only staff picks (true) or only the others (false)."))),
    shop_op("GET", "/products/{product_id}", "shopGetProduct", TAG_PRODUCTS, "One product",
            ok={200: ref("ShopProduct")}),
    shop_op("GET", "/cart/{session_id}", "shopGetCart", TAG_CART, "The cart (empty when it does not exist yet)",
            ok={200: ref("ShopCart")}, path_params=CART_PATH),
    shop_op("POST", "/cart/{session_id}/items", "shopAddToCart", TAG_CART, "Add a product to the cart",
            ok={201: ref("ShopCart")}, body=CART_ITEM_BODY, path_params=CART_PATH,
            description="400 `INSUFFICIENT_INVENTORY` when not enough is left; 404 for an unknown product."),
    shop_op("PUT", "/cart/{session_id}/items/{product_id}", "shopSetCartQuantity", TAG_CART,
            "Set a line's quantity (0 removes it)", ok={200: ref("ShopCart")}, path_params=CART_PATH,
            body=request_obj({"quantity": integer(minimum=0), "variant_id": integer(minimum=1)},
                             required=("quantity",))),
    shop_op("DELETE", "/cart/{session_id}/items/{product_id}", "shopRemoveFromCart", TAG_CART, "Remove a line",
            ok={200: ref("ShopCart")}, path_params=CART_PATH,
            query=(query_param("variant_id", integer(minimum=1), "Which copy, when the cart holds several."),)),
    shop_op("DELETE", "/cart/{session_id}", "shopClearCart", TAG_CART, "Empty the cart", ok={200: ref("ShopCart")},
            path_params=CART_PATH),
    shop_op("POST", "/auth/register", "shopRegister", TAG_AUTH, "Register a customer",
            ok={201: obj({"status": enum("pending_confirmation"), "message": STR})},
            body=request_obj({"email": EMAIL, "password": string(minLength=1), "name": STR},
                             required=("email", "password")),
            description="The answer is the same whether or not the address already has an account (its "
                        "owner is emailed instead), so it cannot be used to find out who shops here. The "
                        "account works once the emailed link is followed."),
    shop_op("POST", "/auth/login", "shopLogin", TAG_AUTH, "Log in", ok={200: ref("ShopLogin")},
            body=request_obj({"email_or_username": STR, "password": STR}, required=("email_or_username", "password")),
            ok_headers={200: ("Set-Cookie",)}, errors=(401,),
            description="Also sets `customer_token` (HttpOnly, SameSite=Lax, Secure in production, path "
                        "`/api/v1/shop`). Failed logins are limited per IP and per account."),
    shop_op("POST", "/auth/logout", "shopLogout", TAG_AUTH, "Log out", ok={200: obj({"message": STR})},
            description="Revokes the presented token and clears the cookie."),
    shop_op("GET", "/auth/me", "shopMe", TAG_AUTH, "Who is signed in", ok={200: obj({"user": ref("ShopUser")})},
            auth="shop_customer"),
    shop_op("POST", "/orders", "shopCreateOrder", TAG_ORDERS, "Check out a session cart",
            ok={201: obj({"order": ref("ShopOrder"), "payment_url": nullable(STR)})}, auth="shop_optional",
            body=request_obj({"session_id": SESSION_ID, "email": EMAIL, "shipping_address": ADDRESS,
                              "billing_address": ADDRESS, "shipping_method_id": INT, "coupon_code": STR},
                             required=("session_id",)),
            errors=(409,),
            description="Goes through the same checkout as the shop's pages: stock is held, the commerce system "
                        "prices the order and `payment_url` is its hosted payment page. Guests send `email`. "
                        "`billing_address` is checked; the card's billing address is taken on the payment page."),
    shop_op("GET", "/orders", "shopListOrders", TAG_ORDERS, "The customer's orders, newest first",
            ok={200: ref("ShopOrderList")}, auth="shop_customer",
            query=(PAGING[0], query_param("limit", integer(minimum=1, maximum=1000, default=20), "At most 1000."))),
    shop_op("GET", "/orders/{order_id}", "shopGetOrder", TAG_ORDERS, "One of the customer's orders",
            ok={200: ref("ShopOrder")}, auth="shop_customer",
            path_params={"order_id": string(description="The order's id or number.")}),
    shop_op("GET", "/content-pages/navigation", "shopNavigation", TAG_PAGES, "Header and footer links",
            ok={200: obj({"header": array(ref("ShopNavLink")), "footer": array(ref("ShopNavLink"))})}),
    shop_op("GET", "/content-pages/{slug}", "shopContentPage", TAG_PAGES, "One published page",
            ok={200: ref("ShopContentPage")}),
]
