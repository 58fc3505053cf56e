"""Delivered outbox events are kept for the retention window, then pruned with their deliveries;
anything still undelivered is kept whatever its age."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bookingapp.domain.outbox import record_event
from bookingapp.models import OutboxEvent, WebhookDelivery
from bookingapp.notifications.webhooks import create_endpoint
from bookingapp.retention import prune_outbox
from tests.fleet.conftest import NOW


def event(session, business, endpoint, *, dispatched_days_ago: int | None, delivery: str | None):
    created = NOW - timedelta(days=(dispatched_days_ago or 0) + 1)
    row = record_event(session, business.id, "booking.created", {}, now=created)
    if dispatched_days_ago is not None:
        row.dispatched_at = NOW - timedelta(days=dispatched_days_ago)
    session.flush()
    if delivery is not None:
        session.add(WebhookDelivery(endpoint_id=endpoint.id, event_id=row.id, topic=row.topic, status=delivery,
                                    attempts=1, next_attempt_at=created, created_at=created))
    return row


def test_old_delivered_events_go_and_everything_else_stays(session, salon):
    business = salon[0]
    endpoint = create_endpoint(session, business, url="http://127.0.0.1:9/hook", allow_private=True)
    old_done = event(session, business, endpoint, dispatched_days_ago=40, delivery="succeeded")
    old_failed = event(session, business, endpoint, dispatched_days_ago=40, delivery="failed")
    old_pending = event(session, business, endpoint, dispatched_days_ago=40, delivery="pending")
    recent = event(session, business, endpoint, dispatched_days_ago=5, delivery="succeeded")
    undispatched = event(session, business, endpoint, dispatched_days_ago=None, delivery=None)
    kept = {old_pending.id, recent.id, undispatched.id}
    gone = {old_done.id, old_failed.id}
    session.commit()

    assert prune_outbox(session, days=30, now=NOW) == 2
    session.commit()

    left = set(session.scalars(select(OutboxEvent.id)).all())
    assert left == kept and not left & gone
    assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 2


def test_the_prune_command_reports_what_it_deleted(app, session, salon):
    business = salon[0]
    endpoint = create_endpoint(session, business, url="http://127.0.0.1:9/hook", allow_private=True)
    event(session, business, endpoint, dispatched_days_ago=90, delivery="succeeded")
    session.commit()
    result = app.test_cli_runner().invoke(args=["prune-outbox", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 outbox event(s)" in result.output
