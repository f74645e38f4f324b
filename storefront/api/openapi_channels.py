"""OpenAPI operations and schemas of the channel-connector staff API (``storefront/channels/api.py``).

Routes under ``/api/v1/staff/channel-connectors`` manage sales-channel connectors (Discogs,
Shopify, a Google product feed), their field mappings, sync jobs and conflicts. Unlike the rest of
/api/v1 this API answers its *own* error shapes (the channel-connector specification defines them):

* 422 ``{"message": "The given data was invalid.", "errors": {"field": ["message", …]}}``
* channel failures ``{"message", "error_code": "CHN-0xx", "details"?}`` with the status the code
  maps to (``storefront.channels.api.CODE_STATUS``)
* 403 ``{"message", "required_permission"}`` when the staff member's role lacks the permission

What the shop answers before the view runs keeps the shop's ``Error`` envelope: 401 (no/invalid
token), 400 (a NUL character), 429 from the API rate limiter, a path no route matches (404). Those
statuses are documented as "either shape" (``anyOf``). Each operation names its permission in
``x-required-permission``. The tables (CHN codes, channel types, settings, credentials, mapping
choices) are read from the channel modules, so the document follows the code.
"""

from __future__ import annotations

from typing import Any

from storefront.api.openapi import Op, query_param
from storefront.api.openapi_schemas import (
    BOOL,
    DATETIME,
    INT,
    NUM,
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
from storefront.channels.adapters import ERROR_CODES, RETRYABLE_CODES
from storefront.channels.api import CODE_STATUS, MAX_PER_PAGE, PREFIX
from storefront.channels.conflicts import RESOLUTIONS
from storefront.channels.connectors import CREDENTIAL_FIELDS, REQUIRED_CREDENTIALS, SETTING_FIELDS
from storefront.channels.mappings import COMMENT_SOURCES, MAX_TEMPLATE, PLACEHOLDERS, ROUNDINGS
from storefront.channels.models import CHANNEL_TYPES, CONNECTOR_STATUSES
from storefront.channels.permissions import ROLE_PERMISSIONS
from storefront.channels.syncing import SYNC_TYPES

TAG = "Staff: sales channels"
BASE = f"/api/v1{PREFIX}"
JOB_STATUSES = ("queued", "running", "completed", "completed_with_errors", "failed")
CHANNEL_TYPE_LIST = ", ".join(f"`{t}`" for t in CHANNEL_TYPES)

# --- the tag: what this API is, its error shapes and the CHN code table -----------------------------

_NOTES = {"CHN-050": "Webhook routes only (Shopify orders/create: POST /webhooks/shopify/{code}), not this API.",
          "CHN-080": "Never answered: another shop's connectors, jobs and conflicts live in its own schema, so "
                     "from this shop they do not exist (CHN-001/040/060, 404) and cannot be probed.",
          "CHN-070": "A listing gone from the channel; reported per product in a job's `failed_products`."}


def _code_table() -> str:
    rows = ["| code | HTTP | meaning |", "| --- | --- | --- |"]
    for code, meaning in ERROR_CODES.items():
        extra = []
        if code in RETRYABLE_CODES:
            extra.append("A retry may fix it.")
        if code in _NOTES:
            extra.append(_NOTES[code])
        rows.append(f"| `{code}` | {CODE_STATUS.get(code, 400)} | {' '.join([meaning, *extra])} |")
    return "\n".join(rows)


def _permission_list() -> str:
    staff = ", ".join(f"`{p}`" for p in sorted(ROLE_PERMISSIONS["staff"]))
    admin_only = ", ".join(f"`{p}`" for p in sorted(ROLE_PERMISSIONS["admin"] - ROLE_PERMISSIONS["staff"]))
    return f"The staff role holds {staff}; the admin role also holds {admin_only}."


TAG_DESCRIPTION = (
    "Sales-channel connectors (" + CHANNEL_TYPE_LIST + "): create and test them, set their field "
    "mapping, run and follow sync jobs, resolve conflicts. Credentials are write-only: send them on "
    "create/update, read back only `{\"token\": \"set\" | \"not set\"}`.\n\n"
    "**Permissions.** Every operation names the permission it needs in `x-required-permission`; a "
    "role without it → 403 `{\"message\", \"required_permission\"}`. " + _permission_list() + "\n\n"
    "**Errors.** This API answers its own shapes, not the shop's `Error` envelope: 422 "
    "`{\"message\": \"The given data was invalid.\", \"errors\": {\"field\": [\"message\"]}}` "
    "(nested fields are dotted: `settings.base_url`, `credentials.token`, `mappings.price.rounding`), "
    "and channel failures `{\"message\", \"error_code\": \"CHN-0xx\", \"details\"?}` with the status "
    "below (429 CHN-020 also sends `Retry-After`). What the shop refuses before the route runs keeps "
    "the `Error` envelope: 401 (missing/invalid staff token), 400 (a NUL character), 429 from the "
    "API rate limiter, 403 for a customer token, 404 for a path no route matches.\n\n"
    "**CHN codes.**\n\n" + _code_table()
)

TAGS = [{"name": TAG, "description": TAG_DESCRIPTION}]

# --- shapes -------------------------------------------------------------------------------------------

CODE_PARAM = {"description": "The connector's code, e.g. `discogs-main`, `shopify`, `google`."}
JOB_ID_PARAM = {"description": "The sync job's id (a UUID), from `POST …/sync`."}
CONFLICT_ID_PARAM = {"description": "The conflict's id."}

TIMESTAMP = nullable(DATETIME)
_SETTING_SCHEMAS: dict[str, Schema] = {
    "api_base": string(maxLength=255, description="discogs: API base URL (default https://api.discogs.com)."),
    "location": string(maxLength=255, description="discogs: where the records ship from, shown on listings."),
    "rate_limit": integer(minimum=1, maximum=60, description="discogs: requests a minute (default 60)."),
    "base_url": string(maxLength=255, description="shopify (required): the store's https:// URL."),
    "location_id": integer(minimum=1, description="shopify: the inventory location id."),
    "api_version": string(pattern=r"^\d{4}-\d{2}$", description="shopify: Admin API version (default 2025-07)."),
    "format": enum("xml", "tsv"),
    "target_country": string(pattern="^[A-Z]{2}$", description="google_feed: country code (default US)."),
    "language": string(pattern="^[a-z]{2}$", description="google_feed: language code (default en)."),
}
_SETTING_SCHEMAS["format"] = {**_SETTING_SCHEMAS["format"], "description": "google_feed: feed format (default xml)."}
assert set(_SETTING_SCHEMAS) == {name for names in SETTING_FIELDS.values() for name in names}

SETTINGS_NOTE = "Per channel type: " + "; ".join(
    f"{kind}: {', '.join(names)}" for kind, names in SETTING_FIELDS.items()) + \
    ". A setting of another type → 422 `settings.<name>`."
CREDENTIAL_NAMES = sorted({name for names in CREDENTIAL_FIELDS.values() for name in names})
CREDENTIALS_NOTE = "Write-only, never returned. Per channel type: " + "; ".join(
    f"{kind}: {', '.join(names) or 'none'}"
    + (f" (required: {', '.join(REQUIRED_CREDENTIALS[kind])})" if REQUIRED_CREDENTIALS[kind] else "")
    for kind, names in CREDENTIAL_FIELDS.items()) + ". On update they are merged with the stored ones."


def _settings_request() -> Schema:
    return request_obj(dict(_SETTING_SCHEMAS), closed=True, description=SETTINGS_NOTE)


def _credentials_request() -> Schema:
    schema = request_obj({name: string(minLength=1, maxLength=512, pattern=r"^\S+$") for name in CREDENTIAL_NAMES},
                         closed=True, description=CREDENTIALS_NOTE)
    schema["writeOnly"] = True
    return schema


def _mapping_request() -> Schema:
    return request_obj({
        "title_template": string(minLength=1, maxLength=MAX_TEMPLATE,
                                 description="Placeholders: " + ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))),
        "price": request_obj({
            "tax_inclusive_rate": {"type": "number", "minimum": 0, "maximum": 100,
                                   "description": "Percent added for channels that show tax-inclusive prices."},
            "markup_percent": {"type": "number", "minimum": -90, "maximum": 500},
            "add_amount": {"type": "number", "minimum": -1_000_000, "maximum": 1_000_000,
                           "description": "Minor units added after tax and markup."},
            "rounding": enum(*ROUNDINGS),
        }, closed=True),
        "locale_map": {"type": "object", "maxProperties": 50, "additionalProperties": STR,
                       "description": "The shop's locale → the channel's, e.g. {\"en_US\": \"en\"}."},
        "shop_locale": string(description="A locale code like en_US."),
        "comments": enum(*COMMENT_SOURCES),
        "allow_offers": {"type": "boolean", "description": "Discogs: let buyers make offers."},
    }, closed=True, description="Anything left out takes its default; an unknown field → 422.")


