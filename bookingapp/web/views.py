"""The public booking site's blueprint and its URL map: every public URL, in one table.

The handlers live in their rooms: landing.py (a business's page and the site's root),
wizard.py (the booking steps), manage.py (the customer's manage link); rendering.py and
timepicker.py hold what they share. Those modules never import this one, so the map can
import them all without a circle. Endpoint names are `web.<name>` as before the split.

Views only translate HTTP to the domain and back (hold, book, find_availability,
find_or_create_customer, reschedule and cancel are the same functions the API calls) and
never commit: bookingapp.unit_of_work commits the request once, after a success.
"""
from __future__ import annotations

from flask import Blueprint
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from bookingapp.web import landing, locations, manage, rendering, wizard

bp = Blueprint("web", __name__)

bp.register_error_handler(CSRFError, rendering.csrf_refused)
bp.register_error_handler(RequestEntityTooLarge, rendering.too_large)
bp.add_app_template_filter(rendering.price_filter, "price")
bp.add_app_template_filter(rendering.local_filter, "local")
bp.add_app_template_filter(rendering.dated_filter, "dated")
bp.add_app_template_filter(rendering.utc_iso_filter, "utc_iso")
bp.add_app_template_filter(rendering.zone_filter, "zone")
bp.add_app_template_filter(rendering.visitor_time_filter, "visitor_time")
bp.url_defaults(locations.carry_location)

GET, POST, GET_POST = ["GET"], ["POST"], ["GET", "POST"]

URLS = [
    # browsers ask for /favicon.ico whatever the page's <link rel="icon"> says
    ("/favicon.ico", "favicon", rendering.favicon, GET),
    # the business page
    ("/", "index", landing.index, GET),
    ("/<slug>", "landing", landing.landing, GET),
    # the wizard, step by step
    ("/<slug>/book", "choose_service", wizard.choose_service, GET),
    ("/<slug>/book/<service_id>", "choose_staff", wizard.choose_staff, GET),
    ("/<slug>/book/<service_id>/<who>", "choose_time", wizard.choose_time, GET_POST),
    ("/<slug>/booking/<token>/details", "details", wizard.details, GET_POST),
    ("/<slug>/booking/<token>/release", "release", wizard.release, POST),
    ("/<slug>/booking/<token>/payment", "payment", wizard.payment, GET_POST),
    ("/<slug>/booking/<token>/payment/return", "payment_return", wizard.payment_return, GET),
    ("/<slug>/booking/<token>/done", "done", wizard.done, GET),
    # a location's own booking page (a business with several: web/locations.py)
    ("/<slug>/<location_slug>", "at_location", wizard.at_location, GET),
    # the manage link
    ("/<slug>/manage/<token>", "manage", manage.manage, GET),
    ("/<slug>/manage/<token>/booking.ics", "booking_calendar", manage.booking_calendar, GET),
    ("/<slug>/manage/<token>/cancel", "cancel", manage.cancel, GET_POST),
    ("/<slug>/manage/<token>/reschedule", "reschedule", manage.reschedule, GET_POST),
    ("/<slug>/manage/<token>/review", "review", manage.review, POST),
]

for rule, endpoint, view, methods in URLS:
    bp.add_url_rule(rule, endpoint, view, methods=methods)
