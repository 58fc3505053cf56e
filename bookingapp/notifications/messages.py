"""Rendering the messages the domain recorded (domain/notify.py), at send time, in the
worker: an email (subject, plain text, HTML, the calendar file) or a text message, from the
booking as it now is and the facts recorded with the message (the old time of a move, who
cancelled, what was refunded, which reminder step).

What a message says is written once per kind, as a `Content` (heading, paragraphs, the
facts as label/value rows, an optional table, buttons); templates/emails/message.html and
message.txt lay the same content out, so the text alternative always says what the HTML
says. Text messages are built from the same facts, short.

Links point at PUBLIC_URL (the address customers reach the site at), built from the app's
own routes, so the worker needs no request.

Customer messages (and their calendar file) are written in the language the customer
booked in, else the business's default (domain.languages.language_of), under
flask_babel.force_locale: the worker renders them outside any request. Staff and account
messages stay English, like the dashboard."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from bookingapp.auth.password_reset import reset_token
from bookingapp.domain import notify
from bookingapp.domain.availability import local_day_bounds
from bookingapp.domain.checkout import totals
from bookingapp.domain.ics import booking_ics, location
from bookingapp.domain.reminders import first_reminder_hours
from bookingapp.domain.languages import DEFAULT_LANGUAGE, language_of
from bookingapp.domain.local_time import format_local
from bookingapp.domain.money import format_money_for
from bookingapp.domain.states import BookingStatus
from bookingapp.models import Booking, Business, Checkout, Customer, Message, Staff
from bookingapp.web.links import manage_token, unsubscribe_token

# Business has no colour of its own yet: every business's emails wear this neutral slate.
DEFAULT_BRAND_COLOUR = "#334155"
SMS_MAX_CHARS = 320
# A text message names the business in at most this many characters, so the time and the
# links always fit.
SMS_NAME_CHARS = 30
# The manage page's review form (templates/web/_manage.html).
REVIEW_ANCHOR = "review-heading"
# What a staff member's day holds: booked appointments, not holds still being filled in.
AGENDA_STATUSES = (BookingStatus.RESERVED.value, BookingStatus.PENDING.value, BookingStatus.CONFIRMED.value,
                   BookingStatus.IN_PROGRESS.value)
CALENDAR_METHODS = {
    notify.BOOKING_CONFIRMED: "REQUEST",
    notify.BOOKING_PENDING: "REQUEST",
    notify.BOOKING_APPROVED: "REQUEST",
    notify.BOOKING_RESCHEDULED: "REQUEST",
    notify.BOOKING_CANCELLED: "CANCEL",
}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    reply_to: str | None
    ics: str | None
    ics_method: str | None
    unsubscribe_url: str | None


@dataclass(frozen=True)
class RenderedSms:
    body: str


@dataclass(frozen=True)
class Button:
    label: str
    url: str


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    totals: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Content:
    subject: str
    heading: str
    paragraphs: list[str]
    sms: str                      # the text message's words; its links follow, whole
    sms_links: list[tuple[str, str]] = field(default_factory=list)  # (label, url)
    details: list[tuple[str, str]] = field(default_factory=list)
    table: Table | None = None
    buttons: list[Button] = field(default_factory=list)


def public_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000")
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


class Facts:
    """One message's business, booking, people and links, as the builders read them."""

    def __init__(self, session: Session, message: Message):
        self.session, self.message = session, message
        self.facts = message.facts or {}
        self.business: Business = session.get(Business, message.business_id)
        self.tz = ZoneInfo(self.business.timezone)
        self.booking: Booking | None = message.booking
        # The customer's language; staff and account messages are English.
        self.language = (language_of(self.booking, self.business) if message.audience == "customer"
                         else DEFAULT_LANGUAGE)
        # Dates and money in the language's own way; None keeps the English formats.
        self.locale = None if self.language == DEFAULT_LANGUAGE else self.language

    # -- words
    def long_time(self, instant: datetime) -> str:
        """"Monday 6 July 2026, 10:00", in the business's zone."""
        if self.locale:
            return format_local(instant, self.tz, "%A %d %B %Y, %H:%M", self.locale)
        local = instant.astimezone(self.tz)
        return f"{local:%A} {local.day} " + format_local(instant, self.tz, "%B %Y, %H:%M")

    def short_time(self, instant: datetime) -> str:
        if self.locale:
            return format_local(instant, self.tz, "%a %d %b, %H:%M", self.locale)
        local = instant.astimezone(self.tz)
        return f"{local:%a} {local.day} " + format_local(instant, self.tz, "%b, %H:%M")

    def clock(self, instant: datetime) -> str:
        return format_local(instant, self.tz)

    def money(self, cents: int, currency: str | None = None) -> str:
        return format_money_for(self.business, cents, currency, self.locale)

    def instant(self, key: str) -> datetime | None:
        value = self.facts.get(key)
        return datetime.fromisoformat(value) if value else None

    @property
    def where(self) -> str:
        return location(self.business)

    @property
    def address(self) -> str:
        """The business's street address, without its name (the email's footer)."""
        business = self.business
        return ", ".join(part for part in (business.address_street, business.address_city, business.address_zip) if part)

    @property
    def sms_name(self) -> str:
        return _shorten(self.business.name, SMS_NAME_CHARS)

    @property
    def service(self) -> str:
        return self.booking.service.name if self.booking.service else gettext("Appointment")

    @property
    def what(self) -> str:
        staff = self.booking.staff.name if self.booking.staff else None
        return gettext("%(service)s with %(staff)s", service=self.service, staff=staff) if staff else self.service

    @property
    def customer(self) -> Customer | None:
        if self.message.customer_id:
            return self.session.get(Customer, self.message.customer_id)
        return self.booking.customer if self.booking else None

    @property
    def customer_name(self) -> str:
        customer = self.booking.customer if self.booking else None
        return customer.name if customer else "Walk-in"

    @property
    def greeting(self) -> str:
        if self.message.recipient_name:
            return gettext("Hello %(name)s,", name=self.message.recipient_name)
        return gettext("Hello,")

    # -- links
    @property
    def manage_url(self) -> str:
        return public_url("web.manage", slug=self.business.slug, token=manage_token(self.booking.id))

    @property
    def calendar_url(self) -> str:
        return public_url("web.booking_calendar", slug=self.business.slug, token=manage_token(self.booking.id))

    @property
    def book_again_url(self) -> str:
        return public_url("web.landing", slug=self.business.slug)

    @property
    def dashboard_url(self) -> str:
        return public_url("dashboard.booking_panel", booking_id=self.booking.id)

    def unsubscribe_url(self) -> str | None:
        customer = self.customer
        if customer is None:
            return None
        return public_url("web.unsubscribe_page", slug=self.business.slug, token=unsubscribe_token(customer.id))

    # -- rows shared by several kinds
    def booking_rows(self, *, when: bool = True) -> list[tuple[str, str]]:
        rows = [(gettext("What"), self.what)]
        if when:
            rows.append((gettext("When"), self.long_time(self.booking.starts_at)))
        if self.where:
            rows.append((gettext("Where"), self.where))
        rows.append((gettext("Booking number"), self.booking.booking_number))
        return rows

    def staff_rows(self) -> list[tuple[str, str]]:
        customer = self.booking.customer
        rows = [("Client", self.customer_name)]
        if customer is not None and customer.email:
            rows.append(("Email", customer.email))
        if customer is not None and customer.phone:
            rows.append(("Phone", customer.phone))
        rows += [("What", self.what), ("When", self.long_time(self.booking.starts_at)),
                 ("Booking number", self.booking.booking_number)]
        if self.booking.notes:
            rows.append(("Notes", self.booking.notes))
        return rows

    def cancellation_words(self) -> tuple[str, list[str]]:
        """Who cancelled, and what happened to the money, in sentences."""
        by_customer = self.facts.get("cancelled_by") == "customer"
        currency = self.facts.get("currency")
        money_lines = []
        if self.facts.get("refunded_cents"):
            money_lines.append(gettext("%(amount)s is refunded to the card it was paid with.",
                                       amount=self.money(self.facts["refunded_cents"], currency)))
        if self.facts.get("kept_cents"):
            money_lines.append(gettext("%(amount)s is kept under the cancellation policy.",
                                       amount=self.money(self.facts["kept_cents"], currency)))
        return ("customer" if by_customer else "business"), money_lines

    def previous(self) -> str:
        """The time (and person, when it changed) the booking moved from."""
        old = self.instant("previous_starts_at")
        text = self.long_time(old) if old else gettext("its earlier time")
        old_staff = self.facts.get("previous_staff_name")
        if old_staff and self.booking.staff and old_staff != self.booking.staff.name:
            text += " " + gettext("with %(staff)s", staff=old_staff)
        return text


