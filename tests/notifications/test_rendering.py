"""Every message kind rendered as the worker renders it (notifications.messages.render): the
email's subject, text and HTML say the facts of the change, the calendar file goes with the
booking emails, reminders and review requests carry an unsubscribe link, and a text message
stays short."""
from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bookingapp.config import PROJECT_ROOT
from bookingapp.domain import booking as booking_ops
from bookingapp.domain import checkout as co
from bookingapp.domain import notify
from bookingapp.models import Message
from bookingapp.notifications.messages import (
    DEFAULT_BRAND_COLOUR, SMS_MAX_CHARS, RenderedEmail, RenderedSms, render, sms_body,
)
from bookingapp.web.links import manage_token, read_unsubscribe_token
from tests.domain.test_ics import TinyCalendar
from tests.helpers import MONDAY, at, before

PUBLIC = "https://book.example"
TUESDAY = MONDAY + timedelta(days=1)
CUSTOMER_KINDS = (notify.BOOKING_CONFIRMED, notify.BOOKING_PENDING, notify.BOOKING_APPROVED,
                  notify.BOOKING_RESCHEDULED, notify.BOOKING_CANCELLED, notify.REMINDER,
                  notify.REVIEW_REQUEST)
STAFF_KINDS = (notify.STAFF_NEW_BOOKING, notify.STAFF_CANCELLED, notify.STAFF_RESCHEDULED)
FACTS = {
    notify.BOOKING_RESCHEDULED: {"previous_starts_at": "2030-06-03T09:00:00Z", "previous_booking_number": "BK-OLD",
                                 "previous_staff_name": "Bob"},
    notify.STAFF_RESCHEDULED: {"previous_starts_at": "2030-06-03T09:00:00Z", "previous_booking_number": "BK-OLD",
                               "previous_staff_name": "Bob"},
    notify.BOOKING_CANCELLED: {"cancelled_by": "business", "refunded_cents": 1000, "kept_cents": 0, "currency": "GBP"},
    notify.STAFF_CANCELLED: {"cancelled_by": "customer", "refunded_cents": 0, "kept_cents": 1000, "currency": "GBP"},
    notify.REMINDER: {"hours_before": 24},
}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])


