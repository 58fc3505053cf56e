"""Moving a booking from the dashboard: the Move form's free times, the move itself through
domain.booking.reschedule (the customer told, unless the box is ticked), refusals that
change nothing, and who may move what."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.models import Booking, Message
from tests.helpers import MONDAY, at, before


@pytest.fixture
def booked(app, session, salon, make_customer):
    """Alice's 10:00 booking on MONDAY; Bob is busy 14:00-15:00. The clock: the Saturday before."""
    business, service, alice, bob = salon
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                         staff=alice, now=before())
    busy = booking_ops.create_booking(session, business, service, at(MONDAY, 14), make_customer(business),
                                      staff=bob, now=before())
    session.commit()
    app.config["CLOCK"] = lambda: before(MONDAY, days=2)
    return booking, busy


def _rescheduled_messages(session, booking_id=None):
    query = select(Message).where(Message.kind == "booking_rescheduled", Message.audience == "customer")
    if booking_id is not None:
        query = query.where(Message.booking_id == booking_id)
    return session.scalars(query).all()


def test_move_form_lists_the_chosen_staff_members_free_times(salon, booked, as_role):
    business, service, alice, bob = salon
    booking, _ = booked
    dash = as_role(business, "owner")
    html = dash.get(f"/dashboard/bookings/{booking.id}/move", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.lstrip().startswith("{#") or html.lstrip().startswith('<section id="move-form"')
    times = re.findall(r'data-time="(\d\d:\d\d)"', html)
    # The booking's own 10:00 counts as free for it; the grid is the business's 15 minutes.
    assert times[0] == "09:00" and "10:00" in times and times[-1] == "17:00"
    assert "(now)" in html
    bob_html = dash.get(f"/dashboard/bookings/{booking.id}/move?day={MONDAY}&staff_id={bob.id}",
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    bob_times = re.findall(r'data-time="(\d\d:\d\d)"', bob_html)
    # Bob's 14:00 booking takes 13:15-14:45 starts away (a 60-minute service).
    assert "13:00" in bob_times and "14:00" not in bob_times and "13:15" not in bob_times and "15:00" in bob_times
    assert "(now)" not in bob_html
    # Without htmx: the booking's page, the panel with the form open inside it.
    page = dash.get(f"/dashboard/bookings/{booking.id}/move").get_data(as_text=True)
    assert "<html" in page and 'id="booking-panel"' in page and 'id="move-form"' in page


def test_panel_offers_the_move_form_to_the_desk(salon, booked, as_role):
    business, *_ = salon
    booking, _ = booked
    html = as_role(business, "front_desk").get(f"/dashboard/bookings/{booking.id}").get_data(as_text=True)
    assert f"/dashboard/bookings/{booking.id}/move" in html and 'data-action="open-move"' in html


def test_move_to_another_staff_member_and_time_tells_the_customer(session, salon, booked, as_role):
    business, service, alice, bob = salon
    booking, _ = booked
    dash = as_role(business, "owner")
    response = dash.post(f"/dashboard/bookings/{booking.id}/move", {
        "day": MONDAY.isoformat(), "staff_id": str(bob.id), "start": at(MONDAY, 11).isoformat()}, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["HX-Trigger"] == "day-changed"
    session.expire_all()
    old = session.get(Booking, booking.id)
    assert old.status == "rescheduled"
    new = session.get(Booking, old.rescheduled_to_id)
    assert (new.staff_id, new.starts_at, new.status) == (bob.id, at(MONDAY, 11), "confirmed")
    assert new.history[-1].actor.startswith("owner:")
    assert len(_rescheduled_messages(session, new.id)) == 1
    assert "Moved to" in response.get_data(as_text=True) and new.booking_number in response.get_data(as_text=True)


def test_move_without_htmx_redirects_to_the_moved_booking(session, salon, booked, as_role):
    business, service, alice, bob = salon
    booking, _ = booked
    dash = as_role(business, "front_desk")
    response = dash.post(f"/dashboard/bookings/{booking.id}/move", {
        "day": MONDAY.isoformat(), "staff_id": str(alice.id), "start": at(MONDAY, 15, 30).isoformat()})
    assert response.status_code == 303
    session.expire_all()
    new_id = session.get(Booking, booking.id).rescheduled_to_id
    assert response.headers["Location"].endswith(f"/dashboard/bookings/{new_id}")
    assert session.get(Booking, new_id).starts_at == at(MONDAY, 15, 30)


def test_ticked_box_keeps_the_customers_message_back(session, salon, booked, as_role):
    business, service, alice, bob = salon
    booking, _ = booked
    dash = as_role(business, "owner")
    response = dash.post(f"/dashboard/bookings/{booking.id}/move", {
        "day": MONDAY.isoformat(), "staff_id": str(alice.id), "start": at(MONDAY, 12).isoformat(),
        "skip_notifications": "1"}, htmx=True)
    assert response.status_code == 200
    session.expire_all()
    assert session.get(Booking, booking.id).status == "rescheduled"
    assert _rescheduled_messages(session) == []


def test_move_onto_a_taken_time_is_refused_and_changes_nothing(session, salon, booked, as_role):
    business, service, alice, bob = salon
    booking, busy = booked
    dash = as_role(business, "owner")
    messages_before = session.scalar(select(Message.id).order_by(Message.created_at.desc()).limit(1))
    response = dash.post(f"/dashboard/bookings/{booking.id}/move", {
        "day": MONDAY.isoformat(), "staff_id": str(bob.id), "start": at(MONDAY, 14).isoformat()}, htmx=True)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and "Bob is not free at Mon 3 Jun 14:00" in html
    assert 'id="move-form"' in html  # the form stays open with fresh times
    off_grid = dash.post(f"/dashboard/bookings/{booking.id}/move", {
        "day": MONDAY.isoformat(), "staff_id": str(bob.id), "start": at(MONDAY, 11, 7).isoformat()}, htmx=True)
    assert off_grid.status_code == 422 and "Not moved" in off_grid.get_data(as_text=True)
    session.expire_all()
    assert session.get(Booking, booking.id).status == "confirmed"
    assert session.get(Booking, booking.id).starts_at == at(MONDAY, 10)
    assert session.scalars(select(Booking).where(Booking.rescheduled_from_id == booking.id)).all() == []
    assert _rescheduled_messages(session) == []
    assert session.scalar(select(Message.id).order_by(Message.created_at.desc()).limit(1)) == messages_before


def test_a_finished_booking_cannot_be_moved(session, salon, booked, as_role):
    business, *_ = salon
    booking, _ = booked
    booking_ops.cancel(session, booking, now=before())
    session.commit()
    dash = as_role(business, "owner")
    html = dash.get(f"/dashboard/bookings/{booking.id}").get_data(as_text=True)
    assert 'data-action="open-move"' not in html
    response = dash.post(f"/dashboard/bookings/{booking.id}/move", {
        "day": MONDAY.isoformat(), "staff_id": str(booking.staff_id), "start": at(MONDAY, 12).isoformat()}, htmx=True)
    assert response.status_code == 422 and "cannot be moved" in response.get_data(as_text=True)


def test_another_business_booking_is_not_found(salon, booked, as_role, make_business):
    booking, _ = booked
    dash = as_role(make_business(slug="elsewhere"), "owner")
    assert dash.get(f"/dashboard/bookings/{booking.id}/move").status_code == 404
    response = dash.post(f"/dashboard/bookings/{booking.id}/move", {
        "day": MONDAY.isoformat(), "staff_id": str(booking.staff_id), "start": at(MONDAY, 12).isoformat()})
    assert response.status_code == 404


def test_staff_without_the_manage_permission_cannot_move(session, salon, booked, as_role):
    business, service, alice, bob = salon
    booking, _ = booked
    dash = as_role(business, "staff", staff=alice)  # Alice's own booking, but staff only read
    assert dash.get(f"/dashboard/bookings/{booking.id}/move").status_code == 403
    response = dash.post(f"/dashboard/bookings/{booking.id}/move", {
        "day": MONDAY.isoformat(), "staff_id": str(alice.id), "start": at(MONDAY, 12).isoformat()})
    assert response.status_code == 403
    assert 'data-action="open-move"' not in dash.get(f"/dashboard/bookings/{booking.id}").get_data(as_text=True)
    session.expire_all()
    assert session.get(Booking, booking.id).status == "confirmed"


def test_a_free_gap_opens_the_new_booking_form_with_staff_and_time_chosen(salon, booked, as_role):
    business, service, alice, bob = salon
    dash = as_role(business, "front_desk")
    html = dash.get(f"/dashboard/day?date={MONDAY}").get_data(as_text=True)
    bob_column = html.split('data-staff="Bob"')[1]
    # Bob is busy 14:00-15:00: his second gap starts at 15:00.
    links = re.findall(r'<a class="block free gap" href="([^"]+)"', bob_column)
    assert len(links) == 2
    form = dash.get(links[1].replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(rf'<option selected value="{service.id}">', form)
    assert re.search(rf'<option selected value="{bob.id}">', form)
    assert re.search(r'<option selected value="2030-06-03T14:00:00\+00:00">15:00</option>', form)
    # Staff (read only) see the gaps but no way into the form.
    staff_html = as_role(business, "staff", staff=bob).get(f"/dashboard/day?date={MONDAY}").get_data(as_text=True)
    assert "block free gap" not in staff_html and "block free" in staff_html


def test_week_shows_monday_to_sunday_for_everyone_or_one_staff_member(session, salon, booked, as_role,
                                                                       make_customer):
    business, service, alice, bob = salon
    booking, busy = booked
    sunday = booking_ops.create_booking(session, business, service, at(MONDAY.replace(day=9), 11),
                                        make_customer(business), staff=alice, now=before())
    session.commit()
    dash = as_role(business, "owner")
    html = dash.get(f"/dashboard/week?date={MONDAY.replace(day=5)}").get_data(as_text=True)
    days = re.findall(r'<section class="week-day[^"]*" data-day="([\d-]+)"', html)
    assert days == [f"2030-06-0{d}" for d in range(3, 10)]
    for b in (booking, busy, sunday):
        assert f'data-booking="{b.booking_number}"' in html
    assert f"/dashboard/bookings/{booking.id}" in html  # the same panel as the day view
    alice_week = dash.get(f"/dashboard/week?date={MONDAY}&staff={alice.id}").get_data(as_text=True)
    assert booking.booking_number in alice_week and sunday.booking_number in alice_week
    assert busy.booking_number not in alice_week
    assert f"/dashboard/week?date={MONDAY}" in dash.get(f"/dashboard/day?date={MONDAY}").get_data(as_text=True)
    # Staff see their own week whatever they ask for.
    bob_dash = as_role(business, "staff", staff=bob)
    bobs = bob_dash.get(f"/dashboard/week?date={MONDAY}&staff={alice.id}").get_data(as_text=True)
    assert busy.booking_number in bobs and booking.booking_number not in bobs


def test_opening_the_move_form_of_a_cancelled_booking_says_why_not(session, salon, booked, as_role):
    business, *_ = salon
    booking, _ = booked
    dash = as_role(business, "owner")
    booking_ops.cancel(session, booking, now=before())
    session.commit()
    response = dash.get(f"/dashboard/bookings/{booking.id}/move", headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert 'id="move-form"' in response.get_data(as_text=True) and "cancelled booking cannot be moved" in response.get_data(as_text=True)


def test_the_business_moves_a_booking_inside_the_online_notice_window(app, session, salon, booked, as_role):
    """The minimum notice is for customers booking online: the Move form offers the next hour,
    and the move to it goes through (domain.booking.reschedule with front_desk)."""
    business, service, alice, bob = salon
    booking, _ = booked
    business.min_notice_minutes = 240
    session.commit()
    app.config["CLOCK"] = lambda: at(MONDAY, 8)
    response = as_role(business, "owner").post(f"/dashboard/bookings/{booking.id}/move", {
        "day": MONDAY.isoformat(), "staff_id": str(alice.id), "start": at(MONDAY, 9).isoformat()}, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    session.expire_all()
    moved = session.get(Booking, session.get(Booking, booking.id).rescheduled_to_id)
    assert moved.starts_at == at(MONDAY, 9)
