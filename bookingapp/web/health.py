"""Probes for load balancers: liveness touches nothing, readiness asks the database and the
rate-limit storage.

/readyz answers 503 only when the app cannot serve: the database is down. A rate-limit
storage (Redis) that does not answer is a degradation, not an outage: the API keeps serving
with its limits counted in each process's memory (see extensions.ApiLimiter), so /readyz
stays 200 and says "degraded" in its body, one line per dependency, for whoever looks."""
from flask import Blueprint, current_app
from sqlalchemy import text

from bookingapp.extensions import db, limiter

bp = Blueprint("health", __name__)

HEADERS = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/healthz")
def healthz():
    return "ok", 200, HEADERS


def _database_ok() -> bool:
    # The unit of work ends the (read-only) transaction after the answer, either way.
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not ready"
        return False
    return True


def _rate_limit_storage() -> str | None:
    """"ok" or "unreachable" for a shared rate-limit storage; None when there is none to ask
    (limits off, or counted in memory by configuration)."""
    uri = str(current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if not (limiter.enabled and limiter.initialized) or uri.startswith("memory://"):
        return None
    return "ok" if limiter.storage_reachable() else "unreachable"


@bp.get("/readyz")
def readyz():
    database_ok = _database_ok()
    storage = _rate_limit_storage()
    if database_ok and storage in (None, "ok"):
        return "ok", 200, HEADERS
    lines = ["ready" if database_ok else "database unavailable",
             f"database: {'ok' if database_ok else 'unreachable'}"]
    if storage is not None:
        note = "" if storage == "ok" else " (API rate limits are counted in each process's memory meanwhile)"
        lines.append(f"rate-limit storage: {storage}{note}")
    if not database_ok:
        return "\n".join(lines) + "\n", 503, HEADERS
    lines[0] = "degraded"
    return "\n".join(lines) + "\n", 200, HEADERS
