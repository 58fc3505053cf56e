"""Webhook delivery to a real local receiver: signature, retries, disabling, and no
duplicate under concurrent workers."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import create_engine
from sqlalchemy.orm import Session as OrmSession
from werkzeug import Response

from bookingapp.domain import booking as booking_domain
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.models import OutboxEvent, WebhookDelivery
from bookingapp.notifications.webhooks import (
    SIGNATURE_HEADER, DeliverySettings, create_endpoint, run_once, send_test_event, verify_signature,
)
from tests.helpers import MONDAY, at, before

# The receiver is pytest-httpserver on this machine, which production refuses; worker threads
# have no app context to read WEBHOOK_ALLOW_PRIVATE_URLS from, so the settings say it.
SETTINGS = DeliverySettings(timeout_seconds=5, retry_for=timedelta(hours=24), disable_after_failures=3,
                            allow_private=True)


@pytest.fixture(autouse=True)
def local_receivers(app):
    """These tests deliver to pytest-httpserver on 127.0.0.1, which production refuses."""
    app.config["WEBHOOK_ALLOW_PRIVATE_URLS"] = True


def _book(session, salon, hour=10):
    business, service, *_ = salon
    customer = find_or_create_customer(session, business, email="ada@example.com", name="Ada")
    made = booking_domain.create_booking(session, business, service, at(MONDAY, hour), customer, now=before())
    session.commit()
    return made


def test_delivery_is_signed_with_the_documented_recipe(session, salon, httpserver):
    endpoint = create_endpoint(session, salon[0], url=httpserver.url_for("/hook"), events=["booking.created"])
    session.commit()
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok")
    made = _book(session, salon)
    stats = run_once(session, SETTINGS)
    assert stats == {"fanned_out": 1, "succeeded": 1, "failed_attempts": 0}
    request, _ = httpserver.log[0]
    body = request.get_data()
    event_id = request.headers["X-Webhook-Id"]
    # The receiver's recipe: HMAC-SHA256(secret, "<event id>.<t>.<raw body>"), hex, in v1.
    assert verify_signature(endpoint.secret, event_id, request.headers[SIGNATURE_HEADER], body)
    assert not verify_signature("whsec_wrong", event_id, request.headers[SIGNATURE_HEADER], body)
    assert not verify_signature(endpoint.secret, event_id, request.headers[SIGNATURE_HEADER], body + b" ")
    old = datetime.now(timezone.utc) + timedelta(hours=1)
    assert not verify_signature(endpoint.secret, event_id, request.headers[SIGNATURE_HEADER], body, now=old)
    payload = request.get_json()
    assert payload["type"] == "booking.created" and payload["data"]["id"] == str(made.id)
    assert request.headers["X-Webhook-Event"] == "booking.created"
    delivery = session.query(WebhookDelivery).one()
    assert delivery.status == "succeeded" and delivery.attempts == 1 and delivery.response_status == 200


def test_failure_is_retried_with_backoff_after_a_500(session, salon, httpserver):
    create_endpoint(session, salon[0], url=httpserver.url_for("/hook"))
    session.commit()
    httpserver.expect_ordered_request("/hook").respond_with_data("boom", status=500)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok", status=200)
    _book(session, salon)
    start = datetime.now(timezone.utc)
    assert run_once(session, SETTINGS, now=start)["failed_attempts"] == 1
    delivery = session.query(WebhookDelivery).one()
    assert delivery.status == "pending" and delivery.response_status == 500 and delivery.error == "HTTP 500"
    assert delivery.next_attempt_at == start + timedelta(seconds=30)
    assert run_once(session, SETTINGS, now=start + timedelta(seconds=10))["succeeded"] == 0  # not due yet
    assert run_once(session, SETTINGS, now=start + timedelta(seconds=31))["succeeded"] == 1
    session.refresh(delivery)
    assert delivery.status == "succeeded" and delivery.attempts == 2
    first, second = [req for req, _ in httpserver.log]
    assert first.headers["X-Webhook-Id"] == second.headers["X-Webhook-Id"]  # same event id: receivers dedupe


def test_repeated_failure_disables_the_endpoint_and_a_day_of_failure_gives_up(session, salon, httpserver):
    endpoint = create_endpoint(session, salon[0], url=httpserver.url_for("/hook"))
    session.commit()
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    _book(session, salon)
    now = datetime.now(timezone.utc)
    for _ in range(3):
        run_once(session, SETTINGS, now=now)
        now += timedelta(hours=3)
    session.refresh(endpoint)
    assert endpoint.is_active is False and endpoint.disabled_at is not None
    delivery = session.query(WebhookDelivery).one()
    # Disabling fails what was pending for the endpoint: nothing stays due forever.
    assert delivery.attempts == 3 and delivery.status == "failed"
    _book(session, salon, 11)  # a later event is not even fanned out to it
    run_once(session, SETTINGS, now=now)
    assert session.query(WebhookDelivery).count() == 1 and len(httpserver.log) == 3
    # Without disabling, retries stop after a day.
    patient = DeliverySettings(timeout_seconds=5, retry_for=timedelta(hours=24), disable_after_failures=1000)
    create_endpoint(session, salon[0], url=httpserver.url_for("/hook"))
    session.commit()
    _book(session, salon, 12)
    for _ in range(20):
        run_once(session, patient, now=now)
        now += timedelta(hours=3)
    retried = session.query(WebhookDelivery).filter(WebhookDelivery.endpoint_id != endpoint.id).one()
    assert retried.status == "failed" and 5 <= retried.attempts <= 20 and retried.error == "HTTP 503"


def test_unreachable_receiver_is_a_recorded_failure(session, salon):
    create_endpoint(session, salon[0], url="http://127.0.0.1:9/closed")
    session.commit()
    _book(session, salon)
    assert run_once(session, SETTINGS)["failed_attempts"] == 1
    assert "ConnectionError" in session.query(WebhookDelivery).one().error


def test_test_event_and_topic_filter(session, salon, httpserver):
    endpoint = create_endpoint(session, salon[0], url=httpserver.url_for("/hook"), events=["booking.cancelled"])
    session.commit()
    httpserver.expect_request("/hook").respond_with_data("ok")
    _book(session, salon)  # booking.created: not subscribed
    send_test_event(session, salon[0], endpoint)
    session.commit()
    assert run_once(session, SETTINGS) == {"fanned_out": 0, "succeeded": 1, "failed_attempts": 0}
    assert [req.get_json()["type"] for req, _ in httpserver.log] == ["webhook.test"]


def test_api_webhook_endpoints_and_delivery_log(client, session, salon, httpserver):
    from tests.api.conftest import Api
    from bookingapp.api.keys import create_api_key

    _, raw = create_api_key(session, salon[0])
    session.commit()
    api = Api(client, raw)
    created = api.post("/webhooks", json={"url": httpserver.url_for("/hook"), "events": ["booking.created"]})
    assert created.status_code == 201
    endpoint = created.get_json()["data"]
    assert endpoint["secret"].startswith("whsec_")
    assert "secret" not in api.get(f"/webhooks/{endpoint['id']}").get_json()["data"]
    assert api.post("/webhooks", json={"url": "ftp://x"}).get_json()["error"]["param"] == "url"
    assert api.post("/webhooks", json={"url": "https://x.example", "events": ["nope"]}).get_json()["error"]["param"] == "events[0]"
    httpserver.expect_request("/hook").respond_with_data("ok")
    queued = api.post(f"/webhooks/{endpoint['id']}/test")
    assert queued.status_code == 202 and queued.get_json()["data"]["status"] == "pending"
    run_once(session, SETTINGS)
    log = api.get(f"/webhooks/{endpoint['id']}/deliveries").get_json()
    assert log["meta"]["total"] == 1 and log["data"][0]["status"] == "succeeded"
    assert api.delete(f"/webhooks/{endpoint['id']}").get_json()["data"]["deleted"] is True
    assert api.get("/webhooks").get_json()["data"] == []


def test_worker_cli_runs_one_pass(app, session, salon, httpserver):
    create_endpoint(session, salon[0], url=httpserver.url_for("/hook"))
    session.commit()
    httpserver.expect_request("/hook").respond_with_data("ok")
    _book(session, salon)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert len(httpserver.log) == 1


@pytest.mark.slow
def test_two_concurrent_workers_never_send_an_event_twice(app, session, salon, httpserver, database_url):
    """Many events, two workers in threads with their own connections, a slow receiver:
    each event arrives exactly once (FOR UPDATE SKIP LOCKED on PostgreSQL)."""
    import time

    create_endpoint(session, salon[0], url=httpserver.url_for("/hook"))
    session.commit()

    def slow(request):
        time.sleep(0.02)
        return Response("ok")

    httpserver.expect_request("/hook").respond_with_handler(slow)
    for hour in range(9, 17):
        _book(session, salon, hour)  # two staff: each hour once is fine
    business = salon[0]
    for index in range(22):
        from bookingapp.domain.outbox import record_event

        record_event(session, business.id, "booking.updated", {"n": index})
    session.commit()
    # Every event but the customer emails goes out as a webhook.
    total = session.query(OutboxEvent).filter(~OutboxEvent.topic.startswith("email.")).count()

    engine = create_engine(database_url, connect_args={"timeout": 30, "check_same_thread": False}
                           if database_url.startswith("sqlite") else {})
    errors = []

    def worker():
        try:
            with OrmSession(engine) as own:
                for _ in range(10):
                    run_once(own, SETTINGS, http=requests.Session())
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert not errors, errors
    ids = [req.headers["X-Webhook-Id"] for req, _ in httpserver.log]
    assert len(ids) == total and len(set(ids)) == total
    session.expire_all()
    assert session.query(WebhookDelivery).filter_by(status="succeeded").count() == total


def _pending_rows(session, endpoint, count, *, due):
    from bookingapp.domain.outbox import record_event

    for index in range(count):
        event = record_event(session, endpoint.business_id, "booking.updated", {"n": index}, now=due)
        event.dispatched_at = due
        session.flush()
        session.add(WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id, topic="booking.updated",
                                    status="pending", attempts=1, next_attempt_at=due, created_at=due))
    session.commit()


def test_a_disabled_endpoints_backlog_does_not_block_other_endpoints(session, salon, make_business, httpserver):
    """Many due rows of a disabled endpoint (older than anything else) and one of a healthy
    endpoint of another business: the healthy one is delivered, the backlog is failed."""
    now = datetime.now(timezone.utc)
    dead = create_endpoint(session, salon[0], url="http://127.0.0.1:9/dead")
    session.commit()
    _pending_rows(session, dead, 45, due=now - timedelta(hours=1))
    dead.is_active = False
    dead.disabled_at = now - timedelta(minutes=30)
    session.commit()
    other = make_business()
    healthy = create_endpoint(session, other, url=httpserver.url_for("/hook"))
    session.commit()
    _pending_rows(session, healthy, 1, due=now)
    httpserver.expect_request("/hook").respond_with_data("ok")
    assert run_once(session, SETTINGS, now=now + timedelta(seconds=1)) == {
        "fanned_out": 0, "succeeded": 1, "failed_attempts": 0}
    assert len(httpserver.log) == 1
    session.expire_all()
    backlog = session.query(WebhookDelivery).filter_by(endpoint_id=dead.id).all()
    assert len(backlog) == 45 and {(d.status, d.error) for d in backlog} == {("failed", "endpoint disabled")}


def test_a_short_lease_is_stretched_to_cover_the_send(app, session, salon, httpserver, database_url):
    """A slow receiver and a lease configured shorter than a send: a second worker polling
    during the send finds nothing to claim, so the receiver gets the event once."""
    import time

    create_endpoint(session, salon[0], url=httpserver.url_for("/hook"))
    session.commit()
    in_handler = threading.Event()

    def slow(request):
        in_handler.set()
        time.sleep(1.5)
        return Response("ok")

    httpserver.expect_request("/hook").respond_with_handler(slow)
    _book(session, salon)
    short = DeliverySettings(timeout_seconds=3, retry_for=timedelta(hours=24), disable_after_failures=3,
                             lease=timedelta(seconds=0.5), allow_private=True)
    engine = create_engine(database_url, connect_args={"timeout": 30, "check_same_thread": False}
                           if database_url.startswith("sqlite") else {})
    results = []

    def first_worker():
        with OrmSession(engine) as own:
            results.append(run_once(own, short, http=requests.Session()))

    thread = threading.Thread(target=first_worker)
    thread.start()
    assert in_handler.wait(10)
    time.sleep(0.7)  # past the configured 0.5 s lease, still inside the send
    with OrmSession(engine) as second:
        assert run_once(second, short, http=requests.Session())["succeeded"] == 0
    thread.join()
    engine.dispose()
    assert results == [{"fanned_out": 1, "succeeded": 1, "failed_attempts": 0}]
    assert len(httpserver.log) == 1


def test_a_worker_that_lost_its_claim_neither_sends_nor_records(session, salon, httpserver):
    """Worker A claims, then stalls past its lease; worker B claims the delivery again and
    sends it. A, resuming, finds its token gone: it sends nothing and records nothing."""
    from bookingapp.notifications.webhooks import attempt, claim_next, fan_out, lease_for

    create_endpoint(session, salon[0], url=httpserver.url_for("/hook"))
    session.commit()
    httpserver.expect_request("/hook").respond_with_data("ok")
    _book(session, salon)
    now = datetime.now(timezone.utc)
    fan_out(session, now=now)
    session.commit()
    stalled = claim_next(session, SETTINGS, now=now)
    later = now + lease_for(SETTINGS) + timedelta(seconds=1)
    taken_over = claim_next(session, SETTINGS, now=later)
    assert stalled is not None and taken_over is not None and stalled.token != taken_over.token
    assert stalled.delivery_id == taken_over.delivery_id
    delivered = attempt(session, taken_over, SETTINGS, http=requests.Session(), now=later)
    session.commit()
    assert delivered.status == "succeeded"
    assert attempt(session, stalled, SETTINGS, http=requests.Session(), now=later) is None
    session.commit()
    assert len(httpserver.log) == 1
    session.expire_all()
    delivery = session.query(WebhookDelivery).one()
    assert delivery.status == "succeeded" and delivery.attempts == 1 and delivery.claim_token is None


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "https://LOCALHOST./hook", "http://api.localhost/hook",
    "http://10.1.2.3/hook", "http://172.16.0.1/hook", "http://192.168.1.10/hook", "http://169.254.169.254/latest",
    "http://[::1]/hook", "http://[fe80::1]/hook", "http://[fd00::1]/hook", "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook", "http://100.64.0.1/hook", "http://224.0.0.1/hook",
])
def test_private_and_local_webhook_urls_are_refused_by_default(app, api_client_for_salon, url):
    app.config["WEBHOOK_ALLOW_PRIVATE_URLS"] = False
    response = api_client_for_salon.post("/webhooks", json={"url": url})
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["param"] == "url"


def test_public_urls_are_accepted_and_the_flag_allows_local_ones(app, api_client_for_salon):
    app.config["WEBHOOK_ALLOW_PRIVATE_URLS"] = False
    for url in ("https://hooks.example.com/in", "http://93.184.216.34:8443/in", "https://[2606:4700::1111]/in"):
        assert api_client_for_salon.post("/webhooks", json={"url": url}).status_code == 201, url
    assert api_client_for_salon.post("/webhooks", json={"url": "http://127.0.0.1:9/in"}).status_code == 400
    app.config["WEBHOOK_ALLOW_PRIVATE_URLS"] = True
    assert api_client_for_salon.post("/webhooks", json={"url": "http://127.0.0.1:9/in"}).status_code == 201


@pytest.fixture
def api_client_for_salon(client, session, salon):
    from bookingapp.api.keys import create_api_key
    from tests.api.conftest import Api

    _, raw = create_api_key(session, salon[0])
    session.commit()
    return Api(client, raw)


def test_the_workers_lease_comes_from_the_configuration_and_always_covers_a_send(app):
    """A killed worker's delivery waits out its lease before another worker takes it: the lease
    is configurable (the fleet's kill test needs it shorter than its wait), yet never shorter
    than a send (twice the timeout, connect and read, plus a margin)."""
    from bookingapp.notifications.webhooks import lease_for
    from bookingapp.notifications.worker import settings_from_config

    with app.app_context():
        assert lease_for(settings_from_config()) == timedelta(minutes=2)
        app.config.update(WEBHOOK_TIMEOUT_SECONDS=2, WEBHOOK_LEASE_SECONDS=0)
        assert lease_for(settings_from_config()) == timedelta(seconds=34)
        app.config.update(WEBHOOK_TIMEOUT_SECONDS=10, WEBHOOK_LEASE_SECONDS=300)
        assert lease_for(settings_from_config()) == timedelta(minutes=5)
