"""The public site and the payment pages commit nothing themselves: the unit of work
commits a request once after a success and rolls it back otherwise. These tests hold the
places where that needed thought: an error answered with a redirect, an error page after
a change refused halfway, error answers that must keep what happened (a refund made at
Stripe), and a commit that fails after Stripe was asked for a payment page."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bookingapp.domain import booking as booking_domain
from bookingapp.domain.errors import HoldExpired
from bookingapp.extensions import db
from bookingapp.models import Booking, Customer
from bookingapp.models.payment import Payment, StripeEvent
from tests.helpers import MONDAY, at
from tests.payments.conftest import (  # noqa: F401  (fixtures)
    deliver, fake_stripe, make_hold, start_stripe_checkout, stripe_app, stripe_provider,
)
from tests.web.conftest import csrf_from
from tests.web.test_wizard import details_page, submit_details
from tests.web.test_wizard_money import (  # noqa: F401  (deposit_shop: a fixture)
    colour_details, deposit_shop, return_url, stripe_checkout_via_wizard,
)


def fresh(session, row):
    session.expire_all()
    return session.get(type(row), row.id)


class FailingCommits:
    """`arm()` makes the next commit fail (a lost connection, a full disk)."""

    def __init__(self):
        self.armed = False
        self.failed = 0

    def arm(self) -> None:
        self.armed = True


@pytest.fixture
def commits(app, monkeypatch):
    """Commits that a test can make fail once; the app then answers as in production (a
    500, not an exception raised into the test)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    real_commit = db.session.commit
    control = FailingCommits()

    def commit():
        if control.armed:
            control.armed = False
            control.failed += 1
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        return real_commit()

    monkeypatch.setattr(db.session, "commit", commit)
    return control


# --------------------------------------------------------------------------- the wizard


def test_a_hold_lost_while_booking_keeps_none_of_the_details(client, shop, session, monkeypatch):
    """HoldExpired from book() is answered with a redirect to the time step, a success
    for the unit of work: the customer and details saved just before must not stay."""
    url, page = details_page(client, shop)

    def taken_meanwhile(*_args, **_kwargs):
        raise HoldExpired("The hold ran out and that time has been taken since.", param="booking_id")

    monkeypatch.setattr(booking_domain, "book", taken_meanwhile)
    response = submit_details(client, url, page, notes="Window seat")
    assert response.status_code == 303 and "notice=expired" in response.headers["Location"]
    held = session.scalars(select(Booking)).one()
    assert (held.status, held.customer_id, held.notes) == ("held", None, None)
    assert session.scalar(select(func.count()).select_from(Customer)) == 0


def test_the_payment_page_address_is_given_only_once_its_payment_is_committed(
    client, deposit_shop, session, stripe_app, fake_stripe, commits,
):
    url, page = colour_details(client, deposit_shop)
    payment_url = submit_details(client, url, page).headers["Location"]
    form = client.get(payment_url)
    commits.arm()
    failed = client.post(payment_url, data={"csrf_token": csrf_from(form.text)})
    assert commits.failed == 1
    # Stripe made a page, but its address never reached the customer and our row is gone.
    assert failed.status_code == 500 and "Location" not in failed.headers and "HX-Redirect" not in failed.headers
    (orphan,) = fake_stripe.sessions
    assert session.scalars(select(Payment)).all() == [] and session.scalars(select(Booking)).one().status == "held"
    retried = client.post(payment_url, data={"csrf_token": csrf_from(form.text)})
    assert retried.status_code == 303 and orphan not in retried.headers["Location"]
    assert session.scalars(select(Payment)).one().provider_session_id != orphan


def test_a_cancel_refused_halfway_shows_the_booking_as_it_stays(client, deposit_shop, session, stripe_app, fake_stripe):
    """The booking is marked cancelled before its refund is asked for; when Stripe
    cannot refund, the 422 page must show the booking still confirmed (the savepoint),
    and nothing is stored (the unit of work)."""
    deposit_shop["business"].free_cancellation_hours = 1
    session.commit()
    session_id, _ = stripe_checkout_via_wizard(client, deposit_shop)
    fake_stripe.pay(session_id)
    done = client.get(return_url(fake_stripe, session_id))
    assert done.status_code == 303 and done.headers["Location"].endswith("/done")
    booking = session.scalars(select(Booking)).one()
    from bookingapp.web.links import manage_token

    with stripe_app.test_request_context():
        manage = f"/corner-salon/manage/{manage_token(booking.id)}"
    page = client.get(manage)
    fake_stripe.fail_next = 1
    refused = client.post(manage + "/cancel", data={"csrf_token": csrf_from(client.get(manage + "/cancel").text)})
    assert refused.status_code == 422 and "The refund could not be made just now" in refused.text
    assert "status-confirmed" in refused.text and "Cancel booking" in refused.text
    assert fresh(session, booking).status == "confirmed"
    assert session.scalars(select(Payment).where(Payment.kind == "refund")).all() == []


# --------------------------------------------------------------------------- the payment pages


@pytest.fixture
def paid_checkout(session, stripe_app, stripe_provider, make_hold, fake_stripe, pinned_clock):
    """A held booking (Monday 2030-06-03 10:00) whose Stripe page has just been paid."""
    held = make_hold(now=pinned_clock.now)
    started = start_stripe_checkout(session, stripe_provider, held, pinned_clock.now)
    fake_stripe.pay(started.payment.provider_session_id)
    return held, started.payment


def test_a_late_payment_refunded_on_the_return_page_is_kept_although_the_answer_is_409(
    client, session, salon, paid_checkout, pinned_clock, make_customer,
):
    business, service, alice, _ = salon
    held, payment = paid_checkout
    pinned_clock.now = held.hold_expires_at + timedelta(minutes=1)
    booking_domain.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), staff=alice)
    session.commit()
    page = client.get(f"/checkout/return?session_id={payment.provider_session_id}")
    assert page.status_code == 409 and "refunded your payment in full" in page.text
    # The money went back at Stripe: our records say so after the request.
    assert fresh(session, payment).status == "refunded" and fresh(session, held).status == "expired"
    (refund,) = session.scalars(select(Payment).where(Payment.kind == "refund")).all()
    assert (refund.amount_cents, refund.status) == (payment.amount_cents, "succeeded")


def test_a_webhook_whose_commit_fails_is_a_5xx_stores_nothing_and_the_retry_is_processed(
    session, paid_checkout, fake_stripe, deliver, commits,
):
    held, payment = paid_checkout
    paid = fake_stripe.sessions[payment.provider_session_id]
    commits.arm()
    failed = deliver("checkout.session.completed", paid, event_id="evt_commit_failed")
    assert failed.status_code == 500 and commits.failed == 1
    assert session.get(StripeEvent, "evt_commit_failed") is None and fresh(session, held).status == "held"
    retried = deliver("checkout.session.completed", paid, event_id="evt_commit_failed")
    assert retried.status_code == 200 and retried.json["outcome"] == "booked"
    session.expire_all()
    assert session.get(StripeEvent, "evt_commit_failed").outcome == "booked"
    assert fresh(session, held).status == "confirmed"
