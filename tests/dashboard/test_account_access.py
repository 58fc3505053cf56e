"""Who keeps access: a removed or disabled account is signed out at its next request, and
"takes bookings" (staff.is_active) has nothing to do with signing in."""
from __future__ import annotations

from bookingapp.models import Account, Staff

STAFF_FORM = {"email": "", "phone": "", "bio": "", "sort_order": "0"}


def test_removing_a_manager_in_setup_ends_their_open_session(session, salon, as_role):
    business = salon[0]
    manager = as_role(business, "manager")
    assert manager.get("/dashboard/setup/business").status_code == 200
    member = session.query(Staff).filter_by(business_id=business.id, role="manager").one()
    owner = as_role(business, "owner")
    assert owner.post(f"/dashboard/setup/staff/{member.id}/retire").status_code == 303
    # The manager's browser still holds the session cookie: it no longer opens anything.
    refused = manager.get("/dashboard/setup/business")
    assert refused.status_code == 302 and "/dashboard/sign-in" in refused.headers["Location"]
    assert manager.get("/dashboard/day").status_code == 302
    htmx = manager.get("/dashboard/day", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and "/dashboard/sign-in" in htmx.headers["HX-Redirect"]
    assert manager.post("/dashboard/setup/products", {"name": "Sneaky"}).status_code == 302


def test_a_disabled_account_is_refused_on_its_next_request(session, salon, as_role):
    business = salon[0]
    desk = as_role(business, "front_desk")
    assert desk.get("/dashboard/day").status_code == 200
    account = session.query(Account).filter_by(business_id=business.id).one()
    account.is_enabled = False
    session.commit()
    assert desk.get("/dashboard/day").status_code == 302


def test_unticking_takes_bookings_does_not_lock_a_person_out(session, salon, as_role, dashboard, make_account):
    business = salon[0]
    account = make_account(business, "front_desk", email="desk@example.com")
    owner = as_role(business, "owner")
    member = session.get(Staff, account.staff_id)
    saved = owner.post(f"/dashboard/setup/staff/{member.id}",
                       {**STAFF_FORM, "name": member.name, "role": "front_desk"})  # no is_active: unticked
    assert saved.status_code == 303
    session.expire_all()
    assert session.get(Staff, member.id).is_active is False
    assert dashboard.sign_in("desk@example.com").status_code == 302
    assert dashboard.get("/dashboard/day").status_code == 200
