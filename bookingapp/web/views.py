"""The public booking site: a business's page and the booking wizard, and the customer's
manage link.

Every step has its own URL (Back, Reload and shared links work) and works as a plain
full-page GET/POST; with htmx the same URLs answer with the step's partial (`_thing.html`,
root id "step"), 422 with the form partial on form errors, and `Vary: HX-Request`.
Views only translate HTTP to the domain and back: hold, book, find_availability,
find_or_create_customer, reschedule and cancel are the same functions the API calls.
One commit per request, here.
"""
from __future__ import annotations

import calendar
import uuid
from datetime import date, datetime, timedelta, timezone
from itertools import groupby
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import clock
from bookingapp.domain import manage as manage_domain
from bookingapp.domain import payments as payments_domain
from bookingapp.domain.availability import find_availability, local_date_of
from bookingapp.domain.custom_fields import active_definitions, attach_details
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.domain.errors import DomainError, HoldExpired, SlotNotOffered, SlotUnavailable
from bookingapp.domain.ics import booking_ics
from bookingapp.domain.money import format_money
from bookingapp.domain.reviews import can_review, leave_review, rating_summary, recent_reviews, review_of
from bookingapp.domain.slugs import is_reserved_slug
from bookingapp.extensions import db
from bookingapp.models import Booking, Business, Service, ServiceCategory, Staff
from bookingapp.web import checkout_bridge
from bookingapp.web.emails import ensure_confirmation_email
from bookingapp.web.emails import ics_url as _ics_url
from bookingapp.web.emails import manage_url as _manage_url
from bookingapp.web.forms import CUSTOM_PREFIX, ActionForm, DetailsForm, ReviewForm
from bookingapp.web.links import manage_token, read_manage_token, read_wizard_token, wizard_token

bp = Blueprint("web", __name__)

ANYONE = "any"
# Notices the time step shows when the wizard sends a customer back to it.
TIME_NOTICES = ("expired", "released", "refunded_time_taken", "refunded_not_bookable")


def _now() -> datetime:
    return clock.now()


# --------------------------------------------------------------------------- rendering


def _wants_partial() -> bool:
    # A history restore after a cache miss needs the whole page, not a fragment.
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def _render(name: str, *, status: int = 200, push_url: str | None = None, **context) -> Response:
    """The full page `web/<name>.html` or, for htmx, its partial `web/_<name>.html`."""
    template = f"web/_{name}.html" if _wants_partial() else f"web/{name}.html"
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    if push_url and _wants_partial():
        # Error answers to a POST keep the address bar on the step's own GET URL.
        response.headers["HX-Push-Url"] = push_url
    return response


def _see_other(url: str) -> Response:
    response = redirect(url, code=303)
    response.vary.add("HX-Request")
    return response


@bp.errorhandler(CSRFError)
def csrf_refused(error):
    # For htmx the partial, which the htmx config swaps in on a 400, so a stale token
    # shows a message instead of a button that silently does nothing.
    return _render("csrf_error", status=400, reason=error.description)


@bp.app_template_filter("price")
def price_filter(cents: int | None, currency: str = "GBP") -> str:
    return format_money(cents or 0, currency)


@bp.app_template_filter("local")
def local_filter(instant: datetime | None, tz: str, fmt: str = "%H:%M") -> str:
    if instant is None:
        return ""
    return instant.astimezone(ZoneInfo(tz)).strftime(fmt)


