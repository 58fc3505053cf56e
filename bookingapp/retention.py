"""How long the delivery bookkeeping is kept (docs/operations.md, "Retention").

* Outbox events and their webhook deliveries: kept while anything about them may still happen
  (an event not yet fanned out, a delivery still pending) and for RETENTION_DAYS after, so the
  API's delivery log (GET /api/v1/webhooks/{id}/deliveries) covers the weeks an integrator looks
  back over; then deleted by `flask prune-outbox` (a daily timer).
* Idempotency records: the worker already forgets them after IDEMPOTENCY_TTL_HOURS (24 h).
* Messages (emails, texts) are the customer-facing delivery log and are kept.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from bookingapp.domain.clock import resolve_now
from bookingapp.models import OutboxEvent, WebhookDelivery

DEFAULT_RETENTION_DAYS = 30


def prune_outbox(session: Session, *, days: int = DEFAULT_RETENTION_DAYS, now: datetime | None = None,
                 batch: int = 5000) -> int:
    """Delete outbox events dispatched more than `days` ago none of whose deliveries is still
    pending, with their deliveries; how many events went. Caller commits. Batches keep each
    statement's locks short on a large table."""
    cutoff = resolve_now(now) - timedelta(days=days)
    still_pending = exists().where(WebhookDelivery.event_id == OutboxEvent.id, WebhookDelivery.status == "pending")
    ids = session.scalars(
        select(OutboxEvent.id).where(OutboxEvent.dispatched_at.is_not(None), OutboxEvent.dispatched_at < cutoff,
                                     ~still_pending).limit(batch)
    ).all()
    if not ids:
        return 0
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(ids)))
    session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(ids)))
    return len(ids)
