"""Models to the JSON shapes of the API (field names follow seed 004). Each shape is
declared in bookingapp/api/schemas.py (the *Out models), which checks what these return
and documents it."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from bookingapp.domain import clock
from bookingapp.domain.booking_money import MoneyRows, money_rows, money_summary
from bookingapp.domain.service_terms import OwnTerms, ServiceTerms
from bookingapp.domain.states import status_as_seen
from bookingapp.extensions import db
from bookingapp.models import Booking, Business, Location, Message, Product, Review, Service, Staff

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def uid(value) -> str | None:
    return str(value) if value is not None else None


def service(s: Service) -> dict[str, Any]:
    return {
        "id": str(s.id),
        "name": s.name,
        "description": s.description,
        "duration_minutes": s.duration_minutes,
        "buffer_minutes": s.buffer_after_minutes,
        "buffer_before_minutes": s.buffer_before_minutes,
        "price_cents": s.price_cents,
        "deposit_cents": s.deposit_cents,
        "currency": s.currency,
        "category_id": uid(s.category_id),
        "category": {"id": str(s.category.id), "name": s.category.name} if s.category else None,
        "is_active": s.is_active and s.deleted_at is None,
        "sort_order": s.sort_order,
        "created_at": iso(s.created_at),
        "updated_at": iso(s.updated_at),
    }


def service_at(s: Service, place: Location, terms: ServiceTerms, own: OwnTerms) -> dict[str, Any]:
    """A service as offered at a location: its terms there (domain.service_terms)."""
    return {
        "service_id": str(s.id),
        "location_id": str(place.id),
        "name": s.name,
        "price_cents": terms.price_cents,
        "deposit_cents": terms.deposit_cents,
        "duration_minutes": terms.duration_minutes,
        "currency": s.currency,
        "own_price": own.price_cents is not None,
        "own_deposit": own.deposit_cents is not None,
        "own_duration": own.duration_minutes is not None,
        "is_active": s.is_active and s.deleted_at is None,
    }


def staff(member: Staff, *, with_services: bool = True) -> dict[str, Any]:
    data = {
        "id": str(member.id),
        "name": member.name,
        "email": member.email,
        "phone": member.phone,
        "role": member.role,
        "bio": member.bio,
        "avatar_url": member.avatar_url,
        "is_active": member.is_active and member.deleted_at is None,
        "sort_order": member.sort_order,
        "created_at": iso(member.created_at),
        "updated_at": iso(member.updated_at),
        "booking_emails": member.booking_emails,
        "daily_agenda": member.daily_agenda,
    }
    if with_services:
        data["services"] = [
            {"id": str(s.id), "name": s.name} for s in sorted(member.services, key=lambda s: (s.sort_order, s.name))
            if s.deleted_at is None
        ]
    return data


def product(p: Product) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "name": p.name,
        "description": p.description,
        "price_cents": p.price_cents,
        "category": p.category,
        "sku": p.sku,
        "inventory_count": p.inventory_count,
        "is_active": p.is_active,
        "sort_order": p.sort_order,
        "image_url": p.image_url,
        "deactivated_at": iso(p.deactivated_at),
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
    }


def booking_summary(b: Booking) -> dict[str, Any]:
    customer = b.customer
    return {
        "id": str(b.id),
        "booking_number": b.booking_number,
        "location_id": str(b.location_id),
        # A hold past its time reads expired at once, as on every door (domain/states.py).
        "status": status_as_seen(b, clock.now()),
        "source": b.source,
        "customer": {"id": str(customer.id), "name": customer.name, "email": customer.email, "phone": customer.phone}
        if customer else None,
        "service": {"id": str(b.service.id), "name": b.service.name},
        "staff": {"id": str(b.staff.id), "name": b.staff.name},
        "start_at": iso(b.starts_at),
        "end_at": iso(b.ends_at),
        "price_cents": b.price_cents,
        "deposit_cents": b.deposit_cents,
        "currency": b.currency,
        "notes": b.notes,
        "hold_expires_at": iso(b.hold_expires_at),
        "created_at": iso(b.created_at),
        "updated_at": iso(b.updated_at),
    }


def _payments_of(rows: MoneyRows) -> list[dict[str, Any]]:
    return [
        {
            "id": str(p.id),
            "kind": p.kind,
            "status": p.status,
            "amount_cents": p.amount_cents,
            "currency": p.currency,
            "provider": p.provider,
            "refund_of_id": uid(p.refund_of_id),
            "failure_reason": p.failure_reason,
            "created_at": iso(p.created_at),
            "succeeded_at": iso(p.succeeded_at),
        }
        for p in rows.payments
    ]


def _money_of(b: Booking, rows: MoneyRows) -> dict[str, Any]:
    """The domain's one money summary (domain/booking_money.py), as the manage page and the
    dashboard show it; the flat fields keep their first-release names."""
    money = money_summary(db.session, b, rows=rows)
    return {
        "discount_cents": money.discount_cents,
        "total_cents": money.charged_cents,
        "paid_cents": money.net_paid_cents,
        "refunded_cents": money.refunded_cents,
        "balance_due_cents": money.balance_due_cents,
        "money": money.as_dict(),
    }


def booking_detail(b: Booking) -> dict[str, Any]:
    data = booking_summary(b)
    data.update({
        "cancelled_at": iso(b.cancelled_at),
        "cancellation_reason": b.cancellation_reason,
        "confirmed_at": iso(b.confirmed_at),
        "rescheduled_from_id": uid(b.rescheduled_from_id),
        "rescheduled_to_id": uid(b.rescheduled_to_id),
        "custom_fields": b.custom_fields or {},
    })
    rows = money_rows(db.session, b)  # payments, checkout and promotion in one read, shared below
    data["payments"] = _payments_of(rows)
    data.update(_money_of(b, rows))
    checkout = rows.checkout
    if checkout is not None and checkout.status == "closed":
        data["total_charged_cents"] = checkout.total_cents
        data["tip_cents"] = checkout.tip_cents
        data["line_items"] = [
            {"type": item.type, "name": item.name, "price_cents": item.price_cents, "quantity": item.quantity,
             "product_id": uid(item.product_id)}
            for item in checkout.line_items
        ]
    return data


def review(r: Review) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "booking_id": str(r.booking_id),
        "rating": r.rating,
        "comment": r.comment,
        "would_recommend": r.would_recommend,
        "customer_name": r.customer_name,
        "business_reply": r.business_reply,
        "business_reply_at": iso(r.business_reply_at),
        "created_at": iso(r.created_at),
    }


def weekly_hours(rows) -> dict[str, Any]:
    """Opening-hours rows (weekday, opens_at, closes_at) as monday..sunday."""
    hours: dict[str, Any] = {day: None for day in WEEKDAYS}
    for row in rows:
        window = {"open": row.opens_at.strftime("%H:%M"), "close": row.closes_at.strftime("%H:%M")}
        day = WEEKDAYS[row.weekday]
        # Several windows on one day (a lunch closure) become a list; one stays an object as in the seed.
        if hours[day] is None:
            hours[day] = window
        elif isinstance(hours[day], list):
            hours[day].append(window)
        else:
            hours[day] = [hours[day], window]
    return hours


def location(place: Location, business: Business, staff_ids: list) -> dict[str, Any]:
    """A location with what it takes from its business filled in (own_* say which)."""
    return {
        "id": str(place.id),
        "name": place.name,
        "slug": place.slug,
        "is_primary": place.is_primary,
        "is_active": place.is_active,
        "address": {"street": place.address_street, "city": place.address_city, "state": place.address_state,
                    "zip": place.address_zip, "country": place.address_country},
        "phone": place.phone,
        "timezone": place.timezone or business.timezone,
        "hold_seconds": place.hold_seconds or business.hold_seconds,
        "own_timezone": place.timezone is not None,
        "own_hold_seconds": place.hold_seconds is not None,
        "own_hours": bool(place.hours),
        "hours": weekly_hours(place.hours or business.hours),
        "staff_ids": [str(staff_id) for staff_id in staff_ids],
        "sort_order": place.sort_order,
        "created_at": iso(place.created_at),
        "updated_at": iso(place.updated_at),
    }


def business(b: Business, *, rating: float | None, review_count: int) -> dict[str, Any]:
    hours = weekly_hours(b.hours)
    return {
        "id": str(b.id),
        "name": b.name,
        "slug": b.slug,
        "description": b.description,
        # The seed's shape has images and a plan; this product stores neither (yet), so they
        # are present and null rather than missing.
        "logo_url": None,
        "cover_photo_url": None,
        "plan": None,
        "address": {"street": b.address_street, "city": b.address_city, "state": b.address_state,
                    "zip": b.address_zip, "country": b.address_country},
        "phone": b.phone,
        "email": b.email,
        "website": b.website,
        "timezone": b.timezone,
        "currency": b.currency,
        "default_language": b.default_language,
        "rating": rating,
        "review_count": review_count,
        "is_active": b.is_active,
        "hours": hours,
        "booking_settings": {
            "min_advance_hours": round(b.min_notice_minutes / 60, 2),
            "max_advance_days": b.max_advance_days,
            "slot_interval_minutes": b.slot_interval_minutes,
            "auto_confirm": b.auto_confirm,
            "hold_seconds": b.hold_seconds,
            "free_cancellation_hours": b.free_cancellation_hours,
            "early_start_minutes": b.early_start_minutes,
        },
        "notification_settings": {
            "reminder_cadence": [{"hours_before": step["hours_before"], "email": step["email"], "sms": step["sms"]}
                                 for step in b.reminder_cadence],
            "sms_notifications": b.sms_notifications,
            "review_requests": b.review_requests,
        },
        "embed_origins": list(b.embed_origins or []),
        "created_at": iso(b.created_at),
        "updated_at": iso(b.updated_at),
    }


def webhook_endpoint(e, *, secret: bool = False) -> dict[str, Any]:
    data = {
        "id": str(e.id),
        "url": e.url,
        "description": e.description,
        "events": list(e.events or []),
        "is_active": e.is_active,
        "disabled_at": iso(e.disabled_at),
        "consecutive_failures": e.consecutive_failures,
        "created_at": iso(e.created_at),
    }
    if secret:
        data["secret"] = e.secret
    return data


def webhook_delivery(d) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "event_id": str(d.event_id),
        "topic": d.topic,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": iso(d.next_attempt_at) if d.status == "pending" else None,
        "last_attempt_at": iso(d.last_attempt_at),
        "response_status": d.response_status,
        "error": d.error,
        "created_at": iso(d.created_at),
        "delivered_at": iso(d.delivered_at),
    }


def message(m: Message) -> dict[str, Any]:
    return {
        "id": str(m.id),
        "kind": m.kind,
        "channel": m.channel,
        "audience": m.audience,
        "recipient": m.recipient,
        "status": m.status,
        "created_at": iso(m.created_at),
        "due_at": iso(m.due_at),
        "sent_at": iso(m.sent_at),
        "attempts": m.attempts,
        "last_error": m.last_error,
    }
