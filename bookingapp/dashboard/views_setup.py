"""Setup (owner and manager): the business profile and hours, booking settings, notifications
(reminder cadence, text messages, review requests), categories,
services, staff (services, working hours, time off), products, promotions and custom
booking fields.

Every change goes through domain.catalog (shared with the API) or domain.setup; this module
turns form text into plain values and domain errors back into the form, with what was
typed (422, the form partial for htmx). Retiring is soft wherever bookings refer to the thing.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Callable

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from bookingapp.auth import require
from bookingapp.dashboard import NAV, all_or_nothing, bp, is_htmx, money, now_utc, render
from bookingapp.dashboard.panels import access_context
from bookingapp.dashboard.setup_forms import (
    CADENCE_ROWS, FormErrors, Spec, cadence_rows, display, field_of, parse, parse_cadence, parse_week, typed,
    week_values,
)
from bookingapp.domain.languages import LANGUAGES
from bookingapp.domain import catalog
from bookingapp.domain import setup as setup_domain
from bookingapp.domain.errors import DomainError
from bookingapp.extensions import db
from bookingapp.models import Product, Service, ServiceCategory, Staff, TimeOff
from bookingapp.models.business import ASSIGNMENT_POLICIES, DEPOSIT_POLICIES
from bookingapp.models.custom_field import CUSTOM_FIELD_TYPES, CustomFieldDefinition
from bookingapp.models.payment import Promotion
from bookingapp.models.staff import STAFF_ROLES

NAV.append(("dashboard.setup", "Setup", "setup"))

PAGES = [("business", "Business & hours"), ("booking", "Booking settings"), ("notifications", "Notifications"),
         ("services", "Services"), ("staff", "Staff"), ("products", "Products"), ("promotions", "Promotions"),
         ("fields", "Booking fields")]


def _business():
    return current_user.business


def _done(message: str, target: str):
    """After a successful change: back to the section's page, which shows the new state."""
    flash(message, "success")
    if is_htmx():
        return "", 204, {"HX-Redirect": target}
    return redirect(target, code=303)


# --------------------------------------------------------------------------- business, hours, booking settings

PROFILE_SPECS = [
    Spec("name", "Business name", required=True),
    Spec("slug", "Public address (slug)", help="Your booking page is /<slug>. Changing it breaks old links."),
    Spec("description", "Description", "textarea"),
    Spec("email", "Email", "email"),
    Spec("phone", "Phone"),
    Spec("website", "Website", "url"),
    Spec("address_street", "Street"),
    Spec("address_city", "City"),
    Spec("address_zip", "Postcode"),
    Spec("address_country", "Country (two letters)"),
    Spec("default_language", "Customer pages' language", "select", choices=list(LANGUAGES.items()),
         help="For visitors whose browser asks for none of these; the dashboard stays English."),
]

BOOKING_SPECS = [
    Spec("slot_interval_minutes", "Slot interval (minutes)", "int", help="Start times are offered every this many minutes."),
    Spec("min_notice_minutes", "Minimum notice (minutes)", "int", help="How soon before the start online booking closes."),
    Spec("max_advance_days", "Booking window (days ahead)", "int"),
    Spec("hold_seconds", "Hold length (minutes)", "minutes", help="How long a chosen time is kept while the customer pays."),
    Spec("auto_confirm", "Confirm bookings automatically", "bool"),
    Spec("deposit_policy", "Deposit policy", "select", choices=[
        ("service_deposit", "Each service's deposit"), ("full_prepayment", "Full prepayment"), ("none", "Nothing online")]),
    Spec("free_cancellation_hours", "Free cancellation window (hours)", "int"),
    Spec("early_start_minutes", "Early start allowed (minutes)", "int",
         help="How long before its start a visit may be started (0-1440); complete and no-show only once it has started."),
    Spec("assignment_policy", "When the customer picks anyone", "select", choices=[
        ("balanced", "Balance the load"), ("random", "Random"), ("fixed_order", "Staff list order")]),
]
_BOOKING_SPEC = {spec.name: spec for spec in BOOKING_SPECS}
assert {c for c, _ in _BOOKING_SPEC["deposit_policy"].options(None)} == set(DEPOSIT_POLICIES)
assert {c for c, _ in _BOOKING_SPEC["assignment_policy"].options(None)} == set(ASSIGNMENT_POLICIES)
assert set(_BOOKING_SPEC) == set(setup_domain.SETTING_FIELDS)  # the form edits every setting the domain has


