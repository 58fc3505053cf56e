"""The routes of /api/v1. Each operation is declared once (@operation, with its models from
schemas.py), which validates its input and serializes its answer; the view calls the same
domain function the wizard and the dashboard use. The request commits once
(bookingapp/unit_of_work.py). No business rule lives here."""
from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import after_this_request, current_app, g, jsonify, request
from sqlalchemy import and_, bindparam, func, or_, select, true
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import MethodNotAllowed, NotFound as RouteNotFound

from bookingapp.api import bp
from bookingapp.api import schemas as s
from bookingapp.api import serializers as out
from bookingapp.api.errors import ApiError, bad_request, not_found
from bookingapp.api.operations import Page, allowed_methods, malformed_id, match_path, operation
from bookingapp.api.pagination import paginate
from bookingapp.api.schemas_types import MAX_YEAR, MIN_YEAR
from bookingapp.domain import booking as booking_domain
from bookingapp.domain import cancellation, catalog, clock, embedding, notify, setup, test_mode
from bookingapp.domain.analytics import business_analytics
from bookingapp.domain.assignment import assignment_policy
from bookingapp.domain.availability import GENERIC_SLOT_MINUTES
from bookingapp.domain.availability_cache import answer_tag, cached_availability, current_version
from bookingapp.domain.clients import list_clients
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.domain.errors import DomainError
from bookingapp.domain.locations import location_timezone, resolve_location
from bookingapp.domain.reviews import rating_summary
from bookingapp.domain.service_terms import terms_at
from bookingapp.domain.review_replies import reply_to_review, review_query
from bookingapp.domain.states import BookingStatus as S
from bookingapp.extensions import db
from bookingapp.models import (
    Booking, Customer, Message, Product, Review, Service, Staff, WebhookDelivery, WebhookEndpoint,
)
from bookingapp.notifications import webhooks
from bookingapp.payments import current_provider

MAX_RANGE_DAYS = 31


def now() -> datetime:
    """The one clock (domain.clock; the app's CLOCK setting pins it)."""
    return clock.now()


def business():
    return g.business


def key_mode() -> str:
    return g.api_key.mode


def is_test_key() -> bool:
    return test_mode.is_test_mode(key_mode())


def test_keys_change_only_bookings():
    """Registered after authenticate (api/__init__), so g.api_key is known here: a write is
    checked against the domain's rule for the key's mode (domain.test_mode.ensure_may_write),
    by the resource its path names (`/bookings/...` -> "bookings")."""
    key = getattr(g, "api_key", None)
    if key is None or request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    test_mode.ensure_may_write(key.mode, _api_path().strip("/").split("/")[0])


def api_actor() -> str:
    """Who acted, for a booking's history: the API key, by its recognisable prefix."""
    return f"api:{g.api_key.prefix}"


def _owned(model, object_id, what: str, *, live_only: bool = False):
    obj = db.session.get(model, object_id)
    if obj is None or obj.business_id != business().id or (live_only and getattr(obj, "deleted_at", None)):
        raise not_found(what)
    return obj


def _referenced(model, object_id, what: str, param: str):
    """An id named in a request (service_id, staff_id): another business's is a 404 too."""
    if object_id is None:
        return None
    obj = db.session.get(model, object_id)
    if obj is None or obj.business_id != business().id or getattr(obj, "deleted_at", None) is not None:
        raise ApiError("not_found", f"{what} not found.", param=param)
    return obj


def _location_of(named: s.AtLocation):
    """The location a request names by location_id or branch_id (OptimoCMS's name for it);
    None when it names none (the primary for availability and placing, every location for
    lists and figures). Another business's location is a 404 naming the field sent."""
    if named.location_id is not None and named.branch_id is not None and named.location_id != named.branch_id:
        raise bad_request("Send location_id or branch_id, not both.", "branch_id")
    param = "location_id" if named.location_id is not None else "branch_id"
    chosen = named.location_id or named.branch_id
    if chosen is None:
        return None
    return resolve_location(db.session, business(), chosen, param=param)


def _customer_from(body: s.CustomerFields, *, required: bool):
    """find_or_create_customer with the API's field names (customer_name, customer_email)."""
    name, email, phone = body.customer_name, body.customer_email, body.customer_phone
    if not required and name is None and email is None and phone is None:
        return None
    if email is None:
        raise bad_request("customer_email is required.", "customer_email")
    if name is None:
        raise bad_request("customer_name is required.", "customer_name")
    try:
        return find_or_create_customer(db.session, business(), email=email, name=name, phone=phone)
    except DomainError as error:
        error.param = {"email": "customer_email", "name": "customer_name", "phone": "customer_phone"}.get(error.param, error.param)
        raise


def _fields(body) -> dict:
    """Only the fields the client sent (a PATCH changes nothing else)."""
    return body.model_dump(exclude_unset=True)


# --------------------------------------------------------------------------- fallbacks


