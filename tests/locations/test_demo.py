"""The demo salon has a second branch with its own hours, and two staff members who work at
both, each offered at a branch only in their hours there."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from bookingapp.demo import DEMO_SLUG
from bookingapp.domain import locations
from bookingapp.domain.availability import find_availability
from bookingapp.models import Booking, Business, Service, Staff
from tests.helpers import at

NOW = datetime(2030, 6, 3, 7, 0, tzinfo=timezone.utc)  # a Monday morning
SATURDAY = date(2030, 6, 8)


def test_the_demo_has_a_second_branch_shared_by_two_stylists(app, session):
    app.config["CLOCK"] = lambda: NOW
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    business = session.scalar(select(Business).where(Business.slug == DEMO_SLUG))
    main, canal = locations.active_locations(session, business)
    assert main.is_primary and canal.slug == "canal-side" and canal.hours
    assert {member.name for member in locations.staff_at(session, business, canal)} == {"Ben Hollis", "Chloe Martin"}
    assert {"Ben Hollis", "Chloe Martin"} <= {member.name for member in locations.staff_at(session, business, main)}

    chloe = session.scalar(select(Staff).where(Staff.business_id == business.id, Staff.name == "Chloe Martin"))
    manicure = session.scalar(select(Service).where(Service.business_id == business.id,
                                                    Service.name == "Classic Manicure"))
    later = NOW - timedelta(days=1)  # nothing booked yet that Saturday matters: ask on an empty diary
    on_saturday = {where.slug: [slot.start for slot in find_availability(
        session, business, manicure, SATURDAY, now=later, staff_id=chloe.id, location=where,
        exclude_booking_ids=[b.id for b in session.scalars(select(Booking).where(Booking.staff_id == chloe.id))],
    ).slots] for where in (main, canal)}
    # Mornings at the main salon, afternoons at Canal Side.
    assert on_saturday["main"] and max(on_saturday["main"]) < at(SATURDAY, 13)
    assert on_saturday["canal-side"] and min(on_saturday["canal-side"]) >= at(SATURDAY, 14)

    at_canal = session.scalars(select(Booking).where(Booking.location_id == canal.id)).all()
    assert at_canal and {booking.staff_id for booking in at_canal} <= {member.id for member in
                                                                        locations.staff_at(session, business, canal)}
    balayage = session.scalar(select(Service).where(Service.business_id == business.id, Service.name == "Balayage"))
    assert not locations.offers_service(session, balayage, canal) and locations.offers_service(session, balayage, main)
