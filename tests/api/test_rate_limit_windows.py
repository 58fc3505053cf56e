"""Every rate-limit window is visible on every API response, the plain X-RateLimit-* headers
describe the one closest to running out, a 429 names its window in words, Retry-After is
only on a 429, and a Redis outage leaves the API answering (limits fail open to memory)."""
from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timezone

import pytest

from bookingapp import create_app
from bookingapp.api.rate_limits import RATE_LIMIT_HEADERS
from bookingapp.extensions import OutageLog, db, outage_log
from tests.api.conftest import Api, assert_error

# Pinned app clock: the quota's month (and its reset) follow it, never the real date.
PINNED = datetime(2026, 11, 14, 12, 0, tzinfo=timezone.utc)
FIRST_OF_DECEMBER = int(datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp())
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _app(database_url, **config):
    settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "localhost",
                "RATELIMIT_ENABLED": True, "CLOCK": lambda: PINNED,
                # A prefix per app: counts never leak between tests through the limiter's storage.
                "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    settings.update(config)
    return create_app(settings)


@pytest.fixture
def make_app(database_url):
    made = []

    def make(**config):
        app = _app(database_url, **config)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _windows(response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items()
            if name.startswith(("X-RateLimit", "X-Quota", "Retry-After"))}


def test_every_window_is_on_every_response_and_the_plain_headers_follow_the_closest(make_app, salon, make_key):
    app = make_app(API_RATE_LIMITS="5 per minute;8 per hour", API_MONTHLY_QUOTA=100)
    api = Api(app.test_client(), make_key(salon[0]))
    first = api.get("/services")
    assert first.status_code == 200
    headers = _windows(first)
    assert headers["X-RateLimit-Limit-Minute"] == "5" and headers["X-RateLimit-Remaining-Minute"] == "4"
    assert headers["X-RateLimit-Limit-Hour"] == "8" and headers["X-RateLimit-Remaining-Hour"] == "7"
    assert headers["X-Quota-Limit"] == "100" and headers["X-Quota-Remaining"] == "99"
    assert headers["X-Quota-Reset"] == str(FIRST_OF_DECEMBER)  # the 1st of next month by the app's clock
    now = time.time()
    assert now < int(headers["X-RateLimit-Reset-Minute"]) <= now + 61
    assert now + 61 < int(headers["X-RateLimit-Reset-Hour"]) <= now + 3601
    # The minute has the fewest left: the plain headers describe it.
    assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"], headers["X-RateLimit-Used"]) == ("5", "4", "1")
    assert headers["X-RateLimit-Reset"] == headers["X-RateLimit-Reset-Minute"]
    assert "Retry-After" not in first.headers


def test_the_hour_takes_over_the_plain_headers_when_it_has_fewer_left(make_app, salon, make_key):
    app = make_app(API_RATE_LIMITS="5 per minute;3 per hour", API_MONTHLY_QUOTA=0)
    api = Api(app.test_client(), make_key(salon[0]))
    responses = [api.get(path) for path in ("/services", "/staff", "/business")]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.headers["X-RateLimit-Remaining-Minute"] for r in responses] == ["4", "3", "2"]
    assert [r.headers["X-RateLimit-Remaining-Hour"] for r in responses] == ["2", "1", "0"]
    assert [r.headers["X-RateLimit-Limit"] for r in responses] == ["3"] * 3
    assert [r.headers["X-RateLimit-Used"] for r in responses] == ["1", "2", "3"]
    assert all(r.headers["X-RateLimit-Reset"] == r.headers["X-RateLimit-Reset-Hour"] for r in responses)
    assert not any("X-Quota-Limit" in r.headers for r in responses)  # no quota configured, none shown
    assert not any("Retry-After" in r.headers for r in responses)

    blocked = api.get("/services")
    assert_error(blocked, 429, "rate_limit_exceeded")
    message = blocked.get_json()["error"]["message"]
    assert "3 requests per hour" in message and "minute" not in message
    retry_after = int(blocked.headers["Retry-After"])
    assert 60 < retry_after <= 3600  # the hour's reset, not the minute's
    assert blocked.headers["X-RateLimit-Reset"] == blocked.headers["X-RateLimit-Reset-Hour"]
    # The minute window is still shown on the 429.
    assert blocked.headers["X-RateLimit-Limit-Minute"] == "5"


