"""Webhook endpoints and the delivery of outbox events to them.

Flow: the booking (and payment, review) code writes OutboxEvent rows in the same
transaction as the change. The worker then
1. fans out: each undispatched event becomes one WebhookDelivery per active endpoint of its
   business that wants the topic (unique per endpoint and event), and the event is marked
   dispatched;
2. delivers: claims due deliveries, POSTs them signed, and records the answer; a failure
   is retried with exponential backoff for WEBHOOK_RETRY_HOURS (a day), after which the
   delivery is failed; WEBHOOK_DISABLE_AFTER_FAILURES failures in a row disable the endpoint.

Claiming takes one delivery at a time with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL
(SQLite has one writer at a time, so the claim is naturally exclusive there), stamps it
with a fresh claim token and moves next_attempt_at forward by a lease that outlasts one
send (twice the HTTP timeout, for connect and read, plus a margin). Right before sending,
the worker renews the lease only if the row still carries its token, and it records the
outcome only if it still does; so a worker that stalled past its lease neither sends nor
overwrites what the worker that took over recorded, and a worker that dies mid-send leaves a
lease that simply runs out. Deliveries of a disabled endpoint are never claimed: when an
endpoint is disabled its pending deliveries are failed ("endpoint disabled"), so they
neither block other endpoints' deliveries nor wait forever.

Signature: header `X-Webhook-Signature: t=<unix seconds>,v1=<hex>` where hex is
HMAC-SHA256(endpoint secret, "<event id>.<t>.<raw body>"). Receivers recompute it, compare
in constant time, and refuse a t older than a few minutes (replays).
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bookingapp.notifications.email import EMAIL_TOPIC_PREFIX
from bookingapp.db import acquire_write_lock
from bookingapp.domain import audit
from bookingapp.domain.errors import NotFound, ValidationError
from bookingapp.domain.outbox import record_event
from bookingapp.models import Business, OutboxEvent, WebhookDelivery, WebhookEndpoint
from bookingapp.domain.clock import resolve_now as _now

log = logging.getLogger(__name__)

EVENT_TYPES = (
    "booking.created", "booking.updated", "booking.cancelled", "booking.rescheduled",
    "payment.succeeded", "payment.failed", "payment.refunded", "review.created",
)
TEST_EVENT = "webhook.test"
SIGNATURE_HEADER = "X-Webhook-Signature"
# The least a claim is leased for; lease_for() stretches it to cover one send.
LEASE = timedelta(minutes=2)
LEASE_MARGIN = timedelta(seconds=30)
MAX_SENDS_PER_PASS = 100
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY_GAP = timedelta(hours=2)
MAX_ENDPOINTS_PER_BUSINESS = 20


@dataclass
class DeliverySettings:
    timeout_seconds: float = 10.0
    retry_for: timedelta = timedelta(hours=24)
    disable_after_failures: int = 20
    lease: timedelta = LEASE
    # None: the app's WEBHOOK_ALLOW_PRIVATE_URLS when there is an app context, else False.
    allow_private: bool | None = None


def lease_for(settings: DeliverySettings) -> timedelta:
    """A claim must outlive the send it covers (requests' timeout applies to connecting and
    to reading, each), or a second worker could claim and send the same delivery meanwhile."""
    return max(settings.lease, timedelta(seconds=2 * settings.timeout_seconds) + LEASE_MARGIN)


@dataclass(frozen=True)
class Claim:
    delivery_id: uuid.UUID
    token: str


# --------------------------------------------------------------------------- endpoints


_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def _allow_private_default() -> bool:
    """WEBHOOK_ALLOW_PRIVATE_URLS from the app's config when there is one (tests and local
    development point endpoints at a receiver on this machine)."""
    try:
        from flask import current_app, has_app_context
    except ImportError:  # pragma: no cover - Flask is always installed with the app
        return False
    return bool(has_app_context() and current_app.config.get("WEBHOOK_ALLOW_PRIVATE_URLS"))


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def non_public_kind(address: str) -> str | None:
    """What makes an IP address one a webhook must not reach ("loopback", "private", ...), or
    None for a public address. An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the
    IPv4 address it carries; a scope id (fe80::1%eth0) is ignored."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address that carries an IPv4 one reaches it: judge the IPv4 address
        # (mapped ::ffff:a.b.c.d, 6to4 2002::/16, Teredo's client, NAT64 64:ff9b::/96).
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return non_public_kind(str(embedded))
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if ip.is_global else "non-global"  # shared (100.64/10), documentation ranges ...


