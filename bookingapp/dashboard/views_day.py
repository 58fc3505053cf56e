"""The day: the timeline, a booking's panel with its status buttons, and the front-desk
new-booking form. Every change goes through the domain: cancelling through
domain.cancellation.cancel (the one cancel command of every door: refunds per the policy,
or an owner's or manager's override), the other moves through domain.booking.change_status.
The panel's money is domain.booking_money.money_summary, as on the manage page and the API."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from bookingapp.auth import require
from bookingapp.auth.locations import may_see_location, narrow_choices, visible_locations
from bookingapp.auth.roles import allowed, sees_everyone
from bookingapp.dashboard import actor, all_or_nothing, bp, is_htmx, localtime, money, now_utc, render
from bookingapp.dashboard.forms import NewBookingForm
from bookingapp.dashboard.message_log import booking_messages
from bookingapp.dashboard.panels import MOVABLE_STATUSES, panel_extras
from bookingapp.domain import booking as booking_ops
from bookingapp.domain import cancellation, test_mode
from bookingapp.domain.booking_money import money_summary
from bookingapp.domain.availability import find_availability, local_date_of
from bookingapp.domain.customers import front_desk_customer, search_customers
from bookingapp.domain.errors import DomainError, SlotNotOffered, SlotUnavailable
from bookingapp.domain import locations
from bookingapp.domain.schedule import day_schedule
from bookingapp.domain.service_terms import effective_terms, offered_at, own_terms_for
from bookingapp.domain.states import manual_transitions
from bookingapp.domain.time_bounds import out_of_range_message, within_bounds
from bookingapp.extensions import db
from bookingapp.models import Booking, Customer, Location, Service, Staff
from bookingapp.payments import current_provider

# Labels for the statuses the panel offers: exactly states.manual_transitions (what
# change_status accepts), so no button leads to a refusal.
BUTTON_LABELS = {
    "confirmed": "Confirm",
    "in_progress": "Start",
    "completed": "Complete",
    "no_show": "No-show",
    "cancelled": "Cancel",
}

CANCELLED = "cancelled"

# The moves that message the customer (approval, cancellation, the review request after a
# visit): their buttons carry the "Don't notify the customer" tick box. The others
# (start, no-show) send the customer nothing, so a tick box there would promise nothing.
TELLS_THE_CUSTOMER = ("confirmed", "cancelled", "completed")
QUIET_FIELD = "skip_notifications"


def notify_customer_chosen(form) -> bool:
    """False when the "Don't notify the customer" box is ticked: the domain command then
    records no customer message (staff messages and webhooks still go)."""
    return QUIET_FIELD not in form


# What an owner or a manager may choose when cancelling (the form field `refund`); the
# front desk cancels by the policy only.
REFUND_CHOICES = (
    (cancellation.FOLLOW_POLICY, "As the policy says"),
    (cancellation.REFUND_EVERYTHING, "Refund in full"),
    (cancellation.KEEP_EVERYTHING, "Keep everything"),
)


def _business():
    return current_user.business


def _parse_day(raw: str | None, business) -> date:
    if not raw:
        return local_date_of(now_utc(), business)
    try:
        chosen = date.fromisoformat(raw)
    except ValueError:
        abort(400, description=f"Not a date: {raw[:40]!r} (use YYYY-MM-DD).")
    if not within_bounds(chosen):
        # The day's neighbours (the previous/next links) must exist on the calendar too.
        abort(400, description=out_of_range_message("date"))
    return chosen


def _own_booking(booking_id: uuid.UUID) -> Booking:
    booking = db.session.get(Booking, booking_id)
    # A test booking (made with a test API key) belongs to the integrator's sandbox: the
    # dashboard sees what a live key sees, here as in the day view, clients and analytics.
    if (booking is None or booking.business_id != current_user.business_id
            or not test_mode.booking_visible_to(booking, test_mode.LIVE)):
        abort(404)
    if not may_see_location(current_user, booking.location_id):
        abort(404)  # a branch the account is not limited to: as unknown as no booking at all
    if not sees_everyone(current_user.role) and booking.staff_id != current_user.staff_id:
        abort(403)
    return booking


def chosen_location(business):
    """(the locations the switcher offers, the one shown or None for every location): the
    ?location= asked for, within what the signed-in account sees (auth.locations). An
    account limited to some branches never sees "all locations": its first branch is
    shown unless it asks for another of its own."""
    places = narrow_choices(current_user, locations.active_locations(db.session, business))
    limited = visible_locations(current_user)
    location = None
    if request.args.get("location") and (len(places) > 1 or limited is not None):
        location = next((place for place in places if str(place.id) == request.args["location"]), None)
        if location is None:
            abort(404)
    elif limited is not None:
        location = places[0] if places else limited[0]
    return places, location


@bp.get("/")
@require("day")
def home():
    return redirect(url_for("dashboard.day"))


@bp.get("/day")
@require("day")
def day():
    business = _business()
    the_day = _parse_day(request.args.get("date"), business)
    only = None if sees_everyone(current_user.role) else current_user.staff_id
    # The location switcher: one branch's day, or (no location) the whole business's.
    places, location = chosen_location(business)
    schedule = day_schedule(db.session, business, the_day, now=now_utc(), only_staff_id=only, location=location)
    return render(
        "dashboard/_day_columns.html", "dashboard/day.html", business=business, schedule=schedule,
        the_day=the_day, previous_day=the_day - timedelta(days=1), next_day=the_day + timedelta(days=1),
        today=local_date_of(now_utc(), business), movable_statuses=MOVABLE_STATUSES,
        locations=places if len(places) > 1 else [], location=location,
        all_locations=visible_locations(current_user) is None,
        at_location={"location": str(location.id)} if location is not None else {},
    )


def cancel_preview(terms, business) -> str:
    """What the policy gives if the booking is cancelled now, in the panel's words (the
    numbers are domain.cancellation.terms, the ones cancel acts on)."""
    until = localtime(terms.free_until, business.timezone, "%a %-d %b %Y, %H:%M")
    refund, kept = money(terms.refund_cents, terms.currency), money(terms.kept_cents, terms.currency)
    if terms.within_free_window:
        if terms.refund_cents:
            return f"Cancelling now refunds {refund}: the free-cancellation window runs until {until}."
        return f"Cancelling now is free (the free-cancellation window runs until {until}); nothing has been paid."
    ended = f"The free-cancellation window ended {until}"
    if terms.kept_cents:
        return f"{ended}: if cancelled now, the deposit of {kept} is kept" + (
            f" and {refund} is refunded." if terms.refund_cents else ".")
    if terms.refund_cents:
        return f"{ended}. Cancelling now refunds {refund}."
    return f"{ended}; nothing has been paid, so nothing is refunded or kept."


def _panel(booking: Booking, *, error: str | None = None, status: int = 200, **extra):
    """The booking's panel; `extra` is what an action adds (the Move form open, a notice)."""
    business = _business()
    buttons = []
    if allowed(current_user.role, "booking.manage"):
        buttons = [(t, BUTTON_LABELS.get(t, t.replace("_", " ").capitalize())) for t in manual_transitions(booking.status)]
    cancel = None
    if any(target == CANCELLED for target, _ in buttons):
        terms = cancellation.terms(db.session, booking, business, now=now_utc())
        cancel = {
            "terms": terms, "text": cancel_preview(terms, business),
            # Overrides only change something when money was paid.
            "choices": REFUND_CHOICES if terms.paid_cents and allowed(current_user.role, "cancel.override") else (),
        }
    return render(
        "dashboard/_booking_panel.html", "dashboard/booking.html", status=status, business=business,
        booking=booking, buttons=buttons, error=error, cancel=cancel, tells_the_customer=TELLS_THE_CUSTOMER,
        summary=money_summary(db.session, booking, business), **panel_extras(booking), **booking_messages(booking),
        **extra,
    )


