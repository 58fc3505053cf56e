"""Emails leave over SMTP to a real local server (aiosmtpd), once, built as mail clients
expect them; without an SMTP server they are written as .eml files instead."""
from __future__ import annotations

import shutil
import ssl
import subprocess
import uuid
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from types import SimpleNamespace

import icalendar
import pytest
from aiosmtpd.controller import Controller

from bookingapp.models import Message
from bookingapp.notifications.delivery import channels_from_config, retry_delay, send_due_messages
from bookingapp.notifications.email import EmlFileEmail, SmtpEmail, SmtpSettings, build_email
from bookingapp.notifications.sms import RecordingSms
from tests.notifications.conftest import Inbox, free_port, reloaded, smtp_channels


def test_a_due_email_is_sent_once_and_logged_as_sent(session, smtp_server, make_message, now):
    message = make_message()
    channels = smtp_channels(smtp_server.settings)

    assert send_due_messages(session, channels, now=now)["sent"] == 1
    assert send_due_messages(session, channels, now=now + timedelta(hours=2)) == dict.fromkeys(
        ("sent", "recorded", "skipped", "retrying", "failed"), 0)

    (recipients, email), = smtp_server.inbox.messages
    assert recipients == ["john@example.com"]
    sent = reloaded(session, message)
    assert (sent.status, sent.attempts, sent.sent_at, sent.claimed_until) == ("sent", 1, now, None)
    assert sent.provider_ref == email["Message-ID"] and str(message.id) in sent.provider_ref


def test_a_message_not_yet_due_waits(session, smtp_server, make_message, now):
    later = make_message(due_at=now + timedelta(minutes=5))
    assert send_due_messages(session, smtp_channels(smtp_server.settings), now=now)["sent"] == 0
    assert smtp_server.inbox.messages == []
    assert reloaded(session, later).status == "pending"


def test_a_name_with_a_comma_stays_one_recipient(session, smtp_server, make_message, now):
    make_message()
    send_due_messages(session, smtp_channels(smtp_server.settings), now=now)
    (recipients, email), = smtp_server.inbox.messages
    assert recipients == ["john@example.com"]
    (to,) = email["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Smith, John", "john@example.com")
    assert email["To"] == '"Smith, John" <john@example.com>'


