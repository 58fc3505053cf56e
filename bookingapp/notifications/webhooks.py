"""Webhook endpoints and the delivery of outbox events to them.

Flow: the booking (and payment, review) code writes OutboxEvent rows in the same
transaction as the change. The worker then
1. fans out: each undispatched event becomes one WebhookDelivery per active endpoint of its
   business that wants the topic (unique per endpoint and event), and the event is marked
   dispatched;
2. delivers: claims due deliveries, POSTs them signed, and records the answer; a failure
   is retried with exponential backoff for WEBHOOK_RETRY_HOURS (a day), after which the
   delivery is failed; WEBHOOK_DISABLE_AFTER_FAILURES failures in a row disable the endpoint.

Claiming uses SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL and moves next_attempt_at
forward by a lease before the lock is released, so several workers can run at once and no
delivery is sent twice; a worker that dies mid-send leaves a lease that simply runs out.
(SQLite has one writer at a time, so the claim is naturally exclusive there.)

Signature: header `X-Webhook-Signature: t=<unix seconds>,v1=<hex>` where hex is
HMAC-SHA256(endpoint secret, "<event id>.<t>.<raw body>"). Receivers recompute it, compare
in constant time, and refuse a t older than a few minutes (replays).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bookingapp.notifications.email import EMAIL_TOPIC_PREFIX
from bookingapp.db import acquire_write_lock
from bookingapp.domain.errors import NotFound, ValidationError
from bookingapp.domain.outbox import record_event
from bookingapp.models import Business, OutboxEvent, WebhookDelivery, WebhookEndpoint

EVENT_TYPES = (
    "booking.created", "booking.updated", "booking.cancelled", "booking.rescheduled",
    "payment.succeeded", "payment.failed", "payment.refunded", "review.created",
)
TEST_EVENT = "webhook.test"
SIGNATURE_HEADER = "X-Webhook-Signature"
LEASE = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY_GAP = timedelta(hours=2)
MAX_ENDPOINTS_PER_BUSINESS = 20


@dataclass
class DeliverySettings:
    timeout_seconds: float = 10.0
    retry_for: timedelta = timedelta(hours=24)
    disable_after_failures: int = 20


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


# --------------------------------------------------------------------------- endpoints


def create_endpoint(session: Session, business: Business, *, url: Any, events: Any = None, description: Any = None) -> WebhookEndpoint:
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("url is required.", param="url")
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise ValidationError("url must be an absolute http(s) URL.", param="url")
    events = list(dict.fromkeys(events or []))
    for index, topic in enumerate(events):
        if topic not in EVENT_TYPES:
            raise ValidationError(f"Unknown event {topic!r}. Known events: {', '.join(EVENT_TYPES)}.", param=f"events[{index}]")
    if description is not None and (not isinstance(description, str) or len(description) > 500):
        raise ValidationError("description must be text of 500 characters at most.", param="description")
    count = len(session.scalars(select(WebhookEndpoint.id).where(
        WebhookEndpoint.business_id == business.id, WebhookEndpoint.deleted_at.is_(None))).all())
    if count >= MAX_ENDPOINTS_PER_BUSINESS:
        raise ValidationError(f"A business may have at most {MAX_ENDPOINTS_PER_BUSINESS} webhook endpoints.", param="url")
    endpoint = WebhookEndpoint(
        business_id=business.id, url=url, events=events, description=description,
        secret="whsec_" + secrets.token_urlsafe(32), is_active=True, consecutive_failures=0,
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def delete_endpoint(session: Session, business: Business, endpoint: WebhookEndpoint, *, now: datetime | None = None) -> None:
    """Soft delete, keeping the delivery log; what was still pending is abandoned."""
    if endpoint is None or endpoint.business_id != business.id or endpoint.deleted_at is not None:
        raise NotFound("Webhook endpoint not found.")
    now = _now(now)
    endpoint.deleted_at = now
    endpoint.is_active = False
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "pending")
        .values(status="failed", error="endpoint deleted")
    )
    session.flush()


def send_test_event(session: Session, business: Business, endpoint: WebhookEndpoint, *, now: datetime | None = None) -> WebhookDelivery:
    """Queue a `webhook.test` event for this one endpoint (even a disabled one, to check a fix)."""
    if endpoint is None or endpoint.business_id != business.id or endpoint.deleted_at is not None:
        raise NotFound("Webhook endpoint not found.")
    now = _now(now)
    event = record_event(session, business.id, TEST_EVENT, {"endpoint_id": str(endpoint.id), "message": "This is a test event."}, now=now)
    event.dispatched_at = now  # fanned out here, to this endpoint only
    session.flush()
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id, topic=TEST_EVENT, status="pending",
                               attempts=0, next_attempt_at=now, created_at=now)
    session.add(delivery)
    session.flush()
    return delivery


# --------------------------------------------------------------------------- signing


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    message = f"{event_id}.{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, event_id, timestamp, body)}"


def verify_signature(secret: str, event_id: str, header: str, body: bytes, *, now: datetime | None = None,
                     tolerance: timedelta = timedelta(minutes=5)) -> bool:
    """The receiver's side of the recipe (used by the tests, and a reference for integrators)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(_now(now).timestamp() - timestamp) > tolerance.total_seconds():
        return False
    return hmac.compare_digest(parts.get("v1", ""), sign(secret, event_id, timestamp, body))


