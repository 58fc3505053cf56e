"""Messages to people, recorded by the domain as `messages` rows in the same transaction as
the change that calls for them; the worker renders and sends them after commit
(notifications/delivery.py). So every door (wizard, manage link, dashboard, API, payment
events) tells the customer and the staff member the same things, and a rolled-back change
sends nothing.

A message names its kind, its recipient and its booking; what it says is decided when it is
rendered, from the booking as it then is and the facts recorded here (the old time of a
move, who cancelled, what was refunded). Reminders and staff agendas are planned by the
worker (domain/reminders.py), not by a change."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookingapp.domain.clock import resolve_now
from bookingapp.domain.errors import ValidationError
from bookingapp.domain.outbox import iso
from bookingapp.models import Account, Booking, Business, Customer, Message, Staff

# Customer messages.
BOOKING_CONFIRMED = "booking_confirmed"
BOOKING_PENDING = "booking_pending"        # made, waiting for the business's approval
BOOKING_APPROVED = "booking_approved"      # a pending booking the business confirmed
BOOKING_RESCHEDULED = "booking_rescheduled"
BOOKING_CANCELLED = "booking_cancelled"
REMINDER = "reminder"
REVIEW_REQUEST = "review_request"
RECEIPT = "receipt"
# Staff messages: to the staff member whose booking it is.
STAFF_NEW_BOOKING = "staff_new_booking"
STAFF_CANCELLED = "staff_cancelled"
STAFF_RESCHEDULED = "staff_rescheduled"
STAFF_AGENDA = "staff_agenda"
# Account messages: to a dashboard account's sign-in email, about the account itself.
ACCOUNT_PASSWORD_RESET = "account_password_reset"
# To the business's owners: a customer asked for their data or its erasure (domain.data_rights).
STAFF_DATA_REQUEST = "staff_data_request"

BOOKING_KINDS = (BOOKING_CONFIRMED, BOOKING_PENDING, BOOKING_APPROVED, BOOKING_RESCHEDULED, BOOKING_CANCELLED)
CUSTOMER_KINDS = (*BOOKING_KINDS, REMINDER, REVIEW_REQUEST, RECEIPT)
STAFF_KINDS = (STAFF_NEW_BOOKING, STAFF_CANCELLED, STAFF_RESCHEDULED, STAFF_AGENDA, STAFF_DATA_REQUEST)
ACCOUNT_KINDS = (ACCOUNT_PASSWORD_RESET,)
# A reset link works this long after it was asked for (auth.password_reset); an email that
# could not go out within it is not sent at all.
PASSWORD_RESET_LIFETIME = timedelta(hours=1)
# What an unsubscribed customer no longer gets; everything else is about a booking they made.
NON_TRANSACTIONAL = (REMINDER, REVIEW_REQUEST)
# The staff member's counterpart of a customer message about a change.
_STAFF_COUNTERPART = {
    BOOKING_CONFIRMED: STAFF_NEW_BOOKING,
    BOOKING_PENDING: STAFF_NEW_BOOKING,
    BOOKING_RESCHEDULED: STAFF_RESCHEDULED,
    BOOKING_CANCELLED: STAFF_CANCELLED,
}
# A completed visit's review request waits a little: the customer has just left.
REVIEW_REQUEST_DELAY = timedelta(hours=3)

KIND_LABELS = {
    BOOKING_CONFIRMED: "Booking confirmed",
    BOOKING_PENDING: "Booking request received",
    BOOKING_APPROVED: "Booking approved",
    BOOKING_RESCHEDULED: "Booking moved",
    BOOKING_CANCELLED: "Booking cancelled",
    REMINDER: "Reminder",
    REVIEW_REQUEST: "Review request",
    RECEIPT: "Receipt",
    STAFF_NEW_BOOKING: "New booking (staff)",
    STAFF_CANCELLED: "Cancellation (staff)",
    STAFF_RESCHEDULED: "Booking moved (staff)",
    STAFF_AGENDA: "Daily agenda (staff)",
    ACCOUNT_PASSWORD_RESET: "Password reset (account)",
    STAFF_DATA_REQUEST: "Client's data request (owners)",
}
STATUS_LABELS = {
    "pending": "Waiting to be sent",
    "sending": "Sending",
    "sent": "Sent",
    "recorded": "Recorded (no provider configured)",
    "failed": "Failed",
    "skipped": "Not sent",
    "cancelled": "Withdrawn",
}


def new_message(
    session: Session, *, business_id, kind: str, channel: str, recipient: str, recipient_name: str | None,
    now: datetime, booking: Booking | None = None, customer_id=None, staff_id=None,
    facts: dict[str, Any] | None = None, due_at: datetime | None = None, dedupe_key: str | None = None,
) -> Message:
    audience = "staff" if kind in STAFF_KINDS or kind in ACCOUNT_KINDS else "customer"
    message = Message(
        id=uuid.uuid4(), business_id=business_id, booking_id=booking.id if booking is not None else None,
        customer_id=customer_id, staff_id=staff_id, audience=audience, kind=kind, channel=channel,
        recipient=recipient, recipient_name=recipient_name, facts=dict(facts or {}),
        transactional=kind not in NON_TRANSACTIONAL, dedupe_key=dedupe_key, status="pending",
        created_at=now, due_at=due_at or now, attempts=0,
    )
    session.add(message)
    return message


def _to_customer(session: Session, booking: Booking, business: Business, kind: str, *, now: datetime,
                 facts: dict[str, Any], sms: bool) -> list[Message]:
    customer = booking.customer
    if customer is None:
        return []
    recorded = []
    if customer.email:
        recorded.append(new_message(session, business_id=business.id, kind=kind, channel="email",
                                    recipient=customer.email, recipient_name=customer.name, now=now,
                                    booking=booking, customer_id=customer.id, facts=facts))
    if sms and customer.phone:
        recorded.append(new_message(session, business_id=business.id, kind=kind, channel="sms",
                                    recipient=customer.phone, recipient_name=customer.name, now=now,
                                    booking=booking, customer_id=customer.id, facts=facts))
    return recorded


def _to_staff(session: Session, member: Staff | None, booking: Booking, kind: str, *, now: datetime,
              facts: dict[str, Any]) -> Message | None:
    if member is None or not member.email or not member.booking_emails or member.deleted_at is not None:
        return None
    return new_message(session, business_id=booking.business_id, kind=kind, channel="email",
                       recipient=member.email, recipient_name=member.name, now=now, booking=booking,
                       staff_id=member.id, facts=facts)


def data_request_received(session: Session, business: Business, booking: Booking, request_kind: str, *,
                          now: datetime) -> list[Message]:
    """Tell every owner with an email that a customer asked for their data ("export") or its
    erasure: the owners decide (domain.data_rights), whatever their booking-email choice."""
    owners = session.scalars(select(Staff).where(
        Staff.business_id == business.id, Staff.role == "owner", Staff.deleted_at.is_(None),
        Staff.email.is_not(None)))
    return [new_message(session, business_id=business.id, kind=STAFF_DATA_REQUEST, channel="email",
                        recipient=owner.email, recipient_name=owner.name, now=now, booking=booking,
                        staff_id=owner.id, facts={"request_kind": request_kind})
            for owner in owners if owner.email]


def booking_changed(
    session: Session, booking: Booking, kind: str, *, now: datetime, notify_customer: bool = True,
    facts: dict[str, Any] | None = None, previous_staff_id=None,
) -> list[Message]:
    """Record the messages a change to a booking calls for: the customer's (email, and a
    text message when the business sends them and the customer gave a phone number) unless
    the door asked not to notify the customer, and the staff member's. A test booking (made
    with a test API key) writes to nobody: an integrator's trial must never reach a person.
    previous_staff_id: a move to another staff member tells the one who lost it too."""
    if kind not in BOOKING_KINDS:
        raise ValueError(f"unknown booking message {kind!r}")
    if booking.is_test:
        return []
    business = session.get(Business, booking.business_id)
    facts = {**(facts or {}), "sequence": booking.calendar_sequence}
    recorded: list[Message] = []
    if notify_customer:
        recorded += _to_customer(session, booking, business, kind, now=now, facts=facts,
                                 sms=business.sms_notifications)
    staff_kind = _STAFF_COUNTERPART.get(kind)
    if staff_kind is not None:
        staff_ids = [booking.staff_id]
        if previous_staff_id is not None and previous_staff_id != booking.staff_id:
            staff_ids.append(previous_staff_id)
        for staff_id in staff_ids:
            message = _to_staff(session, session.get(Staff, staff_id), booking, staff_kind, now=now, facts=facts)
            if message is not None:
                recorded.append(message)
    session.flush()
    return recorded


def booked_kind(booking: Booking) -> str:
    """The message for a booking just made: confirmed at once, or waiting for approval."""
    return BOOKING_CONFIRMED if booking.status == "confirmed" else BOOKING_PENDING


def rescheduled_facts(old: Booking) -> dict[str, Any]:
    return {
        "previous_starts_at": iso(old.starts_at),
        "previous_booking_number": old.booking_number,
        "previous_staff_name": old.staff.name if old.staff is not None else None,
    }


def cancelled_facts(*, by_customer: bool, refunded_cents: int, kept_cents: int, currency: str) -> dict[str, Any]:
    return {
        "cancelled_by": "customer" if by_customer else "business",
        "refunded_cents": refunded_cents,
        "kept_cents": kept_cents,
        "currency": currency,
    }


def _exists(session: Session, dedupe_key: str) -> bool:
    return session.scalar(select(Message.id).where(Message.dedupe_key == dedupe_key)) is not None


def review_request(session: Session, booking: Booking, *, now: datetime) -> Message | None:
    """Ask a completed visit's customer for a review, once, a little after the visit (the
    dedupe key keeps it once even if the booking is completed again after a correction)."""
    business = session.get(Business, booking.business_id)
    customer = booking.customer
    if booking.is_test or not business.review_requests or customer is None or not customer.email:
        return None
    key = f"review_request:{booking.id}"
    if _exists(session, key):
        return None
    return new_message(session, business_id=business.id, kind=REVIEW_REQUEST, channel="email",
                       recipient=customer.email, recipient_name=customer.name, now=now, booking=booking,
                       customer_id=customer.id, facts={"sequence": booking.calendar_sequence},
                       due_at=now + REVIEW_REQUEST_DELAY, dedupe_key=key)


def receipt(session: Session, checkout, *, now: datetime) -> Message | None:
    """The customer's receipt when a checkout closes: once per checkout."""
    booking = checkout.booking
    customer = booking.customer
    if booking.is_test or customer is None or not customer.email:
        return None
    key = f"receipt:{checkout.id}"
    if _exists(session, key):
        return None
    return new_message(session, business_id=booking.business_id, kind=RECEIPT, channel="email",
                       recipient=customer.email, recipient_name=customer.name, now=now, booking=booking,
                       customer_id=customer.id, facts={"checkout_id": str(checkout.id)}, dedupe_key=key)


