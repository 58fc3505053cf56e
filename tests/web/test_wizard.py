"""The booking wizard through the test client: every step's URL, htmx partials, every
validation error of the details form, CSRF refusal, holds racing, expiry, the manage link."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.models import Booking, CustomFieldDefinition, OutboxEvent, Review
from tests.web.conftest import csrf_from, tomorrow_at
from tests.helpers import customer_emails

HX = {"HX-Request": "true"}


def iso(instant):
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def time_url(shop, who="any", service="cut"):
    return f"/corner-salon/book/{shop[service].id}/{who}"


def hold_slot(client, shop, hour=10, who="any", service="cut"):
    page = client.get(time_url(shop, who, service))
    start = tomorrow_at(shop["business"], hour)
    response = client.post(time_url(shop, who, service), data={"csrf_token": csrf_from(page.text), "start": iso(start)})
    return response


def details_page(client, shop, **kwargs):
    response = hold_slot(client, shop, **kwargs)
    assert response.status_code == 303
    url = response.headers["Location"]
    return url, client.get(url)


def submit_details(client, url, page, headers=None, **fields):
    data = {"csrf_token": csrf_from(page.text), "name": "Ada Lovelace", "email": "ada@example.com", "phone": "",
            "notes": "", "promo_code": "", "action": "continue"}
    data.update(fields)
    return client.post(url, data=data, headers=headers or {})


def book_at_venue(client, shop, hour=10):
    url, page = details_page(client, shop, hour=hour)
    done = submit_details(client, url, page)
    assert done.status_code == 303
    page = client.get(done.headers["Location"])
    manage = re.search(r'href="([^"]+/manage/[^"/]+)" id="manage-link"', page.text).group(1)
    return page, manage.replace("http://localhost", "")


# --------------------------------------------------------------------------- pages


def test_business_page_lists_active_services_by_category_staff_and_hours(client, shop):
    page = client.get("/corner-salon")
    assert page.status_code == 200
    assert "Corner Salon" in page.text and "Hair" in page.text and "Cut" in page.text
    assert "Old Perm" not in page.text
    assert "Colour specialist." in page.text and "Europe/London" in page.text
    assert client.get("/").status_code == 200


def test_unknown_and_reserved_slugs_are_not_found(client, shop):
    assert client.get("/no-such-shop").status_code == 404
    assert client.get("/webhooks").status_code == 404
    assert client.get("/static/book").status_code == 404


def test_inactive_service_and_foreign_staff_cannot_be_chosen(client, shop):
    assert client.get(f"/corner-salon/book/{shop['hidden'].id}").status_code == 404
    # Bob does not do colour.
    assert client.get(time_url(shop, who=str(shop["bob"].id), service="colour")).status_code == 404
    assert client.get(time_url(shop, who="not-a-uuid")).status_code == 404


def test_staff_step_offers_anyone_and_the_people_who_do_the_service(client, shop):
    page = client.get(f"/corner-salon/book/{shop['colour'].id}")
    assert "Anyone available" in page.text and "Alice" in page.text and "Bob" not in page.text


def test_time_step_shows_calendar_and_slots_in_business_time_zone(client, shop):
    day = tomorrow_at(shop["business"], 10).date().isoformat()
    page = client.get(time_url(shop) + f"?day={day}")
    assert page.status_code == 200
    assert "Times are in London time (GMT)" in page.text
    assert 'class="day free"' in page.text and "10:00" in page.text
    assert page.headers["Vary"] == "HX-Request" or "HX-Request" in page.headers["Vary"]


def test_htmx_day_click_returns_only_the_slots_partial(client, shop):
    day = tomorrow_at(shop["business"], 10).date().isoformat()
    response = client.get(time_url(shop) + f"?day={day}", headers={**HX, "HX-Target": "slots"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="slots"')
    assert "<html" not in response.text and "HX-Request" in response.headers["Vary"]


def test_htmx_navigation_returns_the_step_partial(client, shop):
    response = client.get(f"/corner-salon/book/{shop['cut'].id}", headers=HX)
    assert response.text.lstrip().startswith('<div id="step"') and "<html" not in response.text
    restore = client.get(f"/corner-salon/book/{shop['cut'].id}", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


# --------------------------------------------------------------------------- hold


def test_choosing_a_slot_holds_it_and_opens_the_details_step(client, shop, session):
    response = hold_slot(client, shop)
    assert response.status_code == 303 and "/details" in response.headers["Location"]
    held = session.scalars(select(Booking)).one()
    assert held.status == "held" and held.source == "web"
    page = client.get(response.headers["Location"])
    assert "Held for you until" in page.text and "data-expires-at" in page.text


def test_slot_just_taken_shows_plain_message_and_keeps_service_and_staff(client, shop, session):
    alice = shop["alice"]
    booking_ops.hold(session, shop["business"], shop["cut"], tomorrow_at(shop["business"], 10), staff=alice)
    session.commit()
    response = hold_slot(client, shop, who=str(alice.id))
    assert response.status_code == 409
    assert "That time was just taken" in response.text
    assert "Cut" in response.text and "Alice" in response.text
    assert ">10:00<" not in response.text  # the refreshed slots no longer offer it


def test_just_taken_over_htmx_is_a_409_partial_with_push_url(client, shop, session):
    alice = shop["alice"]
    booking_ops.hold(session, shop["business"], shop["cut"], tomorrow_at(shop["business"], 10), staff=alice)
    session.commit()
    page = client.get(time_url(shop, str(alice.id)))
    response = client.post(time_url(shop, str(alice.id)), headers=HX,
                           data={"csrf_token": csrf_from(page.text), "start": iso(tomorrow_at(shop["business"], 10))})
    assert response.status_code == 409 and "<html" not in response.text
    assert response.headers["HX-Push-Url"].startswith(time_url(shop, str(alice.id)))


def test_a_start_that_is_not_a_time_is_refused_with_422(client, shop):
    page = client.get(time_url(shop))
    response = client.post(time_url(shop), data={"csrf_token": csrf_from(page.text), "start": "tomorrow-ish"})
    assert response.status_code == 422 and "Please choose one of the times shown" in response.text


def test_expired_hold_sends_customer_back_to_time_step_keeping_choices(client, shop, session):
    url, _ = details_page(client, shop, who=str(shop["alice"].id))
    held = session.scalars(select(Booking)).one()
    held.hold_expires_at = held.created_at - timedelta(seconds=1)
    session.commit()
    response = client.get(url)
    assert response.status_code == 303
    assert f"/book/{shop['cut'].id}/{shop['alice'].id}" in response.headers["Location"]
    assert "notice=expired" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert "Your hold has expired" in page.text and "Alice" in page.text


def test_change_time_releases_the_hold(client, shop, session):
    url, page = details_page(client, shop)
    response = client.post(url.replace("/details", "/release"), data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303 and "notice=released" in response.headers["Location"]
    assert session.scalars(select(Booking)).one().status == "cancelled"


# --------------------------------------------------------------------------- details form


@pytest.mark.parametrize("fields, message", [
    ({"name": "   "}, "Name is required."),
    ({"email": ""}, "Email is required."),
    ({"email": "not-an-email"}, "Email is not valid"),
    ({"phone": "12"}, "Phone number is not valid."),
    ({"name": "x" * 201}, "Name is too long"),
    ({"notes": "n" * 2001}, "Field cannot be longer than 2000 characters."),
])
def test_each_details_error_is_shown_inline_with_422_and_input_kept(client, shop, fields, message):
    url, page = details_page(client, shop)
    response = submit_details(client, url, page, **{"name": "Grace Hopper", **fields})
    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    if "name" not in fields:
        assert 'value="Grace Hopper"' in response.text


def test_all_errors_show_at_once(client, shop):
    url, page = details_page(client, shop)
    response = submit_details(client, url, page, name="", email="bad", phone="12")
    assert response.status_code == 422
    for message in ("Name is required.", "Email is not valid", "Phone number is not valid."):
        assert message in response.text


def test_htmx_details_error_is_the_form_partial(client, shop):
    url, page = details_page(client, shop)
    response = submit_details(client, url, page, headers=HX, email="bad")
    assert response.status_code == 422 and response.text.lstrip().startswith('<div id="step"')
    assert "HX-Request" in response.headers["Vary"]


def test_custom_fields_required_select_number_are_validated_and_stored(client, shop, session):
    business = shop["business"]
    session.add_all([
        CustomFieldDefinition(business_id=business.id, key="allergies", label="Allergies", field_type="text", required=True),
        CustomFieldDefinition(business_id=business.id, key="source", label="How did you hear of us", field_type="select",
                              options=["Friend", "Instagram"], sort_order=1),
        CustomFieldDefinition(business_id=business.id, key="age", label="Age", field_type="number", sort_order=2),
    ])
    session.commit()
    url, page = details_page(client, shop)
    assert "Allergies" in page.text
    bad = submit_details(client, url, page, cf_allergies="", cf_source="TV", cf_age="old")
    assert bad.status_code == 422
    assert "“Allergies” is required." in bad.text
    assert "must be one of: Friend, Instagram" in bad.text
    assert "“Age” must be a number." in bad.text
    good = submit_details(client, url, bad, cf_allergies="Latex", cf_source="Friend", cf_age="41")
    assert good.status_code == 303
    booking = session.scalars(select(Booking)).one()
    session.refresh(booking)
    assert booking.custom_fields == {"allergies": "Latex", "source": "Friend", "age": 41}


def test_csrf_missing_or_wrong_is_refused_and_nothing_changes(client, shop, session):
    url, page = details_page(client, shop)
    for token in (None, "forged"):
        data = {"name": "Ada", "email": "ada@example.com", "action": "continue"}
        if token:
            data["csrf_token"] = token
        response = client.post(url, data=data)
        assert response.status_code == 400 and "could not be accepted" in response.text
    refused_hold = client.post(time_url(shop), data={"start": iso(tomorrow_at(shop["business"], 12))})
    assert refused_hold.status_code == 400
    assert [b.status for b in session.scalars(select(Booking))] == ["held"]


def test_csrf_token_in_htmx_header_is_accepted(client, shop):
    page = client.get(time_url(shop))
    response = client.post(time_url(shop), headers={**HX, "X-CSRFToken": csrf_from(page.text)},
                           data={"start": iso(tomorrow_at(shop["business"], 11))})
    assert response.status_code == 303


# --------------------------------------------------------------------------- booked


def test_pay_at_venue_books_records_email_and_offers_ics_and_manage_link(client, shop, session):
    page, manage = book_at_venue(client, shop)
    assert "You&#39;re booked" in page.text or "You're booked" in page.text  # translated text comes unescaped
    assert "BK-" in page.text
    assert "Due at the venue" in page.text and "£40.00" in page.text
    booking = session.scalars(select(Booking)).one()
    assert booking.status == "confirmed" and booking.customer.email == "ada@example.com"
    # The domain recorded the confirmation (the worker writes it: tests/notifications).
    emails = customer_emails(session)
    assert len(emails) == 1 and emails[0].recipient == "ada@example.com"
    assert emails[0].kind == "booking_confirmed" and emails[0].booking_id == booking.id
    ics = client.get(manage + "/booking.ics")
    assert ics.status_code == 200 and ics.headers["Content-Type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(ics.text).walk("VEVENT")
    assert event.decoded("DTSTART") == booking.starts_at and "\r\n" in ics.text


def test_reload_of_done_and_details_after_booking_stays_on_done(client, shop):
    url, page = details_page(client, shop)
    done = submit_details(client, url, page).headers["Location"]
    assert client.get(url).headers["Location"].endswith("/done") or client.get(url).status_code == 303
    assert client.get(done).status_code == 200


def test_a_tampered_link_is_not_found(client, shop):
    _, manage = book_at_venue(client, shop)
    assert client.get(manage[:-3] + "abc").status_code == 404
    assert client.get("/corner-salon/booking/garbage/details").status_code == 404


# --------------------------------------------------------------------------- manage link


def test_cancel_through_manage_link(client, shop, session):
    _, manage = book_at_venue(client, shop)
    page = client.get(manage)
    assert "Cancelling is free until" in page.text
    response = client.post(manage + "/cancel", data={"csrf_token": csrf_from(client.get(manage + "/cancel").text)})
    assert response.status_code == 303
    assert "has been cancelled" in client.get(response.headers["Location"]).text
    assert session.scalars(select(Booking)).one().status == "cancelled"


def test_reschedule_through_manage_link(client, shop, session):
    _, manage = book_at_venue(client, shop, hour=10)
    page = client.get(manage + "/reschedule?day=" + tomorrow_at(shop["business"], 10).date().isoformat())
    assert page.status_code == 200 and "Choose a new time" in page.text
    response = client.post(manage + "/reschedule",
                           data={"csrf_token": csrf_from(page.text), "start": iso(tomorrow_at(shop["business"], 10, ) + timedelta(minutes=30))})
    assert response.status_code == 303
    new_page = client.get(response.headers["Location"])
    assert "moved to the new time" in new_page.text and "10:30" in new_page.text
    statuses = sorted(b.status for b in session.scalars(select(Booking)))
    assert statuses == ["confirmed", "rescheduled"]
    assert "See the new booking" in client.get(manage).text


def test_review_after_completed_visit_once(client, shop, session):
    _, manage = book_at_venue(client, shop)
    booking = session.scalars(select(Booking)).one()
    assert "How was your visit?" not in client.get(manage).text
    # The visit takes place at its time (start and complete wait for it).
    booking_ops.start(session, booking, now=booking.starts_at)
    booking_ops.complete(session, booking, now=booking.ends_at)
    session.commit()
    page = client.get(manage)
    assert "How was your visit?" in page.text
    missing = client.post(manage + "/review", data={"csrf_token": csrf_from(page.text), "comment": "Nice"})
    assert missing.status_code == 422 and "Rating must be a whole number" in missing.text
    ok = client.post(manage + "/review", data={"csrf_token": csrf_from(page.text), "rating": "5", "comment": "Lovely",
                                               "would_recommend": "y"})
    assert ok.status_code == 303
    again = client.post(manage + "/review", data={"csrf_token": csrf_from(page.text), "rating": "1"})
    assert again.status_code == 422 and "already been reviewed" in again.text
    review = session.scalars(select(Review)).one()
    assert review.rating == 5 and review.would_recommend is True
    assert review.customer_name == "Ada L."  # shown publicly as first name and initial
    assert "Lovely" in client.get("/corner-salon").text
    (event,) = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "review.created")).all()
    assert event.payload["id"] == str(review.id) and event.payload["rating"] == 5


def test_paid_booking_gets_one_confirmation_email_even_if_the_customer_never_returns(client, shop, session):
    """The sandbox's payment event books it; the email must not wait for the return page."""
    shop["business"].deposit_policy = "service_deposit"
    session.commit()
    url, page = details_page(client, shop, service="colour", who=str(shop["alice"].id))
    to_payment = submit_details(client, url, page)
    assert to_payment.status_code == 303 and to_payment.headers["Location"].endswith("/payment")
    payment_page = client.get(to_payment.headers["Location"])
    hosted = client.post(to_payment.headers["Location"], data={"csrf_token": csrf_from(payment_page.text)})
    assert hosted.status_code == 303 and "/sandbox/checkout/" in hosted.headers["Location"]
    card_page = client.get(hosted.headers["Location"])
    sandbox_token = re.search(r'name="csrf_token" value="([^"]+)"', card_page.text).group(1)
    paid = client.post(hosted.headers["Location"], data={
        "csrf_token": sandbox_token, "card_number": "4242 4242 4242 4242", "expiry": "12 / 40",
        "cvc": "123", "name": "Ada Lovelace",
    })
    assert paid.status_code == 303

    def emails():
        session.expire_all()
        return customer_emails(session)

    booking = session.scalars(select(Booking).where(Booking.service_id == shop["colour"].id)).one()
    assert booking.status == "confirmed"
    (email,) = emails()
    assert email.booking_id == booking.id and email.kind == "booking_confirmed"
    client.get(paid.headers["Location"])  # the customer comes back after all
    assert len(emails()) == 1


