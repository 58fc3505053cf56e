"""Old against new availability loader, interleaved in one process on the same data.

    git show e9c1c20:bookingapp/domain/availability.py > /tmp/old_availability.py
    python bench/availability_compare.py /tmp/old_availability.py --cases 10x20,50x100
    python bench/availability_compare.py /tmp/old_availability.py --database-url postgresql+psycopg://...

Builds each case as bench/availability.py does (on an EMPTY database; default a temporary
SQLite file), asserts that both modules load the same inputs (busy blocks, per-day counts,
closures, staff order) and give the same slots and free days, then times the 31-day month
("anyone") and its available_days, old and new alternately, and prints the medians and
new/old ratios with the load average (absolute figures move with the machine's load)."""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from datetime import datetime, time as dtime, timedelta, timezone
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

import bookingapp.domain.availability as new  # noqa: E402
from bookingapp import create_app  # noqa: E402
from bookingapp.extensions import db  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_availability", Path(__file__).with_name("availability.py"))
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_availability"] = bench
_spec.loader.exec_module(bench)


def load_old(path: str):
    spec = importlib.util.spec_from_file_location("old_availability", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_availability"] = module
    spec.loader.exec_module(module)
    return module


def loadavg() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the old availability.py")
    parser.add_argument("--database-url")
    parser.add_argument("--cases", default="10x20,50x100")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    old = load_old(args.old)
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'compare.sqlite'}"
    first = bench.FIRST_DAY
    last = first + timedelta(days=bench.DAYS - 1)
    now = datetime.combine(first, dtime(0), tzinfo=timezone.utc) - timedelta(days=1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="heads")
        session = db.session
        print(f"{db.engine.dialect.name}; load average at start {loadavg()}; median of {args.rounds}, interleaved")
        print("| case | month old -> new (ms) | new/old | available_days old -> new (ms) | new/old |")
        print("|---|--:|--:|--:|--:|")
        for staff_count, bookings in bench.parse_cases(args.cases):
            business, service, _ = bench.build(session, staff_count, bookings)

            def month(module):
                return module.find_availability(session, business, service, first, last, now=now)

            def days(module):
                return module.available_days(session, business, service, first, last, now=now)

            def inputs(module):
                got = module.load_inputs(session, business, service, first, last, now=now)
                return got.busy, got.bookings_per_day, got.business_closed, [m.id for m in got.staff], got.duration

            assert inputs(old) == inputs(new), "the loaded inputs differ"
            assert [(s.start, s.staff_id) for s in month(old).slots] == [(s.start, s.staff_id) for s in month(new).slots]
            assert days(old) == days(new)
            samples: dict[str, list[float]] = {"mo": [], "mn": [], "do": [], "dn": []}
            for _ in range(args.rounds):
                for key in samples:
                    fn = month if key[0] == "m" else days
                    started = time.perf_counter()
                    fn(old if key[1] == "o" else new)
                    samples[key].append((time.perf_counter() - started) * 1000)
                session.commit()
            m = {key: statistics.median(values) for key, values in samples.items()}
            print(f"| {staff_count} x {bookings} | {m['mo']:,.1f} -> {m['mn']:,.1f} | {m['mn'] / m['mo']:.2f} "
                  f"| {m['do']:,.1f} -> {m['dn']:,.1f} | {m['dn'] / m['do']:.2f} |", flush=True)
            session.commit()
        print(f"load average at end {loadavg()}")


if __name__ == "__main__":
    main()
