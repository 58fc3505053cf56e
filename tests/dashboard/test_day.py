"""The day view, the booking panel's transitions and the front-desk new-booking form."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.schedule import day_schedule
from bookingapp.models import Booking
from tests.helpers import MONDAY, at, before


def _book(session, salon, make_customer, hour, staff, status_steps=()):
    business, service, *_ = salon
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, hour), make_customer(business),
                                         staff=staff, now=before())
    for step in status_steps:
        step(session, booking, now=before())
    session.commit()
    return booking


def test_schedule_places_bookings_time_off_and_gaps_per_staff(session, salon, make_customer, make_time_off):
    business, service, alice, bob = salon
    booking = _book(session, salon, make_customer, 10, alice)
    make_time_off(business, at(MONDAY, 14), at(MONDAY, 15), staff=bob)
    schedule = day_schedule(session, business, MONDAY, now=at(MONDAY, 11, 30))
    assert [c.staff.name for c in schedule.columns] == ["Alice", "Bob"]
    alice_col, bob_col = schedule.columns
    assert [b.booking.id for b in alice_col.bookings] == [booking.id]
    assert alice_col.bookings[0].top == 60 and alice_col.bookings[0].height == 60  # grid starts 09:00
    assert [(g.top, g.height) for g in alice_col.free] == [(0, 60), (120, 420)]
    assert [(t.top, t.height) for t in bob_col.time_off] == [(300, 60)]
    assert schedule.now_offset == 150
    assert schedule.hour_marks[0] == (0, "09:00")


def test_staff_role_sees_only_their_own_column(session, salon, make_customer, as_role):
    business, service, alice, bob = salon
    _book(session, salon, make_customer, 10, alice)
    _book(session, salon, make_customer, 11, bob)
    dash = as_role(business, "staff", staff=alice)
    html = dash.get(f"/dashboard/day?date={MONDAY}").get_data(as_text=True)
    assert 'data-staff="Alice"' in html and 'data-staff="Bob"' not in html


def test_day_view_shows_bookings_in_columns_and_partial_for_htmx(session, salon, make_customer, as_role):
    business, service, alice, bob = salon
    booking = _book(session, salon, make_customer, 10, bob)
    dash = as_role(business, "front_desk")
    page = dash.get(f"/dashboard/day?date={MONDAY}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    bob_column = html.split('data-staff="Bob"')[1]
    assert booking.booking_number in bob_column and 'data-start="10:00"' in bob_column
    assert 'hx-trigger="every 60s' in html
    partial = dash.get(f"/dashboard/day?date={MONDAY}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert partial.lstrip().startswith("{#") or partial.lstrip().startswith("<div id=\"day-columns\"")
    assert "<html" not in partial
    assert dash.get("/dashboard/day?date=not-a-date").status_code == 400


def test_panel_offers_exactly_the_allowed_transitions(app, session, salon, make_customer, as_role):
    business, service, alice, _ = salon
    booking = _book(session, salon, make_customer, 10, alice)
    app.config["CLOCK"] = lambda: at(MONDAY, 9, 55)  # the client arrives five minutes early
    dash = as_role(business, "front_desk")
    html = dash.get(f"/dashboard/bookings/{booking.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert set(re.findall(r'data-transition="(\w+)"', html)) == {"in_progress", "cancelled", "no_show"}
    response = dash.post(f"/dashboard/bookings/{booking.id}/status", {"status": "in_progress"}, htmx=True)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "day-changed"
    html = response.get_data(as_text=True)
    assert set(re.findall(r'data-transition="(\w+)"', html)) == {"completed", "cancelled"}
    refused = dash.post(f"/dashboard/bookings/{booking.id}/status", {"status": "confirmed"}, htmx=True)
    assert refused.status_code == 422 and "Valid transitions: completed, cancelled" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Booking, booking.id).status == "in_progress"


def test_no_show_the_evening_before_is_refused_with_the_reason(app, session, salon, make_customer, as_role):
    business, service, alice, _ = salon
    booking = _book(session, salon, make_customer, 10, alice)
    app.config["CLOCK"] = lambda: at(MONDAY, 10) - timedelta(hours=14)  # Sunday 20:00
    dash = as_role(business, "front_desk")
    refused = dash.post(f"/dashboard/bookings/{booking.id}/status", {"status": "no_show"}, htmx=True)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'role="alert"' in html and "HX-Trigger" not in refused.headers
    assert "This booking can be marked a no-show from Mon 03 Jun 2030 10:00 on; it starts at 10:00." in html
    early = dash.post(f"/dashboard/bookings/{booking.id}/status", {"status": "in_progress"}, htmx=True)
    assert early.status_code == 422 and "can be started from Mon 03 Jun 2030 09:30 on" in early.get_data(as_text=True)
    session.expire_all()
    assert session.get(Booking, booking.id).status == "confirmed"
    assert [e.to_status for e in session.get(Booking, booking.id).history] == ["confirmed"]
    # Once the appointment has begun the same button works.
    app.config["CLOCK"] = lambda: at(MONDAY, 10, 20)
    marked = dash.post(f"/dashboard/bookings/{booking.id}/status", {"status": "no_show"}, htmx=True)
    assert marked.status_code == 200
    session.expire_all()
    assert session.get(Booking, booking.id).status == "no_show"


def test_staff_cannot_change_status_or_open_others_bookings(session, salon, make_customer, as_role):
    business, service, alice, bob = salon
    mine = _book(session, salon, make_customer, 10, alice)
    theirs = _book(session, salon, make_customer, 10, bob)
    dash = as_role(business, "staff", staff=alice)
    html = dash.get(f"/dashboard/bookings/{mine.id}").get_data(as_text=True)
    assert mine.booking_number in html and "data-transition" not in html
    assert dash.get(f"/dashboard/bookings/{theirs.id}").status_code == 403
    assert dash.post(f"/dashboard/bookings/{mine.id}/status", {"status": "in_progress"}).status_code == 403


def test_front_desk_books_a_walk_in_through_the_same_rules(app, session, salon, as_role):
    business, service, alice, bob = salon
    app.config["CLOCK"] = lambda: before()
    dash = as_role(business, "front_desk")
    form = dash.get(f"/dashboard/bookings/new?service_id={service.id}&day={MONDAY}&staff_id={bob.id}").get_data(as_text=True)
    start = at(MONDAY, 9).isoformat()
    assert f'value="{start}"' in form
    data = {"service_id": str(service.id), "staff_id": str(bob.id), "day": MONDAY.isoformat(), "start": start,
            "name": "Walk In", "email": "walk.in@example.com", "phone": "", "notes": "Phoned at 8"}
    response = dash.post("/dashboard/bookings/new", data)
    assert response.status_code == 302
    booking = session.scalar(select(Booking).where(Booking.source == "dashboard"))
    assert booking.staff_id == bob.id and booking.starts_at == at(MONDAY, 9) and booking.notes == "Phoned at 8"
    # The same time again: the core refuses it and the form says so, 422.
    again = dash.post("/dashboard/bookings/new", {**data, "email": "other@example.com"}, htmx=True)
    assert again.status_code == 422 and "just taken" in again.get_data(as_text=True)
    bad = dash.post("/dashboard/bookings/new", {**data, "email": "not-an-email"}, htmx=True)
    assert bad.status_code == 422 and "Invalid email" in bad.get_data(as_text=True)


def test_front_desk_books_inside_the_online_notice_and_tells_taken_from_not_offered(app, session, make_business,
                                                                                   make_service, make_staff, as_role):
    business = make_business(min_notice_minutes=240)  # online: four hours ahead at least
    service = make_service(business)
    cleo = make_staff(business, [service], name="Cleo")
    app.config["CLOCK"] = lambda: at(MONDAY, 9, 50)
    dash = as_role(business, "front_desk")
    form = dash.get(f"/dashboard/bookings/new?service_id={service.id}&day={MONDAY}&staff_id={cleo.id}").get_data(as_text=True)
    start = at(MONDAY, 10).isoformat()
    assert f'value="{start}"' in form  # ten minutes from now: a walk-in, not bound by the online notice
    data = {"service_id": str(service.id), "staff_id": str(cleo.id), "day": MONDAY.isoformat(), "start": start,
            "name": "Walk In", "email": "walk.in@example.com", "phone": "", "notes": ""}
    assert dash.post("/dashboard/bookings/new", data).status_code == 302
    taken = dash.post("/dashboard/bookings/new", {**data, "email": "second@example.com"}, htmx=True)
    assert taken.status_code == 422 and 'data-slot-problem="taken"' in taken.get_data(as_text=True)
    off_grid = dash.post("/dashboard/bookings/new", {**data, "email": "third@example.com",
                                                     "start": at(MONDAY, 12, 7).isoformat()}, htmx=True)
    html = off_grid.get_data(as_text=True)
    assert off_grid.status_code == 422 and 'data-slot-problem="not_offered"' in html and "taken" not in html
    past = dash.post("/dashboard/bookings/new", {**data, "email": "fourth@example.com",
                                                 "start": at(MONDAY, 9).isoformat()}, htmx=True)
    assert past.status_code == 422 and 'data-slot-problem="not_offered"' in past.get_data(as_text=True)
    session.expire_all()
    assert len(session.scalars(select(Booking).where(Booking.business_id == business.id)).all()) == 1


def test_panel_buttons_are_exactly_what_change_status_accepts(session, salon, make_customer, as_role):
    from bookingapp.domain.states import manual_transitions

    business, service, alice, _ = salon
    booking = _book(session, salon, make_customer, 10, alice)
    dash = as_role(business, "owner")
    html = dash.get(f"/dashboard/bookings/{booking.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert set(re.findall(r'data-transition="(\w+)"', html)) == set(manual_transitions(booking.status))