# --------------------------------------------------------------------------- times never offered


@pytest.mark.parametrize("start", [
    "9999-12-31T23:59:59Z",      # the last instant there is
    "2001-01-01T10:00:00Z",      # long past
    "OFFGRID",                   # tomorrow 10:07, off the 15-minute grid
    "NIGHT",                     # tomorrow 03:00, outside opening hours
])
def test_a_time_never_offered_is_a_422_not_available_not_just_taken(client, shop, session, start):
    business = shop["business"]
    start = {
        "OFFGRID": iso(tomorrow_at(business, 10) + timedelta(minutes=7)),
        "NIGHT": iso(tomorrow_at(business, 3)),
    }.get(start, start)
    page = client.get(time_url(shop))
    response = client.post(time_url(shop), data={"csrf_token": csrf_from(page.text), "start": start})
    assert response.status_code == 422
    assert "That time is not available to book." in response.text
    assert "just taken" not in response.text
    assert session.scalars(select(Booking)).all() == []


def test_the_last_instant_in_a_zone_east_of_utc_is_refused_cleanly(client, shop, session):
    shop["business"].timezone = "Pacific/Auckland"  # 9999-12-31T23:59Z is already year 10000 there
    session.commit()
    page = client.get(time_url(shop))
    response = client.post(time_url(shop), data={"csrf_token": csrf_from(page.text), "start": "9999-12-31T23:59:59Z"})
    assert response.status_code == 422 and "That time is not available to book." in response.text


