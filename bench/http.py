"""HTTP benchmark: the app under gunicorn, measured against its own /healthz in the same run.

    python bench/http.py                                   # SQLite, a fresh temporary file
    python bench/http.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_http
    python bench/http.py --app-dir /path/to/another/worktree   # the same workload on another tree
    python bench/http.py --endpoints hold --staff 10           # /healthz and the hold only

It migrates a fresh database (the URL given must name an EMPTY database), seeds two
businesses, starts `gunicorn -w 2` on the tree's `app:app` with rate limiting off, and runs
`wrk -t2 -c16` against /healthz and each endpoint of issue 13, interleaved (every round
measures /healthz, then each endpoint, for --seconds each):

* `api one`: GET /api/v1/availability, one staff member, one day;
* `api anyone`: the same for "anyone" (every staff member);
* `time page`: the wizard's time step /<slug>/book/<service>/<staff>?day=... (month
  calendar and the day's times, the full page);
* `hold`: POST /api/v1/bookings/hold, each request a different free slot (bench/http.lua
  walks through a list of them, one staff member and start time each).

Workload (per business): open 08:00-20:00 every day, a 30-minute service on a 30-minute
grid, N staff (10, and the bigger 50). Every day of the measured month (or, with
--bookings-on day, the measured day only, as issue 13's table was measured), each staff member
has twenty 15-minute bookings, at the start of 20 of the day's 24 half hours (which four
stay free rotates by staff member and day, so "anyone" sees more times than one person).
The measured day is the 15th of next month (so the whole month calendar lies ahead of
today, whatever the date); the holds go to the month after, which has no bookings.

It prints requests/s, p50 and p99 latency, the share of /healthz's requests/s in the same
rounds, and any non-2xx answers (a hold that found its slot taken would be a 409). The
share is the figure to compare: absolute rates move with the machine's load.
"""
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path, where this file's name
# would shadow the standard library's `http` package (urllib and gunicorn import it).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import calendar  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time as clock  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402
from datetime import date, datetime, time, timedelta, timezone  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

HERE = Path(__file__).resolve().parent
LUA = HERE / "http.lua"
TZ = ZoneInfo("Europe/London")
OPEN_HOUR, CLOSE_HOUR = 8, 20
HALF_HOURS = (CLOSE_HOUR - OPEN_HOUR) * 2  # 24 grid starts a day
BOOKINGS_PER_DAY = 20
SECRET_KEY = "bench-http-not-a-secret"
ENDPOINTS = ("healthz", "api one", "api anyone", "time page", "hold")


# --------------------------------------------------------------------------- seeding