def _refund_choice() -> str:
    """The form's refund choice. Anything but the policy is an override, which only an owner
    or a manager may make (the panel offers it to no one else): a forged one is a 403."""
    choice = (request.form.get("refund") or "").strip() or cancellation.FOLLOW_POLICY
    if choice != cancellation.FOLLOW_POLICY and not allowed(current_user.role, "cancel.override"):
        abort(403, description="Only an owner or a manager can override the cancellation policy; "
                               "cancel without choosing a refund to follow the policy.")
    return choice


@bp.get("/bookings/<uuid:booking_id>")
@require("booking.view")
def booking_panel(booking_id):
    return _panel(_own_booking(booking_id))


@bp.post("/bookings/<uuid:booking_id>/status")
@require("booking.manage")
def booking_status(booking_id):
    booking = _own_booking(booking_id)
    target = request.form.get("status", "")
    reason = (request.form.get("reason") or "").strip() or None
    choice = _refund_choice() if target == CANCELLED else None
    notify_customer = notify_customer_chosen(request.form)
    try:
        with all_or_nothing():
            if target == CANCELLED:
                # The one cancel command: refunds per the policy (or the override), records
                # the choice in the history and the customer's cancellation email.
                cancellation.cancel(db.session, current_provider(), booking, actor=actor(), reason=reason,
                                    override=choice, now=now_utc(), notify_customer=notify_customer)
            else:
                booking_ops.change_status(db.session, booking, target, reason=reason, now=now_utc(), actor=actor(),
                                          notify_customer=notify_customer)
    except DomainError as error:
        return _panel(db.session.get(Booking, booking_id), error=error.message, status=422)
    response, status = _panel(booking)
    # The columns listen for this and refresh, so the booking's colour changes at once.
    return response, status, {"HX-Trigger": "day-changed"}


