"""The front desk's new-booking form at a business with several locations: a location select
(only the ones the account sees), the free times and staff of that location, the booking
placed there through the domain, and a location the account may not see refused like any
bad choice. Riverside (branches fixture) opens 10:00-16:00; Alice works there 13:00-16:00,
Bob only at the primary."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bookingapp.models import Booking
from tests.helpers import MONDAY, at, before


@pytest.fixture
def desk_clock(app):
    app.config["CLOCK"] = lambda: before()


def _options(html: str, name: str) -> dict[str, str]:
    """A select's options in the form: value -> label."""
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select_html, f"no {name} select"
    return dict(re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select_html.group(1)))


def _selected(html: str, name: str) -> str | None:
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    found = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', select_html)
    return (found.group(1) or found.group(2)) if found else None


def _form(service, location, hour, **fields):
    return {"location": str(location.id), "service_id": str(service.id), "staff_id": "", "day": MONDAY.isoformat(),
            "start": at(MONDAY, hour).isoformat(), "name": "Walk In", "email": "", "phone": "", "notes": "",
            **fields}


def _count(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Booking))


def test_the_form_offers_the_locations_and_lists_the_chosen_ones_staff_and_free_times(
        branches, as_role, desk_clock):
    business, service, alice, bob, main, riverside = branches
    dash = as_role(business, "owner")
    query = {"service_id": str(service.id), "day": MONDAY.isoformat()}
    at_main = dash.get("/dashboard/bookings/new", query_string=query).get_data(as_text=True)
    assert _options(at_main, "location") == {str(main.id): main.name, str(riverside.id): "Riverside"}
    assert _selected(at_main, "location") == str(main.id)  # the primary unless asked otherwise
    assert {"Alice", "Bob"} <= set(_options(at_main, "staff_id").values())
    assert at(MONDAY, 10).isoformat() in _options(at_main, "start")
    at_river = dash.get("/dashboard/bookings/new", query_string={**query, "location": str(riverside.id)}
                        ).get_data(as_text=True)
    assert _selected(at_river, "location") == str(riverside.id)
    staff = set(_options(at_river, "staff_id").values())
    assert "Alice" in staff and "Bob" not in staff  # Bob works at the primary only
    times = _options(at_river, "start")
    # Alice is at Riverside 13:00-16:00 (a 60-minute service: the last start is 15:00).
    assert at(MONDAY, 13).isoformat() in times and at(MONDAY, 15).isoformat() in times
    assert at(MONDAY, 10).isoformat() not in times and at(MONDAY, 16).isoformat() not in times


