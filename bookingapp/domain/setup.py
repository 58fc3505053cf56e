"""The setup rules catalog.py does not cover yet: booking settings, the slug, opening and
working hours, time off, service categories, promotions, custom booking fields, and the
replay of a webhook delivery.

Same conventions as catalog.py (whose create/update/delete functions the dashboard calls
directly for services, staff, products and the profile): plain values in, ValidationError
with the offending `param` out, flush but never commit. Retiring is soft wherever a past
booking can refer to the thing (categories via services, promotions via redemptions,
custom fields via the answers stored on bookings)."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, time, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bookingapp.domain.errors import NotFound, ValidationError
from bookingapp.domain.slugs import validate_slug
from bookingapp.domain.reminders import clean_cadence
from bookingapp.domain.states import ACTIVE_STATUSES
from bookingapp.models import Booking, Business, BusinessHours, ServiceCategory, Staff, StaffHours, TimeOff
from bookingapp.models.api import WebhookDelivery, WebhookEndpoint
from bookingapp.models.business import ASSIGNMENT_POLICIES, DEPOSIT_POLICIES
from bookingapp.models.custom_field import CUSTOM_FIELD_TYPES, CustomFieldDefinition
from bookingapp.models.payment import Promotion
from bookingapp.domain.clock import resolve_now as _now

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WeeklyHours = dict[int, list[tuple[time, time]]]


def _owned(obj, business: Business, what: str):
    if obj is None or obj.business_id != business.id:
        raise NotFound(f"{what} not found.")
    return obj


def _int(value: Any, param: str, minimum: int, maximum: int, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{label} must be a whole number.", param=param)
    if not minimum <= value <= maximum:
        raise ValidationError(f"{label} must be between {minimum} and {maximum}.", param=param)
    return value


def _position(value: Any) -> int:
    """A place in a list (a category's, a custom field's), refused in the words and limits
    the catalogue's own lists are ("The position must be between -1,000,000 and 1,000,000."),
    so the Position field reads the same on every setup form. Imported here, not above:
    domain.catalog imports this module."""
    from bookingapp.domain.catalog import SORT_ORDER_RANGE, _int as catalog_int

    return catalog_int(value, "sort_order", minimum=-SORT_ORDER_RANGE, maximum=SORT_ORDER_RANGE)


def _text(value: Any, param: str, max_length: int, label: str, *, required: bool = False) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{label} must be text.", param=param)
    # Short values are one line (names, labels); long ones (descriptions) keep their newlines.
    value = " ".join((value or "").split()) if max_length <= 300 else (value or "").strip()
    if required and not value:
        raise ValidationError(f"{label} is required.", param=param)
    if len(value) > max_length:
        raise ValidationError(f"{label} is too long ({max_length} characters at most).", param=param)
    return value or None


def _bool(value: Any, param: str, label: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{label} must be true or false.", param=param)
    return value


# --------------------------------------------------------------------------- booking settings

# field -> (label, minimum, maximum): wide enough for any real business, narrow enough that a
# typo (a notice of 90,000 minutes) is caught.
SETTING_RANGES = {
    "slot_interval_minutes": ("Slot interval", 5, 240),
    "min_notice_minutes": ("Minimum notice", 0, 60 * 24 * 30),
    "max_advance_days": ("Booking window", 1, 730),
    "hold_seconds": ("Hold length", 60, 60 * 60),
    "free_cancellation_hours": ("Free cancellation window", 0, 24 * 30),
    "early_start_minutes": ("Early start allowed", 0, 24 * 60),
}
SETTING_FIELDS = (*SETTING_RANGES, "auto_confirm", "deposit_policy", "assignment_policy")


def update_booking_settings(session: Session, business: Business, fields: dict[str, Any], *,
                            now: datetime | None = None) -> Business:
    unknown = set(fields) - set(SETTING_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown field {sorted(unknown)[0]!r}.", param=sorted(unknown)[0])
    for name, (label, low, high) in SETTING_RANGES.items():
        if name in fields:
            setattr(business, name, _int(fields[name], name, low, high, label))
    if "auto_confirm" in fields:
        business.auto_confirm = _bool(fields["auto_confirm"], "auto_confirm", "Auto-confirm")
    if "deposit_policy" in fields:
        if fields["deposit_policy"] not in DEPOSIT_POLICIES:
            raise ValidationError(f"Deposit policy must be one of: {', '.join(DEPOSIT_POLICIES)}.", param="deposit_policy")
        business.deposit_policy = fields["deposit_policy"]
    if "assignment_policy" in fields:
        if fields["assignment_policy"] not in ASSIGNMENT_POLICIES:
            raise ValidationError(f"Assignment policy must be one of: {', '.join(ASSIGNMENT_POLICIES)}.",
                                  param="assignment_policy")
        business.assignment_policy = fields["assignment_policy"]
    business.updated_at = _now(now)
    session.flush()
    return business


NOTIFICATION_FIELDS = ("reminder_cadence", "sms_notifications", "review_requests")


def update_notification_settings(session: Session, business: Business, fields: dict[str, Any], *,
                                 now: datetime | None = None) -> Business:
    """The reminder cadence, text messages for booking changes, and review requests. Every
    field is checked before any is set, so a refused change leaves all of them as they were."""
    unknown = set(fields) - set(NOTIFICATION_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown field {sorted(unknown)[0]!r}.", param=sorted(unknown)[0])
    cadence = clean_cadence(fields["reminder_cadence"]) if "reminder_cadence" in fields else None
    flags = {name: _bool(fields[name], name, label) for name, label in
             (("sms_notifications", "Text messages"), ("review_requests", "Review requests")) if name in fields}
    if cadence is not None:
        business.reminder_cadence = cadence
    for name, value in flags.items():
        setattr(business, name, value)
    business.updated_at = _now(now)
    session.flush()
    return business


def change_slug(session: Session, business: Business, raw: Any, *, now: datetime | None = None) -> Business:
    """Rename the public address. Checked only when it changes (an existing slug made before a
    word became reserved keeps working); taken slugs are refused here and by the unique key."""
    slug = validate_slug(raw if isinstance(raw, str) else None)
    if slug == business.slug:
        return business
    taken = session.scalar(select(Business.id).where(Business.slug == slug, Business.id != business.id))
    if taken is not None:
        raise ValidationError(f"“{slug}” is already taken; choose another slug.", param="slug")
    business.slug = slug
    business.updated_at = _now(now)
    session.flush()
    return business


# --------------------------------------------------------------------------- weekly hours


def _clean_weekly(windows: WeeklyHours, param: str) -> list[tuple[int, time, time]]:
    rows = []
    for weekday, day_windows in sorted(windows.items()):
        if weekday not in range(7):
            raise ValidationError("Weekday must be 0 (Monday) to 6 (Sunday).", param=param)
        ordered = sorted(day_windows)
        for index, (starts, ends) in enumerate(ordered):
            if not isinstance(starts, time) or not isinstance(ends, time):
                raise ValidationError(f"{WEEKDAYS[weekday]}: give both times.", param=f"{param}.{weekday}")
            if starts >= ends:
                raise ValidationError(f"{WEEKDAYS[weekday]}: {starts:%H:%M} must be before {ends:%H:%M}.",
                                      param=f"{param}.{weekday}")
            if index and ordered[index - 1][1] > starts:
                raise ValidationError(f"{WEEKDAYS[weekday]}: the windows overlap.", param=f"{param}.{weekday}")
            rows.append((weekday, starts, ends))
    return rows


def set_business_hours(session: Session, business: Business, windows: WeeklyHours, *,
                       now: datetime | None = None) -> Business:
    """Replace the weekly opening hours; a weekday without windows is closed."""
    rows = _clean_weekly(windows, "hours")
    business.hours.clear()
    session.flush()
    for weekday, opens, closes in rows:
        business.hours.append(BusinessHours(weekday=weekday, opens_at=opens, closes_at=closes))
    business.updated_at = _now(now)
    session.flush()
    return business


def set_staff_hours(session: Session, business: Business, member: Staff, windows: WeeklyHours, *,
                    now: datetime | None = None) -> Staff:
    """Replace a staff member's working hours (at the primary location: their hours at
    other locations are domain.locations.set_staff_hours_at's). No windows at all means
    they work the business's opening hours (the availability engine's rule)."""
    _owned(member, business, "Staff member")
    rows = _clean_weekly(windows, "hours")
    for row in [row for row in member.hours if row.location_id is None]:
        member.hours.remove(row)
    session.flush()
    for weekday, starts, ends in rows:
        member.hours.append(StaffHours(weekday=weekday, starts_at=starts, ends_at=ends))
    member.updated_at = _now(now)
    session.flush()
    return member


# --------------------------------------------------------------------------- time off


def add_time_off(session: Session, business: Business, member: Staff | None, starts_at: Any, ends_at: Any,
                 reason: Any = None, *, now: datetime | None = None) -> TimeOff:
    """Block time for one staff member (or, with member None, close the whole business).
    Bookings already made in that time stay: the owner moves them deliberately."""
    if member is not None:
        _owned(member, business, "Staff member")
        if member.deleted_at is not None:
            raise NotFound("Staff member not found.")
    for param, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValidationError("Give a date and time.", param=param)
    if starts_at >= ends_at:
        raise ValidationError("The end must be after the start.", param="ends_at")
    if (ends_at - starts_at).days > 366:
        raise ValidationError("Time off is limited to a year at a time.", param="ends_at")
    time_off = TimeOff(business_id=business.id, staff_id=member.id if member else None,
                       starts_at=starts_at.astimezone(timezone.utc), ends_at=ends_at.astimezone(timezone.utc),
                       reason=_text(reason, "reason", 200, "Reason"), created_at=_now(now), updated_at=_now(now))
    session.add(time_off)
    session.flush()
    return time_off


def remove_time_off(session: Session, business: Business, time_off: TimeOff) -> None:
    """Hard delete: nothing refers to time off, and the freed time simply becomes bookable."""
    _owned(time_off, business, "Time off")
    session.delete(time_off)
    session.flush()


def bookings_clashing_with(session: Session, time_off: TimeOff) -> list[Booking]:
    """Live bookings inside a staff member's new time off, so the owner can move them."""
    query = select(Booking).where(
        Booking.business_id == time_off.business_id, Booking.status.in_(ACTIVE_STATUSES),
        Booking.starts_at < time_off.ends_at, Booking.ends_at > time_off.starts_at,
    )
    if time_off.staff_id is not None:
        query = query.where(Booking.staff_id == time_off.staff_id)
    return list(session.scalars(query.order_by(Booking.starts_at)))