def _front_desk_places(business) -> tuple[list[Location], bool]:
    """(the locations the form may book at, whether it offers a choice): the business's
    active locations the account sees (auth.locations), primary first; a choice only when
    the business has more than one."""
    active = locations.active_locations(db.session, business)
    return narrow_choices(current_user, active), len(active) > 1


def _chosen_place(form: NewBookingForm, places: list[Location], *, keep_typed: bool = False) -> Location | None:
    """The form's location: the one asked for when it is among `places`, else the first of
    them (the primary, or a limited account's first branch). A submitted form
    (keep_typed) keeps an unknown or unseen location as typed and gets None, which
    create_booking refuses; None also when there is no place at all (an account none of
    whose branches is open)."""
    asked = form.location.data or ""
    found = next((place for place in places if str(place.id) == asked), None)
    if found is None and places and not (asked and keep_typed):
        found = places[0]
        form.location.data = str(found.id)
    return found


def _service_choices(business, location: Location | None = None):
    """The bookable services (at `location` only when one is chosen), labelled with their
    length there (a location may set its own, domain.service_terms)."""
    query = (offered_at(business, location) if location is not None else
             select(Service).where(Service.business_id == business.id, Service.deleted_at.is_(None))
             .order_by(Service.sort_order, Service.name))
    services = db.session.scalars(query.where(Service.is_active.is_(True))).all()
    if location is None:
        return [(str(s.id), f"{s.name} ({s.duration_minutes} min)") for s in services]
    own = own_terms_for(db.session, services, location)
    return [(str(s.id), f"{s.name} ({effective_terms(s, own[s.id]).duration_minutes} min)") for s in services]


def _staff_choices(business, service_id: str | None, location: Location | None = None):
    """"Anyone" and the active staff who perform the service (at `location` when chosen:
    those who work there, by domain.locations.staff_at, availability's own rule)."""
    if location is not None:
        candidates = [m for m in locations.staff_at(db.session, business, location) if m.is_active]
    else:
        candidates = db.session.scalars(
            select(Staff).where(Staff.business_id == business.id, Staff.deleted_at.is_(None),
                                Staff.is_active.is_(True)).order_by(Staff.sort_order, Staff.name)).all()
    members = [m for m in candidates if not service_id or any(str(s.id) == service_id for s in m.services)]
    return [("", "Anyone available")] + [(str(m.id), m.name) for m in members]


def _load_service(business, raw: str | None) -> Service | None:
    try:
        service = db.session.get(Service, uuid.UUID(raw or ""))
    except ValueError:
        return None
    if service is None or service.business_id != business.id or not service.is_bookable:
        return None
    return service


