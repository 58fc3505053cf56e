"""One staff member, two locations: concurrent holds for overlapping times at different
branches. The no-overlap guarantee is per staff member, not per location (the EXCLUDE
constraint on PostgreSQL, the write lock on SQLite), so exactly one wins."""
from __future__ import annotations

from bookingapp.domain import locations
from tests.helpers import MONDAY, at, before
from tests.races.test_races import THREADS, active_bookings, race
from tests.races.worker import try_hold


def test_holds_for_one_staff_member_at_two_locations_at_once_one_wins(app, session, salon):
    business, service, alice, _ = salon
    main = locations.primary_location(session, business)
    riverside = locations.create_location(session, business, {"name": "Riverside", "slug": "riverside"}, now=before())
    locations.set_staff_locations(session, business, alice, [main, riverside])
    ids = (business.id, service.id, alice.id)
    # 10:00 at one branch, 10:30 at the other: every pair overlaps, whichever branch.
    attempts = [(main.id, at(MONDAY, 10)), (riverside.id, at(MONDAY, 10, 30))]
    jobs = [lambda where=attempts[i % 2]: try_hold(app, *ids, where[1], before(), location_id=where[0])
            for i in range(THREADS)]
    outcomes = race(session, jobs)
    assert outcomes.count("ok") == 1
    assert outcomes.count("taken") == THREADS - 1
    assert len(active_bookings(session, alice.id)) == 1


def test_two_holds_for_one_staff_member_at_two_locations_one_wins(app, session, salon):
    business, service, alice, _ = salon
    main = locations.primary_location(session, business)
    riverside = locations.create_location(session, business, {"name": "Riverside", "slug": "riverside"}, now=before())
    locations.set_staff_locations(session, business, alice, [main, riverside])
    ids = (business.id, service.id, alice.id)
    main_id, riverside_id = main.id, riverside.id  # read now: the racing threads have no session of ours
    jobs = [lambda: try_hold(app, *ids, at(MONDAY, 10), before(), location_id=main_id),
            lambda: try_hold(app, *ids, at(MONDAY, 10, 15), before(), location_id=riverside_id)]
    outcomes = race(session, jobs)
    assert sorted(outcomes) == ["ok", "taken"]
    held = active_bookings(session, alice.id)
    assert len(held) == 1 and held[0].location_id in (main_id, riverside_id)
