"""Dashboard access from setup (give a sign-in, switch it off and on, a new password) and
the create-account command; who may do what."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bookingapp.auth.accounts import authenticate, set_access_enabled
from bookingapp.domain.errors import ValidationError
from bookingapp.models import Account, Staff
from tests.dashboard.conftest import PASSWORD, Dashboard

NEW_PASSWORD = "a brand new password"


def _access(dash, staff_id, action="", data=None, htmx=False):
    return dash.post(f"/dashboard/setup/staff/{staff_id}/access{action}", data or {}, htmx=htmx)


def test_a_manager_gives_a_stylist_a_sign_in_switches_it_off_and_resets_it(app, session, salon, as_role):
    business, _, alice, _ = salon
    manager = as_role(business, "manager")
    page = manager.get(f"/dashboard/setup/staff/{alice.id}").get_data(as_text=True)
    assert 'id="staff-access"' in page and 'data-action="grant-access"' in page
    bad = _access(manager, alice.id, data={"email": "alice@example.com", "password": "short"}, htmx=True)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'data-error-for="password"' in html and 'value="alice@example.com"' in html
    assert html.lstrip().startswith('{#') or html.lstrip().startswith('<section id="staff-access"')
    given = _access(manager, alice.id, data={"email": "Alice@Example.com", "password": PASSWORD})
    assert given.status_code == 303
    stylist = Dashboard(app.test_client())
    assert stylist.sign_in("alice@example.com").status_code == 302
    assert stylist.get("/dashboard/day").status_code == 200
    assert stylist.get("/dashboard/setup/business").status_code == 403  # the staff role, as the staff record says
    again = _access(manager, alice.id, data={"email": "other@example.com", "password": PASSWORD}, htmx=True)
    assert again.status_code == 422 and "already has an account" in again.get_data(as_text=True)

    assert _access(manager, alice.id, "/disable").status_code == 303
    assert stylist.get("/dashboard/day").status_code == 302  # signed out at once
    assert Dashboard(app.test_client()).sign_in("alice@example.com").status_code == 401
    assert _access(manager, alice.id, "/enable").status_code == 303
    assert _access(manager, alice.id, "/password", {"password": "tiny"}, htmx=True).status_code == 422
    assert _access(manager, alice.id, "/password", {"password": NEW_PASSWORD}).status_code == 303
    assert Dashboard(app.test_client()).sign_in("alice@example.com").status_code == 401
    assert Dashboard(app.test_client()).sign_in("alice@example.com", NEW_PASSWORD).status_code == 302


def test_only_an_owner_manages_an_owners_access(app, session, salon, as_role, make_staff):
    business = salon[0]
    partner = make_staff(business, [], name="Pat Partner", role="owner", email="pat@example.com")
    manager = as_role(business, "manager")
    page = manager.get(f"/dashboard/setup/staff/{partner.id}").get_data(as_text=True)
    assert "Only an owner gives an owner dashboard access" in page and 'data-action="grant-access"' not in page
    refused = _access(manager, partner.id, data={"email": "pat@example.com", "password": PASSWORD})
    assert refused.status_code == 403
    assert session.scalar(select(Account).where(Account.staff_id == partner.id)) is None
    owner = as_role(business, "owner")
    assert _access(owner, partner.id, data={"email": "pat@example.com", "password": PASSWORD}).status_code == 303
    # The manager can neither switch it off nor set its password.
    assert _access(manager, partner.id, "/disable").status_code == 403
    assert _access(manager, partner.id, "/password", {"password": NEW_PASSWORD}).status_code == 403
    assert Dashboard(app.test_client()).sign_in("pat@example.com").status_code == 302


def test_front_desk_and_staff_cannot_manage_access(salon, as_role):
    business, _, alice, _ = salon
    for role in ("front_desk", "staff"):
        dash = as_role(business, role)
        assert _access(dash, alice.id, data={"email": "a@example.com", "password": PASSWORD}).status_code == 403


def test_nobody_switches_off_their_own_sign_in_nor_the_last_owners(session, salon, as_role):
    business = salon[0]
    owner = as_role(business, "owner")
    me = session.scalars(select(Staff).where(Staff.business_id == business.id, Staff.role == "owner")).one()
    own = _access(owner, me.id, "/disable", htmx=True)
    assert own.status_code == 422 and "your own" in own.get_data(as_text=True)
    second = as_role(business, "owner")
    assert second.get("/dashboard/day").status_code == 200
    last = _access(second, me.id, "/disable")
    assert last.status_code == 303  # another owner can still sign in
    accounts = session.scalars(select(Account).where(Account.business_id == business.id)).all()
    session.expire_all()
    survivor = next(a for a in accounts if a.is_enabled)
    refused = _access(owner, survivor.staff_id, "/disable", htmx=True)  # signed out: sent to sign in
    assert refused.status_code == 401
    # Whoever calls the rule (the command line has no account of its own), the last owner
    # who can sign in stays able to.
    with pytest.raises(ValidationError, match="at least one owner who can sign in"):
        set_access_enabled(session, survivor, False, acting_role="owner")


def test_create_account_command_makes_any_role(app, session, salon, monkeypatch):
    monkeypatch.setenv("ACCOUNT_PASSWORD", "from the environment")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-account", salon[0].slug, "Desk@Example.com", "front_desk"])
    assert result.exit_code == 0, result.output
    account = authenticate(session, "desk@example.com", "from the environment", address="cli-test")
    assert account.role == "front_desk" and account.staff.business_id == salon[0].id
    assert runner.invoke(args=["create-account", salon[0].slug, "x@example.com", "emperor"]).exit_code != 0
    again = runner.invoke(args=["create-account", salon[0].slug, "desk@example.com", "manager"])
    assert again.exit_code != 0 and "already" in again.output
    missing = runner.invoke(args=["create-account", "no-such-place", "y@example.com", "staff"])
    assert missing.exit_code != 0 and "No business" in missing.output
