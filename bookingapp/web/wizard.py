"""The booking wizard: service, staff, time (choosing one holds it), details, payment
(only when something is due up front) and booked.

Every step has its own URL (Back, Reload and shared links work) and works as a plain
full-page GET/POST; with htmx the same URLs answer with the step's partial (root id
"step"), 422 with the form partial on form errors, and `Vary: HX-Request`. A booking in
progress is named by a signed wizard link (bookingapp.web.links), which also remembers
the staff choice, so a customer sent back to the time step keeps it.

Nothing here commits: bookingapp.unit_of_work commits once after a success (below 400,
redirects included) and rolls back otherwise. Each domain command a step answers for
itself runs in a savepoint (`db.session.begin_nested()`), so when it raises, what it did
halfway is undone at once: the error page is rendered from what the database will keep,
and an error answered with a redirect (a hold that ran out) commits nothing of it.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import gettext
from flask import Response, abort, g, make_response, request, url_for
from flask import session as visitor_session
from sqlalchemy import bindparam, select

from bookingapp.domain.booking_money import money_summary
from bookingapp.domain import booking as booking_ops
from bookingapp.domain import cancellation
from bookingapp.domain import locations as locations_domain
from bookingapp.domain import clock
from bookingapp.domain import manage as manage_domain
from bookingapp.domain import payments as payments_domain
from bookingapp.domain import pricing
from bookingapp.domain import service_terms
from bookingapp.domain.availability import local_date_of
from bookingapp.domain.custom_fields import active_definitions, attach_details
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.domain.errors import DomainError, HoldExpired, SlotNotOffered, SlotUnavailable
from bookingapp.domain.time_bounds import within_bounds
from bookingapp.extensions import db
from bookingapp.i18n import current_language, error_text, format_locale
from bookingapp.models import Booking, Business, Service, Staff
from bookingapp.web import checkout_bridge
from bookingapp.web.links import calendar_links, manage_url
from bookingapp.web.forms import CUSTOM_PREFIX, ActionForm, DetailsForm
from bookingapp.web.links import manage_token, read_wizard_token, wizard_token
from bookingapp.web.rendering import (
    bookable_services, business_or_404, grouped_by_category, render, see_other, wants_partial,
)
from bookingapp.web.locations import choose_location_page, chosen_location, services_at, staff_at
from bookingapp.web.progress import progress
from bookingapp.web.timepicker import local_day, time_context

ANYONE = "any"
# What the wizard remembers about the visitor between steps, in their own signed session
# cookie: the hold they have now, so choosing a time again (Back, then a time) gives it
# back first instead of finding it "just taken"; and the details they typed, so a hold
# that runs out does not cost them their typing.
HELD_KEY = "wizard_hold"
TYPED_KEY = "wizard_typed"
# What is kept of the typing: the cookie must stay well under the browsers' 4 KB.
TYPED_LIMITS = {"name": 200, "email": 254, "phone": 40, "notes": 500, "promo_code": 40}
# Notices the time step shows when the wizard sends a customer back to it.
TIME_NOTICES = ("expired", "released", "refunded_time_taken", "refunded_not_bookable")


# --------------------------------------------------------------------------- loading


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


# Built once with bind parameters (building a SELECT costs more than running it).
_STAFF_FOR_SERVICE = select(Staff).where(
    Staff.id == bindparam("staff_id"), Staff.business_id == bindparam("business_id"), Staff.is_active.is_(True),
    Staff.deleted_at.is_(None), Staff.services.any(Service.id == bindparam("service_id")),
)


def _who(service: Service, who: str) -> Staff | None:
    """None for "anyone available"; a staff member who performs the service; else 404."""
    if who == ANYONE:
        return None
    try:
        wanted = uuid.UUID(who)
    except ValueError:
        abort(404)
    # One row by its key, with the same conditions as the staff step's list (a person of
    # this business, active, not deleted, who performs the service), not the whole list.
    member = db.session.scalars(
        _STAFF_FOR_SERVICE, {"staff_id": wanted, "business_id": service.business_id, "service_id": service.id},
    ).one_or_none()
    if member is None:
        abort(404)
    return member


def _wizard_booking(business: Business, token: str) -> tuple[Booking, str]:
    found = read_wizard_token(token)
    if found is None:
        abort(404)
    booking_id, who = found
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.business_id != business.id:
        abort(404)
    return booking, who


def book_again_url(business: Business, booking: Booking) -> str:
    """The wizard for the same service with the same person, where that is still
    possible: "anyone" when they no longer do it, the service list when the service
    itself is no longer offered."""
    service = booking.service
    if service is None or not service.is_bookable or service.business_id != business.id:
        return url_for("web.choose_service", slug=business.slug)
    who = ANYONE
    if booking.staff_id is not None and db.session.scalars(
        _STAFF_FOR_SERVICE, {"staff_id": booking.staff_id, "business_id": business.id, "service_id": service.id},
    ).one_or_none() is not None:
        who = str(booking.staff_id)
    return url_for("web.choose_time", slug=business.slug, service_id=service.id, who=who)


def _own_earlier_hold(business: Business) -> Booking | None:
    """The hold this visitor placed earlier at this business and still has, if any. Only
    an id their own session carries is considered, so nobody else's hold is ever touched."""
    try:
        wanted = uuid.UUID(str(visitor_session.get(HELD_KEY, "")))
    except ValueError:
        return None
    booking = db.session.get(Booking, wanted)
    if booking is None or booking.business_id != business.id or booking.status != "held":
        return None
    return booking


