"""A client's data rights: a copy of everything the business holds about them (JSON or CSV),
erasure, and the requests a customer makes for either from their manage link.

Erasure anonymises rather than deletes. The bookings, payments, checkouts and refunds stay,
because the business must keep its books (and its analytics must not change under it);
what made them someone's is removed: the customer's name, email and phone, the notes and
answers they gave, the words of their reviews, and every copy of those in the rows that
carried them (messages, the outbox and so the webhook payloads not yet delivered, stored
API answers, delivery logs). A review's rating and "would recommend" stay: without a name
or words they say nothing about the person, and taking them away would rewrite the
business's public rating that other customers already saw.

The audit trail is not scrubbed (it is append-only by design); it holds ids, amounts and
staff's own words, never a customer's name, email or phone (see domain.audit's callers).
"""
from __future__ import annotations

import csv
import io
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from bookingapp.domain import audit, notify
from bookingapp.domain.clock import resolve_now
from bookingapp.domain.errors import NotFound, ValidationError
from bookingapp.domain.messages import N_
from bookingapp.domain.outbox import iso
from bookingapp.domain.reviews import public_name
from bookingapp.models import (
    Booking, BookingEvent, Business, Checkout, Customer, IdempotencyRecord, Message, OutboxEvent, Payment, Review,
    WebhookDelivery,
)
from bookingapp.models.audit import DATA_REQUEST_KINDS, DataRequest
from bookingapp.models.checkout import CheckoutLineItem, CheckoutTender

ERASED_NAME = "Erased client"
REDACTED = "[erased]"
# Keys whose values are what a customer told us or who they are, wherever they appear in a
# stored JSON document (outbox payloads, message facts, stored API answers).
PERSONAL_KEYS = frozenset({
    "name", "customer_name", "email", "customer_email", "phone", "customer_phone", "notes", "custom_fields",
    "comment", "cancellation_reason", "recipient", "recipient_name",
})
# How long a confirmed export stays downloadable through the manage link that asked for it.
EXPORT_DOWNLOAD_DAYS = 30


def erased_email(customer: Customer) -> str:
    """A unique address that is nobody's (.invalid is reserved, RFC 2606), so nothing sent to
    it reaches anyone; it also marks the client as erased (is_erased), where an empty email
    would only say "a walk-in who gave none"."""
    return f"erased-{customer.id.hex}@invalid"


def is_erased(customer: Customer) -> bool:
    return customer.email == erased_email(customer)


def _owned(business: Business, customer: Customer | None) -> Customer:
    if customer is None or customer.business_id != business.id:
        raise NotFound("Client not found.")
    return customer


def _bookings_of(session: Session, customer: Customer) -> list[Booking]:
    return list(session.scalars(select(Booking).where(Booking.customer_id == customer.id)
                                .order_by(Booking.starts_at, Booking.booking_number)))


# --------------------------------------------------------------------------- export