def check_public_host(host: str) -> None:
    """Refuse hosts that would make the worker call into our own network (SSRF): loopback,
    private, link-local (169.254.0.0/16, cloud metadata), multicast, reserved and
    unspecified addresses, and names that mean this machine. A name that resolves is refused
    when any of its addresses is such; a name that does not resolve (yet) is accepted here,
    since every delivery resolves it again and checks what it finds (resolve_destination)."""
    name = host.strip("[]").rstrip(".").lower()
    if name in _LOCAL_NAMES or name.endswith((".localhost", ".local", ".internal")):
        raise ValidationError("url must be a public address; this one points to a local machine.", param="url")
    try:
        literal = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        literal = None
    if literal is not None:
        if non_public_kind(name) is not None:
            raise ValidationError("url must be a public address; private, loopback and link-local addresses are "
                                  "refused.", param="url")
        return
    try:
        addresses = _resolve(name, None)
    except (OSError, UnicodeError):  # not resolvable now (or not a name DNS takes): checked at each delivery
        return
    for address in addresses:
        kind = non_public_kind(address)
        if kind is not None:
            raise ValidationError(f"url must be a public address; {name} resolves to {address}, a {kind} address.",
                                  param="url")


# --------------------------------------------------------------------------- destinations


class RefusedDestination(Exception):
    """A delivery the worker must not make: its host resolves to an address inside our network."""


@dataclass(frozen=True)
class Destination:
    """Where one delivery goes: the URLs to try, each naming a vetted IP address in place of
    the host name (so the connection goes to the address that was checked, not to whatever a
    second DNS lookup answers: no DNS rebinding between check and connect), and the Host
    header (and TLS server name) the receiver expects."""

    urls: tuple[str, ...]
    host_header: str | None


def _resolve(host: str, port: int | None) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def resolve_destination(url: str, *, allow_private: bool) -> Destination:
    """Resolve the URL's host now, at delivery time, and refuse it (RefusedDestination) when
    ANY address it resolves to is loopback, private, link-local, reserved, multicast or
    unspecified (IPv4 and IPv6), unless allow_private. A name that does not resolve raises
    OSError (socket.gaierror): an ordinary, retried failure."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        is_literal = True
    except ValueError:
        is_literal = False
    addresses = [host] if is_literal else _resolve(host, port)
    if not allow_private:
        for address in addresses:
            kind = non_public_kind(address)
            if kind is not None:
                shown = host if is_literal else f"{host} resolves to {address}, which"
                raise RefusedDestination(f"refused: {shown} is a {kind} address; webhooks are only delivered to "
                                         f"public addresses (WEBHOOK_ALLOW_PRIVATE_URLS is off)")
    if is_literal:
        return Destination((url,), None)
    default_port = parts.port is None or parts.port == (443 if parts.scheme == "https" else 80)
    host_header = host if default_port else f"{host}:{port}"
    netloc_port = "" if parts.port is None else f":{parts.port}"
    urls = []
    for address in addresses:
        shown = f"[{address}]" if ":" in address else address
        urls.append(parts._replace(netloc=f"{shown}{netloc_port}").geturl())
    return Destination(tuple(urls), host_header)


class PinnedHostAdapter(HTTPAdapter):
    """HTTPS to a vetted IP address while the certificate is checked against, and SNI names,
    the URL's host (given in the Host header): what connecting by name would have done, minus
    the second DNS lookup."""

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        host_header = request.headers.get("Host")
        if host_params.get("scheme") == "https" and host_header:
            name = urlsplit(f"//{host_header}").hostname
            pool_kwargs["server_hostname"] = name
            if pool_kwargs.get("cert_reqs") == "CERT_REQUIRED":
                pool_kwargs["assert_hostname"] = name
        return host_params, pool_kwargs


def delivery_session() -> requests.Session:
    """The HTTP session deliveries go through (HTTPS pinned to the vetted address)."""
    http = requests.Session()
    http.mount("https://", PinnedHostAdapter())
    return http


def _connection_refused(failure: requests.RequestException) -> bool:
    """Nothing listens at this address (a refused or unroutable connect, not a timeout): the
    host's next address may answer. A timeout is not retried on another address here, so one
    attempt stays within the claim's lease."""
    from urllib3.exceptions import NewConnectionError

    if not isinstance(failure, requests.ConnectionError) or isinstance(failure, requests.ConnectTimeout):
        return False
    reason = getattr(failure.args[0], "reason", None) if failure.args else None
    return isinstance(reason, NewConnectionError)


