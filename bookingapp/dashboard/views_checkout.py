"""Checkout pages: line items with live totals (htmx), payment, close, receipt, refunds.
Every rule is domain.checkout's; this module parses input and maps errors to 422."""
from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from flask import abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from bookingapp.auth import require
from bookingapp.auth.locations import may_see_location
from bookingapp.auth.roles import allowed
from bookingapp.dashboard import actor, all_or_nothing, bp, is_htmx, now_utc, render
from bookingapp.dashboard import views_day
from bookingapp.dashboard.panels import payment_rows
from bookingapp.domain import checkout as co
from bookingapp.domain.errors import DomainError, ValidationError
from bookingapp.domain.money import minor_units
from bookingapp.extensions import db
from bookingapp.models import Product, Service
from bookingapp.models.checkout import Checkout
from bookingapp.payments import current_provider


MAX_AMOUNT = Decimal(1_000_000)


def parse_money(raw: str | None, param: str, *, currency: str, required: bool = True) -> int | None:
    """'12.50' -> 1250 in GBP, '1500' -> 1500 in JPY, '1.250' -> 1250 in KWD: the amount
    in the currency's own minor units (domain.money.minor_units), refusing more decimals
    than the currency has. Shape only: the domain decides whether the amount is allowed.
    Decimal reads 'Infinity', 'NaN' and '1e400' too: those are refused here, as a field
    error, before any arithmetic on them can raise."""
    places = minor_units(currency)
    example = "1500" if places == 0 else "12." + "5".ljust(places, "0")
    text = (raw or "").strip().replace(",", "")
    if not text:
        if required:
            raise ValidationError("Enter an amount.", param=param)
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"{_shown(raw)} is not an amount (e.g. {example}).", param=param) from None
    if not value.is_finite():
        raise ValidationError(f"{_shown(raw)} is not an amount (e.g. {example}).", param=param)
    if value < 0 or value > MAX_AMOUNT:
        raise ValidationError("Enter an amount between 0 and 1,000,000.", param=param)
    try:
        exact = value == value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:  # more digits than the context holds (e.g. 1e-400)
        exact = False
    if not exact:
        if places == 0:
            raise ValidationError(f"{currency} has no decimals: enter a whole amount, e.g. {example}.", param=param)
        raise ValidationError(f"Enter an amount with at most {_DECIMALS.get(places, places)} decimal"
                              f"{'s' if places > 1 else ''}, e.g. {example}.", param=param)
    return int(value.scaleb(places))


_DECIMALS = {1: "one", 2: "two", 3: "three", 4: "four"}


def _shown(raw: str | None) -> str:
    """What was typed, quoted and cut short for an error message (it may be 100 KB)."""
    text = raw or ""
    return repr(text if len(text) <= 40 else text[:40] + "...")


def show_money(cents: int | None, currency: str) -> str:
    """Minor units as a form shows them for editing: 1250 GBP -> '12.50', 1500 JPY -> '1500'."""
    if cents is None:
        return ""
    places = minor_units(currency)
    return f"{Decimal(int(cents)).scaleb(-places):.{places}f}"


def parse_int(raw: str | None, param: str) -> int:
    try:
        number = int((raw or "").strip())
    except ValueError:
        raise ValidationError("Enter a whole number.", param=param) from None
    if abs(number) > MAX_INT:
        raise ValidationError("That number is too large.", param=param)
    return number


# The database's integer columns are 32-bit: a larger number would fail on insert.
MAX_INT = 2**31 - 1


def _checkout(checkout_id: uuid.UUID) -> Checkout:
    checkout = db.session.get(Checkout, checkout_id)
    if (checkout is None or checkout.business_id != current_user.business_id
            or not may_see_location(current_user, checkout.booking.location_id)):
        abort(404)
    return checkout


