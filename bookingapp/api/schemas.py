"""Every operation's query parameters, JSON body and response, declared once.

bookingapp/api/operations.py validates requests against these models, serializes responses
through them, and builds /api/v1/openapi.json from them. Limits are the domain's constants
where the domain has one; the few the domain keeps as literals are named once here.

Bodies are strict (no "5" for an integer, no 1 for a boolean) and closed (an unknown field
is a 400); query strings arrive as text, so their models parse it, and are closed too."""
from __future__ import annotations

from typing import Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

from bookingapp.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from bookingapp.api.schemas_types import (
    Bound, Day, DayText, Id, Instant, JsonObject, QueryBool, Timestamp, UuidText, name_text, one_of, query_int,
    text, whole,
)
from bookingapp.domain.languages import LANGUAGES
from bookingapp.domain.analytics import PERIODS
from bookingapp.domain.assignment import ASSIGNMENT_SPELLINGS
from bookingapp.domain.catalog import ADDRESS_FIELDS, MAX_BUFFER_MINUTES, MAX_DURATION_MINUTES
from bookingapp.domain import embedding
from bookingapp.domain.custom_fields import MAX_NOTES_LENGTH
from bookingapp.domain.locations import MAX_HOLD_SECONDS, MIN_HOLD_SECONDS
from bookingapp.domain.notify import CUSTOMER_KINDS, STAFF_KINDS, STATUS_LABELS
from bookingapp.domain.reminders import MAX_HOURS, MAX_STEPS, MIN_HOURS
from bookingapp.domain.review_replies import MAX_REPLY_LENGTH, SORTS
from bookingapp.domain.states import ALL_STATUSES, manual_transitions
from bookingapp.models import BOOKING_SOURCES, STAFF_ROLES
from bookingapp.models.message import MESSAGE_AUDIENCES, MESSAGE_CHANNELS, MESSAGE_STATUSES
from bookingapp.models.payment import PAYMENT_KINDS, PAYMENT_STATUSES
from bookingapp.notifications.webhooks import EVENT_TYPES

# Limits the domain enforces with literals (bookingapp/domain/catalog.py, customers.py);
# named here once so that the document and the validation say the same thing.
NAME_LENGTH = 200
DESCRIPTION_LENGTH = 5000
EMAIL_LENGTH = 254
PHONE_LENGTH = 40
URL_LENGTH = 500
WEBSITE_LENGTH = 300
REASON_LENGTH = 2000
PROMO_CODE_LENGTH = 64
CATEGORY_LENGTH = 120
SKU_LENGTH = 64
MIN_DURATION_MINUTES = 5
MAX_CENTS = 100_000_000
SORT_ORDER_RANGE = 1_000_000
WEBHOOK_URL_LENGTH = 2000
WEBHOOK_DESCRIPTION_LENGTH = 500
MAX_WEBHOOK_EVENTS = 50
MAX_PAGE = 1_000_000

# The statuses a PATCH may name: every move the domain allows by name from some status.
SETTABLE_STATUSES = tuple(s for s in ALL_STATUSES if any(s in manual_transitions(c) for c in ALL_STATUSES))

