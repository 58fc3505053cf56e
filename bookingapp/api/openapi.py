"""The OpenAPI 3.1 document of /api/v1, built in Python beside the code it describes.
The schemathesis test (tests/api/test_openapi_fuzz.py) checks every operation against it:
every response the code can give must be described here."""
from __future__ import annotations

from copy import deepcopy
from functools import lru_cache

from bookingapp.api.rate_limits import RATE_LIMIT_HEADERS
from bookingapp.domain.custom_fields import MAX_NOTES_LENGTH
from bookingapp.domain.analytics import PERIODS
from bookingapp.domain.review_replies import SORTS
from bookingapp.domain.states import ALL_STATUSES
from bookingapp.models.payment import PAYMENT_KINDS, PAYMENT_STATUSES
from bookingapp.models.staff import STAFF_ROLES
from bookingapp.notifications.webhooks import EVENT_TYPES, SIGNATURE_HEADER


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    schema = deepcopy(schema)
    if "type" in schema:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
UUID = {"type": "string", "format": "uuid"}
TIME = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601 with milliseconds, e.g. 2026-04-10T14:00:00.000Z"}
CENTS = {"type": "integer", "minimum": 0, "maximum": 100_000_000}
NAME = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}


def obj(properties: dict, required: tuple = (), *, closed: bool = False) -> dict:
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


