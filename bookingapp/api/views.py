"""The routes of /api/v1. Each view reads its input strictly (params.py), calls the same
domain function the wizard and the dashboard use, and serialises; the request commits once
(bookingapp/unit_of_work.py).
No business rule lives here."""
from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, g, jsonify, request
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as RouteNotFound

from bookingapp.api import bp
from bookingapp.api import serializers as out
from bookingapp.api.errors import ApiError, bad_request, not_found
from bookingapp.api.idempotency import idempotent
from bookingapp.api.pagination import paginate, page_args
from bookingapp.api.params import (
    MAX_YEAR, MIN_YEAR, Body, parse_date, query_bool, query_bound, query_int, query_str, query_uuid,
)
from bookingapp.domain import booking as booking_domain
from bookingapp.domain import cancellation, catalog, clock
from bookingapp.domain.custom_fields import MAX_NOTES_LENGTH
from bookingapp.domain.analytics import PERIODS, business_analytics
from bookingapp.domain.availability import GENERIC_SLOT_MINUTES, find_availability
from bookingapp.domain.clients import list_clients
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.domain.errors import DomainError
from bookingapp.domain.reviews import rating_summary
from bookingapp.domain.review_replies import SORTS, reply_to_review, review_query
from bookingapp.domain.states import ALL_STATUSES, BookingStatus as S
from bookingapp.extensions import db
from bookingapp.models import Booking, Product, Review, Service, Staff, WebhookDelivery, WebhookEndpoint
from bookingapp.notifications import webhooks
from bookingapp.payments import current_provider

MAX_RANGE_DAYS = 31


def now() -> datetime:
    """The one clock (domain.clock; the app's CLOCK setting pins it)."""
    return clock.now()


def ok(data, status: int = 200, meta: dict | None = None):
    body = {"data": data}
    if meta is not None:
        body["meta"] = meta
    response = jsonify(body)
    response.status_code = status
    return response


def business():
    return g.business


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


def _customer_from(body: Body, *, required: bool):
    """find_or_create_customer with the API's field names (customer_name, customer_email)."""
    name = body.str("customer_name", max_length=200)
    email = body.str("customer_email", max_length=254)
    phone = body.str("customer_phone", max_length=40)
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


# --------------------------------------------------------------------------- fallbacks


