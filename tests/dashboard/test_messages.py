"""The delivery log in the dashboard: the Messages page (newest first, filtered by status and
channel, paged), a booking's Messages section with its Resend button, and the "Don't notify
the customer" tick box, which keeps the customer's message back but not the staff
member's or the webhook."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import notify
from bookingapp.models import Booking, OutboxEvent
from bookingapp.models.message import Message
from tests.helpers import MONDAY, at, before

NOW = before()  # Sunday before MONDAY, 00:00 UTC: every booking below is ahead


@pytest.fixture(autouse=True)
def pinned(app):
    app.config["CLOCK"] = lambda: NOW


@pytest.fixture
def booked(session, salon, make_customer):
    """A confirmed Monday 10:00 booking with Alice (who has an email, so she hears about
    her bookings), made through the domain: its messages are the domain's own."""
    business, service, alice, _ = salon
    alice.email = "alice@example.com"
    customer = make_customer(business, email="ada@example.com", name="Ada Lovelace")
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10), customer, staff=alice, now=NOW)
    session.commit()
    return booking


@pytest.fixture
def make_message(session):
    """A message as the worker leaves it (sent, failed with its reason, ...), for the log."""
    def make(business, booking=None, *, kind=notify.BOOKING_CONFIRMED, channel="email", status="sent",
             recipient="ada@example.com", name="Ada Lovelace", error=None, created_at=NOW, facts=None, **fields):
        message = Message(business_id=business.id, booking_id=booking.id if booking else None,
                          customer_id=booking.customer_id if booking else None, audience="customer", kind=kind,
                          channel=channel, recipient=recipient, recipient_name=name, facts=facts or {}, status=status,
                          created_at=created_at, due_at=created_at, attempts=1 if status != "pending" else 0,
                          sent_at=created_at if status in ("sent", "recorded") else None, last_error=error, **fields)
        session.add(message)
        session.commit()
        return message

    return make


def _rows(html: str) -> list[str]:
    """The message ids of the log's rows, top to bottom."""
    return re.findall(r'data-message="([0-9a-f-]+)"', html)


def _messages_of(session, booking, audience=None) -> list[Message]:
    session.expire_all()
    query = select(Message).where(Message.booking_id == booking.id)
    if audience:
        query = query.where(Message.audience == audience)
    return session.scalars(query).all()


# --------------------------------------------------------------------------- the Messages page


def test_messages_page_lists_newest_first_in_words_with_the_failure_reason(session, salon, booked, make_message,
                                                                            as_role):
    business = salon[0]
    failed = make_message(business, booked, kind=notify.REMINDER, channel="sms", status="failed",
                          recipient="+447700900123", error="Twilio: 21211 invalid 'To' phone number",
                          created_at=NOW + timedelta(minutes=5), facts={"hours_before": 24})
    dash = as_role(business, "owner")
    response = dash.get("/dashboard/messages")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = _rows(html)
    assert rows[0] == str(failed.id)  # the newest first
    recorded = {str(m.id) for m in _messages_of(session, booked)}
    assert set(rows) == recorded  # what the domain recorded for the booking, and the failure
    assert "Reminder (24 h before)" in html and "Text message" in html
    assert "+447700900123" in html and "Ada Lovelace" in html
    assert notify.STATUS_LABELS["failed"] in html and "invalid &#39;To&#39; phone number" in html
    assert f'href="/dashboard/bookings/{booked.id}"' in html and booked.booking_number in html
    assert 'href="/dashboard/messages"' in html  # the nav link


def test_messages_page_filters_by_status_and_channel(session, salon, booked, make_message, as_role):
    business = salon[0]
    failed = make_message(business, booked, status="failed", error="550 mailbox unavailable")
    text = make_message(business, booked, channel="sms", recipient="+447700900123", status="sent")
    skipped = make_message(business, booked, kind=notify.REMINDER, status="skipped", error="booking cancelled")
    dash = as_role(business, "owner")
    assert _rows(dash.get("/dashboard/messages?status=failed").get_data(as_text=True)) == [str(failed.id)]
    assert _rows(dash.get("/dashboard/messages?channel=sms").get_data(as_text=True)) == [str(text.id)]
    assert _rows(dash.get("/dashboard/messages?status=skipped&channel=email").get_data(as_text=True)) == [str(skipped.id)]
    assert _rows(dash.get("/dashboard/messages?status=sent&channel=email").get_data(as_text=True)) == []
    htmx = dash.get("/dashboard/messages?status=failed", headers={"HX-Request": "true"})
    assert htmx.get_data(as_text=True).lstrip().startswith('<section id="message-list"')
    unknown = dash.get("/dashboard/messages?status=lost&channel=pigeon")
    assert unknown.status_code == 400
    assert "Status must be one of" in unknown.get_data(as_text=True)
    assert "Channel must be one of" in unknown.get_data(as_text=True)


