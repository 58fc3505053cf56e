"""Sign-in and sign-out pages, and the second step of signing in (a code, or setting
two-factor up when the business requires it). The rules are auth.accounts' and
auth.two_factor's; the half-signed-in state between the steps lives in the session."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from bookingapp import unit_of_work
from bookingapp.auth import PENDING, clear_session, end_session, forget_sign_in, start_session
from bookingapp.auth import password_reset, two_factor
from bookingapp.auth.accounts import (
    MIN_PASSWORD_LENGTH, PENDING_CODE_TTL, PENDING_ENROLMENT_TTL, SignInRefused, TooManyAttempts, authenticate,
)
from bookingapp.domain import clock
from bookingapp.domain.errors import DomainError
from bookingapp.extensions import db
from bookingapp.web.rendering import too_large

bp = Blueprint("auth", __name__, url_prefix="/dashboard")
bp.register_error_handler(413, too_large)


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect after sign-in is a phishing tool."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("dashboard.day")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    error = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                account = authenticate(
                    db.session, form.email.data, form.password.data, address=request.remote_addr or "unknown"
                )
            except TooManyAttempts as refused:
                error, status = refused.message, 429  # refused before trying: nothing recorded
            except SignInRefused as refused:
                unit_of_work.keep_on_error()  # the failed attempt must count towards the limit
                error, status = refused.message, 401
            else:
                target = _safe_next(request.args.get("next"))
                if account.has_two_factor:
                    _begin_pending(account, "code", target)
                    return redirect(url_for("auth.sign_in_code"))
                if two_factor.must_enrol(account):
                    _begin_pending(account, "enrol", target)
                    return redirect(url_for("auth.sign_in_enrol"))
                start_session(account)
                return redirect(target)
        else:
            status = 422
    return render_template("dashboard/sign_in.html", form=form, error=error), status


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=40)])


def _begin_pending(account, stage: str, target: str) -> None:
    """Half signed in: the password was right, the second step is still to come. The session
    is cleared first (as at a full sign-in) and holds no signed-in user until then."""
    clear_session()
    session[PENDING] = {"account": str(account.id), "stage": stage, "since": clock.now().timestamp(),
                        "generation": account.session_generation or 0, "next": target}


def _pending(stage: str):
    """The account half signed in at this stage, or None (none, expired, or no longer valid)."""
    import uuid

    from bookingapp.models import Account

    state = session.get(PENDING)
    if not isinstance(state, dict) or state.get("stage") != stage:
        return None
    ttl = PENDING_CODE_TTL if stage == "code" else PENDING_ENROLMENT_TTL
    since = state.get("since")
    if not isinstance(since, (int, float)) or clock.now().timestamp() - since > ttl.total_seconds():
        forget_sign_in()
        return None
    try:
        account = db.session.get(Account, uuid.UUID(str(state.get("account"))))
    except ValueError:
        account = None
    if account is None or not account.is_active or state.get("generation") != (account.session_generation or 0):
        forget_sign_in()
        return None
    return account


def _start_again():
    flash("Please sign in again.", "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in/code", methods=["GET", "POST"])
def sign_in_code():
    account = _pending("code")
    if account is None:
        return _start_again()
    form = CodeForm()
    error, status = None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                used = two_factor.verify_sign_in_code(db.session, account, form.code.data,
                                                      address=request.remote_addr or "unknown")
            except TooManyAttempts as refused:
                error, status = refused.message, 429
            except SignInRefused as refused:
                unit_of_work.keep_on_error()  # the wrong code counts towards the limit
                error, status = refused.message, 401
            else:
                target = session[PENDING].get("next") or url_for("dashboard.day")
                start_session(account)
                if used == "recovery":
                    left = two_factor.recovery_codes_left(db.session, account)
                    flash(f"You signed in with a recovery code; {left} left. Make new ones on the Security page "
                          "if you are running low.", "info")
                return redirect(_safe_next(target))
        else:
            status = 422
    return render_template("dashboard/sign_in_code.html", form=form, error=error), status


@bp.route("/sign-in/two-factor-setup", methods=["GET", "POST"])
def sign_in_enrol():
    """The business requires two-factor and this account has none: set it up now, then in."""
    account = _pending("enrol")
    if account is None or account.has_two_factor:
        return _start_again()
    form = CodeForm()
    error, status = None, 200
    if request.method == "GET":
        two_factor.start_enrolment(account)
    elif not two_factor.has_waiting_secret(account):
        return redirect(url_for("auth.sign_in_enrol"))  # no secret was ever shown: show one
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                codes = two_factor.confirm_enrolment(db.session, account, form.code.data)
            except DomainError as refused:
                error, status = refused.message, 422
            else:
                target = session[PENDING].get("next") or url_for("dashboard.day")
                start_session(account)
                return render_template("dashboard/security_recovery_codes.html", codes=codes,
                                       continue_to=_safe_next(target))
        else:
            status = 422
    return render_template("dashboard/security_enrol.html", form=form, error=error,
                           enrolment=two_factor.enrolment_details(account), action=url_for("auth.sign_in_enrol")), status


@bp.post("/sign-out")
def sign_out():
    end_session()
    return redirect(url_for("auth.sign_in"))


# --------------------------------------------------------------------------- forgotten password


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=200)])


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link. The answer is the same page whether or not the email has an
    account (and whether or not an email goes out), so the form tells no one who has one."""
    form = ForgotPasswordForm()
    if request.method == "POST" and form.validate_on_submit():
        password_reset.request_reset(db.session, form.email.data, now=clock.now())
        return render_template("dashboard/forgot_password.html", form=form, sent_to=form.email.data)
    status = 422 if request.method == "POST" else 200
    return render_template("dashboard/forgot_password.html", form=form, sent_to=None), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """The link from the email: choose a new password (the rules of every password). It
    ends every session of the account, this browser's included, and works once."""
    secret = current_app.config["SECRET_KEY"]
    form = NewPasswordForm()
    try:
        password_reset.account_for_token(db.session, secret, token, now=clock.now())
    except password_reset.ResetLinkInvalid as refused:
        return render_template("dashboard/reset_password.html", form=None, error=refused.message), 410
    error, status = None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                password_reset.reset_password(db.session, secret, token, form.new_password.data, now=clock.now())
            except DomainError as refused:
                error, status = refused.message, 422
            else:
                end_session()
                flash("Your password has been changed and every session signed out. Sign in with the new password.",
                      "info")
                return redirect(url_for("auth.sign_in"))
        else:
            status = 422
    return render_template("dashboard/reset_password.html", form=form, error=error,
                           min_password=MIN_PASSWORD_LENGTH), status
