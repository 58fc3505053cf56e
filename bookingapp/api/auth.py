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
    now = datetime.now(timezone.utc)
    # Touch last_used_at at most once a minute: a write per request would serialise readers on SQLite.
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


def rate_limits() -> str:
    config = current_app.config
    limits = [part.strip() for part in str(config.get("API_RATE_LIMITS", "")).split(";") if part.strip()]
    quota = int(config.get("API_MONTHLY_QUOTA") or 0)
    if quota > 0:
        limits.append(f"{quota} per month")
    return ";".join(limits)


def not_limited() -> bool:
    return request.endpoint in PUBLIC_ENDPOINTS or not rate_limits()
