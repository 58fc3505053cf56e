"""The wizard's money paths through the test client: the promotion code field, going
back to details after opening a checkout, the provider being unreachable, a late payment
refunded because the time was taken, and the manage link's cancel with money paid."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.models import Booking
from bookingapp.models.payment import Payment, Promotion, SandboxCheckoutSession
from tests.payments.conftest import fake_stripe, stripe_app  # noqa: F401  (fixtures)
from tests.web.conftest import csrf_from, tomorrow_at
from tests.web.test_wizard import details_page, submit_details

HX = {"HX-Request": "true"}


@pytest.fixture
def deposit_shop(shop, session, pinned_clock):
    """The shop taking the service's deposit up front: Colour costs £90.00, £20.00 now."""
    shop["business"].deposit_policy = "service_deposit"
    session.add_all([
        Promotion(business_id=shop["business"].id, code="SPRING20", kind="percent", percent_off=20),
        Promotion(business_id=shop["business"].id, code="OLDNEWS", kind="fixed", amount_off_cents=500,
                  valid_until=pinned_clock.now - timedelta(days=1)),
        Promotion(business_id=shop["business"].id, code="ONCE", kind="fixed", amount_off_cents=500, max_uses=1),
    ])
    session.commit()
    return shop


def colour_details(client, shop):
    return details_page(client, shop, service="colour", who=str(shop["alice"].id))


def apply_code(client, url, page, code, **fields):
    data = {"csrf_token": csrf_from(page.text), "name": "", "email": "", "phone": "", "notes": "",
            "promo_code": code, "action": "apply_promo"}
    data.update(fields)
    return client.post(url, data=data)


def promo_error(html: str) -> str | None:
    match = re.search(r'<p class="error" id="promo_code-error">([^<]+)</p>', html)
    return match.group(1) if match else None


def total(html: str) -> str:
    return re.search(r'id="total-price">([^<]+)<', html).group(1)


# --------------------------------------------------------------------------- promotion code


def test_a_valid_code_shows_the_new_price_and_continue_saves_it(client, deposit_shop, session):
    url, page = colour_details(client, deposit_shop)
    assert total(page.text) == "£90.00"
    applied = apply_code(client, url, page, "spring20")
    assert applied.status_code == 200 and total(applied.text) == "£72.00"
    assert "Promotion SPRING20" in applied.text and promo_error(applied.text) is None
    to_payment = submit_details(client, url, applied, promo_code="spring20")
    assert to_payment.status_code == 303 and to_payment.headers["Location"].endswith("/payment")
    # The total is discounted; the deposit (£20.00) is less than the new total, so it stays.
    assert 'id="due-now">£20.00<' in client.get(to_payment.headers["Location"]).text
    held = session.scalars(select(Booking)).one()
    from bookingapp.domain.pricing import quote_booking
    assert quote_booking(session, held, deposit_shop["business"]).total_cents == 7200


@pytest.mark.parametrize("code, message", [
    ("NOSUCH", "NOSUCH is not a valid promotion code."),
    ("oldnews", "OLDNEWS has expired."),
    ("ONCE", "ONCE has been used up."),
])
def test_a_bad_code_is_explained_beside_the_field_with_the_saved_price(client, deposit_shop, session, make_customer, code, message):
    # ONCE's single use goes to another customer's confirmed booking first.
    business = deposit_shop["business"]
    booking_ops.create_booking(session, business, deposit_shop["cut"], tomorrow_at(business, 15), make_customer(business),
                               staff=deposit_shop["bob"], promo_code="ONCE")
    session.commit()
    url, page = colour_details(client, deposit_shop)
    applied = apply_code(client, url, page, code)
    assert applied.status_code == 422 and promo_error(applied.text) == message
    assert total(applied.text) == "£90.00"
    # Continuing with it is the same answer, not a server error, and the input is kept.
    continued = submit_details(client, url, page, promo_code=code, name="Grace Hopper")
    assert continued.status_code == 422 and promo_error(continued.text) == message
    assert total(continued.text) == "£90.00" and 'value="Grace Hopper"' in continued.text
    assert session.scalars(select(Booking).where(Booking.service_id == deposit_shop["colour"].id)).one().status == "held"