def _remember_typed(form) -> None:
    visitor_session[TYPED_KEY] = {
        key: str(form.get(key, ""))[:limit] for key, limit in TYPED_LIMITS.items()
    }


def _typed_earlier() -> dict[str, str] | None:
    typed = visitor_session.get(TYPED_KEY)
    if not isinstance(typed, dict):
        return None
    return {key: str(typed.get(key) or "")[:limit] for key, limit in TYPED_LIMITS.items()}


def _forget_visit() -> None:
    """Booked: nothing of the visitor's typing stays in their cookie."""
    visitor_session.pop(TYPED_KEY, None)
    visitor_session.pop(HELD_KEY, None)


def _pays_up_front(business: Business, service: Service, location=None, terms=None) -> bool:
    """Whether the visitor pays anything before the booking is confirmed. `terms`: the
    service's terms at the location, when the page has read them already (one read fewer)."""
    return pricing.quote(db.session, business, service, location=location, terms=terms).due_now_cents > 0


# --------------------------------------------------------------------------- steps 1 and 2


def choose_service(slug: str):
    business = business_or_404(slug)
    location = chosen_location(business)
    if location is None:  # several locations, none chosen yet
        return choose_location_page(business)
    return _service_page(business, location)


def at_location(slug: str, location_slug: str):
    """/<slug>/<location-slug>: the service step at that location (a deep link)."""
    business = business_or_404(slug)
    place = locations_domain.location_by_slug(db.session, business, location_slug)
    if place is None:
        abort(404)
    g.wizard_location = place  # the links of the page carry it (web.locations.carry_location)
    return _service_page(business, place)


def _service_page(business: Business, location):
    services = services_at(business, location)
    # Every service's terms at this location in one read (domain.service_terms): the price
    # quoted (pricing.quote, given the terms rather than reading them per service) and the length.
    own = service_terms.own_terms_for(db.session, services, location)
    terms = {service.id: service_terms.effective_terms(service, own[service.id]) for service in services}
    quotes = {service.id: pricing.quote(db.session, business, service, location=location, terms=terms[service.id])
              for service in services}
    lengths = {service_id: here.duration_minutes for service_id, here in terms.items()}
    return render(
        "service", business=business, groups=grouped_by_category(business, services), quotes=quotes, lengths=lengths,
        progress=progress("service", pays=any(q.due_now_cents for q in quotes.values())), location=location,
    )


def choose_staff(slug: str, service_id: str):
    business = business_or_404(slug)
    service = _service(business, service_id)
    location = chosen_location(business)
    if location is None:
        return choose_location_page(business, service)
    terms = service_terms.terms_at(db.session, service, location)
    return render("staff", business=business, service=service, staff=staff_at(_staff_for(service), location),
                  terms=terms, progress=progress("staff", pays=_pays_up_front(business, service, location, terms)),
                  location=location)


