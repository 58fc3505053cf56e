"""Setup → Notifications (the reminder cadence, text messages, review requests) and a staff
member's own email choices, saved through the domain; a cadence the domain refuses comes
back (422) with what was typed and the reason, never a 500."""
from __future__ import annotations

import re

from sqlalchemy import select

from bookingapp.models import Business, Staff

URL = "/dashboard/setup/notifications"


def _typed(html: str) -> dict[str, str]:
    """The cadence rows' hours as the form shows them."""
    return dict(re.findall(r'name="(step\d_hours)" id="[^"]*" value="([^"]*)"', html))


def _ticked(html: str) -> set[str]:
    return set(re.findall(r'name="(\w+)"[^>]*\bchecked\b', html))


def _stored(session, business) -> Business:
    session.expire_all()
    return session.get(Business, business.id)


def test_the_page_shows_the_cadence_and_an_empty_row_to_add_one(session, salon, as_role):
    business = salon[0]
    business.reminder_cadence = [{"hours_before": 24, "email": True, "sms": False}]
    session.commit()
    dash = as_role(business, "manager")
    html = dash.get(URL).get_data(as_text=True)
    assert _typed(html) == {"step0_hours": "24", "step1_hours": ""}
    assert "step0_email" in _ticked(html) and "step0_sms" not in _ticked(html)
    assert 'href="/dashboard/setup/notifications" aria-current="page"' in html


def test_a_cadence_and_the_switches_are_saved(session, salon, as_role):
    business = salon[0]
    dash = as_role(business, "owner")
    response = dash.post(URL, {"step0_hours": "24", "step0_email": "on",
                               "step1_hours": "2", "step1_email": "on", "step1_sms": "on",
                               "step2_hours": "72",  # both boxes unticked: kept, switched off
                               "sms_notifications": "on"})
    assert response.status_code == 303 and response.headers["Location"].endswith(URL)
    stored = _stored(session, business)
    steps = sorted(stored.reminder_cadence, key=lambda step: -step["hours_before"])
    assert steps == [{"hours_before": 72, "email": False, "sms": False},
                     {"hours_before": 24, "email": True, "sms": False},
                     {"hours_before": 2, "email": True, "sms": True}]
    assert stored.sms_notifications is True and stored.review_requests is False
    # Emptying every row leaves no reminders at all.
    assert dash.post(URL, {"review_requests": "on"}).status_code == 303
    stored = _stored(session, business)
    assert stored.reminder_cadence == [] and stored.review_requests is True and stored.sms_notifications is False


def test_a_cadence_the_domain_refuses_comes_back_with_what_was_typed(session, salon, as_role):
    business = salon[0]
    business.reminder_cadence = [{"hours_before": 24, "email": True, "sms": False}]
    business.review_requests = True
    session.commit()
    dash = as_role(business, "owner")
    for rows in ({"step0_hours": "24", "step0_email": "on", "step1_hours": "999", "step1_sms": "on"},  # too far ahead
                 {"step0_hours": "24", "step0_email": "on", "step1_hours": "24", "step1_sms": "on"},   # twice the same
                 {"step0_hours": "0", "step0_email": "on"}):                                          # not before
        response = dash.post(URL, {**rows, "sms_notifications": "on"}, htmx=True)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, rows
        assert html.lstrip().startswith('<form id="notification-form"')
        assert 'class="error"' in html
        assert {k: v for k, v in _typed(html).items() if v} == {k: v for k, v in rows.items() if k.endswith("_hours")}
        assert "sms_notifications" in _ticked(html) and "review_requests" not in _ticked(html)
    stored = _stored(session, business)
    assert stored.reminder_cadence == [{"hours_before": 24, "email": True, "sms": False}]
    assert stored.sms_notifications is False and stored.review_requests is True


def test_hours_that_are_not_a_number_are_refused_on_their_row(session, salon, as_role):
    business = salon[0]
    dash = as_role(business, "owner")
    for hours in ("two", "1.5", "", "\u0663"):
        response = dash.post(URL, {"step0_hours": hours, "step0_email": "on"}, htmx=True)
        assert response.status_code == 422, hours
        html = response.get_data(as_text=True)
        assert 'data-error-for="step0_hours"' in html and _typed(html)["step0_hours"] == hours


def test_staff_email_choices_are_saved(session, salon, as_role):
    business, service, alice, _ = salon
    dash = as_role(business, "owner")
    new = dash.get("/dashboard/setup/staff").get_data(as_text=True)
    assert "Email me about my bookings" in new and "Send me my agenda each morning" in new
    created = dash.post("/dashboard/setup/staff", {
        "name": "Carol", "email": "carol@example.com", "phone": "", "role": "staff", "bio": "", "sort_order": "2",
        "is_active": "on", "service_ids": str(service.id), "daily_agenda": "on"})
    assert created.status_code == 303
    carol = session.scalar(select(Staff).where(Staff.name == "Carol"))
    assert (carol.booking_emails, carol.daily_agenda) == (False, True)

    edited = dash.post(f"/dashboard/setup/staff/{alice.id}", {
        "name": "Alice", "email": "alice@example.com", "phone": "", "role": "staff", "bio": "", "sort_order": "0",
        "is_active": "on", "service_ids": str(service.id), "booking_emails": "on", "daily_agenda": "on"})
    assert edited.status_code == 303
    session.expire_all()
    alice = session.get(Staff, alice.id)
    assert (alice.booking_emails, alice.daily_agenda) == (True, True)
    page = dash.get(f"/dashboard/setup/staff/{alice.id}").get_data(as_text=True)
    assert {"booking_emails", "daily_agenda"} <= _ticked(page)
