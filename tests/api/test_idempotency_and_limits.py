"""Idempotency-Key on POST, and the per-key rate limits with their headers."""
from __future__ import annotations

import pytest

from bookingapp import create_app
from bookingapp.models import Booking
from tests.api.conftest import Api, assert_error
from tests.helpers import MONDAY, at


def _body(service, hour=10, email="ada@example.com"):
    return {"service_id": str(service.id), "start_at": at(MONDAY, hour).isoformat(), "customer_name": "Ada",
            "customer_email": email}


def test_retry_with_same_key_and_body_returns_the_first_response(api, salon, session):
    service = salon[1]
    first = api.post("/bookings", json=_body(service), headers={"Idempotency-Key": "k1"})
    again = api.post("/bookings", json=_body(service), headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert session.query(Booking).count() == 1


def test_same_key_with_another_body_is_a_conflict(api, salon):
    service = salon[1]
    api.post("/bookings", json=_body(service), headers={"Idempotency-Key": "k2"})
    assert_error(api.post("/bookings", json=_body(service, 11), headers={"Idempotency-Key": "k2"}), 409,
                 "idempotency_conflict", "Idempotency-Key")


def test_an_error_answer_is_replayed_too_and_keys_are_per_api_key(api, salon, make_key, client):
    service = salon[1]
    bad = {**_body(service), "customer_email": "nope"}
    assert api.post("/bookings", json=bad, headers={"Idempotency-Key": "k3"}).status_code == 400
    replay = api.post("/bookings", json=bad, headers={"Idempotency-Key": "k3"})
    assert replay.status_code == 400 and replay.headers["Idempotent-Replayed"] == "true"
    other = Api(client, make_key(salon[0]))
    assert other.post("/bookings", json=_body(service), headers={"Idempotency-Key": "k3"}).status_code == 201


def test_without_a_key_each_post_acts(api, salon):
    service = salon[1]
    # Two staff members: the same slot can be booked twice, then it is taken.
    assert api.post("/bookings", json=_body(service)).status_code == 201
    assert api.post("/bookings", json=_body(service)).status_code == 201
    assert_error(api.post("/bookings", json=_body(service, email="b@example.com")), 409, "slot_unavailable")


@pytest.fixture
def limited_client(database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "localhost",
                      "API_RATE_LIMITS": "3 per minute", "API_MONTHLY_QUOTA": 1000, "RATELIMIT_ENABLED": True})
    yield app
    from bookingapp.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_rate_limit_headers_and_429_in_the_envelope(limited_client, salon, make_key):
    key = make_key(salon[0])
    other_key = make_key(salon[0])
    client = limited_client.test_client()
    api = Api(client, key)
    responses = [api.get("/services") for _ in range(3)]
    assert [r.headers["X-RateLimit-Limit"] for r in responses] == ["3"] * 3
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0"]
    assert all(int(r.headers["X-RateLimit-Reset"]) > 0 for r in responses)
    blocked = api.get("/services")
    assert_error(blocked, 429, "rate_limit_exceeded")
    assert blocked.headers["X-RateLimit-Remaining"] == "0"
    # Counted per key: another key of the same business still has its own allowance.
    assert Api(client, other_key).get("/services").status_code == 200


def test_monthly_quota_applies(database_url, salon, make_key):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "localhost",
                      "API_RATE_LIMITS": "", "API_MONTHLY_QUOTA": 2})
    api = Api(app.test_client(), make_key(salon[0]))
    assert [api.get("/services").status_code for _ in range(3)] == [200, 200, 429]
    from bookingapp.extensions import db

    with app.app_context():
        db.engine.dispose()


def test_ratelimit_enabled_false_turns_limiting_off(database_url, salon, make_key):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "localhost",
                      "API_RATE_LIMITS": "1 per minute", "RATELIMIT_ENABLED": False})
    api = Api(app.test_client(), make_key(salon[0]))
    assert [api.get("/services").status_code for _ in range(3)] == [200, 200, 200]
    from bookingapp.extensions import db

    with app.app_context():
        db.engine.dispose()
