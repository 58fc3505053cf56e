"""Fixtures for the form fuzz: the wizard's pinned clock and shop (tests/web), the
dashboard's signed-in clients (tests/dashboard), and helpers that post hypothesis-made
field values as a browser would and snapshot the database to prove a refusal wrote
nothing."""
from __future__ import annotations

import os
from urllib.parse import quote_plus

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bookingapp.extensions import db
from tests.dashboard.conftest import as_role, make_account, served  # noqa: F401  (fixtures)
from tests.web.conftest import pinned_clock, shop  # noqa: F401  (fixtures; pinned_clock is autouse)

# The suite replays the same examples every run, so a red build always means a change
# broke something; FUZZ_RANDOM=1 explores new ones (as tests/api/test_openapi_fuzz.py).
DERANDOMIZE = os.environ.get("FUZZ_RANDOM") != "1"
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

FUZZ = settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None,
    # The fixtures (app, database, signed-in client) are made once per test and shared
    # by its examples on purpose: each example checks its own effect by snapshots.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)

MISSING = object()  # the field is left out of the form altogether

# What sloppy and hostile clients type: NUL, lone surrogates, 100 KB, numbers that do not
# fit anything, money with too many decimals, the calendar's ends, impossible dates.
NASTY = [
    "", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "x" * 100_000, "-0", "NaN", "nan", "Infinity", "-inf",
    "1e309", "-1e309", "12.345", "0.001", "-1", "0", "99999999999999999999999", str(2**63), str(-2**31 - 1),
    "0001-01-01", "9999-12-31", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-02-30",
    "2026-13-01", "25:61", "24:00", "1,000.00", "00000000-0000-0000-0000-000000000000", "not-a-uuid",
    "\U0001F487\u200d\u2640\ufe0f", "\u202eevil", "' OR 1=1 --", "<script>alert(1)</script>", "%00", "\r\n",
]

ODD_TEXT = st.text(alphabet=st.characters(codec=None, categories=("Cs", "Cc", "Lo", "So", "Zs", "Mn")), max_size=12)
OFFSETS = st.sampled_from(["Z", "+14:00", "-14:00", "+05:45", ""])
NASTY_VALUE = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    ODD_TEXT,
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
    st.times().map(lambda t: t.strftime("%H:%M")),
    st.tuples(st.datetimes(), OFFSETS).map(lambda p: p[0].isoformat() + p[1]),
)


def form_values(valid: dict[str, str], fixed: dict[str, str] | None = None):
    """A form whose every field is its valid value, a nasty one, or missing; the `fixed`
    ones (the CSRF token) are always sent as given, so the examples reach the view rather
    than stop at the CSRF check."""
    return st.fixed_dictionaries({
        **{name: st.one_of(st.just(value), NASTY_VALUE, st.just(MISSING)) for name, value in valid.items()},
        **{name: st.just(value) for name, value in (fixed or {}).items()},
    })


def encode_form(fields: dict) -> bytes:
    """application/x-www-form-urlencoded, as a browser sends it. Lone surrogates go out as
    their (invalid) UTF-8 bytes: the test client itself refuses to encode them."""
    pairs = []
    for name, value in fields.items():
        if value is MISSING:
            continue
        for item in value if isinstance(value, list) else [value]:
            pairs.append(f"{quote_plus(name)}={quote_plus(item, encoding='utf-8', errors='surrogatepass')}")
    return "&".join(pairs).encode("ascii")


def post_form(client, url: str, fields: dict, headers: dict | None = None):
    return client.post(url, data=encode_form(fields), content_type="application/x-www-form-urlencoded",
                       headers=headers or {})


def database_snapshot() -> dict[str, list[str]]:
    """Every row of every table, read on a connection of its own (what is committed)."""
    snapshot = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            snapshot[table.name] = sorted(repr(tuple(row)) for row in rows)
    return snapshot


def assert_answer(response, before: dict, *, what: str) -> None:
    """Never a 500; a refusal (4xx) leaves the database exactly as it was."""
    # Shown by --hypothesis-show-statistics: which answers the examples reached.
    event(f"status {response.status_code}")
    assert response.status_code < 500, f"{what}: {response.status_code}"
    if response.status_code >= 400:
        after = database_snapshot()
        changed = [name for name in before if before[name] != after[name]]
        assert not changed, f"{what}: refused with {response.status_code} but wrote to {changed}"


@pytest.fixture
def commit_fixtures(session):
    """The fixtures' rows committed, so the app's own connections see them."""
    session.commit()
    return session