def months_ahead(today: date, n: int) -> date:
    month_index = today.year * 12 + today.month - 1 + n
    return date(month_index // 12, month_index % 12 + 1, 1)


def seed(app_dir: Path, url: str, staff_counts: list[int], bookings_on: str = "month") -> list[dict]:
    """Migrate the empty database and seed one business per staff count, with the tree's
    own models (so --app-dir benchmarks that tree end to end)."""
    sys.path.insert(0, str(app_dir))
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from bookingapp import create_app
    from bookingapp.api.keys import create_api_key
    from bookingapp.extensions import db
    from bookingapp.models import Booking, Business, BusinessHours, Service, Staff, staff_services

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": False})
    with app.app_context():
        # The server reads the real clock (the app's, as gunicorn will), so the workload is
        # placed after today, whatever the date the bench runs on.
        from bookingapp.domain import clock as app_clock
        today = app_clock.now().astimezone(TZ).date()
    measured_month = months_ahead(today, 1)
    measured_day = measured_month.replace(day=15)
    hold_month = months_ahead(today, 2)
    workloads = []
    with app.app_context():
        logging.disable(logging.INFO)  # the migrations' progress lines
        upgrade(revision="heads")
        logging.disable(logging.NOTSET)
        for staff_count in staff_counts:
            business = Business(
                name=f"Bench {staff_count}", slug=f"bench-{staff_count}", timezone="Europe/London", currency="GBP",
                slot_interval_minutes=30, min_notice_minutes=0, max_advance_days=200, assignment_policy="balanced",
            )
            for weekday in range(7):
                business.hours.append(BusinessHours(weekday=weekday, opens_at=time(OPEN_HOUR), closes_at=time(CLOSE_HOUR)))
            db.session.add(business)
            db.session.flush()  # gives the business its primary location (models/location.py)
            location_id = business.locations[0].id
            service = Service(business_id=business.id, name="Cut", duration_minutes=30, price_cents=3000, currency="GBP")
            filler = Service(business_id=business.id, name="Trim", duration_minutes=15, price_cents=1000, currency="GBP")
            db.session.add_all([service, filler])
            db.session.flush()
            staff_ids = []
            for index in range(staff_count):
                member = Staff(business_id=business.id, name=f"Staff {index:02d}", sort_order=index)
                db.session.add(member)
                db.session.flush()
                staff_ids.append(member.id)
            db.session.execute(insert(staff_services), [
                {"staff_id": sid, "service_id": sid_service} for sid in staff_ids for sid_service in (service.id, filler.id)
            ])
            rows = []
            days_in_month = calendar.monthrange(measured_month.year, measured_month.month)[1]
            for day_index in range(days_in_month):
                day = measured_month + timedelta(days=day_index)
                if bookings_on == "day" and day != measured_day:
                    continue
                opening = datetime.combine(day, time(OPEN_HOUR), tzinfo=TZ)
                for staff_index, sid in enumerate(staff_ids):
                    free = {(staff_index * 5 + day_index + k * 6) % HALF_HOURS for k in range(HALF_HOURS - BOOKINGS_PER_DAY)}
                    for half_hour in range(HALF_HOURS):
                        if half_hour in free:
                            continue
                        start = (opening + timedelta(minutes=30 * half_hour)).astimezone(timezone.utc)
                        end = start + timedelta(minutes=15)
                        rows.append(dict(
                            id=uuid.uuid4(), business_id=business.id,
                            booking_number=f"BK-{uuid.uuid4().hex[:13].upper()}", service_id=filler.id, staff_id=sid,
                            location_id=location_id,
                            starts_at=start, ends_at=end, blocked_from=start, blocked_until=end, status="confirmed",
                            source="api", custom_fields={}, price_cents=1000, deposit_cents=0, currency="GBP",
                            created_at=start, updated_at=start,
                        ))
            for chunk in range(0, len(rows), 5000):
                db.session.execute(insert(Booking), rows[chunk:chunk + 5000])
            _, raw_key = create_api_key(db.session, business, name="bench")
            # The hold run's free slots: every grid start of every staff member, every day of
            # the month after (no bookings there), day by day.
            hold_slots = []
            for day_index in range(calendar.monthrange(hold_month.year, hold_month.month)[1]):
                day = hold_month + timedelta(days=day_index)
                for half_hour in range(HALF_HOURS):
                    start = (datetime.combine(day, time(OPEN_HOUR), tzinfo=TZ) + timedelta(minutes=30 * half_hour))
                    for sid in staff_ids:
                        hold_slots.append(f"{sid} {start.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}")
            workloads.append(dict(
                staff=staff_count, slug=business.slug, service_id=str(service.id), staff_id=str(staff_ids[0]),
                key=raw_key, day=measured_day.isoformat(), bookings=len(rows), hold_slots=hold_slots,
            ))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return workloads


# --------------------------------------------------------------------------- load


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict | None = None, data: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing it with apt-get (apt-get install -y wrk)", flush=True)
    if shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "wrk"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return shutil.which("wrk")


def run_wrk(wrk: str, args, url: str, seconds: float, headers: dict, lua_args: list[str]) -> dict:
    command = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(LUA)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    if lua_args:
        command += ["--", *lua_args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({' '.join(command)}):\n{done.stdout}{done.stderr}")
    output = done.stdout
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            result = json.loads(line[len("BENCH_JSON "):])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            return result
    raise RuntimeError(f"wrk printed no result:\n{output}")


def run_python(args, url: str, seconds: float, headers: dict, bodies=None) -> dict:
    """The fallback load generator when wrk cannot be had: keep-alive connections in
    threads, far weaker than wrk (the client competes with the server for the same
    cores), so its figures are not comparable with wrk's; it says so in the output."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies, statuses, lock = [], [], threading.Lock()
    counter = iter(range(10 ** 9))
    deadline = clock.perf_counter() + seconds

    def worker():
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine, codes = [], []
        while clock.perf_counter() < deadline:
            body = None
            if bodies is not None:
                with lock:
                    body = bodies(next(counter))
            started = clock.perf_counter()
            connection.request("POST" if body else "GET", path, body=body,
                               headers={**headers, **({"Content-Type": "application/json"} if body else {})})
            response = connection.getresponse()
            response.read()
            mine.append(clock.perf_counter() - started)
            codes.append(response.status)
        with lock:
            latencies.extend(mine)
            statuses.extend(codes)

    started = clock.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = clock.perf_counter() - started
    latencies.sort()
    pick = lambda q: int(latencies[min(int(q * len(latencies)), len(latencies) - 1)] * 1e6) if latencies else 0  # noqa: E731
    return dict(requests=len(latencies), duration_us=int(elapsed * 1e6), rps=len(latencies) / elapsed,
                p50_us=pick(0.50), p99_us=pick(0.99), non_2xx_3xx=sum(1 for s in statuses if s >= 400),
                socket_errors=0, highest_slot=next(counter) - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an EMPTY database (default: a fresh temporary SQLite file)")
    parser.add_argument("--app-dir", type=Path, default=HERE.parent, help="the tree to serve (default: this one)")
    parser.add_argument("--staff", default="10,50", help="staff counts, one business each (default 10,50)")
    parser.add_argument("--seconds", type=int, default=4, help="length of each measurement, whole seconds (default 4)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of /healthz then every endpoint (default 2)")
    parser.add_argument("--bookings-on", choices=("month", "day"), default="month",
                        help="the bookings on every day of the measured month (default), or on the measured day only")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS[1:]),
                        help="which endpoints to measure besides /healthz, comma-separated (default: all of "
                             + ", ".join(ENDPOINTS[1:]) + ")")
    args = parser.parse_args()
    args.endpoints = ["healthz"] + [name.strip() for name in args.endpoints.split(",") if name.strip()]
    unknown = set(args.endpoints) - set(ENDPOINTS)
    if unknown:
        parser.error(f"unknown endpoints: {', '.join(sorted(unknown))} (known: {', '.join(ENDPOINTS)})")
    app_dir = args.app_dir.resolve()
    workdir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite'}"

    print(f"tree: {app_dir} ({git_describe(app_dir)})")
    print(f"database: {url.split('@')[-1] if '@' in url else url}")
    started = clock.perf_counter()
    workloads = seed(app_dir, url, [int(n) for n in args.staff.split(",")], args.bookings_on)
    print(f"seeded in {clock.perf_counter() - started:.1f} s: " + ", ".join(
        f"{w['staff']} staff ({w['bookings']} bookings, {len(w['hold_slots'])} free slots for holds)" for w in workloads))

    wrk = ensure_wrk()
    if wrk is None:
        print("!! wrk is not installed and could not be installed: FALLING BACK to a Python load generator.\n"
              "!! Its figures are NOT comparable with wrk's (the client takes a large share of the cores).")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": url, "RATELIMIT_ENABLED": "false", "SECRET_KEY": SECRET_KEY,
           "PYTHONDONTWRITEBYTECODE": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "app:app"], cwd=app_dir, env=env, start_new_session=True,
    )
    try:
        wait_until_up(base)
        results = measure(args, wrk, base, workloads, workdir)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    report(args, wrk, workloads, results)
    shutil.rmtree(workdir, ignore_errors=True)


def git_describe(app_dir: Path) -> str:
    done = subprocess.run(["git", "-C", str(app_dir), "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    return done.stdout.strip()[:80] or "not a git tree"


def wait_until_up(base: str) -> None:
    for _ in range(300):
        try:
            if get(f"{base}/healthz")[0] == 200:
                return
        except OSError:
            pass
        clock.sleep(0.1)
    raise RuntimeError("gunicorn did not answer /healthz within 30 s")


def targets(base: str, workload: dict) -> dict:
    auth = {"Authorization": f"Bearer {workload['key']}"}
    availability = f"{base}/api/v1/availability?service_id={workload['service_id']}&date={workload['day']}"
    return {
        "healthz": (f"{base}/healthz", {}),
        "api one": (f"{availability}&staff_id={workload['staff_id']}", auth),
        "api anyone": (availability, auth),
        "time page": (f"{base}/{workload['slug']}/book/{workload['service_id']}/{workload['staff_id']}?day={workload['day']}", {}),
        "hold": (f"{base}/api/v1/bookings/hold", auth),
    }


def check(base: str, workload: dict) -> None:
    """Each endpoint answers as expected once before it is loaded (a bench of 404s or of
    empty days would measure nothing)."""
    found = targets(base, workload)
    for name in ("api one", "api anyone"):
        status, body = get(*found[name])
        slots = json.loads(body)["data"]["slots"] if status == 200 else None
        assert status == 200 and slots, f"{name}: {status} {body[:300]!r}"
        print(f"  {workload['staff']} staff, {name}: {len(slots)} slots on {workload['day']}")
    status, body = get(*found["time page"])
    times, free_days = body.count(b'class="slot"'), body.count(b'class="day free"')
    assert status == 200 and times, f"time page: {status}"
    print(f"  {workload['staff']} staff, time page: {times} times, {free_days} free days, {len(body)} bytes")
    # One hold, on the last slot of the list (the load runs start from the first).
    staff_id, start = workload["hold_slots"].pop().split()
    url, headers = found["hold"]
    status, body = get(url, {**headers, "Content-Type": "application/json"}, json.dumps(
        {"service_id": workload["service_id"], "staff_id": staff_id, "start_at": start}).encode())
    assert status in (200, 201), f"hold: {status} {body[:300]!r}"


def measure(args, wrk, base: str, workloads: list[dict], workdir: Path) -> dict:
    results: dict = {}
    for workload in workloads:
        check(base, workload)
        # Warm both workers (first requests compile statements and templates).
        for name, (url, headers) in targets(base, workload).items():
            if name != "hold":
                for _ in range(2 * args.workers):
                    get(url, headers)
        slots_file = workdir / f"slots-{workload['staff']}.txt"
        slots_file.write_text("\n".join(workload["hold_slots"]) + "\n")
        workload["next_slot"] = 0
    for round_index in range(args.rounds):
        for workload in workloads:
            for name, (url, headers) in targets(base, workload).items():
                if name not in args.endpoints:
                    continue
                if wrk is not None:
                    lua_args = []
                    if name == "hold":
                        lua_args = [str(workdir / f"slots-{workload['staff']}.txt"), str(workload["next_slot"]),
                                    workload["service_id"], str(args.threads)]
                    result = run_wrk(wrk, args, url, args.seconds, headers, lua_args)
                else:
                    bodies = None
                    if name == "hold":
                        offset, service_id, slots = workload["next_slot"], workload["service_id"], workload["hold_slots"]

                        def bodies(n, offset=offset, service_id=service_id, slots=slots):
                            staff_id, start = slots[(offset + n) % len(slots)].split()
                            return json.dumps({"service_id": service_id, "staff_id": staff_id, "start_at": start})
                    result = run_python(args, url, args.seconds, headers, bodies)
                if name == "hold":
                    # The next hold run starts after every slot this one asked for.
                    workload["next_slot"] = (result["highest_slot"] + 1 if wrk is not None
                                             else workload["next_slot"] + result["highest_slot"] + 1)
                results.setdefault((workload["staff"], name), []).append(result)
                print(f"  round {round_index + 1}, {workload['staff']} staff, {name}: {result['rps']:.0f} req/s, "
                      f"p50 {result['p50_us'] / 1000:.1f} ms, non-2xx {result['non_2xx_3xx']}", flush=True)
    return results


def report(args, wrk, workloads, results) -> None:
    load = open("/proc/loadavg").read().split()[:3] if Path("/proc/loadavg").exists() else ["?"]
    print()
    print(f"gunicorn -w {args.workers}; {'wrk' if wrk else 'PYTHON FALLBACK (not wrk)'} -t{args.threads} "
          f"-c{args.connections}; {args.rounds} round(s) x {args.seconds:g} s per endpoint; "
          f"load average after the run: {' '.join(load)}")
    for workload in workloads:
        print()
        booked = "every day of the month" if args.bookings_on == "month" else "the measured day only"
        print(f"{workload['staff']} staff x {BOOKINGS_PER_DAY} bookings/day (on {booked}), day {workload['day']}")
        print()
        print("| endpoint | requests/s | p50 (ms, median of rounds) | p99 (ms, worst round) | share of /healthz | non-2xx |")
        print("|---|---:|---:|---:|---:|---:|")
        health = results[(workload["staff"], "healthz")]
        health_rps = sum(r["requests"] for r in health) / sum(r["duration_us"] / 1e6 for r in health)
        for name in args.endpoints:
            runs = results[(workload["staff"], name)]
            rps = sum(r["requests"] for r in runs) / sum(r["duration_us"] / 1e6 for r in runs)
            p50 = sorted(r["p50_us"] for r in runs)[len(runs) // 2] / 1000
            p99 = max(r["p99_us"] for r in runs) / 1000
            bad = sum(r["non_2xx_3xx"] + r["socket_errors"] for r in runs)
            print(f"| {name} | {rps:,.0f} | {p50:.1f} | {p99:.1f} | {rps / health_rps:.3f} | {bad} |")


if __name__ == "__main__":
    main()
