"""Availability, holds and bookings at a location: only the staff who work there, in their
hours there, inside the location's opening hours and time zone; one staff member is never
booked at two locations at once."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from bookingapp.domain import booking as ops
from bookingapp.domain import locations
from bookingapp.domain.availability import find_availability
from bookingapp.domain.availability_cache import cached_availability
from bookingapp.domain.errors import NotFound, SlotUnavailable, ValidationError
from bookingapp.i18n import error_text
from bookingapp.models import Location, TimeOff
from tests.helpers import MONDAY, at, before

NOW = before()


def starts_of(availability, staff):
    return sorted(slot.start for slot in availability.slots if staff.id in slot.staff_ids)


def test_a_stylist_working_mornings_at_one_branch_and_afternoons_at_the_other_is_offered_only_then(session, branches):
    business, service, alice, bob, main, riverside = branches
    at_main = find_availability(session, business, service, MONDAY, now=NOW, location=main)
    at_river = find_availability(session, business, service, MONDAY, now=NOW, location=riverside)
    assert starts_of(at_main, alice) == [at(MONDAY, 9, m) for m in (0, 15, 30, 45)] + [
        at(MONDAY, 10, m) for m in (0, 15, 30, 45)] + [at(MONDAY, 11, 0)]
    assert starts_of(at_river, alice) == [at(MONDAY, 13, m) for m in (0, 15, 30, 45)] + [
        at(MONDAY, 14, m) for m in (0, 15, 30, 45)] + [at(MONDAY, 15, 0)]
    # Bob works at the primary only, all its hours; Riverside never offers him.
    assert starts_of(at_main, bob)[0] == at(MONDAY, 9) and starts_of(at_main, bob)[-1] == at(MONDAY, 17)
    assert starts_of(at_river, bob) == []


def test_no_location_means_the_primary(session, branches):
    business, service, alice, bob, main, riverside = branches
    default = find_availability(session, business, service, MONDAY, now=NOW)
    assert default.slots == find_availability(session, business, service, MONDAY, now=NOW, location=main).slots
    held = ops.hold(session, business, service, at(MONDAY, 9), staff=alice, now=NOW)
    assert held.location_id == main.id


def test_a_location_opens_only_its_own_hours_for_staff_without_hours_there(session, branches):
    business, service, alice, bob, main, riverside = branches
    locations.set_staff_locations(session, business, bob, [main, riverside])
    session.commit()
    at_river = find_availability(session, business, service, MONDAY, now=NOW, location=riverside)
    # No hours of his own at Riverside: its opening hours, 10:00-16:00, a 60-minute service.
    assert starts_of(at_river, bob)[0] == at(MONDAY, 10) and starts_of(at_river, bob)[-1] == at(MONDAY, 15)


def test_a_location_in_another_time_zone_offers_its_own_wall_clock_hours(session, branches):
    business, service, alice, bob, main, riverside = branches
    locations.update_location(session, business, riverside, {"timezone": "Europe/Paris"})
    session.commit()
    at_river = find_availability(session, business, service, MONDAY, now=NOW, location=riverside)
    assert at_river.timezone == "Europe/Paris"
    assert starts_of(at_river, alice)[0] == at(MONDAY, 13, tz="Europe/Paris")


def test_a_staff_member_booked_at_one_branch_is_not_offered_at_the_other_at_that_time(session, branches):
    business, service, alice, bob, main, riverside = branches
    # Alice at both branches all day (no hours of her own anywhere): only the booking keeps her apart.
    alice.hours.clear()
    session.commit()
    ops.hold(session, business, service, at(MONDAY, 11), staff=alice, now=NOW, location=main)
    session.commit()
    at_river = find_availability(session, business, service, MONDAY, now=NOW, location=riverside)
    assert at(MONDAY, 11) not in starts_of(at_river, alice)
    assert at(MONDAY, 10, 30) not in starts_of(at_river, alice)  # would overlap 11:00-12:00
    assert at(MONDAY, 12) in starts_of(at_river, alice)
    with pytest.raises(SlotUnavailable):
        ops.hold(session, business, service, at(MONDAY, 11, 30), staff=alice, now=NOW, location=riverside)


def test_a_staff_member_who_does_not_work_at_a_location_cannot_be_booked_there(session, branches):
    business, service, alice, bob, main, riverside = branches
    with pytest.raises(ValidationError) as refused:
        ops.hold(session, business, service, at(MONDAY, 11), staff=bob, now=NOW, location=riverside)
    assert refused.value.param == "staff_id"


def test_a_service_limited_to_some_locations_is_offered_only_there(session, branches, make_service):
    business, service, alice, bob, main, riverside = branches
    colour = make_service(business, name="Colour")
    alice.services.append(colour)
    locations.set_service_locations(session, business, colour, [main])
    session.commit()
    assert find_availability(session, business, colour, MONDAY, now=NOW, location=riverside).slots == []
    assert find_availability(session, business, colour, MONDAY, now=NOW, location=main).slots
    with pytest.raises(ValidationError) as refused:
        ops.hold(session, business, colour, at(MONDAY, 14), staff=alice, now=NOW, location=riverside)
    assert refused.value.param == "service_id"
    # Business-wide again: offered everywhere.
    locations.set_service_locations(session, business, colour, [])
    session.commit()
    assert find_availability(session, business, colour, MONDAY, now=NOW, location=riverside).slots


def test_a_closure_of_one_location_leaves_the_other_open(session, branches):
    business, service, alice, bob, main, riverside = branches
    session.add(TimeOff(business_id=business.id, location_id=riverside.id, starts_at=at(MONDAY, 0),
                        ends_at=at(MONDAY + timedelta(days=1), 0)))
    session.commit()
    assert find_availability(session, business, service, MONDAY, now=NOW, location=riverside).slots == []
    assert find_availability(session, business, service, MONDAY, now=NOW, location=main).slots


def test_a_hold_lasts_the_locations_hold_length_and_a_caller_may_only_ask_for_less(session, branches):
    business, service, alice, bob, main, riverside = branches
    locations.update_location(session, business, riverside, {"hold_seconds": 300})
    held = ops.hold(session, business, service, at(MONDAY, 13), staff=alice, now=NOW, location=riverside)
    assert held.hold_expires_at == NOW + timedelta(seconds=300)
    shorter = ops.hold(session, business, service, at(MONDAY, 14), staff=alice, now=NOW, location=riverside,
                       hold_seconds=120)
    assert shorter.hold_expires_at == NOW + timedelta(seconds=120)
    with pytest.raises(ValidationError) as refused:
        ops.hold(session, business, service, at(MONDAY, 15), staff=alice, now=NOW, location=riverside,
                 hold_seconds=301)
    assert refused.value.param == "hold_seconds"
    # The primary keeps the business's hold length.
    at_main = ops.hold(session, business, service, at(MONDAY, 9), staff=alice, now=NOW)
    assert at_main.hold_expires_at == NOW + timedelta(seconds=business.hold_seconds)


def test_another_business_location_is_not_found_naming_the_field(session, branches, make_business):
    business, service, alice, bob, main, riverside = branches
    other = make_business()
    elsewhere = locations.primary_location(session, other)
    with pytest.raises(NotFound) as refused:
        ops.hold(session, business, service, at(MONDAY, 9), staff=alice, now=NOW, location=elsewhere.id)
    assert refused.value.param == "location_id"


def test_a_reschedule_keeps_the_visit_at_its_location(session, branches, make_customer):
    business, service, alice, bob, main, riverside = branches
    booked = ops.create_booking(session, business, service, at(MONDAY, 13), make_customer(business),
                                staff=alice, now=NOW, location=riverside)
    moved = ops.reschedule(session, booked, business, at(MONDAY, 14), now=NOW)
    assert moved.location_id == riverside.id


def test_the_availability_cache_keeps_each_location_apart(session, branches):
    business, service, alice, bob, main, riverside = branches
    at_main = cached_availability(session, business, service, MONDAY, now=NOW, location=main)
    at_river = cached_availability(session, business, service, MONDAY, now=NOW, location=riverside)
    assert starts_of(at_main, alice) != starts_of(at_river, alice)
    assert starts_of(at_river, alice)[0] == at(MONDAY, 13)


def test_a_business_has_at_most_one_primary_location(session, branches):
    business, service, alice, bob, main, riverside = branches
    session.add(Location(business_id=business.id, name="Second primary", slug="second", is_primary=True))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_the_primary_location_cannot_be_removed_and_slugs_are_unique_per_business(session, branches):
    business, service, alice, bob, main, riverside = branches
    with pytest.raises(ValidationError):
        locations.deactivate_location(session, business, main)
    with pytest.raises(ValidationError) as taken:
        locations.create_location(session, business, {"name": "Again", "slug": "riverside"})
    assert taken.value.param == "slug"
    locations.deactivate_location(session, business, riverside)
    with pytest.raises(NotFound):
        find_availability(session, business, service, MONDAY, now=NOW,
                          location=locations.resolve_location(session, business, riverside.id))


def test_hours_at_the_primary_set_by_the_settings_page_leave_other_locations_hours(session, branches):
    from bookingapp.domain.setup import set_staff_hours

    business, service, alice, bob, main, riverside = branches
    set_staff_hours(session, business, alice, {0: [(time(9), time(10))]})
    session.commit()
    assert starts_of(find_availability(session, business, service, MONDAY, now=NOW, location=riverside), alice)[0] \
        == at(MONDAY, 13)


def test_changing_a_locations_hours_moves_its_cached_availability(session, branches):
    business, service, alice, bob, main, riverside = branches
    before_change = cached_availability(session, business, service, MONDAY, now=NOW, location=riverside)
    assert starts_of(before_change, alice)[-1] == at(MONDAY, 15)
    locations.set_location_hours(session, business, riverside, {d: [(time(10), time(15))] for d in range(7)})
    session.commit()
    after_change = cached_availability(session, business, service, MONDAY, now=NOW, location=riverside)
    assert starts_of(after_change, alice)[-1] == at(MONDAY, 14)


def test_booking_someone_where_they_do_not_work_is_refused_in_the_visitors_language(app, session, branches):
    """The refusal names the staff member and the branch: English for the API (its .message),
    German on a German page, with the names filled in after translating."""
    business, service, alice, bob, main, riverside = branches
    with pytest.raises(ValidationError) as refused:
        ops.hold(session, business, service, at(MONDAY, 14), staff=bob, location=riverside, now=before())
    assert refused.value.param == "staff_id"
    assert refused.value.message == "Bob does not work at Riverside."
    with app.test_request_context("/", headers={"Accept-Language": "de-DE,de;q=0.9"}):
        assert error_text(refused.value) == "Bob arbeitet nicht in Riverside."
