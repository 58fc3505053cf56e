"""Who takes a slot when the customer chose "anyone": the business's assignment policy, or
the one a single request asks for (OnSched's roundRobin NONE / RANDOM / BALANCED).

A request's choice overrides the business's setting for that request only; the setting
itself is never changed. The policy names the engine knows are the business setting's
(models.business.ASSIGNMENT_POLICIES: fixed_order, random, balanced). A request may spell
them as the API documents them (`fixed`, `random`, `balanced`), as the business setting
does (`fixed_order`), or as OnSched does (`NONE`, `RANDOM`, `BALANCED`). OnSched's NONE
means "no round robin": the resources as given, first first, which is our fixed order
(staff sort order, then name), so `none` is `fixed_order`."""
from __future__ import annotations

from bookingapp.domain.errors import ValidationError
from bookingapp.models import Business
from bookingapp.models.business import ASSIGNMENT_POLICIES

# The request's spelling -> the policy the engine applies.
_POLICY_OF = {
    "fixed": "fixed_order", "fixed_order": "fixed_order", "none": "fixed_order",
    "random": "random", "balanced": "balanced",
}
# What the API documents first; the other spellings are accepted as well.
ASSIGNMENT_CHOICES = ("fixed", "random", "balanced")
# Every spelling a request may use, exactly (OnSched's in its own upper case).
ASSIGNMENT_SPELLINGS = (*ASSIGNMENT_CHOICES, "fixed_order", "none", "NONE", "RANDOM", "BALANCED")
assert set(_POLICY_OF.values()) == set(ASSIGNMENT_POLICIES)


def assignment_policy(business: Business, requested: str | None = None, *, param: str = "assignment") -> str:
    """The policy that orders the staff of a slot for this request: `requested` when given
    (ValidationError naming `param` when it is no known spelling), else the business's."""
    if requested is None:
        return business.assignment_policy
    if requested not in ASSIGNMENT_SPELLINGS:
        raise ValidationError(f"{param} must be one of: {', '.join(ASSIGNMENT_CHOICES)} "
                              f"(or fixed_order, or OnSched's NONE, RANDOM, BALANCED).", param=param)
    return _POLICY_OF[requested.lower()]