# --------------------------------------------------------------------------- customer kinds


def _manage_buttons(f: Facts) -> list[Button]:
    return [Button(gettext("See, change or cancel your booking"), f.manage_url),
            Button(gettext("Add to your calendar"), f.calendar_url)]


def _booked(f: Facts, *, subject: str, heading: str, lead: str, sms: str) -> Content:
    return Content(
        subject=f"{subject}: {f.service}, {f.short_time(f.booking.starts_at)} ({f.business.name})",
        heading=heading, paragraphs=[f.greeting, lead], details=f.booking_rows(),
        buttons=_manage_buttons(f), sms=sms, sms_links=[(gettext("Manage:"), f.manage_url)],
    )


def booking_confirmed(f: Facts) -> Content:
    return _booked(f, subject=gettext("Booking confirmed"), heading=gettext("You're booked"),
                   lead=gettext("Your booking at %(business)s is confirmed. See you on %(when)s.",
                                business=f.business.name, when=f.long_time(f.booking.starts_at)),
                   sms=gettext("%(name)s: you're booked for %(when)s, %(service)s.", name=f.sms_name,
                               when=f.short_time(f.booking.starts_at), service=f.service))


def booking_pending(f: Facts) -> Content:
    return _booked(f, subject=gettext("Booking request received"), heading=gettext("We have your booking request"),
                   lead=gettext("%(business)s will confirm your booking shortly; we'll email you as soon as they do.",
                                business=f.business.name),
                   sms=gettext("%(name)s: we have your request for %(when)s, %(service)s, and will confirm it soon.",
                               name=f.sms_name, when=f.short_time(f.booking.starts_at), service=f.service))