def test_a_minute_breach_names_the_minute_and_retry_after_counts_to_its_reset(make_app, salon, make_key):
    app = make_app(API_RATE_LIMITS="2 per minute;1000 per hour", API_MONTHLY_QUOTA=5000)
    api = Api(app.test_client(), make_key(salon[0]))
    assert [api.get("/services").status_code for _ in range(2)] == [200, 200]
    blocked = api.get("/services")
    assert_error(blocked, 429, "rate_limit_exceeded")
    assert "2 requests per minute" in blocked.get_json()["error"]["message"]
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    # A refused request is not counted against the hour or the quota, and both stay visible.
    assert blocked.headers["X-RateLimit-Remaining-Hour"] == "998"
    assert blocked.headers["X-Quota-Remaining"] == "4998"
    assert blocked.headers["X-RateLimit-Remaining"] == "0"


def test_the_quota_429_names_the_monthly_quota_and_retry_after_runs_to_the_first(make_app, salon, make_key):
    app = make_app(API_RATE_LIMITS="100 per minute;1000 per hour", API_MONTHLY_QUOTA=2)
    api = Api(app.test_client(), make_key(salon[0]))
    ok = [api.get("/services"), api.get("/staff")]
    assert [r.headers["X-Quota-Remaining"] for r in ok] == ["1", "0"]
    # Two left of the quota is fewer than 99 of the minute: the quota leads the plain headers.
    assert ok[0].headers["X-RateLimit-Limit"] == "2" and ok[0].headers["X-RateLimit-Reset"] == str(FIRST_OF_DECEMBER)
    blocked = api.get("/business")
    assert_error(blocked, 429, "rate_limit_exceeded")
    message = blocked.get_json()["error"]["message"]
    assert "the monthly quota of 2 requests" in message and "32 day" not in message
    assert "2026-12-01" in message
    assert int(blocked.headers["Retry-After"]) == FIRST_OF_DECEMBER - int(PINNED.timestamp())
    assert blocked.headers["X-Quota-Reset"] == str(FIRST_OF_DECEMBER)


def test_every_rate_limit_header_sent_is_documented_in_the_openapi_document(make_app, salon, make_key):
    app = make_app(API_RATE_LIMITS="1 per second;5 per minute;8 per hour;20 per day", API_MONTHLY_QUOTA=1)
    client = app.test_client()
    api = Api(client, make_key(salon[0]))
    sent = set(_windows(api.get("/services"))) | set(_windows(api.get("/staff")))
    assert {"X-RateLimit-Limit-Second", "X-RateLimit-Limit-Day", "X-Quota-Limit", "Retry-After"} <= sent
    assert sent <= set(RATE_LIMIT_HEADERS)
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/services"]["get"]
    for response in operation["responses"].values():
        documented = set(response.get("headers", {}))
        assert set(RATE_LIMIT_HEADERS) <= documented


def test_an_unreachable_redis_leaves_the_api_answering_and_warns_once(make_app, salon, make_key, caplog):
    outage_log.forget()
    app = make_app(API_RATE_LIMITS="3 per minute", API_MONTHLY_QUOTA=0, RATELIMIT_STORAGE_URI=UNREACHABLE_REDIS)
    api = Api(app.test_client(), make_key(salon[0]))
    with caplog.at_level(logging.WARNING):
        responses = [api.get("/services") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    # Failing open to this process's memory: the same limit still holds, counted here.
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0"]
    assert_error(api.get("/services"), 429, "rate_limit_exceeded")
    outage_warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "unreachable" in r.getMessage()]
    assert len(outage_warnings) == 1, [r.getMessage() for r in outage_warnings]
    assert "redis://127.0.0.1:1/0 unreachable" in outage_warnings[0].getMessage()


