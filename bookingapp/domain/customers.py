"""Customers: validated, normalised, found by email within a business or created.

The wizard and the API find or create a customer by email (find_or_create_customer: the
email is required there, it is how a customer is told and found again). Only the front
desk, where the business itself books someone standing in front of it, may book a
walk-in by name alone (front_desk_customer), or reuse a client picked from the search."""
from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bookingapp.domain.errors import NotFound, ValidationError
from bookingapp.domain.messages import N_
from bookingapp.models import Business, Customer


def normalise_email(raw: str | None) -> str:
    """Lower-cased, syntax-checked address (no DNS look-up: bookings must work offline)."""
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError(N_("Email is required."), param="email")
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(N_("Email is not valid: %(reason)s"), params={"reason": str(exc)}, param="email") from exc
    return result.normalized.lower()


def normalise_phone(raw: str | None, default_region: str) -> str | None:
    """E.164 form (+441234567890), reading national numbers in the business's country."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(N_("Phone number is not valid."), param="phone") from exc
    # "Possible" (the right length for its country), not "valid" (an exchange the metadata
    # knows): fictional numbers such as +1 555 123 4567, used by the API's documented
    # examples and by many test systems, must not turn a booking away.
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(N_("Phone number is not valid."), param="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_name(raw: str | None) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise ValidationError(N_("Name is required."), param="name")
    if len(name) > 200:
        raise ValidationError(N_("Name is too long (200 characters at most)."), param="name")
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


def front_desk_customer(
    session: Session, business: Business, *, name: str, email: str | None = None, phone: str | None = None,
    customer_id=None,
) -> Customer:
    """The customer of a booking made at the front desk.

    customer_id: a client chosen from the search, reused as they are (their email and
    phone are theirs; a phone typed for one who has none is kept). Otherwise, with an
    email, the customer with that email (find_or_create_customer); without one, a new
    walk-in known by name (and phone, when given) only: such a customer gets no email,
    and a text message only when the business sends them."""
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None or customer.business_id != business.id:
            raise NotFound("That client is not one of the business's.", param="customer_id")
        phone = normalise_phone(phone, business.address_country or "GB")
        if phone and not customer.phone:
            customer.phone = phone
        return customer
    if (email or "").strip():
        return find_or_create_customer(session, business, email=email, name=name, phone=phone)
    customer = Customer(business_id=business.id, email=None, name=normalise_name(name),
                        phone=normalise_phone(phone, business.address_country or "GB"))
    session.add(customer)
    return customer


def contains_pattern(typed: str) -> str:
    """A LIKE pattern (escape character backslash) finding `typed` anywhere, lower-cased:
    a typed % or _ is a character to find, not a wildcard."""
    escaped = typed.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The front desk's search shows a handful; more is a sign to type more.
SEARCH_LIMIT = 8
# Fewer digits than this match too many phone numbers to be a phone search.
MIN_PHONE_DIGITS = 3


def customer_matches(typed: str):
    """SQL condition over Customer: the name or email contains what was typed, or the
    phone number contains its digits (a national number's leading 0 left off, so
    "07700 900123" finds +447700900123)."""
    pattern = contains_pattern(typed)
    matches = [func.lower(Customer.name).like(pattern, escape="\\"),
               func.lower(Customer.email).like(pattern, escape="\\")]
    digits = "".join(ch for ch in typed if ch.isdigit())
    if len(digits) >= MIN_PHONE_DIGITS:
        matches.append(Customer.phone.like(f"%{digits.lstrip('0') or digits}%"))
    return or_(*matches)


def search_customers(session: Session, business: Business, typed: str, *, limit: int = SEARCH_LIMIT) -> list[Customer]:
    """The business's customers matching what was typed (customer_matches), by name.
    Nothing for an empty search."""
    typed = " ".join((typed or "").split())[:200]
    if not typed:
        return []
    return list(session.scalars(
        select(Customer).where(Customer.business_id == business.id, customer_matches(typed))
        .order_by(func.lower(Customer.name), Customer.email, Customer.id).limit(limit)
    ))
