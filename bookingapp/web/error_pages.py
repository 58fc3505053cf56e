"""Error pages (404, 403, 410, 500) in the look of the door they happen on: a customer
URL gets the business's page (its name and a way back to its booking page, when the URL
names one), a /dashboard URL the dashboard's, and /api keeps its JSON envelope.

Registered on the app (bookingapp/__init__.py), so URLs no blueprint matched are covered
too; a blueprint's own handlers (the API's envelope, CSRF and size refusals) still come
first, as Flask looks there before the app's."""
from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from bookingapp.domain.slugs import is_reserved_slug
from bookingapp.extensions import db
from bookingapp.i18n import use_business_default

log = logging.getLogger(__name__)

HANDLED = (403, 404, 410, 500)
# What each page says; the title is also the page's <h1>.
# Lazy: written in the customer's language when the page is rendered (the dashboard's
# error page renders them in English).
WORDS = {
    403: (_l("You cannot open this page"), _l("This page is not open to you. If you followed a link, it may be meant for someone else.")),
    404: (_l("We could not find that page"), _l("The link may be mistyped or incomplete. If it came in an email, try opening it from the email again.")),
    410: (_l("This link has expired"), _l("The page it pointed to is no longer available.")),
    500: (_l("Something went wrong on our side"), _l("Nothing you did caused this, and nothing was changed. Please try again in a moment.")),
}


def _door() -> str:
    path = request.path
    if path == "/api" or path.startswith("/api/"):
        return "api"
    if path == "/dashboard" or path.startswith("/dashboard/"):
        return "dashboard"
    return "web"


def _business_named_in_url():
    """The public business the URL's first segment names, for its look and a link back;
    None when there is none (or the database cannot be asked just now)."""
    from bookingapp.models import Business

    slug = (request.view_args or {}).get("slug") or request.path.strip("/").split("/", 1)[0]
    if not slug or is_reserved_slug(slug) or len(slug) > 100:
        return None
    try:
        return db.session.query(Business).filter_by(slug=slug, is_active=True).one_or_none()
    except Exception:  # a 500 from a broken database must still show its page
        log.warning("Could not look up the business for an error page", exc_info=True)
        db.session.rollback()
        return None


def error_page(error: HTTPException):
    status = error.code if error.code in HANDLED else 500
    door = _door()
    if door == "api":
        from bookingapp.api.errors import _from_http, error_response

        return error_response(_from_http(error))
    title, text = WORDS[status]
    if error.description and error.description != type(error).description:
        # A reason the view gave (abort(403, "Only an owner ...")) says more than ours.
        text = error.description
    if door == "dashboard":
        return render_template("errors/dashboard_error.html", status=status, title=title, text=text), status
    if status == 500:
        # Whatever the failed request wrote is not kept (the unit of work would roll it
        # back too); the business is then read afresh, or left out if that fails as well.
        db.session.rollback()
    business = _business_named_in_url()
    if business is not None:
        use_business_default(business)
    return render_template("errors/error.html", status=status, title=title, text=text, business=business), status


def init_app(app: Flask) -> None:
    # An exception no handler caught reaches the 500 handler as InternalServerError once
    # Flask has logged it (and, under TESTING, propagates it to the test instead).
    for status in HANDLED:
        app.register_error_handler(status, error_page)
