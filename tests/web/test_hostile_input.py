"""Hostile and sloppy input on the wizard and the manage link (issue 10): every case
answers the door's own clear error, never a 500, and writes nothing."""
from __future__ import annotations

from urllib.parse import quote_plus

import pytest
from sqlalchemy import func, select

from bookingapp.domain import booking as booking_ops
from bookingapp.models import Booking, Review
from tests.web.conftest import csrf_from, tomorrow_at
from tests.web.test_wizard import book_at_venue, details_page, submit_details, time_url

EDGE_STARTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00-14:00",
               "9999-12-31T23:59:59+14:00", "1969-12-31T23:00:00Z", "2201-01-01T00:00:00Z"]


def bookings(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Booking))


@pytest.mark.parametrize("start", EDGE_STARTS)
def test_wizard_hold_at_the_edge_of_the_calendar_is_a_clear_error(client, session, shop, start):
    page = client.get(time_url(shop))
    response = client.post(time_url(shop), data={"csrf_token": csrf_from(page.text), "start": start})
    assert response.status_code == 422
    assert "That time is not available to book." in response.text
    assert bookings(session) == 0


@pytest.mark.parametrize("start", EDGE_STARTS)
def test_manage_reschedule_to_the_edge_of_the_calendar_is_a_clear_error(client, session, shop, start):
    _, manage = book_at_venue(client, shop)
    page = client.get(manage + "/reschedule")
    before = bookings(session)
    response = client.post(manage + "/reschedule", data={"csrf_token": csrf_from(page.text), "start": start})
    assert response.status_code == 422
    assert "That time is not available to book." in response.text
    assert bookings(session) == before
    assert session.scalar(select(Booking.status)) == "confirmed"


@pytest.mark.parametrize("month", ["99999999999999999999-1", "2026-99999999999999999999", "-1-1", "0-1",
                                   "10000-1", "2026-13", "2026", "x"])
def test_a_month_out_of_range_falls_back_to_the_current_month(client, shop, month):
    response = client.get(time_url(shop), query_string={"month": month})
    assert response.status_code == 200
    assert "March 2026" in response.text


@pytest.mark.parametrize("day", ["99999999999999999999-01-01", "9999-12-31", "0001-01-01", "2026-02-30", "x"])
def test_a_day_out_of_range_falls_back_to_the_first_free_day(client, shop, day):
    response = client.get(time_url(shop), query_string={"day": day, "month": "9999-12"})
    assert response.status_code == 200
    assert "March 2026" in response.text


def test_manage_reschedule_page_with_an_absurd_month_and_day_falls_back(client, shop):
    _, manage = book_at_venue(client, shop)
    response = client.get(manage + "/reschedule", query_string={"month": "99999999999999999999-1",
                                                                "day": "99999-01-01"})
    assert response.status_code == 200
    assert "March 2026" in response.text


@pytest.mark.parametrize("path", ["/%00", "/corner-salon%00", "/sandbox/checkout/%00",
                                  "/corner-salon/book/%00", "/corner-salon/manage/%00"])
