"""The small domain pieces the wizard brought: reserved slugs, the .ics export, custom fields."""
from __future__ import annotations

import pytest

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.custom_fields import clean_custom_values
from bookingapp.domain.errors import ValidationError
from bookingapp.domain.ics import _fold, booking_ics
from bookingapp.domain.slugs import validate_slug
from bookingapp.models import CustomFieldDefinition
from tests.helpers import MONDAY, at, before


@pytest.mark.parametrize("slug", ["dashboard", "api", "static", "webhooks", "healthz", "readyz", "API"])
def test_slugs_of_the_apps_own_paths_are_refused(slug):
    with pytest.raises(ValidationError, match="used by the app itself"):
        validate_slug(slug)


@pytest.mark.parametrize("slug", ["", "-salon", "Salon Rouge", "a/b"])
def test_malformed_slugs_are_refused(slug):
    with pytest.raises(ValidationError):
        validate_slug(slug)


def test_good_slug_is_normalised():
    assert validate_slug("  Juniper-Hair ") == "juniper-hair"


def test_ics_is_rfc5545_with_utc_times_escaping_and_folding(session, salon, make_customer):
    business, service, alice, _ = salon
    business.address_street = "1 High St, Floor 2; rear"
    service.name = "Cut, wash; finish " + "é" * 60
    customer = make_customer(business)
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10), customer, staff=alice, now=before())
    text = booking_ics(booking, business, now=before(), manage_url="https://x.test/m/abc")
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and text.endswith("END:VCALENDAR\r\n")
    # 10:00 London in June is 09:00 UTC.
    assert "DTSTART:20300603T090000Z" in lines and "DTEND:20300603T100000Z" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = text.replace("\r\n ", "")
    assert "LOCATION:Test Salon\\, 1 High St\\, Floor 2\\; rear" in unfolded
    assert "SUMMARY:Cut\\, wash\\; finish" in unfolded
    assert f"UID:{booking.id}@bookingapp" in unfolded


def test_fold_never_splits_a_multibyte_character():
    folded = _fold("X:" + "é" * 100)
    for line in folded.split("\r\n"):
        line.encode("utf-8").decode("utf-8")
        assert len(line.encode()) <= 75


def test_custom_values_checkbox_and_unknown_keys():
    tick = CustomFieldDefinition(key="consent", label="I agree", field_type="checkbox", required=True, options=[])
    note = CustomFieldDefinition(key="note", label="Note", field_type="text", required=False, options=[])
    values, errors = clean_custom_values([tick, note], {"consent": None, "hack": "x"})
    assert errors == {"consent": "Please tick “I agree”."} and values == {}
    values, errors = clean_custom_values([tick, note], {"consent": "on", "note": "  hi ", "hack": "x"})
    assert errors == {} and values == {"consent": True, "note": "hi"}
