def test_landing_page_renders_in_chromium(live_server, page, salon, screenshot):
    business, service, alice, _ = salon
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == business.name
    assert page.get_by_text(service.name).count() >= 1
    screenshot(page, "landing")
