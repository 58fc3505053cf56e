"""Payment pages: the sandbox's hosted checkout, the return and cancel pages, a pay page
for a held booking, and the Stripe webhook.

Views translate HTTP to bookingapp.domain.payments and back; every rule about money lives
in the domain. They never commit: bookingapp.unit_of_work commits once after a success and
rolls back otherwise. Two pages answer with an error status for something that did
happen and must be kept, so they call `keep_on_error()`: a declined sandbox card (the
failed attempt is recorded) and a return whose late payment was refunded (409: the money
went back at the provider, so our records must say so).
"""
from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import stripe
from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import BuildError

from bookingapp.domain import clock
from bookingapp.domain import payments as payments_domain
from bookingapp.domain.errors import DomainError, HoldExpired, NotFound, ValidationError
from bookingapp.domain.payments.provider_events import read_event, record_malformed_event
from bookingapp.domain.payments.providers import sandbox_serves_with_real_provider
from bookingapp.domain.local_time import format_dated
from bookingapp.domain.money import DEFAULT_LOCALE, format_money
from bookingapp.i18n import domain_text, error_text, format_locale, use_business_default
from bookingapp.extensions import csrf, db
from bookingapp.models import Booking, Business
from bookingapp.models.payment import Payment
from bookingapp.payments import current_provider, provider_name
from bookingapp.payments.base import ProviderRejected, ProviderUnavailable
from bookingapp.payments.stripe import verify_signature
from bookingapp.payments.sandbox import (
    CardError, SandboxProvider, cancel_redirect, check_card_form, new_event_id, success_redirect, try_card,
)
from bookingapp.unit_of_work import keep_on_error
from bookingapp.web.rendering import too_large


bp = Blueprint("payments", __name__)
# The sandbox's card form, like every HTML form: a body over MAX_CONTENT_LENGTH is a plain 413 page.
bp.register_error_handler(RequestEntityTooLarge, too_large)

# How old a Stripe-Signature timestamp may be (seconds), as stripe.Webhook's default.
SIGNATURE_TOLERANCE = 300


def _now() -> datetime:
    return clock.now()


@bp.context_processor
def _money_helper():
    """amount(cents, currency) -> "£10.00" in this blueprint's pages (domain.money), "10,00 £"
    on a German page."""
    return {"amount": lambda cents, currency: format_money(cents, currency, format_locale() or DEFAULT_LOCALE)}


def _local(instant: datetime | None, business: Business) -> str:
    if instant is None:
        return ""
    return format_dated(instant.astimezone(ZoneInfo(business.timezone)), "%a %d %b %Y, %H:%M", format_locale())


def _new_time_url(business: Business, booking: Booking) -> str:
    """Where a customer picks another time: the wizard's time step for the same service
    when the wizard is installed, else the business's landing page."""
    for endpoint, args in (
        ("web.choose_staff", {"slug": business.slug, "service_id": str(booking.service_id)}),
        ("web.landing", {"slug": business.slug}),
        ("web.index", {}),
    ):
        try:
            return url_for(endpoint, **args)
        except BuildError:
            continue
    return "/"


def _message(title: str, text: str, *, status: int, business: Business | None = None, link: tuple[str, str] | None = None):
    return render_template("payments/message.html", title=title, text=text, business=business, link=link), status


def _booking_or_404(booking_id: str) -> Booking:
    try:
        booking = db.session.get(Booking, uuid.UUID(booking_id))
    except ValueError:
        booking = None
    if booking is None:
        abort(404)
    return booking


def _page_context(booking: Booking, business: Business) -> dict:
    use_business_default(business)  # the customer's language, else the business's
    return dict(
        booking=booking, business=business, balance=payments_domain.balance(db.session, booking, business),
        starts=_local(booking.starts_at, business), hold_until=_local(booking.hold_expires_at, business),
        new_time_url=_new_time_url(business, booking),
    )


# --------------------------------------------------------------------------- pay page