def test_moving_a_booking_to_a_time_never_offered_is_a_422(client, shop, session):
    _, manage = book_at_venue(client, shop, hour=10)
    page = client.get(manage + "/reschedule")
    response = client.post(manage + "/reschedule", data={"csrf_token": csrf_from(page.text), "start": "9999-12-31T23:59:59Z"})
    assert response.status_code == 422 and "That time is not available to book." in response.text
    assert [b.status for b in session.scalars(select(Booking))] == ["confirmed"]


# --------------------------------------------------------------------------- smaller things


def test_a_stale_csrf_token_over_htmx_is_a_400_partial_the_page_swaps_in(client, shop):
    url, _ = details_page(client, shop)
    response = client.post(url, headers=HX, data={"csrf_token": "stale", "name": "Ada", "action": "continue"})
    assert response.status_code == 400 and response.text.lstrip().startswith('<div id="step"')
    assert "could not be accepted" in response.text and "<html" not in response.text
    config = client.get(url).text
    assert '{"code":"400","swap":true}' in config  # htmx swaps 400s, so the message shows


def test_the_calendar_file_of_a_moved_booking_says_cancelled(client, shop, session):
    _, manage = book_at_venue(client, shop, hour=10)
    page = client.get(manage + "/reschedule")
    moved = client.post(manage + "/reschedule", data={
        "csrf_token": csrf_from(page.text), "start": iso(tomorrow_at(shop["business"], 11))})
    assert moved.status_code == 303
    assert "STATUS:CANCELLED" in client.get(manage + "/booking.ics").text
    new_manage = moved.headers["Location"].split("?")[0].replace("http://localhost", "")
    assert "STATUS:CONFIRMED" in client.get(new_manage + "/booking.ics").text


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-Infinity", "1e999"])
def test_a_number_field_refuses_nan_and_infinity(client, shop, session, raw):
    session.add(CustomFieldDefinition(business_id=shop["business"].id, key="age", label="Age", field_type="number"))
    session.commit()
    url, page = details_page(client, shop)
    response = submit_details(client, url, page, cf_age=raw)
    assert response.status_code == 422 and "“Age” must be a number." in response.text
    assert session.scalars(select(Booking)).one().custom_fields in (None, {})
