"""Reviews in the dashboard: filters, sorts, the summary, and the reply written in place."""
from __future__ import annotations

import re

import pytest

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.reviews import leave_review
from bookingapp.models import Review
from tests.helpers import MONDAY, at, before


@pytest.fixture
def reviewed(session, salon, make_customer):
    """Four completed visits reviewed 5, 4, 4 and 1 stars, the 4-star one already answered."""
    business, service, alice, _ = salon
    reviews = []
    for hour, rating, name in ((9, 5, "Ann"), (11, 4, "Ben"), (13, 4, "Cat"), (15, 1, "Dan")):
        booking = booking_ops.create_booking(session, business, service, at(MONDAY, hour),
                                             make_customer(business, name=name), staff=alice, now=before())
        booking_ops.start(session, booking, now=at(MONDAY, hour))
        booking_ops.complete(session, booking, now=at(MONDAY, hour, 50))
        review = leave_review(session, booking, rating=rating, comment=f"{name} says hi", would_recommend=rating > 2)
        review.created_at = at(MONDAY, hour + 2)
        reviews.append(review)
    reviews[1].business_reply = "Thank you Ben"
    reviews[1].business_reply_at = at(MONDAY, 20)
    session.commit()
    return business, reviews


def _names(html: str) -> list[str]:
    return re.findall(r"<strong>(Ann|Ben|Cat|Dan)</strong>", html)


def test_summary_shows_average_and_distribution(reviewed, as_role):
    business, _ = reviewed
    html = as_role(business, "manager").get("/dashboard/reviews").get_data(as_text=True)
    assert "3.5" in html and "average of 4 reviews" in html
    counts = dict(re.findall(r'data-stars="(\d)">.*?data-count="(\d+)"', html, re.S))
    assert counts == {"5": "1", "4": "2", "3": "0", "2": "0", "1": "1"}


@pytest.mark.parametrize("sort, expected", [
    ("newest", ["Dan", "Cat", "Ben", "Ann"]),
    ("oldest", ["Ann", "Ben", "Cat", "Dan"]),
    ("highest", ["Ann", "Cat", "Ben", "Dan"]),
    ("lowest", ["Dan", "Cat", "Ben", "Ann"]),
])
def test_sorts(reviewed, as_role, sort, expected):
    business, _ = reviewed
    html = as_role(business, "owner").get(f"/dashboard/reviews?sort={sort}").get_data(as_text=True)
    assert _names(html) == expected


def test_filters_by_rating_and_reply_and_htmx_gets_the_list_only(reviewed, as_role):
    business, _ = reviewed
    dash = as_role(business, "owner")
    assert _names(dash.get("/dashboard/reviews?rating=4").get_data(as_text=True)) == ["Cat", "Ben"]
    assert _names(dash.get("/dashboard/reviews?replied=yes").get_data(as_text=True)) == ["Ben"]
    assert _names(dash.get("/dashboard/reviews?replied=no&rating=4").get_data(as_text=True)) == ["Cat"]
    partial = dash.get("/dashboard/reviews?rating=1", headers={"HX-Request": "true"})
    text = partial.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="review-list">') and "<html" not in text
    assert _names(text) == ["Dan"]


def test_bad_filters_are_reported_not_guessed(reviewed, as_role):
    business, _ = reviewed
    response = as_role(business, "owner").get("/dashboard/reviews?rating=9&sort=sideways&replied=maybe")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Rating must be 1 to 5 stars." in html and "Sort must be one of" in html and "Replied must be yes or no." in html


def test_reply_in_place_saves_and_returns_the_review(reviewed, as_role, session):
    business, reviews = reviewed
    dash = as_role(business, "owner")
    dan = reviews[3]
    form = dash.get(f"/dashboard/reviews/{dan.id}/reply", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'id="review-{dan.id}"' in form and "<textarea" in form
    response = dash.post(f"/dashboard/reviews/{dan.id}/reply", {"reply": "  Sorry, Dan. Please call us.  "}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<article id="review-{dan.id}"') and "Sorry, Dan. Please call us." in html
    session.expire_all()
    stored = session.get(Review, dan.id)
    assert stored.business_reply == "Sorry, Dan. Please call us." and stored.business_reply_at is not None


def test_empty_or_long_reply_is_refused_and_keeps_what_was_typed(reviewed, as_role, session):
    business, reviews = reviewed
    dash = as_role(business, "owner")
    dan = reviews[3]
    blank = dash.post(f"/dashboard/reviews/{dan.id}/reply", {"reply": "   "}, htmx=True)
    assert blank.status_code == 422 and "The reply is required." in blank.get_data(as_text=True)
    long_text = "x" * 2001
    too_long = dash.post(f"/dashboard/reviews/{dan.id}/reply", {"reply": long_text}, htmx=True)
    assert too_long.status_code == 422 and long_text in too_long.get_data(as_text=True)
    session.expire_all()
    assert session.get(Review, dan.id).business_reply is None


def test_reply_to_another_business_review_is_not_found(reviewed, as_role, make_business):
    _, reviews = reviewed
    dash = as_role(make_business(), "owner")
    assert dash.post(f"/dashboard/reviews/{reviews[0].id}/reply", {"reply": "hi"}).status_code == 404
    assert dash.get(f"/dashboard/reviews/{reviews[0].id}/reply").status_code == 404