def test_apply_checks_only_the_code_not_the_empty_details(client, deposit_shop):
    url, page = colour_details(client, deposit_shop)
    applied = apply_code(client, url, page, "SPRING20", email="not-an-email")
    assert applied.status_code == 200
    for message in ("Name is required.", "Email is not valid", "Please check"):
        assert message not in applied.text
    assert 'value="not-an-email"' in applied.text  # kept as typed, for Continue to check


def test_continue_is_the_default_submit_so_enter_does_not_apply_the_code(client, deposit_shop):
    _, page = colour_details(client, deposit_shop)
    form = page.text[page.text.index('<form method="post" action="/corner-salon/booking/'):]
    form = form[form.index("novalidate"):]
    first_button = re.search(r'<button type="submit"[^>]*>', form).group(0)
    assert 'value="continue"' in first_button


def test_htmx_apply_with_a_bad_code_is_the_form_partial(client, deposit_shop):
    url, page = colour_details(client, deposit_shop)
    response = client.post(url, headers=HX, data={"csrf_token": csrf_from(page.text), "promo_code": "NOSUCH",
                                                  "action": "apply_promo"})
    assert response.status_code == 422 and response.text.lstrip().startswith('<div id="step"')
    assert promo_error(response.text) == "NOSUCH is not a valid promotion code."


# --------------------------------------------------------------------------- back to details after opening checkout


def open_sandbox_checkout(client, shop, **details):
    url, page = colour_details(client, shop)
    to_payment = submit_details(client, url, page, **details)
    payment_url = to_payment.headers["Location"]
    hosted = client.post(payment_url, data={"csrf_token": csrf_from(client.get(payment_url).text)})
    assert hosted.status_code == 303 and "/sandbox/checkout/" in hosted.headers["Location"]
    return url, payment_url, hosted.headers["Location"]


def test_back_to_details_and_continue_unchanged_reuses_the_open_checkout(client, deposit_shop, session):
    url, payment_url, hosted = open_sandbox_checkout(client, deposit_shop, promo_code="SPRING20")
    page = client.get(url)
    assert page.status_code == 200 and 'value="SPRING20"' in page.text  # the saved code is shown
    again = submit_details(client, url, page, promo_code="SPRING20")
    assert again.status_code == 303 and again.headers["Location"] == payment_url
    second = client.post(payment_url, data={"csrf_token": csrf_from(client.get(payment_url).text)})
    assert second.headers["Location"] == hosted  # the same page: the customer can only pay once
    assert session.scalar(select(Payment).where(Payment.kind != "refund")).status == "pending"


def test_back_to_details_and_change_the_code_closes_the_old_checkout(client, deposit_shop, session):
    deposit_shop["business"].deposit_policy = "full_prepayment"
    session.commit()
    url, payment_url, hosted = open_sandbox_checkout(client, deposit_shop)
    page = client.get(url)
    changed = submit_details(client, url, page, promo_code="SPRING20")
    assert changed.status_code == 303 and changed.headers["Location"] == payment_url
    assert 'id="due-now">£72.00<' in client.get(payment_url).text
    session.expire_all()
    old = session.scalar(select(Payment))
    assert (old.status, old.failure_reason) == ("failed", "expired")
    assert session.get(SandboxCheckoutSession, old.provider_session_id).status == "expired"
    # The old page can no longer be paid.
    card_page = client.get(hosted)
    assert "This payment page has expired" in card_page.text and 'name="card_number"' not in card_page.text
    refused = client.post(hosted, data={"csrf_token": csrf_from(page.text), "card_number": "4242 4242 4242 4242",
                                        "expiry": "12/40", "cvc": "123"})
    assert refused.status_code == 422 and "This payment page has expired" in refused.text
    assert session.scalars(select(Booking)).one().status == "held"


def test_once_paid_the_code_can_no_longer_change(session, deposit_shop, make_customer):
    from bookingapp.domain import payments, pricing
    from bookingapp.payments import make_provider

    business = deposit_shop["business"]
    provider = make_provider({}, session)
    held = booking_ops.hold(session, business, deposit_shop["colour"], tomorrow_at(business, 11),
                            staff=deposit_shop["alice"], customer=make_customer(business))
    started = payments.start_checkout(session, provider, held, success_url="http://x/?s={CHECKOUT_SESSION_ID}",
                                      cancel_url="http://x/c")
    session.get(SandboxCheckoutSession, started.payment.provider_session_id).payment_status = "paid"
    payments.confirm_checkout(session, provider, started.payment.provider_session_id)
    session.commit()
    with pytest.raises(Exception, match="a payment has already been made"):
        payments.change_promotion(session, provider, held, business, "SPRING20")
    assert pricing.quote_booking(session, held, business).total_cents == 9000


