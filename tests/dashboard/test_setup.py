"""Setup through the dashboard: every form saves through the domain, refuses bad input with
422 and the typed values kept, and retires softly what bookings refer to."""
from __future__ import annotations

import re
from datetime import time

from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.availability import find_availability
from bookingapp.models import Booking, Business, Product, Service, ServiceCategory, Staff, TimeOff
from bookingapp.models.custom_field import CustomFieldDefinition
from bookingapp.models.payment import Promotion
from tests.helpers import MONDAY, at, before

SERVICE_FORM = {"name": "Colour", "category_id": "", "description": "", "duration_minutes": "90", "price_cents": "80.00",
                "deposit_cents": "20.00", "buffer_before_minutes": "0", "buffer_minutes": "15", "sort_order": "0",
                "is_active": "on"}


def _profile(business, **changes):
    form = {"name": business.name, "slug": business.slug, "description": "", "email": "", "phone": "", "website": "",
            "address_street": "", "address_city": "", "address_zip": "", "address_country": "GB"}
    form.update(changes)
    return form


def test_profile_and_slug_are_saved_and_a_reserved_slug_is_refused_with_input_kept(salon, as_role, session, make_business):
    business = salon[0]
    dash = as_role(business, "owner")
    saved = dash.post("/dashboard/setup/business", _profile(business, name="Studio Nine", slug="studio-nine",
                                                             website="https://nine.example", address_city="Leeds"))
    assert saved.status_code == 303
    session.expire_all()
    stored = session.get(Business, business.id)
    assert (stored.name, stored.slug, stored.website, stored.address_city) == ("Studio Nine", "studio-nine", "https://nine.example", "Leeds")

    refused = dash.post("/dashboard/setup/business", _profile(stored, name="Typed name", slug="dashboard"), htmx=True)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and html.lstrip().startswith('<form id="profile-form"')
    assert "is used by the app itself" in html and 'value="Typed name"' in html and 'value="dashboard"' in html
    make_business(slug="taken-one")
    taken = dash.post("/dashboard/setup/business", _profile(stored, slug="taken-one"))
    assert taken.status_code == 422 and "already taken" in taken.get_data(as_text=True)
    session.expire_all()
    assert session.get(Business, business.id).slug == "studio-nine"


def test_opening_hours_with_a_lunch_break_and_bad_windows(salon, as_role, session):
    business = salon[0]
    dash = as_role(business, "manager")
    form = {"h0_0_from": "09:00", "h0_0_to": "12:00", "h0_1_from": "13:00", "h0_1_to": "17:30", "h5_0_from": "10:00", "h5_0_to": "14:00"}
    assert dash.post("/dashboard/setup/business/hours", form).status_code == 303
    session.expire_all()
    rows = [(h.weekday, h.opens_at, h.closes_at) for h in session.get(Business, business.id).hours]
    assert rows == [(0, time(9), time(12)), (0, time(13), time(17, 30)), (5, time(10), time(14))]
    bad = dash.post("/dashboard/setup/business/hours", {**form, "h2_0_from": "18:00", "h2_0_to": "08:00"}, htmx=True)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Wednesday: 18:00 must be before 08:00." in html and 'value="18:00"' in html
    overlap = dash.post("/dashboard/setup/business/hours", {"h1_0_from": "09:00", "h1_0_to": "13:00", "h1_1_from": "12:00", "h1_1_to": "15:00"})
    assert overlap.status_code == 422 and "Tuesday: the windows overlap." in overlap.get_data(as_text=True)
    session.expire_all()
    assert len(session.get(Business, business.id).hours) == 3


