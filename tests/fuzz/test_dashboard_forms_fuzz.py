"""Property-based fuzz of the dashboard's forms, signed in as the owner: new booking,
setup (profile, hours, booking settings, notifications, every catalogue section, time off),
review reply, checkout (lines, tip, refund, payment), a booking's status, moving a booking,
a message's resend, the Security page's forms (two-factor, recovery codes, password) and the forgotten-password form. Any field values get the form's own answer (a redirect or the form re-rendered),
never a 500, and a refusal writes nothing."""
from __future__ import annotations

import pytest
from hypothesis import given
from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import checkout as co
from bookingapp.domain.reviews import leave_review
from bookingapp.models import Product, ServiceCategory
from bookingapp.models.message import Message
from tests.fuzz.conftest import FUZZ, assert_answer, database_snapshot, encode_form, form_values
from tests.helpers import MONDAY, at, before

WEEK = {f"h{d}_{n}_{end}": ("09:00" if end == "from" else "17:00") if n == 0 else ""
        for d in range(7) for n in range(2) for end in ("from", "to")}


def _forms(business, service, alice, category, checkout, review, booking, message, movable):
    """(url, the valid values of its fields) for each dashboard form fuzzed."""
    return {
        "new_booking": ("/dashboard/bookings/new", {
            "service_id": str(service.id), "staff_id": str(alice.id), "day": MONDAY.isoformat(),
            "start": at(MONDAY, 14).isoformat(), "customer_id": "", "name": "Walk In", "email": "walk@example.com", "phone": "",
            "notes": "At the desk", "skip_notifications": "y"}),
        "profile": ("/dashboard/setup/business", {
            "name": "Studio", "slug": business.slug, "description": "", "email": "hi@example.com", "phone": "",
            "website": "https://example.com", "address_street": "1 High St", "address_city": "Leeds",
            "address_zip": "LS1 1AA", "address_country": "GB"}),
        "hours": ("/dashboard/setup/business/hours", WEEK),
        "embed": ("/dashboard/setup/embed", {"embed_origins": "https://www.example.com\nhttp://localhost:8000"}),
        "booking_settings": ("/dashboard/setup/booking", {
            "slot_interval_minutes": "15", "min_notice_minutes": "0", "max_advance_days": "365",
            "hold_seconds": "10", "auto_confirm": "y", "deposit_policy": "none", "free_cancellation_hours": "24",
            "early_start_minutes": "15", "assignment_policy": "fixed_order"}),
        "notifications": ("/dashboard/setup/notifications", {
            "step0_hours": "24", "step0_email": "on", "step1_hours": "2", "step1_sms": "on", "step2_hours": "",
            "sms_notifications": "on", "review_requests": "on"}),
        "new_service": ("/dashboard/setup/services", {
            "name": "Colour", "category_id": str(category.id), "description": "", "duration_minutes": "90",
            "price_cents": "80.00", "deposit_cents": "20.00", "buffer_before_minutes": "0", "buffer_minutes": "15",
            "sort_order": "0", "is_active": "on"}),
        "edit_service": (f"/dashboard/setup/services/{service.id}", {
            "name": "Cut", "category_id": str(category.id), "description": "", "duration_minutes": "60",
            "price_cents": "50.00", "deposit_cents": "90.00", "buffer_before_minutes": "0", "buffer_minutes": "0",
            "sort_order": "0", "is_active": "on"}),
        "new_category": ("/dashboard/setup/categories", {"name": "Nails", "sort_order": "1"}),
        "new_staff": ("/dashboard/setup/staff", {
            "name": "Carol", "email": "carol@example.com", "phone": "", "role": "staff", "bio": "",
            "sort_order": "2", "is_active": "on", "service_ids": str(service.id), "booking_emails": "on",
            "daily_agenda": "on"}),
        "new_product": ("/dashboard/setup/products", {
            "name": "Shampoo", "description": "", "price_cents": "12.50", "category": "Hair", "sku": "SH-1",
            "inventory_count": "3", "sort_order": "0", "is_active": "on"}),
        "new_promotion": ("/dashboard/setup/promotions", {
            "code": "SPRING", "description": "", "kind": "percent", "percent_off": "10", "amount_off_cents": "",
            "valid_from": "2030-01-01T00:00", "valid_until": "2030-12-31T23:59", "max_uses": "5",
            "is_active": "on"}),
        "new_field": ("/dashboard/setup/fields", {
            "key": "allergies", "label": "Allergies?", "field_type": "text", "options": "", "help_text": "",
            "required": "", "sort_order": "0", "is_active": "on"}),
        "time_off": (f"/dashboard/setup/staff/{alice.id}/time-off", {
            "starts_at": "2030-07-01T09:00", "ends_at": "2030-07-01T12:00", "reason": "Dentist"}),
        "staff_hours": (f"/dashboard/setup/staff/{alice.id}/hours", WEEK),
        "review_reply": (f"/dashboard/reviews/{review.id}/reply", {"reply": "Thank you!"}),
        "checkout_line": (f"/dashboard/checkout/{checkout.id}/lines", {
            "kind": "discount", "discount_kind": "amount", "discount_value": "5.00", "quantity": "1",
            "service_id": str(service.id), "product_id": ""}),
        "checkout_tip": (f"/dashboard/checkout/{checkout.id}/tip", {"tip": "2.50"}),
        "checkout_refund": (f"/dashboard/checkout/{checkout.id}/refund", {
            "amount": "1.00", "method": "cash", "reason": "Goodwill"}),
        "checkout_pay": (f"/dashboard/checkout/{checkout.id}/pay", {"method": "cash"}),
        "booking_status": (f"/dashboard/bookings/{booking.id}/status", {
            "status": "cancelled", "reason": "Asked to", "refund": "policy", "skip_notifications": "1"}),
        "move": (f"/dashboard/bookings/{movable.id}/move", {
            "day": MONDAY.isoformat(), "staff_id": str(alice.id), "start": at(MONDAY, 14).isoformat(),
            "skip_notifications": "1"}),
        "resend": (f"/dashboard/messages/{message.id}/resend", {
            "from": "log", "status": "failed", "channel": "email", "page": "1"}),
        "api_key": ("/dashboard/developer/keys", {"name": "Zapier", "mode": "live", "scope": "read"}),
        "webhook": ("/dashboard/developer/webhooks", {
            "url": "https://hooks.example.com/in", "description": "", "events": "booking.created"}),
        "two_factor_enrol": ("/dashboard/security/two-factor", {"code": "123456"}),
        "two_factor_disable": ("/dashboard/security/two-factor/disable", {"password": "not it", "code": "123456"}),
        "recovery_codes": ("/dashboard/security/recovery-codes", {"password": "not it"}),
        "require_two_factor": ("/dashboard/security/require-two-factor", {"require_two_factor": "on"}),
        "password_change": ("/dashboard/security/password", {
            "current_password": "correct horse battery", "new_password": "a brand new password"}),
        "forgot_password": ("/dashboard/forgot-password", {"email": "owner@example.com"}),
        "erase_client": (f"/dashboard/clients/{booking.customer_id}/erase", {"confirm_name": "Ada Lovelace"}),
    }


