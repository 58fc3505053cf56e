"""Authentication of API requests and the per-key rate limits.

The key comes as `Authorization: Bearer <key>` or `X-Api-Key: <key>`. A request's business
is the key's business, and every lookup in the views is scoped to it, so another
business's object is simply not found (404), never forbidden: its existence is not leaked."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app, g, request

from bookingapp.api.errors import ApiError
from bookingapp.api.keys import digest, find_active_key
from bookingapp.extensions import db
from bookingapp.models import Business
from bookingapp.domain.clock import resolve_now

# Endpoints anyone may read: the document that describes the API.
PUBLIC_ENDPOINTS = {"api.openapi_document"}


def presented_key() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("X-Api-Key", "").strip() or None


def authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    raw = presented_key()
    if raw is None:
        raise ApiError("unauthorized", "Send your API key as 'Authorization: Bearer <key>' or 'X-Api-Key'.")
    key = find_active_key(db.session, raw)
    if key is None:
        raise ApiError("unauthorized", "The API key is not valid or has been revoked.")
    business = db.session.get(Business, key.business_id)
    if business is None or not business.is_active:
        raise ApiError("forbidden", "This business is not active; its API keys cannot be used.")
    g.api_key = key
    g.business = business
    now = resolve_now(None)
    # Touch last_used_at at most once a minute: a write per request would serialise readers on SQLite.
    # Its own short transaction, before the request's unit of work begins: a key's last use is
    # true whether or not the request then succeeds, and a read-only request must not hold the
    # write lock for its whole length.
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        key.last_used_at = now
        db.session.commit()


def rate_limit_key() -> str:
    """Count per API key (its digest, so the secret never reaches the limiter's storage);
    requests without a key are counted per address."""
    raw = presented_key()
    if raw:
        return "key:" + digest(raw)
    return "ip:" + (request.remote_addr or "unknown")


# Every route of the API draws on one allowance per key (a shared limit with this scope);
# without it Flask-Limiter gives each route its own counter and a client could multiply
# its allowance by spreading calls over routes.
RATE_LIMIT_SCOPE = "api_v1"
QUOTA_SCOPE_PREFIX = "api_v1_quota:"
# The monthly quota's counter is keyed by the calendar month (UTC), so it starts afresh on
# the 1st; its window only has to outlive the longest month.
QUOTA_WINDOW = "32 days"


def rate_limits() -> str:
    config = current_app.config
    return ";".join(part.strip() for part in str(config.get("API_RATE_LIMITS", "")).split(";") if part.strip())


def monthly_quota() -> str:
    quota = int(current_app.config.get("API_MONTHLY_QUOTA") or 0)
    return f"{quota} per {QUOTA_WINDOW}" if quota > 0 else ""


def quota_scope(_endpoint: str = "") -> str:
    return QUOTA_SCOPE_PREFIX + resolve_now(None).strftime("%Y-%m")


def next_month_start(now: datetime | None = None) -> datetime:
    now = resolve_now(now)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 1, tzinfo=timezone.utc)


def is_public() -> bool:
    return request.endpoint in PUBLIC_ENDPOINTS


def install_limits(bp, limiter) -> None:
    """One shared per-key allowance for the whole blueprint, plus the calendar-month quota."""
    limiter.shared_limit(rate_limits, scope=RATE_LIMIT_SCOPE, key_func=rate_limit_key, exempt_when=is_public)(bp)
    limiter.shared_limit(monthly_quota, scope=quota_scope, key_func=rate_limit_key, exempt_when=is_public)(bp)


def rate_limit_headers(response):
    """After Flask-Limiter's own headers: X-RateLimit-Used, and the monthly quota's true reset
    (the 1st of next month, UTC) when the quota is the limit being reported."""
    from bookingapp.extensions import limiter

    if request.blueprint != "api" or not limiter.enabled:
        return response
    try:
        current = limiter.current_limit
    except Exception:  # no limit was evaluated for this request (e.g. limiting off)
        current = None
    if current is None or "X-RateLimit-Remaining" not in response.headers:
        return response
    remaining = int(response.headers["X-RateLimit-Remaining"])
    response.headers["X-RateLimit-Used"] = str(max(current.limit.amount - remaining, 0))
    if QUOTA_SCOPE_PREFIX in current.key:
        response.headers["X-RateLimit-Reset"] = str(int(next_month_start().timestamp()))
    return response
