"""Dates at the ends of the calendar, broken cursors and broken URLs: a 400 naming the
parameter, never a 500."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timezone

import pytest

from bookingapp.domain import booking as booking_domain
from tests.api.conftest import assert_error
from tests.helpers import MONDAY, at

EXTREME_INSTANTS = ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z",
                    "1969-12-31T23:00:00Z", "2201-01-01T00:00:00Z"]
EXTREME_DATES = ["9999-12-31", "0001-01-01", "1969-12-31", "2201-01-01"]


def _body(service, start):
    return {"service_id": str(service.id), "start_at": start, "customer_name": "Ada",
            "customer_email": "ada@example.com"}


@pytest.mark.parametrize("start", EXTREME_INSTANTS)
@pytest.mark.parametrize("path", ["/bookings", "/bookings/hold", "/bookings/reserve"])
def test_placing_at_the_ends_of_the_calendar_is_a_400(api, salon, path, start):
    assert_error(api.post(path, json=_body(salon[1], start)), 400, "validation_error", "start_at")


@pytest.mark.parametrize("start", EXTREME_INSTANTS)
def test_rescheduling_to_the_ends_of_the_calendar_is_a_400(api, salon, session, start):
    made = api.post("/bookings", json=_body(salon[1], at(MONDAY, 10).isoformat())).get_json()["data"]
    assert_error(api.post(f"/bookings/{made['id']}/reschedule", json={"start_at": start}), 400,
                 "validation_error", "start_at")


@pytest.mark.parametrize("day", EXTREME_DATES)
def test_availability_at_the_ends_of_the_calendar_is_a_400(api, salon, day):
    service = salon[1].id
    assert_error(api.get(f"/availability?service_id={service}&date={day}"), 400, "validation_error", "date")
    assert_error(api.get(f"/availability?service_id={service}&from=2030-06-03&to={day}"), 400,
                 "validation_error", "to")
    assert_error(api.get(f"/availability?service_id={service}&from={day}&to=2030-06-03"), 400,
                 "validation_error", "from")


def test_availability_inside_the_range_still_answers(api, salon):
    service = salon[1].id
    for day in ("2200-12-31", "1970-01-01"):
        response = api.get(f"/availability?service_id={service}&date={day}")
        assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("param", ["from", "to"])
@pytest.mark.parametrize("value", EXTREME_DATES + ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00"])
def test_booking_list_bounds_at_the_ends_of_the_calendar_are_a_400(api, salon, param, value):
    assert_error(api.get("/bookings", query_string={param: value}), 400, "validation_error", param)


def _cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize("payload", [
    {"u": "9999-12-31T23:59:59+00:00", "i": str(uuid.uuid4())},
    {"u": "0001-01-01T00:00:00+01:00", "i": str(uuid.uuid4())},
    {"u": "2030-01-01T00:00:00", "i": str(uuid.uuid4())},  # no zone
    {"u": 12, "i": str(uuid.uuid4())},
    ["not", "an", "object"],
])
def test_a_cursor_holding_an_impossible_time_is_a_400(api, salon, payload):
    assert_error(api.get("/bookings", query_string={"cursor": _cursor(payload)}), 400, "validation_error", "cursor")


def test_a_real_cursor_still_works(api, salon, session, app):
    app.config["API_SYNC_SETTLE_SECONDS"] = 0
    from bookingapp.domain.customers import find_or_create_customer

    customer = find_or_create_customer(session, salon[0], email="ada@example.com", name="Ada")
    booking_domain.create_booking(session, salon[0], salon[1], at(MONDAY, 10), customer,
                                  now=datetime.now(timezone.utc))
    session.commit()
    first = api.get("/bookings?cursor=start&limit=1").get_json()
    assert len(first["data"]) == 1
    assert api.get("/bookings", query_string={"cursor": first["meta"]["next_cursor"]}).get_json()["data"] == []


@pytest.mark.parametrize("url", ["http://[::1", "http://example.com:99999/", "http://example.com:port/",
                                 "https://example.com:0/", "http://[not-an-ip]/", "http://"])
def test_a_broken_webhook_url_is_a_400(api, url):
    assert_error(api.post("/webhooks", json={"url": url}), 400, "validation_error", "url")