Name = name_text(NAME_LENGTH)
Description = text(DESCRIPTION_LENGTH)
Email = text(EMAIL_LENGTH, fmt="email")
Phone = text(PHONE_LENGTH)
CentsInt = Annotated[int, Field(ge=0, le=MAX_CENTS)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- query strings


class NoQuery(Query):
    """Operations without query parameters: any parameter is unknown (a 400)."""


# --------------------------------------------------------------------------- locations

LOCATION_ID_HELP = "One of your locations (GET /locations)."
BRANCH_ID_HELP = "The same as location_id, by the name OptimoCMS gives it; send one of the two."
SLUG_LENGTH = 80
TIMEZONE_LENGTH = 64
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ClockText = text(5, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class AtLocation(BaseModel):
    """A location named either way (location_id, or OptimoCMS's branch_id)."""
    location_id: Optional[Id] = Field(None, description=LOCATION_ID_HELP)
    branch_id: Optional[Id] = Field(None, description=BRANCH_ID_HELP)


ASSIGNMENT_HELP = ("Who takes a slot when no staff_id is sent, for this request only (the business's "
                   "assignment_policy otherwise, which it does not change): `fixed` the first in the staff order, "
                   "`random` any of them, `balanced` the one with the fewest bookings that day. Also accepted: "
                   "`fixed_order` (the business setting's spelling) and OnSched's roundRobin `NONE` (= fixed), "
                   "`RANDOM`, `BALANCED`.")
Assignment = one_of(ASSIGNMENT_SPELLINGS)


class PageQuery(Query):
    page: query_int(1, MAX_PAGE) = Field(1, description="Page number (default 1)")
    limit: query_int(1, MAX_LIMIT) = Field(DEFAULT_LIMIT, description=f"Results per page (default {DEFAULT_LIMIT}, max {MAX_LIMIT})")


class BookingListQuery(AtLocation, PageQuery):
    status: Optional[one_of(ALL_STATUSES)] = Field(
        None, description="Only bookings in this status, as the API shows it (a hold past its time is expired)")
    from_: Optional[Bound] = Field(None, alias="from", description="Bookings starting at or after this: a date (the start "
                                   "of that local day) or an ISO 8601 date-time")
    to: Optional[Bound] = Field(None, description="Bookings starting at or before this: a date (the whole local day) "
                                "or an ISO 8601 date-time")
    date: Optional[Day] = Field(None, description="Bookings starting on this local day (the business's time zone); "
                                "not with from/to")
    staff_id: Optional[Id] = Field(None, description="Only this staff member's bookings")
    service_id: Optional[Id] = Field(None, description="Only bookings of this service")
    customer_email: Optional[text(EMAIL_LENGTH)] = Field(None, description="Only this customer's bookings (the email, "
                                                          "case-insensitive, exact)")
    cursor: Optional[text(1000)] = Field(None, description="Sync mode: `start`, then each response's meta.next_cursor. "
                                         "Orders by last change (updated_at, id), so every created or changed booking "
                                         "is seen once per change.")


class AvailabilityQuery(AtLocation, Query):
    service_id: Optional[Id] = Field(None, description="The service (sets the slot length and who can take it). Without "
                                     "it, 30-minute slots for every staff member who performs any service")
    date: Optional[Day] = Field(None, description="One day (the business's local date)")
    from_: Optional[Day] = Field(None, alias="from", description="First day of a range (with to)")
    to: Optional[Day] = Field(None, description="Last day of a range")
    staff_id: Optional[Id] = Field(None, description="Only this staff member")
    assignment: Optional[Assignment] = Field(None, description=ASSIGNMENT_HELP + " Orders each slot's staff_ids; "
                                             "staff_id is the first.")


class LocationListQuery(PageQuery):
    active: QueryBool = Field(True, description="Active locations (default), or retired ones (false)")


class ServiceListQuery(PageQuery):
    active: Optional[QueryBool] = Field(None, description="Filter by is_active")


class ProductListQuery(PageQuery):
    active: QueryBool = Field(True, description="Filter by active status (default true)")
    category: Optional[text(CATEGORY_LENGTH)] = Field(None, description="Category name (case-insensitive)")


class ReviewListQuery(PageQuery):
    rating: Optional[query_int(1, 5)] = Field(None, description="Exact star rating")
    has_reply: Optional[QueryBool] = Field(None, description="With or without a business reply")
    sort: one_of(SORTS) = Field("newest", description="Order (default newest)")


class AnalyticsQuery(AtLocation, Query):
    period: one_of(PERIODS) = Field("30d", description="Time window (default 30d)")


# --------------------------------------------------------------------------- bodies


class EmptyBody(Body):
    """No fields; the body may be left out."""


SKIP_NOTIFICATIONS = ("Don't send the customer messages this request would cause (confirmation, approval, move, "
                      "cancellation); webhooks and staff messages still go. On a hold or reservation it applies to "
                      "its later booking.")


class QuietBody(Body):
    """A booking command's body: the caller may keep the customer from hearing of it."""
    skip_notifications: bool = Field(False, description=SKIP_NOTIFICATIONS)


class CustomerFields(Body):
    customer_name: Optional[Name] = None
    customer_email: Optional[Email] = None
    customer_phone: Optional[Phone] = None


class BookBody(CustomerFields, QuietBody):
    notes: Optional[text(MAX_NOTES_LENGTH)] = None
    custom_fields: Optional[JsonObject] = Field(None, description="Answers to the business's questions, by key")


class PlacementBody(AtLocation, BookBody):
    service_id: Id
    start_at: Instant
    staff_id: Optional[Id] = Field(None, description="Without it, the first free staff member who performs the service")
    assignment: Optional[Assignment] = Field(None, description=ASSIGNMENT_HELP)


class HoldBody(PlacementBody):
    hold_seconds: whole(1, MAX_HOLD_SECONDS) = Field(
        None, description="How long to hold: at most the location's hold length (its default).")


class CreateBookingBody(PlacementBody):
    customer_name: Name
    customer_email: Email
    promo_code: Optional[text(PROMO_CODE_LENGTH)] = None


class ConfirmBody(QuietBody):
    """Only skip_notifications; the body may be left out."""


class RescheduleBody(QuietBody):
    start_at: Instant
    staff_id: Optional[Id] = None
    any_staff: bool = Field(False, description="Any free staff member (not with staff_id)")
    assignment: Optional[Assignment] = Field(None, description=ASSIGNMENT_HELP + " Only with any_staff.")


class CancelBody(QuietBody):
    cancellation_reason: Optional[text(REASON_LENGTH)] = None


class StatusBody(CancelBody):
    status: one_of(SETTABLE_STATUSES)


class HoursWindowBody(Body):
    open: ClockText = Field(description="HH:MM, local time at the location")
    close: ClockText = Field(description="HH:MM, after open")


class LocationBody(Body):
    name: Name = None
    slug: text(SLUG_LENGTH) = Field(None, description="The location's page: /<business slug>/<location slug>")
    phone: Optional[Phone] = None
    address: Optional[AddressBody] = None
    timezone: Optional[text(TIMEZONE_LENGTH)] = Field(None, description="IANA time zone; null: the business's")
    hold_seconds: Optional[whole(MIN_HOLD_SECONDS, MAX_HOLD_SECONDS)] = Field(
        None, description="How long a hold lasts here; null: the business's")
    sort_order: whole(-SORT_ORDER_RANGE, SORT_ORDER_RANGE) = None
    is_active: bool = Field(None, description="false retires the location (not the primary)")
    hours: Optional[dict[one_of(WEEKDAY_NAMES), list[HoursWindowBody]]] = Field(
        None, description="Opening hours by weekday (a day left out is closed); null or {}: the business's hours")
    staff_ids: list[Id] = Field(None, description="Who works here (replaces the list; where else they work is kept)")


class CreateLocationBody(LocationBody):
    name: Name
    slug: text(SLUG_LENGTH)


class ServiceTermsBody(Body):
    """A service's own terms at a location; a field left out or null is the service's own."""
    price_cents: Optional[whole(0, MAX_CENTS)] = Field(None, description="The price here; null: the service's")
    deposit_cents: Optional[whole(0, MAX_CENTS)] = Field(
        None, description="The deposit here, at most the price here; null: the service's")
    duration_minutes: Optional[whole(MIN_DURATION_MINUTES, MAX_DURATION_MINUTES)] = Field(
        None, description="How long it takes here (the slot length here); null: the service's")


class ServiceBody(Body):
    name: Name = None
    description: Optional[Description] = None
    duration_minutes: whole(MIN_DURATION_MINUTES, MAX_DURATION_MINUTES) = None
    price_cents: whole(0, MAX_CENTS) = None
    deposit_cents: whole(0, MAX_CENTS) = Field(None, description="At most price_cents")
    buffer_minutes: whole(0, MAX_BUFFER_MINUTES) = None
    buffer_before_minutes: whole(0, MAX_BUFFER_MINUTES) = None
    category_id: Optional[Id] = None
    is_active: bool = None
    sort_order: whole(-SORT_ORDER_RANGE, SORT_ORDER_RANGE) = None


class CreateServiceBody(ServiceBody):
    name: Name
    duration_minutes: whole(MIN_DURATION_MINUTES, MAX_DURATION_MINUTES)
    price_cents: whole(0, MAX_CENTS)


class StaffBody(Body):
    name: Name = None
    email: Optional[Email] = None
    phone: Optional[Phone] = None
    role: one_of(STAFF_ROLES) = Field(None, description="An API key acts as a manager: it cannot make or unmake an owner")
    bio: Optional[Description] = None
    avatar_url: Optional[text(URL_LENGTH)] = None
    sort_order: whole(-SORT_ORDER_RANGE, SORT_ORDER_RANGE) = None
    is_active: bool = None
    service_ids: list[Id] = Field(None, description="The services this person performs (replaces the list)")
    booking_emails: bool = Field(None, description="Email this person about their new, moved and cancelled bookings")
    daily_agenda: bool = Field(None, description="Email this person the day's agenda each morning")


class CreateStaffBody(StaffBody):
    name: Name


class ProductBody(Body):
    name: Name = None
    description: Optional[Description] = None
    price_cents: whole(0, MAX_CENTS) = None
    category: Optional[text(CATEGORY_LENGTH)] = None
    sku: Optional[text(SKU_LENGTH)] = None
    inventory_count: Optional[whole(0, MAX_CENTS)] = None
    image_url: Optional[text(URL_LENGTH)] = None
    sort_order: whole(-SORT_ORDER_RANGE, SORT_ORDER_RANGE) = None
    is_active: bool = None


class CreateProductBody(ProductBody):
    name: Name
    price_cents: whole(0, MAX_CENTS)


class ReplyBody(Body):
    reply: name_text(MAX_REPLY_LENGTH)


# The address's fields and lengths are the domain's own table (catalog.ADDRESS_FIELDS).
AddressBody = create_model(
    "AddressBody", __base__=Body,
    **{field: (Optional[text(length)], None) for field, length in ADDRESS_FIELDS.items()},
)


class BusinessBody(Body):
    name: Name = None
    description: Optional[Description] = None
    phone: Optional[Phone] = None
    email: Optional[Email] = None
    website: Optional[text(WEBSITE_LENGTH)] = None
    address: Optional[AddressBody] = None
    default_language: one_of(LANGUAGES) = Field(
        None, description="The language of the customer pages, emails and calendar files when the visitor's "
                          "browser asks for none of them (each booking keeps the language it was made in)")


class ReminderStepBody(Body):
    hours_before: whole(MIN_HOURS, MAX_HOURS) = Field(description="How long before the appointment")
    email: bool = Field(description="Send it by email")
    sms: bool = Field(description="Send it by text message (to customers with a phone number); with email false "
                      "too, the step is kept but switched off")


class NotificationSettingsBody(Body):
    reminder_cadence: list[ReminderStepBody] = Field(
        None, max_length=MAX_STEPS,
        description=f"The reminders before each appointment (replaces the list; at most {MAX_STEPS}, distinct "
                    "hours_before; an empty list sends none)")
    sms_notifications: bool = Field(None, description="Also tell customers of booking changes by text message")
    review_requests: bool = Field(None, description="Ask customers for a review after a completed visit")


class EmbeddingBody(Body):
    embed_origins: list[text(embedding.MAX_ORIGIN_LENGTH)] = Field(
        max_length=embedding.MAX_ORIGINS,
        description="The business's own websites allowed to show the booking pages in a frame (replaces the list; "
                    "each an https origin such as https://www.example.com, http only for localhost; an empty list "
                    "switches embedding off)")


class WebhookBody(Body):
    url: text(WEBHOOK_URL_LENGTH, fmt="uri") = Field(description="A public https URL")
    events: Optional[list[one_of(EVENT_TYPES)]] = Field(None, max_length=MAX_WEBHOOK_EVENTS,
                                                        description="Event types to send (default: all)")
    description: Optional[text(WEBHOOK_DESCRIPTION_LENGTH)] = None


# --------------------------------------------------------------------------- responses


class Out(BaseModel):
    # A serializer that drifts from its declared shape fails loudly in the tests.
    model_config = ConfigDict(extra="forbid")


class PageMeta(Out):
    page: int = Field(ge=1)
    limit: int = Field(ge=1, le=MAX_LIMIT)
    total: int = Field(ge=0)


class CursorMeta(Out):
    limit: int
    next_cursor: str
    has_more: bool


class Ref(Out):
    id: UuidText
    name: str


class CustomerOut(Out):
    id: UuidText
    name: str
    # None for a walk-in the business booked at its front desk by name only.
    email: Optional[str]
    phone: Optional[str]


class BookingOut(Out):
    id: UuidText
    booking_number: str
    location_id: UuidText = Field(description="Where the visit takes place (GET /locations)")
    status: one_of(ALL_STATUSES) = Field(description="A hold whose time has passed reads expired at once")
    source: one_of(BOOKING_SOURCES)
    customer: Optional[CustomerOut]
    service: Ref
    staff: Ref
    start_at: Timestamp
    end_at: Timestamp
    price_cents: CentsInt
    deposit_cents: CentsInt
    currency: str
    notes: Optional[str]
    hold_expires_at: Optional[Timestamp]
    created_at: Timestamp
    updated_at: Timestamp


class PaymentOut(Out):
    id: UuidText
    kind: one_of(PAYMENT_KINDS)
    status: one_of(PAYMENT_STATUSES)
    amount_cents: CentsInt
    currency: str
    provider: str
    refund_of_id: Optional[UuidText]
    failure_reason: Optional[str]
    created_at: Timestamp
    succeeded_at: Optional[Timestamp]


class MoneySummaryOut(Out):
    currency: str
    list_price_cents: CentsInt
    extras_cents: CentsInt
    discount_cents: CentsInt
    tip_cents: CentsInt
    charged_cents: CentsInt
    paid_cents: CentsInt
    refunded_cents: CentsInt
    net_paid_cents: int
    balance_due_cents: CentsInt
    checked_out: bool


class LineItemOut(Out):
    type: one_of(("service", "addon_service", "product", "tip", "discount"))
    name: str
    price_cents: CentsInt
    quantity: int
    product_id: Optional[UuidText]


class BookingDetailOut(BookingOut):
    cancelled_at: Optional[Timestamp]
    cancellation_reason: Optional[str]
    confirmed_at: Optional[Timestamp]
    rescheduled_from_id: Optional[UuidText]
    rescheduled_to_id: Optional[UuidText]
    custom_fields: dict[str, Any]
    payments: list[PaymentOut] = Field(description="Every payment attempt and refund, oldest first.")
    discount_cents: CentsInt
    total_cents: CentsInt
    paid_cents: int
    refunded_cents: CentsInt
    balance_due_cents: CentsInt
    money: MoneySummaryOut
    # After checkout only:
    total_charged_cents: int = Field(None, ge=0, le=MAX_CENTS, description="After checkout")
    tip_cents: int = Field(None, ge=0, le=MAX_CENTS, description="After checkout")
    line_items: list[LineItemOut] = Field(None, description="After checkout")


class ServiceOut(Out):
    id: UuidText
    name: str
    description: Optional[str]
    duration_minutes: int
    buffer_minutes: int
    buffer_before_minutes: int
    price_cents: CentsInt
    deposit_cents: CentsInt
    currency: str
    category_id: Optional[UuidText]
    category: Optional[Ref]
    is_active: bool
    sort_order: int
    created_at: Timestamp
    updated_at: Timestamp


class StaffOut(Out):
    id: UuidText
    name: str
    email: Optional[str]
    phone: Optional[str]
    role: one_of(STAFF_ROLES)
    bio: Optional[str]
    avatar_url: Optional[str]
    is_active: bool
    sort_order: int
    created_at: Timestamp
    updated_at: Timestamp
    services: list[Ref]
    booking_emails: bool
    daily_agenda: bool


class ProductOut(Out):
    id: UuidText
    name: str
    description: Optional[str]
    price_cents: CentsInt
    category: Optional[str]
    sku: Optional[str]
    inventory_count: Optional[int] = Field(ge=0)
    is_active: bool
    sort_order: int
    image_url: Optional[str]
    deactivated_at: Optional[Timestamp]
    created_at: Timestamp
    updated_at: Timestamp


class ClientOut(Out):
    id: UuidText
    email: Optional[str] = Field(description="None for a walk-in booked at the front desk by name only")
    name: str
    phone: Optional[str]
    total_bookings: int
    total_spent_cents: CentsInt
    first_booking_at: Timestamp
    last_booking_at: Timestamp


class ReviewOut(Out):
    id: UuidText
    booking_id: UuidText
    rating: int = Field(ge=1, le=5)
    comment: Optional[str]
    would_recommend: bool
    customer_name: str
    business_reply: Optional[str]
    business_reply_at: Optional[Timestamp]
    created_at: Timestamp


class AddressOut(Out):
    street: Optional[str]
    city: Optional[str]
    state: Optional[str]
    zip: Optional[str]
    country: Optional[str]


class LocationOut(Out):
    id: UuidText
    name: str
    slug: str
    is_primary: bool
    is_active: bool
    address: AddressOut
    phone: Optional[str]
    timezone: str = Field(description="The location's time zone (the business's unless set)")
    hold_seconds: int = Field(description="How long a hold lasts here (the business's unless set)")
    own_timezone: bool = Field(description="false: timezone follows the business's")
    own_hold_seconds: bool = Field(description="false: hold_seconds follows the business's")
    own_hours: bool = Field(description="false: hours are the business's")
    hours: dict[str, Any] = Field(description="monday..sunday: null (closed), {open, close}, or a list of them")
    staff_ids: list[UuidText] = Field(description="Who works here")
    sort_order: int
    created_at: Timestamp
    updated_at: Timestamp


class ServiceAtLocationOut(Out):
    """A service as offered at one location: its terms there, and which of them are the location's own."""
    service_id: UuidText
    location_id: UuidText
    name: str
    price_cents: CentsInt = Field(description="The price here")
    deposit_cents: CentsInt = Field(description="The deposit here (never more than the price here)")
    duration_minutes: int = Field(description="How long it takes here")
    currency: str
    own_price: bool = Field(description="false: price_cents is the service's own")
    own_deposit: bool = Field(description="false: deposit_cents is the service's own (capped at the price here)")
    own_duration: bool = Field(description="false: duration_minutes is the service's own")
    is_active: bool


class ReminderStepOut(Out):
    hours_before: int = Field(ge=MIN_HOURS, le=MAX_HOURS)
    email: bool
    sms: bool


class NotificationSettingsOut(Out):
    reminder_cadence: list[ReminderStepOut] = Field(max_length=MAX_STEPS)
    sms_notifications: bool
    review_requests: bool


class BusinessOut(Out):
    id: UuidText
    name: str
    slug: str
    description: Optional[str]
    logo_url: Optional[str] = Field(description="Not stored yet: always null.")
    cover_photo_url: Optional[str] = Field(description="Not stored yet: always null.")
    plan: Optional[str] = Field(description="This product has no plans: always null.")
    address: AddressOut
    phone: Optional[str]
    email: Optional[str]
    website: Optional[str]
    timezone: str
    currency: str
    default_language: str
    rating: Optional[float]
    review_count: int
    is_active: bool
    hours: dict[str, Any] = Field(description="monday..sunday: null (closed), {open, close}, or a list of them")
    booking_settings: dict[str, Any]
    notification_settings: NotificationSettingsOut
    embed_origins: list[str] = Field(description="Websites allowed to frame the booking pages (empty: none)")
    created_at: Timestamp
    updated_at: Timestamp


class TopServiceOut(Out):
    service_id: UuidText
    service_name: str
    booking_count: int
    revenue_cents: CentsInt


class BusyDayOut(Out):
    day: str
    booking_count: int


class AnalyticsOut(Out):
    period: one_of(PERIODS)
    total_bookings: int
    total_revenue_cents: CentsInt
    bookings_this_month: int
    revenue_this_month_cents: CentsInt
    avg_rating: Optional[float]
    total_reviews: int
    top_services: list[TopServiceOut]
    busy_days: list[BusyDayOut]


class SlotOut(Out):
    start: Timestamp
    end: Timestamp
    staff_id: UuidText
    staff_ids: list[UuidText]


class AvailabilityDayOut(Out):
    date: DayText
    slots: list[SlotOut]


class AvailabilityOut(Out):
    """One day (date, slots, message when empty) or a range (from, to, days)."""
    service_id: Optional[UuidText]
    timezone: str
    slot_duration_minutes: int
    date: DayText = None
    slots: list[SlotOut] = None
    message: str = None
    from_: DayText = Field(None, alias="from")
    to: DayText = None
    days: list[AvailabilityDayOut] = None


class WebhookEndpointOut(Out):
    id: UuidText
    url: str
    description: Optional[str]
    events: list[one_of(EVENT_TYPES)]
    is_active: bool
    disabled_at: Optional[Timestamp]
    consecutive_failures: int
    created_at: Timestamp
    secret: str = Field(None, description="Returned once, when the endpoint is created.")


class WebhookDeliveryOut(Out):
    id: UuidText
    event_id: UuidText
    topic: str
    status: one_of(("pending", "succeeded", "failed"))
    attempts: int
    next_attempt_at: Optional[Timestamp]
    last_attempt_at: Optional[Timestamp]
    response_status: Optional[int]
    error: Optional[str]
    created_at: Timestamp
    delivered_at: Optional[Timestamp]


class MessageOut(Out):
    id: UuidText
    kind: one_of((*CUSTOMER_KINDS, *STAFF_KINDS)) = Field(description="What the message is about")
    channel: one_of(MESSAGE_CHANNELS)
    audience: one_of(MESSAGE_AUDIENCES)
    recipient: str = Field(description="An email address, or a phone number in E.164 form")
    status: one_of(MESSAGE_STATUSES) = Field(description="; ".join(f"{s}: {STATUS_LABELS[s]}" for s in MESSAGE_STATUSES))
    created_at: Timestamp
    due_at: Timestamp
    sent_at: Optional[Timestamp]
    attempts: int = Field(ge=0)
    last_error: Optional[str] = Field(description="Why it failed or was skipped")


class DeletedOut(Out):
    id: UuidText
    deleted: bool = None
    status: one_of(ALL_STATUSES) = None
    is_active: bool = None
    deactivated_at: Optional[Timestamp] = None
