"""The worker loop behind `flask --app app worker`: delivers webhooks, plans due reminders and
sends the messages that are due (delivery.py), expires stale holds, and forgets old
idempotency records. Safe to run several at once (see webhooks.py and delivery.py).

SIGTERM (systemd's stop, `scripts/fleet stop`) and SIGINT ask the loop to stop: the delivery in
hand finishes and is recorded, no new step of the pass begins, and the loop exits without
waiting out its sleep. A second signal changes nothing; the unit's stop timeout is the backstop."""
from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import timedelta

from flask import current_app

from bookingapp import metrics
from bookingapp.extensions import db
from bookingapp.notifications.delivery import channels_from_config, send_due_messages
from bookingapp.notifications.webhooks import LEASE, DeliverySettings, delivery_session, run_once
from bookingapp.domain.reminders import plan_due

log = logging.getLogger(__name__)


def settings_from_config() -> DeliverySettings:
    config = current_app.config
    return DeliverySettings(
        timeout_seconds=float(config.get("WEBHOOK_TIMEOUT_SECONDS", 10)),
        retry_for=timedelta(hours=float(config.get("WEBHOOK_RETRY_HOURS", 24))),
        disable_after_failures=int(config.get("WEBHOOK_DISABLE_AFTER_FAILURES", 20)),
        lease=timedelta(seconds=float(config.get("WEBHOOK_LEASE_SECONDS", LEASE.total_seconds()))),
        # Read once at start: each delivery's host is resolved and checked against it.
        allow_private=bool(config.get("WEBHOOK_ALLOW_PRIVATE_URLS", False)),
    )


def housekeeping() -> None:
    from bookingapp.api.idempotency import purge_expired
    from bookingapp.domain.booking import expire_stale_holds

    expire_stale_holds(db.session)
    purge_expired(db.session)
    db.session.commit()


MESSAGES_PER_PASS = 50


class StopRequest:
    """Set by SIGTERM/SIGINT; the loop checks it between deliveries and sleeps on it."""

    def __init__(self):
        self._event = threading.Event()

    def __call__(self, signum=None, _frame=None) -> None:
        if not self._event.is_set():
            log.info("worker: stop requested (signal %s); finishing the delivery in hand", signum)
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        return self._event.wait(seconds)


def install_stop_signals(stop: StopRequest) -> None:
    """Only the main thread may install signal handlers (tests run the loop in threads)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)


def one_pass(settings: DeliverySettings, channels, http, stop: StopRequest) -> dict[str, int]:
    """Webhooks, reminders, messages (one at a time), stopping between deliveries once a stop
    is requested."""
    stats = run_once(db.session, settings, http=http, should_stop=lambda: stop.requested,
                     # Counted as each send is recorded, so a worker killed later loses none.
                     on_sent=lambda succeeded: metrics.WEBHOOK_ATTEMPTS.labels(
                         "succeeded" if succeeded else "failed").inc())
    metrics.WEBHOOK_EVENTS_FANNED_OUT.inc(stats["fanned_out"])
    if stop.requested:
        return stats
    stats["reminders_planned"] = plan_due(db.session)
    db.session.commit()
    metrics.REMINDERS_PLANNED.inc(stats["reminders_planned"])
    for _ in range(MESSAGES_PER_PASS):
        if stop.requested:
            break
        sent = send_due_messages(db.session, channels, batch=1)
        for outcome, count in sent.items():
            stats[f"messages_{outcome}"] = stats.get(f"messages_{outcome}", 0) + count
            metrics.MESSAGES.labels(outcome).inc(count)
        if not any(sent.values()):
            break
    return stats


def run(*, once: bool = False, interval: float = 2.0, stop: StopRequest | None = None) -> None:
    settings = settings_from_config()
    channels = channels_from_config(current_app.config)
    http = delivery_session()  # HTTPS pinned to the address each delivery vetted
    if stop is None:
        stop = StopRequest()
        if not once:
            install_stop_signals(stop)
    last_housekeeping = 0.0
    while not stop.requested:
        started = time.perf_counter()
        try:
            stats = one_pass(settings, channels, http, stop)
            if (time.monotonic() - last_housekeeping > 60 or once) and not stop.requested:
                housekeeping()
                last_housekeeping = time.monotonic()
            metrics.WORKER_PASSES.labels("ok").inc()
            if any(stats.values()):
                log.info("worker pass: %s", stats)
        except Exception:
            db.session.rollback()
            metrics.WORKER_PASSES.labels("failed").inc()
            if once:
                raise
            log.exception("worker pass failed; retrying")
        finally:
            db.session.remove()
            metrics.WORKER_PASS_SECONDS.observe(time.perf_counter() - started)
        if once:
            return
        stop.wait(interval)
    log.info("worker: stopped")