def booking_approved(f: Facts) -> Content:
    return _booked(f, subject=gettext("Booking approved"), heading=gettext("Your booking is confirmed"),
                   lead=gettext("%(business)s has confirmed your booking for %(when)s.",
                                business=f.business.name, when=f.long_time(f.booking.starts_at)),
                   sms=gettext("%(name)s: your booking for %(when)s is confirmed, %(service)s.",
                               name=f.sms_name, when=f.short_time(f.booking.starts_at), service=f.service))


def booking_rescheduled(f: Facts) -> Content:
    old, new = f.previous(), f.long_time(f.booking.starts_at)
    rows = [(gettext("Was"), old), (gettext("Now"), new)] + f.booking_rows(when=False)
    old_instant = f.instant("previous_starts_at")
    old_short = f.short_time(old_instant) if old_instant else gettext("its earlier time")
    now_short = f.short_time(f.booking.starts_at)
    return Content(
        subject=gettext("Booking moved: %(service)s, now %(when)s (%(business)s)",
                        service=f.service, when=now_short, business=f.business.name),
        heading=gettext("Your booking has moved"),
        paragraphs=[f.greeting, gettext("Your booking at %(business)s has moved from %(old)s to %(new)s.",
                                        business=f.business.name, old=old, new=new)],
        details=rows,
        buttons=_manage_buttons(f),
        sms=gettext("%(name)s: your booking has moved from %(old)s to %(new)s, %(service)s.",
                    name=f.sms_name, old=old_short, new=now_short, service=f.service),
        sms_links=[(gettext("Manage:"), f.manage_url)],
    )


