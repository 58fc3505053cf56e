"""The demo business has reminders switched on: its past messages read as history, those of
today's bookings wait for the worker, and the worker's planning finds reminders and the
owner's agenda to send."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bookingapp.domain import reminders
from bookingapp.models import Message
from tests.test_demo_payments import NOW, demo  # noqa: F401  (the fixture)


def test_the_demo_reminds_its_customers_and_sends_the_owner_her_agenda(session, demo):  # noqa: F811
    assert reminders.enabled_steps(demo) == [{"hours_before": 24, "email": True, "sms": False},
                                              {"hours_before": 2, "email": False, "sms": True}]
    by_status = dict(session.execute(
        select(Message.status, func.count()).where(Message.business_id == demo.id).group_by(Message.status)).all())
    assert by_status["recorded"] > 0 and by_status["pending"] > 0  # history, and today's bookings
    assert session.scalar(select(func.count()).where(Message.status == "recorded", Message.sent_at.is_(None))) == 0
    # Three hours on, today's later appointments are two hours away.
    assert reminders.plan_due(session, now=NOW + timedelta(hours=3)) > 0
    planned = session.scalars(select(Message.kind).where(Message.business_id == demo.id, Message.status == "pending",
                                                         Message.kind.in_(("reminder", "staff_agenda")))).all()
    assert "reminder" in planned and planned.count("staff_agenda") == 1