def test_the_outage_warning_is_allowed_once_a_minute():
    log = OutageLog(interval=60)
    assert [log.due(now) for now in (1000.0, 1001.0, 1059.0)] == [True, False, False]
    assert log.due(1060.5) is True
    assert log.due(1100.0) is False


def test_with_redis_every_window_is_counted_there_and_shared_by_two_apps(make_app, salon, make_key, redis_storage):
    import redis

    storage, prefix = redis_storage
    config = dict(API_RATE_LIMITS="3 per minute;10 per hour", API_MONTHLY_QUOTA=50,
                  RATELIMIT_STORAGE_URI=storage, RATELIMIT_KEY_PREFIX=prefix)
    key = make_key(salon[0])
    first = Api(make_app(**config).test_client(), key)
    assert first.get("/services").headers["X-RateLimit-Remaining-Hour"] == "9"
    # A second app (another server) on the same Redis draws on the same counts.
    second = Api(make_app(**config).test_client(), key)
    response = second.get("/staff")
    assert (response.headers["X-RateLimit-Remaining-Minute"], response.headers["X-RateLimit-Remaining-Hour"],
            response.headers["X-Quota-Remaining"]) == ("1", "8", "48")
    # And the counters really live in Redis, one per window, under this prefix.
    stored = list(redis.Redis.from_url(storage).scan_iter(f"*{prefix}*"))
    assert len(stored) == 3


def test_retry_after_is_never_on_a_successful_response(make_app, salon, make_key):
    app = make_app(API_RATE_LIMITS="100 per minute", API_MONTHLY_QUOTA=1000)
    api = Api(app.test_client(), make_key(salon[0]))
    for response in (api.get("/services"), api.get("/staff"), api.get("/nope")):
        assert "Retry-After" not in response.headers
        assert "X-RateLimit-Remaining-Minute" in response.headers


def test_no_rate_limit_headers_when_limiting_is_off(make_app, salon, make_key):
    app = make_app(API_RATE_LIMITS="1 per minute", RATELIMIT_ENABLED=False)
    api = Api(app.test_client(), make_key(salon[0]))
    assert _windows(api.get("/services")) == {}


def test_with_redis_a_request_counts_each_window_and_reads_them_all_back_in_one_round_trip(
        make_app, salon, make_key, redis_storage, monkeypatch):
    """Round trips to Redis are most of what rate limiting costs a request: one per window
    counted (Flask-Limiter's hit), then one pipeline reading every window for the headers."""
    import redis.connection

    storage, prefix = redis_storage
    config = dict(API_RATE_LIMITS="100 per minute;1000 per hour", API_MONTHLY_QUOTA=5000,
                  RATELIMIT_STORAGE_URI=storage, RATELIMIT_KEY_PREFIX=prefix)
    api = Api(make_app(**config).test_client(), make_key(salon[0]))
    api.get("/services")  # the connection made and the counting script loaded
    commands = []
    send = redis.connection.AbstractConnection.send_packed_command

    def recording(connection, command, check_health=True):
        commands.append(b"".join(command) if isinstance(command, list) else command)
        return send(connection, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", recording)
    response = api.get("/staff")

    assert [command.count(b"EVALSHA") for command in commands] == [1, 1, 1, 0]
    assert (commands[-1].count(b"\r\nGET\r\n"), commands[-1].count(b"\r\nTTL\r\n")) == (3, 3)
    assert (response.headers["X-RateLimit-Remaining-Minute"], response.headers["X-RateLimit-Remaining-Hour"],
            response.headers["X-Quota-Remaining"]) == ("98", "998", "4998")