def upcoming_bookings_of(session: Session, member: Staff, *, now: datetime | None = None) -> int:
    """Live bookings still ahead for a staff member (shown before retiring them)."""
    return session.scalar(select(func.count(Booking.id)).where(
        Booking.staff_id == member.id, Booking.status.in_(ACTIVE_STATUSES), Booking.starts_at >= _now(now),
    )) or 0


# --------------------------------------------------------------------------- categories


def _category_name(session: Session, business: Business, name: Any, exclude: uuid.UUID | None = None) -> str:
    name = _text(name, "name", 120, "Name", required=True)
    clash = select(ServiceCategory.id).where(
        ServiceCategory.business_id == business.id, ServiceCategory.deleted_at.is_(None),
        func.lower(ServiceCategory.name) == name.lower(),
    )
    if exclude is not None:
        clash = clash.where(ServiceCategory.id != exclude)
    if session.scalar(clash) is not None:
        raise ValidationError(f"There is already a category called “{name}”.", param="name")
    return name


def create_category(session: Session, business: Business, name: Any, sort_order: Any = 0, *,
                    now: datetime | None = None) -> ServiceCategory:
    category = ServiceCategory(business_id=business.id, name=_category_name(session, business, name),
                               sort_order=_position(sort_order),
                               created_at=_now(now), updated_at=_now(now))
    session.add(category)
    session.flush()
    return category