FORMS = ["new_booking", "profile", "hours", "embed", "booking_settings", "notifications", "new_service", "edit_service",
         "new_category", "new_staff", "new_product", "new_promotion", "new_field", "time_off", "staff_hours",
         "review_reply", "checkout_line", "checkout_tip", "checkout_refund", "checkout_pay", "booking_status", "move", "resend",
         "api_key", "webhook", "two_factor_enrol", "two_factor_disable", "recovery_codes", "require_two_factor",
         "password_change", "forgot_password", "erase_client"]


@pytest.fixture
def scene(app, session, salon, served, make_customer, as_role):
    """The owner signed in; a category, a product, a served booking with its checkout
    open, a completed visit with a review, and a booking to change the status of."""
    business, service, alice, _ = salon
    category = ServiceCategory(business_id=business.id, name="Hair", sort_order=0)
    session.add_all([category, Product(business_id=business.id, name="Wax", price_cents=900, inventory_count=5)])
    reviewed = booking_ops.create_booking(session, business, service, at(MONDAY, 13), make_customer(business),
                                          staff=alice, now=before())
    booking_ops.start(session, reviewed, now=reviewed.starts_at)
    booking_ops.complete(session, reviewed, now=reviewed.ends_at)
    review = leave_review(session, reviewed, rating=4, comment="Good", would_recommend=True)
    later = booking_ops.create_booking(session, business, service, at(MONDAY, 16), make_customer(business),
                                       staff=alice, now=before())
    movable = booking_ops.create_booking(session, business, service, at(MONDAY, 17), make_customer(business),
                                         staff=alice, now=before())
    checkout = co.open_checkout(session, served)
    # A message the worker has sent (so it may be sent again), for the resend form.
    message = session.scalars(select(Message).where(Message.booking_id == later.id)).first()
    message.status, message.sent_at = "sent", before()
    session.commit()
    dash = as_role(business, "owner")
    return dash, _forms(business, service, alice, category, checkout, review, later, message, movable)


def test_fuzz_every_dashboard_form(scene):
    """One signed-in owner and one scene for all the forms (setting them up is most of the
    cost); each form gets its own examples and every failing form is reported."""
    dash, forms = scene
    failures = []
    for form in FORMS:
        url, valid = forms[form]

        @FUZZ
        @given(form_values(valid))
        def check(fields):
            before_snapshot = database_snapshot()
            response = dash.raw_post(url, data=encode_form(fields), content_type="application/x-www-form-urlencoded",
                                     headers={"X-CSRFToken": dash.token, "HX-Request": "true"})
            assert_answer(response, before_snapshot, what=f"{form} {fields!r:.300}")

        try:
            check()
        except Exception as error:  # noqa: BLE001  (reported below, with the example hypothesis found)
            failures.append(f"{form}: {type(error).__name__}: {error}"[:2000])
    assert not failures, "\n\n".join(failures)
