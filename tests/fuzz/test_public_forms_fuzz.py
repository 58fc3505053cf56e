"""Property-based fuzz of the public site's forms (the wizard and the manage link): any
field values, including NUL, lone surrogates, 100 KB strings, odd numbers and the
calendar's ends, get the form's own answer (a redirect on success, 4xx with the form
re-rendered otherwise), never a 500, and a refusal writes nothing."""
from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import given

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import clock
from bookingapp.web.links import manage_token, wizard_token
from tests.fuzz.conftest import FUZZ, assert_answer, database_snapshot, form_values, post_form
from tests.web.conftest import csrf_from, tomorrow_at


def _starts(business):
    """A different bookable start each call: 09:00-16:00 on the days after tomorrow."""
    for n in itertools.count():
        yield tomorrow_at(business, 9 + n % 8) + timedelta(days=n // 8)


def test_fuzz_wizard_hold_form(client, session, shop):
    business, service = shop["business"], shop["cut"]
    url = f"/{business.slug}/book/{service.id}/any"
    token = csrf_from(client.get(url).text)
    valid = {"start": tomorrow_at(business, 10).isoformat()}

    @FUZZ
    @given(form_values(valid, {"csrf_token": token}))
    def check(fields):
        before = database_snapshot()
        assert_answer(post_form(client, url, fields), before, what=f"hold {fields!r:.300}")

    check()


def test_fuzz_wizard_details_form(client, session, shop):
    business, service = shop["business"], shop["cut"]
    starts = _starts(business)
    token = csrf_from(client.get(f"/{business.slug}/book/{service.id}/any").text)
    valid = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0958",
             "notes": "Window seat", "promo_code": "", "action": "continue"}

    @FUZZ
    @given(form_values(valid, {"csrf_token": token}))
    def check(fields):
        # A fresh hold each time: an earlier example may have booked the last one.
        held = booking_ops.hold(session, business, service, next(starts), now=clock.now(), source="web")
        session.commit()
        url = f"/{business.slug}/booking/{wizard_token(held.id, 'any')}/details"
        before = database_snapshot()
        assert_answer(post_form(client, url, fields), before, what=f"details {fields!r:.300}")

    check()


def test_fuzz_manage_reschedule_and_review_forms(app, client, session, shop, make_customer):
    business, service = shop["business"], shop["cut"]
    starts = _starts(business)
    customer = make_customer(business)
    first = booking_ops.create_booking(session, business, service, next(starts), customer, now=clock.now(),
                                       source="web")
    session.commit()
    token = csrf_from(client.get(f"/{business.slug}/manage/{manage_token(first.id)}/cancel").text)
    valid = {"start": tomorrow_at(business, 15).isoformat(), "rating": "5",
             "comment": "Lovely", "would_recommend": "y", "kind": "export", "understood": "yes"}

    @FUZZ
    @given(form_values(valid, {"csrf_token": token}))
    def check(fields):
        booking = booking_ops.create_booking(session, business, service, next(starts), customer, now=clock.now(),
                                             source="web")
        session.commit()
        url = f"/{business.slug}/manage/{manage_token(booking.id)}"
        before = database_snapshot()
        assert_answer(post_form(client, url + "/reschedule", fields), before, what=f"reschedule {fields!r:.300}")
        # The same values on the review form of a visit that took place.
        booking = booking_ops.create_booking(session, business, service, next(starts), customer, now=clock.now(),
                                             source="web")
        booking_ops.start(session, booking, now=booking.starts_at)
        booking_ops.complete(session, booking, now=booking.ends_at)
        session.commit()
        url = f"/{business.slug}/manage/{manage_token(booking.id)}"
        before = database_snapshot()
        assert_answer(post_form(client, url + "/review", fields), before, what=f"review {fields!r:.300}")
        before = database_snapshot()
        assert_answer(post_form(client, url + "/data-request", fields), before, what=f"data request {fields!r:.300}")

    check()
