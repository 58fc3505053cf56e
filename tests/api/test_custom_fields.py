"""Custom answers and notes through the API obey the same domain rules as the wizard's
details form: unknown keys, values outside a select's options and missing required answers
are a 400 naming `custom_fields.<key>`, and nothing is stored."""
from __future__ import annotations

import pytest

from bookingapp.models import Booking, CustomFieldDefinition
from bookingapp.domain.custom_fields import MAX_NOTES_LENGTH
from tests.api.conftest import assert_error
from tests.helpers import MONDAY, at


@pytest.fixture
def questions(session, salon):
    business = salon[0]
    session.add_all([
        CustomFieldDefinition(business_id=business.id, key="allergies", label="Allergies", field_type="text",
                              required=True),
        CustomFieldDefinition(business_id=business.id, key="source", label="How did you hear of us",
                              field_type="select", options=["Friend", "Instagram"], sort_order=1),
        CustomFieldDefinition(business_id=business.id, key="age", label="Age", field_type="number", sort_order=2),
    ])
    session.commit()


def _booking_body(service, **extra):
    return {"service_id": str(service.id), "start_at": at(MONDAY, 10).isoformat(), "customer_name": "Ada",
            "customer_email": "ada@example.com", **extra}


@pytest.mark.parametrize("answers,param", [
    ({"allergies": "none", "shoe_size": "42"}, "custom_fields.shoe_size"),
    ({"allergies": "none", "source": "Billboard"}, "custom_fields.source"),
    ({"allergies": "none", "age": "old"}, "custom_fields.age"),
    ({"source": "Friend"}, "custom_fields.allergies"),
    ({}, "custom_fields.allergies"),
])
def test_a_booking_with_bad_answers_is_refused_and_nothing_stored(api, salon, questions, session, answers, param):
    service = salon[1]
    response = api.post("/bookings", json=_booking_body(service, custom_fields=answers))
    assert_error(response, 400, "validation_error", param)
    assert session.query(Booking).count() == 0


def test_a_hold_may_wait_for_required_answers_but_booking_it_may_not(api, salon, questions, session):
    service = salon[1]
    held = api.post("/bookings/hold", json={"service_id": str(service.id), "start_at": at(MONDAY, 10).isoformat(),
                                             "custom_fields": {"source": "Friend"}})
    assert held.status_code == 201, held.get_json()
    booking_id = held.get_json()["data"]["id"]
    # An answer outside the options is refused at the hold too.
    bad = api.post("/bookings/hold", json={"service_id": str(service.id), "start_at": at(MONDAY, 11).isoformat(),
                                            "custom_fields": {"source": "Billboard"}})
    assert_error(bad, 400, "validation_error", "custom_fields.source")

    missing = api.post(f"/bookings/{booking_id}/book", json={"customer_name": "Ada", "customer_email": "a@example.com"})
    assert_error(missing, 400, "validation_error", "custom_fields.allergies")
    assert api.get(f"/bookings/{booking_id}").get_json()["data"]["status"] == "held"

    booked = api.post(f"/bookings/{booking_id}/book", json={
        "customer_name": "Ada", "customer_email": "a@example.com", "custom_fields": {"allergies": "latex", "age": "41"}})
    assert booked.status_code == 200, booked.get_json()
    data = booked.get_json()["data"]
    assert data["status"] == "confirmed"
    assert data["custom_fields"] == {"source": "Friend", "allergies": "latex", "age": 41}


def test_notes_longer_than_the_wizard_allows_are_refused(api, salon, session):
    service = salon[1]
    response = api.post("/bookings", json=_booking_body(service, notes="x" * (MAX_NOTES_LENGTH + 1)))
    assert_error(response, 400, "validation_error", "notes")
    assert session.query(Booking).count() == 0
    fits = api.post("/bookings", json=_booking_body(service, notes="x" * MAX_NOTES_LENGTH))
    assert fits.status_code == 201, fits.get_json()
