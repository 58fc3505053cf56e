"""Hostile and sloppy input on the dashboard (issue 10): amounts in the currency's own
minor units, dates kept to the calendar every door accepts, lists paged within reason,
over-large forms, and the domain's checks before any flush. Always the form's own answer
(re-rendered with a message, or a 400 page), never a 500, and nothing written."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bookingapp.models import Booking, Business, Promotion, Service, ServiceCategory
from tests.helpers import MONDAY, at

SERVICE = {"name": "Colour", "category_id": "", "description": "", "duration_minutes": "90", "price_cents": "80.00",
           "deposit_cents": "0", "buffer_before_minutes": "0", "buffer_minutes": "0", "sort_order": "0",
           "is_active": "on"}


def _services(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Service))


def _set_currency(session, business, code):
    business.currency = code
    session.commit()


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize("currency, typed, stored", [
    ("GBP", "80.00", 8000), ("GBP", "80", 8000), ("GBP", "80.5", 8050), ("GBP", "-0", 0),
    ("JPY", "1500", 1500), ("JPY", "1500.0", 1500),
    ("KWD", "1.250", 1250), ("KWD", "2", 2000),
])
def test_a_price_is_read_in_the_currency_minor_units(session, salon, as_role, currency, typed, stored):
    business = salon[0]
    _set_currency(session, business, currency)
    dash = as_role(business, "owner")
    response = dash.post("/dashboard/setup/services", {**SERVICE, "price_cents": typed})
    assert response.status_code in (204, 303), response.get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(Service).where(Service.name == "Colour")).one().price_cents == stored


@pytest.mark.parametrize("currency, typed, message", [
    ("GBP", "12.345", "at most two decimals"), ("JPY", "15.5", "JPY has no decimals"),
    ("KWD", "1.2345", "at most three decimals"), ("GBP", "1e309", "between 0 and 1,000,000"),
    ("GBP", "NaN", "is not an amount"), ("GBP", "Infinity", "is not an amount"), ("GBP", "-1", "between 0"),
    ("GBP", "1e-400", "at most two decimals"), ("GBP", "x" * 100_000, "is not an amount"), ("GBP", "", "Enter an amount"),
])
def test_a_price_the_currency_cannot_hold_is_refused_with_what_was_typed(session, salon, as_role, currency, typed,
                                                                        message):
    business = salon[0]
    _set_currency(session, business, currency)
    dash = as_role(business, "owner")
    before = _services(session)
    response = dash.post("/dashboard/setup/services", {**SERVICE, "price_cents": typed}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    if len(typed) > 40:
        # The field keeps what was typed; the message quotes only its start.
        assert html.count(typed[:60_000]) == 1
    assert _services(session) == before


def test_an_edit_form_shows_the_price_with_the_currency_decimals(session, salon, as_role):
    business, service, *_ = salon
    _set_currency(session, business, "JPY")
    service.price_cents = 1500
    session.commit()
    html = as_role(business, "owner").get(f"/dashboard/setup/services/{service.id}").get_data(as_text=True)
    assert 'value="1500"' in html and 'value="15.00"' not in html


def test_a_tip_in_yen_has_no_decimals(app, session, salon, served, as_role):
    business = salon[0]
    dash = as_role(business, "owner")
    opened = dash.post(f"/dashboard/bookings/{served.id}/checkout")
    assert opened.status_code in (204, 302)
    from bookingapp.models.checkout import Checkout

    checkout = session.scalars(select(Checkout)).one()
    checkout.currency = "JPY"
    session.commit()
    refused = dash.post(f"/dashboard/checkout/{checkout.id}/tip", {"tip": "5.50"}, htmx=True)
    assert refused.status_code == 422 and "JPY has no decimals" in refused.get_data(as_text=True)
    saved = dash.post(f"/dashboard/checkout/{checkout.id}/tip", {"tip": "500"}, htmx=True)
    assert saved.status_code == 200 and 'value="500"' in saved.get_data(as_text=True)


# --------------------------------------------------------------------------- dates and pages


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2201-01-01", "1969-12-31"])
def test_the_day_view_refuses_a_date_outside_the_calendar_with_a_400(salon, as_role, day):
    response = as_role(salon[0], "owner").get("/dashboard/day", query_string={"date": day})
    assert response.status_code == 400
    assert "between the years 1970 and 2200" in response.get_data(as_text=True)


def test_the_day_view_refuses_a_malformed_date_with_a_400(salon, as_role):
    response = as_role(salon[0], "owner").get("/dashboard/day", query_string={"date": "x" * 100_000})
    assert response.status_code == 400


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "99999-01-01"])
def test_the_new_booking_form_with_a_day_outside_the_calendar_opens_on_today(salon, as_role, day):
    response = as_role(salon[0], "owner").get("/dashboard/bookings/new", query_string={"day": day})
    assert response.status_code == 200


@pytest.mark.parametrize("day, start", [
    ("9999-12-31", "9999-12-31T23:59:59-14:00"), ("0001-01-01", "0001-01-01T00:00:00+14:00"),
    (MONDAY.isoformat(), "0001-01-01T00:00:00+14:00"), (MONDAY.isoformat(), "9999-12-31T23:59:59-14:00"),
])
def test_a_front_desk_booking_at_the_edge_of_the_calendar_is_refused(session, salon, as_role, day, start):
    business, service, alice, _ = salon
    dash = as_role(business, "owner")
    response = dash.post("/dashboard/bookings/new", {
        "service_id": str(service.id), "staff_id": str(alice.id), "day": day, "start": start,
        "name": "Walk In", "email": "walk@example.com"}, htmx=True)
    assert response.status_code == 422
    # The form's date check, or the domain's (domain.time_bounds) naming the start.
    assert "between the years 1970 and 2200" in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Booking)) == 0


@pytest.mark.parametrize("valid_from", ["0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01T00:00:00+14:00"])
def test_a_promotion_dated_outside_the_calendar_is_refused(session, salon, as_role, valid_from):
    dash = as_role(salon[0], "owner")
    response = dash.post("/dashboard/setup/promotions", {
        "code": "EDGE", "description": "", "kind": "percent", "percent_off": "10", "amount_off_cents": "",
        "valid_from": valid_from, "valid_until": "", "max_uses": "", "is_active": "on"}, htmx=True)
    assert response.status_code == 422
    assert "between the years 1970 and 2200" in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Promotion)) == 0


@pytest.mark.parametrize("url", ["/dashboard/clients", "/dashboard/reviews"])
@pytest.mark.parametrize("page", ["99999999999999999999", str(2**63), "-5", "x", "1e9"])
def test_a_list_page_number_out_of_range_is_shown_not_a_500(salon, as_role, url, page):
    response = as_role(salon[0], "owner").get(url, query_string={"page": page})
    assert response.status_code == 200


# --------------------------------------------------------------------------- domain checks first


def test_a_deposit_above_the_price_with_a_category_is_refused_on_the_dashboard(session, salon, as_role):
    business, service, *_ = salon
    category = ServiceCategory(business_id=business.id, name="Hair", sort_order=0)
    session.add(category)
    session.commit()
    dash = as_role(business, "owner")
    response = dash.post(f"/dashboard/setup/services/{service.id}", {
        **SERVICE, "name": service.name, "category_id": str(category.id), "price_cents": "50.00",
        "deposit_cents": "90.00"}, htmx=True)
    assert response.status_code == 422
    assert "The deposit (£90.00) cannot exceed the price (£50.00)." in response.get_data(as_text=True)
    session.expire_all()
    stored = session.get(Service, service.id)
    assert stored.category_id is None and stored.deposit_cents <= stored.price_cents


# --------------------------------------------------------------------------- text and size


@pytest.mark.parametrize("value", ["\x00", "a\x00b"])
def test_a_nul_in_a_setup_form_is_a_400_naming_the_field(session, salon, as_role, value):
    business = salon[0]
    dash = as_role(business, "owner")
    response = dash.post("/dashboard/setup/services", {**SERVICE, "description": value})
    assert response.status_code == 400 and "description" in response.get_data(as_text=True)
    assert _services(session) == 1


def test_invalid_utf8_in_a_setup_form_never_500s(session, salon, as_role):
    business = salon[0]
    dash = as_role(business, "owner")
    body = "&".join(f"{k}={v}" for k, v in {**SERVICE, "name": "%ED%A0%80", "description": "%FF%C0%80"}.items())
    response = dash.post("/dashboard/setup/services", body.encode(), content_type="application/x-www-form-urlencoded")
    assert response.status_code in (204, 303, 400, 422)
    session.expire_all()
    for name, description in session.execute(select(Service.name, Service.description)):
        assert "\ud800" not in name and "\ud800" not in (description or "")


def test_an_over_large_setup_form_is_a_plain_413_page(session, salon, as_role):
    business = salon[0]
    dash = as_role(business, "owner")
    response = dash.post("/dashboard/setup/business", {"name": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413 and "too much to send" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Business, business.id).name == business.name


def test_an_over_large_sign_in_form_is_the_same_plain_413_page(client):
    response = client.post("/dashboard/sign-in", data={"email": "a@example.com", "password": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413 and "too much to send" in response.get_data(as_text=True)


def test_the_reviews_reply_with_100_kb_is_refused_with_the_draft_kept(session, salon, as_role, make_customer):
    from bookingapp.domain import booking as booking_ops
    from bookingapp.domain.reviews import leave_review
    from tests.helpers import before

    business, service, alice, _ = salon
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                         staff=alice, now=before())
    booking_ops.start(session, booking, now=booking.starts_at)
    booking_ops.complete(session, booking, now=booking.ends_at)
    review = leave_review(session, booking, rating=4, comment="Good", would_recommend=True)
    session.commit()
    dash = as_role(business, "owner")
    response = dash.post(f"/dashboard/reviews/{review.id}/reply", {"reply": "x" * 100_000}, htmx=True)
    assert response.status_code == 422
    session.expire_all()
    assert session.get(type(review), review.id).business_reply is None