def export_client(session: Session, business: Business, customer: Customer, *, now: datetime | None = None,
                  actor: audit.Actor | str | None = None, fmt: str = "json") -> dict[str, Any]:
    """Everything held about one client, as a JSON-ready document; audited as an export."""
    _owned(business, customer)
    now = resolve_now(now)
    bookings = _bookings_of(session, customer)
    ids = [b.id for b in bookings]
    numbers = {b.id: b.booking_number for b in bookings}
    payments = session.scalars(select(Payment).where(Payment.booking_id.in_(ids))
                               .order_by(Payment.created_at)).all() if ids else []
    checkouts = session.scalars(select(Checkout).where(Checkout.booking_id.in_(ids))).all() if ids else []
    reviews = session.scalars(select(Review).where(Review.booking_id.in_(ids))
                              .order_by(Review.created_at)).all() if ids else []
    messages = session.scalars(
        select(Message).where(Message.audience == "customer",
                              or_(Message.customer_id == customer.id, Message.booking_id.in_(ids) if ids else False))
        .order_by(Message.created_at)).all()
    document = {
        "exported_at": iso(now),
        "business": {"name": business.name, "slug": business.slug},
        "profile": {"id": str(customer.id), "name": customer.name, "email": customer.email, "phone": customer.phone,
                    "created_at": iso(customer.created_at)},
        "consents": {"reminders_and_review_requests": customer.unsubscribed_at is None,
                     "unsubscribed_at": iso(customer.unsubscribed_at)},
        "bookings": [{
            "booking_number": b.booking_number, "service": b.service.name if b.service else None,
            "staff": b.staff.name if b.staff else None, "start_at": iso(b.starts_at), "end_at": iso(b.ends_at),
            "status": b.status, "source": b.source, "price_cents": b.price_cents, "deposit_cents": b.deposit_cents,
            "currency": b.currency, "notes": b.notes, "custom_fields": b.custom_fields or {},
            "cancellation_reason": b.cancellation_reason, "created_at": iso(b.created_at),
        } for b in bookings],
        "payments": [{
            "booking_number": numbers.get(p.booking_id), "kind": p.kind, "status": p.status,
            "amount_cents": p.amount_cents, "currency": p.currency, "provider": p.provider,
            "created_at": iso(p.created_at),
        } for p in payments],
        "checkouts": [{
            "booking_number": numbers.get(c.booking_id), "status": c.status, "total_cents": c.total_cents,
            "tip_cents": c.tip_cents, "currency": c.currency, "closed_at": iso(c.closed_at),
            "lines": [{"name": line.name, "type": line.type, "quantity": line.quantity,
                       "amount_cents": line.amount_cents} for line in c.line_items],
            "desk_payments": [{"method": t.method, "kind": t.kind, "amount_cents": t.amount_cents,
                               "at": iso(t.created_at)} for t in c.tenders],
        } for c in checkouts],
        "reviews": [{
            "booking_number": numbers.get(r.booking_id), "rating": r.rating, "comment": r.comment,
            "would_recommend": r.would_recommend, "shown_as": r.customer_name, "created_at": iso(r.created_at),
            "business_reply": r.business_reply,
        } for r in reviews],
        "messages": [{
            "kind": m.kind, "channel": m.channel, "recipient": m.recipient, "status": m.status,
            "created_at": iso(m.created_at), "sent_at": iso(m.sent_at),
        } for m in messages],
    }
    audit.record(session, business, "client.exported", actor=actor, subject=customer, now=now,
                 details={"format": fmt, "bookings": len(bookings)})
    return document


def export_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False)


CSV_COLUMNS = ("section", "item", "field", "value")