def _form_ctx(form_id: str, action: str, specs, values, errors=None, *, submit="Save", error=None, title=None, **extra):
    return {"form": {"id": form_id, "action": action, "specs": specs, "values": values, "errors": errors or {},
                     "submit": submit, "error": error, "title": title, **extra}}


def _business_page(*, profile=None, hours=None, status=200, partial="dashboard/_setup_form.html"):
    business = _business()
    profile = profile or _form_ctx("profile-form", url_for("dashboard.setup_business"), PROFILE_SPECS,
                                   display(PROFILE_SPECS, business, business), title="Profile")["form"]
    hours = hours or {"id": "hours-form", "action": url_for("dashboard.setup_hours"), "title": "Opening hours",
                      "values": week_values(business.hours, "opens_at", "closes_at"), "errors": {}, "error": None,
                      "help": "Two windows a day allow a lunch closure. A day left empty is closed."}
    form = profile if partial == "dashboard/_setup_form.html" else hours
    return render(partial, "dashboard/setup_business.html", status=status, business=business, current_page="business",
                  pages=PAGES, profile=profile, hours=hours, form=form)


@bp.get("/setup")
@require("setup")
def setup():
    return redirect(url_for("dashboard.setup_business"))


@bp.route("/setup/business", methods=["GET", "POST"])
@require("setup")
def setup_business():
    business = _business()
    if request.method == "GET":
        return _business_page()
    form_ctx = _form_ctx("profile-form", url_for("dashboard.setup_business"), PROFILE_SPECS,
                         typed(PROFILE_SPECS, request.form), title="Profile")["form"]
    try:
        with all_or_nothing():
            values = parse(PROFILE_SPECS, request.form, business)
            address = {key: values.pop(f"address_{key}") for key in ("street", "city", "zip", "country")}
            slug = values.pop("slug")
            if not values["default_language"]:
                values.pop("default_language")  # a form without the field leaves the language as it is
            catalog.update_business_profile(db.session, business, {**values, "address": address}, now=now_utc())
            if slug != business.slug:
                setup_domain.change_slug(db.session, business, slug, now=now_utc())
    except FormErrors as errors:
        form_ctx["errors"] = errors.errors
        return _business_page(profile=form_ctx, status=422)
    except DomainError as error:
        _place_error(form_ctx, error, PROFILE_SPECS)
        return _business_page(profile=form_ctx, status=422)
    return _done("Profile saved.", url_for("dashboard.setup_business"))


def _place_error(form_ctx: dict, error: DomainError, specs) -> None:
    name = field_of(error.param, specs)
    if name:
        form_ctx["errors"] = {**form_ctx["errors"], name: error.message}
    else:
        form_ctx["error"] = error.message


@bp.post("/setup/business/hours")
@require("setup")
def setup_hours():
    business = _business()
    hours = {"id": "hours-form", "action": url_for("dashboard.setup_hours"), "title": "Opening hours",
             "values": dict(request.form), "errors": {}, "error": None}
    week, errors = parse_week(request.form)
    if not errors:
        try:
            with all_or_nothing():
                setup_domain.set_business_hours(db.session, business, week, now=now_utc())
        except DomainError as error:
            errors = {(error.param or "").split(".")[-1]: error.message}
    if errors:
        hours["errors"] = errors
        return _business_page(hours=hours, status=422, partial="dashboard/_week_form.html")
    return _done("Opening hours saved.", url_for("dashboard.setup_business"))


