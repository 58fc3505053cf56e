"""Clients: grouped by email with visits, spend, no-shows, first and last visit, and history."""
from __future__ import annotations

import re
from datetime import timedelta

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


def test_client_list_counts_visits_spend_and_no_shows(app, salon, as_role, session, make_customer):
    business = salon[0]
    ada = make_customer(business, email="ada@example.com", name="Ada Lovelace")
    tom = make_customer(business, email="tom@example.com", name="Tom Baker")
    make_customer(business, email="never@example.com", name="Never Booked")
    _visit(session, salon, ada, 0, 10, "completed")
    _visit(session, salon, ada, 1, 10, "completed")
    _visit(session, salon, ada, 2, 10, "no_show")
    _visit(session, salon, ada, 3, 10, "cancelled")  # withdrawn: not a visit
    _visit(session, salon, tom, 0, 12, "completed")
    app.config["CLOCK"] = lambda: at(MONDAY + timedelta(days=7), 9)
    html = as_role(business, "owner").get("/dashboard/clients").get_data(as_text=True)
    rows = _rows(html)
    assert rows == {"ada@example.com": ["2", "£100.00", "1"], "tom@example.com": ["1", "£50.00", "0"]}
    assert "never@example.com" not in html
    assert "3 Jun 2030" in html and "4 Jun 2030" in html  # Ada's first and last visit


def _rows(html):
    found = re.findall(r'data-client="([^"]+)".*?data-visits>(\d+)<.*?data-spent>([^<]+)<.*?data-no-shows>(\d+)<', html, re.S)
    return {email: rest for email, *rest in found}


def test_cancelled_only_clients_are_listed_and_upcoming_bookings_are_not_visits(app, salon, as_role, session,
                                                                                make_customer):
    business = salon[0]
    gone = make_customer(business, email="gone@example.com", name="Only Cancelled")
    soon = make_customer(business, email="soon@example.com", name="Comes Back")
    _visit(session, salon, gone, 0, 10, "cancelled")
    _visit(session, salon, soon, 0, 12, "completed")
    ahead = _visit(session, salon, soon, 9, 12, "booked")
    app.config["CLOCK"] = lambda: at(MONDAY + timedelta(days=2), 9)
    dash = as_role(business, "manager")
    html = dash.get("/dashboard/clients").get_data(as_text=True)
    rows = _rows(html)
    assert rows["gone@example.com"] == ["0", "£0.00", "0"]
    # The booking next week is upcoming: not a visit, and the last visit is Monday's.
    assert rows["soon@example.com"] == ["1", "£50.00", "0"]
    soon_row = html[html.index('data-client="soon@example.com"'):]
    assert 'data-upcoming="1"' in soon_row[:1500] and "12 Jun 2030" in soon_row[:1500]
    assert "3 Jun 2030" in soon_row[:1500]
    page = dash.get(f"/dashboard/clients/{soon.id}").get_data(as_text=True)
    upcoming = page[page.index("data-upcoming-bookings"):page.index("data-history")]
    assert ahead.booking_number in upcoming
    assert ahead.booking_number not in page[page.index("data-history"):]
    assert re.search(r"data-visits>1<", page) and re.search(r"data-last-visit>3 Jun 2030<", page)
    gone_page = dash.get(f"/dashboard/clients/{gone.id}").get_data(as_text=True)
    assert "data-no-upcoming" in gone_page and re.search(r"data-last-visit>—<", gone_page)


def test_clients_are_found_by_phone(salon, as_role, session, make_customer):
    business = salon[0]
    ada = make_customer(business, email="ada@example.com", name="Ada Lovelace")
    ada.phone = "+447700900123"
    session.commit()
    _visit(session, salon, ada, 0, 10, "cancelled")
    html = as_role(business, "owner").get("/dashboard/clients?q=07700+900123").get_data(as_text=True)
    assert "ada@example.com" in _rows(html)


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
