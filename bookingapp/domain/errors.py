"""Domain errors. The HTTP layers map each class to a status code and an error code."""
from __future__ import annotations

from bookingapp.domain.messages import N_, english


class DomainError(Exception):
    """Base class. `code` is the stable machine-readable name used by the API."""

    code = "validation_error"

    def __init__(self, message: str, *, param: str | None = None, details: dict | None = None,
                 params: dict | None = None):
        # `message` may be a template with %(name)s placeholders filled from `params`:
        # `.message` is the English text every door has always returned (the API's), and
        # `.template` + `.params` let the web door translate first and fill in after. The
        # params are raw (a datetime, a StatusValue): each door writes them its own way.
        self.template = message
        self.params = dict(params or {})
        self.message = message % {key: english(value) for key, value in self.params.items()} if self.params else message
        super().__init__(self.message)
        self.param = param
        self.details = details or {}


class ValidationError(DomainError):
    code = "validation_error"


class NotFound(DomainError):
    code = "not_found"


class InvalidTransition(DomainError):
    """A status change the transition table does not allow."""

    code = "validation_error"

    def __init__(self, current: str, target: str, valid: tuple[str, ...]):
        valid_text = ", ".join(valid) if valid else "none (terminal status)"
        super().__init__(
            f'Cannot transition from "{current}" to "{target}". Valid transitions: {valid_text}',
            param="status",
            details={"from": current, "to": target, "valid_transitions": list(valid)},
        )
        self.current = current
        self.target = target
        self.valid = valid


class SlotUnavailable(DomainError):
    """The requested time is not (or no longer) free for the staff member."""

    code = "slot_unavailable"

    def __init__(self, message: str = N_("That time was just taken. Please choose another slot."), **kwargs):
        super().__init__(message, **kwargs)


class SlotNotOffered(SlotUnavailable):
    """The start time is not one the business offers at all (off its grid, in the past or
    within the minimum notice, beyond the maximum advance, outside working hours), as
    opposed to a time that is offered but was just taken: a bad request (400), not a
    conflict. A subclass so that every door's "slot unavailable" handling still catches it."""

    code = "validation_error"

    def __init__(self, message: str = N_("That time is not available to book. Please choose one of the times shown."), **kwargs):
        super().__init__(message, **kwargs)


class HoldExpired(DomainError):
    """The hold ran out before it was turned into a booking."""

    code = "hold_expired"


class PaymentUnavailable(DomainError):
    """The payment provider could not be reached; nothing was changed. Try again."""

    code = "payment_unavailable"