DISCOGS_CONNECTOR: dict[str, Any] = {
    "code": "discogs-main", "name": "Discogs Marketplace", "channel_type": "discogs", "status": "active",
    "settings": {"api_base": "https://api.discogs.com", "location": "Leipzig, Germany", "rate_limit": 60},
    "credentials": {"token": "set"},
    "last_test": {"at": "2026-12-01T08:15:02Z", "success": True, "message": "Connected."},
    "last_sync_at": "2026-12-01T08:20:41Z", "last_poll_at": "2026-12-01T09:03:00Z",
    "listings": {"listed": 412, "sold": 37, "withdrawn": 18, "failed": 3},
    "created_at": "2026-11-02T14:20:05Z", "updated_at": "2026-12-01T09:03:00Z",
}
SHOPIFY_CONNECTOR: dict[str, Any] = {
    "code": "shopify", "name": "Shopify store", "channel_type": "shopify", "status": "error",
    "settings": {"base_url": "https://groove-cellar.myshopify.com", "location_id": 71234567890,
                 "api_version": "2025-07"},
    "credentials": {"access_token": "set", "webhook_secret": "not set"},
    "last_test": {"at": "2026-12-01T08:16:40Z", "success": False,
                  "message": "The channel refused the credentials."},
    "last_sync_at": None, "last_poll_at": None, "listings": {},
    "created_at": "2026-12-01T08:16:39Z", "updated_at": "2026-12-01T08:16:40Z",
}
GOOGLE_CONNECTOR: dict[str, Any] = {
    "code": "google", "name": "Google Merchant Center feed", "channel_type": "google_feed", "status": "active",
    "settings": {"format": "xml", "target_country": "US", "language": "en"},
    "credentials": {},
    "last_test": {"at": "2026-11-20T10:00:00Z", "success": True, "message": "Connected."},
    "last_sync_at": "2026-12-01T09:05:12Z", "last_poll_at": None,
    "listings": {"listed": 430, "withdrawn": 22},
    "created_at": "2026-11-20T10:00:00Z", "updated_at": "2026-12-01T09:05:12Z",
    "feed_url": "https://shop.example.com/feeds/google/nq3Vh0bE6M2yQdKpL7tW1xZaRc4sUf8J.xml",
}
DISCOGS_TEST_OK: dict[str, Any] = {"success": True, "message": "Connected.",
                                   "channel_info": {"username": "groove-cellar-records", "currency": "EUR"}}
