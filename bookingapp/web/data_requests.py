"""From the manage link, a customer asks for a copy of their data or for its erasure. The
request waits for the business's owners (domain.data_rights tells them); once an owner
confirms an export, the copy is downloadable here, through the same link, for a while.

The manage link's signed token is what proves the customer, as for cancelling. Asking for
erasure takes a ticked box: it cannot be undone once the owner confirms it."""
from __future__ import annotations

from flask import abort, make_response, request, url_for

from bookingapp.domain import audit, clock, data_rights
from bookingapp.domain.errors import DomainError
from bookingapp.i18n import error_text
from bookingapp.extensions import db
from bookingapp.web.forms import ActionForm
from bookingapp.web.manage import _managed_booking, _render_manage
from bookingapp.web.rendering import business_or_404, see_other
from bookingapp.web.views import bp


@bp.app_template_global()
def customer_data_requests(booking):
    """For the manage page's partial: this customer's requests, newest first, and a
    confirmed export still to download (or None)."""
    return {"requests": data_rights.requests_of_booking(db.session, booking),
            "download": data_rights.downloadable_export(db.session, booking, now=clock.now()),
            "erased": booking.customer is not None and data_rights.is_erased(booking.customer)}


def ask(slug: str, token: str):
    business = business_or_404(slug)
    booking = _managed_booking(business, token)
    ActionForm().validate_on_submit()
    kind = request.form.get("kind", "")
    if kind == "erasure" and request.form.get("understood") != "yes":
        return _render_manage(business, booking, token, status=422,
                              error="Tick the box to confirm that you want your details erased.")
    try:
        with db.session.begin_nested():
            data_rights.request_from_manage_link(db.session, business, booking, kind, now=clock.now())
    except DomainError as error:
        return _render_manage(business, booking, token, status=422, error=error_text(error))
    return see_other(url_for("web.manage", slug=business.slug, token=token, notice=f"data_{kind}"))


def download(slug: str, token: str):
    """The confirmed export as a JSON file; audited (the customer downloaded it)."""
    business = business_or_404(slug)
    booking = _managed_booking(business, token)
    if booking.customer is None or data_rights.downloadable_export(db.session, booking, now=clock.now()) is None:
        abort(404)
    document = data_rights.export_client(db.session, business, booking.customer, now=clock.now(),
                                         actor=audit.CUSTOMER)
    response = make_response(data_rights.export_json(document))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="my-data-{business.slug}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


bp.add_url_rule("/<slug>/manage/<token>/data-request", "data_request", ask, methods=["POST"])
bp.add_url_rule("/<slug>/manage/<token>/my-data.json", "data_export_download", download, methods=["GET"])
