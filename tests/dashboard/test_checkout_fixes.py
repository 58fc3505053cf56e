"""Checkout audit fixes, through the dashboard's own doors: one balance recorded once under
parallel clicks, a double-clicked "Checkout", bad amounts, promotion uses counted,
refunds shown as refunds, and a deposit bigger than the total."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.pricing import times_used
from bookingapp.models import Payment, Product, Promotion
from bookingapp.models.checkout import Checkout, CheckoutTender
from bookingapp.models.payment import PromotionRedemption
from tests.dashboard.conftest import record_deposit as _deposit
from tests.helpers import MONDAY, at, before


def _total(html, name):
    return re.search(rf'data-total="{name}">(?:<strong>)?([^<]+)<', html).group(1)


def _open(dash, booking) -> str:
    opened = dash.post(f"/dashboard/bookings/{booking.id}/checkout")
    assert opened.status_code == 302, opened.get_data(as_text=True)
    return opened.headers["Location"].split("localhost", 1)[-1]


def _race(session, jobs):
    session.commit()
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait(timeout=30)
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


@pytest.mark.slow
def test_four_parallel_cash_payments_record_the_balance_once(session, salon, served, as_role):
    business = salon[0]
    desks = [as_role(business, "front_desk") for _ in range(4)]
    base = _open(desks[0], served)
    for desk in desks[1:]:
        desk.get(base)
    responses = _race(session, [lambda d=d: d.post(f"{base}/pay", {"method": "cash"}) for d in desks])
    codes = sorted(r.status_code for r in responses)
    assert codes == [302, 422, 422, 422], [r.get_data(as_text=True)[:300] for r in responses]
    session.expire_all()
    tenders = session.scalars(select(CheckoutTender)).all()
    assert [(t.kind, t.method, t.amount_cents) for t in tenders] == [("payment", "cash", 5000)]
    checkout = session.scalars(select(Checkout)).one()
    assert checkout.status == "closed" and checkout.total_cents == 5000


@pytest.mark.slow
def test_double_clicked_checkout_opens_one_checkout(session, salon, served, as_role):
    business = salon[0]
    desks = [as_role(business, "front_desk") for _ in range(4)]
    url = f"/dashboard/bookings/{served.id}/checkout"
    responses = _race(session, [lambda d=d: d.post(url) for d in desks])
    assert [r.status_code for r in responses] == [302] * 4
    assert len({r.headers["Location"] for r in responses}) == 1
    session.expire_all()
    assert session.scalar(select(func.count(Checkout.id))) == 1


@pytest.mark.parametrize("typed", ["Infinity", "-Infinity", "NaN", "sNaN", "1e400", "1e-400", "12.345", "-1", "12,50.5x"])
def test_impossible_amounts_are_a_422_with_the_typed_value_kept(session, salon, served, as_role, typed):
    dash = as_role(salon[0], "front_desk")
    base = _open(dash, served)
    for url, data, field in ((f"{base}/tip", {"tip": typed}, "tip"),
                             (f"{base}/lines", {"kind": "discount", "discount_kind": "amount", "discount_value": typed},
                              "discount_value")):
        response = dash.post(url, data, htmx=True)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, (typed, html[:400])
        assert 'role="alert"' in html
        assert f'name="{field}"' in html and f'value="{typed}"' in html


def test_impossible_amounts_in_setup_forms_are_a_422(session, salon, as_role):
    dash = as_role(salon[0], "owner")
    for typed in ("Infinity", "NaN", "1e400"):
        response = dash.post("/dashboard/setup/products", {"name": "Wax", "price_cents": typed, "sort_order": "0"},
                             htmx=True)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and 'data-error-for="price_cents"' in html and f'value="{typed}"' in html
    huge = dash.post("/dashboard/setup/products", {"name": "Wax", "price_cents": "5", "sort_order": "9" * 30},
                     htmx=True)
    assert huge.status_code == 422 and 'data-error-for="sort_order"' in huge.get_data(as_text=True)


def test_a_percent_promo_code_applied_at_checkout_counts_as_a_use(session, salon, served, as_role,
                                                                  make_customer):
    business, service, alice, bob = salon
    promotion = Promotion(business_id=business.id, code="HALF", kind="percent", percent_off=50, max_uses=1)
    product = Product(business_id=business.id, name="Comb", price_cents=1000)
    session.add_all([promotion, product])
    session.commit()
    dash = as_role(business, "front_desk")
    base = _open(dash, served)
    dash.post(f"{base}/lines", {"kind": "product", "product_id": str(product.id)}, htmx=True)
    html = dash.post(f"{base}/lines", {"kind": "discount", "discount_kind": "promo", "discount_value": "half"},
                     htmx=True).get_data(as_text=True)
    assert (_total(html, "subtotal"), _total(html, "discount"), _total(html, "total")) == ("£60.00", "-£30.00", "£30.00")
    other = dash.post(f"{base}/lines", {"kind": "discount", "discount_kind": "promo", "discount_value": "HALF"}, htmx=True)
    assert other.status_code == 422 and "already applied" in other.get_data(as_text=True)
    assert times_used(session, promotion) == 0  # applied is not used: only a closed sale counts
    assert dash.post(f"{base}/pay", {"method": "card_present"}).status_code == 302
    session.expire_all()
    redemption = session.scalars(select(PromotionRedemption)).one()
    assert redemption.booking_id == served.id and redemption.counted_at is not None
    assert times_used(session, promotion) == 1
    # The one allowed use is gone: another checkout cannot apply it.
    second = booking_ops.create_booking(session, business, service, at(MONDAY, 12), make_customer(business),
                                        staff=bob, now=before())
    booking_ops.start(session, second, now=at(MONDAY, 12))
    session.commit()
    base2 = _open(dash, second)
    used_up = dash.post(f"{base2}/lines", {"kind": "discount", "discount_kind": "promo", "discount_value": "HALF"},
                        htmx=True)
    assert used_up.status_code == 422 and "used up" in used_up.get_data(as_text=True)


def test_a_promo_used_up_while_applied_refuses_to_close(session, salon, served, as_role, make_customer):
    business, service, alice, bob = salon
    promotion = Promotion(business_id=business.id, code="ONCE", kind="fixed", amount_off_cents=500, max_uses=1)
    session.add(promotion)
    session.commit()
    dash = as_role(business, "front_desk")
    second = booking_ops.create_booking(session, business, service, at(MONDAY, 12), make_customer(business),
                                        staff=bob, now=before())
    booking_ops.start(session, second, now=at(MONDAY, 12))
    session.commit()
    first_base, second_base = _open(dash, served), _open(dash, second)
    for base in (first_base, second_base):
        applied = dash.post(f"{base}/lines", {"kind": "discount", "discount_kind": "promo", "discount_value": "ONCE"},
                            htmx=True)
        assert applied.status_code == 200
    assert dash.post(f"{first_base}/pay", {"method": "cash"}).status_code == 302
    refused = dash.post(f"{second_base}/pay", {"method": "cash"}, htmx=True)
    assert refused.status_code == 422 and "used up" in refused.get_data(as_text=True)
    session.expire_all()
    assert times_used(session, promotion) == 1
    assert session.scalar(select(func.count(CheckoutTender.id))) == 1  # the refused close took no cash either


def test_card_present_refund_shows_as_a_refund_and_the_receipt_is_settled(session, salon, served, as_role):
    business = salon[0]
    _deposit(session, served)
    desk = as_role(business, "front_desk")
    base = _open(desk, served)
    desk.post(f"{base}/tip", {"tip": "5.00"}, htmx=True)
    assert desk.post(f"{base}/pay", {"method": "card_present"}).status_code == 302
    owner = as_role(business, "owner")
    too_much = owner.post(f"{base}/refund", {"amount": "46.00", "method": "card_present"}, htmx=True)
    assert too_much.status_code == 422 and "At most £45.00" in too_much.get_data(as_text=True), re.findall(r"class=\"error\"[^<]*", too_much.get_data(as_text=True))
    refunded = owner.post(f"{base}/refund", {"amount": "5.00", "method": "card_present", "reason": "tip back"},
                          htmx=True)
    assert refunded.status_code == 200
    receipt = owner.get(f"{base}/receipt").get_data(as_text=True)
    assert _total(receipt, "total") == "£55.00"
    assert _total(receipt, "refunded") == "-£5.00"
    assert _total(receipt, "total-after-refunds") == "£50.00"
    assert _total(receipt, "paid") == "£50.00"
    assert _total(receipt, "balance") == "£0.00"
    assert "Settled" in receipt and "Balance" not in receipt
    assert re.search(r'data-kind="refund"[^>]*>.*?card present.*?-£5\.00', receipt, re.S)


def test_a_deposit_bigger_than_the_total_must_be_given_back_before_closing(session, salon, served, as_role):
    business = salon[0]
    _deposit(session, served, 1000)
    desk = as_role(business, "front_desk")
    base = _open(desk, served)
    html = desk.post(f"{base}/lines", {"kind": "discount", "discount_kind": "amount", "discount_value": "45.00"},
                     htmx=True).get_data(as_text=True)
    assert _total(html, "total") == "£5.00" and _total(html, "due") == "£5.00"
    assert "To give back" in html and 'data-action="give-back"' in html
    refused = desk.post(f"{base}/close", htmx=True)
    assert refused.status_code == 422 and "paid beyond the total" in refused.get_data(as_text=True)
    given = desk.post(f"{base}/give-back", {"method": "cash"})
    assert given.status_code == 302 and given.headers["Location"].endswith("/receipt")
    receipt = desk.get(f"{base}/receipt").get_data(as_text=True)
    assert _total(receipt, "total") == "£5.00" and _total(receipt, "paid") == "£5.00"
    assert _total(receipt, "balance") == "£0.00"
    session.expire_all()
    checkout = session.scalars(select(Checkout)).one()
    assert checkout.status == "closed"
    assert [(t.kind, t.amount_cents) for t in checkout.tenders] == [("refund", 500)]


def test_demo_bookings_with_a_deposit_show_it_credited_at_checkout(app, session):
    from bookingapp.demo import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, load_demo
    from bookingapp.models import Booking
    from tests.dashboard.conftest import Dashboard

    load_demo(session)
    session.commit()
    upcoming = session.scalars(select(Booking).where(Booking.status == "confirmed", Booking.deposit_cents > 0)).all()
    assert upcoming
    for booking in upcoming:
        deposits = [p for p in session.scalars(select(Payment).where(Payment.booking_id == booking.id))]
        assert [(p.kind, p.status, p.provider, p.amount_cents) for p in deposits] == [
            ("deposit", "succeeded", "sandbox", booking.deposit_cents)]
    booking = upcoming[0]
    booking_ops.start(session, booking, now=booking.starts_at)
    session.commit()
    owner = Dashboard(app.test_client())
    assert owner.sign_in(DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD).status_code == 302
    html = owner.get(_open(owner, booking)).get_data(as_text=True)
    assert _total(html, "paid") == "-£" + f"{booking.deposit_cents // 100}.{booking.deposit_cents % 100:02d}"
