"""What every page of the public site shares: full page or htmx partial, the 303 after a
POST, the template filters, the CSRF refusal, and loading a business and its catalogue
from the URL (404 for anything not public)."""
from __future__ import annotations

import calendar
import functools
from datetime import datetime, timezone
from itertools import groupby
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from flask_babel import gettext
from flask import Response, abort, current_app, g, make_response, redirect, render_template, request
from sqlalchemy import bindparam, func, select

from markupsafe import Markup, escape
from jinja2 import pass_context

from bookingapp.domain import clock
from bookingapp.domain.availability_cache import remember_version
from bookingapp.domain.local_time import format_dated, format_local, zone_city, zone_marker, zone_statement
from bookingapp.domain.money import DEFAULT_LOCALE, format_money, format_money_for
from bookingapp.domain.slugs import is_reserved_slug
from bookingapp.extensions import db
from bookingapp.i18n import format_locale, use_business_default
from bookingapp.models import Business, Location, Service, ServiceCategory

# --------------------------------------------------------------------------- answers


def wants_partial() -> bool:
    # A history restore after a cache miss needs the whole page, not a fragment.
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def render(name: str, *, status: int = 200, push_url: str | None = None, **context) -> Response:
    """The full page `web/<name>.html` or, for htmx, its partial `web/_<name>.html`."""
    template = f"web/_{name}.html" if wants_partial() else f"web/{name}.html"
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    if push_url and wants_partial():
        # Error answers to a POST keep the address bar on the step's own GET URL.
        response.headers["HX-Push-Url"] = push_url
    return response


def see_other(url: str) -> Response:
    response = redirect(url, code=303)
    response.vary.add("HX-Request")
    return response


def csrf_refused(error):
    # For htmx the partial, which the htmx config swaps in on a 400, so a stale token
    # shows a message instead of a button that silently does nothing.
    return render("csrf_error", status=400, reason=error.description)


def too_large(error):
    """A form over MAX_CONTENT_LENGTH (config.py): a plain page saying so, 413, on every
    HTML door (the API answers in its own envelope). htmx does not swap a 413 in, so the
    full page is the answer either way."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    shown = f"{limit // 1024} KB" if limit and limit < 1024 * 1024 else f"{limit / (1024 * 1024):g} MB"
    response = make_response(render_template("errors/413.html", limit=shown), 413)
    response.headers["Connection"] = "close"  # the rest of the body is not read
    return response


@functools.cache
def _favicon_svg(static_folder: str) -> bytes:
    return (Path(static_folder) / "favicon.svg").read_bytes()


def favicon():
    """The site's icon, at the address browsers try on their own and the one the pages link to:
    the SVG from memory, cached a day. Not a file sent per request: browsers fetch the icon
    beside every page and drop the request when the page moves on, which left the file open."""
    response = current_app.response_class(_favicon_svg(current_app.static_folder), mimetype="image/svg+xml")
    response.cache_control.max_age = 86400
    response.cache_control.public = True
    response.add_etag()
    return response.make_conditional(request)


# --------------------------------------------------------------------------- template filters


@pass_context
def price_filter(context, cents: int | None, currency: str = "GBP") -> str:
    """Money as the page's business writes it (domain.money, its locale), so a customer
    page never shows one amount two ways; the default locale where no business is known."""
    business = context.get("business")
    if business is not None:
        return format_money_for(business, cents or 0, currency, format_locale())
    return format_money(cents or 0, currency, format_locale() or DEFAULT_LOCALE)


def local_filter(instant: datetime | None, tz: str, fmt: str = "%H:%M") -> str:
    """The business's wall-clock time, with the zone when the time is ambiguous
    (domain.local_time: the repeated hour of the autumn change)."""
    if instant is None:
        return ""
    return format_local(instant, tz, fmt, format_locale())


def dated_filter(day, fmt: str) -> str:
    """A calendar date (a month heading, a day's heading) in the page's language."""
    return format_dated(day, fmt, format_locale())


def zone_filter(tz: str, at: datetime | None = None) -> str:
    """"London time (GMT)": the zone the page's times are in, at the moment shown."""
    if format_locale() is None:
        return zone_statement(tz, at or clock.now())
    local = (at or clock.now()).astimezone(ZoneInfo(tz))
    return gettext("%(city)s time (%(zone)s)", city=zone_city(tz), zone=zone_marker(local))


def visitor_time_filter(instant: datetime | None) -> Markup:
    """A slot for static/js/visitor-zone.js: filled with the time in the visitor's own
    zone when it differs from the business's; empty (and hidden) without JavaScript."""
    if instant is None:
        return Markup("")
    return Markup('<span class="visitor-time" data-utc="{}" data-words="{}" hidden></span>').format(
        escape(utc_iso_filter(instant)), gettext("{time} your time ({city})"))


def weekday_names() -> list[str]:
    """Monday to Sunday in the page's language."""
    locale = format_locale()
    if locale is None:
        return list(calendar.day_name)
    names = get_day_names("wide", locale=locale)
    return [names[day] for day in range(7)]


def utc_iso_filter(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- loading


# How many active locations the business has, read with it (web.locations.chosen_location:
# at a business with one, which is most, the wizard's pages need no read to find it).
_ACTIVE_LOCATION_COUNT = (
    select(func.count()).select_from(Location)
    .where(Location.business_id == Business.id, Location.is_active.is_(True))
    .scalar_subquery()
)
# Built once with a bind parameter: building and keying a SELECT afresh costs more than
# running it, on every public page.
_ACTIVE_BUSINESS_BY_SLUG = select(Business, Business.availability_version, _ACTIVE_LOCATION_COUNT).where(
    Business.slug == bindparam("slug"), Business.is_active.is_(True))
ACTIVE_LOCATIONS_READ = "active_locations_read_with_business"


def business_or_404(slug: str) -> Business:
    if is_reserved_slug(slug):
        abort(404)
    row = db.session.execute(_ACTIVE_BUSINESS_BY_SLUG, {"slug": slug}).one_or_none()
    if row is None:
        abort(404)
    business, version, active_locations = row
    # Read in the same statement: the time page's answers key by it without a second read.
    remember_version(db.session, business, version)
    # Kept beside the business's id: every page that asks chosen_location has loaded its
    # business here in the same request, so the count it finds is this request's.
    setattr(g, ACTIVE_LOCATIONS_READ, (business.id, active_locations))
    use_business_default(business)
    return business


def bookable_services(business: Business) -> list[Service]:
    return list(db.session.scalars(
        select(Service)
        .where(Service.business_id == business.id, Service.is_active.is_(True), Service.deleted_at.is_(None))
        .order_by(Service.sort_order, Service.name)
    ))


def grouped_by_category(business: Business, services: list[Service]) -> list[tuple[str, list[Service]]]:
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