# --------------------------------------------------------------------------- steps 3 and 4


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
    partial_slots = request.headers.get("HX-Target") == "slots" and wants_partial()
    location = chosen_location(business)
    context = time_context(
        business, service, staff, now=clock.now(), location=location,
        month=month if month is not None else request.args.get("month"),
        day=day if day is not None else request.args.get("day"),
        # The slots partial (a day clicked) draws no calendar: the month need not be computed.
        with_calendar=not partial_slots,
    )
    if notice is None and request.args.get("notice") in TIME_NOTICES:
        notice = request.args["notice"]
    refunded = _refunded_on(business, request.args.get("ref")) if notice and notice.startswith("refunded_") else None
    terms = service_terms.terms_at(db.session, service, location)
    return render(
        "slots" if partial_slots else "time", status=status, push_url=push_url,
        business=business, service=service, staff=staff, who=who, notice=notice, refunded=refunded,
        progress=progress("time", pays=_pays_up_front(business, service, location, terms)),
        minutes=terms.duration_minutes,
        time_url=_time_urls(business, service, who), form=ActionForm(), **context,
    )


def choose_time(slug: str, service_id: str, who: str):
    """Step 3 (GET: calendar and slots) and step 4 (POST: hold the chosen slot at once)."""
    business = business_or_404(slug)
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
    if not within_bounds(start):
        # A time at the calendar's ends is never offered (the domain refuses it too,
        # naming start_at, before any zone arithmetic could overflow).
        return _render_time(business, service, staff, who, status=422, notice="not_offered", push_url=here)
    day = local_day(start, business)
    earlier = _own_earlier_hold(business)
    now = clock.now()
    try:
        with db.session.begin_nested():
            # The visitor's own earlier hold (they went Back and chose again) is given back
            # first, so it cannot stand in their way; when the new hold fails, the savepoint
            # undoes the release too and they keep the time they had.
            if earlier is not None:
                checkout_bridge.release_hold(db.session, earlier, now=now)
            held = booking_ops.hold(db.session, business, service, start, staff=staff, now=now, source="web",
                                    location=chosen_location(business))
            held.language = current_language()
    except SlotNotOffered:
        # Never one of the times shown (off the grid, past, too far ahead): a bad request.
        return _render_time(business, service, staff, who, status=422, notice="not_offered", push_url=here)
    except SlotUnavailable:
        return _render_time(
            business, service, staff, who, status=409, notice="just_taken", day=day, month=day[:7] if day else None,
            push_url=here + (f"?day={day}" if day else ""),
        )
    except DomainError as error:
        return _render_time(business, service, staff, who, status=422, notice=error_text(error), day=day, push_url=here)
    visitor_session[HELD_KEY] = str(held.id)
    return see_other(url_for("web.details", slug=business.slug, token=wizard_token(held.id, who)))


# --------------------------------------------------------------------------- the booking in progress


def _back_to_time(business: Business, booking: Booking, who: str, notice: str, token: str | None = None) -> Response:
    """The time step for the same service and staff choice, with a notice saying why."""
    day = local_date_of(booking.starts_at, business).isoformat()
    refund_notice = manage_domain.refund_notice(db.session, booking)
    if refund_notice and token:
        # A payment came in for this booking and was refunded: say so, whatever else happened.
        notice = refund_notice
    extra = {"ref": token} if notice.startswith("refunded_") else {}
    if not booking.location.is_primary:
        extra["location"] = booking.location.slug  # back to the time step at the same location
    return see_other(url_for(
        "web.choose_time", slug=business.slug, service_id=booking.service_id, who=who, day=day, notice=notice, **extra,
    ))