def _api_path() -> str:
    return request.path[len(bp.url_prefix):] or "/"


def answer_options():
    """Before every API request: OPTIONS answers with exactly the path's methods (no key
    needed, as for a CORS preflight); an unknown path is the usual 404."""
    if request.method != "OPTIONS":
        return None
    allowed = allowed_methods(_api_path())
    if allowed is None:
        raise RouteNotFound(f"No API endpoint at {request.path}.")
    response = current_app.response_class(status=204)
    response.headers["Allow"] = ", ".join(allowed)
    return response


# Every method a client may try (OPTIONS is answered before routing, by answer_options).
ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE", "QUERY", "CONNECT"]


@bp.route("/", defaults={"anything": ""}, methods=ANY_METHOD)
@bp.route("/<path:anything>", methods=ANY_METHOD)
def unknown_route(anything):
    """What no operation's route took: a path with a malformed id is a 404 for that
    resource, a known path with another method a 405 (Allow lists its methods), anything
    else a 404, all in the JSON envelope and without touching other blueprints' pages."""
    matched = match_path(_api_path())
    if matched is None:
        raise RouteNotFound(f"No API endpoint at {request.path}.")
    methods, values = matched
    if request.method in methods or (request.method == "HEAD" and "GET" in methods):
        raise malformed_id(values) or RouteNotFound(f"No API endpoint at {request.path}.")
    allowed = allowed_methods(_api_path())
    raise MethodNotAllowed(valid_methods=allowed, description=f"Use one of: {', '.join(allowed)}.")


# --------------------------------------------------------------------------- availability


@operation("GET", "/availability", "getAvailability", "Free slots for a date, or per day for a from/to range",
           tag="Availability", query=s.AvailabilityQuery, response=s.AvailabilityOut,
           rules=f"Send date, or from and to (a range of at most {MAX_RANGE_DAYS} days, to not before from); "
                 "location_id or branch_id (not both; without either, the primary location), where the service "
                 "may take its own duration; assignment one of the documented spellings (400 naming it); "
                 "an inactive service or staff member is a 404. The answer carries an ETag: sent back in "
                 "If-None-Match, it gets 304 Not Modified (no body) while nothing that moves availability has "
                 "changed within the minute.")
def availability(query: s.AvailabilityQuery):
    biz = business()
    service = None  # as in the seed: without a service, 30-minute slots for anyone who works
    if query.service_id is not None:
        service = _referenced(Service, query.service_id, "Service", "service_id")
        if not service.is_bookable:
            raise ApiError("not_found", "Service not found.", param="service_id")
    if query.staff_id is not None:
        member = _referenced(Staff, query.staff_id, "Staff member", "staff_id")
        if not member.is_active:
            raise ApiError("not_found", "Staff member not found.", param="staff_id")
    if query.date is not None:
        if query.from_ is not None or query.to is not None:
            raise bad_request("Send either date, or from and to.", "date")
        first = last = query.date
    elif query.from_ is not None and query.to is not None:
        first, last = query.from_, query.to
        if last < first:
            raise bad_request("to must not be before from.", "to")
        if (last - first).days >= MAX_RANGE_DAYS:
            raise bad_request(f"A range may cover at most {MAX_RANGE_DAYS} days.", "to")
    else:
        raise bad_request("date (YYYY-MM-DD), or from and to, is required.", "date" if query.from_ is None else "to")
    location = _location_of(query)
    policy = assignment_policy(biz, query.assignment)
    moment, version = now(), current_version(db.session, biz)
    # The answer's ETag: a client (or a cache in front of it) that sends it back in
    # If-None-Match gets 304 while nothing that moves availability has changed this minute.
    tag = answer_tag(biz, version, moment, (str(service.id) if service else None, first, last,
                                            str(query.staff_id) if query.staff_id else None, query.date is None,
                                            str(location.id) if location else None, policy))
    if tag in request.if_none_match:
        return not_modified(tag)
    after_this_request(lambda response: tagged(response, tag))
    found = cached_availability(db.session, biz, service, first, last, now=moment, staff_id=query.staff_id,
                                version=version, location=location, assignment=policy)
    # The service's length at this location (domain.service_terms), as the slots are.
    slot_minutes = terms_at(db.session, service, location).duration_minutes if service else GENERIC_SLOT_MINUTES

    def slot(x):
        return {"start": out.iso(x.start), "end": out.iso(x.end), "staff_id": str(x.staff_id),
                "staff_ids": [str(i) for i in x.staff_ids]}

    if query.date is not None:
        slots = [slot(x) for x in found.days.get(first, [])]
        data = {"date": first.isoformat(), "service_id": out.uid(found.service_id), "timezone": found.timezone,
                "slot_duration_minutes": slot_minutes, "slots": slots}
        if not slots:
            data["message"] = "No availability for this day"
        return data
    return {
        "from": first.isoformat(), "to": last.isoformat(), "service_id": out.uid(found.service_id),
        "timezone": found.timezone, "slot_duration_minutes": slot_minutes,
        "days": [{"date": day.isoformat(), "slots": [slot(x) for x in found.days[day]]} for day in sorted(found.days)],
    }