def test_booking_settings_are_saved_and_out_of_range_values_refused(salon, as_role, session):
    business = salon[0]
    dash = as_role(business, "owner")
    page = dash.get("/dashboard/setup/booking").get_data(as_text=True)
    assert "Early start allowed (minutes)" in page and re.search(r'name="early_start_minutes"[^>]*value="30"', page)
    form = {"slot_interval_minutes": "30", "min_notice_minutes": "120", "max_advance_days": "90", "hold_seconds": "15",
            "deposit_policy": "full_prepayment", "free_cancellation_hours": "48", "early_start_minutes": "45",
            "assignment_policy": "balanced"}
    assert dash.post("/dashboard/setup/booking", form).status_code == 303
    session.expire_all()
    stored = session.get(Business, business.id)
    assert (stored.slot_interval_minutes, stored.hold_seconds, stored.auto_confirm, stored.deposit_policy,
            stored.free_cancellation_hours, stored.early_start_minutes) == (30, 900, False, "full_prepayment", 48, 45)
    for out_of_range in ("-1", "1441"):
        refused = dash.post("/dashboard/setup/booking", {**form, "early_start_minutes": out_of_range})
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "Early start allowed must be between 0 and 1440." in html
        assert f'value="{out_of_range}"' in html
    session.expire_all()
    assert session.get(Business, business.id).early_start_minutes == 45
    bad = dash.post("/dashboard/setup/booking", {**form, "slot_interval_minutes": "2", "max_advance_days": "soon"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Enter a whole number." in html and 'value="soon"' in html
    worse = dash.post("/dashboard/setup/booking", {**form, "slot_interval_minutes": "2"})
    assert worse.status_code == 422 and "Slot interval must be between 5 and 240." in worse.get_data(as_text=True)


def test_early_start_setting_decides_when_the_panel_may_start_a_visit(app, salon, as_role, session, make_customer):
    business, service, alice, _ = salon
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                         staff=alice, now=before())
    session.commit()
    owner = as_role(business, "owner")
    form = {"slot_interval_minutes": "15", "min_notice_minutes": "0", "max_advance_days": "730", "hold_seconds": "10",
            "deposit_policy": "service_deposit", "free_cancellation_hours": "24", "early_start_minutes": "0",
            "assignment_policy": "fixed_order"}
    assert owner.post("/dashboard/setup/booking", form).status_code == 303
    app.config["CLOCK"] = lambda: at(MONDAY, 9, 55)
    early = owner.post(f"/dashboard/bookings/{booking.id}/status", {"status": "in_progress"}, htmx=True)
    assert early.status_code == 422 and "can be started from Mon 03 Jun 2030 10:00 on" in early.get_data(as_text=True)
    assert owner.post("/dashboard/setup/booking", {**form, "early_start_minutes": "10"}).status_code == 303
    assert owner.post(f"/dashboard/bookings/{booking.id}/status", {"status": "in_progress"}, htmx=True).status_code == 200
    session.expire_all()
    assert session.get(Booking, booking.id).status == "in_progress"


def test_categories_and_services_created_edited_and_soft_deleted(salon, as_role, session, make_customer):
    business, service, alice, _ = salon
    dash = as_role(business, "owner")
    assert dash.post("/dashboard/setup/categories", {"name": "Colour", "sort_order": "1"}).status_code == 303
    duplicate = dash.post("/dashboard/setup/categories", {"name": "colour", "sort_order": "2"})
    assert duplicate.status_code == 422 and "already a category" in duplicate.get_data(as_text=True)
    category = session.scalars(select(ServiceCategory).where(ServiceCategory.business_id == business.id)).one()

    created = dash.post("/dashboard/setup/services", {**SERVICE_FORM, "category_id": str(category.id)})
    assert created.status_code == 303
    colour = session.scalars(select(Service).where(Service.name == "Colour")).one()
    assert (colour.price_cents, colour.deposit_cents, colour.buffer_after_minutes, colour.category_id) == (8000, 2000, 15, category.id)

    bad_money = dash.post("/dashboard/setup/services", {**SERVICE_FORM, "name": "Perm", "price_cents": "12.345"})
    assert bad_money.status_code == 422 and "at most two decimals" in bad_money.get_data(as_text=True)
    too_much_deposit = dash.post(f"/dashboard/setup/services/{colour.id}", {**SERVICE_FORM, "deposit_cents": "99.00"}, htmx=True)
    html = too_much_deposit.get_data(as_text=True)
    assert too_much_deposit.status_code == 422 and 'data-error-for="deposit_cents"' in html and 'value="99.00"' in html

    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), staff=alice, now=before())
    session.commit()
    assert dash.post(f"/dashboard/setup/services/{service.id}/retire").status_code == 303
    session.expire_all()
    gone = session.get(Service, service.id)
    assert gone.deleted_at is not None and session.get(Booking, booking.id).service_id == service.id
    listing = dash.get("/dashboard/setup/services").get_data(as_text=True)
    assert "deleted" in listing  # still listed, marked, for the bookings that show it
    assert dash.post(f"/dashboard/setup/categories/{category.id}/retire").status_code == 303
    session.expire_all()
    assert session.get(ServiceCategory, category.id).deleted_at is not None
    assert session.get(Service, colour.id).category_id == category.id