SCHEMAS = {
    "Error": obj({
        "error": obj({
            "code": {"type": "string", "enum": ["validation_error", "unauthorized", "forbidden", "not_found",
                                                "method_not_allowed", "slot_unavailable", "hold_expired",
                                                "idempotency_conflict", "rate_limit_exceeded", "internal_error"]},
            "message": STR,
            "param": STR,
            "details": {"type": "object"},
        }, ("code", "message")),
        "meta": obj({"request_id": STR}, ("request_id",)),
    }, ("error", "meta")),
    "PageMeta": obj({"page": {"type": "integer", "minimum": 1}, "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                     "total": {"type": "integer", "minimum": 0}}, ("page", "limit", "total")),
    "CursorMeta": obj({"limit": INT, "next_cursor": STR, "has_more": BOOL}, ("limit", "next_cursor", "has_more")),
    "Ref": obj({"id": UUID, "name": STR}, ("id", "name")),
    "Customer": obj({"id": UUID, "name": STR, "email": STR, "phone": nullable(STR)}, ("id", "name", "email")),
    "Booking": obj({
        "id": UUID, "booking_number": STR, "status": {"type": "string", "enum": list(ALL_STATUSES)},
        "source": {"type": "string", "enum": ["web", "dashboard", "api"]},
        "customer": nullable(ref("Customer")), "service": ref("Ref"), "staff": ref("Ref"),
        "start_at": TIME, "end_at": TIME, "price_cents": CENTS, "deposit_cents": CENTS, "currency": STR,
        "notes": nullable(STR), "hold_expires_at": nullable(TIME), "created_at": TIME, "updated_at": TIME,
    }, ("id", "booking_number", "status", "source", "customer", "service", "staff", "start_at", "end_at",
        "price_cents", "deposit_cents", "currency", "created_at", "updated_at")),
    "LineItem": obj({"type": {"type": "string", "enum": ["service", "addon_service", "product", "tip", "discount"]},
                     "name": STR, "price_cents": CENTS, "quantity": INT, "product_id": nullable(UUID)},
                    ("type", "name", "price_cents", "quantity", "product_id")),
    "BookingDetail": {"allOf": [ref("Booking"), obj({
        "cancelled_at": nullable(TIME), "cancellation_reason": nullable(STR), "confirmed_at": nullable(TIME),
        "rescheduled_from_id": nullable(UUID), "rescheduled_to_id": nullable(UUID), "custom_fields": {"type": "object"},
        "payments": {"type": "array", "items": ref("Payment"),
                     "description": "Every payment attempt and refund, oldest first."},
        "discount_cents": CENTS, "total_cents": CENTS, "paid_cents": CENTS, "refunded_cents": CENTS,
        "balance_due_cents": CENTS,
        "money": ref("MoneySummary"),
        "total_charged_cents": CENTS, "tip_cents": CENTS,
        "line_items": {"type": "array", "items": ref("LineItem"), "description": "After checkout."},
    }, ("cancelled_at", "cancellation_reason", "custom_fields", "payments", "discount_cents", "total_cents",
        "paid_cents", "refunded_cents", "balance_due_cents"))]},
    "MoneySummary": obj({
        "currency": STR, "list_price_cents": CENTS, "extras_cents": CENTS, "discount_cents": CENTS, "tip_cents": CENTS,
        "charged_cents": CENTS, "paid_cents": CENTS, "refunded_cents": CENTS, "net_paid_cents": INT,
        "balance_due_cents": CENTS, "checked_out": BOOL,
    }, ("currency", "list_price_cents", "extras_cents", "discount_cents", "tip_cents", "charged_cents", "paid_cents",
        "refunded_cents", "net_paid_cents", "balance_due_cents", "checked_out")),
    "Payment": obj({
        "id": UUID, "kind": {"type": "string", "enum": list(PAYMENT_KINDS)},
        "status": {"type": "string", "enum": list(PAYMENT_STATUSES)},
        "amount_cents": CENTS, "currency": STR, "provider": STR, "refund_of_id": nullable(UUID),
        "failure_reason": nullable(STR), "created_at": TIME, "succeeded_at": nullable(TIME),
    }, ("id", "kind", "status", "amount_cents", "currency", "provider", "created_at")),
    "Service": obj({
        "id": UUID, "name": STR, "description": nullable(STR), "duration_minutes": INT,
        "buffer_minutes": INT, "buffer_before_minutes": INT, "price_cents": CENTS, "deposit_cents": CENTS,
        "currency": STR, "category_id": nullable(UUID), "category": nullable(ref("Ref")), "is_active": BOOL,
        "sort_order": INT, "created_at": TIME, "updated_at": TIME,
    }, ("id", "name", "duration_minutes", "price_cents", "deposit_cents", "is_active", "sort_order", "created_at")),
    "Staff": obj({
        "id": UUID, "name": STR, "email": nullable(STR), "phone": nullable(STR),
        "role": {"type": "string", "enum": list(STAFF_ROLES)}, "bio": nullable(STR), "avatar_url": nullable(STR),
        "is_active": BOOL, "sort_order": INT, "services": {"type": "array", "items": ref("Ref")},
        "created_at": TIME, "updated_at": TIME,
    }, ("id", "name", "role", "is_active", "services", "created_at")),
    "Product": obj({
        "id": UUID, "name": STR, "description": nullable(STR), "price_cents": CENTS, "category": nullable(STR),
        "sku": nullable(STR), "inventory_count": nullable({"type": "integer", "minimum": 0}), "is_active": BOOL,
        "sort_order": INT, "image_url": nullable(STR), "deactivated_at": nullable(TIME), "created_at": TIME,
        "updated_at": TIME,
    }, ("id", "name", "price_cents", "is_active", "created_at")),
    "Client": obj({
        "id": UUID, "email": STR, "name": STR, "phone": nullable(STR), "total_bookings": INT,
        "total_spent_cents": CENTS, "first_booking_at": TIME, "last_booking_at": TIME,
    }, ("email", "name", "total_bookings", "total_spent_cents", "first_booking_at", "last_booking_at")),
    "Review": obj({
        "id": UUID, "booking_id": UUID, "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "comment": nullable(STR), "would_recommend": BOOL, "customer_name": STR, "business_reply": nullable(STR),
        "business_reply_at": nullable(TIME), "created_at": TIME,
    }, ("id", "rating", "business_reply", "created_at")),
    "Business": obj({
        "id": UUID, "name": STR, "slug": STR, "description": nullable(STR),
        "logo_url": {"type": ["string", "null"], "description": "Not stored yet: always null."},
        "cover_photo_url": {"type": ["string", "null"], "description": "Not stored yet: always null."},
        "plan": {"type": ["string", "null"], "description": "This product has no plans: always null."},
        "address": obj({k: nullable(STR) for k in ("street", "city", "state", "zip", "country")}),
        "phone": nullable(STR), "email": nullable(STR), "website": nullable(STR), "timezone": STR, "currency": STR,
        "rating": nullable({"type": "number"}), "review_count": INT, "is_active": BOOL,
        "hours": {"type": "object", "description": "monday..sunday: null (closed), {open, close}, or a list of them"},
        "booking_settings": {"type": "object"}, "created_at": TIME, "updated_at": TIME,
    }, ("id", "name", "slug", "address", "timezone", "hours", "booking_settings")),
    "Analytics": obj({
        "period": {"type": "string", "enum": list(PERIODS)}, "total_bookings": INT, "total_revenue_cents": CENTS,
        "bookings_this_month": INT, "revenue_this_month_cents": CENTS, "avg_rating": nullable({"type": "number"}),
        "total_reviews": INT,
        "top_services": {"type": "array", "items": obj({"service_id": UUID, "service_name": STR, "booking_count": INT,
                                                         "revenue_cents": CENTS})},
        "busy_days": {"type": "array", "items": obj({"day": STR, "booking_count": INT})},
    }, ("period", "total_bookings", "total_revenue_cents", "avg_rating", "top_services", "busy_days")),
    "Slot": obj({"start": TIME, "end": TIME, "staff_id": UUID, "staff_ids": {"type": "array", "items": UUID}},
                ("start", "end")),
    "Availability": obj({
        "date": {"type": "string", "format": "date"}, "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"}, "service_id": nullable(UUID), "timezone": STR,
        "slot_duration_minutes": INT, "slots": {"type": "array", "items": ref("Slot")}, "message": STR,
        "days": {"type": "array", "items": obj({"date": {"type": "string", "format": "date"},
                                                 "slots": {"type": "array", "items": ref("Slot")}}, ("date", "slots"))},
    }, ("service_id",)),
    "WebhookEndpoint": obj({
        "id": UUID, "url": STR, "description": nullable(STR),
        "events": {"type": "array", "items": {"type": "string", "enum": list(EVENT_TYPES)}},
        "is_active": BOOL, "disabled_at": nullable(TIME), "consecutive_failures": INT, "created_at": TIME,
        "secret": {"type": "string", "description": "Returned once, when the endpoint is created."},
    }, ("id", "url", "events", "is_active", "created_at")),
    "WebhookDelivery": obj({
        "id": UUID, "event_id": UUID, "topic": STR, "status": {"type": "string", "enum": ["pending", "succeeded", "failed"]},
        "attempts": INT, "next_attempt_at": nullable(TIME), "last_attempt_at": nullable(TIME),
        "response_status": nullable(INT), "error": nullable(STR), "created_at": TIME, "delivered_at": nullable(TIME),
    }, ("id", "event_id", "topic", "status", "attempts")),
    "Deleted": obj({"id": UUID, "deleted": BOOL, "status": STR, "is_active": BOOL, "deactivated_at": nullable(TIME)}, ("id",)),
}

REQUEST_ID = {"description": "The request id (yours, if you sent a valid X-Request-Id).", "schema": STR}
RATE_HEADERS = {name: {"description": text, "schema": STR} for name, text in RATE_LIMIT_HEADERS.items()}

ERRORS = {
    "400": "validation_error: a missing or invalid field, parameter or body (see error.param)",
    "401": "unauthorized: the API key is missing, invalid or revoked",
    "403": "forbidden: the key's business is not active",
    "404": "not_found: no such object in your business",
    "409": "slot_unavailable, hold_expired or idempotency_conflict",
    "429": "rate_limit_exceeded",
    "500": "internal_error",
}


def _error_response(description: str) -> dict:
    return {"description": description, "headers": {"X-Request-Id": REQUEST_ID, **RATE_HEADERS},
            "content": {"application/json": {"schema": ref("Error")}}}


def _ok(status: str, schema: dict, description: str, meta: str | None = None) -> dict:
    properties = {"data": schema}
    required = ["data"]
    if meta:
        properties["meta"] = ref(meta)
        required.append("meta")
    return {status: {"description": description, "headers": {"X-Request-Id": REQUEST_ID, **RATE_HEADERS},
                     "content": {"application/json": {"schema": {"type": "object", "properties": properties,
                                                                 "required": required}}}}}


def q(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


PAGE = [q("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}, "Page number (default 1)"),
        q("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Results per page (default 25, max 100)")]


def path_id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": UUID}


def body(properties: dict, required: tuple = (), *, optional_body: bool = False) -> dict:
    return {"required": not optional_body,
            "content": {"application/json": {"schema": obj(properties, required, closed=True)}}}


def op(op_id: str, summary: str, responses: dict, *, tags: str, params=None, request=None,
       errors=("400", "401", "403", "404", "429", "500"), idempotent=False) -> dict:
    operation = {"operationId": op_id, "summary": summary, "tags": [tags], "responses": dict(responses)}
    parameters = list(params or [])
    if idempotent:
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                           "description": "Retries with the same key and body get the first response."})
        if "409" not in errors:
            errors = (*errors, "409")
    if parameters:
        operation["parameters"] = parameters
    if request:
        operation["requestBody"] = request
    for code in errors:
        operation["responses"][code] = _error_response(ERRORS[code])
    return operation


CUSTOMER_FIELDS = {
    "customer_name": NAME,
    "customer_email": {"type": "string", "maxLength": 254, "format": "email"},
    "customer_phone": {"type": "string", "maxLength": 40},
}
PLACEMENT = {
    "service_id": UUID, "start_at": {"type": "string", "format": "date-time"}, "staff_id": nullable(UUID),
    **CUSTOMER_FIELDS, "notes": nullable({"type": "string", "maxLength": MAX_NOTES_LENGTH}),
    "custom_fields": nullable({"type": "object"}),
}
SERVICE_BODY = {
    "name": NAME, "description": nullable({"type": "string", "maxLength": 5000}),
    "duration_minutes": {"type": "integer", "minimum": 5, "maximum": 1440}, "price_cents": CENTS,
    "deposit_cents": CENTS, "buffer_minutes": {"type": "integer", "minimum": 0, "maximum": 480},
    "buffer_before_minutes": {"type": "integer", "minimum": 0, "maximum": 480}, "category_id": nullable(UUID),
    "is_active": BOOL, "sort_order": {"type": "integer", "minimum": -1_000_000, "maximum": 1_000_000},
}
STAFF_BODY = {
    "name": NAME, "email": nullable({"type": "string", "maxLength": 254, "format": "email"}),
    "phone": nullable({"type": "string", "maxLength": 40}), "role": {"type": "string", "enum": list(STAFF_ROLES)},
    "bio": nullable({"type": "string", "maxLength": 5000}), "avatar_url": nullable({"type": "string", "maxLength": 500}),
    "sort_order": {"type": "integer", "minimum": -1_000_000, "maximum": 1_000_000}, "is_active": BOOL,
    "service_ids": {"type": "array", "items": UUID},
}
PRODUCT_BODY = {
    "name": NAME, "description": nullable({"type": "string", "maxLength": 5000}), "price_cents": CENTS,
    "category": nullable({"type": "string", "maxLength": 120}), "sku": nullable({"type": "string", "maxLength": 64}),
    "inventory_count": nullable({"type": "integer", "minimum": 0, "maximum": 100_000_000}),
    "image_url": nullable({"type": "string", "maxLength": 500}),
    "sort_order": {"type": "integer", "minimum": -1_000_000, "maximum": 1_000_000}, "is_active": BOOL,
}
BUSINESS_BODY = {
    "name": NAME, "description": nullable({"type": "string", "maxLength": 5000}),
    "phone": nullable({"type": "string", "maxLength": 40}),
    "email": nullable({"type": "string", "maxLength": 254, "format": "email"}),
    "website": nullable({"type": "string", "maxLength": 300}),
    "address": obj({"street": nullable({"type": "string", "maxLength": 200}),
                    "city": nullable({"type": "string", "maxLength": 100}),
                    "state": nullable({"type": "string", "maxLength": 100}),
                    "zip": nullable({"type": "string", "maxLength": 20}),
                    "country": {"type": "string", "minLength": 2, "maxLength": 2}}, closed=True),
}

BOOKING_ID = [path_id("booking_id")]


def paths() -> dict:
    booking_list_params = [
        q("status", {"type": "string", "enum": list(ALL_STATUSES)}, "Only bookings in this status"),
        q("from", STR, "Bookings starting at or after this: a date (YYYY-MM-DD, the start of that local day) or an ISO 8601 date-time"),
        q("to", STR, "Bookings starting at or before this: a date (the whole local day) or an ISO 8601 date-time"),
        *PAGE,
        q("cursor", STR, "Sync mode: `start`, then each response's meta.next_cursor. Orders by last change "
                         "(updated_at, id), so every created or changed booking is seen once per change."),
    ]
    return {
        "/availability": {"get": op("getAvailability", "Free slots for a date, or per day for a from/to range",
            _ok("200", ref("Availability"), "Slots; each names the staff who can take it"), tags="Availability", params=[
                q("service_id", UUID, "The service (sets the slot length and who can take it). Without it, "
                                      "30-minute slots for every staff member who performs any service"),
                q("date", {"type": "string", "format": "date"},
                  "One day (YYYY-MM-DD, the business's local date; years 1970-2200)"),
                q("from", {"type": "string", "format": "date"}, "First day of a range (with to; at most 31 days)"),
                q("to", {"type": "string", "format": "date"}, "Last day of a range"),
                q("staff_id", UUID, "Only this staff member"),
            ])},
        "/bookings": {
            "get": op("listBookings", "List bookings (newest start first), or sync them with a cursor",
                      {"200": {"description": "Bookings; meta is a page (page/limit/total) or, with cursor, the next cursor",
                               "headers": {"X-Request-Id": REQUEST_ID, **RATE_HEADERS},
                               "content": {"application/json": {"schema": obj({
                                   "data": {"type": "array", "items": ref("Booking")},
                                   "meta": {"anyOf": [ref("PageMeta"), ref("CursorMeta")]}}, ("data", "meta"))}}}},
                      tags="Bookings", params=booking_list_params),
            "post": op("createBooking", "Book in one step (confirmed, or pending if the business reviews bookings)",
                       _ok("201", ref("BookingDetail"), "The booking"), tags="Bookings", idempotent=True,
                       request=body({**PLACEMENT, "promo_code": {"type": "string", "maxLength": 64}},
                                    ("service_id", "start_at", "customer_name", "customer_email"))),
        },
        "/bookings/hold": {"post": op("holdBooking", "Hold a slot for the business's hold time (status held)",
            _ok("201", ref("BookingDetail"), "The hold"), tags="Bookings", idempotent=True,
            request=body(PLACEMENT, ("service_id", "start_at")))},
        "/bookings/reserve": {"post": op("reserveBooking", "Reserve a slot without expiry (status reserved)",
            _ok("201", ref("BookingDetail"), "The reservation"), tags="Bookings", idempotent=True,
            request=body(PLACEMENT, ("service_id", "start_at")))},
        "/bookings/{booking_id}": {
            "get": op("getBooking", "A booking with deposit, payments, cancellation and checkout details",
                      _ok("200", ref("BookingDetail"), "The booking"), tags="Bookings", params=BOOKING_ID),
            "patch": op("updateBookingStatus", "Move a booking to another status",
                        _ok("200", ref("BookingDetail"), "The booking"), tags="Bookings", params=BOOKING_ID,
                        errors=("400", "401", "403", "404", "409", "429", "500"),
                        request=body({"status": {"type": "string", "enum": ["confirmed", "in_progress", "completed", "cancelled", "no_show"]},
                                      "cancellation_reason": nullable({"type": "string", "maxLength": 2000})}, ("status",))),
            "delete": op("deleteBooking", "Release a hold or a reservation",
                         _ok("200", ref("Deleted"), "Released"), tags="Bookings", params=BOOKING_ID),
        },
        "/bookings/{booking_id}/book": {"post": op("bookBooking", "Turn a hold or reservation into a booking",
            _ok("200", ref("BookingDetail"), "The booking"), tags="Bookings", params=BOOKING_ID, idempotent=True,
            request=body({**CUSTOMER_FIELDS, "notes": nullable({"type": "string", "maxLength": MAX_NOTES_LENGTH}),
                          "custom_fields": nullable({"type": "object"})}, optional_body=True))},
        "/bookings/{booking_id}/confirm": {"post": op("confirmBooking", "Confirm a pending booking",
            _ok("200", ref("BookingDetail"), "The booking"), tags="Bookings", params=BOOKING_ID, idempotent=True,
            request=body({}, optional_body=True))},
        "/bookings/{booking_id}/reschedule": {"post": op("rescheduleBooking",
            "Move to a new slot; the old booking becomes rescheduled and points at the new one",
            _ok("200", ref("BookingDetail"), "The new booking"), tags="Bookings", params=BOOKING_ID, idempotent=True,
            request=body({"start_at": {"type": "string", "format": "date-time"}, "staff_id": nullable(UUID),
                          "any_staff": BOOL}, ("start_at",)))},
        "/bookings/{booking_id}/cancel": {"post": op("cancelBooking", "Cancel a booking (or release a hold)",
            _ok("200", ref("BookingDetail"), "The booking"), tags="Bookings", params=BOOKING_ID, idempotent=True,
            request=body({"cancellation_reason": nullable({"type": "string", "maxLength": 2000})}, optional_body=True))},
        **_crud("services", "Service", "service_id", "Services", SERVICE_BODY, ("name", "duration_minutes", "price_cents"),
                list_params=[*PAGE, q("active", {"type": "string", "enum": ["true", "false"]}, "Filter by is_active")]),
        **_crud("staff", "Staff", "staff_id", "Staff", STAFF_BODY, ("name",), list_params=PAGE),
        **_crud("products", "Product", "product_id", "Products", PRODUCT_BODY, ("name", "price_cents"), list_params=[
            *PAGE, q("category", {"type": "string", "maxLength": 120}, "Category name (case-insensitive)"),
            q("active", {"type": "string", "enum": ["true", "false"]}, "Filter by active status (default true)")]),
        "/clients": {"get": op("listClients", "Customers aggregated by email, most recent visit first",
            _ok("200", {"type": "array", "items": ref("Client")}, "Clients", "PageMeta"), tags="Clients", params=PAGE)},
        "/reviews": {"get": op("listReviews", "Reviews, filtered and sorted",
            _ok("200", {"type": "array", "items": ref("Review")}, "Reviews", "PageMeta"), tags="Reviews", params=[
                q("rating", {"type": "integer", "minimum": 1, "maximum": 5}, "Exact star rating"),
                q("has_reply", {"type": "string", "enum": ["true", "false"]}, "With or without a business reply"),
                q("sort", {"type": "string", "enum": list(SORTS)}, "Order (default newest)"), *PAGE])},
        "/reviews/{review_id}": {"get": op("getReview", "One review",
            _ok("200", ref("Review"), "The review"), tags="Reviews", params=[path_id("review_id")])},
        "/reviews/{review_id}/reply": {"post": op("replyToReview", "Set or replace the business's public reply",
            _ok("200", ref("Review"), "The review"), tags="Reviews", params=[path_id("review_id")], idempotent=True,
            request=body({"reply": {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": r"\S"}}, ("reply",)))},
        "/business": {
            "get": op("getBusiness", "Your business profile, hours and booking settings",
                      _ok("200", ref("Business"), "The business"), tags="Business"),
            "patch": op("updateBusiness", "Update the business profile",
                        _ok("200", ref("Business"), "The business"), tags="Business", request=body(BUSINESS_BODY)),
        },
        "/analytics": {"get": op("getAnalytics", "Bookings, revenue, rating, top services and busy days over a period",
            _ok("200", ref("Analytics"), "Figures"), tags="Analytics",
            params=[q("period", {"type": "string", "enum": list(PERIODS)}, "Time window (default 30d)")])},
        "/webhooks": {
            "get": op("listWebhookEndpoints", "Webhook endpoints",
                      _ok("200", {"type": "array", "items": ref("WebhookEndpoint")}, "Endpoints", "PageMeta"),
                      tags="Webhooks", params=PAGE),
            "post": op("createWebhookEndpoint", "Add an endpoint; the response holds its signing secret (shown once)",
                       _ok("201", ref("WebhookEndpoint"), "The endpoint, with its secret"), tags="Webhooks",
                       idempotent=True, request=body({
                           "url": {"type": "string", "format": "uri", "maxLength": 2000},
                           "events": {"type": "array", "items": {"type": "string", "enum": list(EVENT_TYPES)}, "maxItems": 50},
                           "description": nullable({"type": "string", "maxLength": 500})}, ("url",))),
        },
        "/webhooks/{endpoint_id}": {
            "get": op("getWebhookEndpoint", "One endpoint", _ok("200", ref("WebhookEndpoint"), "The endpoint"),
                      tags="Webhooks", params=[path_id("endpoint_id")]),
            "delete": op("deleteWebhookEndpoint", "Remove an endpoint (its delivery log is kept)",
                         _ok("200", ref("Deleted"), "Removed"), tags="Webhooks", params=[path_id("endpoint_id")]),
        },
        "/webhooks/{endpoint_id}/test": {"post": op("sendTestWebhook", "Queue a webhook.test event to this endpoint",
            _ok("202", ref("WebhookDelivery"), "The queued delivery"), tags="Webhooks", idempotent=True,
            params=[path_id("endpoint_id")], request=body({}, optional_body=True))},
        "/webhooks/{endpoint_id}/deliveries": {"get": op("listWebhookDeliveries", "The endpoint's delivery log, newest first",
            _ok("200", {"type": "array", "items": ref("WebhookDelivery")}, "Deliveries", "PageMeta"), tags="Webhooks",
            params=[path_id("endpoint_id"), *PAGE])},
        "/openapi.json": {"get": {"operationId": "getOpenApiDocument", "summary": "This document", "tags": ["Meta"],
                                  "security": [], "responses": {"200": {
                                      "description": "OpenAPI 3.1", "headers": {"X-Request-Id": REQUEST_ID},
                                      "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    }


def _crud(collection: str, schema: str, id_name: str, tag: str, fields: dict, required: tuple, *, list_params) -> dict:
    one = [path_id(id_name)]
    return {
        f"/{collection}": {
            "get": op(f"list{tag}", f"List {collection}",
                      _ok("200", {"type": "array", "items": ref(schema)}, tag, "PageMeta"), tags=tag, params=list_params),
            "post": op(f"create{schema}", f"Create a {schema.lower()}", _ok("201", ref(schema), f"The {schema.lower()}"),
                       tags=tag, idempotent=True, request=body(fields, required)),
        },
        f"/{collection}/{{{id_name}}}": {
            "get": op(f"get{schema}", f"One {schema.lower()}", _ok("200", ref(schema), f"The {schema.lower()}"),
                      tags=tag, params=one),
            "patch": op(f"update{schema}", f"Update a {schema.lower()} (only the fields sent)",
                        _ok("200", ref(schema), f"The {schema.lower()}"), tags=tag, params=one, request=body(fields)),
            "delete": op(f"delete{schema}", f"Deactivate a {schema.lower()} (soft delete)",
                         _ok("200", ref("Deleted"), "Deactivated"), tags=tag, params=one),
        },
    }


DESCRIPTION = f"""The booking API for integrators. JSON in and out; every list is paginated with
`page`/`limit` (default 25, max 100) and answers `{{"data": [...], "meta": {{"page", "limit", "total"}}}}`.

**Authentication**: `Authorization: Bearer <key>` or `X-Api-Key: <key>`. Live keys start `bo_live_`,
test keys `bo_test_`. A key sees only its own business; any other object is a 404.

**Errors**: `{{"error": {{"code", "message", "param"?, "details"?}}, "meta": {{"request_id"}}}}`; every response carries
`X-Request-Id`.

**Rate limits** per key, one allowance shared by every operation (100/minute, 1,000/hour and a monthly
quota that restarts on the 1st of each calendar month, UTC, by default): `X-RateLimit-Limit`,
`X-RateLimit-Remaining`, `X-RateLimit-Used`, `X-RateLimit-Reset` on every response; 429 `rate_limit_exceeded`
past them.

**Idempotency**: send `Idempotency-Key` on POST; a retry with the same key and body gets the first response
(with `Idempotent-Replayed: true`), the same key with another body is a 409 `idempotency_conflict`.

**Webhooks**: events {", ".join(EVENT_TYPES)} are POSTed as `{{"id", "type", "created_at", "data"}}` with
`{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex>`, where hex = HMAC-SHA256(secret, "<X-Webhook-Id>.<t>.<raw body>").
Failed deliveries are retried with exponential backoff for a day."""


@lru_cache(maxsize=1)
def _document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Booking API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}, {"apiKeyHeader": []}],
        "paths": paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "bo_live_... or bo_test_..."},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            },
        },
    }


def document() -> dict:
    return deepcopy(_document())
