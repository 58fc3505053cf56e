"""The Audit log page: owners only, newest first, filtered by action, actor and a range of
the business's days, fifty to a page; a bad filter is named, never guessed."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from bookingapp.domain import audit
from tests.dashboard.conftest import Dashboard

DAY = datetime(2030, 6, 3, 9, 0, tzinfo=timezone.utc)


def _actions(html: str) -> list[str]:
    return re.findall(r'data-audit-action="([\w.]+)"', html)


@pytest.fixture
def trail(app, session, salon):
    """Two actors over three days: a key made on day one, refunds on day two, sixty
    price changes on day three."""
    business = salon[0]
    anna = audit.Actor("account", "anna@example.com (owner)", "a1")
    sync = audit.Actor("api_key", "API key Sync (bo_live_abcd…)", "k1")
    audit.record(session, business, "api_key.created", actor=anna, now=DAY, details={"name": "Sync"})
    audit.record(session, business, "payment.refunded", actor=sync, now=DAY + timedelta(days=1),
                 details={"amount_cents": 1250, "currency": "GBP"})
    for minute in range(60):
        audit.record(session, business, "service.price_changed", actor=anna,
                     now=DAY + timedelta(days=2, minutes=minute),
                     details={"price_cents": {"before": 1000, "after": 1000 + minute}})
    session.commit()
    app.config["CLOCK"] = lambda: DAY + timedelta(days=3)
    return business


@pytest.mark.parametrize("role", ["manager", "front_desk", "staff"])
def test_only_owners_see_the_audit_log(trail, as_role, role):
    dash = as_role(trail, role)
    assert dash.get("/dashboard/audit").status_code == 403
    assert "Audit log" not in dash.get("/dashboard/day").get_data(as_text=True)


def test_without_a_session_the_audit_log_sends_to_sign_in(app, trail):
    response = Dashboard(app.test_client()).get("/dashboard/audit")
    assert response.status_code == 302 and "/dashboard/sign-in" in response.headers["Location"]


def test_the_owner_pages_through_the_log_newest_first(trail, as_role):
    owner = as_role(trail, "owner")
    assert 'href="/dashboard/audit"' in owner.get("/dashboard/day").get_data(as_text=True)
    everything = owner.get("/dashboard/audit").get_data(as_text=True)
    # The owner's own account and sign-in (made by the test, now) are the newest rows.
    assert sorted(_actions(everything)[:2]) == ["account.created", "account.signed_in"] and "64 events" in everything
    first = owner.get("/dashboard/audit?action=service.price_changed").get_data(as_text=True)
    assert "60 events" in first and len(_actions(first)) == 50 and "Older →" in first
    assert "£10.00 → £10.59" in first  # money in the details is shown as money, before and after
    second = owner.get("/dashboard/audit?action=service.price_changed&page=2").get_data(as_text=True)
    assert len(_actions(second)) == 10 and "← Newer" in second and "Older →" not in second
    assert "£10.00 → £10.00" in second  # the oldest change comes last


def test_the_log_filters_by_action_actor_and_days(trail, as_role):
    owner = as_role(trail, "owner")
    refunds = owner.get("/dashboard/audit?action=payment.refunded").get_data(as_text=True)
    assert _actions(refunds) == ["payment.refunded"] and "£12.50" in refunds
    by_key = owner.get("/dashboard/audit?actor=sync").get_data(as_text=True)
    assert _actions(by_key) == ["payment.refunded"]
    by_id = owner.get("/dashboard/audit?actor=a1&action=api_key.created").get_data(as_text=True)
    assert _actions(by_id) == ["api_key.created"]
    first_two_days = owner.get("/dashboard/audit?from=2030-06-03&to=2030-06-04").get_data(as_text=True)
    assert sorted(_actions(first_two_days)) == ["api_key.created", "payment.refunded"]
    third_day = owner.get("/dashboard/audit?from=2030-06-05&to=2030-06-05", headers={"HX-Request": "true"})
    html = third_day.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="audit-list"') and "60 events" in html


@pytest.mark.parametrize("query, message", [
    ("action=booking.teleported", "Pick an action from the list."),
    ("from=yesterday", "From must be a date"),
    ("from=2030-06-05&to=2030-06-03", "The range ends before it starts."),
    ("to=9999-12-31", "To must be between the years"),
])
def test_a_bad_filter_is_named(trail, as_role, query, message):
    response = as_role(trail, "owner").get(f"/dashboard/audit?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