def password_reset(session: Session, account, *, now: datetime) -> Message:
    """The reset link for a dashboard account, to its sign-in email. It names no staff
    member (staff_id stays empty): the address is the account's, whatever the staff
    member's booking emails say, and a resend goes to that same address. The facts keep
    the account and its session generation at the time of asking: the link is built from
    them when the email is rendered, and is worthless once the generation moves on."""
    name = account.staff.name if account.staff is not None else None
    message = new_message(session, business_id=account.business_id, kind=ACCOUNT_PASSWORD_RESET, channel="email",
                          recipient=account.email, recipient_name=name, now=now,
                          facts={"account_id": str(account.id), "generation": account.session_generation or 0})
    session.flush()
    return message


def account_skip_reason(session: Session, message: Message, *, now: datetime) -> str | None:
    """Why an account message should not go out any more (domain.reminders.skip_reason
    asks): a reset email too late to be of use, or one whose link is already spent."""
    if now - message.created_at > PASSWORD_RESET_LIFETIME:
        return "The reset link would have expired before it arrived."
    account = session.get(Account, uuid.UUID(str(message.facts.get("account_id"))))
    if account is None or not account.is_active:
        return "The account can no longer sign in."
    if message.facts.get("generation") != (account.session_generation or 0):
        return "The password was reset, or every session ended, since the link was asked for."
    return None