def test_changing_the_location_rerenders_the_form_with_htmx_and_drops_a_staff_member_not_there(
        branches, as_role, desk_clock):
    business, service, alice, bob, main, riverside = branches
    dash = as_role(business, "owner")
    response = dash.get("/dashboard/bookings/new", headers={"HX-Request": "true"}, query_string={
        "location": str(riverside.id), "service_id": str(service.id), "staff_id": str(bob.id),
        "day": MONDAY.isoformat(), "name": "Typed Name"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<form id="new-booking-form"')
    location_select = re.search(r'<select[^>]*name="location"[^>]*>', html).group(0)
    # Like the service, staff and day selects: a change asks the form again with everything typed.
    assert 'hx-get="/dashboard/bookings/new"' in location_select and 'hx-include="#new-booking-form"' in location_select
    assert 'hx-trigger="change"' in location_select
    assert _selected(html, "staff_id") in (None, "")  # Bob is not at Riverside: back to "anyone"
    assert 'value="Typed Name"' in html
    assert at(MONDAY, 13).isoformat() in _options(html, "start")


def test_a_booking_made_at_a_location_is_placed_there_with_its_staff(session, branches, as_role, desk_clock):
    business, service, alice, bob, main, riverside = branches
    dash = as_role(business, "owner")
    response = dash.post("/dashboard/bookings/new", data=_form(service, riverside, 13))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert f"location={riverside.id}" in response.headers["Location"]  # back to that branch's day
    booking = session.scalar(select(Booking).where(Booking.source == "dashboard"))
    assert booking.location_id == riverside.id and booking.staff_id == alice.id
    assert booking.starts_at == at(MONDAY, 13)


def test_a_staff_member_who_does_not_work_there_is_refused_on_the_staff_field(
        session, branches, as_role, desk_clock):
    business, service, alice, bob, main, riverside = branches
    dash = as_role(business, "owner")
    before_count = _count(session)
    response = dash.post("/dashboard/bookings/new", data=_form(service, riverside, 13, staff_id=str(bob.id)))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Bob does not work at Riverside." in html and 'value="Walk In"' in html
    assert _count(session) == before_count


def test_a_limited_account_books_at_its_branch_and_is_refused_another(session, branches, riverside_manager,
                                                                      desk_clock):
    business, service, alice, bob, main, riverside = branches
    html = riverside_manager.get(f"/dashboard/bookings/new?service_id={service.id}&day={MONDAY}").get_data(as_text=True)
    assert _options(html, "location") == {str(riverside.id): "Riverside"}
    # Asking for the primary in the address does not show it: the form stays at Riverside.
    asked = riverside_manager.get(f"/dashboard/bookings/new?location={main.id}&service_id={service.id}&day={MONDAY}")
    assert _selected(asked.get_data(as_text=True), "location") == str(riverside.id)
    assert "Bob" not in _options(asked.get_data(as_text=True), "staff_id").values()
    before_count = _count(session)
    for location in (str(main.id), "not-a-location"):
        refused = riverside_manager.post("/dashboard/bookings/new",
                                         data={**_form(service, main, 10, staff_id=str(bob.id)), "location": location})
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422
        assert "Choose one of the listed locations." in html and 'value="Walk In"' in html
        assert _count(session) == before_count
    # Without a location sent, the booking goes to the account's branch, never the primary.
    made = riverside_manager.post("/dashboard/bookings/new",
                                  data={k: v for k, v in _form(service, riverside, 14).items() if k != "location"})
    assert made.status_code == 302, made.get_data(as_text=True)
    booking = session.scalar(select(Booking).where(Booking.source == "dashboard"))
    assert booking.location_id == riverside.id


def test_a_gap_in_a_branchs_day_opens_the_form_at_that_branch(session, branches, as_role, desk_clock):
    business, service, alice, bob, main, riverside = branches
    dash = as_role(business, "owner")
    day = dash.get(f"/dashboard/day?date={MONDAY}&location={riverside.id}").get_data(as_text=True)
    gaps = re.findall(r'<a class="block free gap" href="([^"]+)"', day)
    assert gaps and all(f"location={riverside.id}" in gap.replace("&amp;", "&") for gap in gaps)
    assert f"/dashboard/bookings/new?date={MONDAY}&amp;location={riverside.id}" in day  # the New booking button
    (gap,) = [g.replace("&amp;", "&") for g in gaps]  # Alice's afternoon there, from 13:00
    assert "start=2030-06-03T12:00:00%2B00:00" in gap  # 13:00 in London, in UTC
    form = dash.get(gap).get_data(as_text=True)
    assert _selected(form, "location") == str(riverside.id)
    assert _selected(form, "service_id") == str(service.id)  # the service that fits the gap there
    assert _selected(form, "start") == at(MONDAY, 13).isoformat()


def test_a_business_with_one_location_shows_no_select_and_books_at_the_primary(session, salon, as_role, desk_clock):
    business, service, alice, bob = salon
    dash = as_role(business, "owner")
    html = dash.get(f"/dashboard/bookings/new?service_id={service.id}&day={MONDAY}").get_data(as_text=True)
    assert 'name="location"' not in html
    made = dash.post("/dashboard/bookings/new", data={
        "service_id": str(service.id), "staff_id": "", "day": MONDAY.isoformat(),
        "start": at(MONDAY, 10).isoformat(), "name": "Walk In"})
    assert made.status_code == 302 and "location=" not in made.headers["Location"]
    booking = session.scalar(select(Booking).where(Booking.source == "dashboard"))
    assert booking.location_id == business.primary_location.id