def test_messages_page_is_paged_fifty_at_a_time(session, salon, make_message, as_role):
    business = salon[0]
    made = [make_message(business, created_at=NOW + timedelta(minutes=n)) for n in range(51)]
    dash = as_role(business, "owner")
    first = dash.get("/dashboard/messages").get_data(as_text=True)
    assert _rows(first) == [str(m.id) for m in reversed(made[1:])]
    assert "page=2" in first
    second = dash.get("/dashboard/messages?page=2").get_data(as_text=True)
    assert _rows(second) == [str(made[0].id)]
    assert "Older" not in second and "page=1" in second


def test_another_business_message_is_not_shown_and_cannot_be_resent(session, salon, make_business, make_message,
                                                                    booked, as_role):
    business = salon[0]
    elsewhere = make_business(name="Elsewhere")
    theirs = make_message(elsewhere, recipient="theirs@example.com", name="Their Customer")
    dash = as_role(business, "owner")
    html = dash.get("/dashboard/messages").get_data(as_text=True)
    assert str(theirs.id) not in html and "theirs@example.com" not in html
    assert dash.post(f"/dashboard/messages/{theirs.id}/resend", htmx=True).status_code == 404
    session.expire_all()
    assert session.scalars(select(Message).where(Message.resent_from_id == theirs.id)).all() == []


def test_messages_are_for_the_people_who_run_the_day(app, salon, booked, as_role, make_message):
    business, _, alice, _ = salon
    sent = make_message(business, booked)
    staff = as_role(business, "staff", staff=alice)
    assert staff.get("/dashboard/messages").status_code == 403
    assert staff.post(f"/dashboard/messages/{sent.id}/resend").status_code == 403
    panel = staff.get(f"/dashboard/bookings/{booked.id}").get_data(as_text=True)
    assert 'id="booking-messages"' not in panel
    assert as_role(business, "front_desk").get("/dashboard/messages").status_code == 200
    signed_out = app.test_client().get("/dashboard/messages")
    assert signed_out.status_code == 302 and "/dashboard/sign-in" in signed_out.headers["Location"]


# --------------------------------------------------------------------------- a booking's messages and Resend


