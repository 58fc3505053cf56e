"""Text messages through the real `twilio` library against a local fake of Twilio's API:
what Twilio receives, which of its answers are final and which are worth a retry, and the
message rows the worker leaves."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bookingapp.models import Message
from bookingapp.notifications.delivery import Channels, channels_from_config, send_due_messages
from bookingapp.notifications.email import EmlFileEmail
from bookingapp.notifications.sms import RecordingSms, SmsError, TwilioSms
from tests.notifications.conftest import free_port


def twilio(fake, **overrides) -> TwilioSms:
    fields = dict(account_sid=fake.account_sid, auth_token=fake.auth_token, from_number=fake.from_number,
                  api_base=fake.api_base)
    fields.update(overrides)
    return TwilioSms(**fields)


def sms_channels(sms, tmp_path) -> Channels:
    return Channels(email=EmlFileEmail(tmp_path, sender="bookings@salon.example"), sms=sms)


def reloaded(session, message: Message) -> Message:
    session.expire_all()
    return session.get(Message, message.id)


def test_twilio_receives_to_from_and_body_and_its_sid_comes_back(twilio_fake):
    sid = twilio(twilio_fake).send("+447700900123", "See you Monday at 10:00")
    (received,) = twilio_fake.received
    assert received == {"sid": sid, "To": "+447700900123", "From": "+15005550006", "Body": "See you Monday at 10:00"}
    assert sid.startswith("SM") and len(sid) == 34


def test_an_invalid_number_is_refused_for_good(twilio_fake):
    with pytest.raises(SmsError) as refused:
        twilio(twilio_fake).send("+44 7700", "hello")
    assert refused.value.permanent
    assert "21211" in str(refused.value) and "400" in str(refused.value)
    assert twilio_fake.received == []


def test_a_twilio_outage_is_worth_a_retry(twilio_fake):
    twilio_fake.fail_next(500)
    with pytest.raises(SmsError) as outage:
        twilio(twilio_fake).send("+447700900123", "hello")
    assert not outage.value.permanent and "500" in str(outage.value)


def test_wrong_credentials_are_ours_to_fix_so_a_retry_may_send_it(twilio_fake):
    with pytest.raises(SmsError) as refused:
        twilio(twilio_fake, auth_token="wrong").send("+447700900123", "hello")
    assert not refused.value.permanent and "401" in str(refused.value)


def test_twilio_unreachable_is_worth_a_retry():
    unreachable = TwilioSms("AC" + "1" * 32, "token", "+15005550006", api_base=f"http://127.0.0.1:{free_port()}",
                            timeout=2)
    with pytest.raises(SmsError) as down:
        unreachable.send("+447700900123", "hello")
    assert not down.value.permanent and "unreachable" in str(down.value)


def test_a_due_sms_is_sent_once_and_its_sid_kept(session, twilio_fake, make_message, now, tmp_path):
    message = make_message(channel="sms")
    channels = sms_channels(twilio(twilio_fake), tmp_path)

    assert send_due_messages(session, channels, now=now)["sent"] == 1
    assert send_due_messages(session, channels, now=now + timedelta(hours=1))["sent"] == 0

    (received,) = twilio_fake.received
    assert (received["To"], received["From"]) == ("+447700900123", "+15005550006")
    assert received["Body"].strip()
    sent = reloaded(session, message)
    assert (sent.status, sent.provider_ref, sent.sent_at, sent.attempts) == ("sent", received["sid"], now, 1)


def test_an_sms_to_an_invalid_number_fails_with_twilios_reason(session, twilio_fake, make_message, now, tmp_path):
    message = make_message(channel="sms", recipient="07700 900123")  # national, not E.164
    assert send_due_messages(session, sms_channels(twilio(twilio_fake), tmp_path), now=now)["failed"] == 1
    failed = reloaded(session, message)
    assert (failed.status, failed.attempts, failed.provider_ref) == ("failed", 1, None)
    assert "21211" in failed.last_error


def test_an_sms_twilio_could_not_take_is_retried_and_then_sent(session, twilio_fake, make_message, now, tmp_path):
    message = make_message(channel="sms")
    channels = sms_channels(twilio(twilio_fake), tmp_path)
    twilio_fake.fail_next(500)

    assert send_due_messages(session, channels, now=now)["retrying"] == 1
    waiting = reloaded(session, message)
    assert (waiting.status, waiting.due_at, waiting.attempts) == ("pending", now + timedelta(minutes=1), 1)
    assert "500" in waiting.last_error

    assert send_due_messages(session, channels, now=now + timedelta(minutes=1))["sent"] == 1
    sent = reloaded(session, message)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, None)
    assert sent.provider_ref == twilio_fake.received[0]["sid"] and len(twilio_fake.received) == 1


def test_twilio_is_used_when_configured_and_sms_are_only_recorded_otherwise(session, twilio_fake, make_message, now,
                                                                            tmp_path):
    configured = channels_from_config({
        "MAIL_RECORD_DIR": str(tmp_path), "TWILIO_ACCOUNT_SID": twilio_fake.account_sid,
        "TWILIO_AUTH_TOKEN": twilio_fake.auth_token, "TWILIO_FROM_NUMBER": twilio_fake.from_number,
        "TWILIO_API_BASE": twilio_fake.api_base,
    })
    assert isinstance(configured.sms, TwilioSms)
    unconfigured = channels_from_config({"MAIL_RECORD_DIR": str(tmp_path), "TWILIO_ACCOUNT_SID": "AC1"})
    assert isinstance(unconfigured.sms, RecordingSms)

    message = make_message(channel="sms")
    assert send_due_messages(session, unconfigured, now=now)["recorded"] == 1
    recorded = reloaded(session, message)
    assert (recorded.status, recorded.sent_at, recorded.provider_ref) == ("recorded", now, None)
    ((to, body),) = unconfigured.sms.recorded
    assert to == "+447700900123" and body.strip()
    assert twilio_fake.received == []
