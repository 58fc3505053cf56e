"""A reply's refusals (domain.review_replies) as an owner meets them under the reply box on
Reviews: in the catalogue's words, right under the box, with what was typed kept and
nothing published, in place (htmx) and as a page. (The API's own schema refuses a blank or
over-long reply before the domain is asked, naming param "reply": tests/api.)"""
from __future__ import annotations

import html as html_text
import re

import pytest

from bookingapp.models import Review
from tests.dashboard.test_catalog_wording import FIELD_NAMES, kept
from tests.dashboard.test_reviews import reviewed  # noqa: F401 (four reviews, one answered)

ERROR = re.compile(r'<p class="error"[^>]*>([^<]*)</p>')


def refused_under_the_box(answer, review: Review, words: str, *, htmx: bool) -> str:
    """The answer is the review's card again with its reply box open (422; the card alone
    for htmx), with exactly one refusal, reading `words`, right under the reply box."""
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422, page
    card = f'<article id="review-{review.id}"'
    if htmx:
        assert page.lstrip().startswith(card)
    else:
        assert "<html" in page and card in page
    assert [html_text.unescape(text) for text in ERROR.findall(page)] == [words]
    assert not FIELD_NAMES.search(words) and not words.startswith("reply")
    box = re.search(r'<form [^>]*action="[^"]*/reviews/' + str(review.id) + r'/reply".*?</form>', page, re.S)
    assert box and re.search(r'<textarea name="reply"[^>]*>.*?</textarea></label>\s*<p class="error"[^>]*>'
                             + re.escape(html_text.escape(words)), box.group(0), re.S), "the refusal is under the box"
    # A screen reader hears the refusal with the box: the box is marked invalid and
    # described by it.
    error_id = f"reply-error-{review.id}"
    assert re.search(r'<textarea name="reply"[^>]*aria-invalid="true"[^>]*aria-describedby="' + error_id + '"',
                     box.group(0)), "the box names its refusal"
    assert f'id="{error_id}" data-error-for="reply"' in box.group(0)
    return page


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
@pytest.mark.parametrize("typed, words", [
    (" \n ", "The reply is required."),
    ("Sorry, Dan. " + "x" * 1990, "The reply is too long (2,000 characters at most)."),
])
def test_a_reply_is_refused_in_words_under_the_box_with_what_was_typed(reviewed, as_role, session, typed, words,
                                                                        htmx):
    business, reviews = reviewed
    dan = reviews[3]
    owner = as_role(business, "owner")
    page = refused_under_the_box(owner.post(f"/dashboard/reviews/{dan.id}/reply", {"reply": typed}, htmx=htmx), dan,
                                 words, htmx=htmx)
    if typed.strip():
        kept(page, {"reply": typed})
    session.expire_all()
    assert session.get(Review, dan.id).business_reply is None


def test_a_refused_edit_keeps_the_published_reply(reviewed, as_role, session):
    """Ben's card already has a reply: emptying the box is refused and his reply stays."""
    business, reviews = reviewed
    ben = reviews[1]
    owner = as_role(business, "owner")
    refused_under_the_box(owner.post(f"/dashboard/reviews/{ben.id}/reply", {"reply": ""}, htmx=True), ben,
                          "The reply is required.", htmx=True)
    session.expire_all()
    assert session.get(Review, ben.id).business_reply == "Thank you Ben"

