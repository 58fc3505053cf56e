"""The app's clock pinned for the operations tests (metrics, logs, the worker's stop), so
nothing depends on the date or the hour they run at."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

# A Monday, 08:00 in London; the bookings go to the next day.
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
TOMORROW_10 = datetime.combine(NOW.date() + timedelta(days=1), time(10), tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def pinned_clock(request, monkeypatch):
    # In-process counts (multiprocess mode is for gunicorn; the suite never sets it).
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    if "app" in request.fixturenames and "real_clock" not in request.fixturenames:
        request.getfixturevalue("app").config["CLOCK"] = lambda: NOW


@pytest.fixture
def real_clock():
    """Marks a test whose app runs on the real clock (a worker in another process shares it)."""
    return True
