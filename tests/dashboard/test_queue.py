"""The approval queue: pending bookings listed soonest first, approved or declined in one
click (htmx or a plain form), the customer told, and the menu's count from one query."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from bookingapp.domain import booking as booking_ops
from bookingapp.models import Booking, Message
from tests.helpers import MONDAY, at, before


@pytest.fixture
def waiting(app, session, salon, make_customer):
    """Two bookings waiting for approval (auto_confirm off): Alice at 11:00, Bob at 10:00,
    and one confirmed booking, made before approval was switched on."""
    business, service, alice, bob = salon
    confirmed = booking_ops.create_booking(session, business, service, at(MONDAY, 15), make_customer(business),
                                           staff=alice, now=before())
    business.auto_confirm = False
    late = booking_ops.create_booking(session, business, service, at(MONDAY, 11), make_customer(business, name="Lin"),
                                      staff=alice, now=before())
    early = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business, name="Eve"),
                                       staff=bob, now=before())
    session.commit()
    app.config["CLOCK"] = lambda: before(MONDAY)
    assert (late.status, early.status, confirmed.status) == ("pending", "pending", "confirmed")
    return early, late, confirmed


def _approved_messages(session, booking_id):
    return session.scalars(select(Message).where(Message.booking_id == booking_id, Message.audience == "customer",
                                                 Message.kind == "booking_approved")).all()


def test_queue_lists_pending_bookings_soonest_first(salon, waiting, as_role):
    early, late, confirmed = waiting
    html = as_role(salon[0], "front_desk").get("/dashboard/approvals").get_data(as_text=True)
    numbers = re.findall(r'<tr data-booking="([^"]+)"', html)
    assert numbers == [early.booking_number, late.booking_number]
    assert confirmed.booking_number not in numbers
    assert 'data-pending-count="2"' in html


def test_approving_with_htmx_confirms_tells_the_customer_and_updates_the_count(salon, waiting, as_role, session):
    early, late, _ = waiting
    dash = as_role(salon[0], "owner")
    dash.get("/dashboard/approvals")
    response = dash.post(f"/dashboard/approvals/{early.id}/approve", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="approval-queue"')
    assert early.booking_number not in re.findall(r'<tr data-booking="([^"]+)"', html)
    # The menu's badge follows, out of band.
    assert 'id="queue-count"' in html and 'hx-swap-oob="true"' in html and 'data-pending-count="1"' in html
    assert response.headers["HX-Trigger"] == "day-changed"
    session.expire_all()
    assert session.get(Booking, early.id).status == "confirmed"
    assert len(_approved_messages(session, early.id)) == 1
    assert session.get(Booking, late.id).status == "pending"


def test_declining_with_a_plain_form_cancels_and_redirects_back(salon, waiting, as_role, session):
    early, _, _ = waiting
    dash = as_role(salon[0], "manager")
    dash.get("/dashboard/approvals")
    response = dash.post(f"/dashboard/approvals/{early.id}/decline")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/approvals")
    session.expire_all()
    declined = session.get(Booking, early.id)
    assert declined.status == "cancelled" and declined.cancellation_reason == "Declined by the business"
    assert session.scalars(select(Message).where(Message.booking_id == early.id, Message.audience == "customer",
                                                 Message.kind == "booking_cancelled")).one()
    page = dash.get("/dashboard/approvals").get_data(as_text=True)
    assert "declined; the customer has been told" in page


def test_answering_a_booking_no_longer_waiting_is_refused_and_changes_nothing(salon, waiting, as_role, session):
    _, _, confirmed = waiting
    dash = as_role(salon[0], "owner")
    dash.get("/dashboard/approvals")
    response = dash.post(f"/dashboard/approvals/{confirmed.id}/decline", htmx=True)
    assert response.status_code == 422
    assert "no longer waiting for approval" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Booking, confirmed.id).status == "confirmed"


def test_staff_cannot_answer_and_do_not_see_the_queue_link(salon, waiting, as_role, session):
    early, _, _ = waiting
    dash = as_role(salon[0], "staff", staff=salon[2])
    assert dash.post(f"/dashboard/approvals/{early.id}/approve").status_code == 403
    assert 'data-nav="approvals"' not in dash.get("/dashboard/day").get_data(as_text=True)
    session.expire_all()
    assert session.get(Booking, early.id).status == "pending"


def test_menu_count_is_one_count_query_on_every_page(salon, waiting, as_role, app):
    from bookingapp.extensions import db

    dash = as_role(salon[0], "owner")
    statements = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        html = dash.get(f"/dashboard/day?date={MONDAY}").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert 'data-nav="approvals"' in html and 'data-pending-count="2"' in html
    counts = [s for s in statements if "count(bookings.id)" in s.lower()]
    assert len(counts) == 1
