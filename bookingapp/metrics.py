"""Prometheus metrics, served at /metrics.

Three kinds, each counted where it is honest to count it:

* HTTP: requests by endpoint (the URL rule's name, never the raw path), method and status, and
  their latency, timed with the monotonic clock around each request.
* Domain events, counted without touching the domain: after a transaction COMMITS, the
  BookingEvent rows it inserted are status changes (`expired` ones are holds that ran out) and
  the Payment rows it inserted or moved are payments by status. Rolled-back work counts
  nothing. The worker counts what its passes did (webhook attempts, messages by outcome,
  reminders planned).
* Queues, read from the database at scrape time (outbox events not yet fanned out, webhook
  deliveries pending, messages due), with the age of the oldest: what every process sees alike.

Under gunicorn set PROMETHEUS_MULTIPROC_DIR to an empty folder, the same for every process on
the machine (app servers and workers): each process writes its counts there and any app server's
/metrics adds them up (prometheus_client's multiprocess mode). Without it, /metrics shows the
counts of the process that answers, which is right for `flask run`.
"""
from __future__ import annotations

import os
import time
from datetime import timedelta

from flask import Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Seconds; most pages answer in tens of milliseconds, a month of availability in hundreds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("bookingapp_http_requests_total", "HTTP requests answered, by endpoint, method and status",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("bookingapp_http_request_duration_seconds", "Time from a request's start to its answer",
                    ["endpoint", "method"], buckets=LATENCY_BUCKETS)
BOOKING_TRANSITIONS = Counter("bookingapp_booking_transitions_total",
                              "Booking status changes committed (from_status 'none' for a new booking)",
                              ["from_status", "to_status"])
HOLDS_EXPIRED = Counter("bookingapp_holds_expired_total", "Holds marked expired because their time ran out")
PAYMENTS = Counter("bookingapp_payments_total", "Payment rows committed in a status (new, or moved to it)",
                   ["status"])
WEBHOOK_EVENTS_FANNED_OUT = Counter("bookingapp_webhook_deliveries_created_total",
                                    "Webhook deliveries created from outbox events by the worker")
WEBHOOK_ATTEMPTS = Counter("bookingapp_webhook_attempts_total", "Webhook sends by the worker, by result",
                           ["result"])
MESSAGES = Counter("bookingapp_messages_total", "Messages (emails, texts) the worker finished, by outcome",
                   ["outcome"])
MESSAGE_SENDS = Counter("bookingapp_message_sends_total",
                        "Messages handed to a transport (smtp, file, twilio, recording), by outcome",
                        ["transport", "outcome"])
REMINDERS_PLANNED = Counter("bookingapp_reminders_planned_total",
                            "Reminders and daily agendas recorded by the worker when due")
WORKER_PASSES = Counter("bookingapp_worker_passes_total", "Worker passes, by result", ["result"])
WORKER_PASS_SECONDS = Histogram("bookingapp_worker_pass_duration_seconds", "Time one worker pass took",
                                buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0))

_PENDING = "bookingapp_metrics_pending"
_STARTED = "bookingapp_metrics_started"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_DIR_VARIABLE) or None


# --------------------------------------------------------------------------- HTTP


def init_app(app: Flask) -> None:
    if not app.config.get("METRICS_ENABLED", True):
        return
    app.before_request(_start_timer)
    app.after_request(_count_request)
    app.add_url_rule("/metrics", "metrics", metrics_view)
    install_session_counters()


def _start_timer() -> None:
    g.setdefault(_STARTED, time.perf_counter())


def _count_request(response):
    started = g.get(_STARTED)
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
    if endpoint == "metrics":
        return response
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - started)
    return response


