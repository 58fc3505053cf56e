"""Embedding the booking wizard, in headless Chromium: a page on another origin (a second local
server: same host, another port, so another origin) frames the wizard. Listed in the business's
setup, the frame shows the wizard, grows with it (static/embed.js) and books; not listed, Chromium
refuses the frame. And the pages raise no Content-Security-Policy violation: the dashboard's day
view (dragging included) and every wizard step run their JavaScript from files alone."""
from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from bookingapp.auth.accounts import create_account
from bookingapp.domain import booking as booking_ops
from bookingapp.models import Booking, Customer
from tests.browser.pages import PASSWORD, sign_in
from tests.helpers import MONDAY, at, before
from tests.web.conftest import shop  # noqa: F401  (the fixture)


# Collects every securitypolicyviolation event a page (or frame) sees, before its own scripts run.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


@pytest.fixture
def embedding_site():
    """start(app_url, path) -> the origin of a second server whose page frames app_url + path."""
    servers = []

    def start(app_url: str, path: str) -> str:
        page = (f'<!doctype html><html><head><title>Our salon</title></head><body><h1>Book with us</h1>'
                f'<iframe src="{app_url}{path}" data-booking-embed title="Booking" '
                f'style="width:100%;height:150px;border:0"></iframe>'
                f'<script src="{app_url}/static/embed.js"></script></body></html>')
        server = make_server("127.0.0.1", 0, lambda environ, start_response: Response(
            page, mimetype="text/html")(environ, start_response), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


def csp_messages(page) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    return messages


def test_an_allowed_website_frames_the_wizard_and_books_through_it(live_server, page, shop, session,
                                                                  embedding_site, screenshot):
    business = shop["business"]
    # The second server's origin is known once it runs; the business lists it in its setup.
    site = embedding_site(live_server, f"/{business.slug}/book")
    business.embed_origins = [site]
    session.commit()
    console = csp_messages(page)
    page.goto(site)
    frame = page.frame_locator("iframe[data-booking-embed]")
    expect(frame.locator("h1")).to_have_text("Choose a service")
    # The wizard told the page its height and embed.js resized the frame from its 150 px.
    expect(page.locator("iframe[data-booking-embed]")).not_to_have_attribute("style", re.compile(r"height:\s*150px"))
    screenshot(page, "1-framed-services")
    frame.get_by_role("link", name=re.compile("Cut")).first.click()
    expect(frame.locator("h1")).to_have_text("Who would you like?")
    frame.get_by_role("link", name=re.compile("Bob")).click()
    expect(frame.locator("h1")).to_have_text("Choose a date and time")
    frame.locator("a.day.free").last.click()
    slot = frame.locator("button.slot").first
    expect(slot).to_be_visible()
    slot.click()
    expect(frame.locator("h1")).to_have_text("Your details")
    frame.get_by_label("Full name").fill("Framed Customer")
    frame.get_by_label("Email").fill("framed@example.com")
    frame.get_by_role("button", name="Confirm booking").click()
    expect(frame.locator("h1")).to_have_text("You're booked")
    screenshot(page, "2-framed-booked")
    assert page.url.rstrip("/") == site  # the customer never left the salon's own page
    session.rollback()
    made = session.scalars(select(Booking).join(Customer, Booking.customer_id == Customer.id)
                           .where(Customer.email == "framed@example.com")).all()
    assert len(made) == 1 and made[0].status == "confirmed" and made[0].staff_id == shop["bob"].id
    assert not [text for text in console if "Content Security Policy" in text]


def test_a_website_not_listed_is_refused_the_frame(live_server, page, shop, session, embedding_site, screenshot):
    business = shop["business"]
    business.embed_origins = ["https://www.the-salon.example"]
    session.commit()
    console = csp_messages(page)
    site = embedding_site(live_server, f"/{business.slug}/book")
    page.goto(site)
    expect(page.locator("h1")).to_have_text("Book with us")
    frame_element = page.locator("iframe[data-booking-embed]")
    expect(frame_element).to_be_attached()
    # Chromium replaces a refused frame's document with its own error page: no wizard inside.
    page.wait_for_timeout(500)
    inner = frame_element.element_handle().content_frame()
    assert inner is not None
    assert inner.locator("h1", has_text="Choose a service").count() == 0
    assert "Choose a service" not in inner.content()
    assert any("frame-ancestors" in text for text in console), console
    screenshot(page, "refused")


def test_without_embedding_every_website_is_refused(live_server, page, shop, embedding_site):
    console = csp_messages(page)
    page.goto(embedding_site(live_server, f"/{shop['business'].slug}/book"))
    expect(page.locator("h1")).to_have_text("Book with us")
    page.wait_for_timeout(500)
    inner = page.locator("iframe[data-booking-embed]").element_handle().content_frame()
    assert "Choose a service" not in inner.content()
    assert any("frame-ancestors 'none'" in text for text in console), console


def test_the_dashboard_cannot_be_framed_even_by_an_embedding_website(live_server, page, shop, session,
                                                                    embedding_site):
    site = embedding_site(live_server, "/dashboard/sign-in")
    shop["business"].embed_origins = [site]
    session.commit()
    console = csp_messages(page)
    page.goto(site)
    page.wait_for_timeout(500)
    inner = page.locator("iframe[data-booking-embed]").element_handle().content_frame()
    assert "password" not in inner.content().lower()
    assert any("frame-ancestors 'none'" in text for text in console), console


# --------------------------------------------------------------------------- no CSP violations


@pytest.fixture
def owner_day(app, session, salon, make_customer):
    business, service, alice, bob = salon
    app.config["CLOCK"] = lambda: before(MONDAY, days=2)
    create_account(session, alice, "owner@example.com", PASSWORD)
    alice.role = "owner"
    booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business, name="Maya Chen"),
                               staff=alice, now=before())
    session.commit()
    return business


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


