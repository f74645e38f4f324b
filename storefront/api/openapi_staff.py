"""OpenAPI operations and schemas of the staff /api/v1/staff routes (staff bearer token).

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
from storefront.api.openapi_shop import ORDER_PROPS
from storefront.inquiries.models import EVENT_TYPES
from storefront.orders.fulfilment import CARRIERS

TAGS = [
    {"name": "Staff: session", "description": "Staff log in for a bearer token; who am I; the dashboard."},
    {"name": "Staff: members", "description": "Staff accounts (admin role)."},
    {"name": "Staff: orders", "description": "Orders: search, read, change status/tracking, add notes."},
    {"name": "Staff: inquiries", "description": "Event-space inquiries and their status history."},
    {"name": "Staff: catalog sync", "description": "Start and follow catalog syncs from the commerce provider."},
    {"name": "Staff: audit", "description": "The audit log."},
    {"name": "Staff: webhook DLQ", "description": "Dead-lettered webhook events: read, replay, discard "
                                                 "(signed requests only)."},
]

ORDER_STATUS = enum("pending_payment", "paid", "failed", "cancelled", "expired", "fulfilled", "completed")
INQUIRY_STATUS = enum("new", "contacted", "booked", "declined")
ISO_DAY = string(format="date", description="YYYY-MM-DD")
CARRIER = {"type": "string", "enum": list(CARRIERS),
           "description": "A carrier key (the carrier's name, any case, is accepted too)."}
DLQ_REASON = request_obj({"reason": string(minLength=1, maxLength=500)}, required=("reason",))

WEBHOOK_EVENT_PROPS: dict[str, Schema] = {
    "id": INT, "event_id": STR, "event_type": STR,
    "status": enum("received", "processing", "processed", "ignored", "failed", "dead", "discarded"),
    "attempts": INT, "replays": INT, "last_error": nullable(STR), "note": nullable(STR),
    "object": obj({"type": nullable(STR), "id": nullable(STR), "version": nullable(INT)}),
    "timestamps": obj({name: nullable(DATETIME) for name in (
        "event_created_at", "received_at", "last_attempt_at", "next_attempt_at", "finished_at", "updated_at")}),
    "payload": {"description": "Customer personal data redacted and long values trimmed in lists."},
}

SCHEMAS: dict[str, Schema] = {
    "StaffMember": obj({
        "id": INT, "email": STR, "name": STR, "role": enum("staff", "admin"), "is_active": BOOL,
        "totp_enabled": BOOL, "locked": BOOL, "last_login_at": nullable(DATETIME),
    }),
    "StaffToken": obj({"token": STR, "token_type": enum("Bearer"), "expires_at": DATETIME,
                       "staff": ref("StaffMember")}),
    "StaffEnvelope": obj({"staff": ref("StaffMember")}),
    "Dashboard": obj({"cards": array(obj({
        "key": STR, "label": STR, "value": {"type": ["integer", "string", "null"]}, "detail": STR,
        "tone": enum("", "ok", "warn"), "available": BOOL,
    })), "panels": array(ref("DashboardPanel"))}),
    "DashboardPanel": obj({
        "key": STR, "label": STR, "count": nullable(INT), "available": BOOL, "href": nullable(STR),
        "rows": array(obj({"label": STR, "detail": STR, "badge": STR, "href": nullable(STR)})),
    }, description="A work list, e.g. orders.to_ship: paid orders not yet shipped, oldest first (count = all)."),
    "StaffOrder": obj({**ORDER_PROPS, "id": INT, "email": STR, "customer_id": nullable(INT),
                       "ecs_order_id": nullable(STR), "staff_note": nullable(STR),
                       "reserved_until": nullable(DATETIME), "stock_recorded": BOOL},
                      optional=("payment_url",), description="An Order plus the fields only staff see."),
    "Refund": obj({"id": INT, "amount": ref("Money"), "status": STR, "reason": STR,
                   "ecs_refund_id": nullable(STR), "created_at": DATETIME},
                  description="Money given back through the commerce provider (status: PENDING, COMPLETED, …)."),
    "Inquiry": obj({
        "tracking_id": STR, "status": INQUIRY_STATUS, "name": STR, "email": STR, "phone": nullable(STR),
        "event_type": {"type": "string", "enum": list(EVENT_TYPES)},
        "preferred_date": DATE, "attendee_count": nullable(INT), "message": STR,
        "created_at": DATETIME, "updated_at": DATETIME,
        "history": array(obj({"at": DATETIME, "by": STR, "from": nullable(STR), "to": STR,
                              "note": nullable(STR)}), description="Only on single-inquiry responses."),
    }, optional=("history",)),
    "SyncRun": obj({
        "id": INT, "kind": enum("full", "incremental"), "dry_run": BOOL,
        "status": enum("queued", "running", "succeeded", "failed", "aborted"), "started_by": STR,
        "created_at": nullable(DATETIME), "started_at": nullable(DATETIME), "finished_at": nullable(DATETIME),
        "elapsed_seconds": nullable(NUM), "rate_items_per_second": nullable(NUM),
        "totals": obj({name: integer(minimum=0) for name in (
            "pages", "objects_seen", "items_seen", "created", "updated", "unchanged", "deleted",
            "stock_updates", "failures")}),
        "latest_time": nullable(STR), "message": nullable(STR),
        "failures": array(ANY_OBJECT, description="Omitted in run lists."),
    }, optional=("failures",)),
    "AuditEntry": obj({
        "id": INT, "at": DATETIME,
        "actor": obj({"kind": STR, "id": nullable({"type": ["string", "integer"]}), "label": STR}),
        "action": STR, "target": nullable(obj({"type": STR, "id": nullable({"type": ["string", "integer"]})})),
        "reason": nullable(STR), "details": ANY_OBJECT,
    }),
    "WebhookEvent": obj(WEBHOOK_EVENT_PROPS),
    "WebhookEventDetail": obj({**WEBHOOK_EVENT_PROPS, "payload_redacted": BOOL, "merchant_id": nullable(STR),
                               "claimed_by": nullable(STR)},
                              description="The event with its full payload (the access is audit-logged)."),
}

OPERATIONS: list[Op] = [
    # --- session ------------------------------------------------------------------------------
    Op("POST", "/api/v1/staff/login", "loginStaff", "Staff: session", "Log in for a staff bearer token",
       body=request_obj({"email": string(minLength=1), "password": string(minLength=1),
                         "totp": string(pattern="^[0-9]{6}$")}, required=("email", "password")),
       ok={200: ref("StaffToken")}, errors=(401, 422),
       description="401 invalid_credentials (one message for every failure) or totp_required (send the "
                   "6-digit code as totp)."),
    Op("POST", "/api/v1/staff/logout", "logoutStaff", "Staff: session", "Revoke this token",
       auth="staff", ok={204: None}),
    Op("GET", "/api/v1/staff/me", "getStaffMe", "Staff: session", "Who the token belongs to", auth="staff",
       ok={200: obj({"staff": ref("StaffMember"), "token_expires_at": DATETIME})}),
    Op("GET", "/api/v1/staff/dashboard", "getStaffDashboard", "Staff: session", "Dashboard figures",
       auth="staff", ok={200: ref("Dashboard")}),
    # --- members ------------------------------------------------------------------------------
    Op("GET", "/api/v1/staff/members", "listStaffMembers", "Staff: members", "All staff accounts",
       auth="admin", ok={200: obj({"staff": array(ref("StaffMember"))})}),
    Op("POST", "/api/v1/staff/members", "createStaffMember", "Staff: members", "Create a staff account",
       auth="admin",
       body=request_obj({"email": EMAIL, "name": string(minLength=1, maxLength=120),
                         "password": string(minLength=1), "role": enum("staff", "admin")},
                        required=("email", "name", "password")),
       ok={201: ref("StaffEnvelope")}, ok_headers={201: ("Location",)}, errors=(409, 422),
       description="409 when the email is taken; 422 for a weak password or bad fields."),
    Op("GET", "/api/v1/staff/members/{staff_id}", "getStaffMember", "Staff: members", "One staff account",
       auth="admin", ok={200: ref("StaffEnvelope")}),
    Op("PATCH", "/api/v1/staff/members/{staff_id}", "updateStaffMember", "Staff: members",
       "Rename, change role, (de)activate", auth="admin",
       body=request_obj({"name": string(minLength=1, maxLength=120), "role": enum("staff", "admin"),
                         "is_active": BOOL}, closed=True),
       ok={200: obj({"staff": ref("StaffMember"), "changes": array(STR)})}, errors=(409, 422),
       description="Unknown fields → 422. 409 when demoting/deactivating yourself or the last admin."),
    Op("POST", "/api/v1/staff/members/{staff_id}/password", "resetStaffPassword", "Staff: members",
       "Set a member's password", auth="admin",
       body=request_obj({"password": string(minLength=1)}, required=("password",)),
       ok={200: ref("StaffEnvelope")}, errors=(422,), description="Ends the member's sessions and tokens."),
    # --- orders -------------------------------------------------------------------------------
    Op("GET", "/api/v1/staff/orders", "listStaffOrders", "Staff: orders", "Search orders", auth="staff",
       query=(query_param("status", ORDER_STATUS), query_param("email", string(maxLength=254)),
              query_param("number", string(maxLength=64)), query_param("date_from", ISO_DAY),
              query_param("date_to", ISO_DAY), *page_params(25, 100)),
       ok={200: obj({"orders": array(ref("StaffOrder")), "pagination": ref("Pagination")})}, errors=(422,)),
    Op("GET", "/api/v1/staff/orders/{order_id}", "getStaffOrder", "Staff: orders", "One order", auth="staff",
       ok={200: obj({"order": ref("StaffOrder")})}),
    Op("PUT", "/api/v1/staff/orders/{order_id}", "updateStaffOrder", "Staff: orders",
       "Change status or tracking number, add a note", auth="staff",
       body=request_obj({"status": ORDER_STATUS, "tracking_number": string(maxLength=64),
                         "note": string(maxLength=2000), "carrier": CARRIER}, closed=True),
       ok={200: obj({"order": ref("StaffOrder"), "changes": array(STR)})}, errors=(409, 422),
       description="Valid status transitions only (409 invalid_transition); each change is audited. With "
                   "carrier (and tracking_number, required unless the carrier is other) a paid order is "
                   "marked shipped and the customer emailed the tracking link; a pickup order → 409."),
    Op("POST", "/api/v1/staff/orders/{order_id}/refunds", "refundStaffOrder", "Staff: orders",
       "Refund part or all of a paid order, optionally restocking lines", auth="staff",
       headers=(header_param("Idempotency-Key", string(minLength=1, maxLength=255),
                             "The same key returns the same refund instead of refunding again."),),
       body=request_obj({"amount": integer(minimum=1, description="Minor units (cents); at most what is left."),
                         "reason": string(minLength=1, maxLength=192, description="The customer sees it."),
                         "restock": array(request_obj({"line_id": INT, "quantity": integer(minimum=0)},
                                                      required=("line_id", "quantity"), closed=True),
                                          description="Copies of order lines to put back in stock.")},
                        required=("amount", "reason"), closed=True),
       ok={201: obj({"refund": ref("Refund"), "order": ref("StaffOrder")})}, errors=(409, 422, 503),
       description="409 not_paid or nothing_to_refund (or idempotency_key_reused for another amount); 422 for "
                   "an amount over what is left or a bad restock line; 503 when the provider did not take it "
                   "(it is retried). Audited; the customer is emailed."),
    Op("POST", "/api/v1/staff/orders/{order_id}/cancel", "cancelStaffOrder", "Staff: orders",
       "Cancel an unpaid order", auth="staff",
       body=request_obj({"reason": string(minLength=1, maxLength=500, description="The customer sees it.")},
                        required=("reason",)),
       ok={200: obj({"order": ref("StaffOrder"), "changed": BOOL})}, errors=(409, 422),
       description="Pending-payment or failed orders only (else 409 not_unpaid): frees the held copies and "
                   "deletes the payment link. Again on a cancelled order → changed false. Audited; the "
                   "customer is emailed."),
    # --- inquiries ----------------------------------------------------------------------------
    Op("GET", "/api/v1/staff/inquiries", "listStaffInquiries", "Staff: inquiries", "Inquiries, newest first",
       auth="staff", query=(query_param("status", INQUIRY_STATUS), *page_params(25, 100)),
       ok={200: obj({"inquiries": array(ref("Inquiry")), "pagination": ref("Pagination")})}, errors=(422,)),
    Op("GET", "/api/v1/staff/inquiries/{tracking_id}", "getStaffInquiry", "Staff: inquiries",
       "One inquiry with its history", auth="staff", ok={200: obj({"inquiry": ref("Inquiry")})},
       path_params={"tracking_id": {"description": "EV-XXXX-XXXX"}}),
    Op("PUT", "/api/v1/staff/inquiries/{tracking_id}", "updateStaffInquiry", "Staff: inquiries",
       "Change status and/or add a note", auth="staff",
       body=request_obj({"status": INQUIRY_STATUS, "note": string(maxLength=2000)}, required=("status",)),
       ok={200: obj({"inquiry": ref("Inquiry")})}, errors=(422,),
       path_params={"tracking_id": {"description": "EV-XXXX-XXXX"}},
       description="Audited; the same status without a note → 422."),
    # --- catalog sync -------------------------------------------------------------------------
    Op("POST", "/api/v1/staff/sync/catalog", "startCatalogSync", "Staff: catalog sync", "Start a sync",
       auth="staff", body=request_obj({"kind": enum("full", "incremental"), "dry_run": BOOL}),
       body_required=False, json_body_errors=False,
       ok={202: ref("SyncRun")}, ok_headers={202: ("Location",)}, errors=(409, 422),
       description="409 sync_already_running names the run in progress. Own limit: 10 per minute."),
    Op("GET", "/api/v1/staff/sync/catalog", "getCatalogSyncStatus", "Staff: catalog sync",
       "The running sync and recent runs", auth="staff",
       ok={200: obj({"running": nullable(ref("SyncRun")), "recent": array(ref("SyncRun"))})}),
    Op("GET", "/api/v1/staff/sync/catalog/runs/{run_id}", "getCatalogSyncRun", "Staff: catalog sync",
       "One sync run with its failures", auth="staff", ok={200: ref("SyncRun")}),
    # --- audit --------------------------------------------------------------------------------
    Op("GET", "/api/v1/staff/audit", "listAuditEntries", "Staff: audit", "Audit log entries, newest first",
       auth="staff",
       query=(query_param("actor", STR, "Part of the actor's label (email), case-insensitive."),
              query_param("action", STR, "Exact action, or a family prefix such as staff."),
              query_param("target_type", STR), query_param("target_id", STR),
              query_param("from", ISO_DAY, "First UTC day, inclusive."),
              query_param("to", ISO_DAY, "Last UTC day, inclusive; not before from."),
              *page_params(50, 200)),
       ok={200: obj({"entries": array(ref("AuditEntry")), "pagination": ref("Pagination")})}, errors=(422,)),
    # --- webhook DLQ --------------------------------------------------------------------------
    Op("GET", "/api/v1/staff/webhooks/dlq", "listDeadWebhookEvents", "Staff: webhook DLQ",
       "Dead-lettered events", auth="dlq",
       query=(query_param("status", enum("dead", "failed", "discarded", "all"), "Default dead."),
              query_param("event_type", string(maxLength=100)),
              query_param("error", string(maxLength=200), "Part of the last error."),
              *page_params(25, 100)),
       ok={200: obj({"events": array(ref("WebhookEvent")), "pagination": ref("Pagination")})}, errors=(422,)),
    Op("GET", "/api/v1/staff/webhooks/dlq/{task_id}", "getDeadWebhookEvent", "Staff: webhook DLQ",
       "One event with its full payload", auth="dlq", ok={200: obj({"event": ref("WebhookEventDetail")})}),
    Op("POST", "/api/v1/staff/webhooks/dlq/{task_id}/retry", "retryDeadWebhookEvent", "Staff: webhook DLQ",
       "Replay an event", auth="dlq", body=DLQ_REASON, ok={202: obj({"event": ref("WebhookEvent")})},
       errors=(409, 422), description="Only dead or discarded events (else 409); the reason is audited."),
    Op("DELETE", "/api/v1/staff/webhooks/dlq/{task_id}", "discardDeadWebhookEvent", "Staff: webhook DLQ",
       "Discard an event", auth="dlq", body=DLQ_REASON, ok={200: obj({"event": ref("WebhookEvent")})},
       errors=(409, 422), description="Only dead or failed events (else 409); the reason is audited."),
]