def metrics_view():
    """Every process's counts (multiprocess mode) or this process's, and the queue gauges."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(QueueCollector())
    return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST,
                                                        "Cache-Control": "no-store"})


class _ThisProcess:
    """The default registry (this process's counters and its process/platform collectors)."""

    def collect(self):
        yield from REGISTRY.collect()


# --------------------------------------------------------------------------- queues, at scrape time


class QueueCollector:
    """Queue depth and the age of the oldest item, asked of the database when scraped."""

    def collect(self):
        from bookingapp.domain import clock
        from bookingapp.extensions import db
        from bookingapp.models import Message, OutboxEvent, WebhookDelivery

        now = clock.now()
        depth = GaugeMetricFamily("bookingapp_queue_depth", "Items waiting in a queue (read from the database)",
                                  labels=["queue"])
        age = GaugeMetricFamily("bookingapp_queue_oldest_age_seconds",
                                "How long the oldest waiting item has waited (0 when none)", labels=["queue"])
        up = GaugeMetricFamily("bookingapp_queue_scrape_ok", "1 when the queue figures could be read")
        queries = {
            "outbox": select(func.count(), func.min(OutboxEvent.created_at)).where(
                OutboxEvent.dispatched_at.is_(None)),
            "webhook_deliveries": select(func.count(), func.min(WebhookDelivery.created_at)).where(
                WebhookDelivery.status == "pending"),
            "messages": select(func.count(), func.min(Message.due_at)).where(
                Message.status.in_(("pending", "sending")), Message.due_at <= now),
        }
        try:
            for name, query in queries.items():
                count, oldest = db.session.execute(query).one()
                depth.add_metric([name], count or 0)
                waited = (now - oldest) if oldest is not None else timedelta(0)
                age.add_metric([name], max(waited.total_seconds(), 0.0))
            up.add_metric([], 1)
        except Exception:  # the database is down: say so rather than fail the whole scrape
            db.session.rollback()
            current_app.logger.warning("metrics: queue figures could not be read", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        yield depth
        yield age
        yield up


# --------------------------------------------------------------------------- domain events, after commit


def _open_savepoints(session: Session) -> frozenset:
    """The savepoints the session is inside now (innermost and its nested parents)."""
    chain, transaction = set(), session.get_nested_transaction()
    while transaction is not None and transaction.nested:
        chain.add(transaction)
        transaction = transaction.parent
    return frozenset(chain)


def _note_changes(session: Session, _flush_context, _instances) -> None:
    """Before each flush: the history rows and payment statuses this flush writes, each tagged
    with the savepoints it was written in (a savepoint rolled back takes its rows with it)."""
    from sqlalchemy import inspect

    from bookingapp.models import BookingEvent, Payment

    noted = []
    for instance in session.new:
        if isinstance(instance, BookingEvent):
            if instance.from_status != instance.to_status:  # same-status rows are notes (payments)
                noted.append(("booking", instance.from_status or "none", instance.to_status))
        elif isinstance(instance, Payment):
            noted.append(("payment", instance.status or "created"))  # the column's default
    for instance in session.dirty:
        if isinstance(instance, Payment):
            history = inspect(instance).attrs.status.history
            # deleted is empty when the old value was not loaded (expired by a commit): a change.
            if history.added and history.added[0] not in (history.deleted or ()):
                noted.append(("payment", history.added[0]))
    if noted:
        savepoints = _open_savepoints(session)
        session.info.setdefault(_PENDING, []).extend((savepoints, item) for item in noted)


def _count_committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: its rows await the real commit
        return
    for _savepoints, item in session.info.pop(_PENDING, []):
        if item[0] == "booking":
            BOOKING_TRANSITIONS.labels(item[1], item[2]).inc()
            if item[2] == "expired":
                HOLDS_EXPIRED.inc()
        else:
            PAYMENTS.labels(item[1]).inc()


def _forget_rolled_back(session: Session, previous_transaction) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if previous_transaction.nested:
        session.info[_PENDING] = [entry for entry in pending if previous_transaction not in entry[0]]
    elif previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def _fresh_transaction(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


_installed = False


def install_session_counters() -> None:
    """Listen on every SQLAlchemy Session (once per process): note before each flush, count
    after commit, forget what a rollback undid."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", _note_changes)
    event.listen(Session, "after_commit", _count_committed)
    event.listen(Session, "after_soft_rollback", _forget_rolled_back)
    event.listen(Session, "after_transaction_create", _fresh_transaction)
    _installed = True
