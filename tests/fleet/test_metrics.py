"""/metrics: HTTP requests by endpoint and status; booking status changes, expired holds and
payments counted only once committed; queue depth and age read from the database."""
from __future__ import annotations

import re
from datetime import timedelta

from prometheus_client import REGISTRY

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.outbox import record_event
from tests.fleet.conftest import NOW, TOMORROW_10


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def held_count() -> float:
    return sample("bookingapp_booking_transitions_total", from_status="none", to_status="held")


def scraped(client, name: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    found = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.MULTILINE)
    assert found, f"{name} not in /metrics"
    return float(found.group(1))


def test_requests_are_counted_by_endpoint_method_and_status(client):
    before_ok = sample("bookingapp_http_requests_total", endpoint="health.healthz", method="GET", status="200")
    before_count = sample("bookingapp_http_request_duration_seconds_count", endpoint="health.healthz", method="GET")
    client.get("/healthz")
    client.get("/healthz")
    client.post("/healthz")
    assert sample("bookingapp_http_requests_total", endpoint="health.healthz", method="GET", status="200") == before_ok + 2
    assert sample("bookingapp_http_request_duration_seconds_count", endpoint="health.healthz", method="GET") == before_count + 2
    # A method the URL does not take matches no rule: counted apart, never by its raw path.
    assert sample("bookingapp_http_requests_total", endpoint="unmatched", method="POST", status="405") >= 1


def test_metrics_page_is_prometheus_text_and_not_counted_itself(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    assert "bookingapp_http_requests_total" in response.get_data(as_text=True)
    assert sample("bookingapp_http_requests_total", endpoint="metrics", method="GET", status="200") == 0


def test_a_committed_hold_counts_one_status_change_and_a_rolled_back_one_none(session, salon):
    business, service, alice, _bob = salon
    before = held_count()
    booking_ops.hold(session, business, service, TOMORROW_10, staff=alice, now=NOW)
    assert held_count() == before  # flushed, not committed
    session.rollback()
    assert held_count() == before
    booking_ops.hold(session, business, service, TOMORROW_10, staff=alice, now=NOW)
    session.commit()
    assert held_count() == before + 1


def test_a_savepoint_rolled_back_takes_its_counts_with_it(session, salon):
    business, service, alice, bob = salon
    before = held_count()
    savepoint = session.begin_nested()
    booking_ops.hold(session, business, service, TOMORROW_10, staff=alice, now=NOW)
    savepoint.rollback()
    booking_ops.hold(session, business, service, TOMORROW_10, staff=bob, now=NOW)
    session.commit()
    assert held_count() == before + 1


def test_expired_holds_are_counted_when_the_expiry_commits(session, salon):
    business, service, alice, _bob = salon
    held = booking_ops.hold(session, business, service, TOMORROW_10, staff=alice, now=NOW)
    session.commit()
    before = sample("bookingapp_holds_expired_total")
    later = held.hold_expires_at + timedelta(seconds=1)
    assert booking_ops.expire_stale_holds(session, now=later) == 1
    session.commit()
    assert sample("bookingapp_holds_expired_total") == before + 1
    assert sample("bookingapp_booking_transitions_total", from_status="held", to_status="expired") >= 1


def test_queue_depth_and_age_come_from_the_database_at_scrape_time(app, client, session, salon):
    business = salon[0]
    record_event(session, business.id, "booking.created", {"id": "one"}, now=NOW - timedelta(minutes=5))
    record_event(session, business.id, "booking.created", {"id": "two"}, now=NOW - timedelta(minutes=1))
    session.commit()
    assert scraped(client, 'bookingapp_queue_depth{queue="outbox"}') == 2
    assert scraped(client, 'bookingapp_queue_oldest_age_seconds{queue="outbox"}') == 300
    assert scraped(client, "bookingapp_queue_scrape_ok") == 1


def test_metrics_can_be_turned_off(database_url):
    from bookingapp import create_app

    from bookingapp.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "METRICS_ENABLED": False})
    assert app.test_client().get("/metrics").status_code == 404
    # The 404 page may read the database (a styled page's business): close what this app opened.
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_payments_are_counted_by_the_status_they_commit_in(session, salon):
    from bookingapp.models import Payment

    business, service, alice, _bob = salon
    held = booking_ops.hold(session, business, service, TOMORROW_10, staff=alice, now=NOW)
    created = sample("bookingapp_payments_total", status="created")
    succeeded = sample("bookingapp_payments_total", status="succeeded")
    payment = Payment(business_id=business.id, booking_id=held.id, kind="deposit", amount_cents=1000,
                      currency="GBP", provider="sandbox")
    session.add(payment)
    session.commit()
    assert sample("bookingapp_payments_total", status="created") == created + 1
    payment.status = "succeeded"
    session.commit()
    assert sample("bookingapp_payments_total", status="succeeded") == succeeded + 1
    payment.failure_reason = "nothing about the status"
    session.commit()
    assert sample("bookingapp_payments_total", status="succeeded") == succeeded + 1
