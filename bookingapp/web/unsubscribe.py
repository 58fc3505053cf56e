"""The unsubscribe link in reminders and review requests (and their List-Unsubscribe
header): a customer stops getting non-transactional messages from one business, and may
take it back.

GET only shows a button: mail scanners and link previews follow GET links, and must not
unsubscribe anybody. The POST unsubscribes; it also takes RFC 8058's one-click POST
(body `List-Unsubscribe=One-Click`), which a mail client sends without our CSRF token, so
the view is exempt from the app-wide check and checks the token itself for every other
POST. The link's signed token (web.links.unsubscribe_token) is what proves the customer.
"""
from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from sqlalchemy import select

from bookingapp.domain import clock, consent
from bookingapp.extensions import csrf, db
from bookingapp.models import Business, Customer
from bookingapp.web.forms import ActionForm
from bookingapp.web.links import read_unsubscribe_token
from bookingapp.web.rendering import see_other
from bookingapp.web.views import bp

ONE_CLICK = "One-Click"
NOTICES = ("resubscribed",)


def _customer(slug: str, token: str) -> tuple[Business, Customer]:
    # Not only active businesses: a link already sent keeps working if the business pauses.
    business = db.session.scalar(select(Business).where(Business.slug == slug))
    customer_id = read_unsubscribe_token(token)
    customer = db.session.get(Customer, customer_id) if customer_id else None
    if business is None or customer is None or customer.business_id != business.id:
        abort(404)
    return business, customer


def _page(business: Business, customer: Customer, token: str, *, notice: str | None = None):
    return render_template("web/unsubscribe.html", business=business, customer=customer, token=token,
                           form=ActionForm(), notice=notice, page_title="Email preferences")


def show(slug: str, token: str):
    business, customer = _customer(slug, token)
    notice = request.args.get("notice")
    return _page(business, customer, token, notice=notice if notice in NOTICES else None)


@csrf.exempt
def unsubscribe(slug: str, token: str):
    business, customer = _customer(slug, token)
    one_click = request.form.get("List-Unsubscribe") == ONE_CLICK
    if not one_click and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    consent.unsubscribe(db.session, customer, now=clock.now())
    if one_click:
        return _page(business, customer, token)  # a mail client: nothing to redirect
    return see_other(url_for("web.unsubscribe_page", slug=slug, token=token))


def resubscribe(slug: str, token: str):
    _business, customer = _customer(slug, token)
    consent.resubscribe(db.session, customer, now=clock.now())
    return see_other(url_for("web.unsubscribe_page", slug=slug, token=token, notice="resubscribed"))


bp.add_url_rule("/<slug>/unsubscribe/<token>", "unsubscribe_page", show, methods=["GET"])
bp.add_url_rule("/<slug>/unsubscribe/<token>", "unsubscribe", unsubscribe, methods=["POST"])
bp.add_url_rule("/<slug>/unsubscribe/<token>/resubscribe", "resubscribe", resubscribe, methods=["POST"])
