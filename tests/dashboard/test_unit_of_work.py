"""The dashboard never commits: the request's unit of work does, by the answer's status.
A refused change is undone before the view renders its answer, a refusal answered with a
redirect (which the unit of work commits) keeps nothing of it, and a refused sign-in is
kept so that it counts towards the limit."""
from __future__ import annotations

from sqlalchemy import func, select

from bookingapp.domain import catalog
from bookingapp.domain.errors import ValidationError
from bookingapp.models import Product, SignInAttempt, Staff
from bookingapp.models.checkout import CheckoutLineItem


def test_a_refused_line_removal_is_undone_before_the_422_is_rendered(session, salon, served, as_role):
    business = salon[0]
    product = Product(business_id=business.id, name="Leave-In Conditioner", price_cents=2400, inventory_count=2)
    session.add(product)
    session.commit()
    desk = as_role(business, "front_desk")
    base = desk.post(f"/dashboard/bookings/{served.id}/checkout").headers["Location"].split("localhost", 1)[-1]
    assert desk.post(f"{base}/lines", {"kind": "product", "product_id": str(product.id)}, htmx=True).status_code == 200
    assert desk.post(f"{base}/lines", {"kind": "discount", "discount_kind": "amount", "discount_value": "60.00"},
                     htmx=True).status_code == 200
    line = session.scalars(select(CheckoutLineItem).where(CheckoutLineItem.type == "product")).one()

    # remove_line gives the stock back and drops the line before it finds the discounts too big.
    refused = desk.post(f"{base}/lines/{line.id}/remove", htmx=True)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "remove a discount first" in html
    assert 'data-line-type="product"' in html  # the page shows the line, as stored

    session.expire_all()
    assert session.get(Product, product.id).inventory_count == 1
    assert session.scalar(select(func.count(CheckoutLineItem.id)).where(CheckoutLineItem.type == "product")) == 1


def test_a_refusal_answered_with_a_redirect_keeps_nothing_of_the_change(session, salon, as_role, monkeypatch):
    business, _, alice, _ = salon
    owner = as_role(business, "owner")
    real_delete = catalog.delete_staff

    def delete_then_refuse(session, business, member, **kwargs):
        real_delete(session, business, member, **kwargs)  # written and flushed...
        raise ValidationError("Alice still has bookings to move.", param="staff_id")  # ...then refused

    monkeypatch.setattr(catalog, "delete_staff", delete_then_refuse)
    refused = owner.post(f"/dashboard/setup/staff/{alice.id}/retire")
    assert refused.status_code == 303 and refused.headers["Location"].endswith(f"/setup/staff/{alice.id}")
    assert "Alice still has bookings to move." in owner.get(f"/dashboard/setup/staff/{alice.id}").get_data(as_text=True)
    session.expire_all()
    member = session.get(Staff, alice.id)
    assert member.deleted_at is None and member.is_active


def test_a_form_error_writes_nothing_and_a_refused_sign_in_is_kept(session, salon, make_account, dashboard):
    make_account(salon[0], "owner", email="o@example.com")
    page = dashboard.get("/dashboard/sign-in")
    assert page.status_code == 200
    dashboard.sign_in("o@example.com", "")  # no password: a form error, not a try
    assert session.scalar(select(func.count(SignInAttempt.id))) == 0
    assert dashboard.sign_in("o@example.com", "wrong password!!").status_code == 401
    session.expire_all()
    assert session.scalar(select(func.count(SignInAttempt.id))) == 1