@bp.route("/checkout/pay/<booking_id>", methods=["GET", "POST"])
def pay(booking_id: str):
    """What is due on a booking and a button to the provider's payment page. The
    booking's id is a random UUID only its customer has (the wizard, the cancel page)."""
    booking = _booking_or_404(booking_id)
    business = db.session.get(Business, booking.business_id)
    if request.method == "GET":
        return render_template("payments/pay.html", error=None, **_page_context(booking, business))
    try:
        # The payment row is flushed before the provider call and committed with it after
        # this view; the page's address reaches the customer only if that commit works
        # (a failed commit is a 500 without it, and the unreachable page expires unpaid).
        # The savepoint undoes a half-done start before the 422 page shows the balance.
        with db.session.begin_nested():
            started = payments_domain.start_checkout(
                db.session, current_provider(), booking,
                success_url=url_for("payments.checkout_return", _external=True) + "?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=url_for("payments.checkout_cancel", booking=str(booking.id), _external=True),
                now=_now(),
            )
    except HoldExpired as error:
        return _message(gettext("Your hold ran out"), error_text(error), status=409, business=business,
                        link=(gettext("Pick a new time"), _new_time_url(business, booking)))
    except payments_domain.PaymentUnavailable as error:
        return _message(gettext("Payment page unavailable"), error_text(error), status=503, business=business)
    except DomainError as error:
        return render_template("payments/pay.html", error=error_text(error), **_page_context(booking, business)), 422
    return redirect(started.url, code=303)


# --------------------------------------------------------------------------- return and cancel


@bp.get("/checkout/return")
def checkout_return():
    """Stripe's success_url. Confirms exactly as the webhook does; whichever comes first
    books and the other changes nothing."""
    session_id = request.args.get("session_id", "").strip()
    if not session_id:
        return _message(gettext("Missing payment reference"), gettext("This link has no checkout session id."), status=400)
    try:
        outcome = payments_domain.confirm_checkout(db.session, current_provider(), session_id, now=_now())
    except NotFound:
        return _message(gettext("Unknown payment"), gettext("We do not know this payment. Nothing was booked."), status=404)
    except payments_domain.PaymentUnavailable as error:
        return _message(gettext("Checking your payment"), error_text(error), status=503)
    except DomainError as error:
        return _message(gettext("Payment problem"), error_text(error), status=422)
    business = db.session.get(Business, outcome.booking.business_id)
    # The time was lost (409); a duplicate payment refunded leaves the booking made (200).
    status = 409 if outcome.result in ("refunded_time_taken", "refunded_not_bookable") else 200
    if status == 409:
        # The payment was refunded at the provider just now: the refund rows, the
        # booking's history and the outbox events must be committed all the same.
        keep_on_error()
    return render_template("payments/result.html", outcome=outcome, **_page_context(outcome.booking, business)), status


@bp.get("/checkout/cancel")
def checkout_cancel():
    """Stripe's cancel_url: the customer left the payment page. Nothing was charged; the
    hold still runs, so they may try again until it ends."""
    booking = _booking_or_404(request.args.get("booking", ""))
    business = db.session.get(Business, booking.business_id)
    return render_template("payments/cancelled.html", now=_now(), **_page_context(booking, business))


# --------------------------------------------------------------------------- sandbox hosted page


def _sandbox_provider(session_id: str):
    if provider_name(current_app.config) != "sandbox":
        # With Stripe configured, payments happen on Stripe's page only, except a test
        # booking's (test API keys), which never reach a real provider.
        if not sandbox_serves_with_real_provider(db.session, session_id):
            abort(404)
        return SandboxProvider(db.session, url_for_checkout=lambda sid: url_for(
            "payments.sandbox_checkout", session_id=sid, _external=True))
    return current_provider()


def _sandbox_context(provider, session_id: str) -> dict:
    try:
        row = provider.checkout_page(session_id)
    except ProviderRejected:
        abort(404)
    payment = db.session.get(Payment, uuid.UUID(row.metadata_["payment_id"])) if row.metadata_.get("payment_id") else None
    business = db.session.get(Business, uuid.UUID(row.metadata_["business_id"])) if row.metadata_.get("business_id") else None
    return dict(checkout=row, payment=payment, business=business, description=_description(row, payment, business))


def _description(row, payment: Payment | None, business: Business | None) -> str:
    """The page's line saying what is paid for, in the page's language: the description
    the provider stores (and Stripe shows) is written once, in English, when the page
    opens, but the customer reading it here may be on a German visit. A page we cannot
    place (no payment or business in its metadata) shows the stored line."""
    booking = db.session.get(Booking, payment.booking_id) if payment is not None and payment.booking_id else None
    if booking is None or business is None:
        return row.description
    values = dict(service=booking.service.name if booking.service else gettext("appointment"),
                  business=business.name, number=booking.booking_number)
    if payment.kind == "deposit":
        return gettext("%(service)s deposit to %(business)s (%(number)s)", **values)
    if payment.kind == "balance":
        return gettext("%(service)s balance to %(business)s (%(number)s)", **values)
    return gettext("%(service)s payment to %(business)s (%(number)s)", **values)


