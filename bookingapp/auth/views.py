"""Sign-in and sign-out pages."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from bookingapp import unit_of_work
from bookingapp.auth.accounts import SignInRefused, TooManyAttempts, authenticate
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
                login_user(account)
                return redirect(_safe_next(request.args.get("next")))
        else:
            status = 422
    return render_template("dashboard/sign_in.html", form=form, error=error), status


@bp.post("/sign-out")
def sign_out():
    logout_user()
    return redirect(url_for("auth.sign_in"))