def test_staff_services_hours_and_time_off_change_availability(salon, as_role, session):
    business, service, alice, bob = salon
    dash = as_role(business, "manager")
    created = dash.post("/dashboard/setup/staff", {"name": "Cleo", "email": "cleo@example.com", "phone": "", "role": "staff",
                                                   "bio": "", "sort_order": "3", "is_active": "on", "service_ids": [str(service.id)]})
    assert created.status_code == 303
    cleo = session.scalars(select(Staff).where(Staff.name == "Cleo")).one()
    assert created.headers["Location"].endswith(f"/dashboard/setup/staff/{cleo.id}")
    assert [s.id for s in cleo.services] == [service.id]

    assert dash.post(f"/dashboard/setup/staff/{cleo.id}/hours", {"h0_0_from": "10:00", "h0_0_to": "14:00"}).status_code == 303
    slots = find_availability(session, business, service, MONDAY, MONDAY, now=before(), staff_id=cleo.id).slots
    assert slots[0].start == at(MONDAY, 10) and slots[-1].start == at(MONDAY, 13)

    typed = {"starts_at": f"{MONDAY}T11:00", "ends_at": f"{MONDAY}T10:00", "reason": "Dentist"}
    refused = dash.post(f"/dashboard/setup/staff/{cleo.id}/time-off", typed, htmx=True)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "The end must be after the start." in html and 'value="Dentist"' in html
    assert html.lstrip().startswith('<form id="time-off-form"')
    added = dash.post(f"/dashboard/setup/staff/{cleo.id}/time-off", {**typed, "ends_at": f"{MONDAY}T13:00"})
    assert added.status_code == 303
    session.expire_all()
    off = session.scalars(select(TimeOff).where(TimeOff.staff_id == cleo.id)).one()
    assert (off.starts_at, off.ends_at, off.reason) == (at(MONDAY, 11), at(MONDAY, 13), "Dentist")
    starts = [s.start for s in find_availability(session, business, service, MONDAY, MONDAY, now=before(), staff_id=cleo.id).slots]
    assert at(MONDAY, 11) not in starts and at(MONDAY, 12) not in starts and at(MONDAY, 10) in starts
    assert dash.post(f"/dashboard/setup/staff/{cleo.id}/time-off/{off.id}/delete").status_code == 303
    assert session.scalars(select(TimeOff).where(TimeOff.staff_id == cleo.id)).all() == []


def test_only_an_owner_grants_the_owner_role_and_the_last_owner_stays(salon, as_role, session):
    business, _, alice, bob = salon
    manager = as_role(business, "manager")
    form = {"name": "Bob", "email": "", "phone": "", "role": "owner", "bio": "", "sort_order": "1", "is_active": "on"}
    refused = manager.post(f"/dashboard/setup/staff/{bob.id}", form)
    assert refused.status_code == 422 and "Only an owner" in refused.get_data(as_text=True)
    owner = as_role(business, "owner")
    me = session.scalars(select(Staff).where(Staff.role == "owner", Staff.business_id == business.id)).one()
    demote = owner.post(f"/dashboard/setup/staff/{me.id}", {**form, "name": me.name, "role": "manager"})
    assert demote.status_code == 422 and "at least one owner" in demote.get_data(as_text=True)
    assert owner.post(f"/dashboard/setup/staff/{bob.id}", form).status_code == 303
    session.expire_all()
    assert session.get(Staff, bob.id).role == "owner"