def _render(checkout: Checkout, *, error: str | None = None, status: int = 200):
    """The checkout partial (or page). After an error (422) the forms show what was typed."""
    business = current_user.business
    services = db.session.scalars(
        select(Service).where(Service.business_id == business.id, Service.deleted_at.is_(None),
                              Service.is_active.is_(True)).order_by(Service.sort_order, Service.name)
    ).all()
    products = db.session.scalars(
        select(Product).where(Product.business_id == business.id, Product.is_active.is_(True),
                              Product.deactivated_at.is_(None)).order_by(Product.sort_order, Product.name)
    ).all()
    return render(
        "dashboard/_checkout.html", "dashboard/checkout.html", status=status, business=business, checkout=checkout,
        booking=checkout.booking, totals=co.totals(db.session, checkout), services=services, products=products,
        error=error, payments=payment_rows(checkout.booking, checkout),
        can_refund=allowed(current_user.role, "refund"), typed=request.form if status == 422 else {},
        show_money=show_money,
    )


def _apply(checkout: Checkout, change):
    """Run a domain change, or undo it and show why (422, which the request does not commit)."""
    try:
        with all_or_nothing():
            result = change()
    except DomainError as error:
        return _render(db.session.get(Checkout, checkout.id), error=error.message, status=422)
    return result if result is not None else _render(checkout)


@bp.post("/bookings/<uuid:booking_id>/checkout")
@require("checkout")
def open_checkout(booking_id):
    booking = views_day._own_booking(booking_id)
    try:
        with all_or_nothing():
            checkout = co.open_checkout(db.session, booking, now=now_utc())
    except DomainError as error:
        return views_day._panel(booking, error=error.message, status=422)
    target = url_for("dashboard.checkout_page", checkout_id=checkout.id)
    return ("", 204, {"HX-Redirect": target}) if is_htmx() else redirect(target)


@bp.get("/checkout/<uuid:checkout_id>")
@require("checkout")
def checkout_page(checkout_id):
    return _render(_checkout(checkout_id))


@bp.post("/checkout/<uuid:checkout_id>/lines")
@require("checkout")
def checkout_add_line(checkout_id):
    checkout = _checkout(checkout_id)
    kind = request.form.get("kind")

    def change():
        if kind == "addon_service":
            service = db.session.get(Service, _uuid(request.form.get("service_id"), "service_id"))
            if service is None:
                raise ValidationError("Choose a service.", param="service_id")
            co.add_addon_service(db.session, checkout, service)
        elif kind == "product":
            product = db.session.get(Product, _uuid(request.form.get("product_id"), "product_id"))
            if product is None:
                raise ValidationError("Choose a product.", param="product_id")
            co.add_product(db.session, checkout, product, parse_int(request.form.get("quantity") or "1", "quantity"))
        elif kind == "discount":
            how = request.form.get("discount_kind")
            value = request.form.get("discount_value")
            if how == "percent":
                co.add_discount(db.session, checkout, percent=parse_int(value, "percent"))
            elif how == "promo":
                co.add_discount(db.session, checkout, promo_code=value or "", now=now_utc())
            else:
                co.add_discount(db.session, checkout, amount_cents=parse_money(value, "amount", currency=checkout.currency))
        else:
            raise ValidationError("Unknown kind of line.", param="kind")

    return _apply(checkout, change)


def _uuid(raw: str | None, param: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw or "")
    except ValueError:
        raise ValidationError("Choose an item from the list.", param=param) from None


@bp.post("/checkout/<uuid:checkout_id>/tip")
@require("checkout")
def checkout_tip(checkout_id):
    checkout = _checkout(checkout_id)
    return _apply(checkout, lambda: co.set_tip(db.session, checkout, parse_money(request.form.get("tip"), "tip", currency=checkout.currency, required=False) or 0))


@bp.post("/checkout/<uuid:checkout_id>/lines/<uuid:line_id>/remove")
@require("checkout")
def checkout_remove_line(checkout_id, line_id):
    checkout = _checkout(checkout_id)
    return _apply(checkout, lambda: co.remove_line(db.session, checkout, line_id))