def test_a_nul_in_a_path_segment_is_not_found(client, shop, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/%ED%A0%80", "/corner-salon%ED%A0%80", "/sandbox/checkout/%ED%A0%80"])
def test_invalid_utf8_in_a_path_segment_is_not_found(client, shop, path):
    assert client.get(path).status_code == 404


def test_invalid_utf8_in_the_month_query_is_harmless(client, shop):
    response = client.get(time_url(shop) + "?month=%ED%A0%80&day=%ED%A0%80")
    assert response.status_code in (200, 400)


def raw_form(client, url, body: str):
    """POST a form body as raw bytes, so it may carry what the test client would refuse to
    encode itself (percent-encoded invalid UTF-8, the bytes of a lone surrogate)."""
    return client.post(url, data=body.encode("ascii"), content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize("value", ["\x00", "x" * 100_000, "\u202e\U0001F600\u0301", "   "])
@pytest.mark.parametrize("field", ["name", "email", "phone", "notes", "promo_code"])
def test_details_form_refuses_bad_text_without_writing(client, session, shop, field, value):
    url, page = details_page(client, shop)
    response = submit_details(client, url, page, **{field: value})
    if response.status_code == 303:
        # Only harmless text may pass (odd unicode in a name or notes, blank optional fields).
        assert "\x00" not in value and len(value) < 100_000
        return
    assert response.status_code in (400, 422)
    session.expire_all()
    held = session.scalars(select(Booking)).one()
    assert held.status == "held" and held.customer_id is None


@pytest.mark.parametrize("field", ["name", "email", "phone", "notes", "promo_code"])
@pytest.mark.parametrize("encoded", ["%ED%A0%80", "%ED%B0%80", "%FF", "%C0%80"])
def test_details_form_with_invalid_utf8_is_never_a_500(client, session, shop, field, encoded):
    """A surrogate cannot travel in a form as UTF-8: its bytes (ED A0 80) are invalid and
    the form parser reads them as replacement characters. The answer is the form's own
    (a refusal re-rendered, or the text saved with U+FFFD), never a 500."""
    url, page = details_page(client, shop)
    fields = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "", "notes": "", "promo_code": "",
              "action": "continue"}
    body = "&".join(f"{k}={encoded if k == field else quote_plus(v)}" for k, v in fields.items())
    response = raw_form(client, url, f"csrf_token={quote_plus(csrf_from(page.text))}&{body}")
    assert response.status_code in (303, 400, 422)
    session.expire_all()
    held = session.scalars(select(Booking)).one()
    if response.status_code != 303:
        assert held.customer_id is None
    else:
        assert "\ud800" not in (held.notes or "")


def test_details_form_with_every_field_missing_is_re_rendered(client, session, shop):
    url, page = details_page(client, shop)
    response = client.post(url, data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 422
    assert session.scalars(select(Booking)).one().customer_id is None


@pytest.mark.parametrize("rating", ["", "0", "-1", "6", "99999999999999999999999", "1e309", "NaN", "-0",
                                    "\x00", "x" * 100_000])
def test_review_form_refuses_bad_ratings_without_writing(client, session, shop, rating):
    _, manage = book_at_venue(client, shop)
    booking = session.scalars(select(Booking)).one()
    booking_ops.start(session, booking, now=booking.starts_at)
    booking_ops.complete(session, booking, now=booking.ends_at)
    session.commit()
    page = client.get(manage)
    response = client.post(manage + "/review", data={"csrf_token": csrf_from(page.text), "rating": rating,
                                                     "comment": "x" * 100_000 if rating == "" else "ok"})
    assert response.status_code in (400, 422)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Review)) == 0


def test_hold_with_a_nul_or_invalid_utf8_start_is_refused(client, session, shop):
    page = client.get(time_url(shop))
    token = quote_plus(csrf_from(page.text))
    good = quote_plus(tomorrow_at(shop["business"], 10).isoformat())
    for start in ["%00", good + "%00", "%ED%A0%80", good + "%ED%A0%80", "", "x" * 100_000, "2026-03-03T25:00Z"]:
        response = raw_form(client, time_url(shop), f"csrf_token={token}&start={start}")
        assert response.status_code in (400, 422), start
    response = raw_form(client, time_url(shop), f"csrf_token={token}")
    assert response.status_code == 422
    assert bookings(session) == 0


# --------------------------------------------------------------------------- request size


def test_an_over_large_details_form_is_a_plain_413_page(client, session, shop):
    url, page = details_page(client, shop)
    response = client.post(url, data={"csrf_token": csrf_from(page.text), "name": "Ada", "email": "ada@example.com",
                                      "notes": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too much to send" in response.text and "1 MB" in response.text
    session.expire_all()
    assert session.scalars(select(Booking)).one().customer_id is None


def test_an_over_large_hold_with_htmx_is_still_the_413_page(client, shop):
    response = client.post(time_url(shop), data={"start": "x" * (2 * 1024 * 1024)}, headers={"HX-Request": "true"})
    assert response.status_code == 413 and "too much to send" in response.text


def test_the_size_limit_follows_the_app_setting(app, client, shop):
    app.config["MAX_CONTENT_LENGTH"] = 10 * 1024
    url, page = details_page(client, shop)
    response = client.post(url, data={"csrf_token": csrf_from(page.text), "notes": "x" * 20_000})
    assert response.status_code == 413 and "10 KB" in response.text


def test_max_content_length_defaults_to_1_mib_and_is_read_from_the_environment(monkeypatch):
    from bookingapp.config import from_environment

    monkeypatch.delenv("MAX_CONTENT_LENGTH", raising=False)
    assert from_environment()["MAX_CONTENT_LENGTH"] == 1024 * 1024
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "2048")
    assert from_environment()["MAX_CONTENT_LENGTH"] == 2048


def test_an_over_large_sandbox_card_form_is_a_plain_413_page(client, shop):
    # Refused before the view looks the page up: the body is never read.
    response = client.post("/sandbox/checkout/cs_sandbox_x", data={"card_number": "4" * (2 * 1024 * 1024)})
    assert response.status_code == 413 and "too much to send" in response.text
