"""Pages whose query count does not grow with their rows (no N+1), and the day view reads
only its own business's staff links."""
from __future__ import annotations

import contextlib

from sqlalchemy import event

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.reviews import leave_review
from bookingapp.extensions import db
from tests.helpers import MONDAY, at, before


@contextlib.contextmanager
def statements(app):
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _served(session, salon, customer, hour, staff, *, day=MONDAY):
    business, service, *_ = salon
    booking = booking_ops.create_booking(session, business, service, at(day, hour), customer, staff=staff, now=before())
    booking_ops.start(session, booking, now=at(day, hour))
    booking_ops.complete(session, booking, now=at(day, hour, 50))
    return booking


def _count(app, dash, url):
    with statements(app) as seen:
        response = dash.get(url)
    assert response.status_code == 200
    return len(seen)


def test_reviews_and_client_history_do_not_query_per_row(app, session, salon, make_customer, make_service, as_role):
    business, service, alice, bob = salon
    regular = make_customer(business, email="regular@example.com")
    first = _served(session, salon, regular, 9, alice)
    leave_review(session, first, rating=5, comment="Great", would_recommend=True)
    session.commit()
    dash = as_role(business, "owner")
    reviews_one = _count(app, dash, "/dashboard/reviews")
    history_one = _count(app, dash, f"/dashboard/clients/{regular.id}")
    other_service = make_service(business, name="Colour")
    alice.services.append(other_service)
    bob.services.append(other_service)
    session.commit()
    for hour, staff in ((11, bob), (13, alice), (15, bob), (17, alice)):
        booking = _served(session, salon, regular, hour, staff)
        if hour == 13:
            booking.service = other_service
        leave_review(session, _served(session, salon, make_customer(business), hour, staff, day=MONDAY.replace(day=MONDAY.day + 1)),
                     rating=3, comment="Fine", would_recommend=True)
    session.commit()
    assert _count(app, dash, "/dashboard/reviews") == reviews_one
    assert _count(app, dash, f"/dashboard/clients/{regular.id}") == history_one


def test_day_view_reads_only_its_own_business_staff_links(app, session, salon, make_business, make_service,
                                                         make_staff, as_role):
    business = salon[0]
    other = make_business()
    make_staff(other, [make_service(other)], name="Elsewhere")
    dash = as_role(business, "owner")
    with statements(app) as seen:
        assert dash.get(f"/dashboard/day?date={MONDAY}").status_code == 200
    links = [s for s in seen if "staff_services" in s and "JOIN" not in s.upper() and "staff_services.service_id" not in s]
    assert links == [], links