GOOGLE_TEST_OK: dict[str, Any] = {
    "success": True, "message": "Connected.",
    "channel_info": {"feed_url": GOOGLE_CONNECTOR["feed_url"],
                     "note": "Register this URL as a scheduled feed in Merchant Center."}}
SHOPIFY_TEST_FAILED: dict[str, Any] = {"success": False, "message": "The channel refused the credentials.",
                                       "error_code": "CHN-005", "channel_info": None}
MAPPING_EXAMPLE: dict[str, Any] = {
    "title_template": "{artist} – {title} ({media_grade}/{sleeve_grade})",
    "price": {"tax_inclusive_rate": 19, "markup_percent": 8, "add_amount": 0, "rounding": "x.99"},
    "locale_map": {"de_DE": "de", "en_US": "en"}, "shop_locale": "en_US", "comments": "copy",
    "allow_offers": True,
}
JOB_ID = "7d0c5b9e-3f4a-4c21-9a57-2f1e8b6d4c10"
JOB_EXAMPLE: dict[str, Any] = {
    "job_id": JOB_ID, "status": "completed_with_errors", "sync_type": "full", "estimated_products": 433,
    "queue_position": 0, "progress": {"processed": 433, "total": 433, "percent": 100},
    "counts": {"created": 21, "updated": 34, "unchanged": 355, "withdrawn": 18, "failed": 5, "conflicts": 2},
    "error_summary": {"total": 5, "by_code": [
        {"error_code": "CHN-010", "count": 4, "products": ["GZ3T7PQ2XW5KJ#1", "GZ3T7PQ2XW5KJ#2",
                                                          "H4RK2LM9QZ1BD#1", "P8WN4CE6TY3FA#1"]},
        {"error_code": "CHN-023", "count": 1, "products": ["Q1XV7BN3MK8DS#2"]}]},
    "retry_of": None, "started_by": "ada@groovecellar.example",
    "message": "433 products: 21 created, 34 updated, 18 withdrawn, 5 failed.",
    "created_at": "2026-12-01T08:18:00Z", "started_at": "2026-12-01T08:18:01Z",
    "finished_at": "2026-12-01T08:20:41Z",
    "failed_products": [
        {"product": "GZ3T7PQ2XW5KJ#1", "error_code": "CHN-010",
         "message": "No Discogs release id: enrich the record first."},
        {"product": "Q1XV7BN3MK8DS#2", "error_code": "CHN-023", "message": "The channel did not answer in time."}],
}
CONFLICT_EXAMPLE: dict[str, Any] = {
    "id": 17, "product": "GZ3T7PQ2XW5KJ#1", "status": "open",
    "fields": [{"field": "price_amount", "locale": "en", "pim_value": 2499, "channel_value": 2199,
                "last_published_value": 2499},
               {"field": "title", "locale": "en", "pim_value": "Alice Coltrane – Journey in Satchidananda (VG+/VG)",
                "channel_value": "Alice Coltrane – Journey In Satchidananda (VG+ / VG, 1st press)",
                "last_published_value": "Alice Coltrane – Journey in Satchidananda (VG+/VG)"}],
    "resolution": None, "resolved_values": None, "resolved_by": None,
    "created_at": "2026-12-01T08:19:30Z", "resolved_at": None,
}
RESOLVED_EXAMPLE: dict[str, Any] = {
    **CONFLICT_EXAMPLE, "status": "resolved", "resolution": "merged",
    "resolved_values": {"price_amount": 2299,
                        "title": "Alice Coltrane – Journey In Satchidananda (VG+ / VG, 1st press)"},
    "resolved_by": "ada@groovecellar.example", "resolved_at": "2026-12-01T10:02:11Z",
}