def booking_cancelled(f: Facts) -> Content:
    who, money_lines = f.cancellation_words()
    when = f.long_time(f.booking.starts_at)
    short = f.short_time(f.booking.starts_at)
    if who == "customer":
        lead = gettext("You cancelled your booking for %(when)s.", when=when)
        sms = gettext("%(name)s: your booking for %(when)s (%(service)s) is cancelled (by you).",
                      name=f.sms_name, when=short, service=f.service)
    else:
        lead = gettext("%(business)s cancelled your booking for %(when)s.", business=f.business.name, when=when)
        sms = gettext("%(name)s: your booking for %(when)s (%(service)s) is cancelled.",
                      name=f.sms_name, when=short, service=f.service)
    return Content(
        subject=gettext("Booking cancelled: %(service)s, %(when)s (%(business)s)",
                        service=f.service, when=short, business=f.business.name),
        heading=gettext("Your booking is cancelled"),
        paragraphs=[f.greeting, lead, *money_lines],
        details=f.booking_rows(),
        buttons=[Button(gettext("Book again"), f.book_again_url)],
        sms=" ".join([sms, *money_lines]),
        sms_links=[(gettext("Book again:"), f.book_again_url)],
    )


def reminder(f: Facts) -> Content:
    when = f.long_time(f.booking.starts_at)
    short = f.short_time(f.booking.starts_at)
    if f.business.address_street:
        sms = gettext("%(name)s: reminder, %(when)s at %(street)s, %(service)s.", name=f.sms_name, when=short,
                      street=f.business.address_street, service=f.service)
    else:
        sms = gettext("%(name)s: reminder, %(when)s, %(service)s.", name=f.sms_name, when=short, service=f.service)
    return Content(
        subject=gettext("Reminder: %(service)s, %(when)s (%(business)s)",
                        service=f.service, when=short, business=f.business.name),
        heading=gettext("See you soon"),
        paragraphs=[f.greeting, gettext("A reminder of your appointment at %(business)s on %(when)s.",
                                        business=f.business.name, when=when),
                    gettext("Can't make it? Change or cancel your booking from the link below, "
                            "so someone else can have the time.")],
        details=f.booking_rows(),
        buttons=[Button(gettext("See, change or cancel your booking"), f.manage_url)],
        sms=sms,
        sms_links=[(gettext("Manage:"), f.manage_url)],
    )


def review_request(f: Facts) -> Content:
    review_url = f"{f.manage_url}#{REVIEW_ANCHOR}"
    return Content(
        subject=gettext("How was your visit to %(business)s?", business=f.business.name),
        heading=gettext("How was your visit?"),
        paragraphs=[f.greeting, gettext("Thank you for visiting %(business)s for your %(service)s on %(when)s. "
                                        "Would you tell us how it went? It takes a minute.",
                                        business=f.business.name, service=f.service,
                                        when=f.long_time(f.booking.starts_at))],
        buttons=[Button(gettext("Leave a review"), review_url)],
        sms=gettext("%(name)s: thank you for your visit. How was it?", name=f.sms_name),
        sms_links=[(gettext("Leave a review:"), review_url)],
    )


