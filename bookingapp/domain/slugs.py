"""Business slugs: the public site lives at /<slug>, so a slug must never take one of the
app's own paths. Whoever creates or renames a business calls `validate_slug`."""
from __future__ import annotations

import re

from bookingapp.domain.errors import ValidationError

# First path segments the app serves itself (and a few it may soon), never a business.
RESERVED_SLUGS = frozenset({
    "api", "dashboard", "static", "webhooks", "healthz", "readyz", "admin", "login", "logout",
    "signup", "register", "account", "auth", "book", "booking", "manage", "pay", "payments",
    "checkout", "sandbox", "assets", "favicon.ico", "robots.txt", "sitemap.xml", "well-known",
    "help", "docs", "metrics", "status", "www", "app",
})

_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")


def is_reserved_slug(slug: str) -> bool:
    return slug.strip().lower() in RESERVED_SLUGS


def validate_slug(raw: str | None) -> str:
    slug = (raw or "").strip().lower()
    if not slug:
        raise ValidationError("Slug is required.", param="slug")
    if not _SLUG_RE.match(slug):
        raise ValidationError(
            "Slug may use lower-case letters, digits and hyphens (not at either end), 80 characters at most.",
            param="slug",
        )
    if slug in RESERVED_SLUGS:
        raise ValidationError(f"“{slug}” is used by the app itself; choose another slug.", param="slug")
    return slug