def _post(http: requests.Session, destination: Destination, body: bytes, headers: dict,
          settings: DeliverySettings) -> requests.Response:
    if destination.host_header and not isinstance(http.get_adapter("https://"), PinnedHostAdapter):
        http.mount("https://", PinnedHostAdapter())  # a plain session from the caller: pin its HTTPS too
    if destination.host_header:
        headers = {**headers, "Host": destination.host_header}
    for index, url in enumerate(destination.urls):
        try:
            return http.post(url, data=body, headers=headers, timeout=settings.timeout_seconds,
                             allow_redirects=False)
        except requests.RequestException as failure:
            if index == len(destination.urls) - 1 or not _connection_refused(failure):
                raise
    raise AssertionError("unreachable: a destination has at least one URL")


def create_endpoint(session: Session, business: Business, *, url: Any, events: Any = None, description: Any = None,
                    allow_private: bool | None = None) -> WebhookEndpoint:
    """allow_private (default: the app's WEBHOOK_ALLOW_PRIVATE_URLS, else False) lets an
    endpoint point at this machine or a private network."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("url is required.", param="url")
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number in 0-65535
    except ValueError:
        raise ValidationError("url is not a valid URL.", param="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise ValidationError("url must be an absolute http(s) URL.", param="url")
    if port == 0:
        raise ValidationError("url has an invalid port.", param="url")
    if not (_allow_private_default() if allow_private is None else allow_private):
        check_public_host(parts.hostname)
    events = list(dict.fromkeys(events or []))
    for index, topic in enumerate(events):
        if topic not in EVENT_TYPES:
            raise ValidationError(f"Unknown event {topic!r}. Known events: {', '.join(EVENT_TYPES)}.", param=f"events[{index}]")
    if description is not None and (not isinstance(description, str) or len(description) > 500):
        raise ValidationError("description must be text of 500 characters at most.", param="description")
    count = len(session.scalars(select(WebhookEndpoint.id).where(
        WebhookEndpoint.business_id == business.id, WebhookEndpoint.deleted_at.is_(None))).all())
    if count >= MAX_ENDPOINTS_PER_BUSINESS:
        raise ValidationError(f"A business may have at most {MAX_ENDPOINTS_PER_BUSINESS} webhook endpoints.", param="url")
    endpoint = WebhookEndpoint(
        business_id=business.id, url=url, events=events, description=description,
        secret="whsec_" + secrets.token_urlsafe(32), is_active=True, consecutive_failures=0,
    )
    session.add(endpoint)
    session.flush()
    audit.record(session, business, "webhook_endpoint.created", subject=endpoint,
                 details={"url": url, "events": events, "description": description})
    return endpoint


def delete_endpoint(session: Session, business: Business, endpoint: WebhookEndpoint, *, now: datetime | None = None) -> None:
    """Soft delete, keeping the delivery log; what was still pending is abandoned."""
    if endpoint is None or endpoint.business_id != business.id or endpoint.deleted_at is not None:
        raise NotFound("Webhook endpoint not found.")
    now = _now(now)
    endpoint.deleted_at = now
    endpoint.is_active = False
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "pending")
        .values(status="failed", error="endpoint deleted")
    )
    session.flush()
    audit.record(session, business, "webhook_endpoint.deleted", subject=endpoint, now=now, details={"url": endpoint.url})


def send_test_event(session: Session, business: Business, endpoint: WebhookEndpoint, *, now: datetime | None = None) -> WebhookDelivery:
    """Queue a `webhook.test` event for this one endpoint (even a disabled one, to check a fix)."""
    if endpoint is None or endpoint.business_id != business.id or endpoint.deleted_at is not None:
        raise NotFound("Webhook endpoint not found.")
    now = _now(now)
    event = record_event(session, business.id, TEST_EVENT, {"endpoint_id": str(endpoint.id), "message": "This is a test event."}, now=now)
    event.dispatched_at = now  # fanned out here, to this endpoint only
    session.flush()
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id, topic=TEST_EVENT, status="pending",
                               attempts=0, next_attempt_at=now, created_at=now)
    session.add(delivery)
    session.flush()
    return delivery


# --------------------------------------------------------------------------- signing


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    message = f"{event_id}.{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, event_id, timestamp, body)}"


def verify_signature(secret: str, event_id: str, header: str, body: bytes, *, now: datetime | None = None,
                     tolerance: timedelta = timedelta(minutes=5)) -> bool:
    """The receiver's side of the recipe (used by the tests, and a reference for integrators)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(_now(now).timestamp() - timestamp) > tolerance.total_seconds():
        return False
    return hmac.compare_digest(parts.get("v1", ""), sign(secret, event_id, timestamp, body))


