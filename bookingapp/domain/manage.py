"""What a customer may do to their own booking without logging in (the wizard and the
manage link), as opposed to the business (dashboard, API) acting on it.

The views of the public site only ask these questions; the answers live here so the
rule is the same wherever the customer's door is."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bookingapp.domain import booking as booking_domain
from bookingapp.domain import cancellation
from bookingapp.domain import payments as payments_domain
from bookingapp.domain.errors import ValidationError
from bookingapp.domain.messages import N_, at_business_clock
from bookingapp.domain.payments.refunds import (  # noqa: F401  (the customer's rule, re-exported)
    CHANGEABLE_STATUSES, customer_may_change, ensure_customer_may_change,
)
from bookingapp.domain.policy import free_cancellation_deadline
from bookingapp.domain.states import MADE_STATUSES, BookingStatus, hold_ran_out as _hold_time_passed
from bookingapp.models import Booking, Business
from bookingapp.payments.base import PaymentProvider

S = BookingStatus



def is_booked(booking: Booking) -> bool:
    return booking.status in MADE_STATUSES


def hold_ran_out(booking: Booking, now: datetime) -> bool:
    """The hold is over: expired by the worker, or past its time and not yet swept."""
    return _hold_time_passed(booking.status, booking.hold_expires_at, now)


def cancel_by_customer(
    session: Session, provider: PaymentProvider, booking: Booking, *, now: datetime, reason: str,
) -> payments_domain.CancelOutcome:
    """The customer cancels: refused once the visit has started; the refund follows the
    business's cancellation policy (domain.cancellation.cancel, as on every door)."""
    ensure_customer_may_change(booking, now, action="cancel")
    return cancellation.cancel(session, provider, booking, reason=reason, now=now, actor="customer")


def release_own_hold(session: Session, provider: PaymentProvider, booking: Booking, *, now: datetime) -> bool:
    """The customer gives back a time they hold (they chose another one, or pressed
    "Change time"), so it is free again at once instead of blocking them, or anyone, until
    the hold runs out. Only a hold is released: a booking already made is never touched
    here (it is cancelled, under the policy). Anything paid on the hold is refunded in
    full (domain.cancellation.release). Returns whether a hold was released.

    Which hold is "the customer's own" is for the door to know (the wizard remembers it in
    the visitor's session); the domain releases only the booking it is given."""
    if booking.status != S.HELD:
        return False
    cancellation.release(session, provider, booking, now=now, actor="customer")
    return True


def reschedule_by_customer(
    session: Session, booking: Booking, business: Business, start: datetime, *, now: datetime,
) -> Booking:
    """The customer moves their booking: refused once the visit has started; otherwise
    the same domain.booking.reschedule the dashboard and the API use."""
    ensure_customer_may_change(booking, now, action="move")
    deadline = free_cancellation_deadline(booking, business)
    if now > deadline:
        # Past the policy's deadline the booking is the customer's to keep or cancel (with
        # the deposit kept), not to move: a move would otherwise dodge the policy.
        raise ValidationError(
            N_("Bookings can be moved online until %(deadline)s. Please contact %(business)s to change it."),
            params={"deadline": at_business_clock(deadline, business.timezone), "business": business.name},
            param="booking_id", details={"deadline": deadline.isoformat()},
        )
    return booking_domain.reschedule(session, booking, business, start, now=now, actor="customer")


def refunded_because_not_booked(session: Session, booking: Booking) -> int:
    """Cents refunded automatically on a booking that was never made: paid after its
    hold ran out and the time was taken (expired), or after it was released (cancelled)
    (see domain.payments.confirm_checkout). 0 for anything else."""
    if booking.status not in (S.EXPIRED, S.CANCELLED):
        return 0
    money = payments_domain.balance(session, booking)
    return money.refunded_cents if money.paid_cents else 0


def refund_notice(session: Session, booking: Booking) -> str | None:
    """What to tell a wizard customer whose payment was refunded because the booking
    could not be made: "refunded_time_taken" or "refunded_not_bookable"; else None."""
    if not refunded_because_not_booked(session, booking):
        return None
    return "refunded_time_taken" if booking.status == S.EXPIRED else "refunded_not_bookable"
