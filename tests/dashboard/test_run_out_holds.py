"""A hold whose time has passed reads `expired` on the dashboard at once, as it does in the
API, whether or not the worker has swept it yet (issue 10: every door, the same moment)."""
from __future__ import annotations

from datetime import timedelta

from bookingapp.domain import booking as booking_ops
from tests.helpers import MONDAY, at


def test_a_run_out_hold_reads_expired_in_the_booking_panel_before_the_sweep(app, session, salon, as_role):
    business, service, alice, _ = salon
    taken_at = at(MONDAY, 8)
    held = booking_ops.hold(session, business, service, at(MONDAY, 15), staff=alice, now=taken_at)
    session.commit()
    owner = as_role(business, "owner")

    app.config["CLOCK"] = lambda: taken_at + timedelta(seconds=30)
    panel = owner.get(f"/dashboard/bookings/{held.id}").get_data(as_text=True)
    assert 'data-status="held"' in panel

    app.config["CLOCK"] = lambda: held.hold_expires_at + timedelta(seconds=1)
    panel = owner.get(f"/dashboard/bookings/{held.id}").get_data(as_text=True)
    assert 'data-status="expired"' in panel
    session.refresh(held)
    assert held.status == "held"  # nothing swept it: the reading alone says expired