def event_body(event: OutboxEvent) -> bytes:
    created = event.created_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return json.dumps({"id": str(event.id), "type": event.topic, "created_at": created, "data": event.payload},
                      separators=(",", ":"), sort_keys=True).encode()


# --------------------------------------------------------------------------- the worker's steps


def fan_out(session: Session, *, now: datetime | None = None, batch: int = 200) -> int:
    """Turn undispatched outbox events into deliveries. Caller commits. Emails are left
    for notifications.email, which marks them dispatched when it has sent them."""
    now = _now(now)
    acquire_write_lock(session)  # SQLite: FOR UPDATE is ignored; the single write lock serialises workers
    events = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.dispatched_at.is_(None), ~OutboxEvent.topic.startswith(EMAIL_TOPIC_PREFIX))
        .order_by(OutboxEvent.created_at, OutboxEvent.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    if not events:
        return 0
    business_ids = {event.business_id for event in events}
    endpoints = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.business_id.in_(business_ids),
            WebhookEndpoint.is_active.is_(True),
            WebhookEndpoint.deleted_at.is_(None),
        )
    ).all()
    created = 0
    for event in events:
        if event.topic in EVENT_TYPES:
            for endpoint in endpoints:
                if endpoint.business_id == event.business_id and endpoint.wants(event.topic):
                    session.add(WebhookDelivery(
                        endpoint_id=endpoint.id, event_id=event.id, topic=event.topic, status="pending",
                        attempts=0, next_attempt_at=now, created_at=now,
                    ))
                    created += 1
        event.dispatched_at = now
    session.flush()
    return created


