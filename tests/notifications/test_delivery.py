"""The worker's side of messages: each due message claimed by one worker only, sent once,
a dead worker's message taken over when its lease runs out, retries that end, messages no
longer wanted skipped with the reason, and one broken message never holding up the rest."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import delete

from bookingapp.domain.clock import pinned_to
from bookingapp.extensions import db
from bookingapp.models import Message
from bookingapp.notifications import worker
from bookingapp.notifications.delivery import (
    LEASE, MAX_ATTEMPTS, Channels, claim, deliver, send_due_messages,
)
from bookingapp.notifications.email import EmailError, SmtpEmail, SmtpSettings
from bookingapp.notifications.sms import RecordingSms
from tests.helpers import before
from tests.notifications.conftest import free_port, reloaded, smtp_channels


def test_a_message_is_claimed_by_one_worker_only(session, smtp_server, make_message, now):
    message = make_message()
    assert claim(session, message.id, now=now) == 1
    assert claim(session, message.id, now=now) is None  # a second worker that listed it too

    claimed = reloaded(session, message)
    assert (claimed.status, claimed.attempts, claimed.claimed_until) == ("sending", 1, now + LEASE)
    # The worker that lost the claim sends nothing.
    assert deliver(session, smtp_channels(smtp_server.settings), message.id, now=now) is None
    assert smtp_server.inbox.messages == []


def test_two_workers_racing_send_each_message_once(app, session, smtp_server, make_message, now):
    messages = [make_message() for _ in range(12)]
    smtp_server.inbox.data_delay_seconds = 0.02
    channels = smtp_channels(smtp_server.settings)
    start = threading.Barrier(2)
    counts, errors = [], []

    def run_worker():
        try:
            with app.app_context():
                start.wait()
                counts.append(send_due_messages(db.session, channels, now=now))
        except Exception as error:  # surfaced below
            errors.append(error)

    workers = [threading.Thread(target=run_worker) for _ in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()

    assert not errors, errors
    assert sum(count["sent"] for count in counts) == 12
    sent_ids = sorted(email["Message-ID"] for _, email in smtp_server.inbox.messages)
    assert len(sent_ids) == 12 and len(set(sent_ids)) == 12
    session.expire_all()
    assert {(m.status, m.attempts) for m in (session.get(Message, m.id) for m in messages)} == {("sent", 1)}


def test_a_dead_workers_message_is_taken_over_when_its_lease_runs_out(session, smtp_server, make_message, now):
    message = make_message()
    assert claim(session, message.id, now=now) == 1  # and then that worker died mid-send
    channels = smtp_channels(smtp_server.settings)

    assert send_due_messages(session, channels, now=now + LEASE - timedelta(seconds=1))["sent"] == 0
    assert reloaded(session, message).status == "sending"

    assert send_due_messages(session, channels, now=now + LEASE + timedelta(seconds=1))["sent"] == 1
    sent = reloaded(session, message)
    assert (sent.status, sent.attempts, sent.claimed_until) == ("sent", 2, None)
    assert len(smtp_server.inbox.messages) == 1


class StallsOnce(SmtpEmail):
    """The real SMTP channel, whose first send stalls past the lease: meanwhile `meanwhile`
    runs (another worker, taking the message over)."""

    def __init__(self, settings: SmtpSettings, meanwhile):
        super().__init__(settings)
        self.meanwhile = meanwhile

    def send(self, email):
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        return super().send(email)


def test_a_worker_that_stalled_past_its_lease_does_not_overwrite_the_one_that_took_over(
        app, session, smtp_server, make_message, now, caplog):
    message = make_message()

    def second_worker():
        def run():
            with app.app_context():
                outcomes.append(send_due_messages(db.session, smtp_channels(smtp_server.settings),
                                                  now=now + LEASE + timedelta(seconds=1)))
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()

    outcomes = []
    stalled = Channels(email=StallsOnce(smtp_server.settings, second_worker), sms=RecordingSms())
    send_due_messages(session, stalled, now=now)

    assert outcomes[0]["sent"] == 1
    taken_over = reloaded(session, message)
    taken_over_at = now + LEASE + timedelta(seconds=1)
    assert (taken_over.status, taken_over.attempts, taken_over.sent_at) == ("sent", 2, taken_over_at)
    assert f"message {message.id}: attempt 1 outlived its lease" in caplog.text
    # Both sent it (the stalled one could not know); the same Message-ID lets the mail client drop one.
    assert len({email["Message-ID"] for _, email in smtp_server.inbox.messages}) == 1


def test_retries_end_with_failed_and_the_reason(session, make_message, now, caplog):
    message = make_message(attempts=MAX_ATTEMPTS - 1)
    down = SmtpSettings(host="127.0.0.1", port=free_port(), sender="bookings@salon.example", timeout_seconds=2)

    with caplog.at_level(logging.WARNING):
        assert send_due_messages(session, smtp_channels(down), now=now)["failed"] == 1

    failed = reloaded(session, message)
    assert (failed.status, failed.attempts, failed.claimed_until) == ("failed", MAX_ATTEMPTS, None)
    assert "SMTP failed" in failed.last_error and f"gave up after {MAX_ATTEMPTS} attempts" in failed.last_error
    assert f"message {message.id} failed for good" in caplog.text


def test_a_reminder_of_a_cancelled_booking_is_skipped_with_the_reason(session, booking, smtp_server, make_message,
                                                                     now):
    from bookingapp.domain import booking as ops

    ops.cancel(session, booking, reason="ill", now=before(), actor="staff")
    session.execute(delete(Message))  # what the domain recorded for the cancel is not this test's
    session.commit()
    reminder = make_message("reminder", dedupe_key="reminder:skip:24")

    assert send_due_messages(session, smtp_channels(smtp_server.settings), now=now)["skipped"] == 1

    skipped = reloaded(session, reminder)
    assert skipped.status == "skipped" and skipped.last_error and skipped.sent_at is None
    assert smtp_server.inbox.messages == []


class BreaksFor(SmtpEmail):
    """The real SMTP channel, except that handing over an email to one address raises an
    error no channel should (a bug): the worker must survive it."""

    def __init__(self, settings: SmtpSettings, broken_address: str):
        super().__init__(settings)
        self.broken_address = broken_address

    def send(self, email):
        if email["To"].addresses[0].addr_spec == self.broken_address:
            raise RuntimeError("unexpected bug")
        return super().send(email)


def test_an_unexpected_error_leaves_the_message_for_a_retry_and_the_others_still_go(session, smtp_server,
                                                                                    make_message, now, caplog):
    broken = make_message(recipient="bug@example.com", due_at=now - timedelta(minutes=1))  # first in line
    fine = make_message()
    channels = Channels(email=BreaksFor(smtp_server.settings, "bug@example.com"), sms=RecordingSms())

    counts = send_due_messages(session, channels, now=now)

    assert (counts["retrying"], counts["sent"]) == (1, 1)
    waiting = reloaded(session, broken)
    assert (waiting.status, waiting.attempts, waiting.due_at) == ("pending", 1, now + timedelta(minutes=1))
    assert waiting.last_error == "RuntimeError: unexpected bug"
    assert reloaded(session, fine).status == "sent"
    assert f"message {broken.id} could not be rendered or sent" in caplog.text and "Traceback" in caplog.text


def test_email_errors_say_whether_a_retry_can_help():
    assert EmailError("550", permanent=True).permanent and not EmailError("421", permanent=False).permanent


def test_a_worker_pass_sends_the_due_messages_with_the_configured_channels(app, session, make_message, now, tmp_path):
    app.config.update(SMTP_HOST="", MAIL_RECORD_DIR=str(tmp_path))
    message_id = make_message().id
    with pinned_to(now):
        worker.run(once=True)  # ends by closing the session: the message is read again after
    assert session.get(Message, message_id).status == "recorded"
    assert (tmp_path / f"{message_id}.eml").exists()
