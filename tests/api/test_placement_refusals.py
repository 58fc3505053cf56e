"""A placement's refusals about a named staff member keep their order whatever else is wrong
with the request: "does not perform" first, then "not offered at" the location, then "does
not work at" it, then the time. The hold reads whether they perform the service and work
there from the availability read's staff row (domain/booking._eligible_staff), and asks on
its own only once something has failed: these pin that the words stay the same."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bookingapp.domain import locations
from tests.api.conftest import assert_error
from tests.helpers import MONDAY, at, before


@pytest.fixture
def colourist_only(session, salon, make_service, make_staff):
    """A colour service only Cara performs; Alice and Bob do not."""
    business, _, alice, _ = salon
    colour = make_service(business, name="Colour")
    cara = make_staff(business, [colour], name="Cara", sort_order=2)
    return str(colour.id), str(alice.id), str(cara.id)


@pytest.mark.parametrize("when", ["free", "past", "far"])
def test_a_staff_member_who_does_not_perform_the_service_is_named_whatever_the_time(
        app, api, colourist_only, when):
    colour_id, alice_id, _ = colourist_only
    app.config["CLOCK"] = lambda: before(MONDAY)
    start = {"free": at(MONDAY, 10), "past": at(MONDAY, 10) - timedelta(days=30),
             "far": at(MONDAY, 10) + timedelta(days=3000)}[when]
    response = api.post("/bookings/hold", json={"service_id": colour_id, "staff_id": alice_id,
                                                "start_at": start.isoformat()})
    assert_error(response, 400, "validation_error", "staff_id")
    assert "does not perform Colour" in response.get_json()["error"]["message"]


def test_the_colourist_holds_the_same_time(app, api, colourist_only):
    colour_id, _, cara_id = colourist_only
    app.config["CLOCK"] = lambda: before(MONDAY)
    response = api.post("/bookings/hold", json={"service_id": colour_id, "staff_id": cara_id,
                                                "start_at": at(MONDAY, 10).isoformat()})
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("when", ["free", "past"])
def test_a_staff_member_who_does_not_work_at_the_location_is_named(app, session, api, salon, when):
    business, service, alice, bob = salon
    riverside = locations.create_location(session, business, {
        "name": "Riverside", "slug": "riverside", "address": {"street": "2 River Walk", "city": "London"},
    }, now=before())
    locations.set_staff_locations(session, business, alice, [riverside])
    session.commit()
    app.config["CLOCK"] = lambda: before(MONDAY)
    start = at(MONDAY, 10) if when == "free" else at(MONDAY, 10) - timedelta(days=30)
    response = api.post("/bookings/hold", json={"service_id": str(service.id), "staff_id": str(bob.id),
                                                "location_id": str(riverside.id), "start_at": start.isoformat()})
    assert_error(response, 400, "validation_error", "staff_id")
    assert "does not work at Riverside" in response.get_json()["error"]["message"]
