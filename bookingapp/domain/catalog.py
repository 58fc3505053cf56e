"""Creating, changing and retiring what a business sells and who performs it: services,
staff (with the services they perform) and retail products. Used by the API and, later,
by the dashboard, so every rule about these lives here.

Deleting is soft: a service or staff member keeps `deleted_at` (past bookings still point
at them), a product is deactivated and can be reactivated.

Refusals are read as they are by an owner at the dashboard (beside the field) and by an
integrator in the API's envelope (which names the field by `param`): so each names the thing
in words (FIELD_WORDS), lengths in minutes and amounts as money, never a column name."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookingapp.domain import audit
from bookingapp.domain.customers import normalise_email, normalise_phone
from bookingapp.domain.languages import LANGUAGES, validate_language
from bookingapp.domain.errors import NotFound, ValidationError
# Amounts as the dashboard shows them (dashboard.money) and service_terms refuses them.
from bookingapp.domain.money import format_money
from bookingapp.domain.setup import check_staff_change
from bookingapp.models import Business, Product, Service, ServiceCategory, Staff
from bookingapp.models.staff import STAFF_ROLES
from bookingapp.domain.clock import resolve_now as _now

MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 24 * 60
MAX_BUFFER_MINUTES = 8 * 60
MAX_CENTS = 100_000_000
MAX_COUNT = 100_000_000
SORT_ORDER_RANGE = 1_000_000

# Each field as a refusal names it: one table, so that the price is "the price" in every
# message whichever function refuses it. Keys are the `param` the error carries.
FIELD_WORDS: dict[str, str] = {
    "name": "The name",
    "description": "The description",
    "duration_minutes": "The length",
    "price_cents": "The price",
    "deposit_cents": "The deposit",
    "buffer_minutes": "The buffer after",
    "buffer_before_minutes": "The buffer before",
    "category_id": "The category",
    "sort_order": "The position",
    "is_active": "The active switch",
    "email": "The email address",
    "phone": "The phone number",
    "role": "The role",
    "bio": "The bio",
    "avatar_url": "The photo address",
    "service_ids": "The services performed",
    "booking_emails": "The booking emails switch",
    "daily_agenda": "The daily agenda switch",
    "category": "The product category",
    "sku": "The SKU",
    "inventory_count": "The number in stock",
    "image_url": "The image address",
    "website": "The website",
    "address": "The address",
    "address.street": "The street",
    "address.city": "The city",
    "address.state": "The state or county",
    "address.zip": "The postcode",
    "address.country": "The country",
    "default_language": "The customer pages' language",
}
# How a number field is counted: said with the limits, so "between 5 and 1440 minutes".
MINUTE_FIELDS = frozenset({"duration_minutes", "buffer_minutes", "buffer_before_minutes"})
MONEY_FIELDS = frozenset({"price_cents", "deposit_cents"})


def _words(param: str) -> str:
    return FIELD_WORDS[param]


def _name(value: Any, param: str = "name", max_length: int = 200) -> str:
    if not isinstance(value, str) or not " ".join(value.split()):
        raise ValidationError(f"{_words(param)} is required.", param=param)
    value = " ".join(value.split())
    if len(value) > max_length:
        raise ValidationError(f"{_words(param)} is too long ({max_length:,} characters at most).", param=param)
    return value


def _text(value: Any, param: str, max_length: int = 5000) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{_words(param)} must be text.", param=param)
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError(f"{_words(param)} is too long ({max_length:,} characters at most).", param=param)
    return value or None


def _int(value: Any, param: str, *, minimum: int = 0, maximum: int = MAX_COUNT, currency: str | None = None,
         words: str | None = None) -> int:
    """A whole number within the limits; an amount (MONEY_FIELDS) is refused as money in
    `currency`, a length (MINUTE_FIELDS) in minutes. `words`: the field's name in the
    refusal, when the caller's is not FIELD_WORDS' (a service's terms at a location)."""
    words = words or _words(param)
    as_money = param in MONEY_FIELDS and currency is not None
    if isinstance(value, bool) or not isinstance(value, int):
        unit = " of minutes" if param in MINUTE_FIELDS else " of cents" if param in MONEY_FIELDS else ""
        raise ValidationError(f"{words} must be a whole number{unit}.", param=param)
    if not minimum <= value <= maximum:
        if as_money:
            raise ValidationError(f"{words} must be between {format_money(minimum, currency)} and "
                                  f"{format_money(maximum, currency)}.", param=param)
        if param in MINUTE_FIELDS:  # as service_terms says a length: "between 5 and 1440 minutes"
            raise ValidationError(f"{words} must be between {minimum} and {maximum} minutes.", param=param)
        raise ValidationError(f"{words} must be between {minimum:,} and {maximum:,}.", param=param)
    return value


def _switch(value: Any, param: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{_words(param)} must be on or off (true or false).", param=param)
    return value


def _required(fields: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name not in fields:
            raise ValidationError(f"{_words(name)} is required.", param=name)


# --------------------------------------------------------------------------- services

SERVICE_FIELDS = ("name", "description", "duration_minutes", "price_cents", "deposit_cents", "buffer_minutes",
                  "buffer_before_minutes", "category_id", "is_active", "sort_order")


def _apply_service(session: Session, business: Business, service: Service, fields: dict[str, Any]) -> None:
    """Check every field, then change the service. Nothing is assigned (or flushed by a
    lookup's autoflush) before all checks have passed: a deposit above the price must be
    the domain's ValidationError naming deposit_cents, not the database's CHECK failing
    when the category lookup flushes a half-changed service."""
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown field {sorted(unknown)[0]!r}.", param=sorted(unknown)[0])
    currency = service.currency or business.currency
    clean: dict[str, Any] = {}
    if "name" in fields:
        clean["name"] = _name(fields["name"])
    if "description" in fields:
        clean["description"] = _text(fields["description"], "description")
    if "duration_minutes" in fields:
        clean["duration_minutes"] = _int(fields["duration_minutes"], "duration_minutes", minimum=MIN_DURATION_MINUTES,
                                         maximum=MAX_DURATION_MINUTES)
    if "price_cents" in fields:
        clean["price_cents"] = _int(fields["price_cents"], "price_cents", maximum=MAX_CENTS, currency=currency)
    if "deposit_cents" in fields:
        clean["deposit_cents"] = _int(fields["deposit_cents"], "deposit_cents", maximum=MAX_CENTS, currency=currency)
    if "buffer_minutes" in fields:
        clean["buffer_after_minutes"] = _int(fields["buffer_minutes"], "buffer_minutes", maximum=MAX_BUFFER_MINUTES)
    if "buffer_before_minutes" in fields:
        clean["buffer_before_minutes"] = _int(fields["buffer_before_minutes"], "buffer_before_minutes",
                                              maximum=MAX_BUFFER_MINUTES)
    if "sort_order" in fields:
        clean["sort_order"] = _int(fields["sort_order"], "sort_order", minimum=-SORT_ORDER_RANGE,
                                   maximum=SORT_ORDER_RANGE)
    if "is_active" in fields:
        clean["is_active"] = _switch(fields["is_active"], "is_active")
    deposit = clean.get("deposit_cents", service.deposit_cents) or 0
    price = clean.get("price_cents", service.price_cents) or 0
    if deposit > price:
        # Both amounts shown: the one not on the form (an API update naming only one of
        # them) is otherwise a mystery.
        raise ValidationError(f"The deposit ({format_money(deposit, currency)}) cannot exceed the price "
                              f"({format_money(price, currency)}).", param="deposit_cents")
    category = None
    if fields.get("category_id") is not None:
        category_id = fields["category_id"]
        if not isinstance(category_id, uuid.UUID):
            try:
                category_id = uuid.UUID(str(category_id))
            except ValueError:
                raise ValidationError("No such category in this business.", param="category_id") from None
        with session.no_autoflush:
            category = session.get(ServiceCategory, category_id)
        if category is None or category.business_id != business.id or category.deleted_at is not None:
            raise ValidationError("No such category in this business.", param="category_id")
    for attribute, value in clean.items():
        setattr(service, attribute, value)
    if "category_id" in fields:
        service.category_id = category.id if category is not None else None
        service.category = category


def create_service(session: Session, business: Business, fields: dict[str, Any], *, now: datetime | None = None) -> Service:
    _required(fields, ("name", "duration_minutes", "price_cents"))
    now = _now(now)
    service = Service(business_id=business.id, currency=business.currency, deposit_cents=0, buffer_before_minutes=0,
                      buffer_after_minutes=0, is_active=True, sort_order=0, created_at=now, updated_at=now)
    _apply_service(session, business, service, fields)
    session.add(service)
    session.flush()
    audit.record(session, business, "service.created", subject=service, now=now, details={
        "name": service.name, "price_cents": service.price_cents, "deposit_cents": service.deposit_cents,
        "currency": service.currency})
    return service


def update_service(session: Session, business: Business, service: Service, fields: dict[str, Any], *, now: datetime | None = None) -> Service:
    _owned(service, business, "Service")
    if service.deleted_at is not None:
        raise NotFound("Service not found.")
    money_before = {"price_cents": service.price_cents, "deposit_cents": service.deposit_cents}
    _apply_service(session, business, service, fields)
    service.updated_at = _now(now)
    session.flush()
    moved = audit.changes(money_before, {"price_cents": service.price_cents, "deposit_cents": service.deposit_cents})
    if moved:
        audit.record(session, business, "service.price_changed", subject=service, now=now,
                     details={"name": service.name, "currency": service.currency, **moved})
    return service


def delete_service(session: Session, business: Business, service: Service, *, now: datetime | None = None) -> Service:
    """Soft delete: hidden from booking, kept for the bookings that reference it."""
    _owned(service, business, "Service")
    now = _now(now)
    service.deleted_at = service.deleted_at or now
    service.is_active = False
    service.updated_at = now
    session.flush()
    return service


def _owned(obj, business: Business, what: str) -> None:
    if obj is None or obj.business_id != business.id:
        raise NotFound(f"{what} not found.")


# --------------------------------------------------------------------------- staff

STAFF_FIELDS = ("name", "email", "phone", "role", "bio", "avatar_url", "sort_order", "is_active", "service_ids",
                "booking_emails", "daily_agenda")


def _apply_staff(session: Session, business: Business, member: Staff, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(STAFF_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown field {sorted(unknown)[0]!r}.", param=sorted(unknown)[0])
    if "name" in fields:
        member.name = _name(fields["name"])
    if "email" in fields:
        member.email = normalise_email(fields["email"]) if fields["email"] else None
    if "phone" in fields:
        member.phone = normalise_phone(fields["phone"], business.address_country or "GB") if fields["phone"] else None
    if "role" in fields:
        if fields["role"] not in STAFF_ROLES:
            raise ValidationError(f"{_words('role')} must be one of: {', '.join(STAFF_ROLES)}.", param="role")
        member.role = fields["role"]
    if "bio" in fields:
        member.bio = _text(fields["bio"], "bio")
    if "avatar_url" in fields:
        member.avatar_url = _text(fields["avatar_url"], "avatar_url", 500)
    if "sort_order" in fields:
        member.sort_order = _int(fields["sort_order"], "sort_order", minimum=-SORT_ORDER_RANGE,
                                 maximum=SORT_ORDER_RANGE)
    for flag in ("is_active", "booking_emails", "daily_agenda"):
        if flag in fields:
            setattr(member, flag, _switch(fields[flag], flag))
    if "service_ids" in fields:
        # Looked up without flushing what was set above (checked, but not yet complete).
        with session.no_autoflush:
            member.services = _services_of(session, business, fields["service_ids"] or [])


def _check_roles(session: Session, business: Business, member: Staff | None, *, acting_role: str,
                 new_role: str | None = None, retiring: bool = False) -> None:
    """The dashboard's guard (setup.check_staff_change), so the API obeys it too."""
    check_staff_change(session, business, member, acting_role=acting_role, new_role=new_role, retiring=retiring)


def _services_of(session: Session, business: Business, ids: list[uuid.UUID]) -> list[Service]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = {
        s.id: s for s in session.scalars(
            select(Service).where(Service.id.in_(wanted), Service.business_id == business.id, Service.deleted_at.is_(None))
        )
    }
    for index, service_id in enumerate(wanted):
        if service_id not in found:
            raise ValidationError("No such service in this business.", param=f"service_ids[{index}]")
    return [found[i] for i in wanted]


def create_staff(session: Session, business: Business, fields: dict[str, Any], *, now: datetime | None = None,
                 acting_role: str = "owner") -> Staff:
    """acting_role is whose rights the change is made with (the dashboard account's role;
    the API acts as a manager): only an owner makes an owner (setup.check_staff_change)."""
    _required(fields, ("name",))
    _check_roles(session, business, None, acting_role=acting_role, new_role=fields.get("role"))
    now = _now(now)
    member = Staff(business_id=business.id, role="staff", is_active=True, sort_order=0, created_at=now, updated_at=now)
    member.services = []
    _apply_staff(session, business, member, fields)
    session.add(member)
    session.flush()
    return member


def update_staff(session: Session, business: Business, member: Staff, fields: dict[str, Any], *, now: datetime | None = None,
                 acting_role: str = "owner") -> Staff:
    """Also refuses to leave the business without an owner (demoting the last one),
    whichever door the change comes through. is_active only says whether the person takes
    bookings; an owner who does not still runs the business, so it is no retirement."""
    _owned(member, business, "Staff member")
    if member.deleted_at is not None:
        raise NotFound("Staff member not found.")
    new_role = fields.get("role") if isinstance(fields.get("role"), str) else None
    _check_roles(session, business, member, acting_role=acting_role, new_role=new_role)
    role_before = member.role
    _apply_staff(session, business, member, fields)
    member.updated_at = _now(now)
    session.flush()
    if member.role != role_before:
        audit.record(session, business, "account.role_changed", subject=member, now=now,
                     details={"name": member.name, "role": {"before": role_before, "after": member.role}})
    return member


def delete_staff(session: Session, business: Business, member: Staff, *, now: datetime | None = None,
                 acting_role: str = "owner") -> Staff:
    """Soft delete: no new bookings, existing ones keep their staff member. The last active
    owner cannot be deleted."""
    _owned(member, business, "Staff member")
    if member.deleted_at is None:
        _check_roles(session, business, member, acting_role=acting_role, retiring=True)
    now = _now(now)
    removing = member.deleted_at is None
    member.deleted_at = member.deleted_at or now
    member.is_active = False
    member.updated_at = now
    session.flush()
    if removing:
        audit.record(session, business, "account.removed", subject=member, now=now,
                     details={"name": member.name, "role": member.role})
    return member


# --------------------------------------------------------------------------- products

PRODUCT_FIELDS = ("name", "description", "price_cents", "category", "sku", "inventory_count", "image_url",
                  "sort_order", "is_active")


def _apply_product(product: Product, fields: dict[str, Any], now: datetime, currency: str) -> None:
    """currency: the business's (a product is sold in it; the row keeps none)."""
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown field {sorted(unknown)[0]!r}.", param=sorted(unknown)[0])
    if "name" in fields:
        product.name = _name(fields["name"])
    if "description" in fields:
        product.description = _text(fields["description"], "description")
    if "price_cents" in fields:
        product.price_cents = _int(fields["price_cents"], "price_cents", maximum=MAX_CENTS, currency=currency)
    if "category" in fields:
        product.category = _text(fields["category"], "category", 120)
    if "sku" in fields:
        product.sku = _text(fields["sku"], "sku", 64)
    if "inventory_count" in fields:
        count = fields["inventory_count"]
        product.inventory_count = None if count is None else _int(count, "inventory_count")
    if "image_url" in fields:
        product.image_url = _text(fields["image_url"], "image_url", 500)
    if "sort_order" in fields:
        product.sort_order = _int(fields["sort_order"], "sort_order", minimum=-SORT_ORDER_RANGE,
                                  maximum=SORT_ORDER_RANGE)
    if "is_active" in fields:
        product.is_active = _switch(fields["is_active"], "is_active")
        product.deactivated_at = None if product.is_active else (product.deactivated_at or now)


def create_product(session: Session, business: Business, fields: dict[str, Any], *, now: datetime | None = None) -> Product:
    _required(fields, ("name", "price_cents"))
    now = _now(now)
    product = Product(business_id=business.id, is_active=True, sort_order=0, created_at=now, updated_at=now)
    _apply_product(product, fields, now, business.currency)
    session.add(product)
    session.flush()
    return product


def update_product(session: Session, business: Business, product: Product, fields: dict[str, Any], *, now: datetime | None = None) -> Product:
    _owned(product, business, "Product")
    now = _now(now)
    _apply_product(product, fields, now, business.currency)
    product.updated_at = now
    session.flush()
    return product


def deactivate_product(session: Session, business: Business, product: Product, *, now: datetime | None = None) -> Product:
    _owned(product, business, "Product")
    now = _now(now)
    product.is_active = False
    product.deactivated_at = product.deactivated_at or now
    product.updated_at = now
    session.flush()
    return product


# --------------------------------------------------------------------------- business profile

PROFILE_FIELDS = ("name", "description", "phone", "email", "website", "address", "default_language")
ADDRESS_FIELDS = {"street": 200, "city": 100, "state": 100, "zip": 20, "country": 2}


def update_business_profile(session: Session, business: Business, fields: dict[str, Any], *, now: datetime | None = None) -> Business:
    """Change the public profile; booking settings and hours are the dashboard's business."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown field {sorted(unknown)[0]!r}.", param=sorted(unknown)[0])
    if "name" in fields:
        business.name = _name(fields["name"])
    if "description" in fields:
        business.description = _text(fields["description"], "description")
    if "website" in fields:
        website = _text(fields["website"], "website", 300)
        if website and not website.startswith(("http://", "https://")):
            raise ValidationError(f"{_words('website')} must start with http:// or https://.", param="website")
        business.website = website
    if "address" in fields:
        address = fields["address"]
        if not isinstance(address, dict):
            raise ValidationError(f"{_words('address')} must be an object of street, city, state, zip and country.",
                                  param="address")
        for key, value in address.items():
            if key not in ADDRESS_FIELDS:
                raise ValidationError(f"Unknown address field {key!r}.", param=f"address.{key}")
            text = _text(value, f"address.{key}", ADDRESS_FIELDS[key])
            if key == "country":
                if not text or len(text) != 2 or not text.isalpha():
                    raise ValidationError(f"{_words('address.country')} must be a two-letter code, such as GB.",
                                          param="address.country")
                business.address_country = text.upper()
            else:
                setattr(business, f"address_{key}", text)
    if "phone" in fields:
        business.phone = normalise_phone(fields["phone"], business.address_country or "GB") if fields["phone"] else None
    if "email" in fields:
        business.email = normalise_email(fields["email"]) if fields["email"] else None
    if "default_language" in fields:
        try:
            business.default_language = validate_language(fields["default_language"])
        except ValidationError:
            # languages.validate_language names the field by its key; here it is named as
            # the profile form names it, with the languages as an owner reads them.
            choices = ", ".join(f"{name} ({code})" for code, name in LANGUAGES.items())
            raise ValidationError(f"{_words('default_language')} must be one of: {choices}.",
                                  param="default_language") from None
    business.updated_at = _now(now)
    session.flush()
    return business


# Every field a refusal can name has its words (a missing one would be a KeyError, a 500).
assert set(SERVICE_FIELDS) | set(STAFF_FIELDS) | set(PRODUCT_FIELDS) | set(PROFILE_FIELDS) <= set(FIELD_WORDS)
assert {f"address.{key}" for key in ADDRESS_FIELDS} <= set(FIELD_WORDS)