def receipt(f: Facts) -> Content:
    checkout = f.session.get(Checkout, uuid.UUID(f.facts["checkout_id"]))
    f.booking = f.booking or checkout.booking
    sums = totals(f.session, checkout)
    currency = sums.currency
    rows = [(line.name, str(line.quantity),
             ("-" if line.type == "discount" else "") + f.money(line.amount_cents, currency))
            for line in checkout.line_items]
    total_rows = [(gettext("Total"), f.money(sums.total_cents, currency))]
    if sums.refunded_after_close_cents:
        total_rows += [(gettext("Refunded after the sale"), "-" + f.money(sums.refunded_after_close_cents, currency)),
                       (gettext("Total after refunds"), f.money(sums.total_after_refunds_cents, currency))]
    total_rows.append((gettext("Paid"), f.money(sums.paid_cents, currency)))
    balance = sums.balance_cents
    if balance:
        total_rows.append((gettext("Still due") if balance > 0 else gettext("To give back"),
                           f.money(abs(balance), currency)))
    return Content(
        subject=gettext("Your receipt from %(business)s: %(number)s",
                        business=f.business.name, number=f.booking.booking_number),
        heading=gettext("Your receipt"),
        paragraphs=[f.greeting, gettext("Thank you for your visit on %(when)s. Here is your receipt.",
                                        when=f.long_time(f.booking.starts_at))],
        details=[(gettext("Booking number"), f.booking.booking_number), (gettext("What"), f.what)],
        table=Table((gettext("Item"), gettext("Qty"), gettext("Amount")), rows, total_rows),
        buttons=[Button(gettext("Book again"), f.book_again_url)],
        sms=gettext("%(name)s: receipt for %(number)s: total %(total)s, paid %(paid)s.", name=f.sms_name,
                    number=f.booking.booking_number, total=f.money(sums.total_cents, currency),
                    paid=f.money(sums.paid_cents, currency)),
    )


# --------------------------------------------------------------------------- staff kinds


def staff_new_booking(f: Facts) -> Content:
    pending = f.booking.status == BookingStatus.PENDING.value
    return Content(
        subject=f"New booking: {f.customer_name}, {f.service}, {f.short_time(f.booking.starts_at)}",
        heading="New booking" + (" (waiting for approval)" if pending else ""),
        paragraphs=[f.greeting, f"{f.customer_name} booked {f.service} with you on {f.long_time(f.booking.starts_at)}."
                    + (" It waits for approval in the dashboard." if pending else "")],
        details=f.staff_rows(),
        buttons=[Button("Open the booking", f.dashboard_url)],
        sms=f"{f.sms_name}: new booking {f.short_time(f.booking.starts_at)}, {f.customer_name}, {f.service}.",
        sms_links=[("Open:", f.dashboard_url)],
    )


def staff_cancelled(f: Facts) -> Content:
    who, money_lines = f.cancellation_words()
    by = f"{f.customer_name} cancelled" if who == "customer" else "The booking was cancelled by the business"
    return Content(
        subject=f"Cancelled: {f.customer_name}, {f.service}, {f.short_time(f.booking.starts_at)}",
        heading="Booking cancelled",
        paragraphs=[f.greeting, f"{by}: {f.service} on {f.long_time(f.booking.starts_at)}. The time is free again.",
                    *money_lines],
        details=f.staff_rows(),
        buttons=[Button("Open the booking", f.dashboard_url)],
        sms=f"{f.sms_name}: cancelled {f.short_time(f.booking.starts_at)}, {f.customer_name}, {f.service}.",
        sms_links=[("Open:", f.dashboard_url)],
    )


def staff_data_request(f: Facts) -> Content:
    """To an owner: a customer asked, from their manage link, for their data or its erasure."""
    erasure = f.facts.get("request_kind") == "erasure"
    what = "erase their details" if erasure else "have a copy of their data"
    client_url = public_url("dashboard.client", customer_id=f.booking.customer_id)
    return Content(
        subject=f"{f.customer_name} asks to {what}",
        heading="Erasure request" if erasure else "Data export request",
        paragraphs=[f.greeting, f"{f.customer_name} asked from the manage link of booking "
                    f"{f.booking.booking_number} to {what}. Confirm or decline it on the client's page."],
        details=[("Client", f.customer_name), ("Booking number", f.booking.booking_number)],
        buttons=[Button("Open the client", client_url)],
        sms=f"{f.sms_name}: {f.customer_name} asks to {what}.",
        sms_links=[("Open:", client_url)],
    )