def fail_disabled_endpoints_pending(session: Session, *, endpoint_id: uuid.UUID | None = None) -> int:
    """Pending deliveries of disabled endpoints (other than test events, which may be sent to
    check a fix) are failed: a disabled endpoint gets nothing more until it is added again,
    and its rows must not stay due forever. Caller commits."""
    disabled = select(WebhookEndpoint.id).where(WebhookEndpoint.is_active.is_(False))
    if endpoint_id is not None:
        disabled = disabled.where(WebhookEndpoint.id == endpoint_id)
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.topic != TEST_EVENT,
               WebhookDelivery.endpoint_id.in_(disabled))
        .values(status="failed", error="endpoint disabled", claim_token=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def claim_next(session: Session, settings: DeliverySettings, *, now: datetime | None = None) -> Claim | None:
    """Lease the oldest due delivery to this worker; commits so other workers see the lease.

    Only rows an endpoint can take are candidates (the endpoint's state is in the WHERE
    clause), so however many rows a disabled endpoint has, the others are still reached."""
    now = _now(now)
    acquire_write_lock(session)
    delivery = session.scalars(
        select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.deleted_at.is_(None),
            or_(WebhookEndpoint.is_active.is_(True), WebhookDelivery.topic == TEST_EVENT),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    ).one_or_none()
    if delivery is None:
        session.commit()
        return None
    claim = Claim(delivery.id, secrets.token_hex(16))
    delivery.claim_token = claim.token
    delivery.next_attempt_at = now + lease_for(settings)
    session.commit()
    return claim


def _still_ours(session: Session, claim: Claim, *, renew_until: datetime | None = None) -> bool:
    """Whether the delivery still carries this claim's token (a conditional update, so the
    check and the renewal are one atomic step against a worker taking it over)."""
    values = {"claim_token": claim.token}
    if renew_until is not None:
        values["next_attempt_at"] = renew_until
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == claim.delivery_id, WebhookDelivery.claim_token == claim.token,
               WebhookDelivery.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at 2 hours between attempts."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY_GAP)


def attempt(session: Session, claim: Claim, settings: DeliverySettings, *, http: requests.Session,
            now: datetime | None = None) -> WebhookDelivery | None:
    """Send one claimed delivery and record the outcome; None when the claim was lost (another
    worker took the delivery over), in which case nothing is sent or recorded. Caller commits."""
    sent_at = _now(now)
    # Renew the lease for this send, only if the claim is still ours; commit so a worker
    # looking for due rows sees the renewed lease before the request goes out.
    if not _still_ours(session, claim, renew_until=sent_at + lease_for(settings)):
        session.rollback()
        return None
    session.commit()
    delivery = session.get(WebhookDelivery, claim.delivery_id, populate_existing=True)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id, populate_existing=True)
    event = session.get(OutboxEvent, delivery.event_id)
    body = event_body(event)
    timestamp = int(sent_at.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "bookingapp-webhooks/1",
        "X-Webhook-Id": str(event.id),
        "X-Webhook-Event": event.topic,
        "X-Webhook-Timestamp": str(timestamp),
        SIGNATURE_HEADER: signature_header(endpoint.secret, str(event.id), timestamp, body),
    }
    url, endpoint_id = endpoint.url, endpoint.id
    allow_private = _allow_private_default() if settings.allow_private is None else settings.allow_private
    session.rollback()  # hold no transaction (nor, on SQLite, any lock) during DNS or the request
    refused = False
    try:
        # Resolved now, not at registration: the name may point elsewhere since.
        destination = resolve_destination(url, allow_private=allow_private)
        response = _post(http, destination, body, headers, settings)
        status, answer = response.status_code, response.text[:2000]
        ok = 200 <= status < 300
        error = None if ok else f"HTTP {status}"
    except RefusedDestination as refusal:
        ok, status, answer, refused = False, None, None, True
        error = str(refusal)[:2000]
        log.warning("webhook delivery %s to endpoint %s refused: %s", claim.delivery_id, endpoint_id, refusal)
    except (OSError, ValueError) as failure:  # requests' errors, or a name that does not resolve (now): retried
        ok, status, answer = False, None, None
        error = f"{type(failure).__name__}: {failure}"[:2000]
    # Record only under the claim: lock the row and re-check the token.
    acquire_write_lock(session)
    delivery = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == claim.delivery_id, WebhookDelivery.claim_token == claim.token,
               WebhookDelivery.status == "pending")
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if delivery is None:
        session.rollback()
        return None
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id, with_for_update=True, populate_existing=True)
    delivery.claim_token = None
    delivery.attempts += 1
    delivery.last_attempt_at = sent_at
    delivery.response_status = status
    delivery.response_body = answer
    delivery.error = error
    if ok:
        delivery.status = "succeeded"
        delivery.delivered_at = sent_at
        endpoint.consecutive_failures = 0
        return delivery
    if delivery.topic != TEST_EVENT:
        endpoint.consecutive_failures += 1
        if endpoint.is_active and endpoint.consecutive_failures >= settings.disable_after_failures:
            endpoint.is_active = False
            endpoint.disabled_at = sent_at
            audit.record(session, endpoint.business_id, "webhook_endpoint.disabled", actor=audit.SYSTEM,
                         subject=endpoint, now=sent_at,
                         details={"url": endpoint.url, "consecutive_failures": endpoint.consecutive_failures})
    retry_at = sent_at + backoff(delivery.attempts)
    # A refused destination is failed at once: nothing was sent, and sending later to wherever
    # the name points then is not what this delivery was vetted for.
    if refused or retry_at - delivery.created_at > settings.retry_for or delivery.topic == TEST_EVENT:
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = retry_at
    if not endpoint.is_active:
        if delivery.topic != TEST_EVENT:
            delivery.status = "failed"
        session.flush()
        fail_disabled_endpoints_pending(session, endpoint_id=endpoint.id)
    return delivery


def run_once(session: Session, settings: DeliverySettings, *, http: requests.Session | None = None,
             now: datetime | None = None, max_sends: int = MAX_SENDS_PER_PASS,
             should_stop: Callable[[], bool] = lambda: False,
             on_sent: Callable[[bool], None] = lambda succeeded: None) -> dict[str, int]:
    """One pass of the worker: fan out, then deliver what is due, one claim at a time.
    Commits as it goes. `should_stop` is asked before each claim (a worker told to stop lets
    the send in hand finish and be recorded); `on_sent(succeeded)` hears of each recorded send."""
    http = http or delivery_session()
    fanned = fan_out(session, now=now)
    fail_disabled_endpoints_pending(session)
    session.commit()
    sent = failed = 0
    for _ in range(max_sends):
        if should_stop():
            break
        claim = claim_next(session, settings, now=now)
        if claim is None:
            break
        delivery = attempt(session, claim, settings, http=http, now=now)
        if delivery is None:
            continue
        succeeded = delivery.status == "succeeded"
        session.commit()
        on_sent(succeeded)
        if succeeded:
            sent += 1
        else:
            failed += 1
    return {"fanned_out": fanned, "succeeded": sent, "failed_attempts": failed}