def test_products_promotions_and_custom_fields(salon, as_role, session):
    business = salon[0]
    dash = as_role(business, "owner")
    assert dash.post("/dashboard/setup/products", {"name": "Spray", "description": "", "price_cents": "16.00", "category": "",
                                                   "sku": "SP-1", "inventory_count": "4", "sort_order": "0", "is_active": "on"}).status_code == 303
    spray = session.scalars(select(Product).where(Product.business_id == business.id)).one()
    assert (spray.price_cents, spray.inventory_count) == (1600, 4)
    assert dash.post(f"/dashboard/setup/products/{spray.id}/retire").status_code == 303
    session.expire_all()
    assert session.get(Product, spray.id).is_active is False

    promo = {"code": "summer10", "description": "", "kind": "percent", "percent_off": "10", "amount_off_cents": "",
             "valid_from": "", "valid_until": "2030-09-01T00:00", "max_uses": "", "is_active": "on"}
    assert dash.post("/dashboard/setup/promotions", promo).status_code == 303
    stored = session.scalars(select(Promotion).where(Promotion.business_id == business.id)).one()
    assert (stored.code, stored.percent_off, stored.amount_off_cents, stored.valid_until) == ("SUMMER10", 10, None, at(date_of("2030-09-01"), 0))
    again = dash.post("/dashboard/setup/promotions", promo)
    assert again.status_code == 422 and "already in use" in again.get_data(as_text=True)
    no_amount = dash.post("/dashboard/setup/promotions", {**promo, "code": "FIVE", "kind": "fixed"})
    assert no_amount.status_code == 422 and "Give the amount off." in no_amount.get_data(as_text=True)

    field = {"key": "allergies", "label": "Any allergies?", "field_type": "select", "options": "None\n", "help_text": "",
             "sort_order": "0", "is_active": "on", "required": "on"}
    one_option = dash.post("/dashboard/setup/fields", field)
    assert one_option.status_code == 422 and "at least two options" in one_option.get_data(as_text=True)
    assert dash.post("/dashboard/setup/fields", {**field, "options": "None\nNuts\nLatex"}).status_code == 303
    definition = session.scalars(select(CustomFieldDefinition).where(CustomFieldDefinition.business_id == business.id)).one()
    assert (definition.options, definition.required) == (["None", "Nuts", "Latex"], True)
    edit = dash.get(f"/dashboard/setup/fields/{definition.id}").get_data(as_text=True)
    assert 'name="key"' not in edit  # the key is fixed once answers may exist
    assert dash.post(f"/dashboard/setup/fields/{definition.id}/retire").status_code == 303
    session.expire_all()
    assert session.get(CustomFieldDefinition, definition.id).is_active is False


def date_of(text):
    from datetime import date

    return date.fromisoformat(text)


def test_unknown_section_or_other_business_item_is_not_found(salon, as_role, make_business, make_service):
    business = salon[0]
    other_service = make_service(make_business())
    dash = as_role(business, "owner")
    assert dash.get("/dashboard/setup/nothing").status_code == 404
    assert dash.get(f"/dashboard/setup/services/{other_service.id}").status_code == 404
    assert dash.post(f"/dashboard/setup/services/{other_service.id}/retire").status_code == 404


def test_every_setup_page_renders_for_a_manager(salon, as_role):
    business, service, alice, _ = salon
    dash = as_role(business, "manager")
    for path in ("/dashboard/setup/business", "/dashboard/setup/booking", *(f"/dashboard/setup/{key}" for key in
                 ("services", "categories", "staff", "products", "promotions", "fields")),
                 f"/dashboard/setup/staff/{alice.id}", f"/dashboard/setup/services/{service.id}"):
        response = dash.get(path)
        assert response.status_code == 200, path
        assert 'name="csrf_token"' in response.get_data(as_text=True), path
    assert dash.get("/dashboard/setup").headers["Location"].endswith("/dashboard/setup/business")
