"""API keys: made here (CLI, and the dashboard later), shown once, stored as a digest.

Live keys start `bo_live_`, test keys `bo_test_`, so a leaked key is recognisable and a
test key is never mistaken for a production one. A key's scope (api/scopes.py) is chosen
here, once. Free of Flask so the dashboard can reuse it."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bookingapp.api.scopes import FULL, ensure_scope
from bookingapp.domain import audit
from bookingapp.domain.availability_cache import remember_version
from bookingapp.domain.errors import ValidationError
from bookingapp.models import ApiKey, Business
from bookingapp.domain.clock import resolve_now

PREFIXES = {"live": "bo_live_", "test": "bo_test_"}


def digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def create_api_key(session: Session, business: Business, *, mode: str = "live", name: str = "API key",
                   scope: str = FULL) -> tuple[ApiKey, str]:
    """A new key; returns the row and the secret, which is never stored nor shown again.
    `scope` defaults to full, what every key could do before scopes: the doors that people
    use (dashboard, CLI) make the choice explicit."""
    if mode not in PREFIXES:
        raise ValidationError("Key mode must be live or test.", param="mode")
    scope = ensure_scope(scope)
    raw = PREFIXES[mode] + secrets.token_urlsafe(32)
    key = ApiKey(business_id=business.id, mode=mode, name=name, scope=scope, prefix=raw[:12], key_hash=digest(raw))
    session.add(key)
    session.flush()
    audit.record(session, business, "api_key.created", subject=key,
                 details={"name": name, "mode": mode, "scope": scope, "prefix": key.prefix})
    return key, raw


def find_active_key(session: Session, raw_key: str) -> ApiKey | None:
    found = find_active_key_and_business(session, raw_key)
    return found[0] if found else None


# Built once: every API request runs it, and a statement built per call costs its
# construction and cache key each time (docs/performance.md, issue 13, seventh pass).
_KEY_AND_BUSINESS = (
    select(ApiKey, Business, Business.availability_version).join(Business, Business.id == ApiKey.business_id)
    .where(ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None))
)


def find_active_key_and_business(session: Session, raw_key: str) -> tuple[ApiKey, Business] | None:
    """The unrevoked key with this secret and its business, read in one statement (every
    API request asks for both)."""
    if not raw_key.startswith(tuple(PREFIXES.values())):
        return None
    row = session.execute(_KEY_AND_BUSINESS, {"key_hash": digest(raw_key)}).one_or_none()
    if row is not None:
        # The version as this statement read it, whatever the loaded object remembers: the
        # availability answers key by it without reading it again (domain/availability_cache).
        remember_version(session, row[1], row[2])
    return (row[0], row[1]) if row else None


def revoke_api_key(session: Session, key: ApiKey, *, now: datetime | None = None) -> None:
    if key.revoked_at is None:
        key.revoked_at = resolve_now(now)
        session.flush()
        audit.record(session, key.business_id, "api_key.revoked", subject=key, now=key.revoked_at,
                     details={"name": key.name, "prefix": key.prefix})