def links_in(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


@pytest.fixture
def shop(app, session, salon, make_customer):
    """The salon with an address and an email, and Ada's Tuesday 14:00 with Alice."""
    app.config["PUBLIC_URL"] = PUBLIC
    business, service, alice, bob = salon
    business.address_street, business.address_city, business.address_zip = "1 High St", "London", "N1 1AA"
    business.email, business.phone = "hello@salon.example", "+442071234567"
    alice.email = "alice@salon.example"
    customer = make_customer(business, email="ada@example.com", name="Ada Lovelace")
    customer.phone = "+447700900123"
    booking = booking_ops.create_booking(session, business, service, at(TUESDAY, 14), customer, staff=alice,
                                         now=before())
    session.commit()
    return business, service, alice, bob, customer, booking


def message(session, booking, kind, *, channel="email", audience="customer", facts=None, staff=None, business=None):
    customer = booking.customer if booking is not None else None
    if audience == "customer":
        recipient = customer.phone if channel == "sms" else customer.email
        name = customer.name
    else:
        recipient, name = staff.email, staff.name
    row = Message(
        business_id=business.id if business else booking.business_id, booking_id=booking.id if booking else None,
        customer_id=customer.id if customer and audience == "customer" else None,
        staff_id=staff.id if staff else None, audience=audience, kind=kind, channel=channel, recipient=recipient,
        recipient_name=name, facts=facts if facts is not None else FACTS.get(kind, {}),
        transactional=kind not in notify.NON_TRANSACTIONAL,
    )
    session.add(row)
    session.flush()
    return row


def manage_url(business, booking):
    return f"{PUBLIC}/{business.slug}/manage/{manage_token(booking.id)}"


def ics_of(rendered: RenderedEmail):
    calendar = Calendar.from_ical(rendered.ics)
    (event,) = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event


# --------------------------------------------------------------------------- every kind


@pytest.mark.parametrize("kind", CUSTOMER_KINDS + STAFF_KINDS)
def test_every_email_is_branded_html_with_a_text_alternative_saying_the_same(session, shop, kind):
    business, _, alice, _, _, booking = shop
    audience = "staff" if kind in STAFF_KINDS else "customer"
    rendered = render(session, message(session, booking, kind, audience=audience, staff=alice), now=before())

    assert isinstance(rendered, RenderedEmail)
    assert rendered.subject and "\n" not in rendered.subject
    html, text = rendered.html, rendered.text
    assert html.lstrip().startswith("<!doctype html>") and "<table" in html
    assert DEFAULT_BRAND_COLOUR in html and 'style="' in html and "<style" not in html
    for shown in (business.name, "1 High St", "London"):
        assert shown in html and shown in text
    # Each button of the HTML is a link the text alternative spells out.
    hrefs = [href for href in links_in(html) if not href.startswith("mailto:")]
    assert hrefs and all(href.replace("&amp;", "&") in text for href in hrefs)
    if kind != notify.REVIEW_REQUEST:
        assert "Tuesday 4 June 2030, 14:00" in text and "Tuesday 4 June 2030, 14:00" in html


def test_confirmation_says_when_where_and_how_to_manage_with_the_calendar_request(session, shop):
    business, _, _, _, _, booking = shop
    rendered = render(session, message(session, booking, notify.BOOKING_CONFIRMED), now=before())

    assert rendered.subject == f"Booking confirmed: Cut, Tue 4 Jun, 14:00 ({business.name})"
    assert "Your booking at Test Salon is confirmed" in rendered.text
    assert "When: Tuesday 4 June 2030, 14:00" in rendered.text
    assert "What: Cut with Alice" in rendered.text
    assert f"Booking number: {booking.booking_number}" in rendered.text
    assert manage_url(business, booking) in links_in(rendered.html)
    assert f"{manage_url(business, booking)}/booking.ics" in rendered.text
    assert rendered.reply_to == "hello@salon.example"
    assert rendered.unsubscribe_url is None
    method, event = ics_of(rendered)
    assert (method, rendered.ics_method, str(event["STATUS"])) == ("REQUEST", "REQUEST", "CONFIRMED")
    assert event.decoded("DTSTART") == at(TUESDAY, 14)
    # The business's first reminder is 24 hours ahead (the default cadence): the alarm too.
    assert event.walk("VALARM")[0].decoded("TRIGGER") == timedelta(hours=-24)


def test_pending_and_approved_say_where_the_booking_stands(session, shop):
    _, _, _, _, _, booking = shop
    booking.status = "pending"
    pending = render(session, message(session, booking, notify.BOOKING_PENDING), now=before())
    assert pending.subject.startswith("Booking request received: Cut")
    assert "will confirm your booking shortly" in pending.text
    assert str(ics_of(pending)[1]["STATUS"]) == "TENTATIVE"

    booking.status = "confirmed"
    approved = render(session, message(session, booking, notify.BOOKING_APPROVED), now=before())
    assert approved.subject.startswith("Booking approved: Cut")
    assert "Test Salon has confirmed your booking for Tuesday 4 June 2030, 14:00" in approved.text
    assert str(ics_of(approved)[1]["STATUS"]) == "CONFIRMED"


def test_reschedule_names_the_old_time_and_the_new(session, shop):
    _, _, alice, _, _, booking = shop
    rendered = render(session, message(session, booking, notify.BOOKING_RESCHEDULED), now=before())

    assert rendered.subject.startswith("Booking moved: Cut, now Tue 4 Jun, 14:00")
    # 09:00 UTC is 10:00 in London in June; the old time was with Bob.
    old, new = "Monday 3 June 2030, 10:00 with Bob", "Tuesday 4 June 2030, 14:00"
    for body in (rendered.text, rendered.html):
        assert old in body and new in body
    assert f"Was: {old}" in rendered.text and f"Now: {new}" in rendered.text
    method, event = ics_of(rendered)
    assert method == "REQUEST" and int(event["SEQUENCE"]) == booking.calendar_sequence


def test_cancellation_says_who_cancelled_and_what_happened_to_the_money(session, shop):
    business, _, _, _, _, booking = shop
    booking_ops.cancel(session, booking, now=before(), actor="staff")
    by_business = render(session, message(session, booking, notify.BOOKING_CANCELLED), now=before())
    assert by_business.subject.startswith("Booking cancelled: Cut, Tue 4 Jun, 14:00")
    assert "Test Salon cancelled your booking for Tuesday 4 June 2030, 14:00." in by_business.text
    assert "£10.00 is refunded to the card it was paid with." in by_business.text
    assert "kept" not in by_business.text
    assert f"{PUBLIC}/{business.slug}" in links_in(by_business.html)  # book again
    method, event = ics_of(by_business)
    assert (method, by_business.ics_method, str(event["STATUS"])) == ("CANCEL", "CANCEL", "CANCELLED")

    facts = {"cancelled_by": "customer", "refunded_cents": 1500, "kept_cents": 1000, "currency": "GBP"}
    by_customer = render(session, message(session, booking, notify.BOOKING_CANCELLED, facts=facts), now=before())
    assert "You cancelled your booking" in by_customer.text
    assert "£15.00 is refunded" in by_customer.text and "£10.00 is kept under the cancellation policy." in by_customer.text
    assert "£10.00 is kept" in by_customer.html


def test_reminder_says_when_and_where_with_the_manage_and_unsubscribe_links(session, shop):
    business, _, _, _, customer, booking = shop
    rendered = render(session, message(session, booking, notify.REMINDER), now=before())

    assert rendered.subject == f"Reminder: Cut, Tue 4 Jun, 14:00 ({business.name})"
    assert "on Tuesday 4 June 2030, 14:00" in rendered.text
    assert "Where: Test Salon, 1 High St, London, N1 1AA" in rendered.text
    assert manage_url(business, booking) in links_in(rendered.html)
    assert rendered.ics is None and rendered.ics_method is None
    unsubscribe = rendered.unsubscribe_url
    assert unsubscribe.startswith(f"{PUBLIC}/{business.slug}/unsubscribe/")
    assert read_unsubscribe_token(unsubscribe.rsplit("/", 1)[1]) == customer.id
    assert unsubscribe in rendered.text and unsubscribe in links_in(rendered.html)


def test_review_request_links_to_the_manage_pages_review_form(session, shop):
    business, _, _, _, customer, booking = shop
    rendered = render(session, message(session, booking, notify.REVIEW_REQUEST), now=before())

    review = f"{manage_url(business, booking)}#review-heading"
    assert rendered.subject == "How was your visit to Test Salon?"
    assert review in links_in(rendered.html) and f"Leave a review: {review}" in rendered.text
    assert 'id="review-heading"' in (Path(PROJECT_ROOT) / "templates/web/_manage.html").read_text()
    assert read_unsubscribe_token(rendered.unsubscribe_url.rsplit("/", 1)[1]) == customer.id
    assert rendered.unsubscribe_url in rendered.text


def test_receipt_lists_the_checkouts_lines_and_totals(session, shop):
    business, _, _, _, _, booking = shop
    booking_ops.start(session, booking, now=at(TUESDAY, 14))
    checkout = co.open_checkout(session, booking, now=at(TUESDAY, 15))
    co.set_tip(session, checkout, 500)
    co.add_discount(session, checkout, amount_cents=1000, now=at(TUESDAY, 15))
    co.take_in_person(session, checkout, "cash", actor="desk", now=at(TUESDAY, 15))
    co.close_checkout(session, checkout, actor="desk", now=at(TUESDAY, 15))
    row = message(session, booking, notify.RECEIPT, facts={"checkout_id": str(checkout.id)})
    rendered = render(session, row, now=at(TUESDAY, 15))

    assert rendered.subject == f"Your receipt from Test Salon: {booking.booking_number}"
    lines = rendered.text.splitlines()
    assert "Item | Qty | Amount" in lines
    assert {"Cut | 1 | £50.00", "Tip | 1 | £5.00"} <= set(lines)
    assert any(line.endswith("| 1 | -£10.00") for line in lines)  # the discount
    assert "Total: £45.00" in lines and "Paid: £45.00" in lines
    assert "Still due" not in rendered.text
    for amount in ("£50.00", "£5.00", "-£10.00", "£45.00"):
        assert amount in rendered.html
    assert rendered.ics is None and rendered.unsubscribe_url is None


# --------------------------------------------------------------------------- staff


def test_staff_new_booking_names_the_client_and_links_to_the_dashboard(session, shop):
    business, _, alice, _, customer, booking = shop
    rendered = render(session, message(session, booking, notify.STAFF_NEW_BOOKING, audience="staff", staff=alice),
                      now=before())

    assert rendered.subject == "New booking: Ada Lovelace, Cut, Tue 4 Jun, 14:00"
    assert "Hello Alice," in rendered.text
    assert "Client: Ada Lovelace" in rendered.text and "Phone: +447700900123" in rendered.text
    assert f"{PUBLIC}/dashboard/bookings/{booking.id}" in links_in(rendered.html)
    assert rendered.reply_to == customer.email  # a reply reaches the client
    assert rendered.ics is None and rendered.unsubscribe_url is None


def test_staff_cancelled_and_rescheduled_say_what_changed(session, shop):
    _, _, alice, _, _, booking = shop
    cancelled = render(session, message(session, booking, notify.STAFF_CANCELLED, audience="staff", staff=alice),
                       now=before())
    assert cancelled.subject == "Cancelled: Ada Lovelace, Cut, Tue 4 Jun, 14:00"
    assert "Ada Lovelace cancelled: Cut on Tuesday 4 June 2030, 14:00" in cancelled.text
    assert "£10.00 is kept" in cancelled.text

    moved = render(session, message(session, booking, notify.STAFF_RESCHEDULED, audience="staff", staff=alice),
                   now=before())
    assert moved.subject == "Moved: Ada Lovelace, Cut, now Tue 4 Jun, 14:00"
    assert "moved from Monday 3 June 2030, 10:00 with Bob to Tuesday 4 June 2030, 14:00" in moved.text


def test_agenda_lists_the_staff_members_bookings_of_that_day_in_order(session, shop, make_customer):
    business, service, alice, bob, customer, _ = shop
    grace = make_customer(business, name="Grace Hopper")

    def book(start, who=customer, staff=alice):
        return booking_ops.create_booking(session, business, service, start, who, staff=staff, now=before())

    book(at(TUESDAY, 9), grace)
    book(at(TUESDAY, 11), staff=bob)                   # someone else's
    book(at(MONDAY, 12))                               # another day
    book(at(TUESDAY + timedelta(days=1), 9))           # another day
    book(at(TUESDAY, 16)).status = "cancelled"         # no longer on
    tuesday_17 = book(at(TUESDAY, 17), grace)
    tuesday_17.status = "pending"
    session.flush()
    row = message(session, None, notify.STAFF_AGENDA, audience="staff", staff=alice, business=business,
                  facts={"day": TUESDAY.isoformat()})
    rendered = render(session, row, now=at(TUESDAY, 6))

    assert rendered.subject == "Your day, Tuesday 4 June 2030: 3 appointments"
    lines = [line for line in rendered.text.splitlines() if "–" in line]
    assert lines == [
        "09:00–10:00 | Cut | Grace Hopper",
        "14:00–15:00 | Cut | Ada Lovelace",
        "17:00–18:00 | Cut | Grace Hopper | Waiting for approval",
    ]
    assert "Hello Alice," in rendered.text and "first at 09:00" in rendered.text
    assert f"{PUBLIC}/dashboard/day?date=2030-06-04" in links_in(rendered.html)
    assert "Grace Hopper" in rendered.html and "Waiting for approval" in rendered.html


def test_agenda_of_an_empty_day_says_so(session, shop):
    business, _, _, bob, _, _ = shop
    bob.email = "bob@salon.example"
    row = message(session, None, notify.STAFF_AGENDA, audience="staff", staff=bob, business=business,
                  facts={"day": TUESDAY.isoformat()})
    rendered = render(session, row, now=at(TUESDAY, 6))
    assert rendered.subject == "Your day, Tuesday 4 June 2030: 0 appointments"
    assert "You have no appointments at Test Salon that day." in rendered.text


# --------------------------------------------------------------------------- text messages


@pytest.mark.parametrize("kind", CUSTOMER_KINDS)
def test_text_messages_are_short_and_say_who_when_and_where_to_manage(session, shop, kind):
    business, service, _, _, _, booking = shop
    business.name = "The Very Long Named Hair and Beauty Emporium of North London " * 2
    service.name = "Full colour with toner, cut, blow-dry and a scalp treatment " * 3
    rendered = render(session, message(session, booking, kind, channel="sms"), now=before())

    assert isinstance(rendered, RenderedSms)
    assert len(rendered.body) <= SMS_MAX_CHARS
    assert rendered.body.startswith(business.name[:20])
    if kind != notify.REVIEW_REQUEST:
        assert "Tue 4 Jun, 14:00" in rendered.body
    if kind == notify.BOOKING_CANCELLED:
        assert rendered.body.endswith(f"Book again: {PUBLIC}/{business.slug}")
    elif kind == notify.REVIEW_REQUEST:
        assert f"Leave a review: {manage_url(business, booking)}#review-heading" in rendered.body
    else:
        assert f"Manage: {manage_url(business, booking)}" in rendered.body
    if kind in notify.NON_TRANSACTIONAL:
        assert f" Opt out: {PUBLIC}/{business.slug}/unsubscribe/" in rendered.body


def test_text_message_with_room_keeps_every_word(session, shop):
    business, _, _, _, _, booking = shop
    rendered = render(session, message(session, booking, notify.BOOKING_CONFIRMED, channel="sms"), now=before())
    assert rendered.body == f"Test Salon: you're booked for Tue 4 Jun, 14:00, Cut. Manage: {manage_url(business, booking)}"


def test_sms_body_shortens_the_words_never_the_links():
    body = sms_body("x" * 400, [("Manage:", "https://b.example/" + "t" * 80)], limit=160)
    assert len(body) == 160 and body.endswith(" Manage: https://b.example/" + "t" * 80) and "…" in body


# --------------------------------------------------------------------------- safety


def test_names_are_escaped_in_html(session, shop):
    _, _, _, _, customer, booking = shop
    customer.name = "<script>alert(1)</script>"
    row = message(session, booking, notify.BOOKING_CONFIRMED)
    rendered = render(session, row, now=before())
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "Hello <script>alert(1)</script>," in rendered.text  # plain text is not HTML


def test_unknown_kind_is_refused(session, shop):
    row = message(session, shop[-1], notify.BOOKING_CONFIRMED)
    row.kind = "booking_exploded"
    with pytest.raises(ValueError, match="unknown message kind"):
        render(session, row, now=before())


def test_agenda_of_the_day_the_clocks_go_forward_keeps_local_times(session, shop):
    business, service, alice, _, customer, _ = shop
    sunday = MONDAY.replace(month=3, day=31)  # 31 March 2030: GMT becomes BST at 01:00 UTC
    for hour in (9, 17):
        booking_ops.create_booking(session, business, service, at(sunday, hour), customer, staff=alice,
                                   now=before(sunday))
    row = message(session, None, notify.STAFF_AGENDA, audience="staff", staff=alice, business=business,
                  facts={"day": sunday.isoformat()})
    rendered = render(session, row, now=at(sunday, 6))
    assert rendered.subject == "Your day, Sunday 31 March 2030: 2 appointments"
    assert [line for line in rendered.text.splitlines() if "–" in line] == [
        "09:00–10:00 | Cut | Ada Lovelace", "17:00–18:00 | Cut | Ada Lovelace"]


def test_the_emails_of_a_booking_its_move_and_its_cancel_leave_the_calendar_right(session, shop):
    """The calendar files attached to the emails the domain records, each sent (rendered)
    before the next change, imported in that order."""
    business, _, alice, _, customer, booking = shop
    calendar = TinyCalendar()

    def send(kind):
        (email,) = session.scalars(select(Message).where(
            Message.customer_id == customer.id, Message.channel == "email", Message.kind == kind)).all()
        rendered = render(session, email, now=before())
        calendar.apply(rendered.ics)
        return rendered.ics_method

    assert send(notify.BOOKING_CONFIRMED) == "REQUEST"
    assert calendar.starts() == [at(TUESDAY, 14)]
    moved = booking_ops.reschedule(session, booking, business, at(TUESDAY, 16), staff=alice, now=before())
    assert send(notify.BOOKING_RESCHEDULED) == "REQUEST"
    assert calendar.starts() == [at(TUESDAY, 16)]
    booking_ops.cancel(session, moved, now=before(), actor="customer")
    assert send(notify.BOOKING_CANCELLED) == "CANCEL"
    assert calendar.events == {}
