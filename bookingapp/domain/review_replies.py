"""The business side of reviews: listing with filters and sorts, and replying.

(bookingapp/domain/reviews.py, written alongside by the public-site work, holds the
customer side: leaving a review, the rating summary.)"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bookingapp.domain.errors import NotFound, ValidationError
from bookingapp.domain.reviews import live_reviews, reviews_of
from bookingapp.models import Business, Review
from bookingapp.domain.clock import resolve_now

SORTS = {
    "newest": (Review.created_at.desc(), Review.id),
    "oldest": (Review.created_at.asc(), Review.id),
    "highest": (Review.rating.desc(), Review.created_at.desc(), Review.id),
    "lowest": (Review.rating.asc(), Review.created_at.desc(), Review.id),
}
MAX_REPLY_LENGTH = 2000


def review_query(business: Business, *, rating: int | None = None, has_reply: bool | None = None,
                 sort: str = "newest", test: bool = False) -> Select:
    if sort not in SORTS:
        raise ValidationError(f"sort must be one of: {', '.join(SORTS)}.", param="sort")
    if rating is not None and not 1 <= rating <= 5:
        raise ValidationError("rating must be from 1 to 5.", param="rating")
    # Reviews of live bookings; test=True (a test API key) those of test bookings only.
    query = select(Review).where(Review.business_id == business.id, reviews_of(test=test))
    if rating is not None:
        query = query.where(Review.rating == rating)
    if has_reply is True:
        query = query.where(Review.business_reply.is_not(None))
    elif has_reply is False:
        query = query.where(Review.business_reply.is_(None))
    return query.order_by(*SORTS[sort])


def reply_to_review(session: Session, business: Business, review: Review, reply, *, now: datetime | None = None) -> Review:
    """Set (or replace) the business's public reply. Refused in the catalogue's words
    (domain.catalog): the owner reads them under the reply box, an integrator in the API's
    envelope (param "reply")."""
    if review is None or review.business_id != business.id:
        raise NotFound("Review not found.")
    if not isinstance(reply, str) or not reply.strip():
        raise ValidationError("The reply is required.", param="reply")
    reply = reply.strip()
    if len(reply) > MAX_REPLY_LENGTH:
        raise ValidationError(f"The reply is too long ({MAX_REPLY_LENGTH:,} characters at most).", param="reply")
    review.business_reply = reply
    review.business_reply_at = resolve_now(now)
    session.flush()
    return review


def rating_distribution(session: Session, business: Business) -> dict[int, int]:
    """How many reviews gave each star rating, 5 down to 1 (zeros included, so a chart
    always has five bars)."""
    from sqlalchemy import func

    counts = dict(session.execute(
        select(Review.rating, func.count(Review.id)).where(Review.business_id == business.id, live_reviews())
        .group_by(Review.rating)
    ).all())
    return {stars: int(counts.get(stars, 0)) for stars in range(5, 0, -1)}