@bp.get("/sandbox/checkout/<session_id>")
def sandbox_checkout(session_id: str):
    provider = _sandbox_provider(session_id)
    context = _sandbox_context(provider, session_id)
    row = context["checkout"]
    if row.status == "complete":
        return redirect(success_redirect(row), code=303)
    if row.status == "expired":
        # Stripe tells us when a page expires; the sandbox does it when the page is seen.
        payments_domain.handle_event(db.session, provider, f"evt_sbx_expired_{row.id}", "checkout.session.expired", row.id)
    return render_template("payments/sandbox_checkout.html", error=None, field=None, form={}, cancel_url=cancel_redirect(row), **context)


@bp.post("/sandbox/checkout/<session_id>")
def sandbox_pay(session_id: str):
    provider = _sandbox_provider(session_id)
    context = _sandbox_context(provider, session_id)
    row = context["checkout"]
    form = {k: request.form.get(k, "") for k in ("card_number", "expiry", "cvc", "name")}
    try:
        number = check_card_form(form["card_number"], form["expiry"], form["cvc"], today=_now().date())
        result = try_card(provider, session_id, number)
    except CardError as error:
        # The form was filled in wrongly or the page is closed: nothing happened (422,
        # rolled back).
        return render_template("payments/sandbox_checkout.html", error=domain_text(error.message), field=error.field, form=form,
                               cancel_url=cancel_redirect(row), **context), 422
    event_type, object_id = result.event
    payments_domain.handle_event(db.session, provider, new_event_id(), event_type, object_id)
    if result.paid:
        return redirect(success_redirect(row), code=303)
    # Declined: the form comes back (422) and the failed attempt is kept, as Stripe's
    # payment_intent.payment_failed would have recorded it.
    keep_on_error()
    return render_template("payments/sandbox_checkout.html", error=domain_text(result.message), field="card_number", form=form,
                           cancel_url=cancel_redirect(row), **context), 422


# --------------------------------------------------------------------------- Stripe webhook


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    """Stripe's events. 400 for a bad, stale or missing signature (nothing changes), and
    for a correctly signed event we can never use (not an object, no id, an id or type
    longer than we store: recorded, see provider_events.read_event); 200 for events
    handled, repeated or ignored; 503 when we cannot act right now (the provider or the
    database is unreachable), so Stripe delivers the event again."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        return jsonify(error="STRIPE_WEBHOOK_SECRET is not configured"), 503
    payload = request.get_data()
    try:
        verify_signature(payload, request.headers.get("Stripe-Signature"), secret, tolerance=SIGNATURE_TOLERANCE)
    except stripe.SignatureVerificationError:
        return jsonify(error="invalid signature"), 400
    except ValueError:  # not UTF-8: no signature can be checked over it
        return jsonify(error="invalid payload"), 400
    try:
        event_id, event_type, object_id = read_event(payload)
    except ValidationError as error:
        # Signed by Stripe but unusable (an array, no id, an id longer than we store):
        # retrying can never help, so it is a 400, and the refusal is kept (a "malformed"
        # stripe_events row, committed despite the 400) and logged for an operator.
        record = record_malformed_event(db.session, payload, error, now=_now())
        keep_on_error()
        current_app.logger.warning("Stripe event refused as malformed (%s); recorded as %s", error.message, record.id)
        return jsonify(error=error.message, param=error.param, recorded_as=record.id), 400
    try:
        outcome = payments_domain.handle_event(db.session, current_provider(), event_id, event_type, object_id)
        # Every write reaches the database here, so that a database failure is still ours
        # to answer (503). The commit itself comes after this view (the unit of work); if
        # that fails, the answer is a 500: still a retry, and nothing was stored.
        db.session.flush()
    except (payments_domain.PaymentUnavailable, ProviderUnavailable, DBAPIError) as error:
        # Answered with a 5xx, so the unit of work rolls back: the event id is not stored
        # and Stripe's retry is processed afresh.
        current_app.logger.warning("Stripe event %s not processed, Stripe will retry: %s", event_id, error)
        return jsonify(error="temporarily unavailable, retry later"), 503
    except DomainError as error:
        # Something we cannot act on safely (e.g. a refund the provider refused): change
        # nothing, answer 5xx so Stripe retries, and leave a trace for the owner.
        current_app.logger.error("Stripe event %s (%s) failed: %s", event_id, event_type, error.message)
        return jsonify(error=error.message), 500
    return jsonify(received=True, outcome=outcome), 200