def test_booking_panel_lists_its_messages_and_resend_makes_a_new_pending_one(app, session, salon, booked, make_message,
                                                                             as_role):
    business = salon[0]
    other = booking_ops.create_booking(session, business, booked.service, at(MONDAY, 12), booked.customer,
                                       staff=booked.staff, now=NOW)
    session.commit()
    sent = make_message(business, booked, status="sent")
    dash = as_role(business, "owner")
    panel = dash.get(f"/dashboard/bookings/{booked.id}").get_data(as_text=True)
    section = panel[panel.index('id="booking-messages"'):]
    assert str(sent.id) in section
    assert not any(str(m.id) in section for m in _messages_of(session, other))  # only this booking's

    app.config["CLOCK"] = lambda: NOW + timedelta(hours=1)  # the customer phoned an hour later
    response = dash.post(f"/dashboard/messages/{sent.id}/resend", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="booking-messages"')
    session.expire_all()
    (again,) = session.scalars(select(Message).where(Message.resent_from_id == sent.id)).all()
    assert again.status == "pending" and again.recipient == sent.recipient and again.kind == sent.kind
    assert _rows(html)[0] == str(again.id)  # the refreshed section shows it, newest first
    # Still waiting to go: no second button for it, and a forged resend is refused with the reason.
    refused = dash.post(f"/dashboard/messages/{again.id}/resend", htmx=True)
    assert refused.status_code == 422
    assert 'data-resend-error' in refused.get_data(as_text=True)
    assert session.scalars(select(Message).where(Message.resent_from_id == again.id)).all() == []


def test_resend_from_the_log_answers_with_the_log_and_keeps_its_filters(session, salon, booked, make_message, as_role):
    business = salon[0]
    failed = make_message(business, booked, status="failed", error="550 mailbox unavailable")
    dash = as_role(business, "owner")
    response = dash.post(f"/dashboard/messages/{failed.id}/resend", {"from": "log", "status": "failed", "channel": "",
                                                                     "page": "1"}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="message-list"')
    assert _rows(html) == [str(failed.id)]  # still filtered on failed: the new pending one is not among them
    plain = dash.post(f"/dashboard/messages/{failed.id}/resend", {"from": "log", "status": "failed"})
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/dashboard/messages?status=failed&page=1")
    session.expire_all()
    assert len(session.scalars(select(Message).where(Message.resent_from_id == failed.id)).all()) == 2


# --------------------------------------------------------------------------- "Don't notify the customer"


def _webhook_topics(session, booking) -> list[str]:
    session.expire_all()
    return [e.topic for e in session.scalars(select(OutboxEvent)) if e.payload.get("id") == str(booking.id)
            or e.payload.get("booking_id") == str(booking.id)]


def test_cancel_without_notifying_the_customer_still_tells_the_staff_and_the_webhooks(session, salon, booked, as_role):
    business = salon[0]
    before_cancel = {m.id for m in _messages_of(session, booked)}
    dash = as_role(business, "owner")
    panel = dash.get(f"/dashboard/bookings/{booked.id}").get_data(as_text=True)
    assert "Don&#39;t notify the customer" in panel or "Don't notify the customer" in panel
    response = dash.post(f"/dashboard/bookings/{booked.id}/status",
                         {"status": "cancelled", "skip_notifications": "1"}, htmx=True)
    assert response.status_code == 200
    session.expire_all()
    assert session.get(Booking, booked.id).status == "cancelled"
    new = [m for m in _messages_of(session, booked) if m.id not in before_cancel]
    assert [m.kind for m in new if m.audience == "customer"] == []
    assert [(m.kind, m.recipient) for m in new if m.audience == "staff"] == [(notify.STAFF_CANCELLED, "alice@example.com")]
    assert "booking.cancelled" in _webhook_topics(session, booked)


def test_cancel_without_the_tick_box_tells_the_customer(session, salon, booked, as_role):
    dash = as_role(salon[0], "owner")
    assert dash.post(f"/dashboard/bookings/{booked.id}/status", {"status": "cancelled"}, htmx=True).status_code == 200
    kinds = [m.kind for m in _messages_of(session, booked, "customer")]
    assert notify.BOOKING_CANCELLED in kinds


def test_a_front_desk_booking_without_notifying_the_customer(app, session, salon, as_role):
    business, service, alice, _ = salon
    alice.email = "alice@example.com"
    session.commit()
    dash = as_role(business, "front_desk")
    data = {"service_id": str(service.id), "staff_id": str(alice.id), "day": MONDAY.isoformat(),
            "start": at(MONDAY, 9).isoformat(), "name": "Walk In", "email": "walk.in@example.com", "phone": "",
            "notes": "", "skip_notifications": "y"}
    assert dash.post("/dashboard/bookings/new", data).status_code == 302
    booking = session.scalar(select(Booking).where(Booking.source == "dashboard"))
    assert _messages_of(session, booking, "customer") == []
    assert [m.kind for m in _messages_of(session, booking, "staff")] == [notify.STAFF_NEW_BOOKING]
    assert "booking.created" in _webhook_topics(session, booking)


def test_approving_without_notifying_the_customer(session, make_business, make_service, make_staff, make_customer,
                                                  as_role):
    business = make_business(auto_confirm=False)
    service = make_service(business)
    alice = make_staff(business, [service], name="Alice")
    pending = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                         staff=alice, now=NOW)
    session.commit()
    assert pending.status == "pending"
    dash = as_role(business, "owner")
    response = dash.post(f"/dashboard/bookings/{pending.id}/status",
                         {"status": "confirmed", "skip_notifications": "1"}, htmx=True)
    assert response.status_code == 200
    kinds = [m.kind for m in _messages_of(session, pending, "customer")]
    assert notify.BOOKING_PENDING in kinds and notify.BOOKING_APPROVED not in kinds


def test_messages_page_does_not_query_per_row(app, session, salon, make_customer, make_message, as_role):
    from tests.dashboard.test_queries import statements

    business, service, alice, _ = salon

    def count() -> int:
        with statements(app) as seen:
            assert dash.get("/dashboard/messages").status_code == 200
        return len(seen)

    dash = as_role(business, "owner")
    first = booking_ops.create_booking(session, business, service, at(MONDAY, 9), make_customer(business),
                                       staff=alice, now=NOW)
    make_message(business, first)
    one_booking = count()
    for hour in (11, 13, 15, 17):
        booking = booking_ops.create_booking(session, business, service, at(MONDAY, hour), make_customer(business),
                                             staff=alice, now=NOW)
        make_message(business, booking, status="failed", error="550")
    assert count() == one_booking


def test_completing_without_notifying_the_customer_asks_for_no_review(app, session, salon, make_customer, as_role):
    business, service, alice, _ = salon
    quiet, asked = (booking_ops.create_booking(session, business, service, at(MONDAY, hour), make_customer(business),
                                               staff=alice, now=NOW) for hour in (10, 12))
    for booking in (quiet, asked):
        booking_ops.start(session, booking, now=booking.starts_at)
    session.commit()
    app.config["CLOCK"] = lambda: at(MONDAY, 13)
    dash = as_role(business, "owner")
    panel = dash.get(f"/dashboard/bookings/{quiet.id}").get_data(as_text=True)
    assert re.search(r'value="completed">\s*<label class="check small"><input type="checkbox" name="skip_notifications"',
                     panel)
    for booking, form in ((quiet, {"skip_notifications": "1"}), (asked, {})):
        response = dash.post(f"/dashboard/bookings/{booking.id}/status", {"status": "completed", **form}, htmx=True)
        assert response.status_code == 200
    assert notify.REVIEW_REQUEST not in [m.kind for m in _messages_of(session, quiet, "customer")]
    assert notify.REVIEW_REQUEST in [m.kind for m in _messages_of(session, asked, "customer")]


def test_the_tick_box_is_unticked_on_the_new_booking_form(salon, as_role):
    html = as_role(salon[0], "front_desk").get("/dashboard/bookings/new").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="skip_notifications"[^>]*>', html)
    assert box and "checked" not in box.group(0)
    assert "Don&#39;t notify the customer" in html or "Don't notify the customer" in html