def export_csv(document: dict[str, Any]) -> str:
    """The same document, one value a row (section, item, field, value): every section has
    its own fields, so one long table opens in any spreadsheet without losing any of them."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for section, content in document.items():
        items = content if isinstance(content, list) else [content]
        for index, item in enumerate(items, start=1):
            label = item.get("booking_number") or str(index) if isinstance(item, dict) else str(index)
            for field, value in _flatten(item if isinstance(item, dict) else {section: item}):
                writer.writerow((section, label, field, _csv_safe(value)))
    return out.getvalue()


def _flatten(values: dict[str, Any], prefix: str = ""):
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, f"{name}.")
        elif isinstance(value, list):
            for position, entry in enumerate(value, start=1):
                if isinstance(entry, dict):
                    yield from _flatten(entry, f"{name}.{position}.")
                else:
                    yield f"{name}.{position}", entry
        else:
            yield name, value


def _csv_safe(value: Any) -> str:
    """A cell a spreadsheet shows as text: a value starting with = + - @ (formula
    injection, OWASP) is prefixed with an apostrophe."""
    text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --------------------------------------------------------------------------- erasure

@dataclass(frozen=True)
class Erasure:
    customer_id: uuid.UUID
    bookings: int
    messages_withdrawn: int
    outbox_events_scrubbed: int


def _needles(customer: Customer) -> list[str]:
    """The customer's identifying strings, longest first so a full name goes before its
    public form ("Ada Lovelace" before "Ada L.")."""
    values = {customer.name, customer.email, customer.phone, public_name(customer.name)}
    return sorted((v for v in values if v and len(v.strip()) >= 3), key=len, reverse=True)


def _scrub_text(text: str | None, needles: list[str]) -> str | None:
    if not text:
        return text
    for needle in needles:
        text = re.sub(re.escape(needle), REDACTED, text, flags=re.IGNORECASE)
    return text


def _scrub(value: Any, needles: list[str]) -> Any:
    """A copy of a JSON value with the personal keys emptied and the customer's strings
    replaced wherever else they appear."""
    if isinstance(value, dict):
        return {key: (_emptied(item) if key in PERSONAL_KEYS else _scrub(item, needles)) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, needles) for item in value]
    if isinstance(value, str):
        return _scrub_text(value, needles)
    return value


def _emptied(value: Any) -> Any:
    if isinstance(value, dict):
        return {}
    if isinstance(value, list):
        return []
    return None if value is None else REDACTED


def _mentioning(column, fragments: list[str]):
    """Rows whose JSON or text column contains any of the fragments (ids, email)."""
    text_column = cast(column, String)
    return or_(*(text_column.contains(fragment, autoescape=True) for fragment in fragments))


def erase_client(session: Session, business: Business, customer: Customer, *, now: datetime | None = None,
                 actor: audit.Actor | str | None = None, decided_by: str = "erasure") -> Erasure:
    """Anonymise one client (see the module's docstring for what stays and why). Their
    pending requests are answered by it (decided_by names who erased)."""
    _owned(business, customer)
    if is_erased(customer):
        raise ValidationError("This client has already been erased.", param="customer")
    now = resolve_now(now)
    needles = _needles(customer)
    bookings = _bookings_of(session, customer)
    ids = [b.id for b in bookings]
    # Rows are found by the customer's ids and email only: a name is not unique, and another
    # client's row that merely shares it must not be emptied.
    fragments = [str(customer.id), *(str(i) for i in ids), *([customer.email] if customer.email else [])]

    for booking in bookings:
        booking.notes = None
        booking.custom_fields = {}
        booking.cancellation_reason = None
        booking.updated_at = now
    if ids:
        for event in session.scalars(select(BookingEvent).where(BookingEvent.booking_id.in_(ids))):
            event.note = None if event.actor == "customer" else _scrub_text(event.note, needles)
        for review in session.scalars(select(Review).where(Review.booking_id.in_(ids))):
            review.comment = None
            review.business_reply = None
            review.customer_name = ERASED_NAME
            review.updated_at = now
        for payment in session.scalars(select(Payment).where(Payment.booking_id.in_(ids))):
            payment.reason = _scrub_text(payment.reason, needles)
            payment.failure_reason = _scrub_text(payment.failure_reason, needles)
        checkout_ids = select(Checkout.id).where(Checkout.booking_id.in_(ids))
        for tender in session.scalars(select(CheckoutTender).where(CheckoutTender.checkout_id.in_(checkout_ids))):
            tender.reason = _scrub_text(tender.reason, needles)
        for line in session.scalars(select(CheckoutLineItem).where(CheckoutLineItem.checkout_id.in_(checkout_ids))):
            line.name = _scrub_text(line.name, needles)

    withdrawn = 0
    about = or_(Message.customer_id == customer.id, Message.booking_id.in_(ids)) if ids else (
        Message.customer_id == customer.id)
    for message in session.scalars(select(Message).where(about)):
        if message.audience == "customer":
            message.recipient = erased_email(customer) if message.channel == "email" else REDACTED
            message.recipient_name = None
            if message.status == "pending":
                message.status = "cancelled"
                message.last_error = "client erased"
                withdrawn += 1
        message.facts = _scrub(message.facts or {}, needles)
        message.last_error = _scrub_text(message.last_error, needles)

    scrubbed_events = session.scalars(select(OutboxEvent).where(
        OutboxEvent.business_id == business.id, _mentioning(OutboxEvent.payload, fragments))).all()
    for event in scrubbed_events:
        event.payload = _scrub(event.payload, needles)
    if scrubbed_events:
        for delivery in session.scalars(select(WebhookDelivery).where(
                WebhookDelivery.event_id.in_([e.id for e in scrubbed_events]))):
            delivery.response_body = _scrub_text(delivery.response_body, needles)
            delivery.error = _scrub_text(delivery.error, needles)
    for record in session.scalars(select(IdempotencyRecord).where(
            IdempotencyRecord.response_body.is_not(None), _mentioning(IdempotencyRecord.response_body, fragments))):
        record.response_body = _scrub_stored_answer(record.response_body, needles)

    customer.name = ERASED_NAME
    customer.email = erased_email(customer)
    customer.phone = None
    # Nothing but what the books require is ever sent to an erased client again.
    customer.unsubscribed_at = customer.unsubscribed_at or now
    customer.updated_at = now
    for request in session.scalars(select(DataRequest).where(DataRequest.customer_id == customer.id,
                                                             DataRequest.status == "pending")):
        request.status, request.decided_at, request.decided_by = "completed", now, decided_by[:300]
    session.flush()
    audit.record(session, business, "client.erased", actor=actor, subject=customer, now=now,
                 details={"bookings": len(bookings), "messages_withdrawn": withdrawn,
                          "outbox_events_scrubbed": len(scrubbed_events)})
    return Erasure(customer.id, len(bookings), withdrawn, len(scrubbed_events))


def _scrub_stored_answer(body: str, needles: list[str]) -> str:
    try:
        return json.dumps(_scrub(json.loads(body), needles))
    except ValueError:
        return _scrub_text(body, needles) or ""


# --------------------------------------------------------------------------- customers' requests

def request_from_manage_link(session: Session, business: Business, booking: Booking, kind: str, *,
                             now: datetime | None = None) -> DataRequest:
    """The customer of this booking asks for their data or its erasure. One pending request
    of a kind at a time (asking twice returns the first); the owners are told by email."""
    if kind not in DATA_REQUEST_KINDS:
        raise ValidationError(N_("Ask for an export or an erasure."), param="kind")
    customer = booking.customer
    if customer is None or booking.business_id != business.id:
        raise NotFound("Booking not found.")
    if is_erased(customer):
        raise ValidationError(N_("Your details have already been erased."), param="kind")
    now = resolve_now(now)
    waiting = session.scalar(select(DataRequest).where(
        DataRequest.customer_id == customer.id, DataRequest.kind == kind, DataRequest.status == "pending"))
    if waiting is not None:
        return waiting
    request = DataRequest(id=uuid.uuid4(), business_id=business.id, customer_id=customer.id, booking_id=booking.id,
                          kind=kind, status="pending", created_at=now)
    session.add(request)
    session.flush()
    audit.record(session, business, "data_request.received", actor=audit.CUSTOMER, subject=request, now=now,
                 details={"kind": kind, "customer_id": str(customer.id), "booking_number": booking.booking_number})
    notify.data_request_received(session, business, booking, kind, now=now)
    return request


def pending_requests(session: Session, business: Business, customer: Customer | None = None) -> list[DataRequest]:
    query = select(DataRequest).where(DataRequest.business_id == business.id, DataRequest.status == "pending")
    if customer is not None:
        query = query.where(DataRequest.customer_id == customer.id)
    return list(session.scalars(query.order_by(DataRequest.created_at)))


def _pending(business: Business, request: DataRequest | None) -> DataRequest:
    if request is None or request.business_id != business.id:
        raise NotFound("Data request not found.")
    if request.status != "pending":
        raise ValidationError(f"This request is already {request.status}.", param="request")
    return request


def confirm_request(session: Session, business: Business, request: DataRequest, *, decided_by: str,
                    now: datetime | None = None) -> DataRequest:
    """The owner confirms: an export becomes downloadable through the manage link that
    asked (for EXPORT_DOWNLOAD_DAYS); an erasure erases."""
    _pending(business, request)
    now = resolve_now(now)
    if request.kind == "erasure":
        erase_client(session, business, request.customer, now=now, decided_by=decided_by)
    request.status, request.decided_at, request.decided_by = "completed", now, decided_by[:300]
    session.flush()
    return request


def decline_request(session: Session, business: Business, request: DataRequest, *, decided_by: str,
                    now: datetime | None = None) -> DataRequest:
    _pending(business, request)
    now = resolve_now(now)
    request.status, request.decided_at, request.decided_by = "declined", now, decided_by[:300]
    session.flush()
    audit.record(session, business, "data_request.declined", subject=request, now=now,
                 details={"kind": request.kind, "customer_id": str(request.customer_id)})
    return request


def requests_of_booking(session: Session, booking: Booking) -> list[DataRequest]:
    """The requests made for this booking's customer, newest first (the manage page shows them)."""
    if booking.customer_id is None:
        return []
    return list(session.scalars(select(DataRequest).where(DataRequest.customer_id == booking.customer_id)
                                .order_by(DataRequest.created_at.desc())))


def downloadable_export(session: Session, booking: Booking, *, now: datetime | None = None) -> DataRequest | None:
    """A confirmed export of this booking's customer that may still be downloaded."""
    if booking.customer_id is None:
        return None
    since = resolve_now(now) - timedelta(days=EXPORT_DOWNLOAD_DAYS)
    return session.scalar(select(DataRequest).where(
        DataRequest.customer_id == booking.customer_id, DataRequest.kind == "export",
        DataRequest.status == "completed", DataRequest.decided_at >= since,
    ).order_by(DataRequest.decided_at.desc()).limit(1))