# --------------------------------------------------------------------------- the log


def delivery_log(session: Session, business: Business, *, booking_id=None, status: str | None = None,
                 channel: str | None = None, limit: int = 100, offset: int = 0,
                 location_ids=None) -> list[Message]:
    """The business's messages, newest first; those of one booking with booking_id.
    `location_ids` (None: every location) keeps the messages about bookings at those
    locations: an account limited to some branches (auth.locations) sees only theirs, and
    not the business-wide ones tied to no booking (password resets, data requests), which
    belong to no branch."""
    query = select(Message).where(Message.business_id == business.id)
    if booking_id is not None:
        query = query.where(Message.booking_id == booking_id)
    if location_ids is not None:
        query = query.where(Message.booking_id.in_(
            select(Booking.id).where(Booking.business_id == business.id, Booking.location_id.in_(location_ids))))
    if status:
        query = query.where(Message.status == status)
    if channel:
        query = query.where(Message.channel == channel)
    return list(session.scalars(
        query.order_by(Message.created_at.desc(), Message.id).limit(limit).offset(offset)
    ))


# What may be sent again: what has gone or was given up on. A message still waiting (or being
# sent) cannot go again yet; a withdrawn one was withdrawn because it no longer applies.
RESENDABLE_STATUSES = ("sent", "recorded", "failed", "skipped")


def resend(session: Session, message: Message, *, now: datetime | None = None) -> Message:
    """Send a message again (the dashboard's resend button): a new message, due now, that
    points at the one it repeats. It goes to the recipient's current address when the
    customer or staff member has changed it since."""
    now = resolve_now(now)
    if message.status in ("pending", "sending"):
        raise ValidationError("This message is still waiting to be sent.", param="message_id")
    if message.status not in RESENDABLE_STATUSES:
        raise ValidationError("This message was withdrawn; it no longer applies.", param="message_id")
    recipient = message.recipient
    if message.customer_id is not None:
        customer = session.get(Customer, message.customer_id)
        if customer is not None:
            recipient = (customer.email if message.channel == "email" else customer.phone) or recipient
    elif message.staff_id is not None:
        member = session.get(Staff, message.staff_id)
        if member is not None and message.channel == "email" and member.email:
            recipient = member.email
    copy = new_message(session, business_id=message.business_id, kind=message.kind, channel=message.channel,
                       recipient=recipient, recipient_name=message.recipient_name, now=now,
                       booking=message.booking, customer_id=message.customer_id, staff_id=message.staff_id,
                       facts=message.facts)
    copy.resent_from_id = message.id
    session.flush()
    return copy
