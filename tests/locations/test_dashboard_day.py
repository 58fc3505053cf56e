"""The dashboard's day view per location: a switcher when the business has several; one
branch's day shows its staff in their hours there, its own bookings, and the time its
staff spend at the other branch as away."""
from __future__ import annotations

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.schedule import day_schedule
from tests.helpers import MONDAY, at, before


def test_a_branchs_day_shows_its_staff_hours_and_bookings_and_time_away_at_the_other(
        session, branches, make_customer):
    business, service, alice, bob, main, riverside = branches
    customer = make_customer(business)
    morning = booking_ops.create_booking(session, business, service, at(MONDAY, 9), customer, staff=alice,
                                         now=before(), location=main)
    afternoon = booking_ops.create_booking(session, business, service, at(MONDAY, 13), customer, staff=alice,
                                           now=before(), location=riverside)
    session.commit()
    river = day_schedule(session, business, MONDAY, now=before(), location=riverside)
    assert [column.staff.name for column in river.columns] == ["Alice"]
    (alice_column,) = river.columns
    assert [block.booking.id for block in alice_column.bookings] == [afternoon.id]
    assert river.hour_marks[0][1] == "10:00"  # Riverside opens at 10
    # Her hours there are 13:00-16:00: one working window.
    assert len(alice_column.working) == 1 and alice_column.working[0].height == 180
    whole = day_schedule(session, business, MONDAY, now=before())
    assert {block.booking.id for column in whole.columns for block in column.bookings} == {morning.id, afternoon.id}
    at_main = day_schedule(session, business, MONDAY, now=before(), location=main)
    alice_at_main = next(column for column in at_main.columns if column.staff.id == alice.id)
    assert [block.booking.id for block in alice_at_main.bookings] == [morning.id]
    assert any(block.label == "At Riverside" for block in alice_at_main.time_off)


def test_the_day_view_offers_a_location_switcher_when_there_are_several(session, branches, as_role, salon):
    business, service, alice, bob, main, riverside = branches
    dash = as_role(business, "owner")
    html = dash.get(f"/dashboard/day?date={MONDAY}").get_data(as_text=True)
    assert 'name="location"' in html and "All locations" in html and "Riverside" in html
    at_river = dash.get(f"/dashboard/day?date={MONDAY}&location={riverside.id}").get_data(as_text=True)
    assert 'data-staff="Alice"' in at_river and 'data-staff="Bob"' not in at_river
    assert f"location={riverside.id}" in at_river  # the previous/next day links keep the branch
    assert dash.get(f"/dashboard/day?date={MONDAY}&location=not-a-location").status_code == 404


def test_a_business_with_one_location_has_no_switcher(session, salon, as_role):
    business, *_ = salon
    dash = as_role(business, "owner")
    assert "All locations" not in dash.get(f"/dashboard/day?date={MONDAY}").get_data(as_text=True)
