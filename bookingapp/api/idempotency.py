"""Idempotency-Key on POST: a retry with the same key and body gets the first response
again; the same key with another body (or while the first is still running) is an
idempotency_conflict. Keys are per API key and kept for IDEMPOTENCY_TTL_HOURS.

The key is claimed in a transaction of its own (so a concurrent twin sees it); then the
action and its stored response are committed together by the request's one commit
(bookingapp/unit_of_work.py), an error answer included (keep_on_error). So a crash either
loses both or keeps both, and a claim still "in progress" after STALE_CLAIM (its request
died before committing anything) may be taken over by a retry."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from functools import wraps

from flask import Response, current_app, g, make_response, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bookingapp.api.errors import ApiError, _from_domain, bad_request, error_response, request_id
from bookingapp.domain.errors import DomainError
from bookingapp.extensions import db
from bookingapp.models import IdempotencyRecord
from bookingapp.unit_of_work import keep_on_error
from bookingapp.domain.clock import resolve_now

HEADER = "Idempotency-Key"
STALE_CLAIM = timedelta(minutes=1)


def _fingerprint() -> str:
    raw = request.get_data()
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode() if raw else b""
    except ValueError:
        canonical = raw
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + canonical).hexdigest()


def _existing(key: str) -> IdempotencyRecord | None:
    return db.session.scalars(
        select(IdempotencyRecord).where(IdempotencyRecord.api_key_id == g.api_key.id, IdempotencyRecord.key == key)
    ).one_or_none()


def _answer_from(record: IdempotencyRecord, fingerprint: str) -> Response | None:
    """The stored answer; None when the record is a stale claim this request has taken over."""
    if record.request_hash != fingerprint:
        raise ApiError("idempotency_conflict", "This Idempotency-Key was already used with a different request.",
                       param=HEADER)
    if record.response_status is None:
        if _take_over_stale(record):
            return None
        raise ApiError("idempotency_conflict", "A request with this Idempotency-Key is still being processed.",
                       param=HEADER)
    response = Response(_with_this_request_id(record.response_body), status=record.response_status,
                        mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _with_this_request_id(body: str | None) -> str | None:
    """A replayed body names this request's id (the one in X-Request-Id), not the first's."""
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return body
    if isinstance(data, dict) and isinstance(data.get("meta"), dict) and "request_id" in data["meta"]:
        data["meta"]["request_id"] = request_id()
        return json.dumps(data)
    return body


def _take_over_stale(record: IdempotencyRecord) -> bool:
    """A claim left "in progress" for longer than STALE_CLAIM belongs to a request that died
    before committing (the action and the stored response commit together), so nothing was
    done: one retry may take it over (a conditional update, so only one does)."""
    now = resolve_now(None)
    if record.created_at > now - STALE_CLAIM:
        return False
    taken = db.session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record.id, IdempotencyRecord.response_status.is_(None),
               IdempotencyRecord.created_at == record.created_at)
        .values(created_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.commit()
    return taken


def idempotent(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 255:
            raise bad_request("Idempotency-Key must be 1 to 255 characters.", HEADER)
        fingerprint = _fingerprint()
        record = _existing(key)
        if record is not None:
            answer = _answer_from(record, fingerprint)
            if answer is not None:
                return answer
            record_id = record.id
        else:
            # Claim the key in its own committed transaction so that a concurrent twin sees it.
            record = IdempotencyRecord(api_key_id=g.api_key.id, key=key, request_hash=fingerprint)
            try:
                with db.session.begin_nested():
                    db.session.add(record)
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                record = _existing(key)
                answer = _answer_from(record, fingerprint)
                if answer is not None:
                    return answer
            record_id = record.id
        try:
            response = make_response(view(*args, **kwargs))
        except (ApiError, DomainError) as error:
            db.session.rollback()
            response = error_response(error if isinstance(error, ApiError) else _from_domain(error))
        except Exception:
            db.session.rollback()
            _forget(record_id)
            raise
        if response.status_code >= 500:
            db.session.rollback()
            _forget(record_id)
            return response
        # The action (flushed, not yet committed) and its answer: one commit, the request's,
        # which keeps a stored 4xx answer too so that a retry gets the same one.
        record = db.session.get(IdempotencyRecord, record_id)
        record.response_status = response.status_code
        record.response_body = response.get_data(as_text=True)
        keep_on_error()
        return response

    return wrapper


def _forget(record_id) -> None:
    """A failed first attempt must not block its retry."""
    db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    db.session.commit()


def purge_expired(session, *, now: datetime | None = None) -> int:
    """Drop records older than the retention window (called by the worker)."""
    now = resolve_now(now)
    hours = float(current_app.config.get("IDEMPOTENCY_TTL_HOURS", 24))
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - timedelta(hours=hours)))
    return result.rowcount or 0
