"""The owner's day in headless Chromium: drag a booking to another staff member and time,
the same move without JavaScript through the panel's Move form, a refused move onto a
taken time, and booking into a free gap. Screenshots at desktop and phone (390 px) width."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bookingapp.auth.accounts import create_account
from bookingapp.domain import booking as booking_ops
from bookingapp.models import Booking, Message
from tests.browser.pages import PASSWORD, sign_in
from tests.helpers import MONDAY, at, before

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
MONDAY_DAY = f"/dashboard/day?date={MONDAY}"  # where every test here starts, signed in


@pytest.fixture
def day(app, session, salon, make_customer):
    """An owner; Alice's 10:00 booking (Maya Chen), Bob's 14:00 (Tom Baker). Clock: two days before."""
    business, service, alice, bob = salon
    app.config["CLOCK"] = lambda: before(MONDAY, days=2)
    create_account(session, alice, "owner@example.com", PASSWORD)
    alice.role = "owner"
    maya = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business, name="Maya Chen"),
                                      staff=alice, now=before())
    tom = booking_ops.create_booking(session, business, service, at(MONDAY, 14), make_customer(business, name="Tom Baker"),
                                     staff=bob, now=before())
    session.commit()
    return {"business": business, "service": service, "alice": alice, "bob": bob, "maya": maya, "tom": tom}


def _moved_to(session, booking):
    session.expire_all()
    old = session.get(Booking, booking.id)
    return session.get(Booking, old.rescheduled_to_id) if old.rescheduled_to_id else None


def test_drag_a_booking_to_another_staff_member_and_time(live_server, page, session, day, screenshot):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "owner@example.com", start=MONDAY_DAY)
    screenshot(page, "day-desktop")
    card = page.locator(f'[data-staff="Alice"] [data-booking="{day["maya"].booking_number}"]')
    bob_body = page.locator('[data-staff="Bob"] .column-body')
    card_box, bob_box = card.bounding_box(), bob_body.bounding_box()
    grid_minutes = int(page.locator("#day-columns").get_attribute("data-grid-minutes"))
    per_minute = bob_box["height"] / grid_minutes
    # Grab the card 5 px below its top edge and drop its top edge at 12:00 (180 minutes after 09:00).
    grab_x, grab_y = card_box["x"] + card_box["width"] / 2, card_box["y"] + 5
    drop_x, drop_y = bob_box["x"] + bob_box["width"] / 2, bob_box["y"] + 180 * per_minute + 5
    page.mouse.move(grab_x, grab_y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(grab_x + (drop_x - grab_x) * step / 10, grab_y + (drop_y - grab_y) * step / 10)
    page.mouse.up()

    panel = page.locator("#booking-panel")
    expect(panel.locator("[data-notice]")).to_contain_text("Moved to Mon 3 Jun 2030, 12:00 with Bob")
    moved = _moved_to(session, day["maya"])
    assert moved is not None and moved.staff_id == day["bob"].id and moved.starts_at == at(MONDAY, 12)
    # The columns refresh: the card now sits in Bob's column at 12:00.
    expect(page.locator(f'[data-staff="Bob"] [data-booking="{moved.booking_number}"]')).to_have_attribute("data-start", "12:00")
    expect(page.locator(f'[data-staff="Alice"] [data-booking="{day["maya"].booking_number}"]')).to_have_count(0)
    assert session.scalars(select(Message).where(Message.booking_id == moved.id,
                                                 Message.kind == "booking_rescheduled")).first() is not None
    screenshot(page, "after-drag-desktop")


def test_move_without_javascript_through_the_panels_form(browser, live_server, session, day, screenshot):
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(java_script_enabled=False, viewport=viewport)
        page = context.new_page()
        sign_in(page, live_server, "owner@example.com", start=MONDAY_DAY)
        screenshot(page, f"day-{name}")
        context.close()

    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    sign_in(page, live_server, "owner@example.com", start=MONDAY_DAY)
    page.locator(f'[data-booking="{day["maya"].booking_number}"]').click()
    page.locator('[data-action="open-move"]').click()
    form = page.locator("#move-form")
    expect(form.locator('[data-time="10:00"]')).to_be_visible()
    form.locator("select[name=staff_id]").select_option(label="Bob")
    form.locator('[data-action="show-times"]').click()
    form = page.locator("#move-form")
    expect(form.locator("legend")).to_contain_text("with Bob")
    expect(form.locator('[data-time="14:00"]')).to_have_count(0)  # Tom Baker's time
    form.locator('label:has([data-time="16:00"])').click()
    screenshot(page, "move-form-phone")
    form.locator('[data-action="move"]').click()
    expect(page.locator(".flash")).to_contain_text("Moved to Mon 3 Jun 2030, 16:00 with Bob")
    moved = _moved_to(session, day["maya"])
    assert moved.staff_id == day["bob"].id and moved.starts_at == at(MONDAY, 16)
    expect(page.locator("#booking-panel")).to_contain_text(moved.booking_number)
    context.close()


def test_a_move_onto_a_taken_time_is_refused_and_changes_nothing(live_server, page, session, day, screenshot):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "owner@example.com", start=MONDAY_DAY)
    page.locator(f'[data-booking="{day["maya"].booking_number}"]').click()
    panel = page.locator("#booking-panel")
    panel.locator('[data-action="open-move"]').click()
    expect(panel.locator("#move-form legend")).to_contain_text("with Alice")
    panel.locator("#move-form select[name=staff_id]").select_option(label="Bob")
    # The change reloads the times (htmx); the button does the same should the change come
    # before htmx has taken over the newly loaded form.
    panel.locator('#move-form [data-action="show-times"]').click()
    expect(panel.locator("#move-form legend")).to_contain_text("with Bob")
    screenshot(page, "move-form-desktop")
    # Tom Baker takes 14:00 between the list being shown and the click: forge the choice.
    panel.locator('#move-form input[name=start]').first.evaluate(
        f"(radio) => {{ radio.value = '{at(MONDAY, 14).isoformat()}'; radio.checked = true; }}")
    panel.locator('[data-action="move"]').click()
    expect(panel.locator("[role=alert]")).to_contain_text("Not moved: Bob is not free at Mon 3 Jun 14:00")
    expect(page.locator("#dash-error")).to_be_hidden()
    assert _moved_to(session, day["maya"]) is None
    assert session.get(Booking, day["maya"].id).status == "confirmed"
    expect(page.locator(f'[data-staff="Alice"] [data-booking="{day["maya"].booking_number}"]')).to_have_attribute("data-start", "10:00")
    screenshot(page, "refused-move-desktop")


def test_book_into_a_free_gap(live_server, page, session, day, screenshot):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "owner@example.com", start=MONDAY_DAY)
    screenshot(page, "day-phone")
    page.locator('[data-staff="Bob"] a.gap[data-gap-start="15:00"]').click()
    form = page.locator("#new-booking-form")
    expect(form.locator("select[name=staff_id]")).to_have_value(str(day["bob"].id))
    expect(form.locator("select[name=start] option:checked")).to_have_text("15:00")
    page.fill("input[name=name]", "Walk In")
    page.fill("input[name=email]", "walk@example.com")
    form.get_by_role("button", name="Book").click()
    expect(page.locator(".day-grid")).to_be_visible()
    session.expire_all()
    booking = session.scalars(select(Booking).where(Booking.staff_id == day["bob"].id,
                                                    Booking.starts_at == at(MONDAY, 15))).one()
    expect(page.locator(f'[data-staff="Bob"] [data-booking="{booking.booking_number}"]')).to_have_attribute("data-start", "15:00")


def test_week_view_opens_the_same_panel(live_server, page, session, day, screenshot):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "owner@example.com", start=MONDAY_DAY)
    page.locator('[data-action="week"]').click()
    week = page.locator("#week-columns")
    expect(week.locator("[data-day]")).to_have_count(7)
    expect(week.locator(f'[data-day="{MONDAY}"] [data-booking="{day["tom"].booking_number}"]')).to_have_attribute("data-start", "14:00")
    screenshot(page, "week-desktop")
    week.locator(f'[data-booking="{day["maya"].booking_number}"]').click()
    panel = page.locator("#booking-panel")
    expect(panel).to_contain_text("Maya Chen")
    panel.locator('[data-action="open-move"]').click()
    expect(panel.locator("#move-form legend")).to_contain_text("with Alice")
    screenshot(page, "week-move-desktop")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/dashboard/week?date={MONDAY}&staff={day['bob'].id}")
    expect(page.locator(f'[data-booking="{day["maya"].booking_number}"]')).to_have_count(0)
    screenshot(page, "week-phone")


def _drag_in_week(page, card, column):
    card_box, column_box = card.bounding_box(), column.bounding_box()
    grab_x, grab_y = card_box["x"] + card_box["width"] / 2, card_box["y"] + 5
    drop_x, drop_y = column_box["x"] + column_box["width"] / 2, column_box["y"] + column_box["height"] / 2
    page.mouse.move(grab_x, grab_y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(grab_x + (drop_x - grab_x) * step / 10, grab_y + (drop_y - grab_y) * step / 10)
    page.mouse.up()


def test_drag_a_booking_to_another_day_in_the_week_keeps_its_time_and_staff(live_server, page, session, day,
                                                                                 screenshot):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "owner@example.com", start=MONDAY_DAY)
    page.goto(f"{live_server}/dashboard/week?date={MONDAY}")
    week = page.locator("#week-columns")
    tuesday = MONDAY + timedelta(days=1)
    _drag_in_week(page, week.locator(f'[data-booking="{day["maya"].booking_number}"]'),
                  week.locator(f'[data-day="{tuesday}"]'))

    expect(page.locator("#booking-panel [data-notice]")).to_contain_text("10:00 with Alice")
    moved = _moved_to(session, day["maya"])
    assert moved is not None and moved.staff_id == day["alice"].id
    assert moved.starts_at == at(MONDAY, 10) + timedelta(days=1)
    # The week refreshes itself: the booking now sits on Tuesday.
    expect(week.locator(f'[data-day="{tuesday}"] [data-booking="{moved.booking_number}"]')).to_have_attribute(
        "data-start", "10:00")
    expect(week.locator(f'[data-day="{MONDAY}"] [data-booking="{day["maya"].booking_number}"]')).to_have_count(0)
    screenshot(page, "week-after-drag-desktop")


def test_a_week_drag_onto_a_day_whose_time_is_taken_opens_that_days_free_times(live_server, page, session, day,
                                                                                  make_customer, screenshot):
    tuesday = MONDAY + timedelta(days=1)
    booking_ops.create_booking(session, day["business"], day["service"], at(MONDAY, 10) + timedelta(days=1),
                               make_customer(day["business"], name="Ria Patel"), staff=day["alice"], now=before())
    session.commit()
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "owner@example.com", start=MONDAY_DAY)
    page.goto(f"{live_server}/dashboard/week?date={MONDAY}")
    week = page.locator("#week-columns")
    _drag_in_week(page, week.locator(f'[data-booking="{day["maya"].booking_number}"]'),
                  week.locator(f'[data-day="{tuesday}"]'))

    panel = page.locator("#booking-panel")
    expect(panel).to_contain_text("Maya Chen")
    expect(panel.locator("#move-form legend")).to_contain_text("with Alice")
    expect(panel.locator("#move-form legend")).to_contain_text(tuesday.strftime("%a %-d %b"))
    expect(panel.locator('#move-form input[data-time="10:00"]')).to_have_count(0)
    assert _moved_to(session, day["maya"]) is None
    screenshot(page, "week-drag-refused-desktop")
