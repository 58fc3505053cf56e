"""Steps the browser tests share: signing in to the dashboard through its own form."""
from __future__ import annotations

from playwright.sync_api import Page, expect

PASSWORD = "browser test password"


def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD, *, start: str = "/dashboard/day") -> None:
    """Open `start` signed out (the dashboard sends the visitor to its sign-in form), sign in
    there, and return once the page the form sends them on to has loaded: `start` itself, or
    the day view when `start` is the sign-in page."""
    page.goto(base_url + start)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    # Wait for the signed-in page (only it has the dashboard's top bar) before returning. The
    # click can come back before the browser has sent the form, on a loaded machine: a
    # page.goto straight after it then cancels the sign-in, and the test lands on the sign-in
    # form instead of the page it went to.
    expect(page.locator(".dash-top")).to_be_visible()