@bp.app_template_filter("utc_iso")
def utc_iso_filter(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- loading


def _business(slug: str) -> Business:
    if is_reserved_slug(slug):
        abort(404)
    business = db.session.scalars(
        select(Business).where(Business.slug == slug, Business.is_active.is_(True))
    ).one_or_none()
    if business is None:
        abort(404)
    return business


def _demo_business() -> Business | None:
    from bookingapp.demo import DEMO_SLUG

    businesses = db.session.scalars(
        select(Business).where(Business.is_active.is_(True)).order_by(Business.created_at)
    ).all()
    for business in businesses:
        if business.slug == DEMO_SLUG:
            return business
    return businesses[0] if businesses else None


def _bookable_services(business: Business) -> list[Service]:
    return list(db.session.scalars(
        select(Service)
        .where(Service.business_id == business.id, Service.is_active.is_(True), Service.deleted_at.is_(None))
        .order_by(Service.sort_order, Service.name)
    ))


def _service(business: Business, service_id: str) -> Service:
    try:
        wanted = uuid.UUID(service_id)
    except ValueError:
        abort(404)
    service = db.session.get(Service, wanted)
    if service is None or service.business_id != business.id or not service.is_bookable:
        abort(404)
    return service


def _staff_for(service: Service) -> list[Staff]:
    return list(db.session.scalars(
        select(Staff)
        .where(
            Staff.business_id == service.business_id, Staff.is_active.is_(True), Staff.deleted_at.is_(None),
            Staff.services.any(Service.id == service.id),
        )
        .order_by(Staff.sort_order, Staff.name)
    ))


def _who(service: Service, who: str) -> Staff | None:
    """None for "anyone available"; a staff member who performs the service; else 404."""
    if who == ANYONE:
        return None
    try:
        wanted = uuid.UUID(who)
    except ValueError:
        abort(404)
    for member in _staff_for(service):
        if member.id == wanted:
            return member
    abort(404)


def _grouped(business: Business, services: list[Service]) -> list[tuple[str, list[Service]]]:
    categories = {
        c.id: c for c in db.session.scalars(
            select(ServiceCategory).where(ServiceCategory.business_id == business.id, ServiceCategory.deleted_at.is_(None))
        )
    }

    def key(service: Service):
        category = categories.get(service.category_id)
        return (category.sort_order if category else 10_000, category.name if category else "Other services")

    ordered = sorted(services, key=lambda s: (*key(s), s.sort_order, s.name))
    return [(name, list(items)) for (_, name), items in groupby(ordered, key=key)]


# --------------------------------------------------------------------------- the business page


def _landing(business: Business | None) -> Response:
    if business is None:
        return _render("no_business")
    services = _bookable_services(business)
    performers = [member for member in db.session.scalars(
        select(Staff).where(
            Staff.business_id == business.id, Staff.is_active.is_(True), Staff.deleted_at.is_(None),
        ).order_by(Staff.sort_order, Staff.name)
    ) if member.services]
    average, review_count = rating_summary(db.session, business)
    hours = {day: [] for day in range(7)}
    for window in business.hours:
        hours[window.weekday].append(window)
    return _render(
        "landing", business=business, groups=_grouped(business, services), staff=performers,
        rating=average, review_count=review_count, reviews=recent_reviews(db.session, business),
        hours=hours, day_names=list(calendar.day_name),
    )


@bp.get("/")
def index():
    return _landing(_demo_business())


@bp.get("/<slug>")
def landing(slug: str):
    return _landing(_business(slug))


# --------------------------------------------------------------------------- steps 1 and 2


@bp.get("/<slug>/book")
def choose_service(slug: str):
    business = _business(slug)
    return _render("service", business=business, groups=_grouped(business, _bookable_services(business)), step=1)


@bp.get("/<slug>/book/<service_id>")
def choose_staff(slug: str, service_id: str):
    business = _business(slug)
    service = _service(business, service_id)
    return _render("staff", business=business, service=service, staff=_staff_for(service), step=2)


# --------------------------------------------------------------------------- steps 3 and 4


def _parse_month(raw: str | None, fallback: date) -> date:
    try:
        year, month = (int(part) for part in (raw or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return fallback.replace(day=1)


def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _time_context(
    business: Business, service: Service, staff: Staff | None, *, now: datetime,
    month: str | None, day: str | None, exclude: tuple[uuid.UUID, ...] = (),
) -> dict:
    """The month calendar (days with no free slot disabled) and one day's free slots,
    all from one call to the availability engine."""
    tz = ZoneInfo(business.timezone)
    today = now.astimezone(tz).date()
    horizon = today + timedelta(days=business.max_advance_days)
    chosen_day = _parse_day(day)
    first_of_month = _parse_month(month, chosen_day or today)
    first_of_month = max(first_of_month, today.replace(day=1))
    first_of_month = min(first_of_month, horizon.replace(day=1))

    def days_with_slots(first_of: date):
        last_of = first_of.replace(day=calendar.monthrange(first_of.year, first_of.month)[1])
        first, last = max(first_of, today), min(last_of, horizon)
        if first > last:
            return {}
        availability = find_availability(
            db.session, business, service, first, last, now=now,
            staff_id=staff.id if staff else None, exclude_booking_ids=exclude,
        )
        return {d: slots for d, slots in availability.days.items() if slots}

    free = days_with_slots(first_of_month)
    if not free and month is None and chosen_day is None and first_of_month < horizon.replace(day=1):
        # Nothing left this month: open the calendar on the next one rather than a blank page.
        nxt = (first_of_month + timedelta(days=32)).replace(day=1)
        free, first_of_month = days_with_slots(nxt), nxt
    if chosen_day is None or chosen_day not in free:
        in_month = chosen_day is not None and (chosen_day.year, chosen_day.month) == (first_of_month.year, first_of_month.month)
        if not in_month:
            chosen_day = min(free) if free else None
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first_of_month.year, first_of_month.month)
    prev_month = (first_of_month - timedelta(days=1)).replace(day=1)
    next_month = (first_of_month + timedelta(days=32)).replace(day=1)
    return dict(
        month=first_of_month, weeks=weeks, free_days=set(free), day=chosen_day,
        slots=free.get(chosen_day, []) if chosen_day else [],
        prev_month=prev_month if prev_month >= today.replace(day=1) else None,
        next_month=next_month if next_month <= horizon else None,
        today=today, tz=business.timezone,
    )


def _time_urls(business: Business, service: Service, who: str):
    def at(**params):
        return url_for("web.choose_time", slug=business.slug, service_id=service.id, who=who, **params)
    return at


def _refunded_on(business: Business, ref: str | None) -> tuple[int, str] | None:
    """(cents, currency) refunded automatically on the wizard booking a signed `ref`
    names: the notice's amount is read from our records, never from the URL."""
    found = read_wizard_token(ref or "")
    booking = db.session.get(Booking, found[0]) if found else None
    if booking is None or booking.business_id != business.id:
        return None
    cents = manage_domain.refunded_because_not_booked(db.session, booking)
    return (cents, booking.currency) if cents else None


def _render_time(business, service, staff, who, *, status=200, notice=None, day=None, month=None, push_url=None):
    context = _time_context(
        business, service, staff, now=_now(),
        month=month if month is not None else request.args.get("month"),
        day=day if day is not None else request.args.get("day"),
    )
    if notice is None and request.args.get("notice") in TIME_NOTICES:
        notice = request.args["notice"]
    refunded = _refunded_on(business, request.args.get("ref")) if notice and notice.startswith("refunded_") else None
    partial_slots = request.headers.get("HX-Target") == "slots" and _wants_partial()
    return _render(
        "slots" if partial_slots else "time", status=status, push_url=push_url,
        business=business, service=service, staff=staff, who=who, step=3, notice=notice, refunded=refunded,
        time_url=_time_urls(business, service, who), form=ActionForm(), **context,
    )


@bp.route("/<slug>/book/<service_id>/<who>", methods=["GET", "POST"])
def choose_time(slug: str, service_id: str, who: str):
    """Step 3 (GET: calendar and slots) and step 4 (POST: hold the chosen slot at once)."""
    business = _business(slug)
    service = _service(business, service_id)
    staff = _who(service, who)
    if request.method == "GET":
        return _render_time(business, service, staff, who)

    here = _time_urls(business, service, who)()
    form = ActionForm()
    form.validate_on_submit()
    raw_start = request.form.get("start", "")
    try:
        start = datetime.fromisoformat(raw_start)
        if start.tzinfo is None:
            raise ValueError
    except ValueError:
        return _render_time(business, service, staff, who, status=422, notice="bad_time", push_url=here)
    day = _local_day(start, business)
    try:
        held = booking_ops.hold(db.session, business, service, start, staff=staff, now=_now(), source="web")
        db.session.commit()
    except SlotNotOffered:
        # Never one of the times shown (off the grid, past, too far ahead): a bad request.
        db.session.rollback()
        return _render_time(business, service, staff, who, status=422, notice="not_offered", push_url=here)
    except SlotUnavailable:
        db.session.rollback()
        return _render_time(
            business, service, staff, who, status=409, notice="just_taken", day=day, month=day[:7] if day else None,
            push_url=here + (f"?day={day}" if day else ""),
        )
    except DomainError as error:
        db.session.rollback()
        return _render_time(business, service, staff, who, status=422, notice=error.message, day=day, push_url=here)
    return _see_other(url_for("web.details", slug=business.slug, token=wizard_token(held.id, who)))


# --------------------------------------------------------------------------- the booking in progress


def _local_day(start: datetime, business: Business) -> str | None:
    """The business's local date of a start time, or None for one at the very edge of
    the calendar (9999-12-31T23:59Z in a zone east of UTC has no local date)."""
    try:
        return local_date_of(start, business).isoformat()
    except OverflowError:
        return None


def _wizard_booking(business: Business, token: str) -> tuple[Booking, str]:
    found = read_wizard_token(token)
    if found is None:
        abort(404)
    booking_id, who = found
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.business_id != business.id:
        abort(404)
    return booking, who


def _back_to_time(business: Business, booking: Booking, who: str, notice: str, token: str | None = None) -> Response:
    """The time step for the same service and staff choice, with a notice saying why."""
    day = local_date_of(booking.starts_at, business).isoformat()
    refund_notice = manage_domain.refund_notice(db.session, booking)
    if refund_notice and token:
        # A payment came in for this booking and was refunded: say so, whatever else happened.
        notice = refund_notice
    extra = {"ref": token} if notice.startswith("refunded_") else {}
    return _see_other(url_for(
        "web.choose_time", slug=business.slug, service_id=booking.service_id, who=who, day=day, notice=notice, **extra,
    ))


def _route_by_status(business: Business, booking: Booking, who: str, token: str, *, here: str) -> Response | None:
    """Send the customer to the step the booking is really at (a reload, an old tab)."""
    now = _now()
    if manage_domain.is_booked(booking) or booking.status == "rescheduled":
        return None if here == "done" else _see_other(url_for("web.done", slug=business.slug, token=token))
    if manage_domain.hold_ran_out(booking, now) and not payments_domain.payment_may_still_arrive(db.session, booking):
        return _back_to_time(business, booking, who, "expired", token)
    if booking.status == "cancelled":
        return _back_to_time(business, booking, who, "released", token)
    if here == "done":
        return _see_other(url_for("web.details", slug=business.slug, token=token))
    return None


def _details_form(business: Business, booking: Booking, *, saved: bool = False) -> DetailsForm:
    """The details form: as saved on the booking (`saved`, a GET) or as posted."""
    definitions = active_definitions(db.session, business)
    if saved and booking.customer is not None:
        # Back from the payment step: what was saved, the promotion code included (a
        # blank field would otherwise remove the code on Continue).
        form = DetailsForm(
            definitions=definitions, country=business.address_country, formdata=None,
            data={"name": booking.customer.name, "email": booking.customer.email,
                  "phone": booking.customer.phone or "", "notes": booking.notes or "",
                  "promo_code": checkout_bridge.applied_code(db.session, booking)},
        )
        form.custom_raw = dict(booking.custom_fields or {})
        return form
    form = DetailsForm(definitions=definitions, country=business.address_country)
    if request.method == "POST":
        form.read_custom(request.form)
    return form


def _typed_quote(business: Business, booking: Booking, code: str | None):
    """(the price with the code typed, None) or, for a code that cannot be used,
    (the price as saved, the reason)."""
    try:
        return checkout_bridge.quote(db.session, booking, business, code), None
    except DomainError as error:
        return checkout_bridge.saved_quote(db.session, booking, business), error.message


def _render_details(business, booking, who, token, form, *, status=200, quote=None, promo_error=None):
    if quote is None:
        quote, _ = _typed_quote(business, booking, form.promo_code.data)
    return _render(
        "details", status=status, business=business, booking=booking, who=who, token=token, form=form,
        step=5, quote=quote,
        promo_error=promo_error, custom_prefix=CUSTOM_PREFIX, release_form=ActionForm(),
        push_url=url_for("web.details", slug=business.slug, token=token),
    )


@bp.route("/<slug>/booking/<token>/details", methods=["GET", "POST"])
def details(slug: str, token: str):
    """Step 5: who is coming. Then step 6 (payment) or straight to booked when nothing is
    due up front."""
    business = _business(slug)
    booking, who = _wizard_booking(business, token)
    elsewhere = _route_by_status(business, booking, who, token, here="details")
    if elsewhere is not None:
        return elsewhere
    if request.method == "GET":
        return _render_details(business, booking, who, token, _details_form(business, booking, saved=True))

    form = _details_form(business, booking)
    applying = request.form.get("action") == "apply_promo"
    # "Apply" checks the code only (CSRF is checked for every POST by CSRFProtect): the
    # rest of the form may still be half filled in and must not shout about it.
    form_ok = applying or form.validate_on_submit()
    details_ok = applying or form.validate_details()
    quote, promo_error = _typed_quote(business, booking, form.promo_code.data)
    if promo_error:
        form.promo_code.errors = [promo_error]
    if applying:
        # Only the price shown changes; nothing is saved until the customer continues.
        return _render_details(business, booking, who, token, form, status=422 if promo_error else 200,
                               quote=quote, promo_error=promo_error)
    if not (form_ok and details_ok) or promo_error:
        return _render_details(business, booking, who, token, form, status=422, quote=quote, promo_error=promo_error)

    now = _now()
    try:
        customer = find_or_create_customer(
            db.session, business, email=form.clean["email"], name=form.clean["name"], phone=form.phone.data,
        )
        attach_details(db.session, booking, customer=customer, notes=form.notes.data,
                       custom_values=form.clean["custom_fields"])
        checkout_bridge.change_promotion(db.session, booking, business, form.promo_code.data, now=now)
        if manage_domain.is_booked(booking):
            # A payment page opened earlier turned out paid, and has booked it just now.
            ensure_confirmation_email(db.session, booking, business, now=now)
            db.session.commit()
            return _see_other(url_for("web.done", slug=business.slug, token=token))
        if checkout_bridge.amount_due_now(booking, business) > 0:
            db.session.commit()
            return _see_other(url_for("web.payment", slug=business.slug, token=token))
        booking_ops.book(db.session, booking, business, customer=customer, now=now)
        ensure_confirmation_email(db.session, booking, business, now=now)
        db.session.commit()
    except HoldExpired:
        db.session.rollback()
        return _back_to_time(business, booking, who, "expired", token)
    except DomainError as error:
        db.session.rollback()
        booking = db.session.get(Booking, booking.id)
        field = getattr(form, error.param or "", None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [error.message]
        else:
            form.form_errors.append(error.message)
        return _render_details(business, booking, who, token, form, status=422)
    return _see_other(url_for("web.done", slug=business.slug, token=token))


@bp.post("/<slug>/booking/<token>/release")
def release(slug: str, token: str):
    """"Change time": give the held slot back at once instead of letting it run out."""
    business = _business(slug)
    booking, who = _wizard_booking(business, token)
    if booking.status == "held":
        booking_ops.cancel(db.session, booking, reason="customer chose another time", now=_now())
        db.session.commit()
    return _back_to_time(business, booking, who, "released", token)


@bp.route("/<slug>/booking/<token>/payment", methods=["GET", "POST"])
def payment(slug: str, token: str):
    """Step 6: pay what is due up front through the configured provider."""
    business = _business(slug)
    booking, who = _wizard_booking(business, token)
    elsewhere = _route_by_status(business, booking, who, token, here="payment")
    if elsewhere is not None:
        return elsewhere
    if booking.customer is None:
        return _see_other(url_for("web.details", slug=business.slug, token=token))
    if request.method == "GET":
        return _render_payment(business, booking, token, who, outcome=request.args.get("outcome"))
    form = ActionForm()
    if not form.validate_on_submit():
        return _render_payment(business, booking, token, who, status=422, form=form)
    return_url = url_for("web.payment_return", slug=business.slug, token=token, _external=True)
    try:
        redirect_url = checkout_bridge.start_checkout(db.session, booking, business, return_url=return_url, now=_now())
        db.session.commit()
    except HoldExpired:
        db.session.rollback()
        return _back_to_time(business, booking, who, "expired", token)
    except DomainError as error:
        # The provider unreachable (503) or nothing to pay (422): say so on this step;
        # nothing was changed and the time stays held.
        db.session.rollback()
        booking = db.session.get(Booking, booking.id)
        return _render_payment(business, booking, token, who, error=error)
    response = _see_other(redirect_url)
    if _wants_partial():
        # Leaving the site (Stripe) needs a real navigation, not a fragment swap.
        response = make_response("", 204)
        response.headers["HX-Redirect"] = redirect_url
    return response


def _render_payment(business, booking, token, who, *, status=200, form=None, outcome=None, error=None):
    """Step 6. `error` (a DomainError) is shown at the top: 503 when the payment provider
    could not be reached (try again in a moment), 422 otherwise."""
    if error is not None:
        status = 503 if isinstance(error, payments_domain.PaymentUnavailable) else 422
    return _render(
        "payment", status=status, business=business, booking=booking, token=token, who=who, step=6,
        due=checkout_bridge.amount_due_now(booking, business), form=form or ActionForm(), outcome=outcome,
        error=error.message if error is not None else None,
        push_url=url_for("web.payment", slug=business.slug, token=token),
    )


@bp.get("/<slug>/booking/<token>/payment/return")
def payment_return(slug: str, token: str):
    """Where the provider sends the customer back: booked, back to step 6 to retry, or
    to the time step when the payment had to be refunded (the time was taken)."""
    business = _business(slug)
    booking, who = _wizard_booking(business, token)
    now = _now()
    try:
        outcome = checkout_bridge.finish_return(db.session, booking, business, request.args, now=now)
    except DomainError as error:
        db.session.rollback()
        booking = db.session.get(Booking, booking.id)
        return _render_payment(business, booking, token, who, error=error)
    if manage_domain.is_booked(booking):
        ensure_confirmation_email(db.session, booking, business, now=now)
        db.session.commit()
        return _see_other(url_for("web.done", slug=business.slug, token=token))
    db.session.commit()
    if outcome in ("refunded_time_taken", "refunded_not_bookable"):
        return _back_to_time(business, booking, who, outcome, token)
    if manage_domain.hold_ran_out(booking, now) and not payments_domain.payment_may_still_arrive(db.session, booking):
        return _back_to_time(business, booking, who, "expired", token)
    return _see_other(url_for("web.payment", slug=business.slug, token=token, outcome=outcome or "declined"))


@bp.get("/<slug>/booking/<token>/done")
def done(slug: str, token: str):
    """Step 7: booked."""
    business = _business(slug)
    booking, who = _wizard_booking(business, token)
    elsewhere = _route_by_status(business, booking, who, token, here="done")
    if elsewhere is not None:
        return elsewhere
    if booking.status == "rescheduled" and booking.rescheduled_to_id:
        return _see_other(url_for("web.manage", slug=business.slug, token=manage_token(booking.rescheduled_to_id)))
    return _render(
        "done", business=business, booking=booking, step=7, money=checkout_bridge.money_summary(db.session, booking, business),
        manage_url=_manage_url(business, booking), ics_url=_ics_url(business, booking),
    )


# --------------------------------------------------------------------------- the manage link


def _managed_booking(business: Business, token: str) -> Booking:
    booking_id = read_manage_token(token)
    booking = db.session.get(Booking, booking_id) if booking_id else None
    if booking is None or booking.business_id != business.id or booking.status in ("held", "expired"):
        abort(404)
    return booking


def _render_manage(business, booking, token, *, status=200, review_form=None, notice=None, error=None):
    now = _now()
    changeable = manage_domain.customer_may_change(booking, now)
    return _render(
        "manage", status=status, business=business, booking=booking, token=token, changeable=changeable,
        cancel_terms=checkout_bridge.cancel_terms(db.session, booking, business, now=now) if changeable else None,
        money=checkout_bridge.money_summary(db.session, booking, business),
        review=review_of(db.session, booking), can_review=can_review(db.session, booking),
        review_form=review_form or ReviewForm(), form=ActionForm(),
        notice=notice or request.args.get("notice"), error=error,
        moved_to=manage_token(booking.rescheduled_to_id) if booking.rescheduled_to_id else None,
        ics_url=_ics_url(business, booking), push_url=url_for("web.manage", slug=business.slug, token=token),
    )


@bp.get("/<slug>/manage/<token>")
def manage(slug: str, token: str):
    business = _business(slug)
    return _render_manage(business, _managed_booking(business, token), token)


@bp.get("/<slug>/manage/<token>/booking.ics")
def booking_calendar(slug: str, token: str):
    business = _business(slug)
    booking = _managed_booking(business, token)
    body = booking_ics(booking, business, now=_now(), manage_url=_manage_url(business, booking))
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{booking.booking_number}.ics"'
    return response


@bp.post("/<slug>/manage/<token>/cancel")
def cancel(slug: str, token: str):
    business = _business(slug)
    booking = _managed_booking(business, token)
    ActionForm().validate_on_submit()
    try:
        checkout_bridge.cancel_booking(db.session, booking, business, now=_now())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        booking = db.session.get(Booking, booking.id)
        return _render_manage(business, booking, token, status=422, error=error.message)
    return _see_other(url_for("web.manage", slug=business.slug, token=token, notice="cancelled"))


@bp.route("/<slug>/manage/<token>/reschedule", methods=["GET", "POST"])
def reschedule(slug: str, token: str):
    """The same calendar and slots as steps 3 and 4, for the booking's own staff member;
    the booking's own time counts as free so it can move by a quarter of an hour."""
    business = _business(slug)
    booking = _managed_booking(business, token)
    here = url_for("web.reschedule", slug=business.slug, token=token)
    if not manage_domain.customer_may_change(booking, _now()):
        if request.method == "POST":
            try:
                manage_domain.ensure_customer_may_change(booking, _now(), action="move")
            except DomainError as error:
                return _render_manage(business, booking, token, status=422, error=error.message)
        return _see_other(url_for("web.manage", slug=business.slug, token=token))
    service, staff = booking.service, booking.staff
    notice, status, day, month = None, 200, request.args.get("day"), request.args.get("month")
    if request.method == "POST":
        ActionForm().validate_on_submit()
        try:
            start = datetime.fromisoformat(request.form.get("start", ""))
            if start.tzinfo is None:
                raise ValueError
        except ValueError:
            start = None
            notice, status = "bad_time", 422
        if start is not None:
            day = _local_day(start, business)
            month = day[:7] if day else None
            try:
                moved = manage_domain.reschedule_by_customer(db.session, booking, business, start, now=_now())
                db.session.commit()
                return _see_other(url_for("web.manage", slug=business.slug, token=manage_token(moved.id),
                                          notice="rescheduled"))
            except SlotNotOffered:
                db.session.rollback()
                notice, status, day, month = "not_offered", 422, None, None
            except SlotUnavailable:
                db.session.rollback()
                notice, status = "just_taken", 409
            except DomainError as error:
                db.session.rollback()
                notice, status = error.message, 422
            booking = db.session.get(Booking, booking.id)
    context = _time_context(business, service, staff, now=_now(), month=month, day=day, exclude=(booking.id,))

    def time_url(**params):
        return url_for("web.reschedule", slug=business.slug, token=token, **params)

    partial_slots = request.headers.get("HX-Target") == "slots" and _wants_partial() and request.method == "GET"
    return _render(
        "slots" if partial_slots else "time", status=status, push_url=here if request.method == "POST" else None,
        business=business, service=service, staff=staff, who=str(staff.id), step=3, notice=notice,
        time_url=time_url, form=ActionForm(), rescheduling=booking, manage_token=token, **context,
    )


@bp.post("/<slug>/manage/<token>/review")
def review(slug: str, token: str):
    business = _business(slug)
    booking = _managed_booking(business, token)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _render_manage(business, booking, token, status=422, review_form=form)
    try:
        leave_review(db.session, booking, rating=form.rating.data, comment=form.comment.data,
                     would_recommend=form.would_recommend.data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        field = getattr(form, error.param or "", None)
        if field is not None and hasattr(field, "errors") and error.param in ("rating", "comment"):
            field.errors = [error.message]
            return _render_manage(business, booking, token, status=422, review_form=form)
        return _render_manage(business, booking, token, status=422, review_form=form, error=error.message)
    return _see_other(url_for("web.manage", slug=business.slug, token=token, notice="reviewed"))
