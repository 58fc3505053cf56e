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


def test_an_unchanged_answer_is_revalidated_with_its_etag_and_a_hold_changes_it(app, api, salon):
    business, service, alice, _ = salon
    app.config["CLOCK"] = lambda: before(MONDAY)
    question = f"/availability?date={MONDAY}&service_id={service.id}&staff_id={alice.id}"
    first = api.get(question)
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"

    again = api.get(question, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == tag
    assert "X-RateLimit-Remaining-Minute" in again.headers  # still counted and told
    # Another question has another tag: the first one's copy does not answer it.
    other = api.get(f"/availability?date={MONDAY}&service_id={service.id}", headers={"If-None-Match": tag})
    assert other.status_code == 200 and other.headers["ETag"] != tag

    held = api.post("/bookings/hold", json={"service_id": str(service.id), "staff_id": str(alice.id),
                                            "start_at": at(MONDAY, 10).isoformat()})
    assert held.status_code == 201, held.get_json()
    changed = api.get(question, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert "2030-06-03T09:00:00.000Z" not in {slot["start"] for slot in changed.get_json()["data"]["slots"]}


def test_the_etag_runs_out_with_the_minute_the_answer_was_computed_in(app, api, salon):
    from datetime import timedelta

    business, service, alice, _ = salon
    app.config["CLOCK"] = lambda: before(MONDAY)
    question = f"/availability?date={MONDAY}&service_id={service.id}&staff_id={alice.id}"
    tag = api.get(question).headers["ETag"]
    app.config["CLOCK"] = lambda: before(MONDAY) + timedelta(minutes=1)
    assert api.get(question, headers={"If-None-Match": tag}).status_code == 200
