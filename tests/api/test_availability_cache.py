"""Through the API door: an availability answer served from the cache never shows a slot
that a committed hold or booking has taken, whichever door took it."""
from __future__ import annotations

from tests.helpers import MONDAY, at, before


def starts(api, service, staff):
    response = api.get(f"/availability?date={MONDAY}&service_id={service.id}&staff_id={staff.id}")
    assert response.status_code == 200, response.get_json()
    return {slot["start"] for slot in response.get_json()["data"]["slots"]}


def test_a_hold_taken_between_two_identical_questions_shows_at_once(app, api, salon):
    business, service, alice, _ = salon
    app.config["CLOCK"] = lambda: before(MONDAY)
    ten = "2030-06-03T09:00:00.000Z"  # 10:00 in London
    assert ten in starts(api, service, alice)
    assert ten in starts(api, service, alice)  # the same minute: answered from the cache
    held = api.post("/bookings/hold", json={"service_id": str(service.id), "staff_id": str(alice.id),
                                            "start_at": at(MONDAY, 10).isoformat()})
    assert held.status_code == 201, held.get_json()
    assert ten not in starts(api, service, alice)
    released = api.delete(f"/bookings/{held.get_json()['data']['id']}")
    assert released.status_code in (200, 204), released.get_json()
    assert ten in starts(api, service, alice)


def test_time_off_entered_in_the_dashboard_shows_in_the_api_at_once(app, api, salon, session):
    from bookingapp.domain import setup

    business, service, alice, _ = salon
    app.config["CLOCK"] = lambda: before(MONDAY)
    ten = "2030-06-03T09:00:00.000Z"  # 10:00 in London
    assert ten in starts(api, service, alice)
    setup.add_time_off(session, business, alice, at(MONDAY, 9), at(MONDAY, 12), "Training")
    session.commit()
    assert ten not in starts(api, service, alice)