@bp.post("/checkout/<uuid:checkout_id>/pay")
@require("checkout")
def checkout_pay(checkout_id):
    """Take the balance: cash or card-present recorded here and the checkout closed, or
    the card sent to the payment provider's page, which comes back to card_return."""
    checkout = _checkout(checkout_id)
    method = request.form.get("method")
    if method == "card":
        def change():
            # A second click (or "back" from the page) gets the page already open; a page that
            # turned out paid sends the desk to card_return as if it had come back from it.
            started = co.start_card_payment(
                db.session, current_provider(), checkout, actor=actor(), now=now_utc(),
                success_url=url_for("dashboard.card_return", checkout_id=checkout.id, _external=True)
                + "?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=url_for("dashboard.checkout_page", checkout_id=checkout.id, _external=True),
            )
            return ("", 204, {"HX-Redirect": started.url}) if is_htmx() else redirect(started.url)

        return _apply(checkout, change)

    def change():
        co.take_in_person(db.session, checkout, method or "", actor=actor(), now=now_utc())
        co.close_checkout(db.session, checkout, actor=actor(), now=now_utc())
        target = url_for("dashboard.receipt", checkout_id=checkout.id)
        return ("", 204, {"HX-Redirect": target}) if is_htmx() else redirect(target)

    return _apply(checkout, change)


@bp.get("/checkout/<uuid:checkout_id>/card-return")
@require("checkout")
def card_return(checkout_id):
    checkout = _checkout(checkout_id)
    session_id = request.args.get("session_id", "")
    try:
        with all_or_nothing():
            co.confirm_card_payment(db.session, current_provider(), checkout, session_id, actor=actor(), now=now_utc())
    except DomainError as error:
        return _render(db.session.get(Checkout, checkout_id), error=error.message, status=422)
    if checkout.status == "closed":
        return redirect(url_for("dashboard.receipt", checkout_id=checkout.id))
    return redirect(url_for("dashboard.checkout_page", checkout_id=checkout.id))


@bp.post("/checkout/<uuid:checkout_id>/close")
@require("checkout")
def checkout_close(checkout_id):
    """Close a checkout whose balance is already covered (e.g. prepaid in full)."""
    checkout = _checkout(checkout_id)

    def change():
        co.close_checkout(db.session, checkout, actor=actor(), now=now_utc())
        target = url_for("dashboard.receipt", checkout_id=checkout.id)
        return ("", 204, {"HX-Redirect": target}) if is_htmx() else redirect(target)

    return _apply(checkout, change)


@bp.post("/checkout/<uuid:checkout_id>/give-back")
@require("checkout")
def checkout_give_back(checkout_id):
    """More was paid than the total (a deposit above a discounted total): give the excess
    back by card refund or over the desk, and close."""
    checkout = _checkout(checkout_id)

    def change():
        co.give_back_excess(db.session, current_provider(), checkout, request.form.get("method", ""), actor=actor(),
                            now=now_utc())
        target = url_for("dashboard.receipt", checkout_id=checkout.id)
        return ("", 204, {"HX-Redirect": target}) if is_htmx() else redirect(target)

    return _apply(checkout, change)


@bp.post("/checkout/<uuid:checkout_id>/refund")
@require("refund")
def checkout_refund(checkout_id):
    checkout = _checkout(checkout_id)

    def change():
        co.refund(db.session, current_provider(), checkout, parse_money(request.form.get("amount"), "amount", currency=checkout.currency),
                  method=request.form.get("method", ""), actor=actor(),
                  reason=(request.form.get("reason") or "").strip()[:500] or None, now=now_utc())

    return _apply(checkout, change)


@bp.get("/checkout/<uuid:checkout_id>/receipt")
@require("checkout")
def receipt(checkout_id):
    checkout = _checkout(checkout_id)
    from flask import render_template

    return render_template("dashboard/receipt.html", business=current_user.business, checkout=checkout,
                           booking=checkout.booking, totals=co.totals(db.session, checkout),
                           payments=payment_rows(checkout.booking, checkout))
