"""Authentication of API requests and the per-key rate limits.

The key comes as `Authorization: Bearer <key>` or `X-Api-Key: <key>`. A request's business
is the key's business, and every lookup in the views is scoped to it, so another
business's object is simply not found (404), never forbidden: its existence is not leaked.

Then the key's scope (api/scopes.py) must allow the operation (the scope it needs is
declared with it in the registry, api/operations.py), or the request is a 403 `forbidden`
before the view runs: before any lookup, so a narrow key learns nothing from the answer."""
from __future__ import annotations

import math
import time
from datetime import datetime, timedelta, timezone

from flask import current_app, g, request
from limits import parse_many

from bookingapp.api.errors import ApiError
from bookingapp.api.keys import digest, find_active_key_and_business
from bookingapp.api.operations import BY_ENDPOINT
from bookingapp.api.scopes import allows, refusal_message
from bookingapp.api.rate_limits import WINDOW_SUFFIXES, Window, closest_to_running_out
from bookingapp.extensions import db
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
    found = find_active_key_and_business(db.session, raw)
    if found is None:
        raise ApiError("unauthorized", "The API key is not valid or has been revoked.")
    key, business = found
    if not business.is_active:
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


def enforce_scope() -> None:
    """Registered right after authenticate (api/__init__): the operation this request
    routes to must be allowed by the key's scope. Public routes and paths no operation
    took (the 404/405 catch-all; OPTIONS was answered earlier) have no scope to check."""
    key = g.get("api_key")
    op = BY_ENDPOINT.get(request.endpoint or "")
    if key is None or op is None or allows(key.scope, op.scope):
        return
    raise ApiError("forbidden", refusal_message(key.scope, op.scope, f"{op.operation_id} ({op.label})"),
                   details={"key_scope": key.scope, "required_scope": op.scope})


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


def _storage_args(key: str, scope: str) -> list[str]:
    # The counter's address exactly as Flask-Limiter builds it for a shared limit:
    # [key prefix,] key, scope (see ApiLimiter.init_app: the prefix is this app's own).
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    return [prefix, key, scope] if prefix else [key, scope]


def _read_windows() -> list[Window]:
    """Every window this request's key draws on, read back from the limiter's storage after
    this request was counted: the per-key limits and the monthly quota. Windows a refused
    request did not reach (Flask-Limiter stops at the first breach) are read all the same,
    without counting, so every response shows them all."""
    from bookingapp.extensions import limiter

    strategy = limiter.limiter  # the in-memory fallback while the shared storage is down
    key = rate_limit_key()
    per_key = parse_many(rate_limits()) if rate_limits() else []
    quota = parse_many(monthly_quota())[0] if monthly_quota() else None
    counters = [(item, _storage_args(key, RATE_LIMIT_SCOPE)) for item in per_key]
    if quota is not None:
        counters.append((quota, _storage_args(key, quota_scope())))
    stats = window_stats(strategy, counters)
    windows = [Window(item.amount, remaining, math.ceil(reset), item.GRANULARITY.name, item.multiples,
                      reset_exact=reset)
               for item, (reset, remaining) in zip(per_key, stats)]
    if quota is not None:
        # The quota's counter is keyed by the month, so it starts afresh on the 1st whatever
        # its storage expiry says.
        windows.append(Window(quota.amount, stats[-1][1], int(next_month_start().timestamp()), "quota"))
    return windows


def window_stats(strategy, counters: list[tuple]) -> list[tuple[float, int]]:
    """(reset time, remaining) of each (limit, storage address), as the strategy's own
    get_window_stats answers, but from Redis in one round trip: a GET and a TTL per counter in
    one pipeline instead of two round trips each (six per API request with the default limits
    and the quota). Other storages (memory, the outage fallback) are asked one by one."""
    from limits.storage import RedisStorage
    from limits.strategies import FixedWindowRateLimiter

    storage = strategy.storage
    if not (isinstance(strategy, FixedWindowRateLimiter) and isinstance(storage, RedisStorage)):
        return [tuple(strategy.get_window_stats(item, *address)) for item, address in counters]
    pipeline = storage.get_connection(True).pipeline(transaction=False)
    for item, address in counters:
        stored = storage.prefixed_key(item.key_for(*address))
        pipeline.get(stored)
        pipeline.ttl(stored)
    replies = pipeline.execute()
    now = time.time()
    return [(max(ttl, 0) + now, max(0, item.amount - int(count or 0)))
            for (item, _), count, ttl in zip(counters, replies[0::2], replies[1::2])]


