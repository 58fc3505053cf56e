"""The customer's visit has no dead ends (issue 16): Back and the same time again, a hold
that ran out keeps the typing, cancelling asks first and says what is refunded, "Book
again", an untouched star rating, and a progress bar that shows only real steps."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import g
from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.models import Booking
from tests.web.conftest import csrf_from, tomorrow_at
from tests.web.test_wizard import book_at_venue, details_page, hold_slot, iso, submit_details, time_url
from tests.web.test_wizard_money import deposit_shop, paid_sandbox_booking  # noqa: F401  (fixture)


def _statuses(session) -> list[str]:
    session.expire_all()
    return sorted(b.status for b in session.scalars(select(Booking)))


def _progress(html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="progress".*?</nav>', html, re.S).group(0)
    return re.findall(r'<li class="([a-z]*)"[^>]*><span>([^<]+)</span>', nav)


def _second_visitor(app):
    """Another browser. The tests share one app context, where Flask-WTF caches the CSRF
    token of the first visitor (flask.g); the second visitor must get their own."""
    g.pop("csrf_token", None)
    return app.test_client()


# --------------------------------------------------------------------------- Back, then a time again


def test_back_then_the_same_time_again_holds_it_instead_of_saying_it_was_taken(client, shop, session):
    first = hold_slot(client, shop, hour=10)
    assert first.status_code == 303
    again = hold_slot(client, shop, hour=10)
    assert again.status_code == 303 and "/details" in again.headers["Location"]
    assert _statuses(session) == ["cancelled", "held"]
    assert client.get(again.headers["Location"]).status_code == 200


def test_choosing_another_time_gives_the_earlier_hold_back(client, shop, session):
    hold_slot(client, shop, hour=10)
    hold_slot(client, shop, hour=11)
    session.expire_all()
    held = session.scalars(select(Booking).where(Booking.status == "held")).one()
    assert held.starts_at == tomorrow_at(shop["business"], 11)


def test_another_visitors_hold_is_never_released(app, client, shop, session):
    assert hold_slot(client, shop, hour=10, who=str(shop["alice"].id)).status_code == 303
    other = _second_visitor(app)
    taken = hold_slot(other, shop, hour=10, who=str(shop["alice"].id))
    assert taken.status_code == 409 and "That time was just taken" in taken.text
    assert _statuses(session) == ["held"]


def test_a_failed_new_hold_keeps_the_time_already_held(app, client, shop, session):
    """The release and the new hold happen together or not at all."""
    other = _second_visitor(app)
    assert hold_slot(other, shop, hour=11, who=str(shop["alice"].id)).status_code == 303
    g.pop("csrf_token", None)  # the first visitor again (see _second_visitor)
    assert hold_slot(client, shop, hour=10, who=str(shop["alice"].id)).status_code == 303
    assert hold_slot(client, shop, hour=11, who=str(shop["alice"].id)).status_code == 409
    assert _statuses(session) == ["held", "held"]


# --------------------------------------------------------------------------- typing kept


def _expire_holds(session):
    for held in session.scalars(select(Booking).where(Booking.status == "held")):
        held.hold_expires_at = held.created_at - timedelta(seconds=1)
    session.commit()


def test_details_typed_before_the_hold_ran_out_are_filled_in_after_choosing_again(client, shop, session):
    url, page = details_page(client, shop)
    _expire_holds(session)
    sent_back = submit_details(client, url, page, name="Grace Hopper", email="grace@example.com",
                               phone="020 7946 0000", notes="Left-handed")
    assert sent_back.status_code == 303 and "notice=expired" in sent_back.headers["Location"]
    again_url, again = details_page(client, shop, hour=11)
    assert again_url != url
    assert 'value="Grace Hopper"' in again.text and 'value="grace@example.com"' in again.text
    assert "Left-handed" in again.text


def test_the_countdown_posting_the_form_as_it_stands_keeps_the_typing(client, shop, session):
    url, page = details_page(client, shop)
    _expire_holds(session)
    kept = submit_details(client, url, page, name="Grace Hopper", email="", action="hold_ran_out")
    assert kept.status_code == 303 and kept.headers["Location"].endswith("/details")
    assert "notice=expired" in client.get(kept.headers["Location"]).headers["Location"]
    _, again = details_page(client, shop, hour=11)
    assert 'value="Grace Hopper"' in again.text
    assert "confirmed" not in _statuses(session)  # nothing was booked by the countdown's post


def test_once_booked_the_typing_is_forgotten(client, shop):
    book_at_venue(client, shop)
    _, fresh = details_page(client, shop, hour=12)
    assert 'value="Ada Lovelace"' not in fresh.text


# --------------------------------------------------------------------------- cancel asks first


def test_the_manage_page_links_to_a_confirm_step_instead_of_cancelling_at_once(client, shop, session):
    _, manage = book_at_venue(client, shop)
    page = client.get(manage)
    assert f'href="{manage}/cancel"' in page.text and 'action="' + manage + '/cancel"' not in page.text
    confirm = client.get(manage + "/cancel")
    assert confirm.status_code == 200 and "Cancel this booking?" in confirm.text
    assert _statuses(session) == ["confirmed"]  # asking changed nothing
    assert "No, keep it" in confirm.text


def test_the_confirm_step_shows_the_refund_inside_the_free_window(client, deposit_shop, session):
    deposit_shop["business"].free_cancellation_hours = 1
    session.commit()
    manage = paid_sandbox_booking(client, deposit_shop, session)
    confirm = client.get(manage + "/cancel")
    assert re.search(r'id="refund-amount">£20.00<', confirm.text)
    assert re.search(r'id="kept-amount">£0.00<', confirm.text)
    done = client.post(manage + "/cancel", data={"csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303 and _statuses(session) == ["cancelled"]


def test_the_confirm_step_says_the_deposit_is_kept_after_the_window(client, deposit_shop, session):
    deposit_shop["business"].free_cancellation_hours = 48
    session.commit()
    manage = paid_sandbox_booking(client, deposit_shop, session)
    confirm = client.get(manage + "/cancel")
    assert re.search(r'id="refund-amount">£0.00<', confirm.text)
    assert re.search(r'id="kept-amount">£20.00<', confirm.text)
    assert "the deposit of £20.00 is kept" in confirm.text


# --------------------------------------------------------------------------- book again


def test_a_cancelled_booking_offers_book_again_with_the_same_service_and_person(client, shop, session):
    url, page = details_page(client, shop, who=str(shop["alice"].id))
    submit_details(client, url, page)
    booking = session.scalars(select(Booking)).one()
    manage = re.search(r'href="([^"]+/manage/[^"/]+)" id="manage-link"', client.get(url.replace("/details", "/done")).text).group(1)
    manage = manage.replace("http://localhost", "")
    client.post(manage + "/cancel", data={"csrf_token": csrf_from(client.get(manage + "/cancel").text)})
    page = client.get(manage)
    link = re.search(r'href="([^"]+)" id="book-again"', page.text).group(1)
    assert link == f"/corner-salon/book/{booking.service_id}/{shop['alice'].id}"
    assert client.get(link).status_code == 200


def test_a_completed_booking_offers_book_again(client, shop, session):
    _, manage = book_at_venue(client, shop)
    booking = session.scalars(select(Booking)).one()
    booking_ops.start(session, booking, now=booking.starts_at)
    booking_ops.complete(session, booking, now=booking.ends_at)
    session.commit()
    assert 'id="book-again"' in client.get(manage).text


def test_book_again_falls_back_to_anyone_when_the_person_left(client, shop, session):
    _, manage = book_at_venue(client, shop)
    booking = session.scalars(select(Booking)).one()
    booking.staff.is_active = False
    booking_ops.cancel(session, booking, now=booking.created_at, actor="staff")
    session.commit()
    link = re.search(r'href="([^"]+)" id="book-again"', client.get(manage).text).group(1)
    assert link.endswith("/any")


def test_an_upcoming_booking_has_no_book_again(client, shop):
    assert 'id="book-again"' not in client.get(book_at_venue(client, shop)[1]).text


# --------------------------------------------------------------------------- review stars


def test_the_review_form_has_star_radios_and_nothing_ticked(client, shop, session):
    _, manage = book_at_venue(client, shop)
    booking = session.scalars(select(Booking)).one()
    booking_ops.start(session, booking, now=booking.starts_at)
    booking_ops.complete(session, booking, now=booking.ends_at)
    session.commit()
    form = re.search(r'<form[^>]+/review".*?</form>', client.get(manage).text, re.S).group(0)
    assert form.count('type="radio"') == 5 and form.count('class="star"') == 5
    assert "checked" not in form
    assert re.search(r'<span class="visually-hidden">4 stars</span>', form)


# --------------------------------------------------------------------------- progress


def test_progress_has_no_hold_step_and_no_payment_step_when_nothing_is_paid_up_front(client, shop):
    page = client.get(time_url(shop))
    assert _progress(page.text) == [("done", "Service"), ("done", "Staff"), ("current", "Time"),
                                    ("", "Details"), ("", "Booked")]
    _, manage = book_at_venue(client, shop)
    assert manage
    assert "Hold" not in client.get("/corner-salon/book").text.split("</nav>")[0]


def test_progress_shows_payment_only_when_something_is_paid_and_ticks_it_once_paid(client, deposit_shop, session):
    page = client.get(time_url(deposit_shop, service="colour"))
    assert [label for _, label in _progress(page.text)] == ["Service", "Staff", "Time", "Details", "Payment", "Booked"]
    manage = paid_sandbox_booking(client, deposit_shop, session)
    assert manage
    booking = session.scalars(select(Booking)).one()
    from bookingapp.web.links import wizard_token
    with client.application.test_request_context():
        done_url = f"/corner-salon/booking/{wizard_token(booking.id, str(deposit_shop['alice'].id))}/done"
    assert ("done", "Payment") in _progress(client.get(done_url).text)


def test_the_done_page_of_a_free_booking_has_no_payment_step(client, shop, session):
    url, page = details_page(client, shop)
    done = client.get(submit_details(client, url, page).headers["Location"])
    assert [label for _, label in _progress(done.text)] == ["Service", "Staff", "Time", "Details", "Booked"]