def tagged(response, tag: str):
    if response.status_code == 200:
        response.set_etag(tag)
        # Kept by the client only, and checked with the server before each use.
        response.headers["Cache-Control"] = "private, no-cache"
    return response


def not_modified(tag: str):
    response = current_app.response_class(status=304)
    response.set_etag(tag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --------------------------------------------------------------------------- bookings


def _booking(booking_id) -> Booking:
    booking = _owned(Booking, booking_id, "Booking")
    if not test_mode.booking_visible_to(booking, key_mode()):
        raise not_found("Booking")
    return booking


def _encode_cursor(updated_at: datetime, booking_id) -> str:
    raw = json.dumps({"u": updated_at.astimezone(timezone.utc).isoformat(), "i": str(booking_id)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str):
    if cursor == "start":
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at = datetime.fromisoformat(raw["u"])
        if at.tzinfo is None or not MIN_YEAR <= at.year <= MAX_YEAR:
            raise ValueError("out of range")
        return at.astimezone(timezone.utc), uuid.UUID(raw["i"])
    except (ValueError, OverflowError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeDecodeError):
        raise bad_request("cursor is not valid; start a sync with cursor=start.", "cursor") from None


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


def _filter_bookings(query, q: s.BookingListQuery):
    """The list's filters. A status is the one the API shows: a hold past its time is
    expired (states.status_as_seen), whether or not the worker has tidied it yet."""
    biz = business()
    location = _location_of(q)
    # Local days are the location's when the list is of one location's bookings.
    tz = location_timezone(biz, location) if location is not None else ZoneInfo(biz.timezone)
    if location is not None:
        query = query.where(Booking.location_id == location.id)
    at = now()
    if q.status == S.HELD:
        query = query.where(Booking.status == S.HELD.value,
                            or_(Booking.hold_expires_at.is_(None), Booking.hold_expires_at > at))
    elif q.status == S.EXPIRED:
        query = query.where(or_(Booking.status == S.EXPIRED.value,
                                and_(Booking.status == S.HELD.value, Booking.hold_expires_at <= at)))
    elif q.status:
        query = query.where(Booking.status == q.status)
    if q.date is not None:
        if q.from_ is not None or q.to is not None:
            raise bad_request("Send either date, or from and to.", "date")
        query = query.where(Booking.starts_at >= _day_start(q.date, tz),
                            Booking.starts_at < _day_start(q.date + timedelta(days=1), tz))
    if isinstance(q.from_, datetime):
        query = query.where(Booking.starts_at >= q.from_)
    elif q.from_ is not None:
        query = query.where(Booking.starts_at >= _day_start(q.from_, tz))
    # A date `to` is the end of that local day (exclusive); a date-time is inclusive.
    if isinstance(q.to, datetime):
        query = query.where(Booking.starts_at <= q.to)
    elif q.to is not None:
        query = query.where(Booking.starts_at < _day_start(q.to + timedelta(days=1), tz))
    if q.staff_id is not None:
        query = query.where(Booking.staff_id == q.staff_id)
    if q.service_id is not None:
        query = query.where(Booking.service_id == q.service_id)
    if q.customer_email is not None:
        query = query.where(Booking.customer_id.in_(
            select(Customer.id).where(Customer.business_id == biz.id,
                                      func.lower(Customer.email) == q.customer_email.strip().lower())))
    return query


@operation("GET", "/bookings", "listBookings", "List bookings (newest start first), or sync them with a cursor",
           tag="Bookings", query=s.BookingListQuery, response=list[s.BookingOut], meta=s.PageMeta | s.CursorMeta,
           rules="date cannot be combined with from/to; a cursor must be `start` or a next_cursor; send "
                 "location_id or branch_id, not both.")
def list_bookings(query: s.BookingListQuery):
    rows = (select(Booking).where(Booking.business_id == business().id, test_mode.visible_to(key_mode()))
            .options(selectinload(Booking.customer), selectinload(Booking.service), selectinload(Booking.staff)))
    rows = _filter_bookings(rows, query)
    if query.cursor is None:
        data, meta = paginate(rows.order_by(Booking.starts_at.desc(), Booking.id), out.booking_summary,
                              query.page, query.limit)
        return Page(data, meta)
    # Sync mode: every booking in order of last change; the cursor marks the last one seen.
    # Rows changed in the last few seconds are held back so that a transaction still in flight
    # (with an earlier timestamp) cannot be skipped.
    position = _decode_cursor(query.cursor)
    limit = query.limit
    settle = float(current_app.config.get("API_SYNC_SETTLE_SECONDS", 5))
    rows = rows.where(Booking.updated_at <= now() - timedelta(seconds=settle))
    if position is not None:
        at, last_id = position
        rows = rows.where(or_(Booking.updated_at > at, and_(Booking.updated_at == at, Booking.id > last_id)))
    found = db.session.scalars(rows.order_by(Booking.updated_at, Booking.id).limit(limit + 1)).all()
    has_more = len(found) > limit
    found = found[:limit]
    next_cursor = _encode_cursor(found[-1].updated_at, found[-1].id) if found else query.cursor
    return Page([out.booking_summary(b) for b in found], {"limit": limit, "next_cursor": next_cursor, "has_more": has_more})


@operation("GET", "/bookings/{booking_id}", "getBooking",
           "A booking with deposit, payments, cancellation and checkout details",
           tag="Bookings", response=s.BookingDetailOut)
def get_booking(booking_id, query):
    return out.booking_detail(_booking(booking_id))


PLACEMENT_RULES = ("The slot must be free and bookable (409 slot_unavailable), the customer's email and phone valid, "
                   "custom_fields must answer the business's questions; location_id or branch_id (not both; "
                   "without either, the primary location) must offer the service and, when named, the staff "
                   "member must work there; the price, deposit and length are the service's there; assignment "
                   "one of the documented spellings (400 naming it).")


# Two primary keys: one row or none (built once, see api/keys._KEY_AND_BUSINESS).
_SERVICE_AND_STAFF = (select(Service, Staff).join_from(Service, Staff, true())
                      .where(Service.id == bindparam("service_id"), Staff.id == bindparam("staff_id")))


def _placement(body: s.PlacementBody):
    # A named staff member and the service in one read, kept referenced here so the checks
    # below find both in the session (a hold paid a round trip for each). When an id matches
    # nothing the row is missing, and the checks read that one alone to name it.
    both = (db.session.execute(_SERVICE_AND_STAFF, {"service_id": body.service_id, "staff_id": body.staff_id}).all()
            if body.service_id is not None and body.staff_id is not None else None)
    service = _referenced(Service, body.service_id, "Service", "service_id")
    staff = _referenced(Staff, body.staff_id, "Staff member", "staff_id")
    del both
    return service, body.start_at, staff


@operation("POST", "/bookings", "createBooking",
           "Book in one step (confirmed, or pending if the business reviews bookings)",
           tag="Bookings", body=s.CreateBookingBody, response=s.BookingDetailOut, status=201, idempotent_key=True,
           rules=PLACEMENT_RULES + " A promo code must exist and be usable.")
def create_booking(body: s.CreateBookingBody, query):
    service, start, staff = _placement(body)
    customer = _customer_from(body, required=True)
    created = booking_domain.create_booking(
        db.session, business(), service, start, customer, staff=staff, now=now(), source="api",
        notes=body.notes, custom_fields=body.custom_fields, actor=api_actor(), promo_code=body.promo_code,
        test=is_test_key(), notify_customer=not body.skip_notifications, location=_location_of(body),
        assignment=body.assignment,
    )
    return out.booking_detail(created)


@operation("POST", "/bookings/hold", "holdBooking", "Hold a slot for the location's hold time (status held)",
           tag="Bookings", body=s.HoldBody, response=s.BookingDetailOut, status=201, idempotent_key=True,
           rules=PLACEMENT_RULES + " hold_seconds may not exceed the location's hold length.")
def hold_booking(body: s.HoldBody, query):
    return out.booking_detail(_keep_time(booking_domain.hold, body, hold_seconds=body.hold_seconds))


@operation("POST", "/bookings/reserve", "reserveBooking", "Reserve a slot without expiry (status reserved)",
           tag="Bookings", body=s.PlacementBody, response=s.BookingDetailOut, status=201, idempotent_key=True,
           rules=PLACEMENT_RULES)
def reserve_booking(body: s.PlacementBody, query):
    return out.booking_detail(_keep_time(booking_domain.reserve, body))


def _keep_time(command, body: s.PlacementBody, **extra) -> Booking:
    """A hold or a reservation: the same placement, customer and marks, only the command differs."""
    service, start, staff = _placement(body)
    customer = _customer_from(body, required=False)
    return command(db.session, business(), service, start, staff=staff, customer=customer, now=now(), source="api",
                   notes=body.notes, custom_fields=body.custom_fields, actor=api_actor(), test=is_test_key(),
                   notify_customer=not body.skip_notifications, location=_location_of(body),
                   assignment=body.assignment, **extra)


@operation("POST", "/bookings/{booking_id}/book", "bookBooking", "Turn a hold or reservation into a booking",
           tag="Bookings", body=s.BookBody, body_required=False, response=s.BookingDetailOut, idempotent_key=True,
           rules="Only a hold or reservation (or a run-out hold whose time is still free); a customer is needed "
                 "(customer_name and customer_email, unless the hold has one).")
def book_booking(booking_id, body: s.BookBody, query):
    booking = _booking(booking_id)
    customer = _customer_from(body, required=False)
    booking_domain.book(db.session, booking, business(), customer=customer, now=now(), notes=body.notes,
                        custom_fields=body.custom_fields, actor=api_actor(),
                        notify_customer=not body.skip_notifications)
    return out.booking_detail(booking)


@operation("POST", "/bookings/{booking_id}/confirm", "confirmBooking", "Confirm a pending booking",
           tag="Bookings", body=s.ConfirmBody, body_required=False, response=s.BookingDetailOut, idempotent_key=True,
           rules="Only a pending booking can be confirmed (400 naming status).")
def confirm_booking(booking_id, body: s.ConfirmBody, query):
    booking = _booking(booking_id)
    booking_domain.confirm(db.session, booking, now=now(), actor=api_actor(),
                           notify_customer=not body.skip_notifications)
    return out.booking_detail(booking)


@operation("POST", "/bookings/{booking_id}/reschedule", "rescheduleBooking",
           "Move to a new slot; the old booking becomes rescheduled and points at the new one",
           tag="Bookings", body=s.RescheduleBody, response=s.BookingDetailOut, idempotent_key=True,
           rules="Send staff_id or any_staff, not both; assignment only with any_staff (400 naming it); the "
                 "booking must be movable and the new slot free (409).")
def reschedule_booking(booking_id, body: s.RescheduleBody, query):
    booking = _booking(booking_id)
    staff = _referenced(Staff, body.staff_id, "Staff member", "staff_id")
    if staff is not None and body.any_staff:
        raise bad_request("Send staff_id or any_staff, not both.", "any_staff")
    replacement = booking_domain.reschedule(db.session, booking, business(), body.start_at, staff=staff,
                                            any_staff=body.any_staff, now=now(), actor=api_actor(),
                                            notify_customer=not body.skip_notifications,
                                            assignment=body.assignment)
    return out.booking_detail(replacement)


@operation("POST", "/bookings/{booking_id}/cancel", "cancelBooking", "Cancel a booking (or release a hold)",
           tag="Bookings", body=s.CancelBody, body_required=False, response=s.BookingDetailOut, idempotent_key=True,
           rules="A booking already over (completed, cancelled, no-show, moved) cannot be cancelled; a refund the "
                 "payment provider refuses is a 400.")
def cancel_booking(booking_id, body: s.CancelBody, query):
    booking = _booking(booking_id)
    cancellation.cancel(db.session, current_provider(), booking, reason=body.cancellation_reason, now=now(),
                        actor=api_actor(), notify_customer=not body.skip_notifications)
    return out.booking_detail(booking)


@operation("PATCH", "/bookings/{booking_id}", "updateBookingStatus", "Move a booking to another status",
           tag="Bookings", body=s.StatusBody, response=s.BookingDetailOut,
           errors=("400", "401", "403", "404", "409", "429", "500"),
           rules="Only the moves the booking's current status allows (400 naming status, listing them).")
def update_booking_status(booking_id, body: s.StatusBody, query):
    booking = _booking(booking_id)
    if body.status == S.CANCELLED.value:
        # Same refunds as POST /cancel and the manage page, not a bare status change.
        cancellation.cancel(db.session, current_provider(), booking, reason=body.cancellation_reason, now=now(),
                            actor=api_actor(), notify_customer=not body.skip_notifications)
    else:
        booking_domain.change_status(db.session, booking, body.status, reason=body.cancellation_reason, now=now(),
                                     actor=api_actor(), notify_customer=not body.skip_notifications)
    return out.booking_detail(booking)


@operation("GET", "/bookings/{booking_id}/messages", "listBookingMessages",
           "The messages this booking caused (to the customer and to staff), newest first: the delivery log",
           tag="Bookings", query=s.PageQuery, response=list[s.MessageOut], meta=s.PageMeta)
def list_booking_messages(booking_id, query: s.PageQuery):
    booking = _booking(booking_id)
    found = notify.delivery_log(db.session, business(), booking_id=booking.id, limit=query.limit,
                                offset=(query.page - 1) * query.limit)
    total = db.session.scalar(select(func.count()).select_from(Message).where(Message.booking_id == booking.id))
    return Page([out.message(m) for m in found], {"page": query.page, "limit": query.limit, "total": total})


@operation("DELETE", "/bookings/{booking_id}", "deleteBooking", "Release a hold or a reservation",
           tag="Bookings", response=s.DeletedOut,
           rules="Only a hold or reservation is released; a made booking is cancelled instead (400 naming status).")
def delete_booking(booking_id, query):
    """A made booking is cancelled, never deleted, so its history (and the customer's
    notification) is kept."""
    booking = _booking(booking_id)
    cancellation.release(db.session, current_provider(), booking, now=now(), actor=api_actor())
    return {"id": str(booking.id), "status": booking.status, "deleted": True}


# --------------------------------------------------------------------------- services


SERVICE_RULES = "deposit_cents may not exceed price_cents; category_id must be one of your categories."


@operation("GET", "/services", "listServices", "List services", tag="Services", query=s.ServiceListQuery,
           response=list[s.ServiceOut], meta=s.PageMeta)
def list_services(query: s.ServiceListQuery):
    rows = (select(Service).where(Service.business_id == business().id, Service.deleted_at.is_(None))
            .options(selectinload(Service.category)).order_by(Service.sort_order, Service.name, Service.id))
    if query.active is not None:
        rows = rows.where(Service.is_active.is_(query.active))
    return Page(*paginate(rows, out.service, query.page, query.limit))


@operation("POST", "/services", "createService", "Create a service", tag="Services", body=s.CreateServiceBody,
           response=s.ServiceOut, status=201, idempotent_key=True, rules=SERVICE_RULES)
def create_service(body: s.CreateServiceBody, query):
    return out.service(catalog.create_service(db.session, business(), _fields(body), now=now()))


@operation("GET", "/services/{service_id}", "getService", "One service", tag="Services", response=s.ServiceOut)
def get_service(service_id, query):
    return out.service(_owned(Service, service_id, "Service", live_only=True))


@operation("PATCH", "/services/{service_id}", "updateService", "Update a service (only the fields sent)",
           tag="Services", body=s.ServiceBody, response=s.ServiceOut, rules=SERVICE_RULES)
def update_service(service_id, body: s.ServiceBody, query):
    service = _owned(Service, service_id, "Service", live_only=True)
    catalog.update_service(db.session, business(), service, _fields(body), now=now())
    return out.service(service)


@operation("DELETE", "/services/{service_id}", "deleteService", "Deactivate a service (soft delete)",
           tag="Services", response=s.DeletedOut, rules="A service with upcoming bookings cannot be deleted.")
def delete_service(service_id, query):
    service = _owned(Service, service_id, "Service", live_only=True)
    catalog.delete_service(db.session, business(), service, now=now())
    return {"id": str(service.id), "deleted": True}


# --------------------------------------------------------------------------- staff


# An API key may be created by a manager, so it acts with a manager's rights over roles:
# it cannot make or unmake an owner (an owner does that in the dashboard).
API_ACTING_ROLE = "manager"
STAFF_RULES = ("An API key acts as a manager: it cannot make or unmake an owner; service_ids must be your services; "
               "email and phone must be valid.")


@operation("GET", "/staff", "listStaff", "List staff", tag="Staff", query=s.PageQuery, response=list[s.StaffOut],
           meta=s.PageMeta)
def list_staff(query: s.PageQuery):
    rows = (select(Staff).where(Staff.business_id == business().id, Staff.deleted_at.is_(None))
            .options(selectinload(Staff.services)).order_by(Staff.sort_order, Staff.name, Staff.id))
    return Page(*paginate(rows, out.staff, query.page, query.limit))


@operation("POST", "/staff", "createStaff", "Create a staff member", tag="Staff", body=s.CreateStaffBody,
           response=s.StaffOut, status=201, idempotent_key=True, rules=STAFF_RULES)
def create_staff(body: s.CreateStaffBody, query):
    member = catalog.create_staff(db.session, business(), _fields(body), now=now(), acting_role=API_ACTING_ROLE)
    return out.staff(member)


@operation("GET", "/staff/{staff_id}", "getStaff", "One staff member", tag="Staff", response=s.StaffOut)
def get_staff(staff_id, query):
    return out.staff(_owned(Staff, staff_id, "Staff member", live_only=True))


@operation("PATCH", "/staff/{staff_id}", "updateStaff", "Update a staff member (only the fields sent)", tag="Staff",
           body=s.StaffBody, response=s.StaffOut, rules=STAFF_RULES)
def update_staff(staff_id, body: s.StaffBody, query):
    member = _owned(Staff, staff_id, "Staff member", live_only=True)
    catalog.update_staff(db.session, business(), member, _fields(body), now=now(), acting_role=API_ACTING_ROLE)
    return out.staff(member)


@operation("DELETE", "/staff/{staff_id}", "deleteStaff", "Deactivate a staff member (soft delete)", tag="Staff",
           response=s.DeletedOut, rules="An owner, or someone with upcoming bookings, cannot be deleted.")
def delete_staff(staff_id, query):
    member = _owned(Staff, staff_id, "Staff member", live_only=True)
    catalog.delete_staff(db.session, business(), member, now=now(), acting_role=API_ACTING_ROLE)
    return {"id": str(member.id), "deleted": True}


# --------------------------------------------------------------------------- products


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@operation("GET", "/products", "listProducts", "List products", tag="Products", query=s.ProductListQuery,
           response=list[s.ProductOut], meta=s.PageMeta)
def list_products(query: s.ProductListQuery):
    rows = select(Product).where(Product.business_id == business().id, Product.is_active.is_(query.active))
    if query.category:
        rows = rows.where(Product.category.ilike(_like(query.category), escape="\\"))
    return Page(*paginate(rows.order_by(Product.sort_order, Product.name, Product.id), out.product,
                          query.page, query.limit))


@operation("POST", "/products", "createProduct", "Create a product", tag="Products", body=s.CreateProductBody,
           response=s.ProductOut, status=201, idempotent_key=True, rules="A sku must be unique in your business.")
def create_product(body: s.CreateProductBody, query):
    return out.product(catalog.create_product(db.session, business(), _fields(body), now=now()))


@operation("GET", "/products/{product_id}", "getProduct", "One product", tag="Products", response=s.ProductOut)
def get_product(product_id, query):
    return out.product(_owned(Product, product_id, "Product"))


@operation("PATCH", "/products/{product_id}", "updateProduct", "Update a product (only the fields sent)",
           tag="Products", body=s.ProductBody, response=s.ProductOut, rules="A sku must be unique in your business.")
def update_product(product_id, body: s.ProductBody, query):
    product = _owned(Product, product_id, "Product")
    catalog.update_product(db.session, business(), product, _fields(body), now=now())
    return out.product(product)


@operation("DELETE", "/products/{product_id}", "deleteProduct", "Deactivate a product (soft delete)",
           tag="Products", response=s.DeletedOut)
def delete_product(product_id, query):
    product = _owned(Product, product_id, "Product")
    catalog.deactivate_product(db.session, business(), product, now=now())
    return {"id": str(product.id), "is_active": False, "deactivated_at": out.iso(product.deactivated_at)}


# --------------------------------------------------------------------------- clients, reviews


@operation("GET", "/clients", "listClients", "Customers aggregated by email, most recent visit first",
           tag="Clients", query=s.PageQuery, response=list[s.ClientOut], meta=s.PageMeta)
def clients(query: s.PageQuery):
    rows, total = list_clients(db.session, business(), offset=(query.page - 1) * query.limit, limit=query.limit,
                               test=is_test_key())
    return Page([
        {"id": c.customer_id, "email": c.email, "name": c.name, "phone": c.phone, "total_bookings": c.total_bookings,
         "total_spent_cents": c.total_spent_cents, "first_booking_at": out.iso(c.first_booking_at),
         "last_booking_at": out.iso(c.last_booking_at)}
        for c in rows
    ], {"page": query.page, "limit": query.limit, "total": total})


@operation("GET", "/reviews", "listReviews", "Reviews, filtered and sorted", tag="Reviews",
           query=s.ReviewListQuery, response=list[s.ReviewOut], meta=s.PageMeta)
def list_reviews(query: s.ReviewListQuery):
    rows = review_query(business(), rating=query.rating, has_reply=query.has_reply, sort=query.sort,
                        test=is_test_key())
    return Page(*paginate(rows, out.review, query.page, query.limit))


@operation("GET", "/reviews/{review_id}", "getReview", "One review", tag="Reviews", response=s.ReviewOut)
def get_review(review_id, query):
    return out.review(_review(review_id))


@operation("POST", "/reviews/{review_id}/reply", "replyToReview", "Set or replace the business's public reply",
           tag="Reviews", body=s.ReplyBody, response=s.ReviewOut, idempotent_key=True)
def reply_review(review_id, body: s.ReplyBody, query):
    review = _review(review_id)
    reply_to_review(db.session, business(), review, body.reply, now=now())
    return out.review(review)


# --------------------------------------------------------------------------- business, analytics


def _review(review_id) -> Review:
    """A review of a test booking exists only for test keys, and a live one only for live keys."""
    review = _owned(Review, review_id, "Review")
    if not test_mode.booking_visible_to(db.session.get(Booking, review.booking_id), key_mode()):
        raise not_found("Review")
    return review


def _business_data():
    # The business's rating is catalog data, the same for every key: live reviews only.
    rating, count = rating_summary(db.session, business())
    return out.business(business(), rating=rating, review_count=count)


@operation("GET", "/business", "getBusiness", "Your business profile, hours and booking settings", tag="Business",
           response=s.BusinessOut)
def get_business(query):
    return _business_data()


@operation("PATCH", "/business", "updateBusiness", "Update the business profile", tag="Business",
           body=s.BusinessBody, response=s.BusinessOut,
           rules="email, phone and website must be valid; address.country is a two-letter country code.")
def update_business(body: s.BusinessBody, query):
    catalog.update_business_profile(db.session, business(), _fields(body), now=now())
    return _business_data()


@operation("PATCH", "/business/notifications", "updateNotificationSettings",
           "Set the reminder cadence, text messages and review requests (only the fields sent)", tag="Business",
           body=s.NotificationSettingsBody, response=s.BusinessOut,
           rules="The reminders' hours_before must be distinct.")
def update_notification_settings(body: s.NotificationSettingsBody, query):
    setup.update_notification_settings(db.session, business(), _fields(body), now=now())
    return _business_data()


@operation("PATCH", "/business/embedding", "updateEmbeddingSettings",
           "Set the websites allowed to show the booking pages in a frame", tag="Business",
           body=s.EmbeddingBody, response=s.BusinessOut,
           rules="Each origin is https (http only for localhost and 127.0.0.1), without a path; "
                 f"at most {embedding.MAX_ORIGINS}.")
def update_embedding_settings(body: s.EmbeddingBody, query):
    embedding.set_embed_origins(db.session, business(), body.embed_origins, now=now())
    return _business_data()


@operation("GET", "/analytics", "getAnalytics", "Bookings, revenue, rating, top services and busy days over a period",
           tag="Analytics", query=s.AnalyticsQuery, response=s.AnalyticsOut,
           rules="Send location_id or branch_id (one of your locations), not both; without either, the whole "
                 "business's figures.")
def analytics(query: s.AnalyticsQuery):
    return business_analytics(db.session, business(), period=query.period, now=now(), test=is_test_key(),
                              location=_location_of(query))


# --------------------------------------------------------------------------- webhooks


def _endpoint(endpoint_id) -> WebhookEndpoint:
    return _owned(WebhookEndpoint, endpoint_id, "Webhook endpoint", live_only=True)


# Reading the webhook endpoints and their delivery log needs a full key too, not read: they
# say where the business's data is sent (URLs often carry a token) and what the receiving
# servers answered, which a reporting tool with a read-only key has no need to learn.
@operation("GET", "/webhooks", "listWebhookEndpoints", "Webhook endpoints", tag="Webhooks", query=s.PageQuery,
           response=list[s.WebhookEndpointOut], meta=s.PageMeta, scope="full")
def list_webhooks(query: s.PageQuery):
    rows = (select(WebhookEndpoint)
            .where(WebhookEndpoint.business_id == business().id, WebhookEndpoint.deleted_at.is_(None))
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id))
    return Page(*paginate(rows, out.webhook_endpoint, query.page, query.limit))


@operation("POST", "/webhooks", "createWebhookEndpoint",
           "Add an endpoint; the response holds its signing secret (shown once)", tag="Webhooks",
           body=s.WebhookBody, response=s.WebhookEndpointOut, status=201, idempotent_key=True,
           rules="The URL must be public https (no private or loopback address); a business has at most "
                 f"{webhooks.MAX_ENDPOINTS_PER_BUSINESS} endpoints.")
def create_webhook(body: s.WebhookBody, query):
    endpoint = webhooks.create_endpoint(db.session, business(), url=body.url, events=body.events,
                                        description=body.description)
    return out.webhook_endpoint(endpoint, secret=True)


@operation("GET", "/webhooks/{endpoint_id}", "getWebhookEndpoint", "One endpoint", tag="Webhooks",
           response=s.WebhookEndpointOut, scope="full")
def get_webhook(endpoint_id, query):
    return out.webhook_endpoint(_endpoint(endpoint_id))


@operation("DELETE", "/webhooks/{endpoint_id}", "deleteWebhookEndpoint", "Remove an endpoint (its delivery log is kept)",
           tag="Webhooks", response=s.DeletedOut)
def delete_webhook(endpoint_id, query):
    endpoint = _endpoint(endpoint_id)
    webhooks.delete_endpoint(db.session, business(), endpoint, now=now())
    return {"id": str(endpoint.id), "deleted": True}


@operation("POST", "/webhooks/{endpoint_id}/test", "sendTestWebhook", "Queue a webhook.test event to this endpoint",
           tag="Webhooks", body=s.EmptyBody, body_required=False, response=s.WebhookDeliveryOut, status=202,
           idempotent_key=True)
def test_webhook(endpoint_id, body, query):
    endpoint = _endpoint(endpoint_id)
    return out.webhook_delivery(webhooks.send_test_event(db.session, business(), endpoint, now=now()))


@operation("GET", "/webhooks/{endpoint_id}/deliveries", "listWebhookDeliveries",
           "The endpoint's delivery log, newest first", tag="Webhooks", query=s.PageQuery,
           response=list[s.WebhookDeliveryOut], meta=s.PageMeta, scope="full")
def list_deliveries(endpoint_id, query: s.PageQuery):
    endpoint = _endpoint(endpoint_id)
    rows = (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id))
    return Page(*paginate(rows, out.webhook_delivery, query.page, query.limit))


# --------------------------------------------------------------------------- the document


@bp.get("/openapi.json")
def openapi_document():
    from bookingapp.api.openapi import document

    return jsonify(document())


# --------------------------------------------------------------------------- the readable reference

from bookingapp.api import docs_bp  # noqa: E402


@docs_bp.get("/api/docs")
def api_docs_page():
    """The reference page, from our own static files (it renders /api/v1/openapi.json)."""
    from flask import send_from_directory

    return send_from_directory(current_app.static_folder + "/api-docs", "index.html")
