"""OpenAPI operations and schemas of the shopper-facing /api/v1 routes (no staff token).

Adding a route: append an ``Op`` to ``OPERATIONS`` (and its response schema to ``SCHEMAS``);
tests/test_openapi.py names any route that is missing here.
"""

from __future__ import annotations

from storefront.api.openapi import Op, header_param, page_params, query_param
from storefront.api.openapi_schemas import (
    ANY_OBJECT,
    BOOL,
    DATE,
    DATETIME,
    EMAIL,
    INT,
    NUM,
    STR,
    Schema,
    array,
    enum,
    integer,
    nullable,
    obj,
    ref,
    request_obj,
    string,
)
from storefront.catalog.query import GRADES
from storefront.core.addresses import COUNTRIES
from storefront.inquiries.models import EVENT_TYPES

TAGS = [
    {"name": "System", "description": "Health and this API description."},
    {"name": "Catalog", "description": "Products: search, filters, facets and product pages."},
    {"name": "Cart", "description": "A cart is found by its X-Cart-Token header (from POST /cart)."},
    {"name": "Checkout & orders", "description": "Checkout, public order lookup and a customer's order history."},
    {"name": "Customer accounts", "description": "Register, confirm, log in for a bearer token, reset a password."},
    {"name": "Wishlist", "description": "A customer's wishlist and read-only shared lists."},
    {"name": "Wantlist", "description": "Back-in-stock alerts: releases, artists and saved searches a customer "
                                        "follows, with an optional minimum grade and maximum price."},
    {"name": "Address book", "description": "A customer's saved postal addresses (for pre-filling checkout)."},
    {"name": "Event inquiries", "description": "Ask to book the event space."},
]

MONEY_OR_NULL = nullable(ref("Money"))
GENRE_REF = obj({"slug": STR, "name": STR})
STOCK_STATE = enum("in_stock", "low_stock", "sold_out")
CART_TOKEN = header_param("X-Cart-Token", string(minLength=1, maxLength=200),
                          "The cart token from POST /api/v1/cart.", required=True)

ORDER_PROPS: dict[str, Schema] = {
    "number": STR,
    "status": enum("pending_payment", "paid", "failed", "cancelled", "expired", "fulfilled", "completed"),
    "payment_status": nullable(STR), "created_at": DATETIME, "paid_at": nullable(DATETIME),
    "lines": array(ref("OrderLine")), "subtotal": ref("Money"), "discount": ref("Money"),
    "shipping": ref("Money"), "tax": ref("Money"), "total": ref("Money"),
    "refunded": ref("Money"), "coupon_code": nullable(STR), "shipping_method": nullable(STR),
    "shipping_address": nullable(ref("ShippingAddress")), "carrier": nullable(STR),
    "tracking_number": nullable(STR), "shipped_at": nullable(DATETIME),
    "payment_url": string(description="Only while the order is pending payment."),
}