# --------------------------------------------------------------------------- the provider unreachable


@pytest.fixture
def stripe_down(stripe_app):
    stripe_app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there
    return stripe_app


def test_payment_step_says_so_when_stripe_cannot_be_reached_and_keeps_the_hold(client, deposit_shop, session, stripe_down):
    url, page = colour_details(client, deposit_shop)
    payment_url = submit_details(client, url, page).headers["Location"]
    response = client.post(payment_url, data={"csrf_token": csrf_from(client.get(payment_url).text)})
    assert response.status_code == 503
    assert "The payment page could not be opened just now" in response.text and "still held" in response.text
    assert session.scalars(select(Booking)).one().status == "held"
    assert session.scalars(select(Payment)).all() == []
    partial = client.post(payment_url, headers=HX, data={"csrf_token": csrf_from(client.get(payment_url).text)})
    assert partial.status_code == 503 and partial.text.lstrip().startswith('<div id="step"')


def test_nothing_to_pay_is_a_422_on_the_payment_step(client, deposit_shop, session):
    url, page = colour_details(client, deposit_shop)
    payment_url = submit_details(client, url, page).headers["Location"]
    form_page = client.get(payment_url)
    deposit_shop["business"].deposit_policy = "none"  # the owner changed the policy meanwhile
    session.commit()
    response = client.post(payment_url, data={"csrf_token": csrf_from(form_page.text)})
    assert response.status_code == 422 and "There is nothing to pay for this booking." in response.text


def stripe_checkout_via_wizard(client, shop):
    url, page = colour_details(client, shop)
    payment_url = submit_details(client, url, page).headers["Location"]
    hosted = client.post(payment_url, data={"csrf_token": csrf_from(client.get(payment_url).text)})
    assert hosted.status_code == 303 and hosted.headers["Location"].startswith("https://checkout.stripe.test/")
    return hosted.headers["Location"].rsplit("/", 1)[1], payment_url