def staff_rescheduled(f: Facts) -> Content:
    old, new = f.previous(), f.long_time(f.booking.starts_at)
    rows = [("Was", old), ("Now", new)] + [row for row in f.staff_rows() if row[0] != "When"]
    return Content(
        subject=f"Moved: {f.customer_name}, {f.service}, now {f.short_time(f.booking.starts_at)}",
        heading="Booking moved",
        paragraphs=[f.greeting, f"{f.customer_name}'s {f.service} has moved from {old} to {new}."],
        details=rows,
        buttons=[Button("Open the booking", f.dashboard_url)],
        sms=f"{f.sms_name}: moved to {f.short_time(f.booking.starts_at)}, {f.customer_name}, {f.service}.",
        sms_links=[("Open:", f.dashboard_url)],
    )


def agenda_bookings(session: Session, business: Business, staff_id: uuid.UUID, day: date) -> list[Booking]:
    """The staff member's booked appointments starting on a local day, in order."""
    day_start, day_end = local_day_bounds(day, ZoneInfo(business.timezone))
    return list(session.scalars(
        select(Booking)
        .where(Booking.business_id == business.id, Booking.staff_id == staff_id,
               Booking.status.in_(AGENDA_STATUSES), Booking.is_test.is_(False),
               Booking.starts_at >= day_start, Booking.starts_at < day_end)
        .order_by(Booking.starts_at)
    ))


def staff_agenda(f: Facts) -> Content:
    day = date.fromisoformat(f.facts["day"])
    staff = f.session.get(Staff, f.message.staff_id)
    bookings = agenda_bookings(f.session, f.business, staff.id, day)
    day_words = f"{day:%A} {day.day} {day:%B %Y}"
    rows = [(f"{f.clock(b.starts_at)}–{f.clock(b.ends_at)}", b.service.name,
             b.customer.name if b.customer else "Walk-in",
             "Waiting for approval" if b.status == BookingStatus.PENDING.value else (b.notes or ""))
            for b in bookings]
    count = f"{len(bookings)} appointment{'s' if len(bookings) != 1 else ''}"
    day_url = public_url("dashboard.day", date=day.isoformat())
    first = f", first at {f.clock(bookings[0].starts_at)}" if bookings else ""
    return Content(
        subject=f"Your day, {day_words}: {count}",
        heading=f"Your day: {day_words}",
        paragraphs=[f"Hello {staff.name},",
                    f"You have {count} at {f.business.name}{first}." if bookings else
                    f"You have no appointments at {f.business.name} that day."],
        table=Table(("Time", "Service", "Client", "Note"), rows) if rows else None,
        buttons=[Button("Open the day in the dashboard", day_url)],
        sms=f"{f.sms_name}: {count} on {day:%a} {day.day} {day:%b}{first}.",
        sms_links=[("Open:", day_url)],
    )


# --------------------------------------------------------------------------- account kinds


