"""Browser tests: the app served on loopback, driven by Debian's Chromium via Playwright.

Playwright cannot download its own browser here, so the launch fixture points it at
/usr/bin/chromium with the flags this machine's closed network needs. Every test in this
folder is marked `browser`. Screenshots go to artifacts/screenshots/ (see `screenshot`).
"""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

# How long an expectation waits for the page to get there. Playwright's 5 s default was
# outrun on a loaded 2-core CI machine by a booking's confirmation (its writes, emails
# rendered and queued) in the development server; a passing check returns as soon as it
# holds, so only a failure waits the whole time.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture
def live_server(app):
    """Serve the test's app (and so the test's own database) on 127.0.0.1, a free port."""
    app.config.update(SERVER_NAME=None)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    yield base_url
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def screenshot(request):
    """screenshot(page, "step-name") saves artifacts/screenshots/<test>/<step>.png."""
    folder = ARTIFACTS / request.node.name.replace("[", "_").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