def request_windows() -> list[Window]:
    """This request's windows, read once (the 429 message and the headers use the same read);
    empty when limiting is off, the endpoint is public, or the storage cannot be read."""
    from bookingapp.extensions import limiter, outage_log

    if "rate_windows" in g:
        return g.rate_windows
    windows: list[Window] = []
    if request.blueprint == "api" and limiter.enabled and limiter.initialized and not is_public():
        try:
            windows = _read_windows()
        except Exception as failure:  # the storage went away mid-request: serve without the headers
            outage_log.warn("Rate-limit storage unreachable (%s: %s); serving without rate-limit headers.",
                            type(failure).__name__, failure)
    g.rate_windows = windows
    return windows


def blocking_window(error=None) -> Window | None:
    """On a 429, the window that holds the client back: of the exhausted windows, the one that
    resets last (waiting for an earlier one would only meet the next refusal)."""
    windows = request_windows()
    exhausted = [window for window in windows if window.remaining == 0]
    return closest_to_running_out(exhausted or windows)


def retry_after_seconds(window: Window) -> int:
    now = resolve_now(None)
    if window.is_quota:
        return max(int((next_month_start(now) - now).total_seconds()), 1)
    # Flask-Limiter's windows run on the real clock (time.time), not the app's CLOCK.
    return max(math.ceil((window.reset_exact or window.reset_at) - time.time()), 1)


def rate_limit_headers(response):
    """Every window's headers on every API response, the closest to running out as the plain
    X-RateLimit-* ones, and Retry-After only on a 429 (see api/rate_limits.py)."""
    from bookingapp.extensions import limiter, outage_log

    if request.blueprint != "api":
        return response
    if limiter.enabled and limiter.initialized and limiter.storage_dead:
        outage_log.warn("Rate-limit storage %s unreachable: API limits are counted in each process's memory "
                        "until it answers again.", _storage_name())
    windows = request_windows()
    if not windows:
        return response
    headers = response.headers
    closest = closest_to_running_out(windows)
    headers["X-RateLimit-Limit"] = str(closest.amount)
    headers["X-RateLimit-Remaining"] = str(closest.remaining)
    headers["X-RateLimit-Reset"] = str(closest.reset_at)
    headers["X-RateLimit-Used"] = str(closest.used)
    by_suffix: dict[str, Window] = {}
    for window in windows:
        if window.is_quota:
            headers["X-Quota-Limit"] = str(window.amount)
            headers["X-Quota-Remaining"] = str(window.remaining)
            headers["X-Quota-Reset"] = str(window.reset_at)
            continue
        suffix = WINDOW_SUFFIXES[window.granularity]
        # Two limits of one granularity (10 per minute and 50 per 5 minutes): show the tighter.
        if suffix not in by_suffix or closest_to_running_out([by_suffix[suffix], window]) is window:
            by_suffix[suffix] = window
    for suffix, window in by_suffix.items():
        headers[f"X-RateLimit-Limit-{suffix}"] = str(window.amount)
        headers[f"X-RateLimit-Remaining-{suffix}"] = str(window.remaining)
        headers[f"X-RateLimit-Reset-{suffix}"] = str(window.reset_at)
    if response.status_code == 429:
        # The window the plain headers describe is then an exhausted one, the one that resets
        # last: the time the client may really try again.
        headers["Retry-After"] = str(retry_after_seconds(blocking_window()))
    return response


def _storage_name() -> str:
    """The storage URI without its password, for the log."""
    uri = str(current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    scheme, _, rest = uri.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"
