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


def test_one_allowance_per_key_across_all_routes(limited_client, salon, make_key):
    """Spreading calls over routes must not multiply the allowance."""
    api = Api(limited_client.test_client(), make_key(salon[0]))
    first, second, third = api.get("/services"), api.get("/staff"), api.get("/business")
    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert [r.headers["X-RateLimit-Remaining"] for r in (first, second, third)] == ["2", "1", "0"]
    assert [r.headers["X-RateLimit-Used"] for r in (first, second, third)] == ["1", "2", "3"]
    assert_error(api.get("/services"), 429, "rate_limit_exceeded")
    assert_error(api.get("/reviews"), 429, "rate_limit_exceeded")


def test_monthly_quota_resets_on_the_first_of_next_month(database_url, salon, make_key):
    from datetime import datetime, timezone

    from bookingapp.api.auth import next_month_start

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "localhost",
                      "API_RATE_LIMITS": "", "API_MONTHLY_QUOTA": 2, "RATELIMIT_ENABLED": True})
    api = Api(app.test_client(), make_key(salon[0]))
    responses = [api.get("/services"), api.get("/staff"), api.get("/business")]
    assert [r.status_code for r in responses] == [200, 200, 429]
    now = datetime.now(timezone.utc)
    first_of_next = next_month_start(now)
    assert first_of_next.day == 1 and first_of_next > now and (first_of_next - now).days < 31
    assert {r.headers["X-RateLimit-Reset"] for r in responses} == {str(int(first_of_next.timestamp()))}
    assert next_month_start(datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc)) == datetime(2027, 1, 1, tzinfo=timezone.utc)
    from bookingapp.extensions import db

    with app.app_context():
        db.engine.dispose()


_OTHER_SERVER = """
import sys
from bookingapp import create_app
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sys.argv[1], "SERVER_NAME": "localhost",
                  "API_RATE_LIMITS": "3 per minute", "API_MONTHLY_QUOTA": 0, "RATELIMIT_ENABLED": True,
                  "RATELIMIT_STORAGE_URI": sys.argv[2], "RATELIMIT_KEY_PREFIX": sys.argv[3]})
response = app.test_client().get("/api/v1/staff", headers={"Authorization": "Bearer " + sys.argv[4]})
print(response.status_code, response.headers.get("X-RateLimit-Remaining"))
"""


@pytest.mark.slow
def test_two_app_servers_share_one_count_in_redis(database_url, salon, make_key, redis_storage):
    """Two app instances in two processes (as two servers would be) draw on one count in Redis."""
    import subprocess
    import sys

    storage, prefix = redis_storage  # a count of its own, whatever else uses this Redis
    key = make_key(salon[0])
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "localhost",
                      "API_RATE_LIMITS": "3 per minute", "API_MONTHLY_QUOTA": 0, "RATELIMIT_ENABLED": True,
                      "RATELIMIT_STORAGE_URI": storage, "RATELIMIT_KEY_PREFIX": prefix})
    try:
        api = Api(app.test_client(), key)
        assert api.get("/services").headers["X-RateLimit-Remaining"] == "2"
        other = subprocess.run([sys.executable, "-c", _OTHER_SERVER, database_url, storage, prefix, key],
                               capture_output=True, text=True, timeout=60)
        assert other.returncode == 0, other.stderr
        assert other.stdout.split()[-2:] == ["200", "1"]
        assert api.get("/business").headers["X-RateLimit-Remaining"] == "0"
        assert_error(api.get("/services"), 429, "rate_limit_exceeded")
    finally:
        from bookingapp.extensions import db

        with app.app_context():
            db.engine.dispose()


def test_a_replayed_answer_names_the_replaying_request_id(api, salon):
    bad = {**_body(salon[1]), "customer_email": "nope"}
    first = api.post("/bookings", json=bad, headers={"Idempotency-Key": "k5", "X-Request-Id": "first-try"})
    assert first.get_json()["meta"]["request_id"] == "first-try"
    replay = api.post("/bookings", json=bad, headers={"Idempotency-Key": "k5", "X-Request-Id": "second-try"})
    assert replay.headers["Idempotent-Replayed"] == "true"
    body = assert_error(replay, 400, "validation_error", "customer_email")
    assert body["meta"]["request_id"] == "second-try" and body["error"] == first.get_json()["error"]


def _stale_claim(app, session, api_key_raw, key, body, age_seconds):
    from datetime import datetime, timedelta, timezone

    from bookingapp.api import idempotency
    from bookingapp.api.keys import find_active_key
    from bookingapp.models import IdempotencyRecord

    with app.test_request_context("/api/v1/bookings", method="POST", json=body):
        fingerprint = idempotency._fingerprint()
    api_key = find_active_key(session, api_key_raw)
    session.add(IdempotencyRecord(api_key_id=api_key.id, key=key, request_hash=fingerprint,
                                  created_at=datetime.now(timezone.utc) - timedelta(seconds=age_seconds)))
    session.commit()


def test_a_claim_left_in_progress_by_a_dead_request_can_be_retried(app, api, salon, session):
    """The action and its stored answer commit together, so a claim still in progress after a
    minute means nothing was done: a retry takes it over instead of waiting 24 hours."""
    body = _body(salon[1])
    _stale_claim(app, session, api.key, "k6", body, age_seconds=90)
    retried = api.post("/bookings", json=body, headers={"Idempotency-Key": "k6"})
    assert retried.status_code == 201, retried.get_json()
    again = api.post("/bookings", json=body, headers={"Idempotency-Key": "k6"})
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == retried.get_json()
    assert session.query(Booking).count() == 1


def test_a_claim_in_progress_for_seconds_is_still_a_conflict(app, api, salon, session):
    body = _body(salon[1])
    _stale_claim(app, session, api.key, "k7", body, age_seconds=5)
    assert_error(api.post("/bookings", json=body, headers={"Idempotency-Key": "k7"}), 409, "idempotency_conflict")
    assert session.query(Booking).count() == 0


def test_the_action_is_not_kept_when_its_answer_cannot_be_stored(app, api, salon, session, monkeypatch):
    """A failure after the view ran but before the answer is stored rolls the action back too
    (one transaction), and frees the key for the retry."""
    from bookingapp.api import idempotency

    app.config["PROPAGATE_API_ERRORS"] = False
    real = idempotency.make_response

    def broken(*args, **kwargs):
        raise RuntimeError("crash between the action and storing its answer")

    monkeypatch.setattr(idempotency, "make_response", broken)
    crashed = api.post("/bookings", json=_body(salon[1]), headers={"Idempotency-Key": "k8"})
    assert_error(crashed, 500, "internal_error")
    session.expire_all()
    assert session.query(Booking).count() == 0
    monkeypatch.setattr(idempotency, "make_response", real)
    assert api.post("/bookings", json=_body(salon[1]), headers={"Idempotency-Key": "k8"}).status_code == 201
    assert session.query(Booking).count() == 1
