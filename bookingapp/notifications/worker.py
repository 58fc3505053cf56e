"""The worker loop behind `flask --app app worker`: delivers webhooks, plans due reminders and
sends the messages that are due (delivery.py), expires stale holds, and forgets old
idempotency records. Safe to run several at once (see webhooks.py and delivery.py)."""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import current_app

from bookingapp.extensions import db
from bookingapp.notifications.delivery import channels_from_config, send_due_messages
from bookingapp.notifications.webhooks import DeliverySettings, delivery_session, run_once
from bookingapp.domain.reminders import plan_due

log = logging.getLogger(__name__)


def settings_from_config() -> DeliverySettings:
    config = current_app.config
    return DeliverySettings(
        timeout_seconds=float(config.get("WEBHOOK_TIMEOUT_SECONDS", 10)),
        retry_for=timedelta(hours=float(config.get("WEBHOOK_RETRY_HOURS", 24))),
        disable_after_failures=int(config.get("WEBHOOK_DISABLE_AFTER_FAILURES", 20)),
        # Read once at start: each delivery's host is resolved and checked against it.
        allow_private=bool(config.get("WEBHOOK_ALLOW_PRIVATE_URLS", False)),
    )


def housekeeping() -> None:
    from bookingapp.api.idempotency import purge_expired
    from bookingapp.domain.booking import expire_stale_holds

    expire_stale_holds(db.session)
    purge_expired(db.session)
    db.session.commit()


def run(*, once: bool = False, interval: float = 2.0) -> None:
    settings = settings_from_config()
    channels = channels_from_config(current_app.config)
    http = delivery_session()  # HTTPS pinned to the address each delivery vetted
    last_housekeeping = 0.0
    while True:
        try:
            stats = run_once(db.session, settings, http=http)
            stats["reminders_planned"] = plan_due(db.session)
            db.session.commit()
            sent = send_due_messages(db.session, channels)
            stats.update({f"messages_{outcome}": count for outcome, count in sent.items()})
            if time.monotonic() - last_housekeeping > 60 or once:
                housekeeping()
                last_housekeeping = time.monotonic()
            if any(stats.values()):
                log.info("worker pass: %s", stats)
        except Exception:
            db.session.rollback()
            if once:
                raise
            log.exception("worker pass failed; retrying")
        finally:
            db.session.remove()
        if once:
            return
        time.sleep(interval)