@bp.route("/", defaults={"anything": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/<path:anything>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_route(anything):
    """Unknown paths under /api/v1 get the JSON envelope (404, or 405 when the path exists
    for other methods) without touching other blueprints' error pages."""
    adapter = current_app.url_map.bind("localhost")
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "api.unknown_route":
            allowed.append(method)
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed, description=f"Use one of: {', '.join(allowed)}.")
    raise RouteNotFound(f"No API endpoint at {request.path}.")


# --------------------------------------------------------------------------- availability


@bp.get("/availability")
def availability():
    biz = business()
    service_id = query_uuid("service_id")
    service = None  # as in the seed: without a service, 30-minute slots for anyone who works
    if service_id is not None:
        service = _referenced(Service, service_id, "Service", "service_id")
        if not service.is_bookable:
            raise ApiError("not_found", "Service not found.", param="service_id")
    staff_id = query_uuid("staff_id")
    if staff_id is not None:
        member = _referenced(Staff, staff_id, "Staff member", "staff_id")
        if not member.is_active:
            raise ApiError("not_found", "Staff member not found.", param="staff_id")
    single = request.args.get("date")
    first_raw, last_raw = request.args.get("from"), request.args.get("to")
    if single is not None:
        if first_raw is not None or last_raw is not None:
            raise bad_request("Send either date, or from and to.", "date")
        first = last = parse_date(single, "date")
    elif first_raw is not None and last_raw is not None:
        first, last = parse_date(first_raw, "from"), parse_date(last_raw, "to")
        if last < first:
            raise bad_request("to must not be before from.", "to")
        if (last - first).days >= MAX_RANGE_DAYS:
            raise bad_request(f"A range may cover at most {MAX_RANGE_DAYS} days.", "to")
    else:
        raise bad_request("date (YYYY-MM-DD), or from and to, is required.", "date" if first_raw is None else "to")
    found = find_availability(db.session, biz, service, first, last, now=now(), staff_id=staff_id)
    slot_minutes = service.duration_minutes if service else GENERIC_SLOT_MINUTES

    def slot(s, *, with_staff: bool):
        item = {"start": out.iso(s.start), "end": out.iso(s.end), "staff_id": str(s.staff_id)}
        if with_staff:
            item["staff_ids"] = [str(i) for i in s.staff_ids]
        return item

    if single is not None:
        slots = [slot(s, with_staff=True) for s in found.days.get(first, [])]
        data = {"date": first.isoformat(), "service_id": out.uid(found.service_id), "timezone": biz.timezone,
                "slot_duration_minutes": slot_minutes, "slots": slots}
        if not slots:
            data["message"] = "No availability for this day"
        return ok(data)
    return ok({
        "from": first.isoformat(), "to": last.isoformat(), "service_id": out.uid(found.service_id),
        "timezone": biz.timezone, "slot_duration_minutes": slot_minutes,
        "days": [{"date": day.isoformat(), "slots": [slot(s, with_staff=True) for s in found.days[day]]}
                 for day in sorted(found.days)],
    })


# --------------------------------------------------------------------------- bookings


def _booking(booking_id) -> Booking:
    return _owned(Booking, booking_id, "Booking")


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


@bp.get("/bookings")
def list_bookings():
    biz = business()
    tz = ZoneInfo(biz.timezone)
    status = query_str("status", choices=ALL_STATUSES)
    starts_from, starts_to = query_bound("from", tz, end=False), query_bound("to", tz, end=True)
    query = (select(Booking).where(Booking.business_id == biz.id)
             .options(selectinload(Booking.customer), selectinload(Booking.service), selectinload(Booking.staff)))
    if status:
        query = query.where(Booking.status == status)
    if starts_from is not None:
        query = query.where(Booking.starts_at >= starts_from)
    if starts_to is not None:
        # A date `to` is the end of that local day (exclusive); a date-time is inclusive.
        query = query.where(Booking.starts_at < starts_to if len(request.args["to"]) == 10 else Booking.starts_at <= starts_to)
    cursor = request.args.get("cursor")
    if cursor is None:
        data, meta = paginate(query.order_by(Booking.starts_at.desc(), Booking.id), out.booking_summary)
        return ok(data, meta=meta)
    # Sync mode: every booking in order of last change; the cursor marks the last one seen.
    # Rows changed in the last few seconds are held back so that a transaction still in flight
    # (with an earlier timestamp) cannot be skipped.
    position = _decode_cursor(cursor)
    _, limit = page_args()
    settle = float(current_app.config.get("API_SYNC_SETTLE_SECONDS", 5))
    query = query.where(Booking.updated_at <= now() - timedelta(seconds=settle))
    if position is not None:
        at, last_id = position
        query = query.where(or_(Booking.updated_at > at, and_(Booking.updated_at == at, Booking.id > last_id)))
    rows = db.session.scalars(query.order_by(Booking.updated_at, Booking.id).limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode_cursor(rows[-1].updated_at, rows[-1].id) if rows else cursor
    return ok([out.booking_summary(b) for b in rows], meta={"limit": limit, "next_cursor": next_cursor, "has_more": has_more})


@bp.get("/bookings/<uuid:booking_id>")
def get_booking(booking_id):
    return ok(out.booking_detail(_booking(booking_id)))


BOOKING_FIELDS = {"service_id", "start_at", "staff_id", "customer_name", "customer_email", "customer_phone",
                  "notes", "custom_fields"}


def _placement(body: Body):
    service = _referenced(Service, body.uuid("service_id", required=True), "Service", "service_id")
    start = body.datetime("start_at", required=True)
    staff = _referenced(Staff, body.uuid("staff_id"), "Staff member", "staff_id")
    notes = body.str("notes", max_length=MAX_NOTES_LENGTH)
    custom_fields = body.object("custom_fields")
    return service, start, staff, notes, custom_fields


@bp.post("/bookings")
@idempotent
def create_booking():
    body = Body(BOOKING_FIELDS | {"promo_code"})
    service, start, staff, notes, custom_fields = _placement(body)
    promo_code = body.str("promo_code", max_length=64)
    customer = _customer_from(body, required=True)
    created = booking_domain.create_booking(
        db.session, business(), service, start, customer, staff=staff, now=now(), source="api",
        notes=notes, custom_fields=custom_fields, actor=api_actor(), promo_code=promo_code,
    )
    return ok(out.booking_detail(created), 201)


@bp.post("/bookings/hold")
@idempotent
def hold_booking():
    body = Body(BOOKING_FIELDS)
    service, start, staff, notes, custom_fields = _placement(body)
    customer = _customer_from(body, required=False)
    held = booking_domain.hold(db.session, business(), service, start, staff=staff, customer=customer, now=now(),
                               source="api", notes=notes, custom_fields=custom_fields, actor=api_actor())
    return ok(out.booking_detail(held), 201)


@bp.post("/bookings/reserve")
@idempotent
def reserve_booking():
    body = Body(BOOKING_FIELDS)
    service, start, staff, notes, custom_fields = _placement(body)
    customer = _customer_from(body, required=False)
    reserved = booking_domain.reserve(db.session, business(), service, start, staff=staff, customer=customer,
                                      now=now(), source="api", notes=notes, custom_fields=custom_fields, actor=api_actor())
    return ok(out.booking_detail(reserved), 201)


@bp.post("/bookings/<uuid:booking_id>/book")
@idempotent
def book_booking(booking_id):
    booking = _booking(booking_id)
    body = Body({"customer_name", "customer_email", "customer_phone", "notes", "custom_fields"}, required=False)
    notes = body.str("notes", max_length=MAX_NOTES_LENGTH)
    custom_fields = body.object("custom_fields")
    customer = _customer_from(body, required=False)
    booking_domain.book(db.session, booking, business(), customer=customer, now=now(), notes=notes,
                        custom_fields=custom_fields, actor=api_actor())
    return ok(out.booking_detail(booking))


@bp.post("/bookings/<uuid:booking_id>/confirm")
@idempotent
def confirm_booking(booking_id):
    booking = _booking(booking_id)
    Body(set(), required=False)
    booking_domain.confirm(db.session, booking, now=now(), actor=api_actor())
    return ok(out.booking_detail(booking))


@bp.post("/bookings/<uuid:booking_id>/reschedule")
@idempotent
def reschedule_booking(booking_id):
    booking = _booking(booking_id)
    body = Body({"start_at", "staff_id", "any_staff"})
    start = body.datetime("start_at", required=True)
    staff = _referenced(Staff, body.uuid("staff_id"), "Staff member", "staff_id")
    any_staff = body.bool("any_staff", default=False)
    if staff is not None and any_staff:
        raise bad_request("Send staff_id or any_staff, not both.", "any_staff")
    replacement = booking_domain.reschedule(db.session, booking, business(), start, staff=staff, any_staff=any_staff,
                                            now=now(), actor=api_actor())
    return ok(out.booking_detail(replacement))


@bp.post("/bookings/<uuid:booking_id>/cancel")
@idempotent
def cancel_booking(booking_id):
    booking = _booking(booking_id)
    body = Body({"cancellation_reason"}, required=False)
    reason = body.str("cancellation_reason", max_length=2000)
    cancellation.cancel(db.session, current_provider(), booking, reason=reason, now=now(), actor=api_actor())
    return ok(out.booking_detail(booking))


@bp.patch("/bookings/<uuid:booking_id>")
def update_booking_status(booking_id):
    booking = _booking(booking_id)
    body = Body({"status", "cancellation_reason"})
    status = body.str("status", required=True, max_length=40)
    reason = body.str("cancellation_reason", max_length=2000)
    if status not in ALL_STATUSES:
        raise bad_request(f"Unknown status {status!r}.", "status")
    if status == S.CANCELLED.value:
        # Same refunds as POST /cancel and the manage page, not a bare status change.
        cancellation.cancel(db.session, current_provider(), booking, reason=reason, now=now(), actor=api_actor())
    else:
        booking_domain.change_status(db.session, booking, status, reason=reason, now=now(), actor=api_actor())
    return ok(out.booking_detail(booking))


@bp.delete("/bookings/<uuid:booking_id>")
def delete_booking(booking_id):
    """Release a hold or reservation. A made booking is cancelled, never deleted, so its
    history (and the customer's notification) is kept."""
    booking = _booking(booking_id)
    cancellation.release(db.session, current_provider(), booking, now=now(), actor=api_actor())
    return ok({"id": str(booking.id), "status": booking.status, "deleted": True})


# --------------------------------------------------------------------------- services


SERVICE_BODY = {"name", "description", "duration_minutes", "price_cents", "deposit_cents", "buffer_minutes",
                "buffer_before_minutes", "category_id", "is_active", "sort_order"}


def _service_fields(body: Body) -> dict:
    fields = {}
    readers = {
        "name": lambda: body.str("name", nullable=False, max_length=200),
        "description": lambda: body.str("description", max_length=5000),
        "duration_minutes": lambda: body.int("duration_minutes", maximum=catalog.MAX_DURATION_MINUTES),
        "price_cents": lambda: body.int("price_cents"),
        "deposit_cents": lambda: body.int("deposit_cents"),
        "buffer_minutes": lambda: body.int("buffer_minutes", maximum=catalog.MAX_BUFFER_MINUTES),
        "buffer_before_minutes": lambda: body.int("buffer_before_minutes", maximum=catalog.MAX_BUFFER_MINUTES),
        "category_id": lambda: body.uuid("category_id"),
        "is_active": lambda: body.bool("is_active"),
        "sort_order": lambda: body.int("sort_order", minimum=-1_000_000, maximum=1_000_000),
    }
    for name, read in readers.items():
        if body.has(name):
            fields[name] = read()
    return fields


@bp.get("/services")
def list_services():
    query = (select(Service).where(Service.business_id == business().id, Service.deleted_at.is_(None))
             .options(selectinload(Service.category)).order_by(Service.sort_order, Service.name, Service.id))
    active = query_bool("active")
    if active is not None:
        query = query.where(Service.is_active.is_(active))
    data, meta = paginate(query, out.service)
    return ok(data, meta=meta)


@bp.get("/services/<uuid:service_id>")
def get_service(service_id):
    return ok(out.service(_owned(Service, service_id, "Service", live_only=True)))


@bp.post("/services")
@idempotent
def create_service():
    service = catalog.create_service(db.session, business(), _service_fields(Body(SERVICE_BODY)), now=now())
    return ok(out.service(service), 201)


@bp.patch("/services/<uuid:service_id>")
def update_service(service_id):
    service = _owned(Service, service_id, "Service", live_only=True)
    catalog.update_service(db.session, business(), service, _service_fields(Body(SERVICE_BODY)), now=now())
    return ok(out.service(service))


@bp.delete("/services/<uuid:service_id>")
def delete_service(service_id):
    service = _owned(Service, service_id, "Service", live_only=True)
    catalog.delete_service(db.session, business(), service, now=now())
    return ok({"id": str(service.id), "deleted": True})


# --------------------------------------------------------------------------- staff


# An API key may be created by a manager, so it acts with a manager's rights over roles:
# it cannot make or unmake an owner (an owner does that in the dashboard).
API_ACTING_ROLE = "manager"

STAFF_BODY = {"name", "email", "phone", "role", "bio", "avatar_url", "sort_order", "is_active", "service_ids"}


def _staff_fields(body: Body) -> dict:
    readers = {
        "name": lambda: body.str("name", nullable=False, max_length=200),
        "email": lambda: body.str("email", max_length=254),
        "phone": lambda: body.str("phone", max_length=40),
        "role": lambda: body.str("role", nullable=False, max_length=20),
        "bio": lambda: body.str("bio", max_length=5000),
        "avatar_url": lambda: body.str("avatar_url", max_length=500),
        "sort_order": lambda: body.int("sort_order", minimum=-1_000_000, maximum=1_000_000),
        "is_active": lambda: body.bool("is_active"),
        "service_ids": lambda: body.uuid_list("service_ids"),
    }
    return {name: read() for name, read in readers.items() if body.has(name)}


@bp.get("/staff")
def list_staff():
    query = (select(Staff).where(Staff.business_id == business().id, Staff.deleted_at.is_(None))
             .options(selectinload(Staff.services)).order_by(Staff.sort_order, Staff.name, Staff.id))
    data, meta = paginate(query, out.staff)
    return ok(data, meta=meta)


@bp.get("/staff/<uuid:staff_id>")
def get_staff(staff_id):
    return ok(out.staff(_owned(Staff, staff_id, "Staff member", live_only=True)))


@bp.post("/staff")
@idempotent
def create_staff():
    member = catalog.create_staff(db.session, business(), _staff_fields(Body(STAFF_BODY)), now=now(),
                                  acting_role=API_ACTING_ROLE)
    return ok(out.staff(member), 201)


@bp.patch("/staff/<uuid:staff_id>")
def update_staff(staff_id):
    member = _owned(Staff, staff_id, "Staff member", live_only=True)
    catalog.update_staff(db.session, business(), member, _staff_fields(Body(STAFF_BODY)), now=now(),
                         acting_role=API_ACTING_ROLE)
    return ok(out.staff(member))


@bp.delete("/staff/<uuid:staff_id>")
def delete_staff(staff_id):
    member = _owned(Staff, staff_id, "Staff member", live_only=True)
    catalog.delete_staff(db.session, business(), member, now=now(), acting_role=API_ACTING_ROLE)
    return ok({"id": str(member.id), "deleted": True})


# --------------------------------------------------------------------------- products


PRODUCT_BODY = {"name", "description", "price_cents", "category", "sku", "inventory_count", "image_url",
                "sort_order", "is_active"}


def _product_fields(body: Body) -> dict:
    readers = {
        "name": lambda: body.str("name", nullable=False, max_length=200),
        "description": lambda: body.str("description", max_length=5000),
        "price_cents": lambda: body.int("price_cents"),
        "category": lambda: body.str("category", max_length=120),
        "sku": lambda: body.str("sku", max_length=64),
        "inventory_count": lambda: body.int("inventory_count", nullable=True),
        "image_url": lambda: body.str("image_url", max_length=500),
        "sort_order": lambda: body.int("sort_order", minimum=-1_000_000, maximum=1_000_000),
        "is_active": lambda: body.bool("is_active"),
    }
    return {name: read() for name, read in readers.items() if body.has(name)}


@bp.get("/products")
def list_products():
    query = select(Product).where(Product.business_id == business().id)
    active = query_bool("active", default=True)
    query = query.where(Product.is_active.is_(active))
    category = query_str("category")
    if category:
        query = query.where(Product.category.ilike(category.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"), escape="\\"))
    data, meta = paginate(query.order_by(Product.sort_order, Product.name, Product.id), out.product)
    return ok(data, meta=meta)


@bp.get("/products/<uuid:product_id>")
def get_product(product_id):
    return ok(out.product(_owned(Product, product_id, "Product")))


@bp.post("/products")
@idempotent
def create_product():
    product = catalog.create_product(db.session, business(), _product_fields(Body(PRODUCT_BODY)), now=now())
    return ok(out.product(product), 201)


@bp.patch("/products/<uuid:product_id>")
def update_product(product_id):
    product = _owned(Product, product_id, "Product")
    catalog.update_product(db.session, business(), product, _product_fields(Body(PRODUCT_BODY)), now=now())
    return ok(out.product(product))


@bp.delete("/products/<uuid:product_id>")
def delete_product(product_id):
    product = _owned(Product, product_id, "Product")
    catalog.deactivate_product(db.session, business(), product, now=now())
    return ok({"id": str(product.id), "is_active": False, "deactivated_at": out.iso(product.deactivated_at)})


# --------------------------------------------------------------------------- clients, reviews


@bp.get("/clients")
def clients():
    page, limit = page_args()
    rows, total = list_clients(db.session, business(), offset=(page - 1) * limit, limit=limit)
    return ok([
        {"id": c.customer_id, "email": c.email, "name": c.name, "phone": c.phone, "total_bookings": c.total_bookings,
         "total_spent_cents": c.total_spent_cents, "first_booking_at": out.iso(c.first_booking_at),
         "last_booking_at": out.iso(c.last_booking_at)}
        for c in rows
    ], meta={"page": page, "limit": limit, "total": total})


@bp.get("/reviews")
def list_reviews():
    query = review_query(
        business(),
        rating=query_int("rating", minimum=1, maximum=5),
        has_reply=query_bool("has_reply"),
        sort=query_str("sort", choices=tuple(SORTS), default="newest"),
    )
    data, meta = paginate(query, out.review)
    return ok(data, meta=meta)


@bp.get("/reviews/<uuid:review_id>")
def get_review(review_id):
    return ok(out.review(_owned(Review, review_id, "Review")))


@bp.post("/reviews/<uuid:review_id>/reply")
@idempotent
def reply_review(review_id):
    review = _owned(Review, review_id, "Review")
    body = Body({"reply"})
    reply = body.str("reply", required=True, max_length=5000)
    reply_to_review(db.session, business(), review, reply, now=now())
    return ok(out.review(review))


# --------------------------------------------------------------------------- business, analytics


def _business_data():
    rating, count = rating_summary(db.session, business())
    return out.business(business(), rating=rating, review_count=count)


@bp.get("/business")
def get_business():
    return ok(_business_data())


@bp.patch("/business")
def update_business():
    body = Body(set(catalog.PROFILE_FIELDS))
    readers = {
        "name": lambda: body.str("name", nullable=False, max_length=200),
        "description": lambda: body.str("description", max_length=5000),
        "phone": lambda: body.str("phone", max_length=40),
        "email": lambda: body.str("email", max_length=254),
        "website": lambda: body.str("website", max_length=300),
        "address": lambda: body.object("address"),
    }
    fields = {name: read() for name, read in readers.items() if body.has(name)}
    if "address" in fields:
        for key, value in (fields["address"] or {}).items():
            if value is not None and not isinstance(value, str):
                raise bad_request(f"address.{key} must be a string.", f"address.{key}")
    catalog.update_business_profile(db.session, business(), fields, now=now())
    return ok(_business_data())


@bp.get("/analytics")
def analytics():
    period = query_str("period", choices=tuple(PERIODS), default="30d")
    return ok(business_analytics(db.session, business(), period=period, now=now()))


# --------------------------------------------------------------------------- webhooks


def _endpoint(endpoint_id) -> WebhookEndpoint:
    return _owned(WebhookEndpoint, endpoint_id, "Webhook endpoint", live_only=True)


@bp.get("/webhooks")
def list_webhooks():
    query = (select(WebhookEndpoint)
             .where(WebhookEndpoint.business_id == business().id, WebhookEndpoint.deleted_at.is_(None))
             .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id))
    data, meta = paginate(query, out.webhook_endpoint)
    return ok(data, meta=meta)


@bp.post("/webhooks")
@idempotent
def create_webhook():
    body = Body({"url", "events", "description"})
    endpoint = webhooks.create_endpoint(
        db.session, business(), url=body.str("url", required=True, max_length=2000),
        events=body.str_list("events"), description=body.str("description", max_length=500),
    )
    return ok(out.webhook_endpoint(endpoint, secret=True), 201)


@bp.get("/webhooks/<uuid:endpoint_id>")
def get_webhook(endpoint_id):
    return ok(out.webhook_endpoint(_endpoint(endpoint_id)))


@bp.delete("/webhooks/<uuid:endpoint_id>")
def delete_webhook(endpoint_id):
    endpoint = _endpoint(endpoint_id)
    webhooks.delete_endpoint(db.session, business(), endpoint, now=now())
    return ok({"id": str(endpoint.id), "deleted": True})


@bp.post("/webhooks/<uuid:endpoint_id>/test")
@idempotent
def test_webhook(endpoint_id):
    endpoint = _endpoint(endpoint_id)
    Body(set(), required=False)
    delivery = webhooks.send_test_event(db.session, business(), endpoint, now=now())
    return ok(out.webhook_delivery(delivery), 202)


@bp.get("/webhooks/<uuid:endpoint_id>/deliveries")
def list_deliveries(endpoint_id):
    endpoint = _endpoint(endpoint_id)
    query = (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
             .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id))
    data, meta = paginate(query, out.webhook_delivery)
    return ok(data, meta=meta)


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
