"""The Security page of the signed-in account: two-factor sign-in (set up with a QR code,
recovery codes shown once, switched off), the password, "sign out everywhere", and for an
owner whether every account of the business needs two-factor. The rules are auth.accounts'
and auth.two_factor's; this module maps form text and errors.

Recovery codes go straight into the response that made them and nowhere else (not the
flash, which lives in the session cookie; the database keeps only their hashes)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from bookingapp.auth import end_session, idle_minutes, require, start_session
from bookingapp.auth import accounts, two_factor
from bookingapp.dashboard import all_or_nothing, bp
from bookingapp.domain.errors import DomainError
from bookingapp.extensions import db


def _me():
    return current_user._get_current_object()


def _page(status: int = 200, errors: dict | None = None):
    account = _me()
    enrolment = None
    if not account.has_two_factor:
        # A refusal is rolled back: a secret made now would be shown but never stored.
        if two_factor.has_waiting_secret(account) or status < 400:
            two_factor.start_enrolment(account)
            enrolment = two_factor.enrolment_details(account)
        else:
            enrolment = {"restart": url_for("dashboard.security")}
    return render_template(
        "dashboard/security.html", account=account, business=account.business, enrolment=enrolment,
        errors=errors or {}, codes_left=two_factor.recovery_codes_left(db.session, account) if account.has_two_factor else 0,
        min_password=accounts.MIN_PASSWORD_LENGTH, idle_minutes=idle_minutes(),
    ), status


def _refused(where: str, error: DomainError):
    if isinstance(error, two_factor.TwoFactorRefused):
        abort(403)
    return _page(422, {where: error.message})


@bp.get("/security")
@require("security", before_two_factor=True)
def security():
    return _page()


@bp.post("/security/two-factor")
@require("security", before_two_factor=True)
def security_enrol():
    try:
        with all_or_nothing():
            codes = two_factor.confirm_enrolment(db.session, _me(), request.form.get("code", ""))
    except DomainError as error:
        return _refused("enrol", error)
    return render_template("dashboard/security_recovery_codes.html", codes=codes,
                           continue_to=url_for("dashboard.security"))


@bp.post("/security/two-factor/disable")
@require("security", before_two_factor=True)
def security_disable():
    try:
        with all_or_nothing():
            two_factor.disable(db.session, _me(), password=request.form.get("password", ""),
                               code=request.form.get("code", ""))
    except DomainError as error:
        return _refused("disable", error)
    flash("Two-factor sign-in is off.", "info")
    return redirect(url_for("dashboard.security"))


@bp.post("/security/recovery-codes")
@require("security", before_two_factor=True)
def security_recovery_codes():
    account = _me()
    if not account.has_two_factor:
        return _page(422, {"recovery": "Set up two-factor sign-in first."})
    if not accounts.verify_password(account, request.form.get("password", "")):
        return _page(422, {"recovery": "The password is not right."})
    codes = two_factor.new_recovery_codes(db.session, account)
    return render_template("dashboard/security_recovery_codes.html", codes=codes,
                           continue_to=url_for("dashboard.security"))


@bp.post("/security/password")
@require("security", before_two_factor=True)
def security_password():
    account = _me()
    try:
        with all_or_nothing():
            accounts.change_password(db.session, account, request.form.get("current_password", ""),
                                     request.form.get("new_password", ""))
    except DomainError as error:
        return _refused("password", error)
    # Every other session ended with the old generation; this one carries on, re-issued.
    start_session(account)
    flash("Password changed. Every other session has been signed out.", "info")
    return redirect(url_for("dashboard.security"))


@bp.post("/security/require-two-factor")
@require("security.require_two_factor", before_two_factor=True)
def security_require_two_factor():
    required = request.form.get("require_two_factor") in ("on", "y", "true", "1")
    try:
        with all_or_nothing():
            two_factor.set_required(db.session, current_user.business, required, acting=_me())
    except DomainError as error:
        return _refused("require", error)
    flash("Every account now needs two-factor sign-in." if required
          else "Two-factor sign-in is now each account's choice.", "info")
    return redirect(url_for("dashboard.security"))


@bp.post("/security/sign-out-everywhere")
@require("security", before_two_factor=True)
def security_sign_out_everywhere():
    accounts.end_all_sessions(_me())
    end_session()
    flash("You have been signed out everywhere, this browser included.", "info")
    return redirect(url_for("auth.sign_in"))
