"""Roles limited to locations: a manager of Riverside sees only Riverside in the day and
week views, the approval queue, bookings, checkout, clients and analytics, and a booking at
the primary is not found (404, not 403: the limit reveals nothing). Owners are never
limited. The limit is set on the staff member's access card."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bookingapp.auth import locations as location_access
from bookingapp.domain import booking as booking_ops
from bookingapp.domain import checkout as co
from bookingapp.domain.errors import ValidationError
from bookingapp.models import Account
from bookingapp.models.audit import AuditEvent
from tests.helpers import MONDAY, at, before


@pytest.fixture
def two_branch_day(session, branches, make_customer):
    """A booking at each branch on Monday, and one at each waiting for approval."""
    business, service, alice, bob, main, riverside = branches
    at_main = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                         staff=bob, now=before(), location=main)
    at_river = booking_ops.create_booking(session, business, service, at(MONDAY, 14), make_customer(business),
                                          staff=alice, now=before(), location=riverside)
    business.auto_confirm = False
    waiting_main = booking_ops.create_booking(session, business, service, at(MONDAY, 15), make_customer(business),
                                              staff=bob, now=before(), location=main)
    waiting_river = booking_ops.create_booking(session, business, service, at(MONDAY, 15), make_customer(business),
                                               staff=alice, now=before(), location=riverside)
    session.commit()
    assert waiting_main.status == waiting_river.status == "pending"
    return {"main": at_main, "river": at_river, "waiting_main": waiting_main, "waiting_river": waiting_river}


def test_a_riverside_manager_sees_only_their_branch_day_and_week(branches, two_branch_day, riverside_manager):
    day = riverside_manager.get(f"/dashboard/day?date={MONDAY}").get_data(as_text=True)
    assert two_branch_day["river"].booking_number in day and two_branch_day["main"].booking_number not in day
    assert "All locations" not in day
    business, service, alice, bob, main, riverside = branches
    # Asking for the other branch, or for every branch, shows nothing of it.
    assert riverside_manager.get(f"/dashboard/day?date={MONDAY}&location={main.id}").status_code == 404
    week = riverside_manager.get(f"/dashboard/week?date={MONDAY}").get_data(as_text=True)
    assert two_branch_day["river"].booking_number in week and two_branch_day["main"].booking_number not in week
    assert f"location={riverside.id}" in week  # the previous/next week links keep the branch


def test_a_booking_at_another_branch_is_not_found(two_branch_day, riverside_manager):
    assert riverside_manager.get(f"/dashboard/bookings/{two_branch_day['river'].id}").status_code == 200
    assert riverside_manager.get(f"/dashboard/bookings/{two_branch_day['main'].id}").status_code == 404
    refused = riverside_manager.post(f"/dashboard/bookings/{two_branch_day['main'].id}/status", data={"status": "cancelled"})
    assert refused.status_code == 404
    assert riverside_manager.post(f"/dashboard/approvals/{two_branch_day['waiting_main'].id}/approve").status_code == 404


def test_the_approval_queue_holds_only_their_branch(session, two_branch_day, riverside_manager):
    queue = riverside_manager.get("/dashboard/approvals").get_data(as_text=True)
    assert two_branch_day["waiting_river"].booking_number in queue
    assert two_branch_day["waiting_main"].booking_number not in queue


def test_checkout_of_another_branchs_booking_is_not_found(session, two_branch_day, riverside_manager):
    booking_ops.start(session, two_branch_day["main"], now=two_branch_day["main"].starts_at)
    checkout = co.open_checkout(session, two_branch_day["main"])
    session.commit()
    assert riverside_manager.get(f"/dashboard/checkout/{checkout.id}").status_code == 404


def test_analytics_show_only_their_branch(app, session, branches, two_branch_day, riverside_manager, api):
    business, service, alice, bob, main, riverside = branches
    app.config["CLOCK"] = lambda: at(MONDAY, 20)
    for booking in (two_branch_day["main"], two_branch_day["river"]):
        booking_ops.start(session, booking, now=booking.starts_at)
        booking_ops.complete(session, booking, now=booking.ends_at)
    session.commit()
    html = riverside_manager.get("/dashboard/analytics?period=7d").get_data(as_text=True)
    river = api.get(f"/analytics?period=7d&location_id={riverside.id}").get_json()["data"]
    shown = int(re.search(r'data-kpi="total_bookings"[^>]*>([^<]*)<', html).group(1))
    assert shown == river["total_bookings"] == 2  # the visit and the request still waiting, both at Riverside
    assert "Whole business" not in html
    assert riverside_manager.get(f"/dashboard/analytics?location={main.id}").status_code == 404


def test_owners_are_never_limited_and_the_owner_sets_a_limit_on_the_access_card(
        session, branches, two_branch_day, as_role, make_account):
    business, service, alice, bob, main, riverside = branches
    owner_account = make_account(business, "owner")
    other_owner = make_account(business, "owner")
    with pytest.raises(ValidationError):
        location_access.set_account_locations(session, business, other_owner, [riverside], acting=owner_account)
    session.rollback()
    dash = as_role(business, "owner")
    desk = make_account(business, "front_desk")
    card = dash.get(f"/dashboard/setup/staff/{desk.staff_id}").get_data(as_text=True)
    assert "Locations they see" in card
    saved = dash.post(f"/dashboard/setup/staff/{desk.staff_id}/access/locations",
                      data={"location_ids": [str(riverside.id)]})
    assert saved.status_code == 303
    session.expire_all()
    account = session.get(Account, desk.id)
    assert [place.name for place in account.limited_to] == ["Riverside"]
    assert location_access.visible_location_ids(account) == {riverside.id}
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "account.locations_limited"))
    assert event.details["locations"] == {"before": "all", "after": ["Riverside"]}
    forged = dash.post(f"/dashboard/setup/staff/{desk.staff_id}/access/locations",
                       data={"location_ids": ["nope"]}, htmx=True)
    assert forged.status_code == 422 and 'data-error-for="location_ids"' in forged.get_data(as_text=True)
    # None ticked: the whole business again.
    assert dash.post(f"/dashboard/setup/staff/{desk.staff_id}/access/locations", data={}).status_code == 303
    session.expire_all()
    assert location_access.visible_locations(session.get(Account, desk.id)) is None


def test_a_riverside_manager_cannot_widen_access_or_add_branches(session, branches, riverside_manager, make_account):
    business, service, alice, bob, main, riverside = branches
    desk = make_account(business, "front_desk")
    widen = riverside_manager.post(f"/dashboard/setup/staff/{desk.staff_id}/access/locations",
                                data={"location_ids": [str(main.id)]}, htmx=True)
    assert widen.status_code == 422
    everything = riverside_manager.post(f"/dashboard/setup/staff/{desk.staff_id}/access/locations", data={}, htmx=True)
    assert everything.status_code == 422
    assert riverside_manager.post(f"/dashboard/setup/staff/{desk.staff_id}/access/locations",
                               data={"location_ids": [str(riverside.id)]}).status_code == 303
    # Location setup: only their branch, and no new ones.
    listing = riverside_manager.get("/dashboard/setup/locations").get_data(as_text=True)
    assert 'data-location="riverside"' in listing and 'data-location="main"' not in listing
    assert riverside_manager.get(f"/dashboard/setup/locations/{main.id}").status_code == 404
    assert riverside_manager.post("/dashboard/setup/locations", data={"name": "X", "slug": "x"}).status_code == 403


# --------------------------------------------------------------------------- the messages log and the clients


def test_the_messages_log_holds_only_their_branchs_messages(app, session, branches, two_branch_day, riverside_manager,
                                                            make_account):
    from bookingapp.domain import notify
    from bookingapp.models.message import Message

    business = branches[0]
    reset = notify.password_reset(session, make_account(business, "front_desk"), now=before())
    session.commit()

    def about(key):
        return session.scalars(select(Message).where(Message.booking_id == two_branch_day[key].id)).all()

    river, main = about("river"), about("main")
    assert river and main  # both confirmations were recorded
    html = riverside_manager.get("/dashboard/messages").get_data(as_text=True)
    assert all(str(m.id) in html for m in river)
    assert not any(str(m.id) in html for m in main)
    assert str(reset.id) not in html  # at no branch: beyond the limit
    # What the log does not show cannot be resent by its id either.
    assert riverside_manager.post(f"/dashboard/messages/{main[0].id}/resend", data={"from": "log"}).status_code == 404
    assert riverside_manager.post(f"/dashboard/messages/{reset.id}/resend", data={"from": "log"}).status_code == 404
    # The domain query itself: None is every location.
    everything = {m.id for m in notify.delivery_log(session, business)}
    assert {m.id for m in river + main} | {reset.id} <= everything
    only_river = {m.id for m in notify.delivery_log(session, business, location_ids={branches[5].id})}
    assert only_river == {m.id for m in about("river") + about("waiting_river")}


def test_the_clients_list_holds_only_those_who_booked_at_their_branch(session, branches, two_branch_day,
                                                                      riverside_manager):
    from bookingapp.domain.clients import dashboard_clients

    business, service, alice, bob, main, riverside = branches
    at_main, at_river = two_branch_day["main"].customer, two_branch_day["river"].customer
    # A Riverside client who also came to the primary: only the Riverside visit counts here.
    both = booking_ops.create_booking(session, business, service, at(MONDAY, 11), at_river, staff=bob,
                                      now=before(), location=main)
    session.commit()
    html = riverside_manager.get("/dashboard/clients").get_data(as_text=True)
    assert f"/dashboard/clients/{at_river.id}" in html and f"/dashboard/clients/{at_main.id}" not in html
    assert riverside_manager.get(f"/dashboard/clients/{at_main.id}").status_code == 404
    page = riverside_manager.get(f"/dashboard/clients/{at_river.id}").get_data(as_text=True)
    assert two_branch_day["river"].booking_number in page and both.booking_number not in page
    # The domain query: None is every location; the numbers are those at the chosen ones.
    everyone, total = dashboard_clients(session, business, now=before())
    assert total == 4 and {row.customer_id for row in everyone} >= {str(at_main.id), str(at_river.id)}
    river_rows, river_total = dashboard_clients(session, business, now=before(), location_ids={riverside.id})
    assert river_total == 2 and str(at_main.id) not in {row.customer_id for row in river_rows}
    (row,) = [r for r in river_rows if r.customer_id == str(at_river.id)]
    assert row.upcoming == 1  # the Riverside booking, not the one at the primary
    (row_all,) = [r for r in everyone if r.customer_id == str(at_river.id)]
    assert row_all.upcoming == 2
