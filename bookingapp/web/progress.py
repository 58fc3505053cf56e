"""The wizard's progress bar: the steps a customer really goes through (shared by the wizard
and the "Choose a location" page, which comes first at a business with several)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STEPS = (("service", _l("Service")), ("staff", _l("Staff")), ("time", _l("Time")), ("details", _l("Details")),
         ("payment", _l("Payment")), ("done", _l("Booked")))


def progress(current: str, *, pays: bool, with_location: bool = False) -> list[tuple[str, str]]:
    """The steps the customer really goes through, as (label, state) with state "done",
    "current" or "": holding a time is part of choosing it, not a page of its own, and
    the payment step is there only when something is paid up front (so it is never
    ticked off for a booking that cost nothing in advance). `with_location`: the
    "Choose a location" page of a business with several, where the steps start."""
    steps = ((("location", _l("Location")),) if with_location else ()) + STEPS
    keys = [key for key, _ in steps if key != "payment" or pays]
    position = keys.index(current)
    return [
        (label, "done" if keys.index(key) < position else ("current" if key == current else ""))
        for key, label in steps if key in keys
    ]
