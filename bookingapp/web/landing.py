"""A business's public page (services by category, staff, opening hours, reviews), and
the site's root, which shows the demo business (or the first one)."""
from __future__ import annotations

from flask import Response
from sqlalchemy import select

from bookingapp.domain.reviews import rating_summary, recent_reviews
from bookingapp.extensions import db
from bookingapp.models import Business, Staff
from bookingapp.web.rendering import (
    bookable_services, business_or_404, grouped_by_category, render, weekday_names,
)


def _demo_business() -> Business | None:
    from bookingapp.demo import DEMO_SLUG

    businesses = db.session.scalars(
        select(Business).where(Business.is_active.is_(True)).order_by(Business.created_at)
    ).all()
    for business in businesses:
        if business.slug == DEMO_SLUG:
            return business
    return businesses[0] if businesses else None


def _landing(business: Business | None) -> Response:
    if business is None:
        return render("no_business")
    services = bookable_services(business)
    performers = [member for member in db.session.scalars(
        select(Staff).where(
            Staff.business_id == business.id, Staff.is_active.is_(True), Staff.deleted_at.is_(None),
        ).order_by(Staff.sort_order, Staff.name)
    ) if member.services]
    average, review_count = rating_summary(db.session, business)
    hours = {day: [] for day in range(7)}
    for window in business.hours:
        hours[window.weekday].append(window)
    return render(
        "landing", business=business, groups=grouped_by_category(business, services), staff=performers,
        rating=average, review_count=review_count, reviews=recent_reviews(db.session, business),
        hours=hours, day_names=weekday_names(),
    )


def index():
    return _landing(_demo_business())


def landing(slug: str):
    return _landing(business_or_404(slug))