def event_body(event: OutboxEvent) -> bytes:
    created = event.created_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return json.dumps({"id": str(event.id), "type": event.topic, "created_at": created, "data": event.payload},
                      separators=(",", ":"), sort_keys=True).encode()


# --------------------------------------------------------------------------- the worker's steps


def fan_out(session: Session, *, now: datetime | None = None, batch: int = 200) -> int:
    """Turn undispatched outbox events into deliveries. Caller commits. Emails are left
    for notifications.email, which marks them dispatched when it has sent them."""
    now = _now(now)
    acquire_write_lock(session)  # SQLite: FOR UPDATE is ignored; the single write lock serialises workers
    events = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.dispatched_at.is_(None), ~OutboxEvent.topic.startswith(EMAIL_TOPIC_PREFIX))
        .order_by(OutboxEvent.created_at, OutboxEvent.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    if not events:
        return 0
    business_ids = {event.business_id for event in events}
    endpoints = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.business_id.in_(business_ids),
            WebhookEndpoint.is_active.is_(True),
            WebhookEndpoint.deleted_at.is_(None),
        )
    ).all()
    created = 0
    for event in events:
        if event.topic in EVENT_TYPES:
            for endpoint in endpoints:
                if endpoint.business_id == event.business_id and endpoint.wants(event.topic):
                    session.add(WebhookDelivery(
                        endpoint_id=endpoint.id, event_id=event.id, topic=event.topic, status="pending",
                        attempts=0, next_attempt_at=now, created_at=now,
                    ))
                    created += 1
        event.dispatched_at = now
    session.flush()
    return created


def claim_due(session: Session, *, now: datetime | None = None, batch: int = 20) -> list[uuid.UUID]:
    """Lease due deliveries to this worker; commits so other workers see the lease."""
    now = _now(now)
    acquire_write_lock(session)
    rows = session.scalars(
        select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.deleted_at.is_(None),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(batch)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    ).all()
    claimed = []
    for delivery in rows:
        endpoint = delivery.endpoint
        # A disabled endpoint only receives test events (sent by hand to check a fix).
        if not endpoint.is_active and delivery.topic != TEST_EVENT:
            continue
        delivery.next_attempt_at = now + LEASE
        claimed.append(delivery.id)
    session.commit()
    return claimed


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at 2 hours between attempts."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY_GAP)


def attempt(session: Session, delivery_id: uuid.UUID, settings: DeliverySettings, *, http: requests.Session,
            now: datetime | None = None) -> WebhookDelivery:
    """Send one claimed delivery and record the outcome. Caller commits."""
    delivery = session.get(WebhookDelivery, delivery_id)
    endpoint = delivery.endpoint
    event = session.get(OutboxEvent, delivery.event_id)
    body = event_body(event)
    sent_at = _now(now)
    timestamp = int(sent_at.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "bookingapp-webhooks/1",
        "X-Webhook-Id": str(event.id),
        "X-Webhook-Event": event.topic,
        "X-Webhook-Timestamp": str(timestamp),
        SIGNATURE_HEADER: signature_header(endpoint.secret, str(event.id), timestamp, body),
    }
    delivery.attempts += 1
    delivery.last_attempt_at = sent_at
    try:
        response = http.post(endpoint.url, data=body, headers=headers, timeout=settings.timeout_seconds,
                             allow_redirects=False)
        delivery.response_status = response.status_code
        delivery.response_body = response.text[:2000]
        ok = 200 <= response.status_code < 300
        delivery.error = None if ok else f"HTTP {response.status_code}"
    except requests.RequestException as error:
        ok = False
        delivery.response_status = None
        delivery.response_body = None
        delivery.error = f"{type(error).__name__}: {error}"[:2000]
    if ok:
        delivery.status = "succeeded"
        delivery.delivered_at = sent_at
        endpoint.consecutive_failures = 0
        return delivery
    if delivery.topic != TEST_EVENT:
        endpoint.consecutive_failures += 1
        if endpoint.is_active and endpoint.consecutive_failures >= settings.disable_after_failures:
            endpoint.is_active = False
            endpoint.disabled_at = sent_at
    retry_at = sent_at + backoff(delivery.attempts)
    if retry_at - delivery.created_at > settings.retry_for or delivery.topic == TEST_EVENT:
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = retry_at
    return delivery


def run_once(session: Session, settings: DeliverySettings, *, http: requests.Session | None = None,
             now: datetime | None = None) -> dict[str, int]:
    """One pass of the worker: fan out, then deliver what is due. Commits as it goes."""
    http = http or requests.Session()
    fanned = fan_out(session, now=now)
    session.commit()
    sent = failed = 0
    for delivery_id in claim_due(session, now=now):
        delivery = attempt(session, delivery_id, settings, http=http, now=now)
        if delivery.status == "succeeded":
            sent += 1
        else:
            failed += 1
        session.commit()
    return {"fanned_out": fanned, "succeeded": sent, "failed_attempts": failed}
