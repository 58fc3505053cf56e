"""Money before paying and times in the right zone (issue 16): the service step shows
price and deposit, the payment step the whole bill and the cancellation policy in words
(domain.policy), one money format; the autumn day's repeated hour is labelled with its
zone on every page, email and calendar file (domain.local_time)."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import cancellation
from bookingapp.domain.ics import booking_ics
from bookingapp.domain.local_time import format_local, format_span, zone_statement
from bookingapp.models import Booking, Message
from bookingapp.notifications.messages import Facts
from tests.web.conftest import csrf_from
from tests.web.test_no_dead_ends import _second_visitor  # noqa: F401  (shared helper)
from tests.web.test_wizard import submit_details, time_url
from tests.web.test_wizard_money import colour_details, deposit_shop, open_sandbox_checkout  # noqa: F401

# --------------------------------------------------------------------------- money before paying


def test_the_service_step_shows_each_price_and_what_is_paid_when_booking(client, deposit_shop):
    page = client.get("/corner-salon/book").text
    colour = re.search(r"<strong>Colour</strong>.*?</a>", page, re.S).group(0)
    cut = re.search(r"<strong>Cut</strong>.*?</a>", page, re.S).group(0)
    assert "£90.00" in colour and "Deposit £20.00 when you book" in colour
    assert "£40.00" in cut and "No deposit: pay at the venue" in cut


def test_the_payment_step_shows_total_paid_now_left_for_the_venue_and_the_policy(client, deposit_shop, session):
    deposit_shop["business"].free_cancellation_hours = 24
    session.commit()
    url, page = colour_details(client, deposit_shop)
    payment = client.get(submit_details(client, url, page).headers["Location"]).text
    assert re.search(r'id="total">£90.00<', payment)
    assert re.search(r'id="due-now">£20.00<', payment)
    assert re.search(r'id="left-for-venue">£70.00<', payment)
    assert 'id="discount"' not in payment
    # Tomorrow 10:00 London (the pinned clock's Tuesday 3 March), less 24 hours.
    assert re.search(r'id="cancellation-policy">Free cancellation until Mon 02 Mar, 10:00; '
                     r"after that the deposit of £20.00 is kept.<", payment)


def test_the_payment_step_shows_the_discount(client, deposit_shop):
    url, page = colour_details(client, deposit_shop)
    payment = client.get(submit_details(client, url, page, promo_code="SPRING20").headers["Location"]).text
    assert re.search(r'id="discount">&minus;£18.00<', payment)
    assert re.search(r'id="total">£72.00<', payment)
    assert re.search(r'id="left-for-venue">£52.00<', payment)


def test_customer_pages_write_money_one_way(client, deposit_shop, session):
    url, page = colour_details(client, deposit_shop)
    pages = [client.get("/corner-salon/book").text, page.text,
             client.get(submit_details(client, url, page).headers["Location"]).text]
    for html in pages:
        assert not re.search(r"\d[.,]\d\d ?GBP", html)
        assert "£" in html


@pytest.mark.parametrize("hours_before, paid, kept, expected", [
    (24, 2000, 2000, "Free cancellation until Mon 02 Mar, 10:00; after that the deposit of £20.00 is kept."),
    (48, 2000, 2000, "Free cancellation ended Sun 01 Mar, 10:00 (48 hours before); if you cancel, the deposit of £20.00 is kept."),
    (24, 0, 0, "Nothing is paid in advance, so cancelling costs nothing."),
    (24, 9000, 0, "Everything paid in advance is refunded if you cancel before the appointment."),
])
def test_the_policy_in_plain_words(session, shop, pinned_clock, hours_before, paid, kept, expected):
    from bookingapp.domain import policy
    business = shop["business"]
    business.free_cancellation_hours = hours_before
    booking = Booking(starts_at=datetime(2026, 3, 3, 10, tzinfo=timezone.utc), currency="GBP")
    assert policy.policy_in_words(booking, business, now=pinned_clock.now, paid_up_front_cents=paid,
                                  kept_after_cents=kept) == expected


def test_the_policy_words_come_from_the_bookings_own_money(session, deposit_shop, pinned_clock):
    business = deposit_shop["business"]
    business.free_cancellation_hours = 24
    held = booking_ops.hold(session, business, deposit_shop["colour"], datetime(2026, 3, 3, 10, tzinfo=timezone.utc),
                            now=pinned_clock.now)
    assert cancellation.policy_in_words(session, held, business, now=pinned_clock.now).endswith(
        "after that the deposit of £20.00 is kept.")


# --------------------------------------------------------------------------- time zones

# Sunday 25 October 2026: London's clocks go back at 02:00 BST, so 01:00-01:59 happens twice.
FALL_BACK_DAY = "2026-10-25"
FIRST_ONE_AM = datetime(2026, 10, 25, 0, 0, tzinfo=timezone.utc)   # 01:00 BST
SECOND_ONE_AM = datetime(2026, 10, 25, 1, 0, tzinfo=timezone.utc)  # 01:00 GMT


def test_ambiguous_local_times_carry_their_zone_and_others_do_not():
    assert format_local(FIRST_ONE_AM, "Europe/London") == "01:00 BST"
    assert format_local(SECOND_ONE_AM, "Europe/London") == "01:00 GMT"
    assert format_local(SECOND_ONE_AM + timedelta(hours=1), "Europe/London") == "02:00"
    assert format_local(FIRST_ONE_AM, "America/New_York") == "20:00"
    assert format_span(FIRST_ONE_AM, SECOND_ONE_AM, "Europe/London") == "Sunday 25 October 2026, 01:00 BST–01:00 GMT"
    assert zone_statement("Europe/London", datetime(2026, 3, 2, tzinfo=timezone.utc)) == "London time (GMT)"
    assert zone_statement("Asia/Riyadh", FIRST_ONE_AM) == "Riyadh time (+03)"


@pytest.fixture
def night_owl(make_business, make_service, make_staff, pinned_clock):
    """A London business open through the night of the autumn change; the clock pinned
    the Tuesday before."""
    pinned_clock.now = datetime(2026, 10, 20, 12, 0, tzinfo=timezone.utc)
    night = {d: [(time(0), time(4))] for d in range(7)}
    business = make_business(slug="night-owl", name="Night Owl", hours=night, slot_interval_minutes=60)
    service = make_service(business, name="Float", duration_minutes=60, price_cents=3000, deposit_cents=0)
    staff = make_staff(business, [service], name="Noor", hours=night)
    return dict(business=business, service=service, staff=staff)


def _book_first_one_am(session, night_owl, pinned_clock, start=FIRST_ONE_AM):
    from bookingapp.domain.customers import find_or_create_customer
    held = booking_ops.hold(session, night_owl["business"], night_owl["service"], start, now=pinned_clock.now)
    customer = find_or_create_customer(session, night_owl["business"], email="ada@example.com", name="Ada")
    booking_ops.book(session, held, night_owl["business"], customer=customer, now=pinned_clock.now)
    session.commit()
    return held


def test_the_wizard_labels_the_repeated_hour_on_the_fall_back_day(client, night_owl):
    page = client.get(f"/night-owl/book/{night_owl['service'].id}/any?day={FALL_BACK_DAY}")
    labels = re.findall(r'class="slot">([^<]+)<', page.text)
    assert labels[:3] == ["00:00", "01:00 BST", "01:00 GMT"]
    assert len(set(labels)) == len(labels)


def test_the_manage_page_labels_the_repeated_hour(client, session, night_owl, pinned_clock, app):
    from bookingapp.web.links import manage_token
    booking = _book_first_one_am(session, night_owl, pinned_clock)
    with app.test_request_context():
        page = client.get(f"/night-owl/manage/{manage_token(booking.id)}")
    assert "Sunday 25 October 2026, 01:00 BST–01:00 GMT" in page.text
    assert "London time (BST)" in page.text


def test_the_confirmation_email_labels_the_repeated_hour(session, night_owl, pinned_clock, app):
    booking = _book_first_one_am(session, night_owl, pinned_clock)
    message = session.scalars(select(Message).where(Message.booking_id == booking.id)).first()
    with app.test_request_context():
        facts = Facts(session, message)
        assert facts.long_time(booking.starts_at) == "Sunday 25 October 2026, 01:00 BST"
        assert facts.clock(booking.ends_at) == "01:00 GMT"
        assert facts.short_time(booking.starts_at) == "Sun 25 Oct, 01:00 BST"


def test_the_ics_description_labels_the_repeated_hour(session, night_owl, pinned_clock):
    booking = _book_first_one_am(session, night_owl, pinned_clock)
    body = booking_ics(booking, night_owl["business"], now=pinned_clock.now).replace("\r\n ", "")
    assert "When: Sunday 25 October 2026\\, 01:00 BST–01:00 GMT (Europe/London)" in body


def test_the_time_step_states_the_business_zone_and_leaves_room_for_the_visitors(client, shop):
    page = client.get(time_url(shop)).text
    assert 'data-business-zone="Europe/London"' in page and "Times are in London time (GMT)" in page
    assert 'src="/static/js/visitor-zone.js"' in page
