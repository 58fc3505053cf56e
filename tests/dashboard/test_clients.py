"""Clients: grouped by email with visits, spend, no-shows, first and last visit, and history."""
from __future__ import annotations

import re

from bookingapp.domain import booking as booking_ops
from tests.helpers import MONDAY, at, before


def _visit(session, salon, customer, day_offset, hour, outcome):
    from datetime import timedelta

    business, service, alice, _ = salon
    day = MONDAY + timedelta(days=day_offset)
    booking = booking_ops.create_booking(session, business, service, at(day, hour), customer, staff=alice, now=before())
    if outcome == "completed":
        booking_ops.start(session, booking, now=at(day, hour))
        booking_ops.complete(session, booking, now=at(day, hour + 1))
    elif outcome == "no_show":
        booking_ops.no_show(session, booking, now=at(day, hour + 1))
    elif outcome == "cancelled":
        booking_ops.cancel(session, booking, now=before())
    session.commit()
    return booking


def test_client_list_counts_visits_spend_and_no_shows(salon, as_role, session, make_customer):
    business = salon[0]
    ada = make_customer(business, email="ada@example.com", name="Ada Lovelace")
    tom = make_customer(business, email="tom@example.com", name="Tom Baker")
    make_customer(business, email="never@example.com", name="Never Booked")
    _visit(session, salon, ada, 0, 10, "completed")
    _visit(session, salon, ada, 1, 10, "completed")
    _visit(session, salon, ada, 2, 10, "no_show")
    _visit(session, salon, ada, 3, 10, "cancelled")  # withdrawn: not a visit
    _visit(session, salon, tom, 0, 12, "completed")
    html = as_role(business, "owner").get("/dashboard/clients").get_data(as_text=True)
    found = re.findall(r'data-client="([^"]+)".*?data-visits>(\d+)<.*?data-spent>([^<]+)<.*?data-no-shows>(\d+)<', html, re.S)
    rows = {email: rest for email, *rest in found}
    assert rows == {"ada@example.com": ["3", "£100.00", "1"], "tom@example.com": ["1", "£50.00", "0"]}
    assert "never@example.com" not in html
    assert "3 Jun 2030" in html and "5 Jun 2030" in html  # Ada's first and last visit


def test_search_and_client_history(salon, as_role, session, make_customer):
    business = salon[0]
    ada = make_customer(business, email="ada@example.com", name="Ada Lovelace")
    tom = make_customer(business, email="tom_b@example.com", name="Tom Baker")
    first = _visit(session, salon, ada, 0, 10, "completed")
    cancelled = _visit(session, salon, ada, 3, 10, "cancelled")
    _visit(session, salon, tom, 0, 12, "completed")
    dash = as_role(business, "manager")
    found = dash.get("/dashboard/clients?q=LOVE", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="client-list"' in found and "<html" not in found
    assert "ada@example.com" in found and "tom_b@example.com" not in found
    # An underscore is a character to find, not a wildcard.
    assert "ada@example.com" not in dash.get("/dashboard/clients?q=_b@").get_data(as_text=True)
    history = dash.get(f"/dashboard/clients/{ada.id}").get_data(as_text=True)
    assert first.booking_number in history and cancelled.booking_number in history
    assert history.index(cancelled.booking_number) < history.index(first.booking_number)  # newest first


def test_other_business_client_is_not_found(salon, as_role, make_business, make_customer):
    stranger = make_customer(make_business())
    assert as_role(salon[0], "owner").get(f"/dashboard/clients/{stranger.id}").status_code == 404