SCHEMAS: dict[str, Schema] = {
    # system
    "Health": obj({
        "status": enum("ok", "degraded", "down"),
        "checks": {"type": "object", "additionalProperties": obj({
            "status": enum("ok", "down", "not_configured"), "required": BOOL,
            "latency_ms": nullable(NUM), "detail": STR}, optional=("detail",))},
    }, description="200 while every required dependency is up (status ok or degraded), else 503."),
    # catalog
    "ProductSummary": obj({
        "id": INT, "name": STR, "artist": STR, "title": STR, "format": STR, "year": nullable(INT),
        "kind": enum("record", "event"), "price": MONEY_OR_NULL, "in_stock": BOOL, "stock_state": STOCK_STATE,
        "staff_pick": BOOL, "image_url": nullable(STR), "genres": array(GENRE_REF), "url": STR, "api_url": STR,
        "formats": array(STR, description="The formats a card names: every variation's, else the item's format."),
        "price_varies": BOOL,  # the variations differ in price: "price" is the lowest ("from")
        "variations": array(obj({"id": INT, "name": STR, "price": MONEY_OR_NULL})),
    }),
    "FacetValue": obj({"value": STR, "label": STR, "count": integer(minimum=0), "selected": BOOL}),
    "ProductList": obj({
        "products": array(ref("ProductSummary")),
        "facets": obj({
            "genre": array(ref("FacetValue")), "format": array(ref("FacetValue")),
            "in_stock": obj({"count": integer(minimum=0)}),
            "condition": obj({"new": integer(minimum=0), "used": integer(minimum=0)},
                             description="Records with a new / a used copy (the other filters applied)."),
            "price": array(obj({"min_price": INT, "max_price": nullable(INT), "count": integer(minimum=0),
                                "selected": BOOL, "currency": STR})),
        }),
        "query": obj({"q": STR, "genre": array(STR), "format": array(STR), "min_price": nullable(INT),
                      "max_price": nullable(INT), "in_stock": BOOL, "kind": enum("record", "event"),
                      "condition": nullable(enum("new", "used")),
                      "min_grade": nullable(enum("M", "NM", "VG+", "VG", "G+", "G", "F", "P")),
                      "sort": enum("relevance", "newest", "price_asc", "price_desc", "title")},
                     description="The query as the server understood it (prices in minor units)."),
        "pagination": ref("Pagination"),
    }),
    "Product": obj({
        "id": INT, "name": STR, "kind": enum("record", "event"), "title": STR, "artist": STR,
        "artists": array(STR), "label": STR, "catalog_number": STR, "year": nullable(INT), "format": STR,
        "description": STR, "price": MONEY_OR_NULL, "in_stock": BOOL, "stock_state": STOCK_STATE,
        "price_varies": BOOL,
        "variations": array(obj({"id": INT, "name": STR, "sku": STR, "price": MONEY_OR_NULL, "in_stock": BOOL,
                                 "stock_state": STOCK_STATE,
                                 "condition": nullable(enum("new", "used")),
                                 "media_grade": nullable(STR), "sleeve_grade": nullable(STR)})),
        "genres": array(GENRE_REF), "styles": array(STR),
        "tracklist": array(obj({"position": STR, "title": STR, "duration": nullable(STR),
                                "kind": STR})),
        "images": array(obj({"url": STR, "thumbnail_url": nullable(STR), "type": nullable(STR),
                             "width": nullable(INT), "height": nullable(INT)})),
        "notes": STR, "staff_pick": nullable(STR), "featured": BOOL, "discogs_release_id": nullable(INT),
        "url": STR, "related": array(ref("ProductSummary")),
    }),
    # cart
    "Cart": obj({
        "lines": array(obj({
            "variation_id": INT, "item_id": INT, "name": STR, "variation_name": STR,
            "quantity": integer(minimum=1), "unit_price": ref("Money"), "line_total": ref("Money"),
            "available": integer(minimum=0),
            "flags": obj({"out_of_stock": BOOL, "exceeds_stock": BOOL, "price_changed": BOOL, "unavailable": BOOL}),
            "price_when_added": MONEY_OR_NULL,
        })),
        "count": integer(minimum=0), "subtotal": ref("Money"), "problems": array(STR), "can_check_out": BOOL,
    }),
    "CartEnvelope": obj({"cart": ref("Cart")}),
    "CartCreated": obj({"cart_token": string(description="Keep it: send it as X-Cart-Token."),
                        "cart": ref("Cart")}),
    # orders
    "OrderLine": obj({"item_id": nullable(INT), "name": STR, "variation_name": STR, "quantity": INT,
                      "unit_price": ref("Money"), "line_total": ref("Money")}),
    "Order": obj(ORDER_PROPS, optional=("payment_url",)),
    "OrderEnvelope": obj({"order": ref("Order")}),
    "CheckoutResult": obj({"order": ref("Order"), "payment_url": nullable(STR)}),
    "OrderPage": obj({"orders": array(ref("Order")), "pagination": ref("Pagination")}),
    "ShippingAddress": obj({k: STR for k in ("name", "line1", "line2", "city", "region", "postcode", "country",
                                              "phone")}, description="Where the order goes (none for pickup)."),
    "CheckoutQuote": obj({
        "rates": array(obj({"shipping_method_id": INT, "name": STR, "pickup": BOOL, "amount": ref("Money")})),
        "shipping_method_id": nullable(INT), "coupon_code": nullable(STR), "subtotal": ref("Money"),
        "discount": ref("Money"), "shipping": ref("Money"), "tax": ref("Money"), "total": ref("Money"),
        "computed_by_ecs": BOOL,
        "problems": array(obj({"field": STR, "message": STR})),
    }, description="Delivery options for the address and the totals; tax and discount as the payment "
                   "provider computes them when computed_by_ecs is true."),
    # accounts
    "Customer": obj({"id": INT, "email": STR, "name": STR}),
    "CustomerToken": obj({"token": STR, "token_type": enum("Bearer"), "expires_at": DATETIME,
                          "customer": ref("Customer")}),
    "CustomerMe": obj({"customer": ref("Customer"), "token_expires_at": DATETIME}),
    "CustomerStatus": obj({"status": STR, "customer": ref("Customer")}),
    # wishlist
    "WishlistItem": obj({
        "item_id": INT, "name": STR, "artist": STR, "title": STR, "format": STR, "available": BOOL,
        "in_stock": BOOL, "price": MONEY_OR_NULL, "added_at": nullable(DATETIME),
    }, optional=("added_at",)),
    "WishlistPage": obj({"items": array(ref("WishlistItem")), "pagination": ref("Pagination")}),
    "WishlistItemEnvelope": obj({"item": ref("WishlistItem")}),
    "SharedWishlist": obj({"items": array(ref("WishlistItem"))}),
    # wantlist
    "WantlistEntry": obj({
        "id": INT, "kind": enum("release", "artist", "search"),
        "item": nullable(obj({"id": INT, "name": STR, "artist": STR, "title": STR, "in_stock": BOOL})),
        "artist": nullable(STR), "search": nullable(STR),
        "min_grade": nullable(enum(*GRADES)), "max_price": MONEY_OR_NULL, "created_at": nullable(DATETIME),
    }, description="One followed release (item), artist or saved search (the catalog page's query string)."),
    "WantlistPage": obj({"entries": array(ref("WantlistEntry")), "pagination": ref("Pagination")}),
    "WantlistEntryEnvelope": obj({"entry": ref("WantlistEntry")}),
    # address book
    "Address": obj({
        "id": INT, "name": STR, "line1": STR, "line2": STR, "city": STR, "region": STR, "postcode": STR,
        "country": string(pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code."), "country_name": STR,
        "phone": STR, "is_default": BOOL,
        "lines": array(STR, description="The address as printed on a label, in the country's usual order."),
        "created_at": DATETIME, "updated_at": DATETIME,
    }, description="A saved address; optional fields that were not given are empty strings."),
    "AddressEnvelope": obj({"address": ref("Address")}),
    "AddressBook": obj({"addresses": array(ref("Address")), "max_addresses": INT}),
    # inquiries
    "InquiryReceipt": obj({"tracking_id": STR, "status": STR}),
}

CHECKOUT_BODY = request_obj({
    "cart_token": string(minLength=1), "email": nullable(EMAIL),
    "shipping_address": nullable(request_obj(
        {k: nullable(string(maxLength=200)) for k in ("name", "line1", "line2", "city", "region", "postcode",
                                                       "country", "phone")})),
    "shipping_method_id": nullable(integer(minimum=1)), "coupon_code": nullable(string(maxLength=40)),
}, required=("cart_token",))
PASSWORD = string(minLength=1, maxLength=1024)
EMAIL_BODY = request_obj({"email": EMAIL}, required=("email",))
ADDRESS_PROPS: dict[str, Schema] = {
    "name": string(minLength=1, maxLength=120), "line1": string(minLength=1, maxLength=200),
    "line2": nullable(string(maxLength=200)), "city": string(minLength=1, maxLength=100),
    "region": nullable(string(maxLength=100)), "postcode": nullable(string(maxLength=20)),
    "country": {"type": "string", "enum": sorted(COUNTRIES),
                "description": "ISO 3166-1 alpha-2 code (lower case is accepted too)."},
    "phone": nullable(string(maxLength=40)),
}
ADDRESS_REQUIRED = ("name", "line1", "city", "country")
ADDRESS_ID = {"address_id": {"description": "The address id (another customer's id is a 404)."}}

OPERATIONS: list[Op] = [
    # --- system -------------------------------------------------------------------------------
    Op("GET", "/api/v1/health", "getHealth", "System", "Dependency health",
       ok={200: ref("Health")}, errors=(503,),
       description="Database, Redis and commerce-provider reachability with latencies; 503 when a required "
                   "one is down (the body is then Health, not Error)."),
    Op("GET", "/api/v1/openapi.json", "getOpenApiDocument", "System", "This OpenAPI 3.1 document",
       ok={200: ANY_OBJECT}),
    Op("GET", "/api/v1/docs", "getApiDocs", "System", "This document as an HTML page",
       ok={200: STR}, content_type="text/html"),
    # --- catalog ------------------------------------------------------------------------------
    Op("GET", "/api/v1/products", "listProducts", "Catalog", "Search and filter products",
       ok={200: ref("ProductList")}, errors=(422,),
       description="Facets count the whole result set. Prices are minor units. Any invalid argument → 422 "
                   "naming it.",
       query=(
           query_param("q", string(maxLength=200), "Search terms (relevance sort by default when given)."),
           query_param("genre", array(string(pattern="^[A-Za-z0-9][A-Za-z0-9-]{0,79}$"), maxItems=20),
                       "Genre slugs; repeat the parameter or separate with commas."),
           query_param("format", array(string(pattern="^[^,]{1,40}$"), maxItems=20), "Format names, e.g. LP."),
           query_param("min_price", integer(minimum=0, maximum=100_000_000), "Minor units."),
           query_param("max_price", integer(minimum=0, maximum=100_000_000),
                       "Minor units; must not be below min_price."),
           query_param("in_stock", BOOL, "Only items in stock (also accepts 1/0, yes/no, on/off)."),
           query_param("kind", enum("record", "event"), "Default record."),
           query_param("condition", enum("new", "used"), "Only records with a new (or a used) copy."),
           query_param("min_grade", enum("M", "NM", "VG+", "VG", "G+", "G", "F", "P"),
                       "Only records with a used copy whose media grade is this or better (Goldmine scale)."),
           query_param("sort", enum("relevance", "newest", "price_asc", "price_desc", "title"),
                       "Default relevance with q, newest without."),
           *page_params(24, 100),
       )),
    Op("GET", "/api/v1/products/{item_id}", "getProduct", "Catalog", "One product",
       ok={200: obj({"product": ref("Product")})},
       description="Commerce data (price, stock, variations) merged with staff enrichment, plus related "
                   "products. 404 when missing or deleted."),
    # --- cart ---------------------------------------------------------------------------------
    Op("POST", "/api/v1/cart", "createCart", "Cart", "Create an empty cart",
       ok={201: ref("CartCreated")}),
    Op("GET", "/api/v1/cart", "getCart", "Cart", "The cart", headers=(CART_TOKEN,),
       ok={200: ref("CartEnvelope")}, errors=(404,),
       description="Lines with current prices and stock flags; 404 cart_not_found for an unknown token."),
    Op("POST", "/api/v1/cart/items", "addCartItem", "Cart", "Add an item", headers=(CART_TOKEN,),
       body=request_obj({"variation_id": integer(minimum=1), "item_id": integer(minimum=1),
                         "quantity": integer(minimum=1, default=1)},
                        description="Give variation_id, or item_id for its first variation."),
       ok={200: ref("CartEnvelope")}, errors=(404, 422),
       description="Adds to any quantity already in the cart; 422 when sold out or over the per-item limit."),
    Op("PUT", "/api/v1/cart/items/{variation_id}", "setCartItemQuantity", "Cart", "Set a line's quantity",
       headers=(CART_TOKEN,), body=request_obj({"quantity": integer(minimum=0)}, required=("quantity",)),
       ok={200: ref("CartEnvelope")}, errors=(422,), description="0 removes the line."),
    Op("DELETE", "/api/v1/cart/items/{variation_id}", "removeCartItem", "Cart", "Remove a line",
       headers=(CART_TOKEN,), ok={200: ref("CartEnvelope")}),
    # --- checkout & orders --------------------------------------------------------------------
    Op("POST", "/api/v1/checkout/quote", "quoteCheckout", "Checkout & orders", "Delivery options and totals",
       auth="customer_optional", body=CHECKOUT_BODY, ok={200: ref("CheckoutQuote")}, errors=(404, 422),
       description="What the checkout would cost with these details; problems (a country no zone "
                   "covers, a used-up coupon) are listed, not refused. Changes nothing."),
    Op("POST", "/api/v1/checkout", "checkout", "Checkout & orders", "Check out a cart",
       auth="customer_optional", body=CHECKOUT_BODY,
       ok={201: ref("CheckoutResult")}, errors=(403, 404, 409, 422, 503),
       description="Creates (or resumes) the pending order, holds stock and returns the hosted payment "
                   "link. The same cart with the same details returns the same order and link; a changed "
                   "cart or details cancel the old pending order and delete its link. A guest sends no "
                   "token and an email. 422 for missing details (email, address, delivery method, a bad "
                   "coupon), 409 out_of_stock / checkout in progress, 503 when the provider is down."),
    Op("GET", "/api/v1/orders/{number}", "getOrder", "Checkout & orders", "One of the customer's orders",
       auth="customer", ok={200: ref("OrderEnvelope")},
       path_params={"number": {"description": "The order number (another customer's is a 404)."}}),
    Op("GET", "/api/v1/order/status", "getOrderStatus", "Checkout & orders", "Look up an order",
       ok={200: ref("OrderEnvelope")}, errors=(404, 422),
       query=(query_param("number", string(minLength=1), "The order number.", required=True),
              query_param("email", string(minLength=3, pattern="@"), "The email used to order.", required=True)),
       description="Public; an unknown number and a wrong email give the same 404 order_not_found. "
                   "Rate limited per client and per order number."),
    Op("GET", "/api/v1/orders/history", "listOrderHistory", "Checkout & orders", "The customer's orders",
       auth="customer", query=page_params(10, 50), ok={200: ref("OrderPage")}, errors=(422,)),
    # --- customer accounts --------------------------------------------------------------------
    Op("POST", "/api/v1/customer/register", "registerCustomer", "Customer accounts", "Register",
       body=request_obj({"email": EMAIL, "name": string(minLength=1, maxLength=120), "password": PASSWORD},
                        required=("email", "name", "password")),
       ok={202: ref("Accepted")}, errors=(422,),
       description="202 pending_confirmation whether or not the email already has an account; a "
                   "confirmation link is emailed."),
    Op("POST", "/api/v1/customer/confirmation/resend", "resendConfirmation", "Customer accounts",
       "Send the confirmation link again", body=EMAIL_BODY, ok={202: ref("Accepted")}, errors=(422,)),
    Op("POST", "/api/v1/customer/confirm", "confirmCustomer", "Customer accounts", "Confirm an email address",
       body=request_obj({"token": string(minLength=1)}, required=("token",)),
       ok={200: ref("CustomerStatus")}, errors=(422,),
       description="The token from the confirmation email; 400 invalid_link when expired or used."),
    Op("POST", "/api/v1/customer/login", "loginCustomer", "Customer accounts", "Log in for a bearer token",
       body=request_obj({"email": EMAIL, "password": PASSWORD}, required=("email", "password")),
       ok={200: ref("CustomerToken")}, errors=(401, 422),
       description="401 invalid_credentials for any unknown email, wrong password or unconfirmed account."),
    Op("POST", "/api/v1/customer/logout", "logoutCustomer", "Customer accounts", "Revoke this token",
       auth="customer", ok={204: None}),
    Op("GET", "/api/v1/customer/me", "getCustomerMe", "Customer accounts", "Who the token belongs to",
       auth="customer", ok={200: ref("CustomerMe")}),
    Op("POST", "/api/v1/customer/password/forgot", "forgotPassword", "Customer accounts",
       "Email a password reset link", body=EMAIL_BODY, ok={202: ref("Accepted")}, errors=(422,)),
    Op("POST", "/api/v1/customer/password/reset", "resetPassword", "Customer accounts", "Set a new password",
       body=request_obj({"token": string(minLength=1), "password": PASSWORD}, required=("token", "password")),
       ok={200: ref("CustomerStatus")}, errors=(422,),
       description="Ends the account's tokens and sessions; 400 invalid_link when the token is expired or used."),
    # --- wishlist -----------------------------------------------------------------------------
    Op("GET", "/api/v1/wishlist", "listWishlist", "Wishlist", "The customer's wishlist", auth="customer",
       query=page_params(50, 200), ok={200: ref("WishlistPage")}, errors=(422,),
       description="Newest first, with current price and stock."),
    Op("POST", "/api/v1/wishlist", "addToWishlist", "Wishlist", "Add an item", auth="customer",
       body=request_obj({"item_id": integer(minimum=1)}, required=("item_id",)),
       ok={201: ref("WishlistItemEnvelope"), 200: ref("WishlistItemEnvelope")},
       ok_headers={201: ("Location",), 200: ("Location",)}, errors=(404, 422),
       description="201 when added, 200 when it was already there; 404 when the item is not sold."),
    Op("DELETE", "/api/v1/wishlist/{item_id}", "removeFromWishlist", "Wishlist", "Remove an item",
       auth="customer", ok={204: None}, errors=(422,),
       path_params={"item_id": {"pattern": "^[0-9]{1,18}$", "description": "The item id."}},
       description="404 when the item is not on this customer's list."),
    Op("GET", "/api/v1/wishlist/shared/{token}", "getSharedWishlist", "Wishlist", "A shared wishlist",
       ok={200: ref("SharedWishlist")},
       path_params={"token": {"maxLength": 200, "description": "The share token from the owner's link."}},
       description="Read-only: items still sold, nothing about the owner."),
    # --- wantlist -----------------------------------------------------------------------------
    Op("GET", "/api/v1/wantlist", "listWantlist", "Wantlist", "The customer's wantlist", auth="customer",
       query=page_params(50, 200), ok={200: ref("WantlistPage")}, errors=(422,),
       description="Newest first. Matching copies that come in stock are emailed in one digest per "
                   "STOREFRONT_WANTLIST_DIGEST_MINUTES."),
    Op("POST", "/api/v1/wantlist", "addToWantlist", "Wantlist", "Follow a release, an artist or a search",
       auth="customer",
       body=request_obj({"kind": enum("release", "artist", "search"), "item_id": integer(minimum=1),
                         "artist": string(minLength=1, maxLength=255),
                         "search": string(maxLength=1000, description="A catalog query string: q and filters, "
                                          "prices in major units, e.g. q=miles+davis&format=LP&max_price=30."),
                         "min_grade": nullable(enum(*GRADES, "")),
                         "max_price": nullable(integer(minimum=0, description="Minor units."))},
                        required=("kind",)),
       ok={201: ref("WantlistEntryEnvelope"), 200: ref("WantlistEntryEnvelope")},
       ok_headers={201: ("Location",), 200: ("Location",)}, errors=(404, 422),
       description="201 when added; 200 when the customer already follows it (its min_grade and max_price are "
                   "replaced). 422 names each bad field (kind, item_id, artist, search, min_grade, max_price); "
                   "404 when the release is not sold."),
    Op("DELETE", "/api/v1/wantlist/{entry_id}", "removeFromWantlist", "Wantlist", "Stop following",
       auth="customer", ok={204: None}, path_params={"entry_id": {"description": "The entry id."}},
       description="404 for an unknown id or another customer's entry."),
    # --- address book -------------------------------------------------------------------------
    Op("GET", "/api/v1/customer/addresses", "listAddresses", "Address book", "The customer's addresses",
       auth="customer", ok={200: ref("AddressBook")},
       description="The default first, then the most recently added; a book holds at most max_addresses."),
    Op("POST", "/api/v1/customer/addresses", "createAddress", "Address book", "Save an address",
       auth="customer", body=request_obj({**ADDRESS_PROPS, "is_default": BOOL}, required=ADDRESS_REQUIRED),
       ok={201: ref("AddressEnvelope")}, errors=(409, 422),
       description="Text is trimmed; postcodes of countries that use letters are upper-cased. The first address "
                   "becomes the default; is_default true makes a later one the default. 422 names each bad "
                   "field (missing, too long, unknown country, control characters); 409 address_book_full "
                   "when the book is full."),
    Op("PUT", "/api/v1/customer/addresses/{address_id}", "updateAddress", "Address book", "Change an address",
       auth="customer", body=request_obj(ADDRESS_PROPS, required=ADDRESS_REQUIRED),
       ok={200: ref("AddressEnvelope")}, errors=(422,), path_params=ADDRESS_ID,
       description="Replaces the address fields (optional ones left out become empty); the default flag is "
                   "kept. 404 for an unknown id or another customer's address, whatever the body."),
    Op("DELETE", "/api/v1/customer/addresses/{address_id}", "deleteAddress", "Address book", "Delete an address",
       auth="customer", ok={204: None}, path_params=ADDRESS_ID,
       description="Deleting the default makes the most recently added remaining address the default."),
    Op("POST", "/api/v1/customer/addresses/{address_id}/default", "setDefaultAddress", "Address book",
       "Make an address the default", auth="customer", ok={200: ref("AddressEnvelope")}, path_params=ADDRESS_ID,
       description="The previous default stops being the default."),
    # --- event inquiries ----------------------------------------------------------------------
    Op("POST", "/api/v1/events/inquiry", "submitInquiry", "Event inquiries", "Ask to book the event space",
       body=request_obj({
           "name": string(minLength=1, maxLength=120), "email": EMAIL,
           "phone": string(maxLength=40),
           "eventType": {"type": "string", "enum": list(EVENT_TYPES),
                         "description": "A machine code; labels: " + "; ".join(
                             f"{code} = {label}" for code, label in EVENT_TYPES.items())
                         + ". The labels themselves are still accepted, for older clients."},
           "preferredDate": DATE,
           "attendeeCount": integer(minimum=1), "message": string(minLength=10, maxLength=5000),
       }, required=("name", "email", "eventType", "preferredDate", "message")),
       ok={202: ref("InquiryReceipt")}, errors=(422,),
       description="202 with a tracking id (EV-XXXX-XXXX); 422 names each bad field by its JSON name."),
]
