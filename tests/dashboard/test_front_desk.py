"""The front desk's new-booking form: a client search (name, email, phone) that reuses the
client chosen, and walk-ins booked by name only, who get no email; the wizard and the API
still require an email."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import reminders
from bookingapp.models import Booking, Customer, Message
from bookingapp.notifications.delivery import Channels, send_due_messages
from bookingapp.notifications.email import EmlFileEmail
from bookingapp.notifications.sms import RecordingSms
from bookingapp.api.keys import create_api_key
from tests.api.conftest import Api
from tests.helpers import MONDAY, at, before


@pytest.fixture
def desk(app, salon, as_role, session):
    business = salon[0]
    ada = Customer(business_id=business.id, name="Ada Lovelace", email="ada@example.com", phone="+447700900123")
    grace = Customer(business_id=business.id, name="Grace Hopper", email="grace@navy.example", phone=None)
    session.add_all([ada, grace])
    session.commit()
    app.config["CLOCK"] = lambda: before()
    return as_role(business, "front_desk"), ada, grace


def _api(client, session, business) -> Api:
    _, raw = create_api_key(session, business)
    session.commit()
    return Api(client, raw)


def _matches(html):
    return re.findall(r'data-client-match="([^"]+)"', html)


def _form(salon, start_hour=10, **fields):
    business, service, alice, _ = salon
    return {"service_id": str(service.id), "staff_id": str(alice.id), "day": MONDAY.isoformat(),
            "start": at(MONDAY, start_hour).isoformat(), "name": "", "email": "", "phone": "", "notes": "", **fields}


@pytest.mark.parametrize("typed", ["lovel", "ADA@EXAMPLE", "07700 900123", "900 123"])
def test_client_search_finds_by_name_email_or_phone(desk, typed):
    dash, ada, grace = desk
    response = dash.get("/dashboard/bookings/new/clients", query_string={"q": typed}, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<ul id="client-matches"')
    assert _matches(html) == [str(ada.id)]


def test_client_search_treats_wildcards_as_text_and_says_when_nothing_matches(desk):
    dash, _, _ = desk
    html = dash.get("/dashboard/bookings/new/clients?q=%25", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert _matches(html) == [] and "data-no-match" in html


def test_client_search_without_javascript_reloads_the_form_with_the_matches(desk):
    dash, _, grace = desk
    response = dash.get("/dashboard/bookings/new/clients?q=hopper")
    assert response.status_code == 302 and "/dashboard/bookings/new?q=hopper" in response.headers["Location"]
    page = dash.get("/dashboard/bookings/new?q=hopper").get_data(as_text=True)
    assert _matches(page) == [str(grace.id)]


def test_a_chosen_client_is_reused_not_duplicated(desk, salon, session):
    dash, ada, _ = desk
    page = dash.get(f"/dashboard/bookings/new?customer_id={ada.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'data-chosen-client="{ada.id}"' in page
    response = dash.post("/dashboard/bookings/new", _form(salon, customer_id=str(ada.id), name="Ada Lovelace"))
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    booking = session.scalars(select(Booking).where(Booking.source == "dashboard")).one()
    assert booking.customer_id == ada.id
    assert session.scalars(select(Customer).where(Customer.business_id == salon[0].id)).all().__len__() == 2


def test_a_client_of_another_business_cannot_be_chosen(desk, salon, session, make_business):
    dash, _, _ = desk
    stranger = Customer(business_id=make_business().id, name="Not Yours", email="x@example.com")
    session.add(stranger)
    session.commit()
    response = dash.post("/dashboard/bookings/new", _form(salon, customer_id=str(stranger.id), name="Not Yours"), htmx=True)
    assert response.status_code == 422 and "search again" in response.get_data(as_text=True)
    assert session.scalar(select(Booking.id).where(Booking.source == "dashboard")) is None


def test_a_walk_in_needs_a_name_only_and_gets_no_email(desk, salon, session):
    dash, _, _ = desk
    alice = salon[2]
    alice.email = "alice@salon.example"
    session.commit()
    assert dash.post("/dashboard/bookings/new", _form(salon, name=""), htmx=True).status_code == 422
    response = dash.post("/dashboard/bookings/new", _form(salon, name="  Walk   In "))
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    booking = session.scalars(select(Booking).where(Booking.source == "dashboard")).one()
    assert (booking.customer.name, booking.customer.email, booking.customer.phone) == ("Walk In", None, None)
    kinds = {(m.audience, m.channel, m.kind) for m in
             session.scalars(select(Message).where(Message.booking_id == booking.id))}
    # The staff member still hears of it; the customer has no address, so nothing is recorded for them.
    assert kinds == {("staff", "email", "staff_new_booking")}
    # The panel shows the walk-in without an empty mail link.
    panel = dash.get(f"/dashboard/bookings/{booking.id}").get_data(as_text=True)
    assert "Walk In" in panel and 'href="mailto:"' not in panel


def test_walk_ins_share_no_email_yet_an_email_still_names_one_customer(desk, salon, session):
    dash, _, _ = desk
    assert dash.post("/dashboard/bookings/new", _form(salon, 10, name="Walk One")).status_code == 302
    assert dash.post("/dashboard/bookings/new", _form(salon, 12, name="Walk Two", phone="07700 900555")).status_code == 302
    walk_ins = session.scalars(select(Customer).where(Customer.business_id == salon[0].id,
                                                      Customer.email.is_(None))).all()
    assert sorted(c.name for c in walk_ins) == ["Walk One", "Walk Two"]
    assert {c.phone for c in walk_ins} == {None, "+447700900555"}
    session.add(Customer(business_id=salon[0].id, name="Copy", email="ada@example.com"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_a_walk_in_with_a_phone_gets_texts_and_the_worker_skips_nothing_by_mistake(app, desk, salon, session, tmp_path):
    dash, _, _ = desk
    business = salon[0]
    business.sms_notifications = True
    business.reminder_cadence = [{"hours_before": 24, "email": True, "sms": True}]
    session.commit()
    assert dash.post("/dashboard/bookings/new", _form(salon, name="Walk In", phone="07700 900777")).status_code == 302
    session.expire_all()
    booking = session.scalars(select(Booking).where(Booking.source == "dashboard")).one()
    customer_messages = session.scalars(select(Message).where(Message.booking_id == booking.id,
                                                              Message.audience == "customer")).all()
    assert [(m.channel, m.recipient) for m in customer_messages] == [("sms", "+447700900777")]
    # The reminder a day before: a text, and no email row for a customer without an address.
    reminders.plan_due(session, now=at(MONDAY, 10) - timedelta(hours=23))
    session.commit()
    planned = session.scalars(select(Message).where(Message.booking_id == booking.id, Message.kind == "reminder")).all()
    assert [m.channel for m in planned] == ["sms"]
    sms = RecordingSms()
    counts = send_due_messages(session, Channels(email=EmlFileEmail(tmp_path, "desk@example.com"), sms=sms),
                               now=at(MONDAY, 10) - timedelta(hours=23))
    assert counts["failed"] == 0 and counts["retrying"] == 0


def test_the_api_still_refuses_a_booking_without_an_email(client, salon, session):
    business, service, alice, _ = salon
    api = _api(client, session, business)
    response = api.post("/bookings", json={"service_id": str(service.id), "staff_id": str(alice.id),
                                           "start_at": at(MONDAY, 10).isoformat(), "customer_name": "Walk In"})
    assert response.status_code == 400
    assert response.get_json()["error"]["param"] == "customer_email"
    assert session.scalar(select(Booking.id).where(Booking.business_id == business.id)) is None


def test_the_api_lists_a_walk_in_with_no_email(app, desk, salon, client, session):
    dash, _, _ = desk
    assert dash.post("/dashboard/bookings/new", _form(salon, name="Walk In")).status_code == 302
    api = _api(client, session, salon[0])
    response = api.get(f"/bookings?from={MONDAY}")
    assert response.status_code == 200, response.get_json()
    walk_in = [b for b in response.get_json()["data"] if b["source"] == "dashboard"]
    assert walk_in[0]["customer"]["email"] is None and walk_in[0]["customer"]["name"] == "Walk In"


@pytest.mark.parametrize("query", [{"q": "a" * 5000}, {"q": "nul\x00here"}, {"q": "%_\\"}, {"q": "   "}])
def test_hostile_client_searches_are_answered_not_500(desk, query):
    dash, _, _ = desk
    response = dash.get("/dashboard/bookings/new/clients", query_string=query, headers={"HX-Request": "true"})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("raw", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "x" * 500])
def test_a_made_up_client_id_opens_the_form_for_a_new_customer(desk, raw):
    dash, _, _ = desk
    response = dash.get("/dashboard/bookings/new", query_string={"customer_id": raw})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "data-chosen-client" not in html and 'name="email"' in html
