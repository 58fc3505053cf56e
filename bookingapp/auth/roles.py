"""What each role may do in the dashboard: the one table the views check.

owner and manager: everything. front_desk: runs the day (the day view, bookings, new
bookings, status changes, cancelling by the policy) and checkout. staff: their own
schedule and bookings, read only.
"""
from __future__ import annotations

ROLES = ("owner", "manager", "front_desk", "staff")

PERMISSIONS: dict[str, frozenset[str]] = {
    # See the day view (staff see only their own column).
    "day": frozenset(ROLES),
    # Open a booking's panel (staff only their own bookings).
    "booking.view": frozenset(ROLES),
    # Change a booking's status, make a front-desk booking.
    "booking.manage": frozenset({"owner", "manager", "front_desk"}),
    "checkout": frozenset({"owner", "manager", "front_desk"}),
    # Refunds give money back: only the people who answer for the money.
    "refund": frozenset({"owner", "manager"}),
    # Cancel against the cancellation policy (refund everything, or keep everything): a
    # money decision, so the same people. Everyone else who cancels gets the policy.
    "cancel.override": frozenset({"owner", "manager"}),
    "reviews": frozenset({"owner", "manager"}),
    "clients": frozenset({"owner", "manager"}),
    "analytics": frozenset({"owner", "manager"}),
    "setup": frozenset({"owner", "manager"}),
    "developer": frozenset({"owner", "manager"}),
    # One's own sign-in: password, two-factor, sessions.
    "security": frozenset(ROLES),
    # Whether every account of the business needs two-factor sign-in.
    "security.require_two_factor": frozenset({"owner"}),
    # Who did what (refunds, keys, accounts), and clients' data exports and erasures: owners.
    "audit": frozenset({"owner"}),
    "data_rights": frozenset({"owner"}),
}


def allowed(role: str | None, permission: str) -> bool:
    return role in PERMISSIONS[permission]


def sees_everyone(role: str | None) -> bool:
    """Whether the role sees every staff member's bookings (staff see only their own)."""
    return role in {"owner", "manager", "front_desk"}