@bp.route("/setup/booking", methods=["GET", "POST"])
@require("setup")
def setup_booking():
    business = _business()
    action = url_for("dashboard.setup_booking")
    if request.method == "GET":
        ctx = _form_ctx("booking-settings-form", action, BOOKING_SPECS, display(BOOKING_SPECS, business, business),
                        title="Booking settings")
        return render("dashboard/_setup_form.html", "dashboard/setup_page.html", business=business, current_page="booking",
                      pages=PAGES, **ctx)
    ctx = _form_ctx("booking-settings-form", action, BOOKING_SPECS, typed(BOOKING_SPECS, request.form),
                    title="Booking settings")
    try:
        with all_or_nothing():
            setup_domain.update_booking_settings(db.session, business, parse(BOOKING_SPECS, request.form, business),
                                                 now=now_utc())
    except FormErrors as errors:
        ctx["form"]["errors"] = errors.errors
    except DomainError as error:
        _place_error(ctx["form"], error, BOOKING_SPECS)
    else:
        return _done("Booking settings saved.", action)
    return render("dashboard/_setup_form.html", "dashboard/setup_page.html", status=422, business=business,
                  current_page="booking", pages=PAGES, **ctx)


# --------------------------------------------------------------------------- notifications

NOTIFICATION_SPECS = [
    Spec("sms_notifications", "Also text customers their confirmations, moves and cancellations", "bool",
         help="To customers who gave a phone number. Reminders go by text only where a reminder above says so."),
    Spec("review_requests", "Ask for a review after each completed visit", "bool"),
]


def _notification_form(*, rows=None, values=None, cadence_error=None, error=None) -> dict:
    business = _business()
    rows = cadence_rows(business.reminder_cadence) if rows is None else rows
    if len(rows) < CADENCE_ROWS:
        rows = [*rows, {"hours": "", "email": False, "sms": False, "error": None}]
    return {"id": "notification-form", "action": url_for("dashboard.setup_notifications"), "title": "Notifications",
            "rows": rows, "specs": NOTIFICATION_SPECS,
            "values": values if values is not None else display(NOTIFICATION_SPECS, business, business),
            "cadence_error": cadence_error, "error": error}


def _notifications_page(form: dict, status: int = 200):
    return render("dashboard/_notification_form.html", "dashboard/setup_notifications.html", status=status,
                  business=_business(), current_page="notifications", pages=PAGES, form=form)


@bp.route("/setup/notifications", methods=["GET", "POST"])
@require("setup")
def setup_notifications():
    if request.method == "GET":
        return _notifications_page(_notification_form())
    steps, rows, wrong = parse_cadence(request.form)
    values = typed(NOTIFICATION_SPECS, request.form)
    form = _notification_form(rows=rows, values=values)
    if wrong:
        return _notifications_page(form, status=422)
    try:
        with all_or_nothing():
            setup_domain.update_notification_settings(db.session, _business(), {
                "reminder_cadence": steps, "sms_notifications": values["sms_notifications"],
                "review_requests": values["review_requests"]}, now=now_utc())
    except DomainError as error:
        # domain.reminders.clean_cadence says what is wrong with the cadence as a whole
        # (param reminder_cadence): shown above its rows, which keep what was typed.
        form["cadence_error" if (error.param or "").startswith("reminder_cadence") else "error"] = error.message
        return _notifications_page(form, status=422)
    return _done("Notification settings saved.", url_for("dashboard.setup_notifications"))


# --------------------------------------------------------------------------- the catalogue-like sections


def _category_choices(business) -> list[tuple[str, str]]:
    rows = db.session.scalars(select(ServiceCategory).where(
        ServiceCategory.business_id == business.id, ServiceCategory.deleted_at.is_(None)
    ).order_by(ServiceCategory.sort_order, ServiceCategory.name))
    return [("", "No category")] + [(str(c.id), c.name) for c in rows]


def _service_choices(business) -> list[tuple[str, str]]:
    rows = db.session.scalars(select(Service).where(
        Service.business_id == business.id, Service.deleted_at.is_(None)
    ).order_by(Service.sort_order, Service.name))
    return [(str(s.id), s.name) for s in rows]


