"""Embedding the booking wizard on the business's own website.

A business lists the origins (scheme, host and port, as a browser compares them) of its own
websites. The wizard, manage and payment pages of that business then name exactly those in
their `Content-Security-Policy: frame-ancestors`; with an empty list (the default) embedding is
off and every page stays unframeable. The same rule runs for the dashboard's setup page and the
API's business settings.

Each origin ends up inside an HTTP header, so it is rebuilt from checked parts rather than kept as
typed: nothing but letters, digits, dots, hyphens and a port can reach the header (no `;`, `,`,
quote or space that could add a directive of its own).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from bookingapp.domain.clock import resolve_now as _now
from bookingapp.domain.errors import ValidationError
from bookingapp.models import Business

PARAM = "embed_origins"
MAX_ORIGINS = 10
MAX_ORIGIN_LENGTH = 200
# Plain http only for a page on this machine: a developer trying the snippet out. Anywhere else
# the frame's page could be altered on the way, and browsers refuse SameSite=None cookies
# without https anyway.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(?:{_LABEL}\.)*{_LABEL}$")


def clean_origin(raw: Any, *, param: str = PARAM) -> str:
    """One origin, normalised (lower case, no default port, no trailing slash), or a
    ValidationError naming `param` and saying what is wrong with it."""
    if not isinstance(raw, str):
        raise ValidationError("Each website must be text, like https://www.example.com.", param=param)
    text = raw.strip()
    if not text:
        raise ValidationError("A website address is empty.", param=param)
    if len(text) > MAX_ORIGIN_LENGTH:
        raise ValidationError(f"A website address is too long ({MAX_ORIGIN_LENGTH} characters at most).", param=param)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValidationError(f"{text!r} is not a website address like https://www.example.com.", param=param) from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("https", "http") or not parts.netloc:
        raise ValidationError(f"{text!r} must start with https://, like https://www.example.com.", param=param)
    if parts.username is not None or parts.password is not None:
        raise ValidationError(f"{text!r} must not contain a user name or password.", param=param)
    bracketed = f"[{host}]" if ":" in host else host
    if bracketed not in LOCAL_HOSTS and not _HOST.match(host):
        raise ValidationError(f"{text!r} does not have a valid host name (write an international domain in "
                              "its xn-- form).", param=param)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(f"{text!r} must be the site alone, without a page path: "
                              f"{scheme}://{parts.netloc.lower()}.", param=param)
    if scheme == "http" and bracketed not in LOCAL_HOSTS:
        raise ValidationError(f"{text!r} must use https:// (plain http is allowed only for localhost "
                              "and 127.0.0.1, for trying it out).", param=param)
    default_port = 443 if scheme == "https" else 80
    suffix = f":{port}" if port is not None and port != default_port else ""
    return f"{scheme}://{bracketed}{suffix}"


def clean_origins(raw: Any) -> list[str]:
    """The list as stored: each origin cleaned, duplicates dropped, order kept."""
    if raw is None:
        return []
    if not isinstance(raw, (list, tuple)):
        raise ValidationError("Websites must be a list of addresses.", param=PARAM)
    if len(raw) > MAX_ORIGINS:
        raise ValidationError(f"At most {MAX_ORIGINS} websites may embed the booking pages.", param=PARAM)
    cleaned: list[str] = []
    for index, item in enumerate(raw):
        origin = clean_origin(item, param=f"{PARAM}[{index}]")
        if origin not in cleaned:
            cleaned.append(origin)
    return cleaned


def set_embed_origins(session: Session, business: Business, raw: Any, *, now: datetime | None = None) -> Business:
    """Replace the business's embedding origins; an empty list switches embedding off.
    Every origin is checked before any is stored, so a refusal changes nothing."""
    business.embed_origins = clean_origins(raw)
    business.updated_at = _now(now)
    session.flush()
    return business


def embedding_is_on(business: Business | None) -> bool:
    return bool(business is not None and business.embed_origins)