def test_the_dashboard_day_and_week_views_raise_no_csp_violation(live_server, page, owner_day, screenshot):
    page.add_init_script(RECORD_VIOLATIONS)
    console = csp_messages(page)
    sign_in(page, live_server, "owner@example.com", start=f"/dashboard/day?date={MONDAY}")
    expect(page.locator(".day-grid")).to_contain_text("Maya Chen")
    assert violations(page) == []
    # The date field submits itself on change (static/js/page-actions.js, once an inline onchange).
    page.locator("input[name=date]").fill("2030-06-04")
    page.wait_for_url(re.compile(r"date=2030-06-04"))
    assert violations(page) == []
    page.get_by_role("link", name="Week").click()
    expect(page.locator("h1")).to_contain_text("Week of")
    assert violations(page) == []
    screenshot(page, "week")
    assert console == []


def test_the_wizard_raises_no_csp_violation(live_server, page, shop):
    page.add_init_script(RECORD_VIOLATIONS)
    console = csp_messages(page)
    page.goto(f"{live_server}/{shop['business'].slug}")
    page.get_by_role("link", name="Book an appointment").click()
    expect(page.locator("h1")).to_have_text("Choose a service")
    page.get_by_role("link", name=re.compile("Cut")).first.click()
    page.get_by_role("link", name=re.compile("Anyone available")).click()
    expect(page.locator("h1")).to_have_text("Choose a date and time")
    page.locator("a.day.free").last.click()
    page.locator("button.slot").first.click()
    expect(page.locator("h1")).to_have_text("Your details")
    expect(page.locator(".countdown .remaining")).to_contain_text("left")
    assert violations(page) == []
    page.get_by_label("Full name").fill("Csp Customer")
    page.get_by_label("Email").fill("csp@example.com")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.locator("h1")).to_have_text("You're booked")
    assert violations(page) == []
    assert console == []


def test_the_api_docs_page_raises_no_csp_violation(live_server, page):
    page.add_init_script(RECORD_VIOLATIONS)
    console = csp_messages(page)
    page.goto(live_server + "/api/docs")
    expect(page.locator("#reference")).not_to_contain_text("Loading the reference")
    assert violations(page) == []
    assert console == []
