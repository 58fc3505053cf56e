"""The seed document's Python (requests) examples, executed unchanged against the app served
on a real 127.0.0.1 port: only BASE is swapped (API_KEY comes from the environment variable
the examples read). The data they name exists: the "Classic Manicure" service (with the id
the examples hard-code), 2026-04-10 bookable, and the booking the cancel example names; the
API's clock is pinned to 2026-04-01 so that 2026-04-10 is in the future."""
from __future__ import annotations

import re
import threading
import uuid
from datetime import datetime, time, timezone
from pathlib import Path

import pytest
from sqlalchemy import event
from werkzeug.serving import make_server

from bookingapp.domain import booking as booking_domain
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.models import Booking

SEED = Path("/work/shared/seeds/004_a98cd480bbec56a1.txt")
SEED_BASE = 'BASE = "https://bookorielle.com/api/v1"'
MANICURE_ID = uuid.UUID("d4e5f6a7-b8c9-4d0e-a1b2-c3d4e5f6a7b8")
CANCELLED_ID = uuid.UUID("f7a8b9c0-d1e2-4f3a-b4c5-d6e7f8a9b0c1")
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=timezone.utc)

pytestmark = pytest.mark.skipif(not SEED.exists(), reason="the seed documents are not on this machine")


def python_blocks(text: str) -> list[str]:
    """Each "Python (requests)" example: the lines up to the next example marker, with the
    trailing prose (the next section's title) dropped until what is left compiles."""
    markers = ("Python (requests)", "JavaScript (fetch)", "cURL")
    blocks, lines = [], text.splitlines()
    for index, line in enumerate(lines):
        if line.strip() != "Python (requests)":
            continue
        end = next((j for j in range(index + 1, len(lines)) if lines[j].strip() in markers), len(lines))
        chunk = lines[index + 1:end]
        while chunk:
            try:
                compile("\n".join(chunk), "seed", "exec")
                break
            except SyntaxError:
                chunk = chunk[:-1]
        blocks.append("\n".join(chunk).strip())
    return blocks


@pytest.fixture
def live_base(app):
    app.config.update(SERVER_NAME=None, CLOCK=lambda: NOW)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def nail_salon(session, make_business, make_service, make_staff):
    """Seed 004's business: Austin, open from 09:00 every day; the manicure the examples
    hard-code; and the booking the cancel example names."""
    business = make_business(name="Maree's Nails", slug="marees-nails", timezone="America/Chicago",
                             currency="USD", address_country="US", hours={d: [(time(9), time(18))] for d in range(7)})
    manicure = make_service(business, id=MANICURE_ID, name="Classic Manicure", duration_minutes=30,
                            price_cents=3500, deposit_cents=0, currency="USD")
    make_service(business, name="Gel Pedicure", duration_minutes=60, price_cents=5500, deposit_cents=0, currency="USD")
    maree = make_staff(business, [manicure], name="Maree")

    def seed_id(target, args, kwargs):
        target.id = CANCELLED_ID

    # The examples' booking id: given to the next Booking the domain constructs.
    event.listen(Booking, "init", seed_id, once=True)
    try:
        customer = find_or_create_customer(session, business, email="jess@example.com", name="Jess Carter")
        existing = booking_domain.create_booking(
            session, business, manicure, datetime(2026, 4, 10, 20, 0, tzinfo=timezone.utc), customer, staff=maree,
            now=NOW, source="api")
        session.commit()
    finally:
        if event.contains(Booking, "init", seed_id):
            event.remove(Booking, "init", seed_id)
    assert existing.id == CANCELLED_ID and existing.status == "confirmed"
    return business


def test_the_seed_has_the_four_python_examples():
    blocks = python_blocks(SEED.read_text())
    assert len(blocks) == 4 and all(SEED_BASE in block and "import requests" in block for block in blocks)


@pytest.mark.slow
def test_seed_004_python_examples_run_unchanged_on_a_real_port(live_base, nail_salon, make_key, session,
                                                              monkeypatch, capsys):
    monkeypatch.setenv("BOOKORIELLE_API_KEY", make_key(nail_salon))
    create, listing, cancel, workflow = python_blocks(SEED.read_text())
    outputs = []
    for name, code in (("create", create), ("list", listing), ("cancel", cancel), ("workflow", workflow)):
        exec(compile(code.replace(SEED_BASE, f'BASE = "{live_base}"'), f"seed-004-{name}", "exec"),
             {"__name__": f"seed_004_{name}"})
        outputs.append(capsys.readouterr().out)

    created, listed, cancelled, booked = outputs
    number = re.fullmatch(r"Booking created: (BK-\S+)\n", created).group(1)
    assert listed.startswith("Found 2 confirmed bookings\n")
    assert f"  {number} - Olivia Thompson at 2026-04-10T14:00:00.000Z" in listed
    assert re.fullmatch(r"Booking BK-\S+ cancelled\n", cancelled)
    # The first slot left on 2026-04-10 (09:00 Chicago is taken by the first example).
    assert booked.startswith("Booked Classic Manicure at 2026-04-10T14:30:00.000Z\nConfirmation: BK-")

    session.expire_all()
    assert session.get(Booking, CANCELLED_ID).status == "cancelled"
    statuses = sorted(b.status for b in session.query(Booking).all())
    assert statuses == ["cancelled", "confirmed", "confirmed"]
