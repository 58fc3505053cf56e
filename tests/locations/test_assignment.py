"""`assignment` per request (OnSched's roundRobin NONE / RANDOM / BALANCED): it orders the
staff of each slot and picks who a hold or booking for "anyone" goes to, for that request
only, overriding the business's assignment_policy without changing it."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest

from bookingapp.domain import booking as ops
from bookingapp.domain.assignment import assignment_policy
from bookingapp.domain.availability import find_availability
from bookingapp.domain.availability_cache import cached_availability, clear, current_version
from bookingapp.domain.errors import ValidationError
from tests.api.conftest import assert_error
from tests.helpers import MONDAY, at, before

NOW = before()


def iso(instant):
    return instant.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def busy_alice(session, salon, make_customer):
    """Alice (first in the fixed order) has a booking on Monday morning; Bob has none."""
    business, service, alice, bob = salon
    ops.create_booking(session, business, service, at(MONDAY, 9), make_customer(business), staff=alice, now=NOW)
    session.commit()
    return business, service, alice, bob


def test_request_spellings_map_to_the_engines_policies_and_unknown_ones_name_assignment(salon):
    business = salon[0]
    assert assignment_policy(business, None) == business.assignment_policy == "fixed_order"
    for spelling, policy in [("fixed", "fixed_order"), ("fixed_order", "fixed_order"), ("none", "fixed_order"),
                             ("NONE", "fixed_order"), ("random", "random"), ("RANDOM", "random"),
                             ("balanced", "balanced"), ("BALANCED", "balanced")]:
        assert assignment_policy(business, spelling) == policy
    for bad in ("Balanced", "round_robin", "", "fixed "):
        with pytest.raises(ValidationError) as refused:
            assignment_policy(business, bad)
        assert refused.value.param == "assignment"


def test_balanced_holds_go_to_the_least_booked_and_the_business_setting_is_unchanged(session, busy_alice):
    business, service, alice, bob = busy_alice
    version = current_version(session, business)
    held = ops.hold(session, business, service, at(MONDAY, 14), now=NOW, assignment="balanced")
    assert held.staff_id == bob.id  # Bob has no booking that day, Alice one
    session.commit()
    session.refresh(business)
    assert business.assignment_policy == "fixed_order"
    # A hold moves availability (it counts the version up once), the override does not add a change of setting.
    assert current_version(session, business) == version + 1
    # Without the override, the business's fixed order: Alice first, although busier.
    again = ops.hold(session, business, service, at(MONDAY, 16), now=NOW)
    assert again.staff_id == alice.id


def test_fixed_takes_the_first_in_order_where_the_business_balances(session, busy_alice, make_customer):
    business, service, alice, bob = busy_alice
    business.assignment_policy = "balanced"
    session.commit()
    slot = find_availability(session, business, service, MONDAY, now=NOW).find(at(MONDAY, 14))
    assert slot.staff_ids == (bob.id, alice.id)
    fixed = find_availability(session, business, service, MONDAY, now=NOW, assignment="fixed").find(at(MONDAY, 14))
    assert fixed.staff_ids == (alice.id, bob.id)
    booked = ops.create_booking(session, business, service, at(MONDAY, 14), make_customer(business), now=NOW,
                                assignment="NONE")  # OnSched's NONE: no round robin, the fixed order
    assert booked.staff_id == alice.id
    reserved = ops.reserve(session, business, service, at(MONDAY, 16), now=NOW, assignment="fixed_order")
    assert reserved.staff_id == alice.id
    session.commit()
    session.refresh(business)
    assert business.assignment_policy == "balanced"


def test_random_with_a_seeded_rng_spreads_the_first_choice_over_the_staff(session, salon):
    business, service, alice, bob = salon
    slots = find_availability(session, business, service, MONDAY, MONDAY + timedelta(days=6),
                              now=NOW, assignment="random", rng=random.Random(7)).slots
    firsts = [slot.staff_id for slot in slots if len(slot.staff_ids) == 2]
    assert len(firsts) > 100
    # Both are picked first, neither almost always (a fair coin over >100 slots).
    share = firsts.count(alice.id) / len(firsts)
    assert 0.3 < share < 0.7, share
    # The same seed gives the same answer: the spread comes from the rng, not from the clock.
    again = find_availability(session, business, service, MONDAY, MONDAY + timedelta(days=6),
                              now=NOW, assignment="random", rng=random.Random(7)).slots
    assert [slot.staff_ids for slot in again] == [slot.staff_ids for slot in slots]
    # Fixed never varies: Alice always first.
    fixed = find_availability(session, business, service, MONDAY, now=NOW, assignment="fixed").slots
    assert {slot.staff_id for slot in fixed} == {alice.id}


def test_the_cached_answer_for_one_policy_is_never_served_for_another(session, busy_alice):
    business, service, alice, bob = busy_alice
    clear()
    version = current_version(session, business)
    fixed = cached_availability(session, business, service, MONDAY, now=NOW, version=version, assignment="fixed")
    balanced = cached_availability(session, business, service, MONDAY, now=NOW, version=version,
                                   assignment="balanced")
    assert fixed is not balanced
    assert fixed.find(at(MONDAY, 14)).staff_ids == (alice.id, bob.id)
    assert balanced.find(at(MONDAY, 14)).staff_ids == (bob.id, alice.id)
    # The same policy however spelled, and the business's own when it is that policy, share one answer.
    assert cached_availability(session, business, service, MONDAY, now=NOW, version=version,
                               assignment="NONE") is fixed
    assert cached_availability(session, business, service, MONDAY, now=NOW, version=version) is fixed
    with pytest.raises(ValidationError) as refused:
        cached_availability(session, business, service, MONDAY, now=NOW, version=version, assignment="sometimes")
    assert refused.value.param == "assignment"


# --------------------------------------------------------------------------- through the API


def test_api_availability_orders_slots_by_the_requested_policy_with_its_own_etag(api, busy_alice, app):
    business, service, alice, bob = busy_alice
    app.config["CLOCK"] = lambda: NOW
    base = f"/availability?service_id={service.id}&date={MONDAY.isoformat()}"

    def slot_at(response, start):
        return next(s for s in response.get_json()["data"]["slots"] if s["start"] == iso(start))

    default = api.get(base)
    balanced = api.get(base + "&assignment=balanced")
    onsched = api.get(base + "&assignment=BALANCED")
    assert default.status_code == balanced.status_code == onsched.status_code == 200
    assert slot_at(default, at(MONDAY, 14))["staff_id"] == str(alice.id)
    assert slot_at(balanced, at(MONDAY, 14))["staff_id"] == str(bob.id)
    assert slot_at(balanced, at(MONDAY, 14))["staff_ids"] == [str(bob.id), str(alice.id)]
    assert balanced.headers["ETag"] == onsched.headers["ETag"] != default.headers["ETag"]
    # An ETag of one policy does not answer 304 for another.
    assert api.get(base, headers={"If-None-Match": balanced.headers["ETag"]}).status_code == 200
    assert_error(api.get(base + "&assignment=sometimes"), 400, "validation_error", "assignment")


def test_api_hold_and_booking_for_anyone_follow_the_requested_policy(api, busy_alice, app, session):
    business, service, alice, bob = busy_alice
    app.config["CLOCK"] = lambda: NOW
    held = api.post("/bookings/hold", json={"service_id": str(service.id), "start_at": iso(at(MONDAY, 14)),
                                            "assignment": "balanced"})
    assert held.status_code == 201, held.get_json()
    assert held.get_json()["data"]["staff"]["id"] == str(bob.id)
    booked = api.post("/bookings", json={"service_id": str(service.id), "start_at": iso(at(MONDAY, 16)),
                                         "customer_name": "Ada", "customer_email": "ada@example.com",
                                         "assignment": "fixed"})
    assert booked.status_code == 201, booked.get_json()
    assert booked.get_json()["data"]["staff"]["id"] == str(alice.id)
    for path, body in [("/bookings/hold", {}),
                       ("/bookings", {"customer_name": "Ada", "customer_email": "ada@example.com"})]:
        refused = api.post(path, json={"service_id": str(service.id), "start_at": iso(at(MONDAY, 17)),
                                       "assignment": "round_robin", **body})
        assert_error(refused, 400, "validation_error", "assignment")
    session.refresh(business)
    assert business.assignment_policy == "fixed_order"


# --------------------------------------------------------------------------- rescheduling to "anyone"


def test_reschedule_to_anyone_follows_the_requested_policy_like_a_hold(session, busy_alice, make_customer):
    business, service, alice, bob = busy_alice
    customer = make_customer(business)
    first = ops.create_booking(session, business, service, at(MONDAY, 14), customer, staff=alice, now=NOW)
    # The business's fixed order: "anyone" is Alice again, although she has the 09:00 booking.
    kept = ops.reschedule(session, first, business, at(MONDAY, 15), any_staff=True, now=NOW)
    assert kept.staff_id == alice.id
    # Balanced for this move only: Bob, who has nothing that day.
    moved = ops.reschedule(session, kept, business, at(MONDAY, 16), any_staff=True, now=NOW, assignment="BALANCED")
    assert moved.staff_id == bob.id
    session.commit()
    session.refresh(business)
    assert business.assignment_policy == "fixed_order"


def test_reschedule_refuses_an_unknown_policy_or_one_without_any_staff_and_moves_nothing(
        session, busy_alice, make_customer):
    business, service, alice, bob = busy_alice
    booking = ops.create_booking(session, business, service, at(MONDAY, 14), make_customer(business), staff=alice,
                                 now=NOW)
    session.commit()
    for kwargs in ({"any_staff": True, "assignment": "round_robin"}, {"assignment": "balanced"}):
        with pytest.raises(ValidationError) as refused:
            ops.reschedule(session, booking, business, at(MONDAY, 16), now=NOW, **kwargs)
        assert refused.value.param == "assignment"
        session.rollback()
        session.refresh(booking)
        assert booking.status == "confirmed" and booking.rescheduled_to_id is None


def test_api_reschedule_for_anyone_takes_the_requested_policy(api, busy_alice, app, session):
    business, service, alice, bob = busy_alice
    app.config["CLOCK"] = lambda: NOW
    booked = api.post("/bookings", json={"service_id": str(service.id), "start_at": iso(at(MONDAY, 14)),
                                         "staff_id": str(alice.id), "customer_name": "Ada",
                                         "customer_email": "ada@example.com"})
    assert booked.status_code == 201, booked.get_json()
    booking_id = booked.get_json()["data"]["id"]
    path = f"/bookings/{booking_id}/reschedule"
    assert_error(api.post(path, json={"start_at": iso(at(MONDAY, 16)), "any_staff": True,
                                      "assignment": "round_robin"}), 400, "validation_error", "assignment")
    assert_error(api.post(path, json={"start_at": iso(at(MONDAY, 16)), "assignment": "balanced"}),
                 400, "validation_error", "assignment")
    moved = api.post(path, json={"start_at": iso(at(MONDAY, 16)), "any_staff": True, "assignment": "balanced"})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["data"]["staff"]["id"] == str(bob.id)
    assert moved.get_json()["data"]["rescheduled_from_id"] == booking_id
    session.refresh(business)
    assert business.assignment_policy == "fixed_order"
