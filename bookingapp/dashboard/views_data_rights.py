"""A client's data rights from the dashboard, for owners: export one client's data (JSON,
CSV), erase a client after typing their name, and answer the requests customers make from
their manage link (confirm an export, erase, or decline). The rules and what is exported
or erased are domain.data_rights'."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from bookingapp.auth import require
from bookingapp.auth.roles import allowed
from bookingapp.dashboard import all_or_nothing, bp, now_utc
from bookingapp.domain import data_rights
from bookingapp.domain.errors import DomainError
from bookingapp.extensions import db
from bookingapp.models import Customer
from bookingapp.models.audit import DataRequest

EXPORTS = {"json": ("application/json; charset=utf-8", data_rights.export_json),
           "csv": ("text/csv; charset=utf-8", data_rights.export_csv)}


def _client_or_404(customer_id) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.business_id != current_user.business.id:
        abort(404)
    return customer


def _request_or_404(request_id) -> DataRequest:
    found = db.session.get(DataRequest, request_id)
    if found is None or found.business_id != current_user.business.id:
        abort(404)
    return found


def _who() -> str:
    return f"{current_user.email} ({current_user.role})"


@bp.app_template_global()
def client_data_rights(customer):
    """For the client page's partial: whether the signed-in account may act, whether the
    client is erased, and the client's pending requests."""
    if not current_user.is_authenticated or not allowed(current_user.role, "data_rights"):
        return {"allowed": False}
    return {"allowed": True, "erased": data_rights.is_erased(customer),
            "pending": data_rights.pending_requests(db.session, current_user.business, customer)}


@bp.app_template_global()
def business_data_requests():
    """For the audit page: every pending request of the business."""
    return data_rights.pending_requests(db.session, current_user.business)


@bp.get("/clients/<uuid:customer_id>/export.<any(json, csv):fmt>")
@require("data_rights")
def client_export(customer_id, fmt):
    customer = _client_or_404(customer_id)
    business = current_user.business
    document = data_rights.export_client(db.session, business, customer, now=now_utc(), fmt=fmt)
    content_type, serialise = EXPORTS[fmt]
    response = make_response(serialise(document))
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = f'attachment; filename="client-{customer.id.hex[:8]}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _erase_page(customer, *, status=200, error=None, typed=""):
    return render_template("dashboard/client_erase.html", business=current_user.business, customer=customer,
                           error=error, typed=typed), status


@bp.route("/clients/<uuid:customer_id>/erase", methods=["GET", "POST"])
@require("data_rights")
def client_erase(customer_id):
    """The confirmation step: the owner types the client's name, then the client is erased."""
    customer = _client_or_404(customer_id)
    if data_rights.is_erased(customer):
        flash("This client has already been erased.", "info")
        return redirect(url_for("dashboard.client", customer_id=customer.id))
    if request.method == "GET":
        return _erase_page(customer)
    typed = (request.form.get("confirm_name") or "")[:200]
    if " ".join(typed.split()).casefold() != " ".join(customer.name.split()).casefold():
        return _erase_page(customer, status=422, typed=typed,
                           error="Type the client's name exactly as shown to confirm.")
    try:
        with all_or_nothing():
            # A pending erasure request of the client is answered by this erasure.
            data_rights.erase_client(db.session, current_user.business, customer, now=now_utc(), decided_by=_who())
    except DomainError as error:
        return _erase_page(customer, status=422, typed=typed, error=error.message)
    flash("The client's details have been erased; their bookings and payments stay in the books.", "info")
    return redirect(url_for("dashboard.client", customer_id=customer.id))


@bp.post("/data-requests/<uuid:request_id>/confirm")
@require("data_rights")
def data_request_confirm(request_id):
    """Confirming an export makes it downloadable through the customer's manage link; an
    erasure is confirmed on the erase page (typing the name), where this sends it."""
    found = _request_or_404(request_id)
    if found.kind == "erasure":
        return redirect(url_for("dashboard.client_erase", customer_id=found.customer_id))
    try:
        with all_or_nothing():
            data_rights.confirm_request(db.session, current_user.business, found, decided_by=_who(), now=now_utc())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("dashboard.client", customer_id=found.customer_id))
    flash("The client can now download their data from their manage link.", "info")
    return redirect(url_for("dashboard.client", customer_id=found.customer_id))


@bp.post("/data-requests/<uuid:request_id>/decline")
@require("data_rights")
def data_request_decline(request_id):
    found = _request_or_404(request_id)
    try:
        with all_or_nothing():
            data_rights.decline_request(db.session, current_user.business, found, decided_by=_who(), now=now_utc())
    except DomainError as error:
        flash(error.message, "error")
    return redirect(url_for("dashboard.client", customer_id=found.customer_id))