def account_password_reset(f: Facts) -> Content:
    """The reset link, built now from the facts recorded when it was asked for (the link is
    dated then, so it expires an hour after the asking whenever the email goes out)."""
    token = reset_token(current_app.config["SECRET_KEY"], f.facts["account_id"], f.facts.get("generation", 0),
                        asked_at=f.message.created_at)
    url = public_url("auth.reset_password", token=token)
    minutes = int(notify.PASSWORD_RESET_LIFETIME.total_seconds() // 60)
    return Content(
        subject=f"Reset your {f.business.name} dashboard password",
        heading="Reset your password",
        paragraphs=[f.greeting,
                    f"Someone asked to reset the password of your {f.business.name} dashboard account "
                    f"({f.message.recipient}). The button below lets you choose a new one.",
                    f"The link works once, within {minutes} minutes. Using it signs out every session of the account.",
                    "If you did not ask for this, ignore this email: your password stays as it is."],
        buttons=[Button("Choose a new password", url)],
        sms="",
    )


BUILDERS: dict[str, Callable[[Facts], Content]] = {
    notify.BOOKING_CONFIRMED: booking_confirmed,
    notify.BOOKING_PENDING: booking_pending,
    notify.BOOKING_APPROVED: booking_approved,
    notify.BOOKING_RESCHEDULED: booking_rescheduled,
    notify.BOOKING_CANCELLED: booking_cancelled,
    notify.REMINDER: reminder,
    notify.REVIEW_REQUEST: review_request,
    notify.RECEIPT: receipt,
    notify.STAFF_NEW_BOOKING: staff_new_booking,
    notify.STAFF_CANCELLED: staff_cancelled,
    notify.STAFF_RESCHEDULED: staff_rescheduled,
    notify.STAFF_AGENDA: staff_agenda,
    notify.ACCOUNT_PASSWORD_RESET: account_password_reset,
    notify.STAFF_DATA_REQUEST: staff_data_request,
}


# --------------------------------------------------------------------------- rendering


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def sms_body(text: str, links: list[tuple[str, str]], *, limit: int = SMS_MAX_CHARS) -> str:
    """The words and then the labelled links, whole; the words are shortened to fit."""
    tail = "".join(f" {label} {url}" for label, url in links)
    room = limit - len(tail)
    return _shorten(text, max(room, 1)) + tail


def _template(name: str, context: dict) -> str:
    # The app's Jinja environment without request context processors: there is no request.
    return current_app.jinja_env.get_template(name).render(**context)


def render(session: Session, message: Message, *, now: datetime) -> RenderedEmail | RenderedSms:
    builder = BUILDERS.get(message.kind)
    if builder is None:
        raise ValueError(f"unknown message kind {message.kind!r}")
    facts = Facts(session, message)
    if facts.booking is None and message.kind not in (notify.STAFF_AGENDA, notify.RECEIPT, *notify.ACCOUNT_KINDS):
        raise ValueError(f"message {message.id} ({message.kind}) has no booking")
    with force_locale(facts.language):
        return _render_content(builder(facts), facts, message, now=now)


def _render_content(content: Content, facts: Facts, message: Message, *, now: datetime) -> RenderedEmail | RenderedSms:
    unsubscribe_url = facts.unsubscribe_url() if message.kind in notify.NON_TRANSACTIONAL else None

    if message.channel == "sms":
        links = content.sms_links + ([(gettext("Opt out:"), unsubscribe_url)] if unsubscribe_url else [])
        return RenderedSms(sms_body(content.sms, links))

    business = facts.business
    context = {"content": content, "business": business, "address": facts.address,
               "brand_colour": DEFAULT_BRAND_COLOUR, "unsubscribe_url": unsubscribe_url}
    method = CALENDAR_METHODS.get(message.kind)
    ics = None
    if method:
        ics = booking_ics(facts.booking, business, now=now, manage_url=facts.manage_url, method=method,
                          first_reminder_hours=first_reminder_hours(business),
                          organizer_email=current_app.config.get("SMTP_SENDER"),
                          locale=facts.locale, gettext=gettext)
    staff_reply_to = facts.booking.customer.email if (
        message.audience == "staff" and facts.booking is not None and facts.booking.customer is not None) else None
    return RenderedEmail(
        subject=content.subject,
        text=_template("emails/message.txt", context),
        html=_template("emails/message.html", context),
        reply_to=staff_reply_to or business.email,
        ics=ics, ics_method=method if ics else None,
        unsubscribe_url=unsubscribe_url,
    )
