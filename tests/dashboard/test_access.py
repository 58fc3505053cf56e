"""Every dashboard route by every role: the table below is the specification.

A new dashboard route fails test_every_dashboard_route_is_in_the_table until it is added."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import checkout as co
from bookingapp.domain import data_rights
from bookingapp.api.keys import create_api_key
from bookingapp.auth.accounts import create_account
from bookingapp.domain.reviews import leave_review
from bookingapp.notifications import webhooks
from bookingapp.models import Product, TimeOff
from bookingapp.models.message import Message
from tests.helpers import MONDAY, at, before

ALL = {"owner", "manager", "front_desk", "staff"}
DESK = {"owner", "manager", "front_desk"}
MANAGERS = {"owner", "manager"}

# endpoint -> (method, url template, roles allowed)
ROUTES = {
    "dashboard.home": ("GET", "/dashboard/", ALL),
    "dashboard.day": ("GET", "/dashboard/day?date={day}", ALL),
    "dashboard.booking_panel": ("GET", "/dashboard/bookings/{booking}", ALL),
    "dashboard.booking_status": ("POST", "/dashboard/bookings/{booking}/status", DESK),
    "dashboard.new_booking": ("GET", "/dashboard/bookings/new", DESK),
    "dashboard.create_booking": ("POST", "/dashboard/bookings/new", DESK),
    "dashboard.open_checkout": ("POST", "/dashboard/bookings/{booking}/checkout", DESK),
    "dashboard.checkout_page": ("GET", "/dashboard/checkout/{checkout}", DESK),
    "dashboard.checkout_add_line": ("POST", "/dashboard/checkout/{checkout}/lines", DESK),
    "dashboard.checkout_tip": ("POST", "/dashboard/checkout/{checkout}/tip", DESK),
    "dashboard.checkout_remove_line": ("POST", "/dashboard/checkout/{checkout}/lines/{line}/remove", DESK),
    "dashboard.checkout_pay": ("POST", "/dashboard/checkout/{checkout}/pay", DESK),
    "dashboard.card_return": ("GET", "/dashboard/checkout/{checkout}/card-return", DESK),
    "dashboard.checkout_close": ("POST", "/dashboard/checkout/{checkout}/close", DESK),
    "dashboard.checkout_give_back": ("POST", "/dashboard/checkout/{checkout}/give-back", DESK),
    "dashboard.checkout_refund": ("POST", "/dashboard/checkout/{checkout}/refund", MANAGERS),
    "dashboard.receipt": ("GET", "/dashboard/checkout/{checkout}/receipt", DESK),
    "dashboard.reviews": ("GET", "/dashboard/reviews", MANAGERS),
    "dashboard.review_reply_form": ("GET", "/dashboard/reviews/{review}/reply", MANAGERS),
    "dashboard.review_reply": ("POST", "/dashboard/reviews/{review}/reply", MANAGERS),
    "dashboard.setup": ("GET", "/dashboard/setup", MANAGERS),
    "dashboard.setup_business": ("GET", "/dashboard/setup/business", MANAGERS),
    "dashboard.setup_hours": ("POST", "/dashboard/setup/business/hours", MANAGERS),
    "dashboard.setup_booking": ("GET", "/dashboard/setup/booking", MANAGERS),
    "dashboard.setup_notifications": ("GET", "/dashboard/setup/notifications", MANAGERS),
    "dashboard.setup_list": ("GET", "/dashboard/setup/services", MANAGERS),
    "dashboard.setup_create": ("POST", "/dashboard/setup/products", MANAGERS),
    "dashboard.setup_edit": ("GET", "/dashboard/setup/staff/{staff_id}", MANAGERS),
    "dashboard.setup_update": ("POST", "/dashboard/setup/staff/{staff_id}", MANAGERS),
    "dashboard.setup_retire": ("POST", "/dashboard/setup/products/{product}/retire", MANAGERS),
    "dashboard.setup_staff_hours": ("POST", "/dashboard/setup/staff/{staff_id}/hours", MANAGERS),
    "dashboard.setup_time_off": ("POST", "/dashboard/setup/staff/{staff_id}/time-off", MANAGERS),
    "dashboard.clients": ("GET", "/dashboard/clients", MANAGERS),
    "dashboard.client": ("GET", "/dashboard/clients/{customer}", MANAGERS),
    "dashboard.analytics": ("GET", "/dashboard/analytics?period=7d", MANAGERS),
    "dashboard.messages": ("GET", "/dashboard/messages", DESK),
    "dashboard.resend_message": ("POST", "/dashboard/messages/{message}/resend", DESK),
    "dashboard.developer": ("GET", "/dashboard/developer", MANAGERS),
    "dashboard.developer_create_key": ("POST", "/dashboard/developer/keys", MANAGERS),
    "dashboard.developer_revoke_key": ("POST", "/dashboard/developer/keys/{api_key}/revoke", MANAGERS),
    "dashboard.developer_add_webhook": ("POST", "/dashboard/developer/webhooks", MANAGERS),
    "dashboard.developer_webhook": ("GET", "/dashboard/developer/webhooks/{endpoint}", MANAGERS),
    "dashboard.developer_test_webhook": ("POST", "/dashboard/developer/webhooks/{endpoint}/test", MANAGERS),
    "dashboard.developer_replay": ("POST", "/dashboard/developer/deliveries/{delivery}/replay", MANAGERS),
    "dashboard.developer_delete_webhook": ("POST", "/dashboard/developer/webhooks/{endpoint}/delete", MANAGERS),
    "dashboard.setup_time_off_delete": ("POST", "/dashboard/setup/staff/{staff_id}/time-off/{time_off}/delete", MANAGERS),
}
ROUTES.update({
    "dashboard.staff_access_grant": ("POST", "/dashboard/setup/staff/{with_account}/access", MANAGERS),
    "dashboard.staff_access_disable": ("POST", "/dashboard/setup/staff/{with_account}/access/disable", MANAGERS),
    "dashboard.staff_access_enable": ("POST", "/dashboard/setup/staff/{with_account}/access/enable", MANAGERS),
    "dashboard.staff_access_password": ("POST", "/dashboard/setup/staff/{with_account}/access/password", MANAGERS),
})
ROUTES.update({
    "dashboard.audit_log": ("GET", "/dashboard/audit", {"owner"}),
    "dashboard.client_export": ("GET", "/dashboard/clients/{customer}/export.json", {"owner"}),
    "dashboard.data_request_confirm": ("POST", "/dashboard/data-requests/{data_request}/confirm", {"owner"}),
    "dashboard.data_request_decline": ("POST", "/dashboard/data-requests/{data_request}/decline", {"owner"}),
    # Last of these: it erases the client.
    "dashboard.client_erase": ("POST", "/dashboard/clients/{customer}/erase", {"owner"}),
})
ROUTES.update({
    "dashboard.move_form": ("GET", "/dashboard/bookings/{movable}/move", DESK),
    "dashboard.move_booking": ("POST", "/dashboard/bookings/{movable}/move", DESK),
    "dashboard.week": ("GET", "/dashboard/week?date={day}", ALL),
    "dashboard.setup_embed": ("GET", "/dashboard/setup/embed", MANAGERS),
    "dashboard.security": ("GET", "/dashboard/security", ALL),
    "dashboard.security_enrol": ("POST", "/dashboard/security/two-factor", ALL),
    "dashboard.security_disable": ("POST", "/dashboard/security/two-factor/disable", ALL),
    "dashboard.security_recovery_codes": ("POST", "/dashboard/security/recovery-codes", ALL),
    "dashboard.security_password": ("POST", "/dashboard/security/password", ALL),
    "dashboard.security_require_two_factor": ("POST", "/dashboard/security/require-two-factor", {"owner"}),
    "dashboard.approvals_queue": ("GET", "/dashboard/approvals", DESK),
    "dashboard.client_search": ("GET", "/dashboard/bookings/new/clients?q=ada", DESK),
    # A confirmed booking: reached, and refused (422) as no longer waiting.
    "dashboard.approve_booking": ("POST", "/dashboard/approvals/{movable}/approve", DESK),
    "dashboard.decline_booking": ("POST", "/dashboard/approvals/{movable}/decline", DESK),
    # Last: it signs the client out.
    "dashboard.security_sign_out_everywhere": ("POST", "/dashboard/security/sign-out-everywhere", ALL),
})
ROUTES.update({
    # Setup → Locations ({location} is the primary: retiring it is refused, as is leaving
    # its staff or services nowhere, so the empty POSTs change nothing the later routes use).
    "dashboard.setup_locations": ("GET", "/dashboard/setup/locations", MANAGERS),
    "dashboard.setup_location": ("GET", "/dashboard/setup/locations/{location}", MANAGERS),
    "dashboard.setup_location_hours": ("POST", "/dashboard/setup/locations/{location}/hours", MANAGERS),
    "dashboard.setup_location_staff": ("POST", "/dashboard/setup/locations/{location}/staff", MANAGERS),
    "dashboard.setup_location_services": ("POST", "/dashboard/setup/locations/{location}/services", MANAGERS),
    "dashboard.setup_location_staff_hours": ("GET", "/dashboard/setup/locations/{location}/staff/{staff_id}/hours",
                                             MANAGERS),
    "dashboard.setup_location_service_terms": (
        "POST", "/dashboard/setup/locations/{location}/services/{service}/terms", MANAGERS),
    "dashboard.setup_location_deactivate": ("POST", "/dashboard/setup/locations/{location}/deactivate", MANAGERS),
    "dashboard.staff_access_locations": ("POST", "/dashboard/setup/staff/{with_account}/access/locations", MANAGERS),
})
# Still last: it signs the client out.
ROUTES["dashboard.security_sign_out_everywhere"] = ROUTES.pop("dashboard.security_sign_out_everywhere")
EXTRA_ROUTES: dict = {}  # later sections register theirs here (see test modules)


def all_routes():
    return {**ROUTES, **EXTRA_ROUTES}


@pytest.fixture
def world(session, salon, make_customer):
    business, service, alice, bob = salon
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                         staff=alice, now=before())
    booking_ops.start(session, booking, now=at(MONDAY, 10))
    movable = booking_ops.create_booking(session, business, service, at(MONDAY, 15), make_customer(business),
                                         staff=alice, now=before())
    checkout = co.open_checkout(session, booking)
    reviewed = booking_ops.create_booking(session, business, service, at(MONDAY, 12), make_customer(business),
                                          staff=alice, now=before())
    booking_ops.start(session, reviewed, now=at(MONDAY, 12))
    booking_ops.complete(session, reviewed, now=at(MONDAY, 13))
    review = leave_review(session, reviewed, rating=4, comment="Lovely", would_recommend=True)
    product = Product(business_id=business.id, name="Shampoo", price_cents=1200)
    time_off = TimeOff(business_id=business.id, staff_id=alice.id, starts_at=at(MONDAY, 16), ends_at=at(MONDAY, 17))
    session.add_all([product, time_off])
    api_key, _ = create_api_key(session, business, name="Test")
    endpoint = webhooks.create_endpoint(session, business, url="https://hooks.example/in")
    delivery = webhooks.send_test_event(session, business, endpoint, now=before())
    delivery.status = "failed"
    create_account(session, bob, "bob@example.com", "correct horse battery")
    data_request = data_rights.request_from_manage_link(session, business, booking, "export", now=before())
    session.commit()
    return {"business": business, "alice": alice, "booking": booking.id, "checkout": checkout.id,
            "line": checkout.line_items[0].id, "day": MONDAY.isoformat(), "review": review.id,
            "staff_id": alice.id, "product": product.id, "customer": booking.customer_id,
            "api_key": api_key.id, "endpoint": endpoint.id, "delivery": delivery.id, "time_off": time_off.id,
            "with_account": bob.id, "movable": movable.id, "data_request": data_request.id,
            "location": business.primary_location.id, "service": service.id,
            "message": session.scalar(select(Message).where(Message.booking_id == booking.id).limit(1)).id}


def test_every_dashboard_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("dashboard.")}
    assert endpoints == set(all_routes())


@pytest.mark.parametrize("role", sorted(ALL))
def test_route_by_role(role, world, as_role):
    # A staff member signs in as Alice, whose booking this is: "their own" is allowed them.
    dash = as_role(world["business"], role, **({"staff": world["alice"]} if role == "staff" else {}))
    for endpoint, (method, template, roles) in all_routes().items():
        url = template.format(**{k: v for k, v in world.items() if k not in ("business", "alice")})
        response = dash.get(url) if method == "GET" else dash.post(url, {})
        if role in roles:
            # Reached and answered: a page, a redirect, or a form error for the empty POST.
            # Every id in the URL is real, so a 404 (or a 500) is a failure too.
            assert 200 <= response.status_code < 400 or response.status_code == 422, (
                f"{role} got {response.status_code} from {endpoint}: {response.get_data(as_text=True)[:300]}")
        else:
            assert response.status_code == 403, f"{role} reached {endpoint}: {response.status_code}"


def test_signed_out_visitors_are_sent_to_sign_in(world, client):
    for endpoint, (method, template, _) in all_routes().items():
        url = template.format(**{k: v for k, v in world.items() if k not in ("business", "alice")})
        response = client.get(url) if method == "GET" else client.post(url, data={})
        # POSTs without a session also lack a CSRF token: refused before anything runs.
        assert response.status_code in (302, 400), endpoint
        if response.status_code == 302:
            assert "/dashboard/sign-in" in response.headers["Location"]


def test_post_without_csrf_token_is_refused(world, as_role, session):
    dash = as_role(world["business"], "owner")
    response = dash.raw_post(f"/dashboard/bookings/{world['booking']}/status", data={"status": "completed"})
    assert response.status_code == 400
    wrong = dash.raw_post(f"/dashboard/bookings/{world['booking']}/status", data={"status": "completed"},
                          headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 400
    session.expire_all()
    from bookingapp.models import Booking

    assert session.get(Booking, world["booking"]).status == "in_progress"


def test_every_post_route_refuses_a_missing_or_forged_csrf_token(world, as_role, session):
    """Signed in as the owner (allowed everything), so a 400 can only be the CSRF check."""
    from bookingapp.models import Account, Booking, Product

    dash = as_role(world["business"], "owner")
    posts = {e: t for e, (m, t, _) in all_routes().items() if m == "POST"}
    assert len(posts) >= 20
    for endpoint, template in posts.items():
        url = template.format(**{k: v for k, v in world.items() if k not in ("business", "alice")})
        for headers in ({}, {"X-CSRFToken": "forged"}):
            response = dash.raw_post(url, data={"status": "completed", "method": "cash"}, headers=headers)
            assert response.status_code == 400, f"{endpoint} accepted a POST without a valid CSRF token"
    session.expire_all()
    assert session.get(Booking, world["booking"]).status == "in_progress"
    assert session.get(Product, world["product"]).is_active
    assert session.scalars(select(Account).where(Account.staff_id == world["with_account"])).one().is_enabled


def test_other_business_bookings_are_not_found(world, as_role, make_business):
    other = make_business(slug=f"other-{uuid.uuid4().hex[:6]}")
    dash = as_role(other, "owner")
    assert dash.get(f"/dashboard/bookings/{world['booking']}").status_code == 404
    assert dash.get(f"/dashboard/checkout/{world['checkout']}").status_code == 404


@pytest.mark.parametrize("path", ["/dashboard/no-such-thing", "/dashboard/setup/locations/not-an-id",
                                  "/dashboard/bookings/not-a-booking/nothing"])
def test_a_signed_in_owner_asking_for_a_dashboard_url_that_is_no_page_gets_the_styled_404(as_role, salon, path):
    """The 404 of a URL no route matches has no blueprint; its page is the dashboard's
    layout all the same, menu included (it used to fail drawing the menu: a 500)."""
    owner = as_role(salon[0], "owner")
    page = owner.get(path)
    assert page.status_code == 404
    assert "We could not find that page" in page.text and "/static/dashboard/dashboard.css" in page.text
    assert 'href="/dashboard/setup' in page.text  # the owner's menu is drawn