def _route_by_status(business: Business, booking: Booking, who: str, token: str, *, here: str) -> Response | None:
    """Send the customer to the step the booking is really at (a reload, an old tab)."""
    now = clock.now()
    if manage_domain.is_booked(booking) or booking.status == "rescheduled":
        return None if here == "done" else see_other(url_for("web.done", slug=business.slug, token=token))
    if manage_domain.hold_ran_out(booking, now) and not payments_domain.payment_may_still_arrive(db.session, booking):
        return _back_to_time(business, booking, who, "expired", token)
    if booking.status == "cancelled":
        return _back_to_time(business, booking, who, "released", token)
    if here == "done":
        return see_other(url_for("web.details", slug=business.slug, token=token))
    return None


# --------------------------------------------------------------------------- step 5


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
    typed = _typed_earlier() if saved else None
    if typed:
        # A new hold after the last one ran out: what the visitor typed then.
        return DetailsForm(definitions=definitions, country=business.address_country, formdata=None, data=typed)
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
        return checkout_bridge.saved_quote(db.session, booking, business), error_text(error)


def _render_details(business, booking, who, token, form, *, status=200, quote=None, promo_error=None):
    if quote is None:
        quote, _ = _typed_quote(business, booking, form.promo_code.data)
    return render(
        "details", status=status, business=business, booking=booking, who=who, token=token, form=form,
        progress=progress("details", pays=quote.due_now_cents > 0), quote=quote,
        promo_error=promo_error, custom_prefix=CUSTOM_PREFIX, release_form=ActionForm(),
        push_url=url_for("web.details", slug=business.slug, token=token),
    )


