"""What an API key of each scope may do, and which scope an operation needs.

A key has one scope, chosen when it is made (dashboard, CLI); an operation needs one
(declared with it, `@operation(..., scope=...)`, or derived from its method and tag by
`required_scope`). A key may run an operation when its scope GRANTS what the operation
needs:

* `read`: every read of the business (GET), but not its webhook endpoints;
* `bookings`: read, plus making, moving, confirming and cancelling bookings and replying
  to reviews: what a booking widget or a front-desk tool does;
* `catalog`: read, plus services, staff, products, locations and the business's settings:
  what a shop or inventory sync does;
* `full`: everything, webhook endpoints included (where the business's data is sent is
  the integration's own plumbing, so only a full key may see or change it). Every key made
  before scopes existed became `full`.

Scopes only narrow: a test key keeps its sandbox rule (domain/test_mode.py, test keys write
only bookings and review replies) whatever its scope. Free of Flask, like api.keys."""
from __future__ import annotations

from bookingapp.domain.errors import ValidationError
from bookingapp.models.api import API_KEY_SCOPES

READ, BOOKINGS, CATALOG, FULL = API_KEY_SCOPES
SCOPES = API_KEY_SCOPES

# What a key of each scope is allowed: the scopes an operation may need of it.
GRANTS: dict[str, frozenset[str]] = {
    READ: frozenset({READ}),
    BOOKINGS: frozenset({READ, BOOKINGS}),
    CATALOG: frozenset({READ, CATALOG}),
    FULL: frozenset({READ, BOOKINGS, CATALOG, FULL}),
}

# One line each, for the dashboard's select, the CLI's help and the API document.
DESCRIPTIONS = {
    READ: "read everything except webhook endpoints; change nothing",
    BOOKINGS: "read, and make, move, confirm and cancel bookings and reply to reviews",
    CATALOG: "read, and change services, staff, products, locations and the business's settings",
    FULL: "everything, webhook endpoints included",
}

# The scope a write (POST, PATCH, DELETE) needs, by the operation's tag. A GET needs READ.
# A write under a tag missing here must say its scope (`@operation(..., scope=...)`): the
# registry refuses to guess.
WRITE_SCOPE_OF_TAG = {
    "Bookings": BOOKINGS,
    "Reviews": BOOKINGS,
    "Services": CATALOG,
    "Staff": CATALOG,
    "Products": CATALOG,
    "Business": CATALOG,
    "Locations": CATALOG,
    "Webhooks": FULL,
}

READ_METHODS = ("GET", "HEAD")


def required_scope(method: str, tag: str) -> str:
    """The scope an operation needs when it does not declare one."""
    if method.upper() in READ_METHODS:
        return READ
    if tag not in WRITE_SCOPE_OF_TAG:
        raise LookupError(f"A {method} under the tag {tag!r} must declare its scope (one of {', '.join(SCOPES)}).")
    return WRITE_SCOPE_OF_TAG[tag]


def allows(key_scope: str, needed: str) -> bool:
    """Whether a key of `key_scope` may run an operation that needs `needed`. A scope not
    in GRANTS (which the database's CHECK rules out) allows nothing."""
    return needed in GRANTS.get(key_scope, frozenset())


def scopes_allowing(needed: str) -> list[str]:
    """The key scopes that may run an operation needing `needed`, narrowest first."""
    return [scope for scope in SCOPES if needed in GRANTS[scope]]


def ensure_scope(value: object) -> str:
    """The scope a new key is made with; a ValidationError naming `scope` otherwise."""
    if not isinstance(value, str) or value not in SCOPES:
        raise ValidationError(f"Scope must be one of {', '.join(SCOPES)}.", param="scope")
    return value


def refusal_message(key_scope: str, needed: str, label: str) -> str:
    return (f"This API key's scope is '{key_scope}'; {label} needs the '{needed}' scope "
            f"(a key of scope {' or '.join(repr(s) for s in scopes_allowing(needed))}).")