def return_url(fake, session_id):
    return fake.sessions[session_id]["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id).replace("http://localhost", "")


def test_return_page_when_stripe_cannot_be_reached_asks_to_reload(client, deposit_shop, session, stripe_app, fake_stripe):
    session_id, _ = stripe_checkout_via_wizard(client, deposit_shop)
    fake_stripe.pay(session_id)
    stripe_app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"
    response = client.get(return_url(fake_stripe, session_id))
    assert response.status_code == 503 and "We could not check your payment just now" in response.text
    assert session.scalars(select(Booking)).one().status == "held"
    stripe_app.config["STRIPE_API_BASE"] = fake_stripe.base_url
    booked = client.get(return_url(fake_stripe, session_id))  # the reload it asked for
    assert booked.status_code == 303 and booked.headers["Location"].endswith("/done")


# --------------------------------------------------------------------------- late payment refunded


def test_late_payment_refunded_because_the_time_was_taken_is_explained_on_the_time_step(
    client, deposit_shop, session, stripe_app, fake_stripe, make_customer,
):
    business, alice = deposit_shop["business"], deposit_shop["alice"]
    session_id, _ = stripe_checkout_via_wizard(client, deposit_shop)
    fake_stripe.pay(session_id)
    held = session.scalars(select(Booking)).one()
    held.hold_expires_at = held.created_at - timedelta(seconds=1)  # the hold ran out meanwhile
    session.commit()
    booking_ops.create_booking(session, business, deposit_shop["colour"], held.starts_at, make_customer(business), staff=alice)
    session.commit()
    response = client.get(return_url(fake_stripe, session_id))
    assert response.status_code == 303
    location = response.headers["Location"]
    assert f"/book/{deposit_shop['colour'].id}/{alice.id}" in location and "notice=refunded_time_taken" in location
    page = client.get(location)
    assert "Your payment of £20.00 was refunded in full." in page.text
    assert "someone else had booked that time" in page.text and "pick a new time with Alice" in page.text
    assert "Colour" in page.text
    (refund,) = session.scalars(select(Payment).where(Payment.kind == "refund")).all()
    assert refund.amount_cents == 2000
    # A reload of the old wizard page says the same, not "your hold has expired".
    back = client.get(return_url(fake_stripe, session_id).split("/payment/return")[0] + "/details")
    assert "notice=refunded_time_taken" in back.headers["Location"]
    # The amount comes from our records: a forged ref shows the notice without one.
    forged = client.get(re.sub(r"ref=[^&]+", "ref=forged", location))
    assert "refunded in full" in forged.text and "£20.00" not in forged.text


# --------------------------------------------------------------------------- manage link with money paid


def paid_sandbox_booking(client, shop, session):
    url, payment_url, hosted = open_sandbox_checkout(client, shop)
    card_page = client.get(hosted)
    token = re.search(r'name="csrf_token" value="([^"]+)"', card_page.text).group(1)
    paid = client.post(hosted, data={"csrf_token": token, "card_number": "4242 4242 4242 4242",
                                     "expiry": "12/40", "cvc": "123"})
    done = client.get(client.get(paid.headers["Location"]).headers["Location"])
    manage = re.search(r'href="([^"]+/manage/[^"/]+)" id="manage-link"', done.text).group(1)
    return manage.replace("http://localhost", "")


def test_manage_cancel_inside_the_free_window_refunds_the_deposit(client, deposit_shop, session):
    deposit_shop["business"].free_cancellation_hours = 1
    session.commit()
    manage = paid_sandbox_booking(client, deposit_shop, session)
    page = client.get(manage)
    assert "Everything you paid (£20.00) will be refunded." in page.text
    response = client.post(manage + "/cancel", data={"csrf_token": csrf_from(client.get(manage + "/cancel").text)})
    assert response.status_code == 303
    after = client.get(response.headers["Location"])
    assert "has been cancelled" in after.text and re.search(r'<dt>Refunded</dt><dd id="refunded">£20.00</dd>', after.text)
    (refund,) = session.scalars(select(Payment).where(Payment.kind == "refund")).all()
    assert (refund.amount_cents, refund.status) == (2000, "succeeded")


def test_manage_cancel_after_the_free_window_keeps_the_deposit(client, deposit_shop, session):
    deposit_shop["business"].free_cancellation_hours = 72  # tomorrow is inside the last 72 hours
    session.commit()
    manage = paid_sandbox_booking(client, deposit_shop, session)
    page = client.get(manage)
    assert "If you cancel now, the deposit of £20.00 is kept." in page.text
    response = client.post(manage + "/cancel", data={"csrf_token": csrf_from(client.get(manage + "/cancel").text)})
    assert response.status_code == 303
    after = client.get(response.headers["Location"])
    assert "has been cancelled" in after.text and "<dt>Refunded</dt>" not in after.text
    assert session.scalars(select(Payment).where(Payment.kind == "refund")).all() == []


def test_a_booking_that_has_started_cannot_be_cancelled_or_moved_by_the_customer(
    client, deposit_shop, session, pinned_clock,
):
    manage = paid_sandbox_booking(client, deposit_shop, session)
    page = client.get(manage + "/cancel")
    booking = session.scalars(select(Booking)).one()
    started = booking.starts_at
    pinned_clock.now = started + timedelta(minutes=10)  # the appointment began ten minutes ago
    shown = client.get(manage)
    assert "Cancel booking" not in shown.text and "Change time" not in shown.text
    assert client.get(manage + "/cancel").status_code == 303  # no confirm page for what cannot be done
    cancel = client.post(manage + "/cancel", data={"csrf_token": csrf_from(page.text)})
    assert cancel.status_code == 422 and "can no longer be cancelled online" in cancel.text
    move = client.post(manage + "/reschedule", data={"csrf_token": csrf_from(page.text),
                                                     "start": (started + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert move.status_code == 422 and "can no longer be moved online" in move.text
    session.expire_all()
    assert [b.status for b in session.scalars(select(Booking))] == ["confirmed"]
    assert session.scalars(select(Payment).where(Payment.kind == "refund")).all() == []
