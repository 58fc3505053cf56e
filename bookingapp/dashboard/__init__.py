"""The owner dashboard at /dashboard: server-rendered pages with htmx partials.

Each view checks its permission (bookingapp.auth.require) and returns the partial for an
htmx request and the full page otherwise; responses vary on HX-Request so caches keep
the two apart. Form errors come back as 422 with the form partial.

No view commits: the request's unit of work (bookingapp.unit_of_work) commits once when the
answer is below 400 and rolls back otherwise. A view runs its domain change inside
`all_or_nothing()`, so a refused change is undone before the view renders its answer.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from flask import Blueprint, render_template, request
from flask_login import current_user

from bookingapp.auth.roles import allowed
from bookingapp.domain import clock
from bookingapp.domain.money import format_money
from bookingapp.domain.states import status_as_seen
from bookingapp.extensions import db
from bookingapp.web.rendering import too_large

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# The sections in the top navigation: (endpoint, label, permission). Each section's module
# adds itself, so the menu only ever links to pages that exist.
NAV: list[tuple[str, str, str]] = []


def now_utc() -> datetime:
    """The one clock (domain.clock; the app's CLOCK setting pins it)."""
    return clock.now()


@contextmanager
def all_or_nothing():
    """One domain change in a savepoint: when it raises, what it wrote is undone at once.

    The unit of work rolls a 4xx back anyway, but only after the view has rendered its
    answer; without the savepoint a 422 page would show the half-made change (a line
    already taken off, a status already moved), on PostgreSQL a failed statement would
    leave the transaction unusable for that render, and a refusal answered with a
    redirect (below 400, so committed) would keep it."""
    with db.session.begin_nested():
        yield


# No list is anywhere near this long; a larger ?page= would overflow the database's
# OFFSET (a 64-bit integer) and is shown as the last page there could be instead.
MAX_PAGE = 100_000


def page_number(raw: str | None) -> int:
    """The ?page= of a list: 1 for anything that is not a whole number, at most MAX_PAGE."""
    try:
        return min(MAX_PAGE, max(1, int(raw or "1")))
    except ValueError:
        return 1


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def render(partial: str, page: str, status: int = 200, **context):
    """The partial for htmx, the full page otherwise."""
    return render_template(partial if is_htmx() else page, **context), status


def actor() -> str:
    """Who did it, for booking history (the column holds 40 characters)."""
    return f"{current_user.role}:{current_user.email}"[:40]


# A form over MAX_CONTENT_LENGTH: the same plain 413 page as the public site's.
bp.register_error_handler(413, too_large)


@bp.after_request
def _vary(response):
    response.vary.add("HX-Request")
    return response


@bp.app_context_processor
def _dashboard_context():
    # A /dashboard URL that matches no route has no blueprint, yet its 404 page is drawn in
    # the dashboard's layout, which asks `can` for the menu (without it: a 500).
    in_dashboard = (request.blueprint or "").startswith(("dashboard", "auth")) or request.path.startswith("/dashboard/")
    if not in_dashboard:
        return {}
    can = (lambda permission: current_user.is_authenticated and allowed(current_user.role, permission))
    return {"can": can, "dashboard_nav": NAV}


@bp.app_template_filter("money")
def money(cents: int | None, currency: str = "") -> str:
    return "" if cents is None else format_money(cents, currency)


def _local(instant: datetime, tz: str, fmt: str) -> str:
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo(tz)).strftime(fmt) if instant else ""


@bp.app_template_filter("seen_status")
def seen_status(booking) -> str:
    """The booking's status as every door reads it now: a hold whose time has passed is
    `expired` at once, as in the API, without waiting for the worker's sweep."""
    return status_as_seen(booking, clock.now())


@bp.app_template_filter("localtime")
def localtime(instant: datetime, tz: str, fmt: str = "%H:%M") -> str:
    return _local(instant, tz, fmt)


from bookingapp.dashboard import views_day  # noqa: E402,F401  (routes register on bp)
from bookingapp.dashboard import views_checkout  # noqa: E402,F401
from bookingapp.dashboard import views_reviews  # noqa: E402,F401
from bookingapp.dashboard import views_messages  # noqa: E402,F401
from bookingapp.dashboard import views_setup  # noqa: E402,F401
from bookingapp.dashboard import views_clients  # noqa: E402,F401
from bookingapp.dashboard import views_analytics  # noqa: E402,F401
from bookingapp.dashboard import views_developer  # noqa: E402,F401
from bookingapp.dashboard import views_access  # noqa: E402,F401
from bookingapp.dashboard import views_move  # noqa: E402,F401
from bookingapp.dashboard import views_week  # noqa: E402,F401
from bookingapp.dashboard import views_security  # noqa: E402,F401
from bookingapp.dashboard import views_embed  # noqa: E402,F401
from bookingapp.dashboard import views_queue  # noqa: E402,F401
from bookingapp.dashboard import views_audit  # noqa: E402,F401
from bookingapp.dashboard import views_data_rights  # noqa: E402,F401
from bookingapp.dashboard import views_locations  # noqa: E402,F401