def update_category(session: Session, business: Business, category: ServiceCategory, name: Any, sort_order: Any, *,
                    now: datetime | None = None) -> ServiceCategory:
    _owned(category, business, "Category")
    if category.deleted_at is not None:
        raise NotFound("Category not found.")
    category.name = _category_name(session, business, name, exclude=category.id)
    category.sort_order = _position(sort_order)
    category.updated_at = _now(now)
    session.flush()
    return category


def delete_category(session: Session, business: Business, category: ServiceCategory, *,
                    now: datetime | None = None) -> ServiceCategory:
    """Soft delete. Its services stay where they are (and keep their bookings); they are
    shown as uncategorised until moved."""
    _owned(category, business, "Category")
    category.deleted_at = category.deleted_at or _now(now)
    session.flush()
    return category


# --------------------------------------------------------------------------- promotions

PROMOTION_FIELDS = ("code", "description", "kind", "percent_off", "amount_off_cents", "valid_from", "valid_until",
                    "max_uses", "is_active")
_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")


def _apply_promotion(session: Session, business: Business, promotion: Promotion, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(PROMOTION_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown field {sorted(unknown)[0]!r}.", param=sorted(unknown)[0])
    if "code" in fields:
        code = (fields["code"] or "").strip().upper() if isinstance(fields["code"], str) else ""
        if not _CODE_RE.match(code):
            raise ValidationError("Code: 2 to 40 letters, digits, hyphens or underscores.", param="code")
        clash = session.scalar(select(Promotion.id).where(Promotion.business_id == business.id, Promotion.code == code,
                                                          Promotion.id != promotion.id))
        if clash is not None:
            raise ValidationError(f"The code {code} is already in use.", param="code")
        promotion.code = code
    if "description" in fields:
        promotion.description = _text(fields["description"], "description", 2000, "Description")
    if "kind" in fields:
        if fields["kind"] not in ("percent", "fixed"):
            raise ValidationError("Kind must be percent or fixed.", param="kind")
        promotion.kind = fields["kind"]
    if "percent_off" in fields:
        promotion.percent_off = fields["percent_off"]
    if "amount_off_cents" in fields:
        promotion.amount_off_cents = fields["amount_off_cents"]
    # Only the amount that matches the kind is kept (the table's CHECK insists on it).
    if promotion.kind == "percent":
        if promotion.percent_off is None:
            raise ValidationError("Give the percentage off.", param="percent_off")
        promotion.percent_off = _int(promotion.percent_off, "percent_off", 1, 100, "Percent off")
        promotion.amount_off_cents = None
    else:
        if promotion.amount_off_cents is None:
            raise ValidationError("Give the amount off.", param="amount_off_cents")
        promotion.amount_off_cents = _int(promotion.amount_off_cents, "amount_off_cents", 1, 100_000_000, "Amount off")
        promotion.percent_off = None
    for param in ("valid_from", "valid_until"):
        if param in fields:
            value = fields[param]
            if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
                raise ValidationError("Give a date and time.", param=param)
            setattr(promotion, param, value)
    if promotion.valid_from and promotion.valid_until and promotion.valid_from >= promotion.valid_until:
        raise ValidationError("“Valid until” must be after “valid from”.", param="valid_until")
    if "max_uses" in fields:
        promotion.max_uses = None if fields["max_uses"] is None else _int(fields["max_uses"], "max_uses", 1, 1_000_000, "Maximum uses")
    if "is_active" in fields:
        promotion.is_active = _bool(fields["is_active"], "is_active", "Active")


def create_promotion(session: Session, business: Business, fields: dict[str, Any], *, now: datetime | None = None) -> Promotion:
    for required in ("code", "kind"):
        if not fields.get(required):
            raise ValidationError(f"{required.title()} is required.", param=required)
    promotion = Promotion(business_id=business.id, is_active=True, created_at=_now(now), updated_at=_now(now))
    _apply_promotion(session, business, promotion, fields)
    session.add(promotion)
    session.flush()
    return promotion


def update_promotion(session: Session, business: Business, promotion: Promotion, fields: dict[str, Any], *,
                     now: datetime | None = None) -> Promotion:
    _owned(promotion, business, "Promotion")
    _apply_promotion(session, business, promotion, fields)
    promotion.updated_at = _now(now)
    session.flush()
    return promotion


def deactivate_promotion(session: Session, business: Business, promotion: Promotion, *,
                         now: datetime | None = None) -> Promotion:
    """Soft: bookings that used the code keep their redemption; the code stops working."""
    _owned(promotion, business, "Promotion")
    promotion.is_active = False
    promotion.updated_at = _now(now)
    session.flush()
    return promotion


# --------------------------------------------------------------------------- custom booking fields

CUSTOM_FIELD_FIELDS = ("key", "label", "field_type", "required", "options", "help_text", "sort_order", "is_active")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


def _apply_custom_field(session: Session, business: Business, definition: CustomFieldDefinition,
                        fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(CUSTOM_FIELD_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown field {sorted(unknown)[0]!r}.", param=sorted(unknown)[0])
    if "key" in fields:
        key = fields["key"].strip().lower() if isinstance(fields["key"], str) else ""
        if definition.key is not None and key != definition.key:
            # Answers on past bookings are stored under the key: renaming it would orphan them.
            raise ValidationError("The key cannot change once answers may be stored under it; "
                                  "retire this field and add a new one.", param="key")
        if not _KEY_RE.match(key):
            raise ValidationError("Key: lower-case letters, digits and underscores, starting with a letter.", param="key")
        clash = session.scalar(select(CustomFieldDefinition.id).where(
            CustomFieldDefinition.business_id == business.id, CustomFieldDefinition.key == key,
            CustomFieldDefinition.id != definition.id))
        if clash is not None:
            raise ValidationError(f"A field with the key {key} already exists (perhaps retired).", param="key")
        definition.key = key
    if "label" in fields:
        definition.label = _text(fields["label"], "label", 200, "Label", required=True)
    if "field_type" in fields:
        if fields["field_type"] not in CUSTOM_FIELD_TYPES:
            raise ValidationError(f"Type must be one of: {', '.join(CUSTOM_FIELD_TYPES)}.", param="field_type")
        definition.field_type = fields["field_type"]
    if "options" in fields:
        options = fields["options"] or []
        if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            raise ValidationError("Options must be a list of text.", param="options")
        options = list(dict.fromkeys(" ".join(o.split()) for o in options if o.strip()))
        if any(len(o) > 200 for o in options) or len(options) > 50:
            raise ValidationError("At most 50 options of 200 characters each.", param="options")
        definition.options = options
    if definition.field_type == "select" and len(definition.options or []) < 2:
        raise ValidationError("A choice field needs at least two options.", param="options")
    if definition.field_type != "select":
        definition.options = []
    if "required" in fields:
        definition.required = _bool(fields["required"], "required", "Required")
    if "help_text" in fields:
        definition.help_text = _text(fields["help_text"], "help_text", 300, "Help text")
    if "sort_order" in fields:
        definition.sort_order = _position(fields["sort_order"])
    if "is_active" in fields:
        definition.is_active = _bool(fields["is_active"], "is_active", "Active")


def create_custom_field(session: Session, business: Business, fields: dict[str, Any], *,
                        now: datetime | None = None) -> CustomFieldDefinition:
    for required in ("key", "label"):
        if not fields.get(required):
            raise ValidationError(f"{required.title()} is required.", param=required)
    definition = CustomFieldDefinition(business_id=business.id, field_type="text", required=False, options=[],
                                       sort_order=0, is_active=True, created_at=_now(now), updated_at=_now(now))
    _apply_custom_field(session, business, definition, fields)
    session.add(definition)
    session.flush()
    return definition


def update_custom_field(session: Session, business: Business, definition: CustomFieldDefinition,
                        fields: dict[str, Any], *, now: datetime | None = None) -> CustomFieldDefinition:
    _owned(definition, business, "Custom field")
    _apply_custom_field(session, business, definition, fields)
    definition.updated_at = _now(now)
    session.flush()
    return definition


def retire_custom_field(session: Session, business: Business, definition: CustomFieldDefinition, *,
                        now: datetime | None = None) -> CustomFieldDefinition:
    """No longer asked; the answers already on bookings stay as they were given."""
    _owned(definition, business, "Custom field")
    definition.is_active = False
    definition.updated_at = _now(now)
    session.flush()
    return definition


# --------------------------------------------------------------------------- webhook replay


def replay_delivery(session: Session, business: Business, delivery: WebhookDelivery, *,
                    now: datetime | None = None) -> WebhookDelivery:
    """Send a delivery again, as the same event (same id, so receivers can de-duplicate).

    notifications.webhooks has no replay yet, so it lives here. The row is put back to
    pending and due now, and its retry window starts again from the replay; the worker
    then sends it exactly as a first delivery (signing, backoff, disabling)."""
    if delivery is None:
        raise NotFound("Delivery not found.")
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or endpoint.business_id != business.id or endpoint.deleted_at is not None:
        raise NotFound("Delivery not found.")
    if delivery.status == "pending":
        raise ValidationError("This delivery is still pending; the worker will send it.", param="delivery_id")
    if not endpoint.is_active and delivery.topic != "webhook.test":
        raise ValidationError("This endpoint is disabled after repeated failures; send a test event to check it, "
                              "then add it again to resume deliveries.", param="delivery_id")
    now = _now(now)
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.created_at = now
    delivery.error = None
    delivery.delivered_at = None
    session.flush()
    return delivery


# --------------------------------------------------------------------------- roles


def check_staff_change(session: Session, business: Business, member: Staff | None, *, acting_role: str,
                       new_role: str | None = None, retiring: bool = False) -> None:
    """Who may change whom. The staff role is the dashboard account's role, so setup is where
    permissions are granted: only an owner makes or unmakes an owner, and a business always
    keeps at least one active owner (or nobody could manage it)."""
    touches_owner = new_role == "owner" or (member is not None and member.role == "owner"
                                            and (retiring or (new_role is not None and new_role != "owner")))
    if touches_owner and acting_role != "owner":
        raise ValidationError("Only an owner can give or take away the owner role.", param="role")
    if member is not None and member.role == "owner" and (retiring or (new_role and new_role != "owner")):
        owners = session.scalar(select(func.count(Staff.id)).where(
            Staff.business_id == business.id, Staff.role == "owner", Staff.deleted_at.is_(None),
            Staff.id != member.id)) or 0
        if owners == 0:
            raise ValidationError("The business needs at least one owner; make someone else owner first.", param="role")


# --------------------------------------------------------------------------- API keys


def create_named_api_key(session: Session, business: Business, *, name: Any, mode: Any, scope: Any):
    """api.keys.create_api_key with the name checked first (it stores what it is given) and
    the scope required: a person making a key says what it may do (no default), and
    anything but read, bookings, catalog or full is a ValidationError naming `scope`.
    Returns (key row, the secret), the secret to be shown once and never again."""
    from bookingapp.api.keys import create_api_key
    from bookingapp.api.scopes import ensure_scope

    name = _text(name, "name", 120, "Name", required=True)
    return create_api_key(session, business, mode=mode if isinstance(mode, str) else "", name=name,
                          scope=ensure_scope(scope))
