"""Probes for load balancers: liveness touches nothing, readiness asks the database."""
from flask import Blueprint
from sqlalchemy import text

from bookingapp.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/readyz")
def readyz():
    # The unit of work ends the (read-only) transaction after the answer, either way.
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not ready"
        return "database unavailable", 503, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
