"""Customer reviews: one per booking, only after a completed visit."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bookingapp.domain.clock import resolve_now
from bookingapp.domain.errors import ValidationError
from bookingapp.domain.messages import N_
from bookingapp.domain.outbox import iso, record_event
from bookingapp.domain.test_mode import test_bookings
from bookingapp.models import Booking, Business, Review

MAX_COMMENT_LENGTH = 2000


def public_name(full_name: str | None) -> str:
    """How a reviewer is shown publicly: first name and last initial ("Olivia T.")."""
    parts = (full_name or "").split()
    if not parts:
        return "Customer"
    return f"{parts[0]} {parts[-1][0]}." if len(parts) > 1 else parts[0]


def review_of(session: Session, booking: Booking) -> Review | None:
    return session.scalars(select(Review).where(Review.booking_id == booking.id)).one_or_none()


def can_review(session: Session, booking: Booking) -> bool:
    return booking.status == "completed" and review_of(session, booking) is None


def leave_review(
    session: Session, booking: Booking, *, rating, comment: str | None, would_recommend: bool,
    now: datetime | None = None,
) -> Review:
    if booking.status != "completed":
        raise ValidationError(N_("A review can be left once the visit is completed."), param="booking_id")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        raise ValidationError(N_("Rating must be a whole number from 1 to 5."), param="rating") from None
    if not 1 <= rating <= 5:
        raise ValidationError(N_("Rating must be from 1 to 5 stars."), param="rating")
    comment = (comment or "").strip() or None
    if comment and len(comment) > MAX_COMMENT_LENGTH:
        raise ValidationError(N_("Comment is too long (%(limit)s characters at most)."), params={"limit": MAX_COMMENT_LENGTH},
                              param="comment")
    if review_of(session, booking) is not None:
        raise ValidationError(N_("This booking has already been reviewed."), param="booking_id")
    review = Review(
        business_id=booking.business_id, booking_id=booking.id, rating=rating, comment=comment,
        would_recommend=bool(would_recommend),
        customer_name=public_name(booking.customer.name if booking.customer else None),
        created_at=resolve_now(now),  # the one clock, not the column's default wall clock
    )
    try:
        # The unique key on booking_id settles two submissions at once.
        with session.begin_nested():
            session.add(review)
    except IntegrityError:
        raise ValidationError(N_("This booking has already been reviewed."), param="booking_id") from None
    record_event(session, booking.business_id, "review.created", {
        "id": str(review.id), "booking_id": str(booking.id), "rating": review.rating, "comment": review.comment,
        "would_recommend": review.would_recommend, "customer_name": review.customer_name,
        "created_at": iso(review.created_at),
    }, now=review.created_at)
    return review


def live_reviews() -> ColumnElement[bool]:
    """SQL predicate over Review: reviews of live bookings only. A review left on a test
    booking (made with a test API key) is not the business's reputation."""
    return ~exists().where(Booking.id == Review.booking_id, test_bookings())


def reviews_of(*, test: bool = False) -> ColumnElement[bool]:
    """Reviews of live bookings, or (test=True, for a test API key) of test bookings only."""
    return ~live_reviews() if test else live_reviews()


def rating_summary(session: Session, business: Business, *, test: bool = False) -> tuple[float | None, int]:
    average, count = session.execute(
        select(func.avg(Review.rating), func.count(Review.id)).where(Review.business_id == business.id, reviews_of(test=test))
    ).one()
    return (round(float(average), 1) if average is not None else None), int(count)


def recent_reviews(session: Session, business: Business, limit: int = 5) -> list[Review]:
    return list(session.scalars(
        select(Review).where(Review.business_id == business.id, live_reviews())
        .order_by(Review.created_at.desc()).limit(limit)
    ))