def details(slug: str, token: str):
    """Step 5: who is coming. Then step 6 (payment) or straight to booked when nothing is
    due up front."""
    business = business_or_404(slug)
    booking, who = _wizard_booking(business, token)
    if request.method == "POST":
        # Kept before anything else, so that a hold which ran out (whether found here or
        # by the page's countdown, which posts the form as it stands) keeps the typing.
        _remember_typed(request.form)
        if request.form.get("action") == "hold_ran_out":
            return see_other(url_for("web.details", slug=business.slug, token=token))
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

    now = clock.now()
    try:
        with db.session.begin_nested():
            customer = find_or_create_customer(
                db.session, business, email=form.clean["email"], name=form.clean["name"], phone=form.phone.data,
            )
            attach_details(db.session, booking, customer=customer, notes=form.notes.data,
                           custom_values=form.clean["custom_fields"])
            # The language the customer finishes booking in is the one their messages use.
            booking.language = current_language()
            checkout_bridge.change_promotion(db.session, booking, business, form.promo_code.data, now=now)
            if manage_domain.is_booked(booking):
                # A payment page opened earlier turned out paid, and has booked it just now
                # (the domain recorded the customer's confirmation email then).
                next_step = "web.done"
            elif checkout_bridge.amount_due_now(booking, business) > 0:
                next_step = "web.payment"
            else:
                booking_ops.book(db.session, booking, business, customer=customer, now=now)
                next_step = "web.done"
    except HoldExpired:
        # A redirect, so a success for the unit of work: the savepoint has already undone
        # the customer and details saved above, as nothing was booked.
        return _back_to_time(business, booking, who, "expired", token)
    except DomainError as error:
        field = getattr(form, error.param or "", None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [error_text(error)]
        else:
            form.form_errors.append(error_text(error))
        return _render_details(business, booking, who, token, form, status=422)
    return see_other(url_for(next_step, slug=business.slug, token=token))


def release(slug: str, token: str):
    """"Change time": give the held slot back at once instead of letting it run out."""
    business = business_or_404(slug)
    booking, who = _wizard_booking(business, token)
    checkout_bridge.release_hold(db.session, booking, now=clock.now())
    visitor_session.pop(HELD_KEY, None)
    return _back_to_time(business, booking, who, "released", token)


# --------------------------------------------------------------------------- step 6


def _render_payment(business, booking, token, who, *, status=200, form=None, outcome=None, error=None):
    """Step 6. `error` (a DomainError) is shown at the top: 503 when the payment provider
    could not be reached (try again in a moment), 422 otherwise."""
    if error is not None:
        status = 503 if isinstance(error, payments_domain.PaymentUnavailable) else 422
    return render(
        "payment", status=status, business=business, booking=booking, token=token, who=who,
        progress=progress("payment", pays=True),
        due=checkout_bridge.amount_due_now(booking, business), form=form or ActionForm(), outcome=outcome,
        money=money_summary(db.session, booking, business),
        policy=cancellation.policy_in_words(db.session, booking, business, now=clock.now(),
                                            locale=format_locale(), gettext=gettext),
        error=error_text(error) if error is not None else None,
        push_url=url_for("web.payment", slug=business.slug, token=token),
    )


def payment(slug: str, token: str):
    """Step 6: pay what is due up front through the configured provider."""
    business = business_or_404(slug)
    booking, who = _wizard_booking(business, token)
    elsewhere = _route_by_status(business, booking, who, token, here="payment")
    if elsewhere is not None:
        return elsewhere
    if booking.customer is None:
        return see_other(url_for("web.details", slug=business.slug, token=token))
    if request.method == "GET":
        return _render_payment(business, booking, token, who, outcome=request.args.get("outcome"))
    form = ActionForm()
    if not form.validate_on_submit():
        return _render_payment(business, booking, token, who, status=422, form=form)
    return_url = url_for("web.payment_return", slug=business.slug, token=token, _external=True)
    try:
        # The payment row is flushed before the provider is asked for a page (its id is
        # the page's metadata and idempotency key); both are committed after this view
        # returns. The customer gets the page's address only in a response whose commit
        # succeeded: if it fails, they get a 500 and a page nobody can reach, which
        # expires unpaid (and an event about it is ignored as not ours).
        with db.session.begin_nested():
            redirect_url = checkout_bridge.start_checkout(
                db.session, booking, business, return_url=return_url, now=clock.now(),
            )
    except HoldExpired:
        return _back_to_time(business, booking, who, "expired", token)
    except DomainError as error:
        # The provider unreachable (503) or nothing to pay (422): say so on this step;
        # nothing was changed and the time stays held.
        return _render_payment(business, booking, token, who, error=error)
    response = see_other(redirect_url)
    if wants_partial():
        # Leaving the site (Stripe) needs a real navigation, not a fragment swap.
        response = make_response("", 204)
        response.headers["HX-Redirect"] = redirect_url
    return response


def payment_return(slug: str, token: str):
    """Where the provider sends the customer back: booked, back to step 6 to retry, or
    to the time step when the payment had to be refunded (the time was taken)."""
    business = business_or_404(slug)
    booking, who = _wizard_booking(business, token)
    now = clock.now()
    try:
        with db.session.begin_nested():
            outcome = checkout_bridge.finish_return(db.session, booking, business, request.args, now=now)
    except DomainError as error:
        return _render_payment(business, booking, token, who, error=error)
    # Every answer below is a redirect, so what the return did is committed: a payment
    # refunded because the time was taken is recorded along with telling the customer.
    if manage_domain.is_booked(booking):
        return see_other(url_for("web.done", slug=business.slug, token=token))
    if outcome in ("refunded_time_taken", "refunded_not_bookable"):
        return _back_to_time(business, booking, who, outcome, token)
    if manage_domain.hold_ran_out(booking, now) and not payments_domain.payment_may_still_arrive(db.session, booking):
        return _back_to_time(business, booking, who, "expired", token)
    return see_other(url_for("web.payment", slug=business.slug, token=token, outcome=outcome or "declined"))


# --------------------------------------------------------------------------- step 7


def done(slug: str, token: str):
    """Step 7: booked."""
    business = business_or_404(slug)
    booking, who = _wizard_booking(business, token)
    elsewhere = _route_by_status(business, booking, who, token, here="done")
    if elsewhere is not None:
        return elsewhere
    if booking.status == "rescheduled" and booking.rescheduled_to_id:
        return see_other(url_for("web.manage", slug=business.slug, token=manage_token(booking.rescheduled_to_id)))
    _forget_visit()
    money = money_summary(db.session, booking, business)
    return render(
        "done", business=business, booking=booking, money=money, progress=progress("done", pays=money.paid_cents > 0),
        manage_url=manage_url(business, booking), links=calendar_links(business, booking),
    )