@dataclass
class Section:
    key: str
    title: str
    noun: str
    model: type
    specs: list[Spec]
    listing: Callable[[Any], Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    retire: Callable[..., Any]
    retire_label: str
    is_retired: Callable[[Any], bool]
    summary: Callable[[Any], str]

    def edit_specs(self) -> list[Spec]:
        return [spec for spec in self.specs if not spec.create_only]


def _listing(model, *order, retired=None):
    def run(business):
        query = select(model).where(model.business_id == business.id)
        if retired is not None:
            # Retired things stay listed (greyed) below the live ones.
            query = query.order_by(retired.is_not(None), *order)
        else:
            query = query.order_by(model.is_active.is_(False), *order)
        return db.session.scalars(query).all()
    return run


def _money(cents, business) -> str:
    return money(cents, business.currency)


def _staff_update(session, business, member, fields, *, now):
    setup_domain.check_staff_change(session, business, member, acting_role=current_user.role,
                                    new_role=fields.get("role"))
    return catalog.update_staff(session, business, member, fields, now=now)


def _staff_create(session, business, fields, *, now):
    setup_domain.check_staff_change(session, business, None, acting_role=current_user.role, new_role=fields.get("role"))
    return catalog.create_staff(session, business, fields, now=now)


def _staff_retire(session, business, member, *, now):
    setup_domain.check_staff_change(session, business, member, acting_role=current_user.role, retiring=True)
    return catalog.delete_staff(session, business, member, now=now)


SECTIONS: dict[str, Section] = {
    "categories": Section(
        "categories", "Service categories", "category", ServiceCategory,
        [Spec("name", "Name", required=True), Spec("sort_order", "Position", "int")],
        _listing(ServiceCategory, ServiceCategory.sort_order, ServiceCategory.name, retired=ServiceCategory.deleted_at),
        lambda s, b, f, now: setup_domain.create_category(s, b, f["name"], f["sort_order"], now=now),
        lambda s, b, o, f, now: setup_domain.update_category(s, b, o, f["name"], f["sort_order"], now=now),
        lambda s, b, o, now: setup_domain.delete_category(s, b, o, now=now),
        "Delete", lambda c: c.deleted_at is not None, lambda c: "",
    ),
    "services": Section(
        "services", "Services", "service", Service,
        [Spec("name", "Name", required=True), Spec("category_id", "Category", "uuid_select", choices=_category_choices),
         Spec("description", "Description", "textarea"), Spec("duration_minutes", "Duration (minutes)", "int"),
         Spec("price_cents", "Price", "money"), Spec("deposit_cents", "Deposit", "money"),
         Spec("buffer_before_minutes", "Buffer before (minutes)", "int"),
         Spec("buffer_minutes", "Buffer after (minutes)", "int", attr="buffer_after_minutes"),
         Spec("sort_order", "Position", "int"), Spec("is_active", "Offered for booking", "bool")],
        _listing(Service, Service.sort_order, Service.name, retired=Service.deleted_at),
        catalog.create_service, catalog.update_service, catalog.delete_service,
        "Delete", lambda s: s.deleted_at is not None,
        lambda s: f"{s.duration_minutes} min · {_money(s.price_cents, current_user.business)}"
                  + (f" · {s.category.name}" if s.category and s.category.deleted_at is None else "")
                  + ("" if s.is_active else " · not offered"),
    ),
    "staff": Section(
        "staff", "Staff", "staff member", Staff,
        [Spec("name", "Name", required=True), Spec("email", "Email", "email"), Spec("phone", "Phone"),
         Spec("role", "Role", "select", choices=[(r, r.replace("_", " ")) for r in STAFF_ROLES],
              help="The role of their dashboard account, if they have one."),
         Spec("bio", "Bio", "textarea"), Spec("sort_order", "Position", "int"),
         Spec("is_active", "Takes bookings", "bool"),
         Spec("service_ids", "Services performed", "multi_uuid", choices=_service_choices, attr="services"),
         Spec("booking_emails", "Email me about my bookings", "bool",
              help="Each new booking, cancellation and move of theirs, to the email above."),
         Spec("daily_agenda", "Send me my agenda each morning", "bool")],
        _listing(Staff, Staff.sort_order, Staff.name, retired=Staff.deleted_at),
        _staff_create, _staff_update, _staff_retire,
        "Remove", lambda m: m.deleted_at is not None,
        lambda m: f"{m.role.replace('_', ' ')} · {len([s for s in m.services if s.deleted_at is None])} services"
                  + ("" if m.is_active else " · not taking bookings"),
    ),
    "products": Section(
        "products", "Products", "product", Product,
        [Spec("name", "Name", required=True), Spec("description", "Description", "textarea"),
         Spec("price_cents", "Price", "money"), Spec("category", "Category"), Spec("sku", "SKU"),
         Spec("inventory_count", "In stock", "optint", help="Leave empty if you do not track stock."),
         Spec("sort_order", "Position", "int"), Spec("is_active", "On sale", "bool")],
        _listing(Product, Product.sort_order, Product.name),
        catalog.create_product, catalog.update_product, catalog.deactivate_product,
        "Deactivate", lambda p: not p.is_active,
        lambda p: _money(p.price_cents, current_user.business)
                  + ("" if p.inventory_count is None else f" · {p.inventory_count} in stock"),
    ),
    "promotions": Section(
        "promotions", "Promotions", "promotion", Promotion,
        [Spec("code", "Code", required=True), Spec("description", "Description", "textarea"),
         Spec("kind", "Kind", "select", choices=[("percent", "Percent off"), ("fixed", "Amount off")]),
         Spec("percent_off", "Percent off", "optint"), Spec("amount_off_cents", "Amount off", "optmoney"),
         Spec("valid_from", "Valid from", "datetime"), Spec("valid_until", "Valid until", "datetime"),
         Spec("max_uses", "Maximum uses", "optint", help="Counted when a booking is paid or confirmed."),
         Spec("is_active", "Active", "bool")],
        _listing(Promotion, Promotion.code),
        setup_domain.create_promotion, setup_domain.update_promotion, setup_domain.deactivate_promotion,
        "Deactivate", lambda p: not p.is_active,
        lambda p: (f"{p.percent_off}% off" if p.kind == "percent" else f"{_money(p.amount_off_cents, current_user.business)} off")
                  + (f" · up to {p.max_uses} uses" if p.max_uses else ""),
    ),
    "fields": Section(
        "fields", "Custom booking fields", "field", CustomFieldDefinition,
        [Spec("key", "Key", create_only=True, help="Stored with each answer; cannot change later."),
         Spec("label", "Question", required=True),
         Spec("field_type", "Type", "select", choices=[(t, t) for t in CUSTOM_FIELD_TYPES]),
         Spec("options", "Choices (one per line, for a choice field)", "lines"),
         Spec("help_text", "Help text"), Spec("required", "Required", "bool"),
         Spec("sort_order", "Position", "int"), Spec("is_active", "Asked", "bool")],
        _listing(CustomFieldDefinition, CustomFieldDefinition.sort_order, CustomFieldDefinition.label),
        setup_domain.create_custom_field, setup_domain.update_custom_field, setup_domain.retire_custom_field,
        "Retire", lambda d: not d.is_active,
        lambda d: f"{d.field_type}{' · required' if d.required else ''} · key {d.key}",
    ),
}
PAGE_OF_SECTION = {"categories": "services"}
NEW_DEFAULTS = {"is_active": True, "sort_order": "0", "duration_minutes": "60", "deposit_cents": "0",
                "buffer_before_minutes": "0", "buffer_minutes": "0", "role": "staff", "kind": "percent",
                "field_type": "text", "booking_emails": True}


def _section(key: str) -> Section:
    section = SECTIONS.get(key)
    if section is None:
        abort(404)
    return section


def _item(section: Section, item_id: uuid.UUID):
    item = db.session.get(section.model, item_id)
    if item is None or item.business_id != current_user.business_id:
        abort(404)
    return item


def _new_form(section: Section, values=None, errors=None, error=None) -> dict:
    return _form_ctx(f"new-{section.key}-form", url_for("dashboard.setup_create", section=section.key), section.specs,
                     values if values is not None else dict(NEW_DEFAULTS), errors, submit=f"Add {section.noun}",
                     error=error, title=f"Add a {section.noun}")["form"]


def _list_page(section: Section, *, new_form: dict | None = None, status: int = 200):
    business = _business()
    page = PAGE_OF_SECTION.get(section.key, section.key)
    shown = [section] + ([SECTIONS["categories"]] if section.key == "services" else [])
    if section.key == "categories":
        shown = [SECTIONS["services"], section]
    blocks = []
    for s in shown:
        blocks.append({"section": s, "items": s.listing(business),
                       "form": new_form if (new_form and s is section) else _new_form(s)})
    form = new_form or blocks[0]["form"]
    return render("dashboard/_setup_form.html", "dashboard/setup_list.html", status=status, business=business,
                  current_page=page, pages=PAGES, blocks=blocks, form=form)


@bp.get("/setup/<section>")
@require("setup")
def setup_list(section):
    return _list_page(_section(section))


def _save(section: Section, specs, run, form_ctx: dict, respond_error):
    business = _business()
    try:
        with all_or_nothing():
            fields = parse(specs, request.form, business)
            result = run(business, fields)
    except FormErrors as errors:
        form_ctx["errors"] = errors.errors
        return respond_error(form_ctx)
    except DomainError as error:
        _place_error(form_ctx, error, specs)
        return respond_error(form_ctx)
    return result


@bp.post("/setup/<section>")
@require("setup")
def setup_create(section):
    section = _section(section)
    form_ctx = _new_form(section, values=typed(section.specs, request.form))

    def run(business, fields):
        item = section.create(db.session, business, fields, now=now_utc())
        return item

    result = _save(section, section.specs, run, form_ctx, lambda ctx: _list_page(section, new_form=ctx, status=422))
    if isinstance(result, tuple):
        return result
    target = (url_for("dashboard.setup_edit", section="staff", item_id=result.id) if section.key == "staff"
              else url_for("dashboard.setup_list", section=section.key))
    return _done(f"{section.noun.capitalize()} added.", target)


def _edit_page(section: Section, item, *, form: dict | None = None, status: int = 200, partial=None,
               partial_form: dict | None = None, **extra):
    """The edit page; `form` is the details form, `partial_form` what an htmx answer re-renders
    when it is another form of the page (time off)."""
    business = _business()
    form = form or _form_ctx(f"edit-{section.key}-form", url_for("dashboard.setup_update", section=section.key, item_id=item.id),
                             section.edit_specs(), display(section.edit_specs(), item, business),
                             title=f"Edit {section.noun}")["form"]
    context = {}
    if section.key == "staff":
        context = _staff_extras(item, **extra)
    return render(partial or "dashboard/_setup_form.html", "dashboard/setup_edit.html", status=status, business=business,
                  current_page=PAGE_OF_SECTION.get(section.key, section.key), pages=PAGES, section=section, item=item,
                  form=partial_form or form, edit_form=form, **context)


@bp.get("/setup/<section>/<uuid:item_id>")
@require("setup")
def setup_edit(section, item_id):
    section = _section(section)
    return _edit_page(section, _item(section, item_id))


@bp.post("/setup/<section>/<uuid:item_id>")
@require("setup")
def setup_update(section, item_id):
    section = _section(section)
    item = _item(section, item_id)
    specs = section.edit_specs()
    form_ctx = _form_ctx(f"edit-{section.key}-form", url_for("dashboard.setup_update", section=section.key, item_id=item.id),
                         specs, typed(specs, request.form), title=f"Edit {section.noun}")["form"]
    result = _save(section, specs, lambda business, fields: section.update(db.session, business, item, fields, now=now_utc()),
                   form_ctx, lambda ctx: _edit_page(section, _item(section, item_id), form=ctx, status=422))
    if isinstance(result, tuple):
        return result
    return _done(f"{section.noun.capitalize()} saved.", url_for("dashboard.setup_edit", section=section.key, item_id=item.id))


@bp.post("/setup/<section>/<uuid:item_id>/retire")
@require("setup")
def setup_retire(section, item_id):
    section = _section(section)
    item = _item(section, item_id)
    try:
        # The savepoint matters here: the refusal is answered with a redirect (204/303), which
        # the unit of work commits, so whatever the refused retire wrote must be undone first.
        with all_or_nothing():
            section.retire(db.session, _business(), item, now=now_utc())
    except DomainError as error:
        flash(error.message, "error")
        target = url_for("dashboard.setup_edit", section=section.key, item_id=item_id)
        # The reason is shown on the page it lands on (htmx follows HX-Redirect on a 204 only).
        return ("", 204, {"HX-Redirect": target}) if is_htmx() else redirect(target, code=303)
    return _done(f"{section.noun.capitalize()} {section.retire_label.lower()}d: past bookings keep it.",
                 url_for("dashboard.setup_list", section=section.key))


# --------------------------------------------------------------------------- staff: hours and time off

TIME_OFF_SPECS = [Spec("starts_at", "From", "datetime", required=True), Spec("ends_at", "Until", "datetime", required=True),
                  Spec("reason", "Reason")]


def _staff_extras(member: Staff, *, hours=None, time_off_form=None, access=None) -> dict:
    hours = hours or {"id": "staff-hours-form", "title": "Working hours",
                      "action": url_for("dashboard.setup_staff_hours", item_id=member.id),
                      "values": week_values(member.hours, "starts_at", "ends_at"), "errors": {}, "error": None,
                      "help": "Leave every day empty to work the business's opening hours."}
    time_off_form = time_off_form or _form_ctx(
        "time-off-form", url_for("dashboard.setup_time_off", item_id=member.id), TIME_OFF_SPECS, {},
        submit="Add time off", title="Add time off")["form"]
    time_off = db.session.scalars(select(TimeOff).where(
        TimeOff.staff_id == member.id, TimeOff.ends_at > now_utc()).order_by(TimeOff.starts_at)).all()
    return {"hours": hours, "time_off_form": time_off_form, "time_off": time_off,
            "upcoming": setup_domain.upcoming_bookings_of(db.session, member, now=now_utc()),
            "access": access or access_context(member)}


def _staff(item_id) -> Staff:
    member = _item(SECTIONS["staff"], item_id)
    if member.deleted_at is not None:
        abort(404)
    return member


@bp.post("/setup/staff/<uuid:item_id>/hours")
@require("setup")
def setup_staff_hours(item_id):
    member = _staff(item_id)
    week, errors = parse_week(request.form)
    if not errors:
        try:
            with all_or_nothing():
                setup_domain.set_staff_hours(db.session, _business(), member, week, now=now_utc())
        except DomainError as error:
            errors = {(error.param or "").split(".")[-1]: error.message}
    if errors:
        member = _staff(item_id)
        hours = {"id": "staff-hours-form", "title": "Working hours", "values": dict(request.form), "errors": errors,
                 "error": None, "action": url_for("dashboard.setup_staff_hours", item_id=member.id)}
        return _edit_page(SECTIONS["staff"], member, status=422, partial="dashboard/_week_form.html", hours=hours)
    return _done("Working hours saved.", url_for("dashboard.setup_edit", section="staff", item_id=member.id))


@bp.post("/setup/staff/<uuid:item_id>/time-off")
@require("setup")
def setup_time_off(item_id):
    member = _staff(item_id)
    business = _business()
    form_ctx = _form_ctx("time-off-form", url_for("dashboard.setup_time_off", item_id=member.id), TIME_OFF_SPECS,
                         typed(TIME_OFF_SPECS, request.form), submit="Add time off", title="Add time off")["form"]
    try:
        with all_or_nothing():
            values = parse(TIME_OFF_SPECS, request.form, business)
            time_off = setup_domain.add_time_off(db.session, business, member, values["starts_at"],
                                                 values["ends_at"], values["reason"], now=now_utc())
            clashes = setup_domain.bookings_clashing_with(db.session, time_off)
    except FormErrors as errors:
        form_ctx["errors"] = errors.errors
    except DomainError as error:
        _place_error(form_ctx, error, TIME_OFF_SPECS)
    else:
        if clashes:
            numbers = ", ".join(b.booking_number for b in clashes)
            flash(f"Time off added. These bookings fall inside it and still stand: {numbers}. Move or cancel them.", "warning")
            target = url_for("dashboard.setup_edit", section="staff", item_id=member.id)
            return ("", 204, {"HX-Redirect": target}) if is_htmx() else redirect(target, code=303)
        return _done("Time off added.", url_for("dashboard.setup_edit", section="staff", item_id=member.id))
    return _edit_page(SECTIONS["staff"], _staff(item_id), status=422, partial="dashboard/_setup_form.html",
                      partial_form=form_ctx, time_off_form=form_ctx)


@bp.post("/setup/staff/<uuid:item_id>/time-off/<uuid:time_off_id>/delete")
@require("setup")
def setup_time_off_delete(item_id, time_off_id):
    member = _staff(item_id)
    time_off = db.session.get(TimeOff, time_off_id)
    if time_off is None or time_off.staff_id != member.id:
        abort(404)
    setup_domain.remove_time_off(db.session, _business(), time_off)
    return _done("Time off removed.", url_for("dashboard.setup_edit", section="staff", item_id=member.id))
