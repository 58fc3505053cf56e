"""Customers: validated, normalised, found by email within a business or created."""
from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bookingapp.domain.errors import ValidationError
from bookingapp.models import Business, Customer


def normalise_email(raw: str | None) -> str:
    """Lower-cased, syntax-checked address (no DNS look-up: bookings must work offline)."""
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError("Email is required.", param="email")
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(f"Email is not valid: {exc}", param="email") from exc
    return result.normalized.lower()


def normalise_phone(raw: str | None, default_region: str) -> str | None:
    """E.164 form (+441234567890), reading national numbers in the business's country."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Phone number is not valid.", param="phone") from exc
    # "Possible" (the right length for its country), not "valid" (an exchange the metadata
    # knows): fictional numbers such as +1 555 123 4567, used by the API's documented
    # examples and by many test systems, must not turn a booking away.
    if not phonenumbers.is_possible_number(number):
        raise ValidationError("Phone number is not valid.", param="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_name(raw: str | None) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise ValidationError("Name is required.", param="name")
    if len(name) > 200:
        raise ValidationError("Name is too long (200 characters at most).", param="name")
    return name


def find_or_create_customer(
    session: Session, business: Business, *, email: str, name: str, phone: str | None = None
) -> Customer:
    """The business's customer with this email, updated with the latest name and phone,
    or a new one. Two first bookings with one new email at once both end on one row."""
    email = normalise_email(email)
    name = normalise_name(name)
    phone = normalise_phone(phone, business.address_country or "GB")
    query = select(Customer).where(Customer.business_id == business.id, Customer.email == email)
    customer = session.scalars(query).one_or_none()
    if customer is None:
        try:
            with session.begin_nested():
                customer = Customer(business_id=business.id, email=email, name=name, phone=phone)
                session.add(customer)
        except IntegrityError:
            customer = session.scalars(query).one()
    customer.name = name
    if phone:
        customer.phone = phone
    return customer
