"""Clients: everyone who ever booked (a client who only cancelled included), with visits
and spend from completed visits that have happened, no-shows, cancellations and what is
still to come, counted apart; and each client's page with their upcoming bookings above
their history. The numbers are domain.clients.dashboard_clients'."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select

from bookingapp.auth import require
from bookingapp.auth.locations import may_see_location, visible_location_ids
from bookingapp.dashboard import NAV, bp, now_utc, page_number, render
from bookingapp.domain.clients import SPENT_STATUSES, client_history, dashboard_clients, split_history
from bookingapp.extensions import db
from bookingapp.models import Customer, Service, Staff

NAV.append(("dashboard.clients", "Clients", "clients"))
PAGE_SIZE = 50


@bp.get("/clients")
@require("clients")
def clients():
    business = current_user.business
    search = (request.args.get("q") or "").strip()[:200]
    page = page_number(request.args.get("page"))
    rows, total = dashboard_clients(db.session, business, now=now_utc(), search=search or None,
                                    offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                                    location_ids=visible_location_ids(current_user))
    return render("dashboard/_client_list.html", "dashboard/clients.html", business=business, rows=rows, total=total,
                  search=search, page_number=page, pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE))


def _preload_services_and_staff(bookings) -> list:
    """The history table names each booking's service and staff member: two queries put
    them all in the session, so each booking's many-to-one finds its own there instead of
    querying once per row. The caller keeps the returned list until the page is rendered
    (the session holds its objects weakly)."""
    service_ids = {b.service_id for b in bookings}
    staff_ids = {b.staff_id for b in bookings}
    loaded: list = []
    if service_ids:
        loaded += db.session.scalars(select(Service).where(Service.id.in_(service_ids))).all()
    if staff_ids:
        loaded += db.session.scalars(select(Staff).where(Staff.id.in_(staff_ids))).all()
    return loaded


@bp.get("/clients/<uuid:customer_id>")
@require("clients")
def client(customer_id):
    business = current_user.business
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.business_id != business.id:
        abort(404)
    now = now_utc()
    # An account limited to some branches sees the visits there only.
    history = [b for b in client_history(db.session, business, customer) if may_see_location(current_user, b.location_id)]
    limited_to = visible_location_ids(current_user)
    if limited_to is not None and not history:
        abort(404)  # never booked at the account's branches: not in its list, so unknown here too
    preloaded = _preload_services_and_staff(history)
    upcoming, past = split_history(history, now)
    rows, _ = dashboard_clients(db.session, business, now=now, customer_id=customer.id, location_ids=limited_to)
    return render("dashboard/_client.html", "dashboard/client.html", business=business, customer=customer,
                  upcoming=upcoming, history=past, row=rows[0] if rows else None, spent_statuses=SPENT_STATUSES,
                  preloaded=preloaded)
