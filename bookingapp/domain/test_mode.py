"""Test data kept apart from live data: what a test API key (`bo_test_...`) may see and do.

A booking made with a test key is a test booking (Booking.is_test; domain.booking's
hold/reserve/create_booking take `test=True`, and a reschedule keeps the flag). Then:

* Live keys never see test bookings and test keys see only test bookings
  (`visible_to(mode)` as a query predicate, `booking_visible_to(booking, mode)` for one
  row fetched by id).
* The dashboard and analytics count and list only live bookings (`live_bookings()`, used
  by domain.schedule, domain.clients, domain.analytics and domain.reviews).
* Availability does NOT leave them out: a test booking holds its staff member's time
  like any other, so the database's no-overlap rule stays whole. Test against a test
  staff member, or cancel the test booking, to free the time.
* Their payments go through the sandbox provider whatever the business has configured
  (domain.payments.providers.provider_for_booking).
* A test key may read the catalog, make, move and cancel test bookings and reply to their
  reviews, but it may not change live configuration (services, staff, products, business settings, webhooks,
  custom fields, promotions): `ensure_may_change_settings(mode)` says so with a 403.

Free of Flask: the API passes the key's mode ("live" or "test").
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from bookingapp.domain.errors import DomainError
from bookingapp.models import Booking

LIVE = "live"
TEST = "test"
KEY_MODES = (LIVE, TEST)

SETTINGS_MESSAGE = "Test keys cannot change live settings."


class Forbidden(DomainError):
    """The caller is known but may not do this (HTTP 403, error code "forbidden")."""

    code = "forbidden"


def is_test_mode(mode: str | None) -> bool:
    """Whether a key of this mode makes (and sees) test bookings. Anything but "test" is
    live, so a key of an unknown mode can never reach test data by accident."""
    return mode == TEST


def live_bookings() -> ColumnElement[bool]:
    """SQL predicate over Booking: the business's real bookings, no test ones."""
    return Booking.is_test.is_(false())


def test_bookings() -> ColumnElement[bool]:
    """SQL predicate over Booking: only the bookings made with test keys."""
    return Booking.is_test.is_(true())


def visible_to(mode: str | None) -> ColumnElement[bool]:
    """SQL predicate over Booking for an API key of `mode`: a live key sees live bookings
    only, a test key test bookings only."""
    return test_bookings() if is_test_mode(mode) else live_bookings()


def booking_visible_to(booking: Booking, mode: str | None) -> bool:
    """The same rule for one booking already loaded (GET/PATCH/DELETE by id): a booking
    the key may not see must be answered exactly like one that does not exist (404)."""
    return bool(booking.is_test) == is_test_mode(mode)


def ensure_may_change_settings(mode: str | None) -> None:
    """Forbidden (403) when a test key tries to change live configuration: services,
    staff, products, categories, business settings, hours, custom fields, promotions,
    webhook endpoints. Test keys share the live catalog (there is only one), so letting
    them write would let a sandbox change the real shop."""
    if is_test_mode(mode):
        raise Forbidden(SETTINGS_MESSAGE, details={"key_mode": TEST})


# What a test key may change: its own test bookings and the replies to their reviews
# (the lookups by id keep it to test data). Everything else is the live shop's settings.
TEST_KEY_WRITABLE = ("bookings", "reviews")


def ensure_may_write(mode: str | None, resource: str) -> None:
    """Forbidden (403) when a test key writes to anything but TEST_KEY_WRITABLE."""
    if resource not in TEST_KEY_WRITABLE:
        ensure_may_change_settings(mode)