def _meta(total: int, per_page: int = 20) -> dict[str, int]:
    return {"current_page": 1, "last_page": max(1, -(-total // per_page)), "per_page": per_page, "total": total}


def _with_example(schema: Schema, example: Any) -> Schema:
    return {**schema, "examples": [example]}


SCHEMAS: dict[str, Schema] = {
    "ChannelConnector": obj({
        "code": STR, "name": STR, "channel_type": enum(*CHANNEL_TYPES), "status": enum(*CONNECTOR_STATUSES),
        "settings": obj(dict(_SETTING_SCHEMAS), optional=tuple(_SETTING_SCHEMAS),
                        description="As stored (defaults are not filled in). " + SETTINGS_NOTE),
        "credentials": {"type": "object", "readOnly": True,
                        "propertyNames": enum(*CREDENTIAL_NAMES),
                        "additionalProperties": enum("set", "not set"),
                        "description": "Each credential of the channel type as \"set\" or \"not set\"; "
                                       "never the value."},
        "last_test": obj({"at": TIMESTAMP, "success": nullable(BOOL), "message": STR},
                         description="The last connection test (null/empty before the first)."),
        "last_sync_at": TIMESTAMP, "last_poll_at": TIMESTAMP,
        "listings": {"type": "object", "additionalProperties": integer(minimum=0),
                     "description": "The connector's listings counted by status "
                                    "(pending, listed, withdrawn, sold, failed); absent statuses are left out."},
        "created_at": TIMESTAMP, "updated_at": TIMESTAMP,
        "feed_url": string(description="google_feed only: the URL to register as a scheduled feed in "
                                       "Merchant Center (opaque; anyone with it can read the feed)."),
    }, optional=("feed_url",), description="A sales-channel connector (credentials only as set / not set)."),
    "ChannelTestResult": obj({
        "success": BOOL, "message": STR,
        "channel_info": nullable({"type": "object", "additionalProperties": True,
                                  "description": "Who we are connected as, in the channel's terms."}),
        "error_code": string(pattern="^CHN-[0-9]{3}$", description="Only when the test failed."),
    }, optional=("error_code",), description="A connection test: a failure is still 200, with `success` false "
                                            "and the CHN code; the connector's status becomes `error`."),
    "ChannelMapping": obj({
        "title_template": STR,
        "price": obj({"tax_inclusive_rate": NUM, "markup_percent": NUM, "add_amount": NUM,
                      "rounding": enum(*ROUNDINGS)}),
        "locale_map": {"type": "object", "additionalProperties": STR},
        "shop_locale": STR, "comments": enum(*COMMENT_SOURCES), "allow_offers": BOOL,
    }, description="The connector's field mapping with every default filled in."),
    "ChannelSyncJobStarted": obj({
        "job_id": STR, "status": enum(*JOB_STATUSES), "sync_type": enum(*SYNC_TYPES, "retry"),
        "estimated_products": integer(minimum=0),
        "queue_position": integer(minimum=0, description="0 once running or done; else place in the queue."),
    }),
    "ChannelSyncJob": obj({
        "job_id": STR, "status": enum(*JOB_STATUSES), "sync_type": enum(*SYNC_TYPES, "retry"),
        "estimated_products": integer(minimum=0), "queue_position": integer(minimum=0),
        "progress": obj({"processed": integer(minimum=0), "total": integer(minimum=0),
                         "percent": integer(minimum=0)}),
        "counts": obj({name: integer(minimum=0) for name in (
            "created", "updated", "unchanged", "withdrawn", "failed", "conflicts")}),
        "error_summary": obj({
            "total": integer(minimum=0),
            "by_code": array(obj({"error_code": nullable(STR), "count": integer(minimum=1),
                                  "products": array(nullable(STR), maxItems=5,
                                                    description="Up to five example products (copy keys).")}),
                             description="Failures counted by CHN code, most frequent first."),
        }),
        "retry_of": nullable(INT), "started_by": STR, "message": STR,
        "created_at": TIMESTAMP, "started_at": TIMESTAMP, "finished_at": TIMESTAMP,
        "failed_products": array(obj({"product": STR, "error_code": STR, "message": STR}),
                                 description="Single job only (not in lists): each failed copy (up to 500)."),
    }, optional=("failed_products",)),
    "ChannelConflict": obj({
        "id": INT, "product": string(description="The copy's key (`<variation ECS id>#<unit>`)."),
        "status": enum("open", "resolved"),
        "fields": array(obj({"field": STR, "locale": nullable(STR), "pim_value": {}, "channel_value": {},
                             "last_published_value": {}})),
        "resolution": nullable(enum(*RESOLUTIONS)),
        "resolved_values": nullable({"type": "object", "additionalProperties": True}),
        "resolved_by": nullable(STR), "created_at": TIMESTAMP, "resolved_at": TIMESTAMP,
    }, description="A listing whose fields were edited on the channel since we last published them."),
    "ChannelPageMeta": obj({"current_page": integer(minimum=1), "last_page": integer(minimum=1),
                            "per_page": integer(minimum=1, maximum=MAX_PER_PAGE), "total": integer(minimum=0)}),
    # the error shapes of this API
    "ChannelValidationError": obj({
        "message": STR,
        "errors": {"type": "object", "additionalProperties": array(STR, minItems=1),
                   "description": "Field (dotted for nested ones) → its messages."},
    }, description="422: the request's fields are not valid."),
    "ChannelError": obj({
        "message": STR, "error_code": string(pattern="^CHN-[0-9]{3}$"),
        "details": {"type": "object", "additionalProperties": True},
    }, optional=("details",), description="A channel failure with its CHN code (see the tag's table)."),
    "ChannelPermissionError": obj({"message": STR, "required_permission": STR},
                                  description="403: the staff member's role lacks the permission."),
}

# --- error responses (components.responses) -------------------------------------------------------------


def _error(description: str, schema: Schema, examples: dict[str, Any], *headers: str) -> Schema:
    return {"description": description,
            "headers": header_refs("X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                                   "X-RateLimit-Reset", *headers),
            "content": {"application/json": {"schema": schema, "examples": {
                name: {"value": value} for name, value in examples.items()}}}}


def _chn(code: str, message: str | None = None, **details: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message or ERROR_CODES[code], "error_code": code}
    if details:
        body["details"] = details
    return body


_SHOP_ERROR = ref("Error")
_VALIDATION_EXAMPLE = {"message": "The given data was invalid.",
                       "errors": {"settings.base_url": ["is required"], "credentials.access_token": ["is required"]}}

RESPONSES: dict[str, Schema] = {
    "ChannelValidationFailed": _error(
        "The request's fields are not valid (this API's 422 shape).", ref("ChannelValidationError"),
        {"invalid_fields": _VALIDATION_EXAMPLE,
         "bad_query": {"message": "The given data was invalid.",
                       "errors": {"per_page": [f"must be a whole number from 1 to {MAX_PER_PAGE}"]}}}),
    "ChannelUnprocessable": _error(
        "The fields are not valid (`errors`), or the channel cannot take the request (a CHN code: "
        "CHN-003/004/005/010/011/030/061).", {"anyOf": [ref("ChannelValidationError"), ref("ChannelError")]},
        {"invalid_fields": {"message": "The given data was invalid.",
                            "errors": {"resolution": ["must be one of " + ", ".join(RESOLUTIONS)]}},
         "nothing_to_retry": _chn("CHN-061"),
         "missing_release": _chn("CHN-010", "No Discogs release id: enrich the record first.")}),
    "ChannelNotFound": _error(
        "CHN-001 (connector), CHN-040 (conflict), CHN-060 (sync job) or CHN-070 (listing gone from the "
        "channel); a path that matches no route answers the shop's `Error` envelope.",
        {"anyOf": [ref("ChannelError"), _SHOP_ERROR]},
        {"connector": _chn("CHN-001", "No connector with code 'discogs-main'."),
         "conflict": _chn("CHN-040", "No conflict 17 on connector discogs-main."),
         "sync_job": _chn("CHN-060", f"No sync job '{JOB_ID}' on connector shopify.")}),
    "ChannelConflictState": _error(
        "CHN-002 (code taken), CHN-041 (conflict already resolved), CHN-090 (already syncing: "
        "`details.job_id` names the running job) or CHN-091 (connector disabled).", ref("ChannelError"),
        {"code_taken": _chn("CHN-002", "A connector with code 'discogs-main' already exists."),
         "already_resolved": _chn("CHN-041"),
         "already_syncing": _chn("CHN-090", f"Connector google is already syncing (job {JOB_ID}).",
                                 job_id=JOB_ID),
         "disabled": _chn("CHN-091")}),
    "ChannelForbidden": _error(
        "The staff member's role lacks `x-required-permission` (this API's shape); a customer token "
        "answers the shop's `Error` envelope.", {"anyOf": [ref("ChannelPermissionError"), _SHOP_ERROR]},
        {"permission": {"message": "This needs the channel_connector.connectors.create permission.",
                        "required_permission": "channel_connector.connectors.create"}}),
    "ChannelRateLimited": _error(
        "CHN-020: the channel's rate limit was reached (`Retry-After` says when to try again); the API's "
        "own rate limit answers the shop's `Error` envelope.", {"anyOf": [ref("ChannelError"), _SHOP_ERROR]},
        {"channel_rate_limit": _chn("CHN-020", "Discogs allows 60 requests a minute; try again shortly.")},
        "Retry-After"),
    "ChannelBadGateway": _error("CHN-022: the channel rejected the request.", ref("ChannelError"),
                                {"rejected": _chn("CHN-022", "Shopify refused the product update: "
                                                             "Variant price must be greater than 0.")}),
    "ChannelUnavailable": _error(
        "CHN-021: the channel is unavailable (a dependency of the shop itself: the shop's `Error` envelope).",
        {"anyOf": [ref("ChannelError"), _SHOP_ERROR]}, {"unavailable": _chn("CHN-021")}, "Retry-After"),
    "ChannelTimeout": _error("CHN-023: the channel did not answer in time.", ref("ChannelError"),
                             {"timeout": _chn("CHN-023")}),
}

COMMON_ERRORS = {403: "ChannelForbidden", 404: "ChannelNotFound", 429: "ChannelRateLimited"}
UPSTREAM_ERRORS = {502: "ChannelBadGateway", 503: "ChannelUnavailable", 504: "ChannelTimeout"}

# --- operations -------------------------------------------------------------------------------------------


def page_query(default: int = 20) -> tuple[Schema, Schema]:
    return (query_param("page", integer(minimum=1, maximum=10_000, default=1), "1-based page number."),
            query_param("per_page", integer(minimum=1, maximum=MAX_PER_PAGE, default=default), "Items per page."))


def listing(item: str, example: list[Any]) -> Schema:
    return _with_example(obj({"data": array(ref(item)), "meta": ref("ChannelPageMeta")}),
                         {"data": example, "meta": _meta(len(example))})


def channel_op(method: str, path: str, operation_id: str, summary: str, permission: str, *,
               ok: dict[int, Schema | None], errors: dict[int, str] | None = None, body: Schema | None = None,
               body_required: bool = True, body_examples: dict[str, Any] | None = None,
               description: str = "", **kwargs: Any) -> Op:
    """An Op of this API: its tag, the staff bearer, its permission and its own error responses."""
    error_responses = {**COMMON_ERRORS, **(errors or {})}
    if "{code}" not in path:
        error_responses.pop(404)
    if body is not None and body_examples:
        body = {**body, "examples": list(body_examples.values())}
    note = f"**Permission:** `{permission}`."
    return Op(method, BASE + path, operation_id, TAG, summary, ok=ok, auth="staff", body=body,
              body_required=body_required, json_body_errors=False, error_responses=error_responses,
              extensions={"x-required-permission": permission},
              description=f"{description}\n\n{note}".strip(), **kwargs)


def _path_params(*names: str) -> dict[str, Schema]:
    known = {"code": CODE_PARAM, "job_id": JOB_ID_PARAM, "conflict_id": CONFLICT_ID_PARAM}
    return {name: known[name] for name in names}


CONNECTOR_ENVELOPE = obj({"data": ref("ChannelConnector")})
CREATE_BODY = request_obj({
    "channel_type": enum(*CHANNEL_TYPES),
    "code": string(pattern="^[a-z0-9][a-z0-9_-]{1,63}$",
                   description="Your name for it in URLs, e.g. discogs-main; cannot change later."),
    "name": string(minLength=1, maxLength=120),
    "settings": _settings_request(),
    "credentials": _credentials_request(),
    "mappings": _mapping_request(),
}, required=("channel_type", "code", "name"))
UPDATE_BODY = request_obj({
    "name": string(minLength=1, maxLength=120),
    "status": enum(*CONNECTOR_STATUSES[:2]),
    "settings": {**_settings_request(), "description": "Merged with the stored settings. " + SETTINGS_NOTE},
    "credentials": _credentials_request(),
    "mappings": {**_mapping_request(), "description": "Replaces the whole mapping (defaults for what is left out)."},
}, closed=True, description="Any subset; `code` and `channel_type` cannot change (422).")
SYNC_BODY = request_obj({
    "sync_type": {**enum(*SYNC_TYPES), "default": "full",
                  "description": "full: every copy in stock listed once, the rest withdrawn; incremental: only "
                                 "copies whose published fields changed; products: the copies in product_ids."},
    "product_ids": array(string(minLength=1, maxLength=128), minItems=1, maxItems=1000,
                         description="Copy keys (`<variation ECS id>#<unit>`); only with sync_type products."),
})
RESOLVE_BODY = request_obj({
    "resolution": {**enum(*RESOLUTIONS),
                   "description": "pim_wins: publish the shop's values; channel_wins: keep (pin) the channel's "
                                  "values; merged: per field as field_overrides says (pim by default)."},
    "field_overrides": {"type": "object", "additionalProperties": True,
                        "description": "merged only: field → \"pim\", \"channel\" or an explicit value "
                                       "(price_amount in minor units, text fields 1–255 characters)."},
}, required=("resolution",))
JOB_STARTED = _with_example(ref("ChannelSyncJobStarted"), {
    "job_id": JOB_ID, "status": "queued", "sync_type": "full", "estimated_products": 433, "queue_position": 1})

OPERATIONS: list[Op] = [
    # --- connectors ---------------------------------------------------------------------------------------
    channel_op("GET", "", "listChannelConnectors", "Connectors, filtered and paginated",
               "channel_connector.connectors.view",
               query=(query_param("channel_type", enum(*CHANNEL_TYPES)),
                      query_param("status", enum(*CONNECTOR_STATUSES)), *page_query()),
               ok={200: listing("ChannelConnector", [DISCOGS_CONNECTOR, GOOGLE_CONNECTOR, SHOPIFY_CONNECTOR])},
               errors={422: "ChannelValidationFailed"}, description="Ordered by code."),
    channel_op("POST", "", "createChannelConnector", "Create a connector and test its connection",
               "channel_connector.connectors.create",
               body=CREATE_BODY, body_examples={
                   "discogs": {"channel_type": "discogs", "code": "discogs-main", "name": "Discogs Marketplace",
                               "settings": {"location": "Leipzig, Germany"},
                               "credentials": {"token": "kXqYbTzRwPdLmNvJhGfDsAaQeWrTyUiOpLkJhGfD"},
                               "mappings": MAPPING_EXAMPLE},
                   "shopify": {"channel_type": "shopify", "code": "shopify", "name": "Shopify store",
                               "settings": {"base_url": "https://groove-cellar.myshopify.com",
                                            "location_id": 71234567890},
                               "credentials": {"access_token": "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",
                                               "webhook_secret": "9b4e7d2c1a8f5e3b6d0c4a7f2e9b1d5c"}},
                   "google": {"channel_type": "google_feed", "code": "google",
                              "name": "Google Merchant Center feed",
                              "settings": {"format": "xml", "target_country": "US", "language": "en"}},
               },
               ok={201: _with_example(obj({"data": ref("ChannelConnector"), "test_result": ref("ChannelTestResult")},
                                          description="The connector and its connection test."),
                                      {"data": DISCOGS_CONNECTOR, "test_result": DISCOGS_TEST_OK})},
               ok_headers={201: ("Location",)}, errors={409: "ChannelConflictState", 422: "ChannelValidationFailed"},
               description="Credentials are stored encrypted and never returned. The connection is tested at "
                           "once: a failed test still creates the connector (201, `test_result.success` "
                           "false, status `error`). 409 CHN-002 when the code is taken. Own limit: 30 per "
                           "minute."),
    channel_op("GET", "/{code}", "getChannelConnector", "One connector", "channel_connector.connectors.view",
               ok={200: _with_example(CONNECTOR_ENVELOPE, {"data": GOOGLE_CONNECTOR})},
               path_params=_path_params("code")),
    channel_op("PATCH", "/{code}", "updateChannelConnector", "Rename, enable/disable, change settings, "
               "credentials or mappings", "channel_connector.connectors.update",
               body=UPDATE_BODY, body_examples={
                   "rotate_token": {"credentials": {"token": "pLmNoQrStUvWxYzAbCdEfGhIjKlMnOpQrStUvWx"}},
                   "disable": {"status": "disabled"},
                   "shopify_location": {"settings": {"location_id": 71234567891}}},
               ok={200: _with_example(CONNECTOR_ENVELOPE, {"data": SHOPIFY_CONNECTOR})},
               errors={422: "ChannelValidationFailed"}, path_params=_path_params("code"),
               description="Partial: settings and credentials are merged with the stored ones, mappings "
                           "replaced. A disabled connector is not synced or polled (CHN-091)."),
    channel_op("DELETE", "/{code}", "deleteChannelConnector", "Remove a connector",
               "channel_connector.connectors.delete", ok={204: None}, path_params=_path_params("code"),
               description="Its listings, jobs and conflicts go with it; nothing is withdrawn from the channel."),
    channel_op("POST", "/{code}/test", "testChannelConnector", "Test the connection",
               "channel_connector.connectors.test",
               ok={200: {**ref("ChannelTestResult"), "examples": [DISCOGS_TEST_OK, SHOPIFY_TEST_FAILED,
                                                                 GOOGLE_TEST_OK]}},
               path_params=_path_params("code"),
               description="Asks the channel who we are connected as (`channel_info`). A failed test is a 200 "
                           "with `success` false and `error_code`; the connector's status follows the result "
                           "(unless disabled). Own limit: 20 per minute."),
    # --- mappings -----------------------------------------------------------------------------------------
    channel_op("GET", "/{code}/mappings", "getChannelMappings", "The field mapping (defaults filled in)",
               "channel_connector.mappings.view",
               ok={200: _with_example(obj({"data": ref("ChannelMapping")}), {"data": MAPPING_EXAMPLE})},
               path_params=_path_params("code")),
    channel_op("PUT", "/{code}/mappings", "putChannelMappings", "Replace the field mapping",
               "channel_connector.mappings.update", body=_mapping_request(),
               body_examples={"discogs": MAPPING_EXAMPLE,
                              "google": {"title_template": "{artist} - {title} ({format}, {year})",
                                         "price": {"rounding": "none"}, "comments": "none"}},
               ok={200: _with_example(obj({"data": ref("ChannelMapping")}), {"data": MAPPING_EXAMPLE})},
               errors={422: "ChannelValidationFailed"}, path_params=_path_params("code"),
               description="422 names each field (e.g. `title_template`, `price.rounding`). Listings pick the "
                           "new mapping up on the next sync."),
    # --- sync jobs ----------------------------------------------------------------------------------------
    channel_op("POST", "/{code}/sync", "startChannelSync", "Start a sync job", "channel_connector.sync.create",
               body=SYNC_BODY, body_required=False,
               body_examples={"full": {"sync_type": "full"},
                              "products": {"sync_type": "products",
                                           "product_ids": ["GZ3T7PQ2XW5KJ#1", "GZ3T7PQ2XW5KJ#2"]}},
               ok={202: JOB_STARTED}, ok_headers={202: ("Location",)},
               errors={409: "ChannelConflictState", 422: "ChannelValidationFailed"},
               path_params=_path_params("code"),
               description="Queues the job (no body = a full sync); follow it at `Location`. One job per "
                           "connector at a time: 409 CHN-090 (`details.job_id`); a disabled connector → 409 "
                           "CHN-091. Own limit: 20 per minute."),
    channel_op("GET", "/{code}/sync", "listChannelSyncJobs", "Sync jobs, newest first",
               "channel_connector.sync.view", query=page_query(),
               ok={200: listing("ChannelSyncJob", [{k: v for k, v in JOB_EXAMPLE.items() if k != "failed_products"}])},
               errors={422: "ChannelValidationFailed"}, path_params=_path_params("code"),
               description="The latest 1,000 jobs, without `failed_products`."),
    channel_op("GET", "/{code}/sync/{job_id}", "getChannelSyncJob", "One sync job with its failures",
               "channel_connector.sync.view", ok={200: _with_example(ref("ChannelSyncJob"), JOB_EXAMPLE)},
               path_params=_path_params("code", "job_id"),
               description="Progress, counts, the error summary by CHN code and every failed product."),
    channel_op("POST", "/{code}/sync/{job_id}/retry", "retryChannelSyncJob", "Retry a job's failed products",
               "channel_connector.sync.retry",
               ok={202: _with_example(ref("ChannelSyncJobStarted"), {
                   "job_id": "c2a4e6f8-1b3d-4f5a-8c7e-9d0b1a2c3e4f", "status": "queued", "sync_type": "retry",
                   "estimated_products": 5, "queue_position": 1})},
               ok_headers={202: ("Location",)},
               errors={409: "ChannelConflictState", 422: "ChannelUnprocessable"},
               path_params=_path_params("code", "job_id"),
               description="A new job (`sync_type` retry) over the failed products of `job_id` only. 422 "
                           "CHN-061 when none failed; 409 CHN-090 / CHN-091 as for a new sync."),
    # --- conflicts ----------------------------------------------------------------------------------------
    channel_op("GET", "/{code}/conflicts", "listChannelConflicts", "Conflicts, oldest first",
               "channel_connector.conflicts.view",
               query=(query_param("status", {**enum("open", "resolved", "all"), "default": "open"}),
                      *page_query()),
               ok={200: listing("ChannelConflict", [CONFLICT_EXAMPLE])},
               errors={422: "ChannelValidationFailed"}, path_params=_path_params("code")),
    channel_op("GET", "/{code}/conflicts/{conflict_id}", "getChannelConflict", "One conflict",
               "channel_connector.conflicts.view",
               ok={200: _with_example(obj({"data": ref("ChannelConflict")}), {"data": CONFLICT_EXAMPLE})},
               path_params=_path_params("code", "conflict_id")),
    channel_op("PUT", "/{code}/conflicts/{conflict_id}/resolve", "resolveChannelConflict", "Resolve a conflict",
               "channel_connector.conflicts.resolve", body=RESOLVE_BODY,
               body_examples={"pim_wins": {"resolution": "pim_wins"},
                              "merged": {"resolution": "merged",
                                         "field_overrides": {"price_amount": 2299, "title": "channel"}}},
               ok={200: _with_example(obj({"data": ref("ChannelConflict")}), {"data": RESOLVED_EXAMPLE})},
               errors={409: "ChannelConflictState", 422: "ChannelUnprocessable", **UPSTREAM_ERRORS},
               path_params=_path_params("code", "conflict_id"),
               description="Closes the conflict and publishes the listing with the chosen values now, so the "
                           "channel's own failures can answer: 404 CHN-070, 409 CHN-041 (already resolved) or "
                           "CHN-091, 422 CHN-010/011, 429 CHN-020, 502 CHN-022, 503 CHN-021, 504 CHN-023. "
                           "The resolution is recorded before publishing: after such an error the next sync "
                           "publishes it."),
]
