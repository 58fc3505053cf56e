"""The approval queue: bookings made while the business confirms each one by hand
(auto_confirm off), waiting in `pending` for a yes or a no.

Approving is booking.change_status(..., "confirmed") and declining is
cancellation.cancel, the same commands as the booking panel's buttons; this module only
finds what waits, and says how a decline treats money."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from bookingapp.domain.cancellation import REFUND_EVERYTHING
from bookingapp.domain.states import BookingStatus as S
from bookingapp.domain.test_mode import live_bookings
from bookingapp.models import Booking, Business

PENDING = S.PENDING.value
# A declined request is the business saying no to a booking it never accepted: whatever
# the customer paid upfront goes back in full, whatever the cancellation policy says
# about cancellations of accepted bookings.
DECLINE_REFUND = REFUND_EVERYTHING
DECLINE_REASON = "Declined by the business"


def _waiting(business: Business, only_staff_id=None, location_ids=None):
    conditions = [Booking.business_id == business.id, Booking.status == PENDING, live_bookings()]
    if only_staff_id is not None:
        conditions.append(Booking.staff_id == only_staff_id)
    if location_ids is not None:
        # An account limited to some branches (auth.locations) answers for theirs only.
        conditions.append(Booking.location_id.in_(location_ids))
    return conditions


def pending_count(session: Session, business: Business, *, only_staff_id=None, location_ids=None) -> int:
    """How many bookings wait for approval: one COUNT, cheap enough for every page's menu."""
    return session.scalar(select(func.count(Booking.id)).where(
        *_waiting(business, only_staff_id, location_ids))) or 0


def pending_bookings(session: Session, business: Business, *, only_staff_id=None, location_ids=None,
                     limit: int = 200) -> list[Booking]:
    """The bookings waiting for approval, soonest first (the one that starts first needs
    an answer first), with their service, staff member and customer loaded in the query."""
    return list(session.scalars(
        select(Booking).where(*_waiting(business, only_staff_id, location_ids))
        .options(joinedload(Booking.service), joinedload(Booking.staff), joinedload(Booking.customer))
        .order_by(Booking.starts_at, Booking.booking_number).limit(limit)
    ).unique())