def _load_staff(business, raw: str | None) -> Staff | None:
    try:
        member = db.session.get(Staff, uuid.UUID(raw or ""))
    except ValueError:
        return None
    return member if member is not None and member.business_id == business.id else None


def _slot_choices(business, service: Service | None, the_day: date | None, staff: Staff | None,
                  location: Location | None = None):
    """The free slots from the wizard's availability engine, as the front desk sees them:
    not bound by the online minimum notice (a walk-in can start in five minutes); at
    `location` (None: the primary), shown in its time zone."""
    if service is None or the_day is None or not within_bounds(the_day):
        return []
    availability = find_availability(db.session, business, service, the_day, now=now_utc(),
                                     staff_id=staff.id if staff else None, front_desk=True, location=location)
    tz = locations.location_timezone(business, location) if location is not None else ZoneInfo(business.timezone)
    return [(slot.start.isoformat(), slot.start.astimezone(tz).strftime("%H:%M")) for slot in availability.slots]


def _fill_choices(form: NewBookingForm, business, *, keep_typed: bool = False):
    """Fill the selects from what is chosen so far and return (service, staff, location).
    On a re-render while choosing (keep_typed False) a staff member who does not work at
    the chosen location falls back to "anyone"; a submitted form keeps what was sent, for
    the domain to judge."""
    places, offered = _front_desk_places(business)
    form.location.choices = [(str(place.id), place.name) for place in places] if offered else []
    location = _chosen_place(form, places, keep_typed=keep_typed)
    form.service_id.choices = [("", "Choose a service")] + _service_choices(business, location)
    form.staff_id.choices = _staff_choices(business, form.service_id.data, location)
    service = _load_service(business, form.service_id.data)
    staff = _load_staff(business, form.staff_id.data)
    if staff is not None and not keep_typed and all(value != str(staff.id) for value, _ in form.staff_id.choices):
        staff, form.staff_id.data = None, ""
    slots = _slot_choices(business, service, form.day.data, staff, location)
    form.start.choices = slots if slots else [("", "No free times that day")]
    return service, staff, location


def _service_for_gap(business, form: NewBookingForm) -> str | None:
    """A free gap clicked on the day view names a staff member and a start (and the
    location whose day it is) but no service: the first of their services (in the menu's
    order) offered there that fits, so the form opens with the time already chosen. None
    when none fits (the form then asks as usual)."""
    staff = _load_staff(business, form.staff_id.data)
    if staff is None:
        return None
    location = _chosen_place(form, _front_desk_places(business)[0])
    offered = {s.id for s in staff.services}
    for service_id, _label in _service_choices(business, location):
        service = _load_service(business, service_id)
        if service is not None and service.id in offered and any(
                value == form.start.data
                for value, _ in _slot_choices(business, service, form.day.data, staff, location)):
            return service_id
    return None


def _chosen_customer(business, raw: str | None) -> Customer | None:
    """The client picked from the search (the form's customer_id), if it is the business's."""
    try:
        customer = db.session.get(Customer, uuid.UUID(raw or ""))
    except ValueError:
        return None
    return customer if customer is not None and customer.business_id == business.id else None


def _client_search_text() -> str:
    return " ".join((request.args.get("q") or "").split())[:200]


@bp.get("/bookings/new")
@require("booking.manage")
def new_booking():
    business = _business()
    form = NewBookingForm(formdata=request.args if request.args else None)
    if form.day.data is None or not within_bounds(form.day.data):
        form.day.data = _parse_day(request.args.get("date"), business)
    if not form.service_id.data and form.staff_id.data and form.start.data:
        form.service_id.data = _service_for_gap(business, form)
    _fill_choices(form, business)
    chosen = _chosen_customer(business, form.customer_id.data)
    if chosen is not None:
        # A client picked from the search: the form books them as they are.
        form.name.data, form.email.data, form.phone.data = chosen.name, chosen.email or "", chosen.phone or ""
    else:
        form.customer_id.data = ""
    search = _client_search_text()
    matches = search_customers(db.session, business, search) if search else []
    # The form re-renders itself (htmx) when the service, staff or date changes.
    return render("dashboard/_new_booking_form.html", "dashboard/new_booking.html", business=business, form=form,
                  chosen=chosen, search=search, matches=matches)