def test_the_email_is_multipart_text_and_html_from_the_business(session, salon, smtp_server, make_message, now):
    business = salon[0]
    make_message()
    send_due_messages(session, smtp_channels(smtp_server.settings), now=now)
    (_, email), = smtp_server.inbox.messages
    (sender,) = email["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (business.name, "bookings@salon.example")
    assert email["Reply-To"].addresses[0].addr_spec == "hello@salon.example"
    assert email["Subject"] and email["Date"]
    body = email.get_body(("related", "html", "plain"))
    alternative = next(part for part in email.walk() if part.get_content_type() == "multipart/alternative")
    kinds = [part.get_content_type() for part in alternative.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    assert email.get_body(("plain",)).get_content().strip()
    assert body.get_content_type() == "text/html" and body.get_content().strip()


def test_the_calendar_file_is_attached_as_an_invitation_then_a_cancellation(session, booking, smtp_server,
                                                                             make_message, now):
    from bookingapp.domain import booking as ops
    from sqlalchemy import delete
    from tests.helpers import before

    make_message("booking_confirmed")
    send_due_messages(session, smtp_channels(smtp_server.settings), now=now)
    ops.cancel(session, booking, reason="ill", now=before(), actor="staff")
    session.execute(delete(Message).where(Message.status == "pending"))  # what the domain recorded
    session.commit()
    make_message("booking_cancelled", facts={"sequence": booking.calendar_sequence, "cancelled_by": "business",
                                             "refunded_cents": 0, "kept_cents": 0, "currency": "GBP"})
    send_due_messages(session, smtp_channels(smtp_server.settings), now=now)

    methods = []
    for _, email in smtp_server.inbox.messages:
        (attachment,) = list(email.iter_attachments())
        assert attachment.get_content_type() == "text/calendar"
        assert attachment.get_filename().endswith(".ics")
        calendar = icalendar.Calendar.from_ical(attachment.get_content())
        assert attachment.get_param("method") == calendar["METHOD"]
        (event,) = calendar.walk("VEVENT")
        assert event.decoded("DTSTART") == booking.starts_at
        methods.append(attachment.get_param("method"))
    assert methods == ["REQUEST", "CANCEL"]


def test_only_non_transactional_emails_carry_one_click_unsubscribe(session, smtp_server, make_message, now):
    make_message("booking_confirmed")
    make_message("reminder", dedupe_key="reminder:test:24")
    send_due_messages(session, smtp_channels(smtp_server.settings), now=now)
    by_kind = {("reminder" if email["List-Unsubscribe"] else "confirmation"): email
               for _, email in smtp_server.inbox.messages}
    assert set(by_kind) == {"reminder", "confirmation"}
    reminder = by_kind["reminder"]
    # A long URL folds the header onto its next line: unfolded, the value may keep the fold's space.
    unsubscribe = reminder["List-Unsubscribe"].strip()
    assert unsubscribe.startswith("<http") and unsubscribe.endswith(">")
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert by_kind["confirmation"]["List-Unsubscribe-Post"] is None


def test_a_recipient_the_server_refuses_fails_at_once_with_the_reason(session, smtp_server, make_message, now):
    smtp_server.inbox.refuse.add("gone@example.com")
    refused = make_message(recipient="gone@example.com")
    delivered = make_message()

    counts = send_due_messages(session, smtp_channels(smtp_server.settings), now=now)

    assert (counts["failed"], counts["sent"]) == (1, 1)
    failed = reloaded(session, refused)
    assert (failed.status, failed.attempts, failed.claimed_until) == ("failed", 1, None)
    assert "550" in failed.last_error and "gone@example.com" in failed.last_error
    assert reloaded(session, delivered).status == "sent"


def test_an_address_that_is_not_one_fails_at_once_and_the_others_still_go(session, smtp_server, make_message, now):
    broken = make_message(recipient="john at example")
    delivered = make_message()
    counts = send_due_messages(session, smtp_channels(smtp_server.settings), now=now)
    assert (counts["failed"], counts["sent"]) == (1, 1)
    assert reloaded(session, broken).status == "failed" and "john at example" in reloaded(session, broken).last_error
    assert reloaded(session, delivered).status == "sent"


def test_an_unreachable_server_means_a_retry_later_with_backoff_then_it_goes(session, smtp_server, make_message, now,
                                                                            caplog):
    message = make_message()
    down = SmtpSettings(host="127.0.0.1", port=free_port(), sender="bookings@salon.example", timeout_seconds=2)

    assert send_due_messages(session, smtp_channels(down), now=now)["retrying"] == 1
    waiting = reloaded(session, message)
    assert (waiting.status, waiting.attempts, waiting.claimed_until) == ("pending", 1, None)
    assert waiting.due_at == now + timedelta(minutes=1)
    assert "SMTP failed" in waiting.last_error and "Connection" in waiting.last_error
    assert f"message {message.id} not sent (attempt 1)" in caplog.text

    # Still down at the retry: the next wait is twice as long.
    assert send_due_messages(session, smtp_channels(down), now=now + timedelta(minutes=1))["retrying"] == 1
    assert reloaded(session, message).due_at == now + timedelta(minutes=1) + timedelta(minutes=2)

    # Not due yet in between, whichever server is up.
    assert send_due_messages(session, smtp_channels(smtp_server.settings), now=now + timedelta(minutes=2))["sent"] == 0
    assert send_due_messages(session, smtp_channels(smtp_server.settings), now=now + timedelta(minutes=3))["sent"] == 1
    sent = reloaded(session, message)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 3, None)
    assert len(smtp_server.inbox.messages) == 1


def test_backoff_doubles_up_to_an_hour():
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert retry_delay(7) == timedelta(hours=1) and retry_delay(30) == timedelta(hours=1)


def test_without_an_smtp_server_each_email_is_written_as_an_eml_file(session, make_message, now, tmp_path):
    channels = channels_from_config({"SMTP_HOST": "", "MAIL_RECORD_DIR": str(tmp_path / "mail"),
                                     "SMTP_SENDER": "bookings@salon.example"})
    assert isinstance(channels.email, EmlFileEmail) and isinstance(channels.sms, RecordingSms)
    first, second = make_message("booking_confirmed"), make_message("reminder", dedupe_key="reminder:eml:24")

    assert send_due_messages(session, channels, now=now)["recorded"] == 2

    for message in (first, second):
        recorded = reloaded(session, message)
        assert (recorded.status, recorded.sent_at) == ("recorded", now)
        path = tmp_path / "mail" / f"{message.id}.eml"
        email = message_from_bytes(path.read_bytes(), policy=default_policy)
        assert email["To"] == '"Smith, John" <john@example.com>'
        assert email["Message-ID"] == recorded.provider_ref
        assert email.get_body(("plain",)).get_content().strip()
    assert sorted(p.name for p in (tmp_path / "mail").iterdir()) == sorted(f"{m.id}.eml" for m in (first, second))


def test_with_an_smtp_host_the_channels_are_smtp(tmp_path):
    channels = channels_from_config({"SMTP_HOST": "mail.example.com", "SMTP_PORT": 587, "SMTP_STARTTLS": True,
                                     "SMTP_SENDER": "Bookings <bookings@example.com>"})
    assert isinstance(channels.email, SmtpEmail)
    assert channels.email.settings == SmtpSettings(host="mail.example.com", port=587, starttls=True,
                                                   sender="Bookings <bookings@example.com>")


def test_a_long_unsubscribe_link_stays_a_link_in_the_header(smtp_server, now):
    """Folding must not turn a URL longer than a line into encoded words (=?utf-8?q?...)."""
    url = "https://book.example.com/juniper-hair-studio/unsubscribe/" + "6nfbTf-_TMCfpCLg5kA7sg." * 4
    rendered = SimpleNamespace(subject="Café reminder: your Lash Lift at Juniper Hair & Beauty Studio tomorrow",
                               text="See you tomorrow.", html="<p>See you tomorrow.</p>", reply_to=None,
                               ics=None, ics_method=None, unsubscribe_url=url)
    email = build_email(rendered, message_id=uuid.uuid4(), to="ada@example.com", to_name="Ada Lovelace",
                        sender="bookings@salon.example", sender_name="Juniper Hair & Beauty", now=now)

    SmtpEmail(smtp_server.settings).send(email)

    (raw,) = smtp_server.inbox.raw
    unfolded = raw.replace(b"\r\n ", b" ")  # RFC 5322 unfolding
    assert f"List-Unsubscribe: <{url}>\r\n".encode() in unfolded
    (_, received), = smtp_server.inbox.messages
    assert received["Subject"] == rendered.subject  # non-ASCII text is still encoded, and decoded back


@pytest.fixture
def tls_smtp_server(tmp_path):
    """An SMTP server that requires STARTTLS, with a self-signed certificate for 127.0.0.1."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True)
    controller.start()
    settings = SmtpSettings(host="127.0.0.1", port=controller.port, sender="bookings@salon.example", starttls=True,
                            timeout_seconds=5)
    yield inbox, settings, cert
    controller.stop()


def test_starttls_checks_the_servers_certificate(tls_smtp_server, make_message, session, now, monkeypatch):
    inbox, settings, cert = tls_smtp_server
    message = make_message()

    counts = send_due_messages(session, smtp_channels(settings), now=now)
    assert counts["retrying"] == 1 and inbox.messages == []
    assert "CERTIFICATE_VERIFY_FAILED" in reloaded(session, message).last_error

    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # now trusted, as a CA-signed one would be
    assert send_due_messages(session, smtp_channels(settings), now=now + timedelta(minutes=1))["sent"] == 1
    (recipients, _), = inbox.messages
    assert recipients == ["john@example.com"]
