"""Reviews: the list with filters and sorts, the average and distribution, and a reply
written in place (htmx). The rules are domain.review_replies' (the API uses them too)."""
from __future__ import annotations

import uuid

from flask import abort, request
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bookingapp.auth import require
from bookingapp.dashboard import NAV, all_or_nothing, bp, now_utc, page_number, render
from bookingapp.domain.errors import DomainError
from bookingapp.domain.review_replies import SORTS, rating_distribution, reply_to_review, review_query
from bookingapp.domain.reviews import rating_summary
from bookingapp.extensions import db
from bookingapp.models import Booking, Review

NAV.append(("dashboard.reviews", "Reviews", "reviews"))
PAGE_SIZE = 25
REPLIED = {"": None, "yes": True, "no": False}


def _filters() -> tuple[dict, list[str]]:
    """The filters from the query string; unknown values are reported, never guessed."""
    errors = []
    raw_rating = request.args.get("rating", "")
    rating = None
    if raw_rating:
        if raw_rating in {"1", "2", "3", "4", "5"}:
            rating = int(raw_rating)
        else:
            errors.append("Rating must be 1 to 5 stars.")
    replied = request.args.get("replied", "")
    if replied not in REPLIED:
        errors.append("Replied must be yes or no.")
        replied = ""
    sort = request.args.get("sort", "newest")
    if sort not in SORTS:
        errors.append(f"Sort must be one of: {', '.join(SORTS)}.")
        sort = "newest"
    page = page_number(request.args.get("page"))
    return {"rating": rating, "replied": replied, "sort": sort, "page": page}, errors


@bp.get("/reviews")
@require("reviews")
def reviews():
    business = current_user.business
    filters, errors = _filters()
    query = review_query(business, rating=filters["rating"], has_reply=REPLIED[filters["replied"]], sort=filters["sort"])
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    # Each card shows its booking's number and service: loaded with the page, not one by one.
    rows = db.session.scalars(
        query.options(selectinload(Review.booking).selectinload(Booking.service))
        .offset((filters["page"] - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    average, count = rating_summary(db.session, business)
    distribution = rating_distribution(db.session, business)
    return render(
        "dashboard/_review_list.html", "dashboard/reviews.html", status=400 if errors else 200,
        business=business, reviews=rows, total=total, filters=filters, errors=errors, average=average,
        count=count, distribution=distribution, widest=max(distribution.values()) or 1, sorts=list(SORTS),
        page_size=PAGE_SIZE,
    )


def _own_review(review_id: uuid.UUID) -> Review:
    review = db.session.get(Review, review_id)
    if review is None or review.business_id != current_user.business_id:
        abort(404)
    return review


@bp.get("/reviews/<uuid:review_id>/reply")
@require("reviews")
def review_reply_form(review_id):
    """The reply box opened in place of the review's reply line (?cancel=1 closes it)."""
    review = _own_review(review_id)
    editing = not request.args.get("cancel")
    return render("dashboard/_review.html", "dashboard/review.html", business=current_user.business,
                  review=review, editing=editing, draft=review.business_reply or "")


@bp.post("/reviews/<uuid:review_id>/reply")
@require("reviews")
def review_reply(review_id):
    review = _own_review(review_id)
    draft = request.form.get("reply", "")
    try:
        with all_or_nothing():
            reply_to_review(db.session, current_user.business, review, draft, now=now_utc())
    except DomainError as error:
        # What was typed comes back with the reason, so nothing is lost.
        return render("dashboard/_review.html", "dashboard/review.html", status=422, business=current_user.business,
                      review=_own_review(review_id), editing=True, draft=draft, error=error.message)
    return render("dashboard/_review.html", "dashboard/review.html", business=current_user.business, review=review,
                  editing=False, saved=True)