@bp.get("/bookings/new/clients")
@require("booking.manage")
def client_search():
    """The front desk's client search as one types (name, email or phone): the list of
    matches for htmx; without JavaScript the search form reloads the new-booking page with
    the matches on it instead."""
    business = _business()
    search = _client_search_text()
    if not is_htmx():
        return redirect(url_for("dashboard.new_booking", q=search or None))
    matches = search_customers(db.session, business, search) if search else []
    return render_template("dashboard/_client_matches.html", business=business, search=search, matches=matches)


@bp.post("/bookings/new")
@require("booking.manage")
def create_booking():
    business = _business()
    form = NewBookingForm()
    service, staff, location = _fill_choices(form, business, keep_typed=True)
    chosen = _chosen_customer(business, form.customer_id.data) if form.customer_id.data else None
    if not form.validate_on_submit():
        return render("dashboard/_new_booking_form.html", "dashboard/new_booking.html", status=422,
                      business=business, form=form, chosen=chosen)
    if location is None:
        # An unknown location, another business's, or a branch this account does not see:
        # refused like any bad choice, without saying whether it exists.
        form.location.errors.append("Choose one of the listed locations.")
    if service is None:
        form.service_id.errors.append("Choose one of the business's services.")
    if form.staff_id.data and staff is None:
        form.staff_id.errors.append("Unknown staff member.")
    try:
        start = datetime.fromisoformat(form.start.data)
        if start.tzinfo is None:
            raise ValueError
    except ValueError:
        form.start.errors.append("Choose a time from the list.")
        start = None
    if form.customer_id.data and chosen is None:
        form.name.errors.append("That client is not one of yours any more: search again.")
    if form.errors:
        return render("dashboard/_new_booking_form.html", "dashboard/new_booking.html", status=422,
                      business=business, form=form, chosen=chosen)
    try:
        # The undo also matters for the fresh list of times below: a refused insert must not
        # leave the transaction unusable (PostgreSQL) or the new customer half-made.
        with all_or_nothing():
            customer = front_desk_customer(db.session, business, name=form.name.data, email=form.email.data or None,
                                           phone=form.phone.data or None,
                                           customer_id=chosen.id if chosen is not None else None)
            db.session.flush()
            booking = booking_ops.create_booking(
                db.session, business, service, start, customer, staff=staff, now=now_utc(), source="dashboard",
                notes=(form.notes.data or "").strip() or None, actor=actor(),
                notify_customer=not form.skip_notifications.data, location=location,
            )
    except DomainError as error:
        field = {"email": form.email, "name": form.name, "phone": form.phone, "service_id": form.service_id,
                 "staff_id": form.staff_id, "location_id": form.location}.get(error.param, form.start)
        if isinstance(error, SlotNotOffered):
            # Not a time the business offers at all (off the grid, outside hours, past).
            message = f"{error.message} Choose one of the listed times."
            slot_problem = "not_offered"
        elif isinstance(error, SlotUnavailable):
            # Offered, but someone took it a moment ago: the list below is fresh.
            message = f"{error.message} The list now shows what is still free."
            slot_problem = "taken"
        else:
            message, slot_problem = error.message, None
        field.errors = [*field.errors, message]
        _fill_choices(form, business, keep_typed=True)
        return render("dashboard/_new_booking_form.html", "dashboard/new_booking.html", status=422,
                      business=business, form=form, slot_problem=slot_problem, chosen=chosen)
    # Back to the day of the booking, at its location when the day view has a switcher.
    at_place = {"location": str(location.id)} if form.location.choices else {}
    target = url_for("dashboard.day", date=local_date_of(booking.starts_at, business, location).isoformat(),
                     **at_place)
    if request.headers.get("HX-Request") == "true":
        return "", 204, {"HX-Redirect": target}
    return redirect(target)
